/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qemu hook as libvirt runs it: /etc/libvirt/hooks/qemu.d/vfiohook. libvirt runs it five
 * times per guest (prepare, start, started, stopped, release) and two of those need nothing
 * from us. Starting a process that maps libxml2 (with ICU and libstdc++), libnl and libpci
 * costs about four times what an empty program costs (docs/PERFORMANCE.md), so this front
 * links only libc: it answers started and stopped itself and execs the worker (hooks/qemu.c)
 * with the same argv, environment and stdin for every other operation, including any that a
 * later libvirt adds. For start it first reads the XML: a domain with no VF interface has
 * nothing for start (lib/start_scan.h), which spares most guests a third worker.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "internal.h"
#include "model.h"
#include "start_scan.h"

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

/* Reads at most one byte more than the worker accepts (it refuses that as too large) and
 * drains the rest, if the read stopped short of the end. */
static int read_domain_xml(char **ret, size_t *len)
{
        int r = fd_read_up_to(STDIN_FILENO, VFH_XML_MAX_SIZE + 1, ret, len);

        if (r < 0 || *len > VFH_XML_MAX_SIZE)
                drain_stdin();
        return r;
}

/* The worker reads the XML from stdin, which the front has consumed: give it the same bytes
 * as a file. */
static int replace_stdin(const char *xml, size_t len)
{
        int fd = memfd_create("vfiohook-domain-xml", 0), r;

        if (fd < 0)
                return -errno;
        r = fd_write_all(fd, xml, len);
        if (r >= 0 && lseek(fd, 0, SEEK_SET) < 0)
                r = -errno;
        if (r >= 0 && dup2(fd, STDIN_FILENO) < 0)
                r = -errno;
        close(fd);
        return r;
}

static int report(const char *domain, const char *op, int err, const char *what, const char *remedy)
{
        openlog(HOOK_NAME, LOG_PID, LOG_DAEMON);
        syslog(LOG_ERR, "domain %s: %s failed: %s: %s; %s", domain, op, what, strerror(err),
               remedy);
        closelog();
        fprintf(stderr, HOOK_NAME ": %s: %s: %s: %s; %s\n", domain, op, what, strerror(err),
                remedy);
        return op_may_fail(op) ? 1 : 0;
}

static int exec_worker(char **argv)
{
        int err;

        execv(VFH_QEMU_WORKER, argv);
        err = errno;
        drain_stdin();
        return report(argv[1], argv[2], err, "cannot run " VFH_QEMU_WORKER, "reinstall vfiohook");
}

static int start(char **argv)
{
        const char *remedy = "check the host's free memory and start the guest again";
        char *xml = NULL;
        size_t len = 0;
        int r = read_domain_xml(&xml, &len);

        if (r < 0)
                return report(argv[1], argv[2], -r, "cannot read the domain XML", remedy);
        if (len <= VFH_XML_MAX_SIZE && !start_may_have_work(xml, len)) {
                free(xml);
                return 0; /* no VF interface: nothing for start */
        }
        r = replace_stdin(xml, len);
        free(xml);
        if (r < 0)
                return report(argv[1], argv[2], -r, "cannot pass the domain XML to the worker",
                              remedy);
        return exec_worker(argv);
}

int main(int argc, char **argv)
{
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
        if (strcmp(argv[2], "start") == 0)
                return start(argv);
        return exec_worker(argv);
}
