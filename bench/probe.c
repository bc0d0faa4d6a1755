/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The benchmark probe, linked into instrumented copies of vfiohookctl and the hooks with
 * `-Wl,--wrap=SYMBOL` (bench/CMakeLists.txt). It changes no code path: every wrapped libc call
 * goes straight to the real one, and the probe only adds up how long the process spent inside
 * them. What is left of the wall time is the program's own work, the figure the targets are
 * about ("time spent in-process outside sysfs and netlink system calls").
 *
 * --wrap applies to calls from our own objects only, so libxml2's, libnl's and libpci's
 * internal system calls count as our own time: the report errs on the side of overhead.
 *
 * At exit, one line goes to $VFH_BENCH_REPORT (appended) or to stderr:
 *   sysfs_reads=N sysfs_writes=N netlink_calls=N syscalls=N kernel_us=X netlink_us=X sync_us=X
 *   child_wait_us=X fork_us=X sleep_us=X lock_wait_us=X lock_hold_us=X wall_us=X own_us=X
 *   cpu_us=X own_cpu_us=X fork_cpu_us=X page_faults=N
 * sysfs_reads, sysfs_writes and netlink_calls are the library's own seam counters
 * (lib/internal.h). kernel_us is the time inside file and netlink system calls, netlink_us
 * the netlink part of it, sync_us the journal's fsync part. child_wait_us is the wait for the
 * detached writer of a blocking sysfs write (lib/sysfs_writer.c): the kernel's unbind or probe,
 * and the writer's start on the first such write. fork_us is the parent's side of those forks and
 * sleep_us the lock's polling sleeps. own_us = wall_us - kernel_us - child_wait_us - sleep_us: the
 * program's work, its forks included, and also any time the scheduler gave its CPU to someone
 * else. cpu_us is the process's CPU time (CLOCK_PROCESS_CPUTIME_ID, its children not
 * included) and own_cpu_us the part of it outside the file and netlink calls: the figure a
 * loaded machine cannot inflate; fork_cpu_us is the forks' share of it. page_faults are the
 * process's minor and major faults from the probe's start (after the dynamic linker) to exit. The
 * lock figures are about the global lock, run_dir/lock (lib/journal.c): from the first flock
 * attempt to the one that got it, and from there to the close that released it. probe_model_enter()
 * and probe_model_leave() let a driver count a simulated kernel's time as kernel time
 * (bench/hook_model.c).
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct probe {
        double start_us, start_cpu_us;
        long start_faults;    /* minor and major page faults before main */
        double kernel_us;     /* file and netlink system calls */
        double kernel_cpu_us; /* the CPU time of those */
        double stamp_cpu_us;  /* the probe's own cost per call, outside the windows */
        double netlink_us;    /* socket, setsockopt, sendto, recv */
        double child_wait_us; /* waitpid and poll: the detached writer of an unbind/probe */
        double fork_us;       /* the parent's fork calls (own time) */
        double fork_cpu_us;   /* their CPU time (part of own_cpu_us) */
        double sleep_us;      /* nanosleep: the lock's polling */
        double sync_us;       /* fsync: the journal's durability (part of kernel_us) */
        unsigned long syscalls;
        int lock_fd;         /* the global lock's descriptor, -1 when not open */
        int writer_fd_plus1; /* the deadline writer's socket + 1, 0 before it starts */
        double lock_try_us, lock_got_us;
        double lock_wait_us, lock_hold_us;
        struct vfh_counters counters;
        vfh_ctx *ctx;
        bool reported;
};

static struct probe probe = {.lock_fd = -1};

/* VFH_BENCH_CLOCK=wall: a wrapped call reads only the wall clock (the vDSO, no system call),
 * and its wall time counts as its CPU time. Reading the CPU clock is itself a system call, two
 * per wrapped call; their cost outside the windows is calibrated out, but that estimate comes
 * from a hot loop. On a quiet machine a file system call on tmpfs or sysfs does not sleep, so
 * its wall time is its CPU time; the calls that do wait (CHILD_WAIT, SLEEP) are not counted as
 * CPU either way. Preemption inside a call would count as kernel time: run it on a quiet host. */
static bool wall_only;

