/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The planner: from a parsed domain, the host's sysfs facts and the host config, everything
 * one qemu hook call (prepare or start) would change, and every reason it must refuse. It
 * reads and changes nothing else, so `vfiohookctl plan` can show it as a dry run and the hook
 * can refuse before its first change.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "group.h"
#include "model.h"
#include "vf.h"

/* DESIGN.md §1: prepare sees the devices the XML names; start also sees the VFs libvirt took
 * from a pool (rewritten to <interface type='hostdev'> with an address). */
enum plan_phase {
        PLAN_PREPARE,
        PLAN_START,
};

const char *plan_phase_name(enum plan_phase phase);

enum plan_source {
        PLAN_SOURCE_HOSTDEV,   /* <hostdev mode='subsystem' type='pci'> */
        PLAN_SOURCE_INTERFACE, /* <interface type='hostdev'> (explicit, or a pool VF at start) */
};

/* One group member and what happens to it. */
struct plan_member {
        char name[PCI_ADDR_STRLEN];
        char driver_now[PCI_NAME_MAX]; /* "" when unbound */
        bool bridge;                   /* left alone */
        bool by_libvirt;               /* managed='yes' primary: libvirt binds it, not us */
        bool bind;                     /* we move it to the plan device's driver */
};

/* A passthrough PCI device of the domain: its group, and for a VF its settings. */
struct plan_device {
        enum plan_source source;
        char name[PCI_ADDR_STRLEN];
        struct pci_addr addr;
        bool managed;                /* libvirt detaches and reattaches this device itself */
        char driver[PCI_NAME_MAX];   /* vfio-pci or the <driver model=…/> variant */
        unsigned int line;           /* the element's line in the domain XML */
        int group;                   /* IOMMU group number, -1 when unknown */
        struct plan_member *members; /* the group, sorted by address */
        size_t n_members;
        struct pci_group *grp; /* the group as read and checked for the plan, or NULL */
        bool is_vf;
        struct vf_ref vf;             /* when is_vf */
        struct vf_settings vf_now;    /* what the kernel reports (mask = reported) */
        struct vf_settings vf_want;   /* what we ask for, after the ownership rules of §5 */
        const char *vf_settings_from; /* "metadata", "pool", "[pf] config", … for messages */
};

/* <hostdev type='mdev'> with our vfh:mdev request. */
struct plan_mdev {
        char uuid[VFH_UUID_STRLEN];
        char parent[PCI_ADDR_STRLEN * 4];
        char type[128];
        bool exists; /* /sys/bus/mdev/devices/UUID is there: left alone, never removed */
};

/* A VF libvirt will take from a hostdev pool after prepare: known only by its network. */
struct plan_pool_pending {
        char network[256];
        char mac[MAC_ADDR_STRLEN]; /* "" when the XML gives none */
};

struct plan_refusal {
        char device[64];            /* an address, an mdev uuid or a network name */
        char reason[VFH_ERROR_MAX]; /* one line: device, step, cause, what to do */
};

struct plan {
        enum plan_phase phase;
        char domain[JOURNAL_NAME_MAX];
        char uuid[VFH_UUID_STRLEN];
        struct plan_device *devices;
        size_t n_devices;
        struct plan_mdev *mdevs;
        size_t n_mdevs;
        struct plan_pool_pending *pending; /* prepare only: pool VFs still to be allocated */
        size_t n_pending;
        struct plan_refusal *refusals;
        size_t n_refusals;
        /* Other owners' journals as far as the plan read them (its own owner's skipped), for
         * the apply that follows under the same journal_lock: nobody else writes one meanwhile. */
        struct journal_claims *claims;
};

/*
 * Builds the plan of one phase. Every problem of a device (host-critical, denied by config,
 * claimed by another running domain, a PF with VFs, an unknown VFIO driver, a VF the kernel
 * does not know, an mdev without parent or type) becomes a refusal and planning goes on, so
 * the caller sees all of them. Returns 0 (refusals included) or -errno when the host cannot
 * be read at all; *ret is NULL then.
 */
int plan_build(vfh_ctx *ctx, const struct vfh_domain *dom, const struct vfh_config *cfg,
               enum plan_phase phase, struct plan **ret);
void plan_free(struct plan *plan);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct plan *, plan_free)
#define _cleanup_plan_ _cleanup_(plan_freep)

/* True when the domain has nothing vfiohook acts on (no PCI hostdev, no hostdev interface or
 * pool interface, no vfh:mdev): the hooks exit at once for such guests. */
bool plan_domain_is_passthrough_free(const struct vfh_domain *dom);

/* The journal owner id of a domain: its UUID (the name when the XML has no UUID). */
const char *plan_owner_id(const struct vfh_domain *dom);
