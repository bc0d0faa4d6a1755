/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SR-IOV VF settings: find a VF's PF netdev and index, read every VF of a PF in one
 * RTM_GETLINK, validate, apply with the originals saved, restore exactly those, and derive a
 * stable MAC for VFs that have none. All netlink goes through lib/netlink.c, all sysfs through
 * the sysroot seam.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "internal.h"

/* One VF as the kernel's SR-IOV netlink API addresses it: the PF's netdev and the VF index. */
struct vf_ref {
        char pf_netdev[IFNAMSIZ];
        unsigned int index;
        bool has_addr; /* false for VFs that are not PCI devices (netdevsim) */
        struct pci_addr addr;
        bool has_pf_addr;
        struct pci_addr pf_addr;
};

/* From a VF's PCI address: PF = physfn, netdev = physfn/net/… (several: chosen by
 * phys_port_id/phys_port_name), index = the PF's virtfnN that points back at the VF. */
int vf_resolve(vfh_ctx *ctx, const struct pci_addr *vf, struct vf_ref *ret);
/* From a PF netdev name and a VF index (the CLI's form). Fills addr when virtfnN exists. */
int vf_ref_from_netdev(vfh_ctx *ctx, const char *pf_netdev, unsigned int index, struct vf_ref *ret);
/* "VF 2 of eth1 (0000:01:10.4)" or "VF 63 of eni10np1". Returns buf. */
char *vf_ref_format(const struct vf_ref *vf, char *buf, size_t size);

/* The attributes, in the order vf_settings_apply() changes them (restore: the reverse). */
enum vf_attr {
        VF_ATTR_MAC = 1u << 0,
        VF_ATTR_VLAN = 1u << 1, /* vlan, qos and proto travel together, as in the kernel */
        VF_ATTR_SPOOFCHK = 1u << 2,
        VF_ATTR_TRUST = 1u << 3,
        VF_ATTR_LINK_STATE = 1u << 4,
        VF_ATTR_MIN_TX_RATE = 1u << 5,
        VF_ATTR_MAX_TX_RATE = 1u << 6,
        VF_ATTR_QUERY_RSS = 1u << 7,
};
#define VF_ATTRS_ALL 0xffu
/* DESIGN.md §5: for <interface type='hostdev'> and pool VFs libvirt sets and restores MAC and
 * VLAN itself, so the hooks clear these bits from what they apply. Plain <hostdev> VFs and the
 * CLI own them too. */
#define VF_ATTRS_LIBVIRT_OWNS (VF_ATTR_MAC | VF_ATTR_VLAN)

/* Values of IFLA_VF_LINK_STATE; ip-link calls them auto, enable, disable. */
enum vf_link_state {
        VF_LINK_STATE_AUTO = 0,
        VF_LINK_STATE_ENABLE = 1,
        VF_LINK_STATE_DISABLE = 2,
};

#define VF_VLAN_PROTO_8021Q  0x8100
#define VF_VLAN_PROTO_8021AD 0x88a8

struct vf_settings {
        unsigned int mask; /* enum vf_attr bits: which fields below hold a value */
        struct mac_addr mac;
        unsigned int vlan; /* 0..4095, 0 = none; wide so validation can refuse 70000 */
        unsigned int qos;  /* 0..7 */
        uint16_t proto;    /* VF_VLAN_PROTO_*, host order; 0 means 802.1Q */
        bool spoofchk;
        bool trust;
        enum vf_link_state link_state;
        uint32_t min_tx_rate; /* Mbit/s, 0 = no guarantee */
        uint32_t max_tx_rate; /* Mbit/s, 0 = no limit */
        bool query_rss;
};

/* Every VF of one PF, from one RTM_GETLINK with RTEXT_FILTER_VF. */
struct vf_pf_state {
        char pf_netdev[IFNAMSIZ];
        int ifindex;
        bool up; /* IFF_UP */
        unsigned int num_vfs;
        /* num_vfs entries indexed by VF number; mask = what the driver reported (spoofchk,
         * trust and query_rss are missing when the driver has no getter for them). */
        struct vf_settings *vfs;
};

int vf_pf_read(vfh_ctx *ctx, const char *pf_netdev, struct vf_pf_state *ret);
void vf_pf_state_clear(struct vf_pf_state *state);
int vf_read(vfh_ctx *ctx, const struct vf_ref *vf, struct vf_settings *ret);
/* The PF's driver (/sys/class/net/PF/device/driver): 0, or -errno with "unknown driver". */
int vf_pf_driver(vfh_ctx *ctx, const char *pf_netdev, char *buf, size_t size);
/* /sys/class/net/PF/speed in Mbit/s; -ENODATA while the link is down or the speed unknown. */
int vf_pf_speed_mbps(vfh_ctx *ctx, const char *pf_netdev, unsigned long *ret);