static double clock_us(clockid_t id)
{
        struct timespec ts;

        clock_gettime(id, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double now_us(void)
{
        return clock_us(CLOCK_MONOTONIC);
}

static double cpu_now_us(void)
{
        return clock_us(CLOCK_PROCESS_CPUTIME_ID);
}

/* When a wrapped call began, on the wall clock and on the process's CPU clock. */
struct stamp {
        double wall, cpu;
};

static struct stamp stamp_now(void)
{
        double wall = now_us();

        return (struct stamp){wall, wall_only ? wall : cpu_now_us()};
}

/* The end of a call on the clock its start was read on. */
static double cpu_or_wall_now_us(void)
{
        return wall_only ? now_us() : cpu_now_us();
}

enum kind { PLAIN, NETLINK, CHILD_WAIT, FORK, SLEEP, SYNC };

static void account(struct stamp t0, enum kind kind)
{
        double spent = now_us() - t0.wall;

        double cpu = cpu_or_wall_now_us() - t0.cpu;

        if (kind == FORK)
                probe.fork_cpu_us += cpu;
        else if (!wall_only || (kind != CHILD_WAIT && kind != SLEEP))
                probe.kernel_cpu_us += cpu;
        probe.syscalls++;
        switch (kind) {
        case NETLINK:
                probe.netlink_us += spent;
                probe.kernel_us += spent;
                break;
        case CHILD_WAIT:
                probe.child_wait_us += spent;
                break;
        case FORK:
                probe.fork_us += spent;
                break;
        case SLEEP:
                probe.sleep_us += spent;
                break;
        case SYNC:
                probe.sync_us += spent;
                probe.kernel_us += spent;
                break;
        default:
                probe.kernel_us += spent;
        }
}

/* A simulated kernel's work in this process (bench/hook_model.c) is kernel time, whatever
 * system calls it makes itself, and none of them is ours. */
static struct {
        struct stamp t0;
        double kernel_us, kernel_cpu_us;
        unsigned long syscalls;
} model;

void probe_model_enter(void);
void probe_model_enter(void)
{
        model.t0 = stamp_now();
        model.kernel_us = probe.kernel_us;
        model.kernel_cpu_us = probe.kernel_cpu_us;
        model.syscalls = probe.syscalls;
}

void probe_model_leave(void);
void probe_model_leave(void)
{
        probe.kernel_us = model.kernel_us + (now_us() - model.t0.wall);
        probe.kernel_cpu_us = model.kernel_cpu_us + (cpu_or_wall_now_us() - model.t0.cpu);
        probe.syscalls = model.syscalls;
}

static long page_faults(void)
{
        struct rusage ru;

        return getrusage(RUSAGE_SELF, &ru) < 0 ? 0 : ru.ru_minflt + ru.ru_majflt;
}

static void report(void)
{
        const char *path = getenv("VFH_BENCH_REPORT");
        double wall = now_us() - probe.start_us, cpu = cpu_now_us() - probe.start_cpu_us;
        FILE *out = path ? fopen(path, "ae") : NULL;

        if (probe.reported)
                return;
        probe.reported = true;
        if (probe.ctx)
                probe.counters = probe.ctx->counters;

        fprintf(out ? out : stderr,
                "sysfs_reads=%lu sysfs_writes=%lu netlink_calls=%lu syscalls=%lu kernel_us=%.0f "
                "netlink_us=%.0f sync_us=%.0f child_wait_us=%.0f fork_us=%.0f sleep_us=%.0f "
                "lock_wait_us=%.0f "
                "lock_hold_us=%.0f wall_us=%.0f own_us=%.0f cpu_us=%.0f own_cpu_us=%.0f "
                "fork_cpu_us=%.0f page_faults=%ld\n",
                probe.counters.sysfs_reads, probe.counters.sysfs_writes,
                probe.counters.netlink_calls, probe.syscalls, probe.kernel_us, probe.netlink_us,
                probe.sync_us, probe.child_wait_us, probe.fork_us, probe.sleep_us,
                probe.lock_wait_us, probe.lock_hold_us, wall,
                wall - probe.kernel_us - probe.child_wait_us - probe.sleep_us, cpu,
                cpu - probe.kernel_cpu_us - (double)probe.syscalls * probe.stamp_cpu_us,
                probe.fork_cpu_us, page_faults() - probe.start_faults);
        if (out)
                fclose(out);
}

/* Each stamp reads the CPU clock, itself a system call: the part of that cost which falls
 * outside the measured windows would pass for the program's own time. Measured once, on calls
 * that do nothing, and taken off per wrapped call. */
static void calibrate(void)
{
        enum { N = 2000 };
        double inside = 0, before = cpu_now_us();

        for (int i = 0; i < N; i++) {
                struct stamp t0 = stamp_now();

                (void)now_us();
                inside += cpu_now_us() - t0.cpu;
        }
        probe.stamp_cpu_us = (cpu_now_us() - before - inside) / N;
        if (probe.stamp_cpu_us < 0)
                probe.stamp_cpu_us = 0;
}

__attribute__((constructor)) static void probe_start(void)
{
        const char *clock = getenv("VFH_BENCH_CLOCK");

        wall_only = clock && strcmp(clock, "wall") == 0;
        if (!wall_only)
                calibrate();
        probe.start_faults = page_faults();
        probe.start_us = now_us();
        probe.start_cpu_us = cpu_now_us();
        atexit(report);
}

/* The context's counters die with it: keep the last ones we saw. */
int __real_vfh_ctx_new(vfh_ctx **ret);
int __wrap_vfh_ctx_new(vfh_ctx **ret);
int __wrap_vfh_ctx_new(vfh_ctx **ret)
{
        int r = __real_vfh_ctx_new(ret);

        if (r >= 0)
                probe.ctx = *ret;
        return r;
}

vfh_ctx *__real_vfh_ctx_unref(vfh_ctx *ctx);
vfh_ctx *__wrap_vfh_ctx_unref(vfh_ctx *ctx);
vfh_ctx *__wrap_vfh_ctx_unref(vfh_ctx *ctx)
{
        if (ctx && ctx == probe.ctx && ctx->refcount == 1) {
                probe.counters = ctx->counters;
                probe.ctx = NULL;
        }
        return __real_vfh_ctx_unref(ctx);
}

/* One wrapper per call: declare the real one, time it, account it. */
#define WRAP(kind, ret_type, name, params, args)                                                   \
        ret_type __real_##name params;                                                             \
        ret_type __wrap_##name params;                                                             \
        ret_type __wrap_##name params                                                              \
        {                                                                                          \
                struct stamp t0 = stamp_now();                                                     \
                ret_type r = __real_##name args;                                                   \
                account(t0, kind);                                                                 \
                return r;                                                                          \
        }

WRAP(PLAIN, ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))
WRAP(PLAIN, ssize_t, pread, (int fd, void *buf, size_t n, off_t off), (fd, buf, n, off))
WRAP(PLAIN, ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))
WRAP(PLAIN, ssize_t, readlinkat, (int dirfd, const char *path, char *buf, size_t n),
     (dirfd, path, buf, n))
