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
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
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

/*
 * openat2, retried while it says EAGAIN: with RESOLVE_IN_ROOT or RESOLVE_BENEATH the kernel gives
 * up on a ".." walk when any rename or mount anywhere raced with it (sysfs links are full of
 * ".."), and openat2(2) leaves the retry to the caller. A bounded number of tries: only a storm
 * of renames elsewhere keeps it failing, and then the error is reported.
 */
static int openat2_retry(int dirfd, const char *path, struct open_how *how)
{
        int fd = -1;

        for (int i = 0; i < 64; i++) {
                fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
                if (fd >= 0 || errno != EAGAIN)
                        break;
        }
        return fd;
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
                fd = openat2_retry(ctx->sysroot_fd, relative(path), &how);
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

/* Reads an opened attribute (a negative fd is passed on): trailing newlines and NULs stripped. */
static int read_text_fd(vfh_ctx *ctx, int fd, char *buf, size_t size)
{
        ssize_t n;

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

/* Reads an opened attribute (a negative fd is passed on) as a number in C notation. */
static int read_ulong_fd(vfh_ctx *ctx, int fd, unsigned long *ret)
{
        char buf[64], *end;
        unsigned long value;
        ssize_t n;

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

/* read_text_fd of an opened attribute (fd, which it closes). */
static int read_text(vfh_ctx *ctx, int opened, char *buf, size_t size)
{
        _cleanup_close_ int fd = opened;

        return read_text_fd(ctx, fd, buf, size);
}

static int read_ulong(vfh_ctx *ctx, int opened, unsigned long *ret)
{
        _cleanup_close_ int fd = opened;

        return read_ulong_fd(ctx, fd, ret);
}

int sysfs_read(vfh_ctx *ctx, char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;
        int fd;

        if (size == 0)
                return -EINVAL;
        va_start(ap, fmt);
        fd = sysfs_vopen(ctx, O_RDONLY, fmt, ap);
        va_end(ap);
        return read_text(ctx, fd, buf, size);
}

int sysfs_read_ulong(vfh_ctx *ctx, unsigned long *ret, const char *fmt, ...)
{
        va_list ap;
        int fd;

        va_start(ap, fmt);
        fd = sysfs_vopen(ctx, O_RDONLY, fmt, ap);
        va_end(ap);
        return read_ulong(ctx, fd, ret);
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
        ctx->counters.device_writes++;
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

/* Reads the link name in the directory dirfd (a negative errno is passed on). */
static int readlink_in(int dirfd, const char *name, char *buf, size_t size)
{
        ssize_t n;

        if (dirfd < 0)
                return dirfd;
        n = readlinkat(dirfd, name, buf, size);
        if (n < 0)
                return negative_errno();
        if ((size_t)n >= size)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        return (int)n;
}

/* The last component of a link target, e.g. "e1000e" of "../../../bus/pci/drivers/e1000e". */
static int copy_link_name(const char *target, char *buf, size_t size)
{
        const char *base = strrchr(target, '/');

        base = base ? base + 1 : target;
        if (strlen(base) >= size)
                return -ENAMETOOLONG;
        strcpy(buf, base);
        return (int)strlen(buf);
}

_printf_(4, 0) static int vreadlink(vfh_ctx *ctx, char *buf, size_t size, const char *fmt,
                                    va_list ap)
{
        _cleanup_close_ int dirfd = -1;
        char path[PATH_MAX], *base;
        int r = format_path(path, sizeof(path), fmt, ap);

        if (r < 0)
                return r;
        ctx->counters.sysfs_reads++;
        /* The directory is resolved like every other path (absolute links stay in the
         * sysroot); only the last component is read as a link. */
        base = strrchr(path, '/');
        *base = '\0';
        dirfd = open_in_root(ctx, path[0] ? path : "/", O_PATH | O_DIRECTORY);
        return readlink_in(dirfd, base + 1, buf, size);
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
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vreadlink(ctx, target, sizeof(target), fmt, ap);
        va_end(ap);
        return r < 0 ? r : copy_link_name(target, buf, size);
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

/* A listing of an opened directory (fd, which it takes over). */
static int listing_of(vfh_ctx *ctx, int fd, DIR **ret)
{
        DIR *dir;

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

int sysfs_opendir(vfh_ctx *ctx, DIR **ret, const char *fmt, ...)
{
        va_list ap;
        int fd;

        va_start(ap, fmt);
        fd = sysfs_vopen(ctx, O_RDONLY | O_DIRECTORY, fmt, ap);
        va_end(ap);
        return listing_of(ctx, fd, ret);
}

/* ---- below a directory opened once ---- */

/*
 * Whether a getdents batch that left room for the longest entry was the last of the listing.
 * sysfs, procfs and tmpfs fill the buffer while entries are left, so there the empty batch that
 * otherwise ends every listing is a system call for nothing: a tenth of list's
 * (docs/PERFORMANCE.md). FUSE (virtiofs) and network filesystems return one batch of their own
 * per call, so a short batch says nothing there. On the host the seam lists below /sys and /proc
 * only; a sysroot is a fixture tree, whose filesystem vfh_ctx_set_sysroot asks once.
 */
bool sysfs_fills_batches(int fd)
{
        struct statfs fs;

        return fstatfs(fd, &fs) == 0 && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC ||
                                         fs.f_type == SYSFS_MAGIC || fs.f_type == PROC_SUPER_MAGIC);
}

static bool short_batch_ends(vfh_ctx *ctx, const char *path)
{
        if (sysroot_is_host(ctx))
                return strncmp(path, "/sys/", 5) == 0 || strncmp(path, "/proc/", 6) == 0;
        return ctx->sysroot_short_batches;
}

int sysfs_dir_open(vfh_ctx *ctx, struct sysfs_dir *ret, const char *fmt, ...)
{
        va_list ap;
        int r;

        ret->fd = -1;
        ret->held_to = 0;
        ret->listable = ret->listed = ret->short_batch_ends = false;
        va_start(ap, fmt);
        r = format_path(ret->path, sizeof(ret->path), fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        /* Readable, so its own entries can be listed without opening it again; a directory
         * one may search but not read is still a place to read below. */
        r = open_in_root(ctx, ret->path, O_RDONLY | O_DIRECTORY);
        ret->listable = r >= 0;
        if (r == -EACCES)
                r = open_in_root(ctx, ret->path, O_PATH | O_DIRECTORY);
        if (r < 0)
                return r;
        ctx->counters.sysfs_reads++;
        ret->fd = r;
        ret->short_batch_ends = short_batch_ends(ctx, ret->path);
        return 0;
}

/*
 * A device load opens four or five attributes and subdirectories below the device's directory,
 * each closed at once: a close system call each, a fifth of list's calls (docs/PERFORMANCE.md).
 * An fd that is the next number after the directory's own and the ones it holds is kept
 * instead, and all close together with one close_range. Every number in the range is then one
 * of ours, so no other fd is closed by it; any other fd (a lower number came free meanwhile)
 * is closed at once, as is the 17th (a directory read below for long holds no more).
 */
#define DIR_MAX_HELD 16

void sysfs_dir_adopt(struct sysfs_dir *dir, int fd)
{
        int top = dir->held_to > dir->fd ? dir->held_to : dir->fd;

        if (fd < 0)
                return;
        if (dir->fd >= 0 && fd == top + 1 && fd - dir->fd <= DIR_MAX_HELD)
                dir->held_to = fd;
        else
                close(fd);
}

void sysfs_dir_close(struct sysfs_dir *dir)
{
        if (dir->fd >= 0 && dir->held_to > dir->fd) {
                if (syscall(SYS_close_range, (unsigned int)dir->fd, (unsigned int)dir->held_to,
                            0U) == 0)
                        dir->fd = -1;
                else /* before Linux 5.9 */
                        for (int fd = dir->held_to; fd > dir->fd; fd--)
                                close(fd);
        }
        if (dir->fd >= 0)
                close(dir->fd);
        dir->fd = -1;
        dir->held_to = 0;
}

static int each_entry(const char *buf, long n, sysfs_dir_fn fn, void *data)
{
        for (long off = 0; off < n;) {
                const struct dirent64 *de = (const void *)(buf + off);
                int r;

                off += de->d_reclen;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                r = fn(de->d_name, de->d_type, data);
                if (r != 0)
                        return r;
        }
        return 0;
}

int sysfs_dir_each(vfh_ctx *ctx, struct sysfs_dir *dir, sysfs_dir_fn fn, void *data)
{
        _Alignas(struct dirent64) char buf[8192];

        if (!dir->listable)
                return dir->fd < 0 ? -EBADF : -EACCES;
        if (dir->listed && lseek(dir->fd, 0, SEEK_SET) < 0)
                return negative_errno();
        dir->listed = true;
        ctx->counters.sysfs_reads++;
        for (;;) {
                long n = syscall(SYS_getdents64, dir->fd, buf, sizeof(buf));
                int r;

                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return 0;
                r = each_entry(buf, n, fn, data);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (dir->short_batch_ends && (size_t)n + sizeof(struct dirent64) <= sizeof(buf))
                        return 0;
        }
}

/*
 * One walk from the directory. RESOLVE_BENEATH refuses what would leave it (EXDEV for an
 * absolute link or ".." out of it; without openat2, ENOSYS); such a name is opened by its full
 * path from the sysroot, as the path-based functions open it. On the host the directory's own
 * path was followed the same way, so openat from it is the same walk.
 */
static int open_below(vfh_ctx *ctx, const struct sysfs_dir *dir, const char *name, int flags)
{
        struct open_how how = {
            .flags = (unsigned long long)(flags | O_CLOEXEC),
            .resolve = RESOLVE_BENEATH,
        };
        char path[PATH_MAX];
        int fd, n;

        if (sysroot_is_host(ctx))
                fd = openat(dir->fd, name, flags | O_CLOEXEC);
        else
                fd = openat2_retry(dir->fd, name, &how);
        if (fd >= 0)
                return fd;
        if (sysroot_is_host(ctx) || (errno != EXDEV && errno != ELOOP && errno != ENOSYS))
                return negative_errno();
        n = snprintf(path, sizeof(path), "%s/%s", dir->path, name);
        if (n < 0 || (size_t)n >= sizeof(path))
                return -ENAMETOOLONG;
        return open_in_root(ctx, path, flags);
}

int sysfs_open_at(vfh_ctx *ctx, const struct sysfs_dir *dir, const char *name, int flags)
{
        return open_below(ctx, dir, name, flags);
}

int sysfs_read_at(vfh_ctx *ctx, struct sysfs_dir *dir, const char *name, char *buf, size_t size)
{
        int fd, r;

        if (size == 0)
                return -EINVAL;
        fd = open_below(ctx, dir, name, O_RDONLY);
        r = read_text_fd(ctx, fd, buf, size);
        sysfs_dir_adopt(dir, fd);
        return r;
}

int sysfs_read_ulong_at(vfh_ctx *ctx, struct sysfs_dir *dir, const char *name, unsigned long *ret)
{
        int fd = open_below(ctx, dir, name, O_RDONLY);
        int r = read_ulong_fd(ctx, fd, ret);

        sysfs_dir_adopt(dir, fd);
        return r;
}

int sysfs_opendir_at(vfh_ctx *ctx, const struct sysfs_dir *dir, const char *name, DIR **ret)
{
        return listing_of(ctx, open_below(ctx, dir, name, O_RDONLY | O_DIRECTORY), ret);
}

int sysfs_dir_each_at(vfh_ctx *ctx, struct sysfs_dir *dir, const char *name, sysfs_dir_fn fn,
                      void *data)
{
        struct sysfs_dir sub = {.fd = open_below(ctx, dir, name, O_RDONLY | O_DIRECTORY),
                                .listable = true,
                                .short_batch_ends = dir->short_batch_ends};
        int r;

        if (sub.fd < 0)
                return sub.fd;
        r = sysfs_dir_each(ctx, &sub, fn, data);
        sysfs_dir_adopt(dir, sub.fd);
        return r;
}

int sysfs_readlink_at(vfh_ctx *ctx, const struct sysfs_dir *dir, const char *name, char *buf,
                      size_t size)
{
        ctx->counters.sysfs_reads++;
        if (!*name || strchr(name, '/'))
                return -EINVAL;
        /* One component, read as a link: nothing is followed. */
        return readlink_in(dir->fd, name, buf, size);
}

int sysfs_link_name_at(vfh_ctx *ctx, const struct sysfs_dir *dir, const char *name, char *buf,
                       size_t size)
{
        char target[PATH_MAX];
        int r = sysfs_readlink_at(ctx, dir, name, target, sizeof(target));

        return r < 0 ? r : copy_link_name(target, buf, size);
}
