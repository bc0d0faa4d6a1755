/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sriov_numvfs, changed safely. The kernel's rules (drivers/pci/iov.c, sriov_numvfs_store):
 * a PF with VFs accepts only 0 or its current count, so a change between two non-zero counts
 * goes through 0, which destroys every VF; a PF without a driver that implements
 * sriov_configure answers -ENOENT or -EOPNOTSUPP. Destroying a VF that a guest holds yanks
 * the device out from under it, so that is refused first.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "pci.h"
#include "sriov.h"

#define DEV "/sys/bus/pci/devices/%s"

int sriov_pf_resolve(vfh_ctx *ctx, const char *pf, struct pci_addr *ret)
{
        char target[PCI_ADDR_STRLEN + 8];
        int r;

        if (pci_addr_parse(pf, ret) == 0)
                return 0;
        if (!pf[0] || strlen(pf) >= IFNAMSIZ || strchr(pf, '/') || strcmp(pf, ".") == 0 ||
            strcmp(pf, "..") == 0)
                return vfh_errorf(
                    ctx, EINVAL, "PF '%s': neither a network interface name nor a PCI address", pf);
        r = sysfs_link_name(ctx, target, sizeof(target), "/sys/class/net/%s/device", pf);
        if (r == -ENOENT)
                return vfh_errorf(ctx, ENODEV,
                                  "PF %s: no such network interface, or it is not a PCI device "
                                  "(see `ip link`)",
                                  pf);
        if (r < 0)
                return vfh_errorf(ctx, r, "PF %s: reading /sys/class/net/%s/device: %s", pf, pf,
                                  strerror(-r));
        if (pci_addr_parse(target, ret) < 0)
                return vfh_errorf(ctx, ENODEV, "PF %s: its device '%s' is not a PCI device", pf,
                                  target);
        return 0;
}

int sriov_read(vfh_ctx *ctx, const struct pci_addr *pf, unsigned int *numvfs,
               unsigned int *totalvfs)
{
        char name[PCI_ADDR_STRLEN];
        unsigned long num, total;
        int r;

        pci_addr_format(pf, name);
        r = sysfs_read_ulong(ctx, &total, DEV "/sriov_totalvfs", name);
        if (r == -ENOENT)
                return vfh_errorf(ctx, sysfs_exists(ctx, DEV, name) ? EOPNOTSUPP : ENODEV,
                                  "PF %s: %s", name,
                                  sysfs_exists(ctx, DEV, name)
                                      ? "not an SR-IOV physical function (no sriov_totalvfs)"
                                      : "no such PCI device");
        if (r >= 0)
                r = sysfs_read_ulong(ctx, &num, DEV "/sriov_numvfs", name);
        if (r < 0)
                return vfh_errorf(ctx, r, "PF %s: reading its SR-IOV state: %s", name,
                                  strerror(-r));
        *numvfs = (unsigned int)num;
        *totalvfs = (unsigned int)total;
        return 0;
}

static bool is_vfio_driver(const char *driver)
{
        return strstr(driver, "vfio") != NULL;
}

static int check_vf(vfh_ctx *ctx, const char *pf, const char *vf, const char *skip_id)
{
        struct journal *owner = NULL;
        char driver[PCI_NAME_MAX], who[JOURNAL_NAME_MAX * 2 + 256];
        int r = pci_dev_current_driver(ctx, vf, driver, sizeof(driver));

        if (r >= 0 && is_vfio_driver(driver))
                return vfh_errorf(ctx, EBUSY,
                                  "PF %s: VF %s is bound to %s (assigned to a guest?); stop the "
                                  "guest or reattach the VF before changing the number of VFs",
                                  pf, vf, driver);
        r = journal_find_claim(ctx, "device", vf, skip_id, &owner);
        if (r < 0)
                return r;
        if (r > 0) {
                r = vfh_errorf(ctx, EBUSY,
                               "PF %s: VF %s is in use by %s; stop it before changing the number "
                               "of VFs",
                               pf, vf, journal_claim_describe(ctx, owner, who, sizeof(who)));
                journal_free(owner);
                return r;
        }
        return 0;
}