WRAP(PLAIN, DIR *, fdopendir, (int fd), (fd))
WRAP(PLAIN, struct dirent *, readdir, (DIR * dir), (dir))
WRAP(PLAIN, int, closedir, (DIR * dir), (dir))
WRAP(PLAIN, int, fstat, (int fd, struct stat *st), (fd, st))
WRAP(SYNC, int, fsync, (int fd), (fd))
WRAP(PLAIN, int, mkdirat, (int dirfd, const char *path, mode_t mode), (dirfd, path, mode))
WRAP(PLAIN, int, unlinkat, (int dirfd, const char *path, int flags), (dirfd, path, flags))
WRAP(PLAIN, int, renameat, (int a, const char *pa, int b, const char *pb), (a, pa, b, pb))
WRAP(PLAIN, int, pipe2, (int fds[2], int flags), (fds, flags))
WRAP(FORK, pid_t, fork, (void), ())
WRAP(SLEEP, int, nanosleep, (const struct timespec *req, struct timespec *rem), (req, rem))
WRAP(CHILD_WAIT, pid_t, waitpid, (pid_t pid, int *status, int options), (pid, status, options))
WRAP(CHILD_WAIT, int, poll, (struct pollfd * fds, nfds_t n, int timeout), (fds, n, timeout))
WRAP(NETLINK, int, socket, (int domain, int type, int protocol), (domain, type, protocol))
WRAP(NETLINK, int, setsockopt, (int fd, int level, int name, const void *v, socklen_t len),
     (fd, level, name, v, len))
