/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recovery: undo a journal whose owner is gone (a libvirtd or hook crash, a SIGKILL, a release
 * that could not finish), as the owner's own release or network stop would have. Used by
 * `vfiohookctl recover` and its systemd unit.
 */
#pragma once

#include "journal.h"

/* Why recover_is_stale() says no. */
enum recover_verdict {
        RECOVER_STALE,   /* the owner is gone: replay it */
        RECOVER_RUNNING, /* a hook holds it, QEMU runs, or the network is active */
        RECOVER_CLI,     /* `vfiohookctl detach`: stays claimed until reattach */
};

enum recover_verdict recover_judge(vfh_ctx *ctx, const struct journal *j);

/*
 * Replays the journal of a stale owner, newest first: a domain's with txn_release, a
 * network's with pool_journal_undo (its VFs go only when the journal recorded the pool's
 * remove_on_stop). Takes the owner lock, then the global lock (the hooks' order), reloads the
 * journal and goes on only if it is still the one judged stale (same records, same next
 * sequence), else -EAGAIN: a hook ran in between. Returns 0 when nothing is left, or the
 * first error, with what failed kept in the journal.
 */
int recover_owner(vfh_ctx *ctx, const struct journal *seen);
