/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every library module shares: the context's insides, error reporting and the sysfs seam. */
#pragma once

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "vfiohook.h"
#include "macro.h"

#define VFH_MAX_NETWORK_DIRS 8
#define VFH_ERROR_MAX        1024

/* Counted at the seams: benchmarks report them and fault injection targets them. */
struct vfh_counters {
        unsigned long sysfs_reads;
        unsigned long sysfs_writes;
        /* Of those, the ones that can bind, unbind or create devices (sysfs_write_deadline:
         * unbind, drivers_probe, sriov_numvfs): only they change disks and VFs. */
        unsigned long device_writes;
        unsigned long netlink_calls;
};

/* /sys/block's and the PFs' virtfnN link targets, cached per context by lib/pci.c. */
struct block_links;
void block_links_free(struct block_links *links);

struct vfh_ctx {
        int refcount;
        char *sysroot;
        int sysroot_fd;
        char *run_dir;
        char *network_dirs[VFH_MAX_NETWORK_DIRS];
        size_t n_network_dirs;
        bool network_dirs_default;
        unsigned int timeout_ms;
        vfh_log_fn log_fn;
        void *log_data;
        int log_priority;
        struct vfh_counters counters;
        struct block_links *block_links; /* NULL until a device load needs it */
        int writer_fd; /* socket to sysfs_write_deadline's writer process, -1 until one runs */
        bool sysroot_short_batches; /* sysfs_fills_batches() of the sysroot, set with it */
        char last_error[VFH_ERROR_MAX];
};

/* Formats the message where the failure is detected, keeps it as the context's last error,
 * logs it at LOG_ERR and returns -abs(err). Use as: return vfh_errorf(ctx, r, "…"); */
int vfh_errorf(vfh_ctx *ctx, int err, const char *fmt, ...) _printf_(3, 4);
void vfh_logf(vfh_ctx *ctx, int priority, const char *fmt, ...) _printf_(3, 4);
#define vfh_info(ctx, ...)  vfh_logf(ctx, LOG_INFO, __VA_ARGS__)
#define vfh_debug(ctx, ...) vfh_logf(ctx, LOG_DEBUG, __VA_ARGS__)
#define vfh_warn(ctx, ...)  vfh_logf(ctx, LOG_WARNING, __VA_ARGS__)

/*
 * The sysroot seam. Every path below is absolute as seen on a real host ("/sys/…", "/dev/…",
 * "/proc/…") and is resolved under the context's sysroot with openat(2). Nothing in the library
 * touches the host's files any other way. The functions return -errno and do not set the
 * context's error: the caller knows which device and step failed and formats the message.
 */
int sysfs_read(vfh_ctx *ctx, char *buf, size_t size, const char *fmt, ...) _printf_(4, 5);
int sysfs_read_ulong(vfh_ctx *ctx, unsigned long *ret, const char *fmt, ...) _printf_(3, 4);
int sysfs_write(vfh_ctx *ctx, const char *value, const char *fmt, ...) _printf_(3, 4);
int sysfs_readlink(vfh_ctx *ctx, char *buf, size_t size, const char *fmt, ...) _printf_(4, 5);
/* The last component of a symlink's target, e.g. the driver name of ".../driver". */
int sysfs_link_name(vfh_ctx *ctx, char *buf, size_t size, const char *fmt, ...) _printf_(4, 5);
bool sysfs_exists(vfh_ctx *ctx, const char *fmt, ...) _printf_(2, 3);
int sysfs_opendir(vfh_ctx *ctx, DIR **ret, const char *fmt, ...) _printf_(3, 4);
int sysfs_open(vfh_ctx *ctx, int flags, const char *fmt, ...) _printf_(3, 4);
int sysfs_vopen(vfh_ctx *ctx, int flags, const char *fmt, va_list ap) _printf_(3, 0);

/*
 * A directory resolved once, for many reads below it (a device's attributes, a process's fds):
 * each name then costs a walk from the directory, not from the sysroot, and a readlink one
 * system call. Names are resolved with RESOLVE_BENEATH; one that would leave the directory (an
 * absolute link, ".." out of it) is resolved by its full path from the sysroot, so every result
 * is the one the path-based functions above give, and stays inside the sysroot.
 */
struct sysfs_dir {
        int fd;                /* -1 when not open */
        bool listable;         /* fd reads the entries (O_RDONLY), not only a place (O_PATH) */
        bool listed;           /* fd's offset has moved */
        int held_to;           /* fds fd+1 to held_to were read below it and close with it */
        bool short_batch_ends; /* a getdents batch with room left was the last (sysfs.c) */
        char path[PATH_MAX];   /* the host path it was opened by */
};
/* Whether the filesystem of fd fills each getdents batch while entries are left (sysfs.c). */
bool sysfs_fills_batches(int fd);
int sysfs_dir_open(vfh_ctx *ctx, struct sysfs_dir *ret, const char *fmt, ...) _printf_(3, 4);
void sysfs_dir_close(struct sysfs_dir *dir);
#define _cleanup_sysfs_dir_ _cleanup_(sysfs_dir_close)
/* Takes over fd, opened below dir, and closes it (now, or with dir: see sysfs.c). */
void sysfs_dir_adopt(struct sysfs_dir *dir, int fd);
/* Calls fn for each entry of the directory itself but "." and "..", with its d_type, until fn
 * returns non-zero; a negative return is passed on. Counted as one read, as sysfs_opendir. */
