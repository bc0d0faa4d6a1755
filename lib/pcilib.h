/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libpci behind a small interface: names from pci.ids and capabilities from config space. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "internal.h"

/* Names and capabilities from libpci (pci.ids and config space). */
struct pci_info {
        char class_name[128];  /* "Ethernet controller"; "Class 0200" when unknown */
        char vendor_name[128]; /* "" when pci.ids does not know it */
        char device_name[256];
        bool cap_sriov;
        bool cap_acs;
        bool cap_flr; /* PCIe Device Capabilities FLR bit, or AF FLR */
};

/* One libpci session pointed at the sysroot; open it once for many devices (it loads
 * pci.ids). Its error handler records and returns: libpci never exits the process. The names it
 * gives are kept in RUN_DIR/pci-names when the run dir exists, and a later session answers from
 * there while pci.ids and hwdb.bin are unchanged (written back on close, when libpci added any). */
struct pci_lib;
int pci_lib_open(vfh_ctx *ctx, struct pci_lib **ret);
void pci_lib_close(struct pci_lib *lib);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pci_lib *, pci_lib_close)
#define _cleanup_pci_lib_ _cleanup_(pci_lib_closep)

/* What sysfs already says about a device (lib/pci.c reads it), so libpci need not read it again. */
struct pci_lib_ids {
        uint16_t vendor;
        uint16_t device;
        uint32_t class;      /* 24 bits */
        bool config_present; /* its config file exists (libpci reads capabilities there) */
};

/* The names of these IDs, as pci_lib_info gives them, without reading any device file; each ID
 * is looked up once per session. */
void pci_lib_names(struct pci_lib *lib, const struct pci_lib_ids *ids, struct pci_info *ret);
/* pci_lib_info for a device whose IDs sysfs gave: libpci reads only its config space. -ENODEV
 * when the config file is missing (ret is then empty, as from pci_lib_info). */
int pci_lib_info_ids(struct pci_lib *lib, const struct pci_addr *addr,
                     const struct pci_lib_ids *ids, struct pci_info *ret);

/* lib/pcilib.c keeps libpci's own "struct pci_dev" away from ours: it sees only addresses. */
int pci_lib_info(struct pci_lib *lib, const struct pci_addr *addr, struct pci_info *ret);
/* The class name from pci.ids ("Ethernet controller"), or "class 0200". */
char *pci_lib_class_name(struct pci_lib *lib, uint32_t class, char *buf, size_t size);

#ifdef VFH_TEST_BUILD
/* Test builds only: libpci reads this pci.ids instead of the system's (call before any name is
 * asked), and whether this session had libpci load its ID list. */
void pci_lib_set_ids_file(struct pci_lib *lib, const char *path);
bool pci_lib_ids_loaded(const struct pci_lib *lib);
#endif
