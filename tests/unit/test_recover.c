/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recovery against the kernel model: a domain journal whose owner is gone is replayed and the
 * drivers come back; a running owner, a `vfiohookctl detach` and a journal that changed after
 * it was judged stale are left alone, with no write to sysfs.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "group.h"
#include "kmodel.h"
#include "recover.h"
#include "support.h"

static const struct kdev e1000e = {
    "0000:03:00.0", "pci0000:00/0000:00:06.0", 0x8086, 0x10d3, 0x020000, 0, 13, "e1000e"};
static const struct kdev bridge = {
    "0000:04:00.0", "pci0000:00/0000:00:07.0", 0x1b36, 0x000e, 0x060400, 1, 14, NULL};
static const struct kdev br_a = {
    "0000:05:01.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x8086, 0x100e, 0x020000, 0, 14,
    "e1000"};
static const struct kdev br_b = {
    "0000:05:02.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x8086, 0x10d3, 0x020000, 0, 14,
    "e1000e"};

#define UUID_GONE "6f1c0e2a-1111-4222-8333-944455556666"

static const char *rig(void)
{
        const char *root = test_tmpdir();

        kmodel_add_driver(root, "e1000e", "8086:10d3");
        kmodel_add_driver(root, "e1000", "8086:100e");
        kmodel_add_vfio(root);
        kmodel_add_device(root, &e1000e);
        kmodel_add_device(root, &bridge);
        kmodel_add_device(root, &br_a);
        kmodel_add_device(root, &br_b);
        test_write_file(root, "proc/self/mountinfo",
                        "22 1 0:1 / / rw,relatime shared:1 - tmpfs tmpfs rw\n");
        test_mkdir(root, "run");
        kmodel_install();
        return root;
}

/* What a prepare that never got its release leaves: group 14 on vfio-pci, journaled. */
static struct journal *detached_for(vfh_ctx *ctx, enum journal_owner_kind kind, const char *id,
                                    const char *name)
{
        static struct pci_group grp;
        struct journal *j = NULL;
        struct group_opts opts = {.owner_id = id};

        if (journal_new(ctx, kind, id, name, &j) < 0 || group_load(ctx, 14, &grp) < 0)
                abort();
        CHECK_INT(group_detach(ctx, &grp, j, &opts), 0);
        return j;
}

static size_t log_lines(const char *root)
{
        char *log = kmodel_log(root);
        size_t n = 0;

        for (const char *p = log; p && *p; p++)
                n += *p == '\n';
        free(log);
        return n;
}

TEST(a_stale_domain_journal_is_replayed)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = detached_for(ctx, JOURNAL_OWNER_DOMAIN, UUID_GONE, "gone");
        struct journal *left = NULL;

        CHECK_STR(kmodel_driver(root, "0000:05:01.0"), "vfio-pci");
        CHECK_STR(kmodel_driver(root, "0000:05:02.0"), "vfio-pci");
        CHECK_INT(recover_judge(ctx, j), RECOVER_STALE);
        CHECK_INT(recover_owner(ctx, j), 0);
        CHECK_STR(kmodel_driver(root, "0000:05:01.0"), "e1000");
        CHECK_STR(kmodel_driver(root, "0000:05:02.0"), "e1000e");
        CHECK(!kmodel_vfio_node(root, 14));
        CHECK_INT(journal_load(ctx, UUID_GONE, &left), -ENOENT);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(a_running_domain_is_not_touched)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = detached_for(ctx, JOURNAL_OWNER_DOMAIN, UUID_GONE, "alive");
        size_t writes = log_lines(root);

        test_write_file(root, "run/libvirt/qemu/alive.pid", "4242\n");
        test_write_file(root, "proc/4242/comm", "qemu-system-x86\n");
        CHECK_INT(recover_judge(ctx, j), RECOVER_RUNNING);
        CHECK_INT(recover_owner(ctx, j), -EBUSY);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "domain alive: its owner is running");
        CHECK_INT(log_lines(root), writes);
        CHECK_STR(kmodel_driver(root, "0000:05:01.0"), "vfio-pci");
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(a_cli_detach_stays_claimed)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = detached_for(ctx, JOURNAL_OWNER_CLI, "cli", "vfiohookctl");

        CHECK_INT(recover_judge(ctx, j), RECOVER_CLI);
        CHECK_INT(recover_owner(ctx, j), -EBUSY);
        CHECK_STR(kmodel_driver(root, "0000:05:01.0"), "vfio-pci");
        journal_free(j);
        vfh_ctx_unref(ctx);
}

/* A hook ran between judging and replaying: its journal grew, and recover backs off. */
TEST(a_journal_that_changed_meanwhile_is_left)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = detached_for(ctx, JOURNAL_OWNER_DOMAIN, UUID_GONE, "gone");
        struct journal *seen = NULL;
        struct journal_record *rec;
        size_t writes;

        CHECK_INT(journal_load(ctx, UUID_GONE, &seen), 0);
        rec = journal_append(j, "bind");
        journal_record_set(rec, "device", "0000:03:00.0");
        CHECK_INT(journal_save(ctx, j), 0);
        writes = log_lines(root);
        if (seen) {
                CHECK_INT(recover_owner(ctx, seen), -EAGAIN);
                CHECK_CONTAINS(vfh_ctx_last_error(ctx), "domain gone: its journal changed");
        }
        CHECK_INT(log_lines(root), writes);
        CHECK_STR(kmodel_driver(root, "0000:05:01.0"), "vfio-pci");
        journal_free(seen);
        journal_free(j);
        vfh_ctx_unref(ctx);
}
