/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostdev pool provisioning for the network hook (DESIGN.md §1: `network NET start begin`
 * runs before libvirt builds the pool from the PF's virtfn links, so VFs created here join
 * it), the allocation records, and the undo at `stopped`.
 *
 * The network's "vf" records name their VF by pf= and vf= only, without device=: a pool VF
 * is handed to guests, and device= would make the network claim it, so the qemu hook would
 * refuse the very guest the pool serves. libvirt names the PF by netdev in <pf dev> anyway.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "pci.h"
#include "pool.h"
#include "sriov.h"
#include "vf.h"

bool pool_is_ours(const struct vfh_network *net)
{
        return net && net->has_pool && vfh_network_is_hostdev_pool(net);
}

/* --- which pool a VF is in ------------------------------------------------------------------ */

static bool pool_holds(const struct vfh_network *net, const struct pci_addr *vf,
                       const struct vf_ref *ref)
{
        for (size_t i = 0; i < net->n_addresses; i++)
                if (pci_addr_equal(&net->addresses[i], vf))
                        return true;
        for (size_t i = 0; ref && i < net->n_pf_devs; i++)
                if (strcmp(net->pf_devs[i], ref->pf_netdev) == 0)
                        return true;
        return false;
}

/* NAME of every NAME.xml in dir, appended to names (no duplicates). */
static int list_network_names(vfh_ctx *ctx, const char *dir, char ***names, size_t *n)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r = sysfs_opendir(ctx, &d, "%s", dir);

        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                bool seen = false;
                char **grown, *name;

                if (len <= 4 || strcmp(de->d_name + len - 4, ".xml") != 0)
                        continue;
                name = strndup(de->d_name, len - 4);
                if (!name)
                        return -ENOMEM;
                for (size_t i = 0; i < *n && !seen; i++)
                        seen = strcmp((*names)[i], name) == 0;
                grown = seen ? NULL : realloc(*names, (*n + 1) * sizeof(**names));
                if (!grown) {
                        free(name);
                        if (seen)
                                continue;
                        return -ENOMEM;
                }
                *names = grown;
                (*names)[(*n)++] = name;
        }
        return 0;
}

