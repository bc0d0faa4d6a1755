/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal: every change vfiohook makes to the host is written down (an intent) before it
 * is made, and marked done after, so a release, a rollback or `vfiohookctl recover` can undo
 * it exactly, newest first, even after a crash or an upgrade. One file per owner (a domain
 * UUID, a network UUID, or "cli") under the run dir, plus one global lock file. The format is
 * described in journal.c and docs/journal.md.
 *
 * Records are typed ("bind", "vf", "numvfs", "mdev", …) and carry string key/values, so each
 * engine serialises its own fields; this module knows none of them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

#define JOURNAL_VERSION   1
#define JOURNAL_ID_MAX    64  /* owner ids: UUIDs or "cli" */
#define JOURNAL_NAME_MAX  256 /* owner names: domain or network names */
#define JOURNAL_TYPE_MAX  32
#define JOURNAL_MAX_BYTES (1024 * 1024)

enum journal_state {
        JOURNAL_INTENT, /* about to change: the change may or may not have happened */
        JOURNAL_DONE,   /* the change happened */
};

enum journal_owner_kind {
        JOURNAL_OWNER_DOMAIN,
        JOURNAL_OWNER_NETWORK,
        JOURNAL_OWNER_CLI,
};

struct journal_kv {
        char *key;
        char *value;
};

struct journal_record {
        unsigned int seq; /* grows with every record of the journal */
        char type[JOURNAL_TYPE_MAX];
        enum journal_state state;
        struct journal_kv *kv;
        size_t n_kv;
};

struct journal {
        enum journal_owner_kind kind;
        char id[JOURNAL_ID_MAX];
        char name[JOURNAL_NAME_MAX];
        unsigned int next_seq;
        struct journal_record *records; /* oldest first */
        size_t n_records;
        bool batch;   /* journal_batch: "done" marks and drops wait for journal_commit */
        bool unsaved; /* the file lags behind memory by such marks or drops */
        int dirfd;    /* the run dir, checked once and kept while the journal lives; -1 */
};

/* A fresh, empty journal in memory. id: [A-Za-z0-9._-]+, not starting with '.'. */
int journal_new(vfh_ctx *ctx, enum journal_owner_kind kind, const char *id, const char *name,
                struct journal **ret);
void journal_free(struct journal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct journal *, journal_free)
#define _cleanup_journal_ _cleanup_(journal_freep)

const char *journal_owner_kind_name(enum journal_owner_kind kind);

/* Appends a record in state INTENT; NULL on -ENOMEM. The pointer is valid until the next
 * append or drop. */
struct journal_record *journal_append(struct journal *j, const char *type);
int journal_record_set(struct journal_record *rec, const char *key, const char *value);
/* NULL when the key is absent. */
const char *journal_record_get(const struct journal_record *rec, const char *key);
/* Removes record i (after it was undone). */
void journal_drop(struct journal *j, size_t i);

/* The text form. *ret is malloc'ed. */
int journal_format(const struct journal *j, char **ret);
/*
 * Parses the text form strictly: anything unexpected (unknown version, a truncated file, a
 * bad escape, a duplicate key, records out of order) is an error, explained in err. Needs no
 * context, so fuzzers can call it.
 */
int journal_parse_buffer(const char *buf, size_t len, struct journal **ret, char *err,
                         size_t err_size);

/*
 * Files under the run dir. The run dir is created (0700) when missing; it must be a real
 * directory (not a symlink) owned by us and not writable by others, and each journal must be
 * a regular file owned by us; otherwise the error says so and nothing is touched.
 */
/* -ENOENT (no message) when the owner has no journal. */
int journal_load(vfh_ctx *ctx, const char *id, struct journal **ret);
/* Atomically: temp file, fsync, rename, fsync of the directory. An empty journal is removed. */
int journal_save(vfh_ctx *ctx, struct journal *j);
int journal_remove(vfh_ctx *ctx, const char *id);
/* Owner ids of every journal in the run dir, sorted; *ret is a NULL-terminated strv. */
int journal_list_ids(vfh_ctx *ctx, char ***ret);
void journal_ids_free(char **ids);

