/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qemu hook as libvirt runs it: /etc/libvirt/hooks/qemu.d/vfiohook. libvirt runs it five
 * times per guest (prepare, start, started, stopped, release) and two of those need nothing
 * from us. Starting a process that maps libxml2 (with ICU and libstdc++), libnl and libpci
 * costs about four times what an empty program costs (docs/PERFORMANCE.md), so this front
 * links only libc: it answers started and stopped itself and execs the worker (hooks/qemu.c)
 * with the same argv, environment and stdin for every other operation, including any that a
 * later libvirt adds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#ifndef VFH_QEMU_WORKER
#error "VFH_QEMU_WORKER (the worker's absolute path) is set by CMakeLists.txt"
#endif

#define HOOK_NAME "vfiohook"

/* What the worker does for these is logging at most (hooks/qemu.c run()). */
static bool op_is_ours(const char *op)
{
        return strcmp(op, "started") == 0 || strcmp(op, "stopped") == 0;
}

/* As in the worker: only a failing prepare or start stops the guest. */
static bool op_may_fail(const char *op)
{
        return strcmp(op, "prepare") == 0 || strcmp(op, "start") == 0;
}

/* libvirt writes the XML into a pipe: read it all so it never writes into a closed one. */
static void drain_stdin(void)
{
        char buf[16384];
        ssize_t n;

        while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
                ;
}

int main(int argc, char **argv)
{
        int err;

        if (argc < 3)
                return 0; /* not libvirt's call: nothing to do, never break a start */
        if (op_is_ours(argv[2])) {
                drain_stdin();
                if (strcmp(argv[2], "started") == 0) {
                        openlog(HOOK_NAME, LOG_PID, LOG_DAEMON);
                        syslog(LOG_INFO, "domain %s: started", argv[1]);
                        closelog();
                }
                return 0;
        }
        execv(VFH_QEMU_WORKER, argv);
        err = errno;
        drain_stdin();
        openlog(HOOK_NAME, LOG_PID, LOG_DAEMON);
        syslog(LOG_ERR, "domain %s: %s failed: cannot run %s: %s; reinstall vfiohook", argv[1],
               argv[2], VFH_QEMU_WORKER, strerror(err));
        closelog();
        fprintf(stderr, HOOK_NAME ": %s: %s: cannot run %s: %s; reinstall vfiohook\n", argv[1],
                argv[2], VFH_QEMU_WORKER, strerror(err));
        return op_may_fail(argv[2]) ? 1 : 0;
}
