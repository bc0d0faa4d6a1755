/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The disks below a device: /sys/block is read once per context, and again after a write of
 * ours (which may have unbound the disks' controller). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "kmodel.h"
#include "pci.h"
#include "support.h"

static const struct kdev nvme = {"0000:01:00.0", NULL, 0x144d, 0xa808, 0x010802, 0, 1, "nvme"};
static const struct kdev ahci = {"0000:00:17.0", NULL, 0x8086, 0x43d2, 0x010601, 0, 2, "ahci"};
static const struct kdev nic = {"0000:03:00.0", NULL, 0x8086, 0x15b8, 0x020000, 0, 3, "e1000e"};

static const char *rig(void)
{
        const char *root = test_tmpdir();

        kmodel_add_device(root, &nvme);
        kmodel_add_device(root, &ahci);
        kmodel_add_device(root, &nic);
        kmodel_add_disk(root, &nvme, "nvme0n1", 259);
        kmodel_add_disk(root, &ahci, "sda", 8);
        kmodel_add_disk(root, &ahci, "sdb", 8);
        return root;
}

static int blocks_of(vfh_ctx *ctx, const char *name, struct pci_dev *d)
{
        int r = pci_dev_load_name(ctx, name, d);

        return r < 0 ? r : (int)d->n_blocks;
}

static void remove_disk(const char *root, const char *disk)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/sys/block/%s", root, disk);
        CHECK_INT(unlink(path), 0);
}

TEST(each_device_gets_its_own_disks)
{
        vfh_ctx *ctx = test_ctx_at(rig());
        static struct pci_dev d;

        CHECK_INT(blocks_of(ctx, ahci.name, &d), 2);
        CHECK(d.n_blocks == 2 &&
              ((strcmp(d.blocks[0], "sda") == 0 && strcmp(d.blocks[1], "sdb") == 0) ||
               (strcmp(d.blocks[0], "sdb") == 0 && strcmp(d.blocks[1], "sda") == 0)));
        CHECK_INT(blocks_of(ctx, nvme.name, &d), 1);
        CHECK_STR(d.blocks[0], "nvme0n1");
        CHECK_INT(blocks_of(ctx, nic.name, &d), 0);
        vfh_ctx_unref(ctx);
}

TEST(one_read_of_sys_block_serves_every_device)
{
        vfh_ctx *ctx = test_ctx_at(rig());
        static struct pci_dev d;
        unsigned long before;

        CHECK_INT(blocks_of(ctx, nic.name, &d), 0);
        before = ctx->counters.sysfs_reads;
        CHECK_INT(blocks_of(ctx, nic.name, &d), 0);
        /* a second load reads the device's own attributes, but no /sys/block link again */
        CHECK_INT(blocks_of(ctx, ahci.name, &d), 2);
        CHECK(ctx->counters.sysfs_reads - before < 2 * 20);
        vfh_ctx_unref(ctx);
}

TEST(an_unbind_or_probe_of_ours_makes_the_next_load_read_sys_block_again)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        static struct pci_dev d;

        test_write_file(root, "sys/bus/pci/drivers_probe", "\n");
        CHECK_INT(blocks_of(ctx, nvme.name, &d), 1);
        remove_disk(root, "nvme0n1"); /* as unbinding nvme does */
        /* a driver_override write binds nothing: the links read before still stand */
        CHECK_INT(sysfs_write(ctx, "nvme\n", "/sys/bus/pci/devices/%s/driver_override", nvme.name),
                  0);
        CHECK_INT(blocks_of(ctx, nvme.name, &d), 1);
        CHECK_INT(sysfs_write_deadline(ctx, 20000, nvme.name, "/sys/bus/pci/drivers_probe"), 0);
        CHECK_INT(blocks_of(ctx, nvme.name, &d), 0);
        vfh_ctx_unref(ctx);
}

TEST(another_sysroot_is_another_host)
{
        const char *first = rig(), *second = test_tmpdir();
        vfh_ctx *ctx = test_ctx_at(first);
        static struct pci_dev d;

        CHECK_INT(blocks_of(ctx, ahci.name, &d), 2);
        kmodel_add_device(second, &ahci);
        CHECK_INT(vfh_ctx_set_sysroot(ctx, second), 0);
        CHECK_INT(blocks_of(ctx, ahci.name, &d), 0);
        vfh_ctx_unref(ctx);
}

/* Reads a load of the NIC takes: its own attributes, plus /sys/block's links when they are not
 * cached. */
static unsigned long reads_of_a_load(vfh_ctx *ctx)
{
        unsigned long before = ctx->counters.sysfs_reads;
        static struct pci_dev d;

        CHECK_INT(blocks_of(ctx, nic.name, &d), 0);
        return ctx->counters.sysfs_reads - before;
}

TEST(our_unbind_keeps_the_links_less_the_disks_below_the_device)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        static struct pci_dev d;
        unsigned long cached, before;

        CHECK_INT(blocks_of(ctx, nvme.name, &d), 1);
        cached = reads_of_a_load(ctx);
        test_write_file(root, "sys/bus/pci/drivers/nvme/unbind", "%s", "");
        before = ctx->counters.device_writes;
        CHECK_INT(sysfs_write_deadline(ctx, 20000, nvme.name, "/sys/bus/pci/drivers/nvme/unbind"),
                  0);
        pci_links_keep_after(ctx, nvme.name, before);
        /* The kernel would have removed nvme0n1; the model leaves it, so only the cache can
         * have dropped it. */
        CHECK_INT(blocks_of(ctx, nvme.name, &d), 0);
        CHECK_INT(blocks_of(ctx, ahci.name, &d), 2);
        CHECK_INT(reads_of_a_load(ctx), cached);
        vfh_ctx_unref(ctx);
}

TEST(links_are_read_again_when_another_write_came_between)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        static struct pci_dev d;
        unsigned long cached, before;

        test_write_file(root, "sys/bus/pci/drivers_probe", "\n");
        CHECK_INT(blocks_of(ctx, ahci.name, &d), 2);
        cached = reads_of_a_load(ctx);
        before = ctx->counters.device_writes;
        CHECK_INT(sysfs_write_deadline(ctx, 20000, ahci.name, "/sys/bus/pci/drivers_probe"), 0);
        CHECK_INT(sysfs_write_deadline(ctx, 20000, nvme.name, "/sys/bus/pci/drivers_probe"), 0);
        remove_disk(root, "sdb");
        pci_links_keep_after(ctx, ahci.name, before); /* two writes: not vouched for */
        CHECK_INT(blocks_of(ctx, nvme.name, &d), 1);
        CHECK_INT(blocks_of(ctx, ahci.name, &d), 1);
        CHECK_STR(d.blocks[0], "sda");
        /* Without a cache to keep (a fresh context), nothing happens either. */
        vfh_ctx_unref(ctx);
        ctx = test_ctx_at(root);
        before = ctx->counters.device_writes;
        CHECK_INT(sysfs_write_deadline(ctx, 20000, ahci.name, "/sys/bus/pci/drivers_probe"), 0);
        pci_links_keep_after(ctx, ahci.name, before);
        CHECK_INT(blocks_of(ctx, ahci.name, &d), 1);
        CHECK(reads_of_a_load(ctx) == cached);
        vfh_ctx_unref(ctx);
}
