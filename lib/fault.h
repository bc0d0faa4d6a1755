/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection at the two seams (test builds only): the Nth sysfs write or netlink request
 * of a process fails, or the process SIGKILLs itself just before or just after it, so tests can
 * crash a hook at every step it takes and check that release or recover puts the host back.
 *
 *   VFH_FAULT=SEAM:N:ACTION
 *     SEAM    sysfs-write | netlink | any (one count over both seams, in program order)
 *     N       1-based number of the operation, counted per process from its start
 *     ACTION  fail (the operation is not made and returns -EIO), fail=EBUSY (or another errno
 *             name: EIO EBUSY EAGAIN ENODEV EPERM ETIMEDOUT ENOMEM ENOSPC), kill (SIGKILL
 *             before the operation), kill-after (the operation is made, then SIGKILL)
 *   VFH_FAULT_REPORT=FILE
 *     "fire SEAM N ACTION WHAT" is appended when the fault fires (before a kill), and at a
 *     normal exit "counts sysfs-write=W netlink=L any=W+L": how many operations passed the
 *     seams, so a test can loop N from 1 to any.
 *
 * A VFH_FAULT that does not parse makes every seam operation fail with -EINVAL, so a test with
 * a typo cannot pass by injecting nothing.
 */
#pragma once

enum fault_seam {
        FAULT_SYSFS_WRITE,
        FAULT_NETLINK,
};

#ifdef VFH_TEST_BUILD
/* Counts one operation of seam about to be made. 0: make it; -errno: fail it with that. Does
 * not return when the fault is a kill. what names the operation (a path) for the report. */
int fault_before(enum fault_seam seam, const char *what);
/* After the operation counted by the last fault_before(): SIGKILL when that was the target of
 * a kill-after. */
void fault_after(enum fault_seam seam);
/* Appends the counts line to VFH_FAULT_REPORT now (done at exit too, when a report is asked
 * for): for a process that leaves with _exit(). */
void fault_report_counts(void);
/* Forgets the parsed VFH_FAULT and the counts, so a unit test can set another. */
void fault_reset(void);
/* The operations counted so far: one seam, or both. */
unsigned long fault_count(enum fault_seam seam);
unsigned long fault_count_any(void);
#else
static inline int fault_before(enum fault_seam seam, const char *what)
{
        (void)seam, (void)what;
        return 0;
}
static inline void fault_after(enum fault_seam seam)
{
        (void)seam;
}
#endif