int sriov_check_unassigned(vfh_ctx *ctx, const struct pci_addr *pf, const char *skip_id)
{
        _cleanup_free_ struct pci_addr *vfs = NULL;
        struct pci_dev dev;
        size_t n = 0;
        int r = pci_dev_load(ctx, pf, &dev);

        if (r < 0)
                return r;
        r = pci_dev_list_vfs(ctx, &dev, &vfs, &n);
        if (r < 0)
                return vfh_errorf(ctx, r, "PF %s: listing its VFs: %s", dev.name, strerror(-r));
        for (size_t i = 0; i < n; i++) {
                char vf[PCI_ADDR_STRLEN];

                r = check_vf(ctx, dev.name, pci_addr_format(&vfs[i], vf), skip_id);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A PF another running owner journaled (a pool network provisions it, a guest holds it):
 * its VF count is theirs. */
static int check_pf_unclaimed(vfh_ctx *ctx, const char *pf, const char *skip_id)
{
        struct journal *owner = NULL;
        char who[JOURNAL_NAME_MAX * 2 + 256];
        int r = journal_find_claim(ctx, "device", pf, skip_id, &owner);

        if (r <= 0)
                return r;
        r = vfh_errorf(ctx, EBUSY,
                       "PF %s: in use by %s, which set up its VFs; stop it before changing the "
                       "number of VFs",
                       pf, journal_claim_describe(ctx, owner, who, sizeof(who)));
        journal_free(owner);
        return r;
}

static int write_numvfs(vfh_ctx *ctx, const char *pf, unsigned int n)
{
        unsigned int timeout_ms;
        char value[16];
        int r;

        snprintf(value, sizeof(value), "%u", n);
        /* The write returns once every new VF was probed by its driver: one budget each. */
        timeout_ms =
            ctx->timeout_ms * (n + 1ull) > UINT_MAX ? UINT_MAX : ctx->timeout_ms * (n + 1u);
        r = sysfs_write_deadline(ctx, timeout_ms, value, DEV "/sriov_numvfs", pf);
        if (r == -ENOENT || r == -EOPNOTSUPP)
                return vfh_errorf(ctx, r,
                                  "PF %s: writing %u to sriov_numvfs: its driver does not "
                                  "support SR-IOV or none is bound; bind the PF's own driver "
                                  "first",
                                  pf, n);
        if (r == -ETIMEDOUT)
                return vfh_errorf(ctx, r,
                                  "PF %s: writing %u to sriov_numvfs did not finish within %u "
                                  "ms; check `dmesg` for the PF driver",
                                  pf, n, timeout_ms);
        if (r < 0)
                return vfh_errorf(ctx, r, "PF %s: writing %u to sriov_numvfs: %s; check `dmesg`",
                                  pf, n, strerror(-r));
        return 0;
}

static int verify_numvfs(vfh_ctx *ctx, const char *pf, unsigned int want)
{
        unsigned long now;
        int r = sysfs_read_ulong(ctx, &now, DEV "/sriov_numvfs", pf);

        if (r < 0)
                return vfh_errorf(ctx, r, "PF %s: reading sriov_numvfs back: %s", pf, strerror(-r));
        if (now != want)
                return vfh_errorf(ctx, EIO,
                                  "PF %s: sriov_numvfs reads %lu after writing %u; check `dmesg`",
                                  pf, now, want);
        return 0;
}

/* From cur to want, through 0 when both are non-zero, then verified. */
static int change_numvfs(vfh_ctx *ctx, const char *pf, unsigned int cur, unsigned int want)
{
        int r = 0;

        if (cur != 0 && want != 0)
                r = write_numvfs(ctx, pf, 0);
        if (r >= 0)
                r = write_numvfs(ctx, pf, want);
        if (r >= 0)
                r = verify_numvfs(ctx, pf, want);
        return r;
}

static int fill_record(struct journal_record *rec, const char *pf, unsigned int cur,
                       unsigned int want)
{
        char num[16], next[16];
        int r;

        snprintf(num, sizeof(num), "%u", cur);
        snprintf(next, sizeof(next), "%u", want);
        if ((r = journal_record_set(rec, "device", pf)) < 0 ||
            (r = journal_record_set(rec, "numvfs", num)) < 0)
                return r;
        return journal_record_set(rec, "new", next);
}

/* After a failed change: put cur back; the journal record goes only when that worked. */
static void roll_back(vfh_ctx *ctx, const char *pf, unsigned int cur, struct journal *j)
{
        char why[VFH_ERROR_MAX];
        unsigned long now;

        snprintf(why, sizeof(why), "%s", vfh_ctx_last_error(ctx));
        if (sysfs_read_ulong(ctx, &now, DEV "/sriov_numvfs", pf) < 0)
                now = 1; /* unknown: go through 0 */
        if (now == cur) {
                if (j)
                        journal_drop(j, j->n_records - 1);
        } else if (change_numvfs(ctx, pf, (unsigned int)now, cur) >= 0) {
                if (j)
                        journal_drop(j, j->n_records - 1);
        } else {
                vfh_warn(ctx, "PF %s: could not put sriov_numvfs back to %u: %s", pf, cur,
                         vfh_ctx_last_error(ctx));
        }
        if (j)
                (void)journal_save(ctx, j);
        vfh_errorf(ctx, EIO, "%s", why); /* the first failure stays the one reported */
}

int sriov_set_numvfs(vfh_ctx *ctx, const struct pci_addr *pf, unsigned int want, struct journal *j)
{
        struct journal_record *rec = NULL;
        unsigned int cur, total;
        char name[PCI_ADDR_STRLEN];
        int r;

        pci_addr_format(pf, name);
        r = sriov_read(ctx, pf, &cur, &total);
        if (r < 0)
                return r;
        if (cur == want)
                return 0;
        if (want > total)
                return vfh_errorf(ctx, EINVAL,
                                  "PF %s: %u VFs asked for, but it supports at most %u "
                                  "(sriov_totalvfs)",
                                  name, want, total);
        if ((r = check_pf_unclaimed(ctx, name, j ? j->id : NULL)) < 0)
                return r;
        if (cur > 0 && (r = sriov_check_unassigned(ctx, pf, j ? j->id : NULL)) < 0)
                return r;
        if (j) {
                rec = journal_append(j, SRIOV_JOURNAL_TYPE);
                if (!rec)
                        return vfh_errorf(ctx, ENOMEM, "PF %s: journal: out of memory", name);
                if ((r = fill_record(rec, name, cur, want)) < 0 ||
                    (r = journal_intent(ctx, j, rec)) < 0) {
                        journal_drop(j, j->n_records - 1);
                        return r;
                }
        }
        vfh_info(ctx, "PF %s: sriov_numvfs %u -> %u", name, cur, want);
        r = change_numvfs(ctx, name, cur, want);
        if (r < 0) {
                int err = r;

                roll_back(ctx, name, cur, j);
                return err;
        }
        return j ? journal_done(ctx, j, &j->records[j->n_records - 1]) : 0;
}

int sriov_journal_restore(vfh_ctx *ctx, const struct journal_record *rec, const char *skip_id)
{
        const char *device = journal_record_get(rec, "device");
        const char *numvfs = journal_record_get(rec, "numvfs");
        struct pci_addr pf;
        unsigned int cur, total;
        unsigned long orig;
        char *end;
        int r;

        if (!device || pci_addr_parse(device, &pf) < 0)
                return vfh_errorf(ctx, EBADMSG,
                                  "journal record %u: a numvfs record needs device=PF address",
                                  rec->seq);
        errno = 0;
        orig = numvfs ? strtoul(numvfs, &end, 10) : 0;
        if (!numvfs || errno || *end || !*numvfs || orig > 65535)
                return vfh_errorf(ctx, EBADMSG, "journal record %u: numvfs=%s is not a VF count",
                                  rec->seq, numvfs ? numvfs : "(missing)");
        r = sriov_read(ctx, &pf, &cur, &total);
        if (r < 0)
                return r;
        if (cur == orig)
                return 0;
        if (cur > 0 && (r = sriov_check_unassigned(ctx, &pf, skip_id)) < 0)
                return r;
        vfh_info(ctx, "PF %s: restoring sriov_numvfs %u -> %lu", device, cur, orig);
        return change_numvfs(ctx, device, cur, (unsigned int)orig);
}
