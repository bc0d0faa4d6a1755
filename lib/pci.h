/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PCI device model: what sysfs says about one device (identity, driver, IOMMU group,
 * SR-IOV relations, network and block devices below it), read through the sysroot seam, plus
 * names and capabilities from libpci.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "internal.h"
#include "pcilib.h"

#define PCI_NAME_MAX    64 /* driver names, reset methods */
#define PCI_MAX_NETDEVS 8
#define PCI_MAX_BLOCKS  16
#define PCI_IFNAME_MAX  16 /* IFNAMSIZ */
#define PCI_BLOCK_MAX   32

#define PCI_CLASS_BRIDGE_PCI 0x0604

struct pci_dev {
        struct pci_addr addr;
        char name[PCI_ADDR_STRLEN]; /* "0000:03:00.0" */
        uint16_t vendor;
        uint16_t device;
        uint32_t class; /* 24 bits: base, sub, prog-if */
        uint8_t header_type;
        bool has_config; /* the config file is there (libpci reads capabilities from it) */
        char driver[PCI_NAME_MAX];          /* "" when no driver is bound */
        char driver_override[PCI_NAME_MAX]; /* "" when none ("(null)" in sysfs) */
        int iommu_group;                    /* -1 without an IOMMU; see PCI_GROUP_NOT_READ */
        int numa_node;                      /* -1 when unknown */
        bool is_vf;
        struct pci_addr physfn; /* the PF, when is_vf */
        int vf_index;           /* N of the PF's virtfnN link, when is_vf */
        bool has_sriov;         /* a PF: sriov_totalvfs exists */
        unsigned int sriov_numvfs;
        unsigned int sriov_totalvfs;
        char reset_method[PCI_NAME_MAX]; /* "" when the kernel does not say */
        char netdevs[PCI_MAX_NETDEVS][PCI_IFNAME_MAX];
        size_t n_netdevs;
        char blocks[PCI_MAX_BLOCKS][PCI_BLOCK_MAX]; /* whole disks below the device: "sda" */
        size_t n_blocks;
};

/* Reads the device's attributes. -ENODEV (with a message) when it does not exist. */
int pci_dev_load(vfh_ctx *ctx, const struct pci_addr *addr, struct pci_dev *ret);
/* What pci_dev_load_parts may leave out (empty), for a listing that does not show it. Identity,
 * driver, IOMMU group, NUMA node, SR-IOV relations and netdevs are always read. */
enum {
        PCI_LOAD_OVERRIDE = 1 << 0, /* driver_override and reset_method */
        PCI_LOAD_BLOCKS = 1 << 1,   /* the disks below the device */
        PCI_LOAD_ALL = PCI_LOAD_OVERRIDE | PCI_LOAD_BLOCKS,
        /* Not a part but a shortcut, for a caller that loads the members of a group it listed
         * and only asks whether each has a group: the iommu_group link is not read, and
         * iommu_group is PCI_GROUP_NOT_READ when the directory listing shows the link. */
        PCI_LOAD_SKIP_GROUP_NUMBER = 1 << 8,
};
#define PCI_GROUP_NOT_READ (-2)
int pci_dev_load_parts(vfh_ctx *ctx, const struct pci_addr *addr, unsigned int parts,
                       struct pci_dev *ret);
/* Same, from "0000:03:00.0". -EINVAL (with a message) when the address is malformed. */
int pci_dev_load_name(vfh_ctx *ctx, const char *name, struct pci_dev *ret);

/* Bridges and root ports stay with the host: class 0x0604 or a type 1 header. */
bool pci_dev_is_bridge(const struct pci_dev *dev);

/* The driver currently bound, re-read from the "driver" link ("" when none). */
int pci_dev_current_driver(vfh_ctx *ctx, const char *name, char *buf, size_t size);

/* The VFs of a PF, ordered by VF index. *ret is malloc'ed; *n may be 0. */
int pci_dev_list_vfs(vfh_ctx *ctx, const struct pci_dev *pf, struct pci_addr **ret, size_t *n);

/*
 * The context caches /sys/block's links and the PFs' virtfn links, and reads them again after
 * any unbind, probe or sriov_numvfs write. For a write that is known to add no disk and no VF
 * anywhere (our unbind of dev, or our probe of dev with a VFIO driver as its override), the
 * caller passes ctx->counters.device_writes from before it: when that write was the only one
 * since the links were read, they stay, less the disks below dev (its driver took them away)
 * and dev's own virtfn links.
 */
void pci_links_keep_after(vfh_ctx *ctx, const char *dev, unsigned long writes_before);

/* Every PCI device under /sys/bus/pci/devices, sorted by address. */
int pci_list_all(vfh_ctx *ctx, struct pci_addr **ret, size_t *n);

/* What libpci need not read again (lib/pcilib.h). */
static inline struct pci_lib_ids pci_dev_lib_ids(const struct pci_dev *dev)
{
        return (struct pci_lib_ids){.vendor = dev->vendor,
                                    .device = dev->device,
                                    .class = dev->class,
                                    .config_present = dev->has_config};
}

/* "Ethernet controller, driver e1000e" / "…, no driver", for messages. lib may be NULL (the
 * class is then printed as a number). */
char *pci_dev_describe(struct pci_lib *lib, const struct pci_dev *dev, char *buf, size_t size);