static void free_names(char **names, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

int pool_vf_settings(vfh_ctx *ctx, const struct pci_addr *vf, struct vfh_vf_settings *ret,
                     char *network_name, size_t size)
{
        char **names = NULL, saved_error[VFH_ERROR_MAX];
        struct vf_ref ref;
        bool have_ref;
        size_t n = 0;
        int r = 0;

        /* "Not a pool VF" is an answer, not a failure: the caller's last error stays. */
        snprintf(saved_error, sizeof(saved_error), "%s", ctx->last_error);
        /* A VF whose PF is gone can still be in an explicit <address> pool list. */
        have_ref = vf_resolve(ctx, vf, &ref) >= 0;
        for (size_t i = 0; i < ctx->n_network_dirs && r >= 0; i++)
                r = list_network_names(ctx, ctx->network_dirs[i], &names, &n);
        if (r < 0) {
                free_names(names, n);
                return vfh_errorf(ctx, r, "looking for the pool of VF: listing networks: %s",
                                  strerror(-r));
        }
        r = -ENOENT;
        for (size_t i = 0; i < n && r == -ENOENT; i++) {
                struct vfh_network *net = NULL;

                /* A network that cannot be read is not this VF's pool as far as we can tell;
                 * the hook that owns it reports it. */
                if (vfh_network_lookup(ctx, names[i], &net) < 0)
                        continue;
                if (pool_is_ours(net) && pool_holds(net, vf, have_ref ? &ref : NULL)) {
                        *ret = net->pool.settings;
                        if (network_name)
                                snprintf(network_name, size, "%s", net->name);
                        r = 0;
                }
                vfh_network_free(net);
        }
        free_names(names, n);
        if (r == -ENOENT)
                snprintf(ctx->last_error, sizeof(ctx->last_error), "%s", saved_error);
        return r;
}

/* --- the network journal ---------------------------------------------------------------------- */

struct pool_locks {
        int global;
        int owner;
};

static void pool_unlock(struct pool_locks *l)
{
        journal_unlock(l->owner);
        journal_unlock(l->global);
        l->owner = l->global = -1;
}

/* The global lock for plan + apply, and the network's owner lock so that its journal counts
 * as running while we work (libvirt writes the status file only after start). */
static int pool_lock(vfh_ctx *ctx, const struct vfh_network *net, struct pool_locks *l)
{
        int r;

        l->global = l->owner = -1;
        if (!net->has_uuid)
                return vfh_errorf(ctx, EINVAL,
                                  "network %s: no <uuid> in the hook's XML; vfiohook journals a "
                                  "pool under its UUID",
                                  net->name);
        r = journal_lock(ctx, &l->global);
        if (r >= 0)
                r = journal_hold(ctx, net->uuid, &l->owner);
        if (r < 0)
                pool_unlock(l);
        return r;
}

/* The network's journal, or a new empty one. */
static int pool_journal(vfh_ctx *ctx, const struct vfh_network *net, struct journal **ret)
{
        int r = journal_load(ctx, net->uuid, ret);

        if (r == -ENOENT)
                r = journal_new(ctx, JOURNAL_OWNER_NETWORK, net->uuid, net->name, ret);
        return r;
}

enum numvfs_undo {
        NUMVFS_KEEP,    /* leave the record: the VFs stay ours */
        NUMVFS_FORGET,  /* drop the record: the VFs stay, no longer ours */
        NUMVFS_RESTORE, /* set the original count back */
};

/* A VF on a VFIO driver belongs to a guest right now: the pool leaves its settings alone,
 * and the guest's own hook journal restores what it changed there. */
static bool vf_assigned(vfh_ctx *ctx, const struct vf_ref *ref, char *driver, size_t size)
{
        char name[PCI_ADDR_STRLEN];

        return ref->has_addr &&
               pci_dev_current_driver(ctx, pci_addr_format(&ref->addr, name), driver, size) >= 0 &&
               strstr(driver, "vfio") != NULL;
}

/* The PF has fewer VFs now (someone changed the count): the VF, and with it the settings we
 * changed, is gone; a VF created later starts from the driver's defaults. */
static bool vf_gone(vfh_ctx *ctx, const struct vf_ref *ref)
{
        char name[PCI_ADDR_STRLEN];
        unsigned long numvfs;

        return ref->has_pf_addr &&
               sysfs_read_ulong(ctx, &numvfs, "/sys/bus/pci/devices/%s/sriov_numvfs",
                                pci_addr_format(&ref->pf_addr, name)) >= 0 &&
               ref->index >= numvfs;
}

static int restore_vf(vfh_ctx *ctx, const struct journal *j, const struct journal_record *rec)
{
        char driver[PCI_NAME_MAX], desc[128];
        struct vf_settings saved;
        struct vf_ref ref;
        int r = vf_journal_read(ctx, rec, &ref, &saved);

        if (r < 0)
                return r;
        if (vf_gone(ctx, &ref)) {
                vfh_info(ctx, "network %s: %s no longer exists: nothing to restore", j->name,
                         vf_ref_format(&ref, desc, sizeof(desc)));
                return 0;
        }
        if (vf_assigned(ctx, &ref, driver, sizeof(driver)))
                return vfh_errorf(ctx, EBUSY,
                                  "network %s: %s is on %s (a guest has it): its pool settings "
                                  "stay; run `vfiohookctl recover` after the guest stops",
                                  j->name, vf_ref_format(&ref, desc, sizeof(desc)), driver);
        return vf_settings_restore(ctx, &ref, &saved);
}

static bool record_says_remove(const struct journal_record *rec)
{
        const char *v = journal_record_get(rec, "remove_on_stop");

        return v && strcmp(v, "yes") == 0;
}

static int undo_record(vfh_ctx *ctx, struct journal *j, size_t i, enum numvfs_undo numvfs)
{
        const struct journal_record *rec = &j->records[i];
        int r;

        if (strcmp(rec->type, VF_JOURNAL_TYPE) == 0)
                r = restore_vf(ctx, j, rec);
        else if (strcmp(rec->type, SRIOV_JOURNAL_TYPE) == 0 && numvfs == NUMVFS_KEEP)
                return 0;
        else if (strcmp(rec->type, SRIOV_JOURNAL_TYPE) == 0 &&
                 (numvfs == NUMVFS_RESTORE || record_says_remove(rec)))
                r = sriov_journal_restore(ctx, rec, j->id);
        else if (strcmp(rec->type, SRIOV_JOURNAL_TYPE) == 0 ||
                 strcmp(rec->type, POOL_PORT_RECORD) == 0)
                r = 0;
        else
                r = vfh_errorf(ctx, EBADMSG,
                               "network %s: journal record %u has type '%s', which a network "
                               "journal never holds; left for `vfiohookctl recover`",
                               j->name, rec->seq, rec->type);
        if (r >= 0)
                journal_drop(j, i);
        return r;
}

static int undo_journal(vfh_ctx *ctx, struct journal *j, enum numvfs_undo numvfs)
{
        char first_error[VFH_ERROR_MAX] = "";
        int first = 0, r;

        for (size_t i = j->n_records; i-- > 0;) {
                r = undo_record(ctx, j, i, numvfs);
                if (r < 0) {
                        vfh_warn(ctx, "network %s: undo: %s", j->name, vfh_ctx_last_error(ctx));
                        if (first == 0) {
                                first = r;
                                snprintf(first_error, sizeof(first_error), "%s",
                                         vfh_ctx_last_error(ctx));
                        }
                }
        }
        r = journal_save(ctx, j);
        if (first < 0)
                return vfh_errorf(ctx, first, "%s", first_error);
        return r;
}

int pool_journal_undo(vfh_ctx *ctx, struct journal *j, bool remove_numvfs)
{
        return undo_journal(ctx, j, remove_numvfs ? NUMVFS_RESTORE : NUMVFS_FORGET);
}

/* --- start ------------------------------------------------------------------------------------ */

struct pool_pf {
        const char *netdev;
        struct pci_addr addr;
        unsigned int numvfs;
        unsigned int totalvfs;
};

/* Every refusal, before anything changes. */
static int check_pf(vfh_ctx *ctx, const struct vfh_network *net, const char *netdev,
                    struct pool_pf *pf)
{
        const struct vfh_meta_pool *pool = &net->pool;
        int r;

        pf->netdev = netdev;
        r = sriov_pf_resolve(ctx, netdev, &pf->addr);
        if (r >= 0)
                r = sriov_read(ctx, &pf->addr, &pf->numvfs, &pf->totalvfs);
        if (r < 0) {
                char why[VFH_ERROR_MAX];

                snprintf(why, sizeof(why), "%s", vfh_ctx_last_error(ctx));
                return vfh_errorf(ctx, r, "network %s: <pf dev='%s'>: %s", net->name, netdev, why);
        }
        if (!pool->has_numvfs || pool->numvfs == pf->numvfs)
                return 0;
        if (pool->numvfs > pf->totalvfs)
                return vfh_errorf(ctx, EINVAL,
                                  "network %s: <vfh:pool numvfs='%u'> (line %u): PF %s supports "
                                  "at most %u VFs; lower numvfs",
                                  net->name, pool->numvfs, pool->line, netdev, pf->totalvfs);
        if (pf->numvfs != 0)
                return vfh_errorf(ctx, EBUSY,
                                  "network %s: PF %s has %u VFs but <vfh:pool numvfs='%u'> (line "
                                  "%u) asks for %u; vfiohook changes the count only from 0: run "
                                  "`vfiohookctl sriov %s 0` first, or make numvfs match",
                                  net->name, netdev, pf->numvfs, pool->numvfs, pool->line,
                                  pool->numvfs, netdev);
        return 0;
}

static int apply_vf_default(vfh_ctx *ctx, struct journal *j, const struct vf_ref *vf,
                            const struct vf_settings *want)
{
        struct vf_settings saved;
        struct vf_ref ref = *vf, named;
        struct journal_record *rec;
        char driver[PCI_NAME_MAX], desc[128];
        int r;

        if (vf_assigned(ctx, &ref, driver, sizeof(driver))) {
                vfh_warn(ctx, "network %s: %s is on %s (a guest has it): pool settings not applied",
                         j->name, vf_ref_format(&ref, desc, sizeof(desc)), driver);
                return 0;
        }
        r = vf_settings_prepare(ctx, &ref, want, &saved);
        if (r < 0 || saved.mask == 0)
                return r;
        named = ref;
        named.has_addr = false; /* no device=: see the top of this file */
        rec = journal_append(j, VF_JOURNAL_TYPE);
        if (!rec)
                return vfh_errorf(ctx, ENOMEM, "network %s: journal: out of memory", j->name);
        r = vf_journal_fill(rec, &named, &saved);
        if (r >= 0)
                r = journal_intent(ctx, j, rec);
        if (r >= 0)
                r = vf_settings_apply(ctx, &ref, want, NULL);
        if (r < 0) {
                /* vf_settings_apply rolled this VF back itself. */
                journal_drop(j, j->n_records - 1);
                (void)journal_save(ctx, j);
                return r;
        }
        return journal_done(ctx, j, &j->records[j->n_records - 1]);
}

/* The numvfs record carries the pool's remove_on_stop, so that `vfiohookctl recover`, which
 * has no network XML, undoes exactly what `stopped` would have. */
static int mark_remove_on_stop(vfh_ctx *ctx, struct journal *j, struct journal_record *rec)
{
        int r = journal_record_set(rec, "remove_on_stop", "yes");

        return r < 0 ? r : journal_save(ctx, j);
}

/* The pool's VF defaults, without what libvirt owns; false when it sets nothing. */
static bool pool_want(const struct vfh_network *net, struct vf_settings *want)
{
        vf_settings_from_meta(&net->pool.settings, want);
        want->mask &= ~(unsigned int)VF_ATTRS_LIBVIRT_OWNS;
        return want->mask != 0;
}

static int provision_pf(vfh_ctx *ctx, const struct vfh_network *net, struct journal *j,
                        const struct pool_pf *pf)
{
        struct vf_settings want;
        unsigned int numvfs = pf->numvfs, total;
        int r = 0;

        if (net->pool.has_numvfs) {
                size_t before = j->n_records;

                r = sriov_set_numvfs(ctx, &pf->addr, net->pool.numvfs, j);
                if (r < 0)
                        return r;
                if (j->n_records > before && net->pool.remove_on_stop == VFH_TOGGLE_ON)
                        r = mark_remove_on_stop(ctx, j, &j->records[j->n_records - 1]);
                if (r < 0)
                        return r;
        }
        if (!pool_want(net, &want))
                return 0;
        r = sriov_read(ctx, &pf->addr, &numvfs, &total);
        for (unsigned int i = 0; r >= 0 && i < numvfs; i++) {
                struct vf_ref ref;

                r = vf_ref_from_netdev(ctx, pf->netdev, i, &ref);
                if (r >= 0)
                        r = apply_vf_default(ctx, j, &ref, &want);
        }
        return r;
}

/* A pool given as an explicit <address> list: its VFs, each found from its address. */
static int provision_listed(vfh_ctx *ctx, const struct vfh_network *net, struct journal *j,
                            const struct vf_ref *vfs)
{
        struct vf_settings want;
        int r = 0;

        if (!pool_want(net, &want))
                return 0;
        for (size_t i = 0; r >= 0 && i < net->n_addresses; i++)
                r = apply_vf_default(ctx, j, &vfs[i], &want);
        return r;
}

/* Every address of an explicit pool must be a VF we can reach through its PF. */
static int check_listed(vfh_ctx *ctx, const struct vfh_network *net, struct vf_ref *vfs)
{
        for (size_t i = 0; i < net->n_addresses; i++) {
                int r = vf_resolve(ctx, &net->addresses[i], &vfs[i]);

                if (r < 0) {
                        char why[VFH_ERROR_MAX];

                        snprintf(why, sizeof(why), "%s", vfh_ctx_last_error(ctx));
                        return vfh_errorf(ctx, r, "network %s: <forward><address>: %s", net->name,
                                          why);
                }
        }
        return 0;
}

static int start_locked(vfh_ctx *ctx, const struct vfh_network *net, struct journal *j)
{
        _cleanup_free_ struct pool_pf *pfs = calloc(net->n_pf_devs + 1, sizeof(*pfs));
        _cleanup_free_ struct vf_ref *listed = calloc(net->n_addresses + 1, sizeof(*listed));
        int r = 0;

        if (!pfs || !listed)
                return -ENOMEM;
        if (net->n_pf_devs == 0 && net->pool.has_numvfs)
                return vfh_errorf(ctx, EINVAL,
                                  "network %s: <vfh:pool numvfs='%u'> (line %u) needs a <pf "
                                  "dev=…/> in <forward>; an explicit <address> list has no PF "
                                  "to give VFs",
                                  net->name, net->pool.numvfs, net->pool.line);
        for (size_t i = 0; r >= 0 && i < net->n_pf_devs; i++)
                r = check_pf(ctx, net, net->pf_devs[i], &pfs[i]);
        if (r >= 0 && net->n_pf_devs == 0)
                r = check_listed(ctx, net, listed);
        if (r < 0)
                return r;
        /* A journal left by a run whose `stopped` never came: its VF defaults go back first
         * (they are set again below); VFs it created stay ours. What cannot be undone now (a
         * guest holds the VF) stays in the journal for the next stop. */
        if (j->n_records) {
                vfh_warn(ctx, "network %s: undoing the journal of an earlier run", net->name);
                if (undo_journal(ctx, j, NUMVFS_KEEP) < 0)
                        vfh_warn(ctx, "network %s: kept %zu record(s) of the earlier run",
                                 net->name, j->n_records);
        }
        for (size_t i = 0; r >= 0 && i < net->n_pf_devs; i++)
                r = provision_pf(ctx, net, j, &pfs[i]);
        if (r >= 0 && net->n_pf_devs == 0)
                r = provision_listed(ctx, net, j, listed);
        return r;
}

int pool_start(vfh_ctx *ctx, const struct vfh_network *net)
{
        _cleanup_journal_ struct journal *j = NULL;
        struct pool_locks locks;
        int r;

        if (!pool_is_ours(net))
                return 0;
        r = pool_lock(ctx, net, &locks);
        if (r < 0)
                return r;
        r = pool_journal(ctx, net, &j);
        if (r >= 0)
                r = start_locked(ctx, net, j);
        if (r < 0 && j) {
                char why[VFH_ERROR_MAX];

                snprintf(why, sizeof(why), "%s", vfh_ctx_last_error(ctx));
                if (undo_journal(ctx, j, NUMVFS_RESTORE) < 0)
                        vfh_warn(ctx,
                                 "network %s: rollback incomplete, journal %s kept for "
                                 "`vfiohookctl recover`",
                                 net->name, j->id);
                vfh_errorf(ctx, r, "%s", why);
        }
        pool_unlock(&locks);
        return r;
}

/* --- ports and stop -------------------------------------------------------------------------- */

static bool port_is_vf(const struct vfh_networkport *port)
{
        return port && port->plug_type && strcmp(port->plug_type, "hostdev-pci") == 0 &&
               port->has_address;
}

/* The port's record: by port UUID, else (libvirt always gives one) by VF address. */
static ssize_t find_port(const struct journal *j, const struct vfh_networkport *port)
{
        char addr[PCI_ADDR_STRLEN];

        pci_addr_format(&port->address, addr);
        for (size_t i = 0; i < j->n_records; i++) {
                const struct journal_record *rec = &j->records[i];
                const char *id = journal_record_get(rec, "port");
                const char *a = journal_record_get(rec, "address");

                if (strcmp(rec->type, POOL_PORT_RECORD) != 0)
                        continue;
                if (port->has_uuid ? (id && strcmp(id, port->uuid) == 0)
                                   : (a && strcmp(a, addr) == 0))
                        return (ssize_t)i;
        }
        return -1;
}

static int fill_port(struct journal_record *rec, const struct vfh_networkport *port)
{
        char addr[PCI_ADDR_STRLEN], mac[MAC_ADDR_STRLEN];
        int r = 0;

        if (port->has_uuid)
                r = journal_record_set(rec, "port", port->uuid);
        if (r >= 0)
                r = journal_record_set(rec, "address", pci_addr_format(&port->address, addr));
        if (r >= 0 && port->has_owner_uuid)
                r = journal_record_set(rec, "owner", port->owner_uuid);
        if (r >= 0 && port->owner_name)
                r = journal_record_set(rec, "owner_name", port->owner_name);
        if (r >= 0 && port->has_mac)
                r = journal_record_set(rec, "mac", mac_addr_format(&port->mac, mac));
        return r;
}

int pool_port_created(vfh_ctx *ctx, const struct vfh_network *net,
                      const struct vfh_networkport *port)
{
        _cleanup_journal_ struct journal *j = NULL;
        struct journal_record *rec;
        struct pool_locks locks;
        char addr[PCI_ADDR_STRLEN];
        int r;

        if (!pool_is_ours(net) || !port_is_vf(port))
                return 0;
        r = pool_lock(ctx, net, &locks);
        if (r < 0)
                return r;
        r = pool_journal(ctx, net, &j);
        if (r >= 0 && find_port(j, port) >= 0) {
                pool_unlock(&locks);
                return 0;
        }
        if (r >= 0) {
                rec = journal_append(j, POOL_PORT_RECORD);
                r = rec ? fill_port(rec, port) : -ENOMEM;
                if (r >= 0)
                        r = journal_done(ctx, j, rec);
                if (r >= 0)
                        vfh_info(ctx, "network %s: VF %s given to %s", net->name,
                                 pci_addr_format(&port->address, addr),
                                 port->owner_name ? port->owner_name : "a guest");
        }
        pool_unlock(&locks);
        return r;
}

int pool_port_deleted(vfh_ctx *ctx, const struct vfh_network *net,
                      const struct vfh_networkport *port)
{
        _cleanup_journal_ struct journal *j = NULL;
        struct pool_locks locks;
        ssize_t i;
        int r;

        if (!pool_is_ours(net) || !port_is_vf(port))
                return 0;
        r = pool_lock(ctx, net, &locks);
        if (r < 0)
                return r;
        r = journal_load(ctx, net->uuid, &j);
        if (r == -ENOENT)
                r = 0;
        else if (r >= 0 && (i = find_port(j, port)) >= 0) {
                journal_drop(j, (size_t)i);
                r = journal_save(ctx, j);
        }
        pool_unlock(&locks);
        return r;
}

int pool_stopped(vfh_ctx *ctx, const struct vfh_network *net)
{
        _cleanup_journal_ struct journal *j = NULL;
        struct pool_locks locks;
        int r;

        if (!pool_is_ours(net))
                return 0;
        r = pool_lock(ctx, net, &locks);
        if (r < 0)
                return r;
        r = journal_load(ctx, net->uuid, &j);
        if (r == -ENOENT)
                r = 0;
        else if (r >= 0)
                r = pool_journal_undo(ctx, j, net->pool.remove_on_stop == VFH_TOGGLE_ON);
        pool_unlock(&locks);
        return r;
}
