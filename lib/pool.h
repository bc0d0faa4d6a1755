/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostdev pools: libvirt networks with <forward mode='hostdev'> and our <vfh:pool> metadata.
 * The network hook provisions them (the PF's VF count, pool-wide VF defaults), records which
 * guest got which VF, and undoes its changes when the network stops; the qemu hook asks for a
 * pool VF's defaults. Everything is journaled under the network's UUID (docs/pools.md).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "internal.h"
#include "model.h"

/* Journal record of a VF handed to a guest (port-created); bookkeeping, nothing to undo:
 *   record 5 port done port=UUID address=0000:01:10.0 owner=UUID owner_name=guest1 mac=…
 * It names the VF with address=, not device=, so it claims nothing: the VF is the guest's. */
#define POOL_PORT_RECORD "port"

/* A hostdev network with <vfh:pool>: the only networks the network hook acts on. */
bool pool_is_ours(const struct vfh_network *net);

/*
 * The pool a VF belongs to, for the qemu hook at start/begin (where libvirt no longer says
 * which network a pool VF came from): the first network, in the order of the context's
 * network directories (live status files first), that is a hostdev pool with our metadata and
 * whose VF list holds vf or whose <pf dev> is vf's PF. ret receives the pool's VF defaults
 * (the domain's metadata then overrides them with vfh_vf_settings_merge), network_name the
 * network's name (may be NULL). -ENOENT, without a message, when vf is in no such pool.
 */
int pool_vf_settings(vfh_ctx *ctx, const struct pci_addr *vf, struct vfh_vf_settings *ret,
                     char *network_name, size_t size);

/*
 * `network NET start begin`. Refuses before any change (a PF that is not SR-IOV capable, too
 * many VFs asked for, a PF that already has another non-zero count), then gives each <pf dev>
 * the pool's numvfs (only from 0), then applies the pool's VF defaults (spoofchk, trust,
 * state, rates, query_rss; never MAC or VLAN, which libvirt owns) to every VF of the PFs,
 * or to the VFs of an explicit <address> list. A VF a guest holds (on a VFIO driver) is
 * skipped.
 * Journaled under the network UUID; on failure everything is rolled back and -errno returned
 * with one line on the context. A leftover journal of an earlier run is undone first.
 */
int pool_start(vfh_ctx *ctx, const struct vfh_network *net);

/* `port-created`: records the VF → guest allocation; a second call for the same port (libvirt
 * repeats it when its network driver restarts) changes nothing. */
int pool_port_created(vfh_ctx *ctx, const struct vfh_network *net,
                      const struct vfh_networkport *port);
/* `port-deleted`: drops that record. */
int pool_port_deleted(vfh_ctx *ctx, const struct vfh_network *net,
                      const struct vfh_networkport *port);

/*
 * `network NET stopped end`: restores the VF defaults it set, newest first, and removes the
 * VFs it created when the pool says remove_on_stop="yes" (refused while a VF is still
 * assigned). Goes on after failures, keeps what it could not undo in the journal for
 * `vfiohookctl recover`, and returns the first error.
 */
int pool_stopped(vfh_ctx *ctx, const struct vfh_network *net);

/*
 * Undoes a network journal (pool_stopped's work, also for recover): every record newest
 * first. A numvfs record sets the PF's original VF count back when remove_numvfs, or when
 * the record itself says remove_on_stop=yes (written at start for such pools, so recover
 * needs no network XML); otherwise the VFs stay and the record is forgotten. Records undone
 * are dropped, and the journal saved.
 */
struct journal;
int pool_journal_undo(vfh_ctx *ctx, struct journal *j, bool remove_numvfs);