WRAP(NETLINK, ssize_t, sendto,
     (int fd, const void *buf, size_t n, int flags, const struct sockaddr *to, socklen_t len),
     (fd, buf, n, flags, to, len))

/* The deadline writer's socket (lib/sysfs_writer.c) is not netlink: a verdict read from it ends
 * the wait for the kernel's unbind or probe. The request sent to it counts as our own time. */
int __real_socketpair(int domain, int type, int protocol, int fds[2]);
int __wrap_socketpair(int domain, int type, int protocol, int fds[2]);
int __wrap_socketpair(int domain, int type, int protocol, int fds[2])
{
        int r = __real_socketpair(domain, type, protocol, fds);

        if (r == 0)
                probe.writer_fd_plus1 = fds[0] + 1;
        return r;
}

ssize_t __real_recv(int fd, void *buf, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags)
{
        struct stamp t0 = stamp_now();
        ssize_t r = __real_recv(fd, buf, n, flags);

        account(t0, fd + 1 == probe.writer_fd_plus1 ? CHILD_WAIT : NETLINK);
        return r;
}

/* The global lock: its descriptor is the one openat gave for "lock" (see __wrap_openat). */
int __real_flock(int fd, int op);
int __wrap_flock(int fd, int op);
int __wrap_flock(int fd, int op)
{
        struct stamp t0 = stamp_now();
        int r = __real_flock(fd, op);

        account(t0, PLAIN);
        if (fd == probe.lock_fd && (op & LOCK_EX)) {
                if (probe.lock_try_us == 0)
                        probe.lock_try_us = t0.wall;
                if (r == 0) {
                        probe.lock_got_us = now_us();
                        probe.lock_wait_us += probe.lock_got_us - probe.lock_try_us;
                        probe.lock_try_us = 0;
                }
        }
        return r;
}

int __real_close(int fd);
int __wrap_close(int fd);
int __wrap_close(int fd)
{
        struct stamp t0 = stamp_now();
        int r = __real_close(fd);

        account(t0, PLAIN);
        if (fd == probe.lock_fd) {
                if (probe.lock_got_us > 0)
                        probe.lock_hold_us += now_us() - probe.lock_got_us;
                probe.lock_got_us = 0;
                probe.lock_try_us = 0;
                probe.lock_fd = -1;
        }
        return r;
}

/* The variadic ones: the mode only exists when the flags create a file. */
int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
        mode_t mode = 0;
        struct stamp t0;
        int r;

        if (flags & (O_CREAT | O_TMPFILE)) {
                va_list ap;

                va_start(ap, flags);
                mode = va_arg(ap, mode_t);
                va_end(ap);
        }
        t0 = stamp_now();
        r = __real_openat(dirfd, path, flags, mode);
        account(t0, PLAIN);
        if (r >= 0 && strcmp(path, "lock") == 0)
                probe.lock_fd = r;
        return r;
}

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
        mode_t mode = 0;
        struct stamp t0;
        int r;

        if (flags & (O_CREAT | O_TMPFILE)) {
                va_list ap;

                va_start(ap, flags);
                mode = va_arg(ap, mode_t);
                va_end(ap);
        }
        t0 = stamp_now();
        r = __real_open(path, flags, mode);
        account(t0, PLAIN);
        return r;
}

/* The library calls syscall(2) for openat2 only (lib/sysfs.c), with four arguments. */
long __real_syscall(long number, ...);
long __wrap_syscall(long number, ...);
long __wrap_syscall(long number, ...)
{
        long a[4];
        va_list ap;
        struct stamp t0;
        long r;

        va_start(ap, number);
        for (size_t i = 0; i < ARRAY_SIZE(a); i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        t0 = stamp_now();
        r = __real_syscall(number, a[0], a[1], a[2], a[3]);
        account(t0, PLAIN);
        return r;
}
