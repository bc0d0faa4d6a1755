/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal's "vf" record: what a hook writes before changing a VF comes back, through the
 * journal's text form, as the same VF and the same originals, even after the PF netdev was
 * renamed.
 */
#include <errno.h>

#include "journal.h"
#include "support.h"
#include "vf.h"

#define DEVS "sys/devices/pci0000:00"

/* PF 0000:01:00.0 with VF 1 = 0000:01:10.2; its netdev is called pf_name. */
static vfh_ctx *tree(const char *pf_name)
{
        const char *root = test_tmpdir();
        char rel[128], target[128];
        vfh_ctx *ctx = NULL;

        test_mkdir(root, DEVS "/0000:01:00.0");
        test_mkdir(root, DEVS "/0000:01:10.2");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0",
                     "../../../devices/pci0000:00/0000:01:00.0");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.2",
                     "../../../devices/pci0000:00/0000:01:10.2");
        test_symlink(root, DEVS "/0000:01:00.0/virtfn1", "../0000:01:10.2");
        test_symlink(root, DEVS "/0000:01:10.2/physfn", "../0000:01:00.0");
        snprintf(rel, sizeof(rel), DEVS "/0000:01:00.0/net/%s", pf_name);
        test_mkdir(root, rel);
        snprintf(rel, sizeof(rel), "sys/class/net/%s", pf_name);
        snprintf(target, sizeof(target), "../../devices/pci0000:00/0000:01:00.0/net/%s", pf_name);
        test_symlink(root, rel, target);
        test_mkdir(root, "run/vfiohook");
        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, root) < 0)
                abort();
        return ctx;
}

static struct journal *round_trip(const struct journal *j)
{
        _cleanup_free_ char *text = NULL;
        struct journal *back = NULL;
        char err[256];

        if (journal_format(j, &text) < 0 ||
            journal_parse_buffer(text, strlen(text), &back, err, sizeof(err)) < 0)
                abort();
        return back;
}

TEST(record_round_trip_finds_the_vf_by_address_after_a_rename)
{
        vfh_ctx *ctx = tree("eth0");
        _cleanup_journal_ struct journal *j = NULL, *back = NULL;
        struct journal_record *rec;
        struct vf_settings saved = {0}, got;
        struct vf_ref vf, found;

        CHECK_INT(vf_resolve(ctx, &(struct pci_addr){0, 1, 0x10, 2}, &vf), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &saved, "spoofchk", "on"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &saved, "vlan", "0"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &saved, "mac", "00:00:00:00:00:00"), 0);
        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_DOMAIN, "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                              "g1", &j),
                  0);
        rec = journal_append(j, VF_JOURNAL_TYPE);
        CHECK(rec != NULL);
        CHECK_INT(vf_journal_fill(rec, &vf, &saved), 0);
        CHECK_STR(journal_record_get(rec, "device"), "0000:01:10.2");
        CHECK_STR(journal_record_get(rec, "pf"), "eth0");
        CHECK_STR(journal_record_get(rec, "vf"), "1");
        CHECK_STR(journal_record_get(rec, "proto"), "802.1Q");
        vfh_ctx_unref(ctx);

        /* After a rebind the PF came back as eth3: the address still leads to it. */
        ctx = tree("eth3");
        back = round_trip(j);
        CHECK_INT(back->n_records, 1);
        CHECK_INT(vf_journal_read(ctx, &back->records[0], &found, &got), 0);
        CHECK_STR(found.pf_netdev, "eth3");
        CHECK_INT(found.index, 1);
        CHECK(memcmp(&got, &saved, sizeof(got)) == 0);
        vfh_ctx_unref(ctx);
}

TEST(record_without_an_address_uses_pf_and_index)
{
        vfh_ctx *ctx = tree("eth0");
        _cleanup_journal_ struct journal *j = NULL;
        struct journal_record *rec;
        struct vf_settings saved = {.mask = VF_ATTR_QUERY_RSS | VF_ATTR_LINK_STATE,
                                    .link_state = VF_LINK_STATE_ENABLE};
        struct vf_settings got;
        struct vf_ref vf = {.index = 63}, found;

        strcpy(vf.pf_netdev, "eth0");
        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_CLI, "cli", "cli", &j), 0);
        rec = journal_append(j, VF_JOURNAL_TYPE);
        CHECK_INT(vf_journal_fill(rec, &vf, &saved), 0);
        CHECK(journal_record_get(rec, "device") == NULL);
        CHECK_INT(vf_journal_read(ctx, rec, &found, &got), 0);
        CHECK_INT(found.index, 63);
        CHECK_INT(got.mask, saved.mask);
        CHECK_INT(got.link_state, VF_LINK_STATE_ENABLE);
        CHECK(!got.query_rss);
        vfh_ctx_unref(ctx);
}

TEST(broken_records_are_refused)
{
        static const char *const rows[][4] = {
            {"device", "0000:01:10", "journal record 1: device=0000:01:10 is not a PCI address",
             NULL},
            {"pf", "eth0", "needs device= or pf= and vf=", NULL},
            {"vf", "x", "needs device= or pf= and vf=", NULL},
            {"colour", "red", "journal record 1: 'colour': unknown VF setting", NULL},
        };

        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                vfh_ctx *ctx = tree("eth0");
                _cleanup_journal_ struct journal *j = NULL;
                struct journal_record *rec;
                struct vf_settings got;
                struct vf_ref found;

                CHECK_INT(journal_new(ctx, JOURNAL_OWNER_CLI, "cli", "cli", &j), 0);
                rec = journal_append(j, VF_JOURNAL_TYPE);
                CHECK_INT(journal_record_set(rec, rows[i][0], rows[i][1]), 0);
                CHECK_INT(vf_journal_read(ctx, rec, &found, &got), -EBADMSG);
                CHECK_CONTAINS(vfh_ctx_last_error(ctx), rows[i][2]);
                vfh_ctx_unref(ctx);
        }
}
