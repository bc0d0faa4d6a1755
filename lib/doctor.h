/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl doctor: every way a host is not ready for VFIO passthrough or for vfiohook, found
 * by reading the host (through the sysroot seam) and reported as items with a verdict and a fix.
 * The checks never change anything.
 *
 * Sources: /sys, /proc/cmdline, /proc/cpuinfo, /proc/stat and /proc/PID/stat, /dev/kmsg (the
 * kernel log, read once without waiting), /dev/vfio, /lib/modules, /etc/libvirt, /run/libvirt,
 * and the journals, all resolved under the sysroot. The only thing run is the libvirt daemon's
 * own binary with --version (SYSROOT/usr/sbin/virtqemud or libvirtd).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "internal.h"

/* Worst last, so a report's verdict is the maximum of its items. */
enum doctor_status {
        DOCTOR_OK,
        DOCTOR_INFO, /* a fact worth knowing; nothing to do */
        DOCTOR_WARN, /* works, but something will bite */
        DOCTOR_FAIL, /* passthrough or vfiohook cannot work until fixed */
};

#define DOCTOR_CHECK_MAX   32
#define DOCTOR_SUBJECT_MAX 128
#define DOCTOR_TEXT_MAX    768

struct doctor_item {
        char check[DOCTOR_CHECK_MAX];     /* "iommu", "interrupt_remapping", … (snake_case) */
        char subject[DOCTOR_SUBJECT_MAX]; /* what it is about ("group 13", a path); "" = host */
        enum doctor_status status;
        char message[DOCTOR_TEXT_MAX];
        char fix[DOCTOR_TEXT_MAX]; /* "" when there is nothing to do */
};

struct doctor_report {
        struct doctor_item *items;
        size_t n_items;
        enum doctor_status verdict; /* the worst status of any item */
        int error;                  /* -ENOMEM when an item could not be added */
};

/* Where libvirt keeps what doctor inspects; tests point them elsewhere under the sysroot. */
struct doctor_opts {
        const char *hooks_dir;           /* NULL: /etc/libvirt/hooks */
        const char *qemu_conf;           /* NULL: /etc/libvirt/qemu.conf */
        const struct vfh_config *config; /* NULL: no policy (groups are checked without it) */
};

/* Runs every check. Fails only when memory runs out: a check that cannot read what it needs
 * says so in its item. */
int doctor_run(vfh_ctx *ctx, const struct doctor_opts *opts, struct doctor_report *ret);
void doctor_report_clear(struct doctor_report *report);

const char *doctor_status_name(enum doctor_status status); /* "ok", "info", "warn", "fail" */

/* "libvirtd (libvirt) 9.0.0" → 9, 0; -EINVAL when the text holds no version. */
int doctor_parse_libvirt_version(const char *text, unsigned int *major, unsigned int *minor);

/* A device on a VFIO driver, and who accounts for it: a journal's owner or a running libvirt
 * domain (its status file under /run/libvirt/qemu). held_by is "" when nobody does. */
struct doctor_vfio_dev {
        char address[16];
        char driver[64];
        char held_by[320]; /* "the journal of domain 'g1'", "libvirt domain 'g2'" */
};
int doctor_vfio_devices(vfh_ctx *ctx, struct doctor_vfio_dev **ret, size_t *n);

/* ---- between the doctor_*.c files ---- */

/* Appends an item; the message and fix are printf formats (fix may be NULL). Out of memory
 * sets report->error and drops the item; doctor_run then returns it. */
void doctor_add(struct doctor_report *report, const char *check, const char *subject,
                enum doctor_status status, const char *fix, const char *fmt, ...) _printf_(6, 7);

/* Reads a whole file under the sysroot (at most about max bytes), NUL-terminated. */
int doctor_read_file(vfh_ctx *ctx, const char *path, size_t max, char **ret);
/* The kernel log's messages ("DMAR: IOMMU enabled"), one per line; -errno when unreadable. */
int doctor_read_kernel_log(vfh_ctx *ctx, char **ret);

void doctor_check_kernel(vfh_ctx *ctx, struct doctor_report *report);
void doctor_check_libvirt(vfh_ctx *ctx, const struct doctor_opts *opts,
                          struct doctor_report *report);
void doctor_check_devices(vfh_ctx *ctx, const struct doctor_opts *opts,
                          struct doctor_report *report);
void doctor_check_journals(vfh_ctx *ctx, struct doctor_report *report);
