/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A model of the kernel's PCI driver binding, acting on a fixture tree (after libvirt's
 * tests/virpcimock.c): writes to driver_override, unbind, bind and drivers_probe take effect
 * when the file is closed, drivers_probe honours driver_override and otherwise matches the
 * drivers' ID tables, and /dev/vfio/N exists exactly while a member of group N is on vfio-pci.
 *
 * kmodel_write() works on paths and a root directory only, so the same code can serve an
 * LD_PRELOAD shim (intercepting close(2)) for the hook binaries.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct kdev {
        const char *name;   /* "0000:03:00.0" */
        const char *parent; /* sysfs path below /sys/devices, e.g. "pci0000:00/0000:00:1c.0" */
        uint16_t vendor, device;
        uint32_t class;
        uint8_t header_type;
        int group;          /* -1: no IOMMU group */
        const char *driver; /* NULL: unbound */
};

/* The act of the kernel on a completed write; returns 0 or -errno (the write's result). */
int kmodel_write(const char *root, const char *path, const char *value);
/* Routes the library's sysfs writes through kmodel_write (test builds only). */
void kmodel_install(void);

/* Fixture builders. ids: "8086:10d3 8086:10c9" (the driver's ID table), NULL for none. */
void kmodel_add_driver(const char *root, const char *name, const char *ids);
/* vfio-pci, vfio_pci_core's holders and /dev/vfio/vfio. */
void kmodel_add_vfio(const char *root);
void kmodel_add_device(const char *root, const struct kdev *d);
/* The device's netdev (net/NAME and /sys/class/net/NAME). */
void kmodel_add_netdev(const char *root, const struct kdev *d, const char *ifname);
/* A disk below the device, with one partition ("sda" → "sda1"), numbered major:minor. */
void kmodel_add_disk(const char *root, const struct kdev *d, const char *disk, int major);

/* Makes the next unbind of dev hang, ignoring signals, until kmodel_release_hang(). */
void kmodel_hang_unbind(const char *root, const char *dev);
void kmodel_release_hang(const char *root);

/* The driver bound to dev, "" when none (a static buffer). */
const char *kmodel_driver(const char *root, const char *dev);
bool kmodel_vfio_node(const char *root, int group);
/* The write log: one "PATH VALUE" line per write, in order. The caller frees it. */
char *kmodel_log(const char *root);
