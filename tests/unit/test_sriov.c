/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sriov_numvfs changes against a model of drivers/pci/iov.c's sriov_numvfs_store on top of
 * kmodel: a PF with VFs takes only 0 or its current count (-EBUSY otherwise), VFs appear as
 * devices with virtfnN/physfn links bound to igbvf, and a fail file injects a driver error.
 * The writes run in sysfs_write_deadline's grandchild, so the model keeps its state on disk.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "sriov.h"
#include "sriov_model.h"

#ifdef VFH_TEST_BUILD

static struct pci_addr pf_addr(void)
{
        struct pci_addr a;

        if (pci_addr_parse(PF, &a) < 0)
                abort();
        return a;
}

static void bind_vfio(vfh_ctx *ctx, const char *vf)
{
        CHECK_INT(sysfs_write(ctx, "vfio-pci", "/sys/bus/pci/devices/%s/driver_override", vf), 0);
        CHECK_INT(sysfs_write(ctx, vf, "/sys/bus/pci/drivers/igbvf/unbind"), 0);
        CHECK_INT(sysfs_write(ctx, vf, "/sys/bus/pci/drivers_probe"), 0);
}

TEST(resolve_pf_by_netdev_or_address)
{
        const char *root;
        vfh_ctx *ctx = model_setup(&root);
        struct pci_addr a;
        char buf[PCI_ADDR_STRLEN];

        CHECK_INT(sriov_pf_resolve(ctx, "eth1", &a), 0);
        CHECK_STR(pci_addr_format(&a, buf), PF);
        CHECK_INT(sriov_pf_resolve(ctx, "01:00.0", &a), 0);
        CHECK_STR(pci_addr_format(&a, buf), PF);
        CHECK_INT(sriov_pf_resolve(ctx, "eth9", &a), -ENODEV);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "eth9");
        CHECK_INT(sriov_pf_resolve(ctx, "../eth1", &a), -EINVAL);
        vfh_ctx_unref(ctx);
}

TEST(from_zero_is_one_write_and_journaled)
{
        const char *root;
        vfh_ctx *ctx = model_setup(&root);
        _cleanup_journal_ struct journal *j = NULL, *loaded = NULL;
        struct pci_addr pf = pf_addr();
        unsigned int num, total;

        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_NETWORK, "net-1", "pool", &j), 0);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 4, j), 0);
        CHECK_STR(model_log(root), "4 ");
        CHECK_INT(count_vfs(root), 4);
        CHECK_INT(sriov_read(ctx, &pf, &num, &total), 0);
        CHECK_INT(num, 4);
        CHECK_INT(total, 7);
        CHECK_INT(journal_load(ctx, "net-1", &loaded), 0);
        CHECK_INT(loaded ? loaded->n_records : 0, 1);
        if (loaded && loaded->n_records == 1) {
                CHECK_STR(loaded->records[0].type, SRIOV_JOURNAL_TYPE);
                CHECK_INT(loaded->records[0].state, JOURNAL_DONE);
                CHECK_STR(journal_record_get(&loaded->records[0], "device"), PF);
                CHECK_STR(journal_record_get(&loaded->records[0], "numvfs"), "0");
                CHECK_STR(journal_record_get(&loaded->records[0], "new"), "4");
        }
        /* Same count again: nothing written, nothing journaled. */
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 4, j), 0);
        CHECK_STR(model_log(root), "");
        CHECK_INT(j->n_records, 1);
        /* Undo: back to 0. */
        CHECK_INT(sriov_journal_restore(ctx, &j->records[0], j->id), 0);
        CHECK_STR(model_log(root), "0 ");
        CHECK_INT(count_vfs(root), 0);
        vfh_ctx_unref(ctx);
}

TEST(between_two_counts_goes_through_zero)
{
        const char *root;
        vfh_ctx *ctx = model_setup(&root);
        struct pci_addr pf = pf_addr();

        CHECK_INT(sriov_set_numvfs(ctx, &pf, 2, NULL), 0);
        model_log(root);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 5, NULL), 0);
        CHECK_STR(model_log(root), "0 5 ");
        CHECK_INT(count_vfs(root), 5);
        vfh_ctx_unref(ctx);
}

