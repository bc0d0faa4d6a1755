/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VF changes in the journal. One "vf" record per VF change names the VF and carries the
 * original of every attribute the change touches, as vf_settings_to_fields() spells them:
 *
 *   record 4 vf intent device=0000:01:10.2 pf=eth0 vf=1 spoofchk=on trust=off
 *
 * device is the VF's PCI address when it is a PCI device. On restore it wins over pf/vf,
 * because a PF netdev can be renamed (a rebind hands out the lowest free ethN) while the
 * address stays; VFs that are not PCI devices (netdevsim) are found by pf and vf.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "vf.h"

static int set_field(void *data, const char *key, const char *value)
{
        return journal_record_set(data, key, value);
}

int vf_journal_fill(struct journal_record *rec, const struct vf_ref *vf,
                    const struct vf_settings *saved)
{
        char addr[PCI_ADDR_STRLEN], index[16];
        int r;

        if (vf->has_addr &&
            (r = journal_record_set(rec, "device", pci_addr_format(&vf->addr, addr))) < 0)
                return r;
        snprintf(index, sizeof(index), "%u", vf->index);
        if ((r = journal_record_set(rec, "pf", vf->pf_netdev)) < 0 ||
            (r = journal_record_set(rec, "vf", index)) < 0)
                return r;
        return vf_settings_to_fields(saved, set_field, rec);
}

static bool is_identity_key(const char *key)
{
        return strcmp(key, "device") == 0 || strcmp(key, "pf") == 0 || strcmp(key, "vf") == 0;
}

static int find_vf(vfh_ctx *ctx, const struct journal_record *rec, struct vf_ref *ret)
{
        const char *device = journal_record_get(rec, "device");
        const char *pf = journal_record_get(rec, "pf");
        const char *index = journal_record_get(rec, "vf");
        struct pci_addr addr;
        unsigned long n;
        char *end;

        if (device) {
                if (pci_addr_parse(device, &addr) < 0)
                        return vfh_errorf(ctx, EBADMSG,
                                          "journal record %u: device=%s is not a PCI address",
                                          rec->seq, device);
                return vf_resolve(ctx, &addr, ret);
        }
        if (!pf || !index)
                return vfh_errorf(
                    ctx, EBADMSG,
                    "journal record %u: a vf record needs device= or pf= and vf=", rec->seq);
        errno = 0;
        n = strtoul(index, &end, 10);
        if (errno || *end || !*index || n > 65535)
                return vfh_errorf(ctx, EBADMSG, "journal record %u: vf=%s is not a VF number",
                                  rec->seq, index);
        return vf_ref_from_netdev(ctx, pf, (unsigned int)n, ret);
}

int vf_journal_read(vfh_ctx *ctx, const struct journal_record *rec, struct vf_ref *vf,
                    struct vf_settings *saved)
{
        struct vf_settings s = {0};
        int r;

        for (size_t i = 0; i < rec->n_kv; i++) {
                if (is_identity_key(rec->kv[i].key))
                        continue;
                r = vf_settings_parse_field(ctx, &s, rec->kv[i].key, rec->kv[i].value);
                if (r < 0) {
                        char why[VFH_ERROR_MAX];

                        snprintf(why, sizeof(why), "%s", vfh_ctx_last_error(ctx));
                        return vfh_errorf(ctx, EBADMSG, "journal record %u: %s", rec->seq, why);
                }
        }
        r = find_vf(ctx, rec, vf);
        if (r < 0)
                return r;
        *saved = s;
        return 0;
}

int vf_journal_restore(vfh_ctx *ctx, const struct journal_record *rec)
{
        struct vf_settings saved;
        struct vf_ref vf;
        int r = vf_journal_read(ctx, rec, &vf, &saved);

        return r < 0 ? r : vf_settings_restore(ctx, &vf, &saved);
}
