/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The transaction of one qemu hook call: lock, plan, journal each intent, apply, journal it
 * done; on any failure undo everything this call did, newest first, so the host is as before.
 * Release (and `vfiohookctl recover`) replays a domain's journal backwards.
 */
#pragma once

#include "config.h"
#include "journal.h"
#include "model.h"
#include "plan.h"

/* Journal record of a device libvirt binds itself (managed='yes', pool VFs): nothing to undo,
 * but its device= claims the device for the domain while it runs:
 *   record 3 use done device=0000:01:10.2 source=interface */
#define USE_RECORD "use"

/*
 * prepare/begin (PLAN_PREPARE) or start/begin (PLAN_START) for one domain. Holds the owner
 * lock (journal_hold) for the whole call and the global lock (journal_lock) around plan +
 * apply only. Refuses (-EPERM, the first refusal as the context's error) before any change;
 * any later failure rolls back what this call did and returns its error. Running it again for
 * the same domain changes nothing that is already in place.
 */
int txn_apply(vfh_ctx *ctx, const struct vfh_domain *dom, const struct vfh_config *cfg,
              enum plan_phase phase);

/*
 * Replays the journal newest first: bind records (bind_record_restore), VF records
 * (vf_journal_restore), mdev records (removes mdevs we created), use records (nothing to
 * undo), drops each record that was
 * undone and saves after each; records that fail stay for `vfiohookctl recover`. Goes on after
 * a failure and returns the first error (0 when the journal is empty afterwards). Takes no
 * lock: the caller holds journal_lock (and the owner's journal_hold), as txn_release_owner
 * does.
 */
int txn_release(vfh_ctx *ctx, struct journal *j);

/* The hook's release/end: owner lock + global lock, load the domain's journal (none: 0) and
 * txn_release it. Each restore verifies itself (the recorded driver is back, the VF reads back
 * as saved, the mdev is gone); what failed stays in the journal. */
int txn_release_owner(vfh_ctx *ctx, const char *owner_id);

/* Whether the owner has a journal file (looked up without creating the run dir or a lock, so
 * guests without passthrough leave no trace). */
bool txn_has_journal(vfh_ctx *ctx, const char *owner_id);

/* reconnect/begin: 0 when the journal's devices are where it says (every done bind on its
 * VFIO driver); else -ESTALE with what differs as the context's error. Changes nothing. */
int txn_check(vfh_ctx *ctx, const char *owner_id);