/* Marks rec and saves: the two steps of every change (in a batch, journal_done's save waits). */
int journal_intent(vfh_ctx *ctx, struct journal *j, struct journal_record *rec);
int journal_done(vfh_ctx *ctx, struct journal *j, struct journal_record *rec);

/*
 * One transaction's journal, written fewer times. From journal_batch on, journal_done only
 * marks the record in memory, and journal_drop_undone drops an undone record in memory; the
 * next journal_intent (which always saves before its change is made) or journal_commit writes
 * them. Safe because every reader already takes an intent for "maybe done" and every restore
 * is idempotent (it reads the device first): a crash before the commit leaves records that say
 * intent for changes that were made, or records of changes already undone, and recover or
 * release puts those back again, which changes nothing.
 */
void journal_batch(struct journal *j);
/* Removes record i after it was undone: saved at once, or at the commit in a batch. */
int journal_drop_undone(vfh_ctx *ctx, struct journal *j, size_t i);
/* Writes what the batch left unsaved (nothing to do: 0). The batch goes on. */
int journal_commit(vfh_ctx *ctx, struct journal *j);

/*
 * The global lock (run_dir/lock, flock) that serialises plan + apply between hooks and the
 * CLI. Waits up to the context's timeout. Returns an fd to pass to journal_unlock, which wakes
 * the next waiter at once (inotify; a holder that dies is noticed within 16 ms).
 */
int journal_lock(vfh_ctx *ctx, int *ret_fd);
void journal_unlock(int fd);

/*
 * The owner lock (run_dir/ID.lock, flock): a hook holds it for the whole of its run, so its
 * owner counts as running before QEMU has a pid file (prepare) and while it releases.
 * Waits up to the context's timeout. Release with journal_unlock.
 */
int journal_hold(vfh_ctx *ctx, const char *id, int *ret_fd);

/*
 * Is the owner alive? Its owner lock is held by a process, or: a domain's
 * /run/libvirt/qemu/NAME.pid names a live process; a network:
 * /run/libvirt/network/NAME.xml exists (libvirt's status file of an active network). The
 * CLI: always (a group detached by hand stays claimed until `vfiohookctl reattach`).
 */
bool journal_owner_running(vfh_ctx *ctx, const struct journal *j);

/*
 * Who claims a key/value (e.g. "device" = "0000:03:00.0") in a journal other than skip_id.
 * Returns 1 and a copy of that journal's owner in *owner when a journal does, 0 when none
 * does, -errno when a journal cannot be read (a broken journal blocks: we cannot tell).
 * A journal claims until its owner's release or `vfiohookctl recover` removes it, whether or
 * not its owner looks running: a domain has no live hook and no QEMU pid file between
 * prepare and QEMU's start, nor between QEMU's exit and release.
 */
int journal_find_claim(vfh_ctx *ctx, const char *key, const char *value, const char *skip_id,
                       struct journal **owner);

/*
 * The same question asked for many values (every member of a group, every group of a plan):
 * the run dir is listed once, at the first question, and each journal read once, when a
 * question first reaches it; answers and errors are journal_find_claim's, in its order. Valid
 * only while nobody else can write a journal: under journal_lock, or for one read-only listing.
 * The journal of skip_id (the asker's own, which may change meanwhile) is never read.
 */
struct journal_claims;
int journal_claims_new(const char *skip_id, struct journal_claims **ret);
/* 1 with the claiming journal in *owner (owned by claims), 0, or -errno as journal_find_claim. */
int journal_claims_find(vfh_ctx *ctx, struct journal_claims *claims, const char *key,
                        const char *value, const struct journal **owner);
void journal_claims_free(struct journal_claims *claims);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct journal_claims *, journal_claims_free)
#define _cleanup_journal_claims_ _cleanup_(journal_claims_freep)

/*
 * What to tell the user about a claim: "running domain 'web'" or "domain 'web', which is
 * starting or stopping, or stopped without its release (if it is not running: vfiohookctl
 * recover --domain 'web')". Returns buf.
 */
const char *journal_claim_describe(vfh_ctx *ctx, const struct journal *owner, char *buf,
                                   size_t size);
