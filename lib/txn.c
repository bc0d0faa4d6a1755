/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The transaction (lib/txn.h). Order of one apply: refusals (the plan) → VFIO drivers loaded →
 * groups detached → VF settings → mdevs; each change journaled as an intent before it is made
 * and done after. Undo runs the journal newest first, so VF settings come back before their
 * drivers, as release needs them (DESIGN.md §1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "mdev.h"
#include "txn.h"
#include "vf.h"

/* ---- undo ---- */

static int restore_record(vfh_ctx *ctx, const struct journal_record *rec)
{
        if (strcmp(rec->type, "bind") == 0)
                return bind_record_restore(ctx, rec);
        if (strcmp(rec->type, VF_JOURNAL_TYPE) == 0)
                return vf_journal_restore(ctx, rec);
        if (strcmp(rec->type, MDEV_JOURNAL_TYPE) == 0)
                return mdev_record_restore(ctx, rec);
        if (strcmp(rec->type, USE_RECORD) == 0)
                return 0; /* bookkeeping: libvirt reattaches the device itself */
        return vfh_errorf(ctx, EBADMSG,
                          "journal record %u: type '%s' is not one the qemu hook writes; "
                          "inspect the journal and undo it by hand",
                          rec->seq, rec->type);
}

/* "bind 0000:03:00.0 back to e1000e", "vf 0000:01:10.2 spoofchk=on", "mdev UUID removed". */
static const char *describe_record(const struct journal_record *rec, char *buf, size_t size)
{
        const char *dev = journal_record_get(rec, "device");
        size_t len;

        if (strcmp(rec->type, "bind") == 0) {
                const char *driver = journal_record_get(rec, "driver");

                snprintf(buf, size, "%s back to %s", dev ? dev : "?",
                         driver && *driver ? driver : "no driver");
        } else if (strcmp(rec->type, USE_RECORD) == 0) {
                snprintf(buf, size, "%s used through libvirt, nothing to undo", dev ? dev : "?");
        } else if (strcmp(rec->type, MDEV_JOURNAL_TYPE) == 0) {
                snprintf(buf, size, "mdev %s removed", journal_record_get(rec, "uuid") ?: "?");
        } else {
                snprintf(buf, size, "%s %s", rec->type, dev ? dev : "");
                for (size_t k = 0; k < rec->n_kv; k++) {
                        if (strcmp(rec->kv[k].key, "device") == 0)
                                continue;
                        len = strlen(buf);
                        snprintf(buf + len, size - len, " %s=%s", rec->kv[k].key, rec->kv[k].value);
                }
        }
        return buf;
}

/* Undoes records [from, n_records) newest first; keeps those that fail. */
static int replay_from(vfh_ctx *ctx, struct journal *j, size_t from)
{
        char what[512];
        int first_error = 0, r;

        for (size_t i = j->n_records; i-- > from;) {
                r = restore_record(ctx, &j->records[i]);
                if (r < 0) {
                        vfh_logf(ctx, LOG_ERR,
                                 "journal %s: record %u (%s) kept for `vfiohookctl "
                                 "recover`: %s",
                                 j->id, j->records[i].seq, j->records[i].type,
                                 vfh_ctx_last_error(ctx));
                        first_error = first_error ? first_error : r;
                        continue;
                }
                vfh_info(ctx, "journal %s: undid record %u (%s)", j->id, j->records[i].seq,
                         describe_record(&j->records[i], what, sizeof(what)));
                r = journal_drop_undone(ctx, j, i);
                if (r < 0 && !first_error)
                        first_error = r;
        }
        /* One write for the whole replay: a crash before it leaves records whose undo is
         * done, and undoing them again changes nothing (journal_batch). */
        r = journal_commit(ctx, j);
        return first_error ? first_error : r;
}

int txn_release(vfh_ctx *ctx, struct journal *j)
{
        char first[VFH_ERROR_MAX] = "";
        int r;

        journal_batch(j);
        r = replay_from(ctx, j, 0);

        if (r < 0) {
                snprintf(first, sizeof(first), "%s", vfh_ctx_last_error(ctx));
                return vfh_errorf(ctx, r,
                                  "%s (journal %s keeps %zu record%s for `vfiohookctl "
                                  "recover`)",
                                  first, j->id, j->n_records, j->n_records == 1 ? "" : "s");
        }
        return 0;
}

/* Keeps the failure's message while the rollback runs (which may log failures of its own). */
static int roll_back(vfh_ctx *ctx, struct journal *j, size_t from, int err)
{
        char message[VFH_ERROR_MAX];

        snprintf(message, sizeof(message), "%s", vfh_ctx_last_error(ctx));
        if (replay_from(ctx, j, from) < 0)
                vfh_logf(ctx, LOG_ERR,
                         "rollback incomplete; journal %s keeps the rest for "
                         "`vfiohookctl recover`",
                         j->id);
        return vfh_errorf(ctx, err, "%s", message);
}

/* ---- apply ---- */

static bool device_binds(const struct plan_device *d)
{
        for (size_t i = 0; i < d->n_members; i++)
                if (d->members[i].bind)
                        return true;
        return false;
}

static int load_drivers(vfh_ctx *ctx, const struct plan *plan)
{
        for (size_t i = 0; i < plan->n_devices; i++) {
                int r;

                if (!device_binds(&plan->devices[i]))
                        continue;
                r = group_prepare_driver(ctx, plan->devices[i].driver);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * reread: an earlier device of this plan was in the same group, and its detach moved members;
 * otherwise the group the plan read and checked moments ago, under the same lock, is still
 * what the kernel has, and reading it again (a second full device load of every member, /sys/block
 * included) was 40 % of a prepare's own work.
 */
static int detach_group(vfh_ctx *ctx, const struct plan *plan, const struct plan_device *d,
                        const struct vfh_config *cfg, struct journal *j, bool reread)
{
        _cleanup_free_ struct pci_group *grp = NULL;
        struct pci_addr leave[GROUP_MAX_MEMBERS];
        const char *planned_for = plan->uuid[0] ? plan->uuid : plan->domain;
        /* plan->claims skips the plan owner's journal, which is j (load_or_new): the claims
         * the plan read stand for the apply only when that is so. */
        struct group_opts opts = {.device = d->name,
                                  .driver = d->driver,
                                  .config = cfg,
                                  .owner_id = j->id,
                                  .claims = strcmp(planned_for, j->id) == 0 ? plan->claims : NULL};
        int r;

        for (size_t i = 0; i < d->n_members && i < GROUP_MAX_MEMBERS; i++)
                if (d->members[i].by_libvirt &&
                    pci_addr_parse(d->members[i].name, &leave[opts.n_leave]) >= 0)
                        opts.n_leave++;
        opts.leave = leave;
        if (d->grp && !reread)
                return group_detach(ctx, d->grp, j, &opts);
        grp = malloc(sizeof(*grp));
        if (!grp)
                return vfh_errorf(ctx, ENOMEM, "%s: detach: out of memory", d->name);
        r = group_of_device(ctx, &d->addr, grp);
        return r < 0 ? r : group_detach(ctx, grp, j, &opts);
}

/* The device before index i in the plan that detaches the same group, or NULL. */
static const struct plan_device *group_detached_by(const struct plan *plan, size_t i)
{
        for (size_t k = 0; k < i; k++)
                if (device_binds(&plan->devices[k]) &&
                    plan->devices[k].group == plan->devices[i].group)
                        return &plan->devices[k];
        return NULL;
}

static int apply_vf(vfh_ctx *ctx, const struct plan_device *d, struct journal *j)
{
        char who[128], what[512];
        struct vf_settings saved;
        struct journal_record *rec;
        int r;

        if (!d->is_vf || !d->vf_want.mask)
                return 0;
        r = vf_settings_prepare(ctx, &d->vf, &d->vf_want, &saved);
        if (r < 0 || !saved.mask)
                return r; /* already as wanted: a second prepare changes nothing */
        rec = journal_append(j, VF_JOURNAL_TYPE);
        if (!rec || vf_journal_fill(rec, &d->vf, &saved) < 0)
                return vfh_errorf(ctx, ENOMEM, "%s: VF settings: journal: out of memory", d->name);
        r = journal_intent(ctx, j, rec);
        if (r >= 0)
                r = vf_settings_apply(ctx, &d->vf, &d->vf_want, NULL);
        if (r >= 0)
                r = journal_done(ctx, j, &j->records[j->n_records - 1]);
        if (r >= 0)
                vfh_info(ctx, "%s: VF settings from %s applied (originals journaled: %s)",
                         vf_ref_format(&d->vf, who, sizeof(who)),
                         d->vf_settings_from ? d->vf_settings_from : "defaults",
                         describe_record(&j->records[j->n_records - 1], what, sizeof(what)));
        return r;
}

static bool has_use_record(const struct journal *j, const char *device)
{
        for (size_t i = 0; i < j->n_records; i++) {
                const char *dev = journal_record_get(&j->records[i], "device");

                if (strcmp(j->records[i].type, USE_RECORD) == 0 && dev && !strcmp(dev, device))
                        return true;
        }
        return false;
}

/* libvirt binds managed='yes' devices (and the pool VFs it allocates) itself, so nothing of
 * ours names them; a "use" record does, so that while the guest runs another domain or the
 * CLI is refused with this domain's name, and `vfiohookctl status` lists them. */
static int record_use(vfh_ctx *ctx, const struct plan_device *d, struct journal *j)
{
        struct journal_record *rec;

        if (!d->managed || has_use_record(j, d->name))
                return 0;
        rec = journal_append(j, USE_RECORD);
        if (!rec || journal_record_set(rec, "device", d->name) < 0 ||
            journal_record_set(rec, "source",
                               d->source == PLAN_SOURCE_HOSTDEV ? "hostdev" : "interface") < 0)
                return vfh_errorf(ctx, ENOMEM, "%s: journal: out of memory", d->name);
        return journal_done(ctx, j, rec);
}

static int apply_plan(vfh_ctx *ctx, const struct plan *plan, const struct vfh_config *cfg,
                      struct journal *j)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < plan->n_devices; i++) {
                const struct plan_device *d = &plan->devices[i], *earlier;

                if (!device_binds(d))
                        continue;
                earlier = group_detached_by(plan, i);
                /* A GPU and its audio function: the first one's detach bound every endpoint
                 * but libvirt's own (the domain's, so the same for both) to this driver and
                 * verified each driver link and /dev/vfio/N, under this lock, moments ago.
                 * The same detach again would read the group and find nothing to do. */
                if (earlier && strcmp(earlier->driver, d->driver) == 0)
                        continue;
                r = detach_group(ctx, plan, d, cfg, j, earlier != NULL);
        }
        for (size_t i = 0; r >= 0 && i < plan->n_devices; i++)
                r = apply_vf(ctx, &plan->devices[i], j);
        for (size_t i = 0; r >= 0 && i < plan->n_devices; i++)
                r = record_use(ctx, &plan->devices[i], j);
        for (size_t i = 0; r >= 0 && i < plan->n_mdevs; i++) {
                const struct plan_mdev *m = &plan->mdevs[i];

                if (!m->exists)
                        r = mdev_create(ctx, j, m->uuid, m->parent, m->type);
        }
        return r;
}

static int load_or_new(vfh_ctx *ctx, const struct vfh_domain *dom, struct journal **ret)
{
        const char *id = plan_owner_id(dom);
        int r = journal_load(ctx, id, ret);

        if (r == -ENOENT)
                r = journal_new(ctx, JOURNAL_OWNER_DOMAIN, id, dom->name ? dom->name : id, ret);
        return r;
}

static int refused(vfh_ctx *ctx, const struct plan *plan)
{
        const struct plan_refusal *first = &plan->refusals[0];

        if (plan->n_refusals == 1)
                return vfh_errorf(ctx, EPERM, "%s", first->reason);
        return vfh_errorf(ctx, EPERM,
                          "%s (and %zu more refusal%s; `vfiohookctl plan --domain "
                          "%s` lists them)",
                          first->reason, plan->n_refusals - 1, plan->n_refusals == 2 ? "" : "s",
                          plan->domain);
}

static int plan_and_apply(vfh_ctx *ctx, const struct vfh_domain *dom, const struct vfh_config *cfg,
                          enum plan_phase phase)
{
        _cleanup_plan_ struct plan *plan = NULL;
        _cleanup_journal_ struct journal *j = NULL;
        size_t from;
        int r;

        r = plan_build(ctx, dom, cfg, phase, &plan);
        if (r < 0)
                return r;
        if (plan->n_refusals)
                return refused(ctx, plan);
        if (!plan->n_devices && !plan->n_mdevs)
                return 0;
        r = load_drivers(ctx, plan);
        if (r >= 0)
                r = load_or_new(ctx, dom, &j);
        if (r < 0)
                return r;
        /* Each change is still journaled as an intent before it is made; its "done" mark rides
         * on the next intent's write, and the commit writes the last. */
        journal_batch(j);
        from = j->n_records;
        r = apply_plan(ctx, plan, cfg, j);
        if (r >= 0)
                r = journal_commit(ctx, j);
        if (r < 0)
                return roll_back(ctx, j, from, r);
        vfh_info(ctx,
                 "domain %s: %s: %zu device%s and %zu mdev%s in place (journal %s, %zu "
                 "record%s)",
                 plan->domain, plan_phase_name(phase), plan->n_devices,
                 plan->n_devices == 1 ? "" : "s", plan->n_mdevs, plan->n_mdevs == 1 ? "" : "s",
                 j->id, j->n_records, j->n_records == 1 ? "" : "s");
        return 0;
}

int txn_apply(vfh_ctx *ctx, const struct vfh_domain *dom, const struct vfh_config *cfg,
              enum plan_phase phase)
{
        int hold = -1, lock = -1, r;

        r = journal_hold(ctx, plan_owner_id(dom), &hold);
        if (r < 0)
                return r;
        r = journal_lock(ctx, &lock);
        if (r >= 0) {
                r = plan_and_apply(ctx, dom, cfg, phase);
                journal_unlock(lock);
        }
        journal_unlock(hold);
        return r;
}

int txn_release_owner(vfh_ctx *ctx, const char *owner_id)
{
        _cleanup_journal_ struct journal *j = NULL;
        int hold = -1, lock = -1, r;

        r = journal_hold(ctx, owner_id, &hold);
        if (r < 0)
                return r;
        r = journal_lock(ctx, &lock);
        if (r >= 0) {
                r = journal_load(ctx, owner_id, &j);
                if (r >= 0)
                        r = txn_release(ctx, j);
                else if (r == -ENOENT)
                        r = 0; /* nothing of ours: a guest without passthrough, or done */
                journal_unlock(lock);
        }
        journal_unlock(hold);
        return r;
}

bool txn_has_journal(vfh_ctx *ctx, const char *owner_id)
{
        if (!*owner_id || owner_id[0] == '.' || strchr(owner_id, '/'))
                return false;
        return sysfs_exists(ctx, "%s/%s.journal", ctx->run_dir, owner_id);
}

/* ---- reconnect ---- */

static int check_bind(vfh_ctx *ctx, const struct journal *j, const struct journal_record *rec)
{
        const char *dev = journal_record_get(rec, "device");
        const char *want = journal_record_get(rec, "new_driver");
        char now[PCI_NAME_MAX];

        if (rec->state != JOURNAL_DONE || !dev || !want)
                return vfh_errorf(ctx, ESTALE,
                                  "journal %s: record %u (bind%s%s) was never completed; the "
                                  "guest may be missing a device",
                                  j->id, rec->seq, dev ? " " : "", dev ? dev : "");
        if (pci_dev_current_driver(ctx, dev, now, sizeof(now)) < 0)
                now[0] = '\0';
        if (strcmp(now, want) != 0)
                return vfh_errorf(ctx, ESTALE,
                                  "%s: journal %s says it is on %s, but the driver link shows %s",
                                  dev, j->id, want, now[0] ? now : "no driver");
        return 0;
}

int txn_check(vfh_ctx *ctx, const char *owner_id)
{
        _cleanup_journal_ struct journal *j = NULL;
        int first_error = 0;
        int r = journal_load(ctx, owner_id, &j);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (size_t i = 0; i < j->n_records; i++) {
                if (strcmp(j->records[i].type, "bind") != 0)
                        continue;
                r = check_bind(ctx, j, &j->records[i]);
                first_error = first_error ? first_error : r;
        }
        return first_error;
}
