/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Recovery of stale journals (lib/recover.h). */
#include <errno.h>
#include <string.h>

#include "pool.h"
#include "recover.h"
#include "txn.h"

enum recover_verdict recover_judge(vfh_ctx *ctx, const struct journal *j)
{
        if (j->kind == JOURNAL_OWNER_CLI)
                return RECOVER_CLI;
        return journal_owner_running(ctx, j) ? RECOVER_RUNNING : RECOVER_STALE;
}

static int replay(vfh_ctx *ctx, struct journal *j)
{
        if (j->kind == JOURNAL_OWNER_NETWORK)
                return pool_journal_undo(ctx, j, false);
        return txn_release(ctx, j);
}

static int replay_if_unchanged(vfh_ctx *ctx, const struct journal *seen)
{
        _cleanup_journal_ struct journal *j = NULL;
        int r = journal_load(ctx, seen->id, &j);

        if (r == -ENOENT)
                return 0; /* released meanwhile */
        if (r < 0)
                return r;
        if (j->next_seq != seen->next_seq || j->n_records != seen->n_records)
                return vfh_errorf(ctx, EAGAIN,
                                  "%s %s: its journal changed while recover looked at it (a "
                                  "hook ran); check `vfiohookctl status` and run recover again",
                                  journal_owner_kind_name(j->kind), j->name);
        return replay(ctx, j);
}

int recover_owner(vfh_ctx *ctx, const struct journal *seen)
{
        int hold = -1, lock = -1, r;

        if (recover_judge(ctx, seen) != RECOVER_STALE)
                return vfh_errorf(ctx, EBUSY, "%s %s: its owner is running; not recovered",
                                  journal_owner_kind_name(seen->kind), seen->name);
        r = journal_hold(ctx, seen->id, &hold);
        if (r < 0)
                return r;
        r = journal_lock(ctx, &lock);
        if (r >= 0) {
                r = replay_if_unchanged(ctx, seen);
                journal_unlock(lock);
        }
        journal_unlock(hold);
        return r;
}
