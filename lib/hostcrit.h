/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host-critical devices: the ones the host itself needs, which vfiohook must never take away.
 * A device is host-critical when it backs a mounted filesystem, swap or an LVM/md/dm holder;
 * when it is a NIC with an address or a route, or a port of a bond, bridge or team; or when
 * it is the boot VGA or the console framebuffer device.
 */
#pragma once

#include "pci.h"

/* 1 and the reason ("eth1 has address 10.0.0.2") when host-critical, 0 when not, -errno
 * (with a message) when the host's state cannot be read. */
int hostcrit_check(vfh_ctx *ctx, const struct pci_dev *dev, char *reason, size_t size);