/* Refuses, before any change: multicast, broadcast or all-zero MAC; VLAN > 4095; QoS > 7;
 * a proto other than 802.1Q/802.1ad; min > max; rates above the PF's link speed (skipped,
 * with a log line, when the speed is unknown). */
int vf_settings_validate(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *want);

/* Reads the VF and validates want against it, without changing anything. saved receives the
 * current value of every attribute of want that differs (mask = exactly those): what a
 * caller journals before vf_settings_apply(). An attribute the driver does not report is
 * changed but cannot be saved (a warning says so); a VF the kernel reported nothing about is
 * refused. */
int vf_settings_prepare(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *want,
                        struct vf_settings *saved);
/* prepare, then one RTM_SETLINK per differing attribute (EBUSY/EAGAIN retried with backoff),
 * then reads back and fails on a mismatch. On failure, what it changed is rolled back. saved
 * as for prepare (may be NULL). */
int vf_settings_apply(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *want,
                      struct vf_settings *saved);
/* Sets the attributes of saved back, in reverse apply order, and verifies them. Tries every
 * attribute even after a failure; returns the first error. */
int vf_settings_restore(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *saved);

/*
 * The key=value vocabulary shared by the CLI, the metadata and the journal (ip-link(8) names):
 * mac, vlan, qos, proto (802.1Q|802.1ad), spoofchk=on|off, trust=on|off,
 * state=auto|enable|disable, min_tx_rate, max_tx_rate (Mbit/s), query_rss=on|off.
 * parse_field adds one key to s (-ENOENT unknown key, -EINVAL bad value; message on ctx).
 * qos and proto without vlan set vlan to 0 until vlan is parsed.
 */
int vf_settings_parse_field(vfh_ctx *ctx, struct vf_settings *s, const char *key,
                            const char *value);
typedef int (*vf_field_fn)(void *data, const char *key, const char *value);
/* Calls fn for every attribute in s->mask, in apply order, with canonical values (a VLAN
 * gives vlan, qos and proto). Stops at and returns fn's first negative result. */
int vf_settings_to_fields(const struct vf_settings *s, vf_field_fn fn, void *data);
/* The canonical value of one attribute bit of s, e.g. "off", "802.1ad", "100". */
const char *vf_settings_value(const struct vf_settings *s, unsigned int attr, char *buf,
                              size_t size);
const char *vf_attr_name(unsigned int attr);
const char *vf_link_state_name(enum vf_link_state state);

/* Our metadata's settings (lib/model.h, from lib/xml_meta.c) as what vf_settings_apply()
 * takes: what the metadata leaves out stays out of the mask. A VLAN without qos has qos 0, and
 * its protocol is 802.1Q (the metadata has no proto attribute). */
struct vfh_vf_settings;
void vf_settings_from_meta(const struct vfh_vf_settings *meta, struct vf_settings *ret);

/*
 * DESIGN.md §2: a plain <hostdev> VF without a MAC in want gets vf_stable_mac(uuid, VF
 * address) added to want: when always, whatever MAC it has; otherwise only when the PF
 * reports an all-zero MAC. Prefer always: on Linux 6.1, igbvf probing a VF with an all-zero
 * MAC picks a random one that the PF then reports, so after the first release and rebind
 * "all-zero" no longer tells an unset MAC (tests/vm/t-vf-igb.sh shows it). Returns 1 when it
 * added a MAC that differs from the VF's, 0 when want had one or the VF already has it,
 * -errno (a VF without a PCI address, a bad uuid).
 */
int vf_want_stable_mac(vfh_ctx *ctx, const struct vf_ref *vf, const char *uuid, bool always,
                       struct vf_settings *want);

/*
 * The journal's "vf" record (lib/vf_journal.c): device= (the VF's PCI address, when it has
 * one), pf=, vf= and the originals in the key=value vocabulary above. fill adds them to rec;
 * read finds the VF again (by device first: PF netdev names change on rebind) and parses the
 * originals; restore is read + vf_settings_restore.
 */
#define VF_JOURNAL_TYPE "vf"
struct journal_record;
int vf_journal_fill(struct journal_record *rec, const struct vf_ref *vf,
                    const struct vf_settings *saved);
int vf_journal_read(vfh_ctx *ctx, const struct journal_record *rec, struct vf_ref *vf,
                    struct vf_settings *saved);
int vf_journal_restore(vfh_ctx *ctx, const struct journal_record *rec);

/*
 * A locally administered unicast MAC for a plain <hostdev> VF that has none: 64-bit FNV-1a
 * over the 16 UUID bytes and the 4 bytes domain(be16) bus slot.function, then the splitmix64
 * finaliser; the MAC is the top 6 bytes with bit 1 of the first octet set (local) and bit 0
 * cleared (unicast). uuid is the canonical 36-character form or 32 hex digits, either case.
 */
int vf_stable_mac(const char *uuid, const struct pci_addr *addr, struct mac_addr *ret);
