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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault.h"
#include "internal.h"

static bool sysroot_is_host(const vfh_ctx *ctx)
{
        return strcmp(ctx->sysroot, "/") == 0;
}

_printf_(3, 0) static int format_path(char *buf, size_t size, const char *fmt, va_list ap)
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

#ifdef VFH_TEST_BUILD
static sysfs_write_hook_fn write_hook;

void sysfs_set_write_hook(sysfs_write_hook_fn fn)
{
        write_hook = fn;
}
#endif

int sysfs_write_path(vfh_ctx *ctx, const char *value, const char *path)
{
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        ssize_t n;

        fd = open_in_root(ctx, path, O_WRONLY);
        if (fd < 0)
                return fd;
        n = write(fd, value, len);
        if (n < 0)
                return negative_errno();
        if ((size_t)n != len)
                return -EIO;
        /* sysfs stores on write, but a simulated kernel may act on close: report its verdict. */
        if (close(TAKE_FD(fd)) < 0)
                return negative_errno();
#ifdef VFH_TEST_BUILD
        if (write_hook)
                return write_hook(ctx->sysroot, path, value);
#endif
        return 0;
}

int sysfs_write(vfh_ctx *ctx, const char *value, const char *fmt, ...)
{
        char path[PATH_MAX];
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = format_path(path, sizeof(path), fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        ctx->counters.sysfs_writes++;
        r = fault_before(FAULT_SYSFS_WRITE, path);
        if (r < 0)
                return r;
        r = sysfs_write_path(ctx, value, path);
        fault_after(FAULT_SYSFS_WRITE);
        return r;
}

int sysfs_write_deadline(vfh_ctx *ctx, unsigned int timeout_ms, const char *value, const char *fmt,
                         ...)
{
        char path[PATH_MAX];
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = format_path(path, sizeof(path), fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        ctx->counters.sysfs_writes++;
        r = fault_before(FAULT_SYSFS_WRITE, path);
        if (r < 0)
                return r;
        r = sysfs_writer_write(ctx, timeout_ms, value, path);
        fault_after(FAULT_SYSFS_WRITE);
        return r;
}

int sysfs_mkdir(vfh_ctx *ctx, unsigned int mode, const char *fmt, ...)
{
        char path[PATH_MAX];
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = format_path(path, sizeof(path), fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        if (mkdirat(ctx->sysroot_fd, relative(path), (mode_t)mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

_printf_(4, 0) static int vreadlink(vfh_ctx *ctx, char *buf, size_t size, const char *fmt,
                                    va_list ap)
{
        _cleanup_close_ int dirfd = -1;
        char path[PATH_MAX], *base;
        ssize_t n;
        int r = format_path(path, sizeof(path), fmt, ap);

        if (r < 0)
                return r;
        ctx->counters.sysfs_reads++;
        /* The directory is resolved like every other path (absolute links stay in the
         * sysroot); only the last component is read as a link. */
        base = strrchr(path, '/');
        *base = '\0';
        dirfd = open_in_root(ctx, path[0] ? path : "/", O_PATH | O_DIRECTORY);
        if (dirfd < 0)
                return dirfd;
        n = readlinkat(dirfd, base + 1, buf, size);
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