TEST(refuses_more_than_totalvfs_before_writing)
{
        const char *root;
        vfh_ctx *ctx = model_setup(&root);
        struct pci_addr pf = pf_addr();

        CHECK_INT(sriov_set_numvfs(ctx, &pf, 8, NULL), -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "at most 7");
        CHECK_STR(model_log(root), "");
        vfh_ctx_unref(ctx);
}

TEST(refuses_while_a_vf_is_on_vfio)
{
        const char *root;
        vfh_ctx *ctx = model_setup(&root);
        struct pci_addr pf = pf_addr();

        CHECK_INT(sriov_set_numvfs(ctx, &pf, 3, NULL), 0);
        bind_vfio(ctx, "0000:01:10.1");
        model_log(root);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 0, NULL), -EBUSY);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "0000:01:10.1 is bound to vfio-pci");
        CHECK_STR(model_log(root), "");
        CHECK_INT(count_vfs(root), 3);
        vfh_ctx_unref(ctx);
}

TEST(refuses_while_a_running_owner_claims_a_vf)
{
        const char *root;
        vfh_ctx *ctx = model_setup(&root);
        _cleanup_journal_ struct journal *cli = NULL;
        struct journal_record *rec;
        struct pci_addr pf = pf_addr();

        CHECK_INT(sriov_set_numvfs(ctx, &pf, 2, NULL), 0);
        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_CLI, "cli", "cli", &cli), 0);
        rec = journal_append(cli, "vf");
        CHECK_INT(journal_record_set(rec, "device", "0000:01:10.0"), 0);
        CHECK_INT(journal_record_set(rec, "spoofchk", "on"), 0);
        CHECK_INT(journal_done(ctx, cli, rec), 0);
        model_log(root);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 4, NULL), -EBUSY);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "0000:01:10.0 is in use by `vfiohookctl detach` (journal cli)");
        CHECK_STR(model_log(root), "");
        /* The claimant itself may change it. */
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 4, cli), 0);
        CHECK_STR(model_log(root), "0 4 ");
        vfh_ctx_unref(ctx);
}

TEST(driver_failure_puts_the_old_count_back)
{
        const char *root;
        vfh_ctx *ctx = model_setup(&root);
        _cleanup_journal_ struct journal *j = NULL, *loaded = NULL;
        struct pci_addr pf = pf_addr();

        CHECK_INT(sriov_set_numvfs(ctx, &pf, 2, NULL), 0);
        model_log(root);
        test_write_file(root, "fail", "4 %d\n", ENOMEM);
        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_NETWORK, "net-2", "pool", &j), 0);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 4, j), -ENOMEM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "writing 4 to sriov_numvfs");
        CHECK_STR(model_log(root), "0 4 2 ");
        CHECK_INT(count_vfs(root), 2);
        CHECK_INT(j->n_records, 0);
        CHECK_INT(journal_load(ctx, "net-2", &loaded), -ENOENT);
        vfh_ctx_unref(ctx);
}

TEST(not_an_sriov_pf)
{
        const char *root;
        vfh_ctx *ctx = model_setup(&root);
        struct pci_addr a;
        unsigned int n, t;

        CHECK_INT(pci_addr_parse("0000:00:01.0", &a), 0);
        test_mkdir(root, "sys/devices/pci0000:00/0000:00:01.0");
        test_symlink(root, "sys/bus/pci/devices/0000:00:01.0",
                     "../../../devices/pci0000:00/0000:00:01.0");
        CHECK_INT(sriov_read(ctx, &a, &n, &t), -EOPNOTSUPP);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "not an SR-IOV physical function");
        CHECK_INT(pci_addr_parse("0000:09:00.0", &a), 0);
        CHECK_INT(sriov_read(ctx, &a, &n, &t), -ENODEV);
        vfh_ctx_unref(ctx);
}

#endif
