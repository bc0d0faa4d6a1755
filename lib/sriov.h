/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The number of VFs of an SR-IOV PF (sriov_numvfs): changed safely (never under a guest),
 * journaled, and set back. Used by `vfiohookctl sriov` and by the network hook's pool
 * provisioning.
 */
#pragma once

#include <stdbool.h>

#include "addr.h"
#include "internal.h"

/*
 * The journal record of a change:
 *   record 3 numvfs done device=0000:01:00.0 numvfs=0 new=4
 * device is the PF, numvfs its original count, new the count we set. Undo sets numvfs back.
 * The device= key makes the owner claim the PF, so no domain detaches it meanwhile.
 */
#define SRIOV_JOURNAL_TYPE "numvfs"

struct journal;
struct journal_record;

/* "eth1" (a netdev: its device link) or "0000:01:00.0" / "01:00.0" to the PF's address. */
int sriov_pf_resolve(vfh_ctx *ctx, const char *pf, struct pci_addr *ret);

/* sriov_numvfs and sriov_totalvfs; -EOPNOTSUPP with a message when it is not an SR-IOV PF. */
int sriov_read(vfh_ctx *ctx, const struct pci_addr *pf, unsigned int *numvfs,
               unsigned int *totalvfs);

/*
 * 0 when no VF of the PF is in use; -EBUSY naming the first VF and who has it: bound to a
 * VFIO driver, or claimed in the journal of a running owner other than skip_id (may be
 * NULL). Destroying such a VF pulls a device out from under a guest.
 */
int sriov_check_unassigned(vfh_ctx *ctx, const struct pci_addr *pf, const char *skip_id);

/*
 * Sets sriov_numvfs to want. Nothing happens when it already is. Otherwise: refuses beyond
 * sriov_totalvfs and (for a PF that has VFs) while a VF is assigned; journals the original in
 * j (when not NULL: intent before, done after); writes 0 first when the PF has VFs, because
 * the kernel refuses a change between two non-zero counts (-EBUSY); writes want (each write
 * bounded by the context's timeout); reads back. On failure it tries to put the original
 * count back, and leaves the record in j for recovery when that fails too.
 */
int sriov_set_numvfs(vfh_ctx *ctx, const struct pci_addr *pf, unsigned int want, struct journal *j);

/* Undoes a numvfs record: sets the PF back to numvfs= (checking that no VF is assigned to
 * another owner than skip_id first). Nothing to do when it already has that count. */
int sriov_journal_restore(vfh_ctx *ctx, const struct journal_record *rec, const char *skip_id);
