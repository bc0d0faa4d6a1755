/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The detached writer behind sysfs_write_deadline.
 *
 * A store to unbind or drivers_probe can block in a driver, uninterruptibly: such a task
 * ignores even SIGKILL, and a thread stuck so would keep the whole process from exiting, so
 * only a separate process lets the caller give up and return. Forking one per write cost two
 * forks per unbind or probe (most of a hook's own CPU time), so one writer now serves a context
 * for as long as it answers in time: requests and verdicts travel over a socketpair. A writer
 * that misses a deadline is abandoned (it exits when the driver lets it go and it finds the
 * socket closed) and the next write forks a fresh one.
 *
 * The writer is a grandchild that belongs to init, and it keeps no descriptor but its socket
 * and the sysroot: a stuck writer must not hold the caller's lock files or the pipes libvirtd
 * reads the hook's output from, or libvirtd would wait on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* A request is the path, a NUL, then the value; a verdict is one int32_t (0 or -errno). */
#define REQUEST_MAX (PATH_MAX + 256)

/* Closes every descriptor from 3 up except keep_low and keep_high (keep_low may be -1). */
static void close_all_but(int keep_low, int keep_high)
{
        const int keep[] = {keep_low, keep_high};
        int next = 3;

        for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
                if (keep[i] < next)
                        continue;
                if (keep[i] > next)
                        close_range((unsigned int)next, (unsigned int)keep[i] - 1, 0);
                next = keep[i] + 1;
        }
        close_range((unsigned int)next, ~0U, 0);
}

static void stdio_to_null(void)
{
        int fd = open("/dev/null", O_RDWR);

        if (fd < 0)
                return;
        for (int i = 0; i <= 2; i++)
                if (fd != i)
                        dup2(fd, i);
        if (fd > 2)
                close(fd);
}

/* The writer's life: one request, one write, one verdict, until the socket closes. */
_Noreturn static void writer_serve(vfh_ctx *ctx, int sock)
{
        char request[REQUEST_MAX + 1];

        stdio_to_null();
        if (sock < ctx->sysroot_fd)
                close_all_but(sock, ctx->sysroot_fd);
        else
                close_all_but(ctx->sysroot_fd, sock);
        for (;;) {
                ssize_t n = recv(sock, request, REQUEST_MAX, 0);
                size_t path_len;
                int32_t verdict;

                if (n <= 0)
                        _exit(0);
                request[n] = '\0';
                path_len = strlen(request);
                if (path_len == (size_t)n)
                        verdict = -EBADMSG;
                else
                        verdict = sysfs_write_path(ctx, request + path_len + 1, request);
                if (send(sock, &verdict, sizeof(verdict), MSG_NOSIGNAL) < 0)
                        _exit(0);
        }
}

/* Forks the writer as a grandchild, so nobody has to reap it when it is abandoned. */
static int writer_start(vfh_ctx *ctx)
{
        int pair[2], status;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                int r = negative_errno();
                close(pair[0]);
                close(pair[1]);
                return r;
        }
        if (pid == 0) {
                close(pair[0]);
                if (fork() != 0)
                        _exit(0);
                writer_serve(ctx, pair[1]);
        }
        close(pair[1]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        ctx->writer_fd = pair[0];
        return 0;
}

void sysfs_writer_stop(vfh_ctx *ctx)
{
        if (ctx->writer_fd >= 0)
                close(ctx->writer_fd);
        ctx->writer_fd = -1;
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the writer's verdict until the deadline: -ETIMEDOUT when none came, -EIO when the
 * writer died without one (the write may or may not be done). */
static int wait_for_verdict(int fd, unsigned int timeout_ms, int32_t *verdict)
{
        long long deadline = now_ms() + timeout_ms;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};

        for (;;) {
                long long left = deadline - now_ms();
                int r;

                if (left <= 0)
                        return -ETIMEDOUT;
                r = poll(&pfd, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return negative_errno();
                if (r > 0)
                        break;
        }
        if (recv(fd, verdict, sizeof(*verdict), 0) != (ssize_t)sizeof(*verdict))
                return -EIO;
        return 0;
}

/* Hands the request to the context's writer; a writer found dead before it took the request is
 * replaced once, as nothing was written yet. */
static int writer_send(vfh_ctx *ctx, const char *request, size_t len)
{
        for (int attempt = 0;; attempt++) {
                int r;

                if (ctx->writer_fd < 0) {
                        r = writer_start(ctx);
                        if (r < 0)
                                return r;
                }
                if (send(ctx->writer_fd, request, len, MSG_NOSIGNAL) == (ssize_t)len)
                        return 0;
                r = negative_errno();
                sysfs_writer_stop(ctx);
                if (attempt > 0 || (r != -EPIPE && r != -ECONNRESET))
                        return r;
        }
}

int sysfs_writer_write(vfh_ctx *ctx, unsigned int timeout_ms, const char *value, const char *path)
{
        char request[REQUEST_MAX];
        size_t path_len = strlen(path), value_len = strlen(value);
        int32_t verdict;
        int r;

        if (path_len + 1 + value_len > sizeof(request))
                return -E2BIG;
        memcpy(request, path, path_len + 1);
        memcpy(request + path_len + 1, value, value_len);
        r = writer_send(ctx, request, path_len + 1 + value_len);
        if (r < 0)
                return r;
        r = wait_for_verdict(ctx->writer_fd, timeout_ms, &verdict);
        if (r < 0) {
                sysfs_writer_stop(ctx); /* stuck or gone: never reuse it */
                return r;
        }
        return verdict;
}
