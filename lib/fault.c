/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection at the sysfs and netlink seams, compiled only into test builds (see fault.h
 * for VFH_FAULT and VFH_FAULT_REPORT). Counts are per process, not per context: a hook may
 * build several contexts, and a crash test needs one numbering of everything it did.
 */
#ifdef VFH_TEST_BUILD

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "macro.h"

enum fault_action {
        FAULT_NONE,
        FAULT_FAIL,
        FAULT_KILL,
        FAULT_KILL_AFTER,
        FAULT_INVALID, /* VFH_FAULT did not parse: fail everything */
};

#define FAULT_ANY 2 /* the seam field of a spec that counts both seams */

static struct {
        bool loaded;
        pid_t pid; /* the process that read the environment: forked children do not report */
        int seam;  /* enum fault_seam or FAULT_ANY */
        unsigned long nth;
        enum fault_action action;
        int error;
        unsigned long count[2];
        unsigned long any;
} fault;

static const char *const seam_names[] = {"sysfs-write", "netlink", "any"};

static const struct {
        const char *name;
        int value;
} errno_names[] = {
    {"EIO", EIO},     {"EBUSY", EBUSY},         {"EAGAIN", EAGAIN}, {"ENODEV", ENODEV},
    {"EPERM", EPERM}, {"ETIMEDOUT", ETIMEDOUT}, {"ENOMEM", ENOMEM}, {"ENOSPC", ENOSPC},
};

static int parse_seam(const char *s, size_t len)
{
        for (size_t i = 0; i < ARRAY_SIZE(seam_names); i++)
                if (strlen(seam_names[i]) == len && strncmp(s, seam_names[i], len) == 0)
                        return (int)i;
        return -1;
}

static int parse_errno_name(const char *s)
{
        for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
                if (strcmp(s, errno_names[i].name) == 0)
                        return errno_names[i].value;
        return 0;
}

static enum fault_action parse_action(const char *s, int *error)
{
        *error = EIO;
        if (strcmp(s, "fail") == 0)
                return FAULT_FAIL;
        if (strncmp(s, "fail=", 5) == 0)
                return (*error = parse_errno_name(s + 5)) ? FAULT_FAIL : FAULT_INVALID;
        if (strcmp(s, "kill") == 0)
                return FAULT_KILL;
        if (strcmp(s, "kill-after") == 0)
                return FAULT_KILL_AFTER;
        return FAULT_INVALID;
}

/* SEAM:N:ACTION */
static void parse_spec(const char *spec)
{
        const char *colon = strchr(spec, ':');
        char *end;

        fault.action = FAULT_INVALID;
        if (!colon || (fault.seam = parse_seam(spec, (size_t)(colon - spec))) < 0)
                return;
        errno = 0;
        fault.nth = strtoul(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end != ':' || fault.nth == 0)
                return;
        fault.action = parse_action(end + 1, &fault.error);
}

static void load(void)
{
        static bool exit_hooked;
        const char *spec = getenv("VFH_FAULT");

        fault.loaded = true;
        fault.pid = getpid();
        fault.action = FAULT_NONE;
        if (spec && *spec)
                parse_spec(spec);
        if (!exit_hooked && getenv("VFH_FAULT_REPORT")) {
                exit_hooked = true;
                atexit(fault_report_counts);
        }
}

static void report(const char *fmt, ...) _printf_(1, 2);
static void report(const char *fmt, ...)
{
        const char *path = getenv("VFH_FAULT_REPORT");
        _cleanup_fclose_ FILE *f = NULL;
        va_list ap;

        if (!path || !*path || !(f = fopen(path, "ae")))
                return;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
}

void fault_report_counts(void)
{
        if (!fault.loaded)
                load();
        if (getpid() != fault.pid)
                return;
        report("counts sysfs-write=%lu netlink=%lu any=%lu\n", fault.count[FAULT_SYSFS_WRITE],
               fault.count[FAULT_NETLINK], fault.any);
}

/* At start-up, so that a process which never reaches a seam still reports its zero counts. */
__attribute__((constructor)) static void load_at_start(void)
{
        if (getenv("VFH_FAULT") || getenv("VFH_FAULT_REPORT"))
                load();
}

static bool is_target(enum fault_seam seam)
{
        if (fault.action == FAULT_NONE || fault.action == FAULT_INVALID)
                return false;
        if (fault.seam == FAULT_ANY)
                return fault.any == fault.nth;
        return fault.seam == (int)seam && fault.count[seam] == fault.nth;
}

_Noreturn static void die(void)
{
        raise(SIGKILL);
        _exit(137); /* not reached: SIGKILL cannot be caught */
}

int fault_before(enum fault_seam seam, const char *what)
{
        if (!fault.loaded)
                load();
        if (fault.action == FAULT_INVALID)
                return -EINVAL;
        fault.count[seam]++;
        fault.any++;
        if (!is_target(seam))
                return 0;
        report("fire %s %lu %s %s\n", seam_names[seam],
               fault.seam == FAULT_ANY ? fault.any : fault.count[seam],
               fault.action == FAULT_FAIL   ? "fail"
               : fault.action == FAULT_KILL ? "kill"
                                            : "kill-after",
               what ? what : "");
        if (fault.action == FAULT_KILL)
                die();
        return fault.action == FAULT_FAIL ? -fault.error : 0;
}

void fault_after(enum fault_seam seam)
{
        if (fault.action == FAULT_KILL_AFTER && is_target(seam))
                die();
}

void fault_reset(void)
{
        fault.loaded = false;
        fault.count[FAULT_SYSFS_WRITE] = fault.count[FAULT_NETLINK] = fault.any = 0;
}

unsigned long fault_count(enum fault_seam seam)
{
        return fault.count[seam];
}

unsigned long fault_count_any(void)
{
        return fault.any;
}

#endif /* VFH_TEST_BUILD */
