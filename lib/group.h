/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOMMU groups: their members, whether a group may be handed to a guest, and moving a whole
 * group to a VFIO driver and back, journaled step by step.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "journal.h"
#include "pci.h"

#define GROUP_MAX_MEMBERS 64
#define GROUP_REASON_MAX  512

struct pci_group {
        int number;
        struct pci_dev members[GROUP_MAX_MEMBERS]; /* sorted by address */
        size_t n_members;
};

/* Members of group N; -ENOENT with a message when it does not exist. */
int group_load(vfh_ctx *ctx, int number, struct pci_group *ret);
/* Same, reading only the parts of each member given (PCI_LOAD_*, lib/pci.h). */
int group_load_parts(vfh_ctx *ctx, int number, unsigned int parts, struct pci_group *ret);
/* group_load when one member, known, was just read whole (pci_dev_load): it is copied. */
int group_load_with(vfh_ctx *ctx, int number, const struct pci_dev *known, struct pci_group *ret);
/* The group of the device; -ENODEV when the device has none (no IOMMU). */
int group_of_device(vfh_ctx *ctx, const struct pci_addr *addr, struct pci_group *ret);
/* Every group number, sorted. */
int group_list_numbers(vfh_ctx *ctx, int **ret, size_t *n);

/* What detaching needs: the VFIO driver and whose journal records the changes. */
struct group_opts {
        const char *device;              /* the address asked for, for messages; NULL: none */
        const char *driver;              /* NULL: "vfio-pci"; else a VFIO variant driver */
        const struct vfh_config *config; /* NULL: no policy */
        const char *owner_id;            /* the journal doing the detach: its own claims pass */
        /* Other journals' claims as read once for the whole transaction (skipping owner_id's
         * own), valid because the transaction holds journal_lock throughout; NULL: each
         * group_check lists the run dir once for its members. */
        struct journal_claims *claims;
        /* Members libvirt binds itself (managed='yes' primaries, DESIGN.md §1): checked like
         * the others, never bound by group_detach. */
        const struct pci_addr *leave;
        size_t n_leave;
};

/* One member's verdict: why it blocks the detach, or "" when it does not. */
struct member_verdict {
        bool bridge; /* left alone */
        bool blocks;
        bool host_critical; /* blocks because of the host; force_host_critical may override */
        char reason[GROUP_REASON_MAX];
};

/*
 * Checks every member before anything changes: host-critical, policy, PF with VFs, driverctl
 * overrides, claims by another running owner, the driver being a VFIO driver.
 * verdicts (n_members entries, may be NULL) gets each member's story. Returns 0 when the
 * group may be detached, or -EPERM with the first reason as the context's error.
 */
int group_check(vfh_ctx *ctx, const struct pci_group *grp, const struct group_opts *opts,
                struct member_verdict *verdicts);

/* True when every endpoint is on a VFIO driver or unbound (the kernel's viability rule);
 * otherwise reason names the first member in the way. */
bool group_is_viable(vfh_ctx *ctx, const struct pci_group *grp, char *reason, size_t size);

/* Checks the driver name (vfio-pci or a VFIO variant) and loads its module if needed. */
int group_prepare_driver(vfh_ctx *ctx, const char *driver);

/*
 * group_check, then for every endpoint: journal intent, driver_override, unbind (under the
 * deadline), drivers_probe (under the deadline), verify the driver link; then verify
 * /dev/vfio/N. On failure the changes made so far are undone, newest first.
 */
int group_detach(vfh_ctx *ctx, const struct pci_group *grp, struct journal *j,
                 const struct group_opts *opts);

/*
 * Undoes the journal's bind records for the devices of this group, newest first: unbind,
 * restore the recorded driver_override, probe if a driver was bound before, and verify that
 * the recorded driver came back. Records that were restored are dropped from the journal.
 * Goes on after a failure and returns the first error.
 */
int group_reattach(vfh_ctx *ctx, const struct pci_group *grp, struct journal *j);

/* Restores one "bind" record (also used by recover and the hooks' release). */
int bind_record_restore(vfh_ctx *ctx, const struct journal_record *rec);

/* A process holding /dev/vfio/N open. */
struct vfio_holder {
        pid_t pid;
        int group; /* N */
        char comm[32];
};
int group_vfio_holders(vfh_ctx *ctx, int number, struct vfio_holder **ret, size_t *n);
/* The holders of every group, one entry per process and group, from one pass over /proc. */
int group_vfio_holders_all(vfh_ctx *ctx, struct vfio_holder **ret, size_t *n);
