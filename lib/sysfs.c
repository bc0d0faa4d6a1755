/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sysroot seam: the only way the library reaches /sys, /dev, /proc and friends.
 *
 * With a sysroot other than "/", paths are opened with openat2(RESOLVE_IN_ROOT) so that an
 * absolute symlink inside a fixture tree stays inside it, as it would on the host it mimics.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

static bool sysroot_is_host(const vfh_ctx *ctx)
{
        return strcmp(ctx->sysroot, "/") == 0;
}

static int format_path(char *buf, size_t size, const char *fmt, va_list ap)
{
        int n = vsnprintf(buf, size, fmt, ap);

        if (n < 0 || (size_t)n >= size)
                return -ENAMETOOLONG;
        if (buf[0] != '/')
                return -EINVAL;
        return 0;
}

/* Path relative to the sysroot fd: strips the leading slashes. */
static const char *relative(const char *path)
{
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

static int open_in_root(vfh_ctx *ctx, const char *path, int flags)
{
        struct open_how how = {
            .flags = (unsigned long long)(flags | O_CLOEXEC),
            .resolve = RESOLVE_IN_ROOT,
        };
        int fd;

        if (sysroot_is_host(ctx))
                fd = open(path, flags | O_CLOEXEC);
        else {
                fd = (int)syscall(SYS_openat2, ctx->sysroot_fd, relative(path), &how, sizeof(how));
                if (fd < 0 && errno == ENOSYS)
                        fd = openat(ctx->sysroot_fd, relative(path), flags | O_CLOEXEC);
        }
        return fd < 0 ? negative_errno() : fd;
}

int sysfs_vopen(vfh_ctx *ctx, int flags, const char *fmt, va_list ap)
{
        char path[PATH_MAX];
        int r = format_path(path, sizeof(path), fmt, ap);

        if (r < 0)
                return r;
        return open_in_root(ctx, path, flags);
}

int sysfs_open(vfh_ctx *ctx, int flags, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = sysfs_vopen(ctx, flags, fmt, ap);
        va_end(ap);
        return r;
}

static void strip_newline(char *buf, size_t len)
{
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
                buf[--len] = '\0';
}

int sysfs_read(vfh_ctx *ctx, char *buf, size_t size, const char *fmt, ...)
{
        _cleanup_close_ int fd = -1;
        va_list ap;
        ssize_t n;

        if (size == 0)
                return -EINVAL;
        va_start(ap, fmt);
        fd = sysfs_vopen(ctx, O_RDONLY, fmt, ap);
        va_end(ap);
        if (fd < 0)
                return fd;
        ctx->counters.sysfs_reads++;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        strip_newline(buf, (size_t)n);
        return (int)strlen(buf);
}

int sysfs_read_ulong(vfh_ctx *ctx, unsigned long *ret, const char *fmt, ...)
{
        _cleanup_close_ int fd = -1;
        char buf[64], *end;
        unsigned long value;
        va_list ap;
        ssize_t n;

        va_start(ap, fmt);
        fd = sysfs_vopen(ctx, O_RDONLY, fmt, ap);
        va_end(ap);
        if (fd < 0)
                return fd;
        ctx->counters.sysfs_reads++;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        errno = 0;
        value = strtoul(buf, &end, 0);
        if (errno || end == buf || (*end && *end != '\n'))
                return -EBADMSG;
        *ret = value;
        return 0;
}

int sysfs_write(vfh_ctx *ctx, const char *value, const char *fmt, ...)
{
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        va_list ap;
        ssize_t n;

        va_start(ap, fmt);
        fd = sysfs_vopen(ctx, O_WRONLY, fmt, ap);
        va_end(ap);
        if (fd < 0)
                return fd;
        ctx->counters.sysfs_writes++;
        n = write(fd, value, len);
        if (n < 0)
                return negative_errno();
        if ((size_t)n != len)
                return -EIO;
        /* sysfs stores on write, but a simulated kernel may act on close: report its verdict. */
        return close(TAKE_FD(fd)) < 0 ? negative_errno() : 0;
}

static int vreadlink(vfh_ctx *ctx, char *buf, size_t size, const char *fmt, va_list ap)
{
        char path[PATH_MAX];
        ssize_t n;
        int r = format_path(path, sizeof(path), fmt, ap);

        if (r < 0)
                return r;
        ctx->counters.sysfs_reads++;
        n = readlinkat(ctx->sysroot_fd, relative(path), buf, size);
        if (n < 0)
                return negative_errno();
        if ((size_t)n >= size)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        return (int)n;
}

int sysfs_readlink(vfh_ctx *ctx, char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vreadlink(ctx, buf, size, fmt, ap);
        va_end(ap);
        return r;
}

int sysfs_link_name(vfh_ctx *ctx, char *buf, size_t size, const char *fmt, ...)
{
        char target[PATH_MAX];
        const char *base;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vreadlink(ctx, target, sizeof(target), fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        base = strrchr(target, '/');
        base = base ? base + 1 : target;
        if (strlen(base) >= size)
                return -ENAMETOOLONG;
        strcpy(buf, base);
        return (int)strlen(buf);
}

bool sysfs_exists(vfh_ctx *ctx, const char *fmt, ...)
{
        _cleanup_close_ int fd = -1;
        va_list ap;

        va_start(ap, fmt);
        fd = sysfs_vopen(ctx, O_PATH, fmt, ap);
        va_end(ap);
        ctx->counters.sysfs_reads++;
        return fd >= 0;
}

int sysfs_opendir(vfh_ctx *ctx, DIR **ret, const char *fmt, ...)
{
        va_list ap;
        DIR *dir;
        int fd;

        va_start(ap, fmt);
        fd = sysfs_vopen(ctx, O_RDONLY | O_DIRECTORY, fmt, ap);
        va_end(ap);
        if (fd < 0)
                return fd;
        ctx->counters.sysfs_reads++;
        dir = fdopendir(fd);
        if (!dir) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        *ret = dir;
        return 0;
}