typedef int (*sysfs_dir_fn)(const char *name, unsigned char type, void *data);
int sysfs_dir_each(vfh_ctx *ctx, struct sysfs_dir *dir, sysfs_dir_fn fn, void *data);
/* As sysfs_read, sysfs_read_ulong, sysfs_open and sysfs_opendir of dir's path + "/" + name. */
int sysfs_read_at(vfh_ctx *ctx, struct sysfs_dir *dir, const char *name, char *buf, size_t size);
int sysfs_read_ulong_at(vfh_ctx *ctx, struct sysfs_dir *dir, const char *name, unsigned long *ret);
int sysfs_open_at(vfh_ctx *ctx, const struct sysfs_dir *dir, const char *name, int flags);
int sysfs_opendir_at(vfh_ctx *ctx, const struct sysfs_dir *dir, const char *name, DIR **ret);
/* sysfs_dir_each of the directory name below dir, counted as one read: a DIR's fstat and fcntl
 * calls are not made. */
int sysfs_dir_each_at(vfh_ctx *ctx, struct sysfs_dir *dir, const char *name, sysfs_dir_fn fn,
                      void *data);
/* As sysfs_readlink and sysfs_link_name; name is one component (-EINVAL otherwise). */
int sysfs_readlink_at(vfh_ctx *ctx, const struct sysfs_dir *dir, const char *name, char *buf,
                      size_t size);
int sysfs_link_name_at(vfh_ctx *ctx, const struct sysfs_dir *dir, const char *name, char *buf,
                       size_t size);

/* Creates the directory (not its parents) with mode; 0 when it already exists. */
int sysfs_mkdir(vfh_ctx *ctx, unsigned int mode, const char *fmt, ...) _printf_(3, 4);
/*
 * sysfs_write for attributes whose store can block in a driver (unbind, drivers_probe). The
 * write runs in a detached writer process (lib/sysfs_writer.c); the caller waits at most
 * timeout_ms and then returns -ETIMEDOUT, leaving the stuck writer to init. A task stuck in a
 * driver ignores even SIGKILL, and a thread would keep the whole process from exiting, so only a
 * separate process lets the hook return.
 */
int sysfs_write_deadline(vfh_ctx *ctx, unsigned int timeout_ms, const char *value, const char *fmt,
                         ...) _printf_(4, 5);

/* lib/fileio.c: whole files in the run directory, and standard input. */
/* Writes all of buf, through short writes and EINTR. */
int fd_write_all(int fd, const char *buf, size_t len);
/* Reads fd to its end into a new buffer (not NUL-terminated); -EFBIG past max bytes.
 * size_hint (what fstat said) sizes the first buffer. */
int fd_read_all(int fd, size_t size_hint, size_t max, char **ret, size_t *ret_len);
/* Reads fd into a new buffer (not NUL-terminated) until its end or until limit bytes, whichever
 * comes first; what lies past limit stays unread. */
int fd_read_up_to(int fd, size_t limit, char **ret, size_t *ret_len);
/* Replaces dirfd/name with text: written to tmp (created with mode), then renamed over name, so a
 * reader sees the old file or the new one. durable: fsync the file and the directory too. */
int file_replace_at(int dirfd, const char *name, const char *tmp, const char *text, size_t len,
                    unsigned int mode, bool durable);

/* The seam's insides, shared by lib/sysfs.c and lib/sysfs_writer.c. */
/* Writes value to an absolute host path under the sysroot: open, one write, close. */
int sysfs_write_path(vfh_ctx *ctx, const char *value, const char *path);
/* Has the context's writer process write value to path, waiting at most timeout_ms. */
int sysfs_writer_write(vfh_ctx *ctx, unsigned int timeout_ms, const char *value, const char *path);
/* Lets the writer go (it exits once idle); the next deadline write starts a new one. */
void sysfs_writer_stop(vfh_ctx *ctx);

#ifdef VFH_TEST_BUILD
/* Test builds only: called after every successful sysfs_write with the host path and value,
 * so a model of the kernel can act on the write (as sysfs acts on store). Its return value
 * becomes the write's. */
typedef int (*sysfs_write_hook_fn)(const char *sysroot, const char *path, const char *value);
void sysfs_set_write_hook(sysfs_write_hook_fn fn);
#endif
