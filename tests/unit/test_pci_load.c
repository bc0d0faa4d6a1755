/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What list asks of the device model: partial loads, the PFs' virtfn links read once per
 * context, and libpci's names without a device file read, all equal to the full answers.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kmodel.h"
#include "pci.h"
#include "support.h"

static const struct kdev pf = {
    "0000:01:00.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10c9, 0x020000, 0x80, 11, "igb"};
static const struct kdev vf0 = {
    "0000:01:10.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10ca, 0x020000, 0, 20, NULL};
static const struct kdev vf1 = {
    "0000:01:10.1", "pci0000:00/0000:00:04.0", 0x8086, 0x10ca, 0x020000, 0, 21, "vfio-pci"};
static const struct kdev nvme = {
    "0000:3d:00.0", "pci0000:00/0000:00:1d.0", 0x144d, 0xa808, 0x010802, 0, 30, "nvme"};

#define PF_DIR "sys/devices/pci0000:00/0000:00:04.0/0000:01:00.0"

static const char *fixture(void)
{
        const char *root = test_tmpdir();

        kmodel_add_device(root, &pf);
        kmodel_add_device(root, &vf0);
        kmodel_add_device(root, &vf1);
        kmodel_add_device(root, &nvme);
        test_write_file(root, PF_DIR "/sriov_totalvfs", "7\n");
        test_write_file(root, PF_DIR "/sriov_numvfs", "2\n");
        test_write_file(root, PF_DIR "/driver_override", "vfio-pci\n");
        test_symlink(root, PF_DIR "/virtfn0", "../0000:01:10.0");
        test_symlink(root, PF_DIR "/virtfn1", "../0000:01:10.1");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.0/physfn", "../0000:01:00.0");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.1/physfn", "../0000:01:00.0");
        kmodel_add_disk(root, &nvme, "nvme0n1", 259);
        return root;
}

/* Everything a partial load reads equals the full load's. */
static void check_same_but_parts(const struct pci_dev *part, const struct pci_dev *full)
{
        char a[PCI_ADDR_STRLEN], b[PCI_ADDR_STRLEN];

        CHECK_STR(part->name, full->name);
        CHECK(part->vendor == full->vendor && part->device == full->device);
        CHECK(part->class == full->class && part->header_type == full->header_type);
        CHECK(part->has_config == full->has_config);
        CHECK_STR(part->driver, full->driver);
        CHECK_INT(part->iommu_group, full->iommu_group);
        CHECK_INT(part->numa_node, full->numa_node);
        CHECK(part->is_vf == full->is_vf && part->vf_index == full->vf_index);
        CHECK_STR(pci_addr_format(&part->physfn, a), pci_addr_format(&full->physfn, b));
        CHECK(part->has_sriov == full->has_sriov && part->sriov_numvfs == full->sriov_numvfs &&
              part->sriov_totalvfs == full->sriov_totalvfs);
        CHECK_INT(part->n_netdevs, full->n_netdevs);
        for (size_t i = 0; i < part->n_netdevs && i < full->n_netdevs; i++)
                CHECK_STR(part->netdevs[i], full->netdevs[i]);
        CHECK_INT(part->n_blocks, 0);
}

TEST(partial_load_leaves_out_only_what_it_was_told)
{
        vfh_ctx *ctx = test_ctx_at(fixture());
        static const char *const names[] = {"0000:01:00.0", "0000:01:10.1", "0000:3d:00.0"};
        struct pci_dev full, part;

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                struct pci_addr addr;

                CHECK_INT(pci_addr_parse(names[i], &addr), 0);
                CHECK_INT(pci_dev_load(ctx, &addr, &full), 0);
                CHECK_INT(pci_dev_load_parts(ctx, &addr, 0, &part), 0);
                check_same_but_parts(&part, &full);
                CHECK_STR(part.driver_override, "");
                CHECK_STR(part.reset_method, "");
                CHECK_INT(pci_dev_load_parts(ctx, &addr, PCI_LOAD_OVERRIDE, &part), 0);
                check_same_but_parts(&part, &full);
                CHECK_STR(part.reset_method, full.reset_method);
                CHECK_STR(part.driver_override, full.driver_override);
        }
        CHECK_INT(full.n_blocks, 1); /* the NVMe's disk, in the full load only */
        CHECK_STR(full.reset_method, "flr bus");
        CHECK_INT(pci_dev_load_name(ctx, "0000:01:00.0", &full), 0);
        CHECK_STR(full.driver_override, "vfio-pci");
        vfh_ctx_unref(ctx);
}

/* A group's members, loaded without reading their iommu_group link: the listing says whether
 * there is one, everything else is the full load's, and the link is the one read left out. */
TEST(a_member_load_skips_only_the_group_link)
{
        const char *root = fixture();
        vfh_ctx *ctx = test_ctx_at(root);
        struct pci_dev full, part;
        struct pci_addr addr;
        unsigned long before, reads_full;
        char path[PATH_MAX];

        CHECK_INT(pci_addr_parse("0000:01:10.1", &addr), 0);
        CHECK_INT(pci_dev_load_parts(ctx, &addr, 0, &full), 0); /* the PF's links, cached */
        before = ctx->counters.sysfs_reads;
        CHECK_INT(pci_dev_load_parts(ctx, &addr, 0, &full), 0);
        reads_full = ctx->counters.sysfs_reads - before;
        before = ctx->counters.sysfs_reads;
        CHECK_INT(pci_dev_load_parts(ctx, &addr, PCI_LOAD_SKIP_GROUP_NUMBER, &part), 0);
        CHECK_INT(ctx->counters.sysfs_reads - before, reads_full - 1);
        CHECK_INT(full.iommu_group, 21);
        CHECK_INT(part.iommu_group, PCI_GROUP_NOT_READ);
        part.iommu_group = full.iommu_group;
        check_same_but_parts(&part, &full);
        snprintf(path, sizeof(path),
                 "%s/sys/devices/pci0000:00/0000:00:04.0/0000:01:10.1/iommu_group", root);
        CHECK_INT(unlink(path), 0);
        CHECK_INT(pci_dev_load_parts(ctx, &addr, PCI_LOAD_SKIP_GROUP_NUMBER, &part), 0);
        CHECK_INT(part.iommu_group, -1);
        vfh_ctx_unref(ctx);
}

static int load(vfh_ctx *ctx, const char *name, struct pci_dev *d)
{
        struct pci_addr addr;

        if (pci_addr_parse(name, &addr) < 0)
                return -EINVAL;
        return pci_dev_load_parts(ctx, &addr, 0, d);
}

static void relink(const char *root, const char *rel, const char *target)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        CHECK_INT(unlink(path), 0);
        test_symlink(root, rel, target);
}

TEST(vf_indexes_read_the_pf_links_once_until_a_write)
{
        const char *root = fixture();
        vfh_ctx *ctx = test_ctx_at(root);
        unsigned long before, first, second;
        struct pci_dev d;

        before = ctx->counters.sysfs_reads;
        CHECK_INT(load(ctx, "0000:01:10.1", &d), 0);
        CHECK_INT(d.vf_index, 1);
        first = ctx->counters.sysfs_reads - before;
        before = ctx->counters.sysfs_reads;
        CHECK_INT(load(ctx, "0000:01:10.0", &d), 0);
        CHECK_INT(d.vf_index, 0);
        second = ctx->counters.sysfs_reads - before;
        /* The second VF's load neither opened nor listed the PF, nor read its two links (the
         * first VF has a driver link, the second none). */
        CHECK_INT(first - second, 4 + 1);
        /* After a write of ours (VFs renumbered behind our back) they are read again. */
        relink(root, PF_DIR "/virtfn0", "../0000:01:10.1");
        relink(root, PF_DIR "/virtfn1", "../0000:01:10.0");
        CHECK_INT(
            sysfs_write_deadline(ctx, 20000, "2", "/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"),
            0);
        CHECK_INT(load(ctx, "0000:01:10.1", &d), 0);
        CHECK_INT(d.vf_index, 0);
        CHECK_INT(load(ctx, "0000:01:10.0", &d), 0);
        CHECK_INT(d.vf_index, 1);
        vfh_ctx_unref(ctx);
}

TEST(names_without_device_files_equal_libpci_info)
{
        vfh_ctx *ctx = test_ctx_at(fixture());
        struct pci_lib *lib = NULL;
        struct pci_info full, names, known;
        struct pci_lib_ids ids;
        struct pci_dev d;

        CHECK_INT(pci_lib_open(ctx, &lib), 0);
        CHECK_INT(pci_dev_load_name(ctx, "0000:01:00.0", &d), 0);
        CHECK(d.has_config);
        ids = pci_dev_lib_ids(&d);
        CHECK_INT(pci_lib_info(lib, &d.addr, &full), 0);
        for (int pass = 0; pass < 2; pass++) { /* the second from the session's cache */
                pci_lib_names(lib, &ids, &names);
                CHECK_STR(names.class_name, full.class_name);
                CHECK_STR(names.vendor_name, full.vendor_name);
                CHECK_STR(names.device_name, full.device_name);
                CHECK_INT(pci_lib_info_ids(lib, &d.addr, &ids, &known), 0);
                CHECK(memcmp(&known, &full, sizeof(full)) == 0);
        }
        CHECK_CONTAINS(full.device_name, "82576");
        ids.config_present = false;
        CHECK_INT(pci_lib_info_ids(lib, &d.addr, &ids, &known), -ENODEV);
        CHECK_STR(known.class_name, "");
        pci_lib_close(lib);
        vfh_ctx_unref(ctx);
}

TEST(a_device_without_config_is_known_to_have_none)
{
        const char *root = fixture();
        vfh_ctx *ctx = test_ctx_at(root);
        char path[PATH_MAX];
        struct pci_dev d;

        snprintf(path, sizeof(path), "%s/%s/config", root, PF_DIR);
        CHECK_INT(unlink(path), 0);
        CHECK_INT(pci_dev_load_name(ctx, "0000:01:00.0", &d), 0);
        CHECK(!d.has_config);
        CHECK_INT(d.header_type, 0);
        CHECK_INT(pci_dev_load_name(ctx, "0000:01:10.0", &d), 0);
        CHECK(d.has_config);
        vfh_ctx_unref(ctx);
}

/* modalias, as the kernel prints it for the NVMe of the fixture. */
#define NVME_MODALIAS "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02\n"
#define NVME_DIR      "sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0"

TEST(identity_from_modalias_equals_the_three_attributes)
{
        const char *root = fixture();
        vfh_ctx *ctx = test_ctx_at(root);
        unsigned long before, from_files, from_modalias;
        struct pci_dev files, alias;

        before = ctx->counters.sysfs_reads;
        CHECK_INT(load(ctx, "0000:3d:00.0", &files), 0);
        from_files = ctx->counters.sysfs_reads - before;
        test_write_file(root, NVME_DIR "/modalias", NVME_MODALIAS);
        before = ctx->counters.sysfs_reads;
        CHECK_INT(load(ctx, "0000:3d:00.0", &alias), 0);
        from_modalias = ctx->counters.sysfs_reads - before;
        check_same_but_parts(&alias, &files);
        CHECK(alias.vendor == 0x144d && alias.device == 0xa808 && alias.class == 0x010802);
        CHECK_INT(from_files - from_modalias, 2); /* one read, not three */
        vfh_ctx_unref(ctx);
}

TEST(identity_is_read_from_modalias_when_it_is_well_formed)
{
        static const struct {
                const char *modalias;
                uint16_t vendor, device;
                uint32_t class;
        } cases[] = {
            /* Well formed: it is what the identity comes from. */
            {"pci:v00001234d00005678sv00000000sd00000000bcFFsc00i01\n", 0x1234, 0x5678, 0xff0001},
            {"pci:v00001234d00005678sv00000000sd00000000bcffsc00i01", 0x1234, 0x5678, 0xff0001},
            /* Anything else falls back to vendor, device and class. */
            {"pci:v0000144Dd0000A808\n", 0x144d, 0xa808, 0x010802},
            {"pci:v00010000d00005678sv00000000sd00000000bc01sc08i02\n", 0x144d, 0xa808, 0x010802},
            {"pci:v00001234d00005678sv00000000sd00000000bc01sc08i02x\n", 0x144d, 0xa808, 0x010802},
            {"pci:v0000123Gd00005678sv00000000sd00000000bc01sc08i02\n", 0x144d, 0xa808, 0x010802},
            {"usb:v1234p5678\n", 0x144d, 0xa808, 0x010802},
            {"", 0x144d, 0xa808, 0x010802},
        };
        const char *root = fixture();

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                vfh_ctx *ctx = test_ctx_at(root);
                struct pci_dev d;

                test_write_file(root, NVME_DIR "/modalias", "%s", cases[i].modalias);
                CHECK_INT(load(ctx, "0000:3d:00.0", &d), 0);
                CHECK(d.vendor == cases[i].vendor && d.device == cases[i].device &&
                      d.class == cases[i].class);
                CHECK_STR(d.driver, "nvme");
                vfh_ctx_unref(ctx);
        }
}

TEST(a_broken_attribute_is_reported_without_a_modalias)
{
        const char *root = fixture();
        vfh_ctx *ctx = test_ctx_at(root);
        struct pci_dev d;

        test_write_file(root, NVME_DIR "/vendor", "vendor\n");
        CHECK_INT(load(ctx, "0000:3d:00.0", &d), -EBADMSG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "cannot read its vendor, device and class");
        test_write_file(root, NVME_DIR "/modalias", NVME_MODALIAS);
        CHECK_INT(load(ctx, "0000:3d:00.0", &d), 0);
        CHECK_INT(d.vendor, 0x144d);
        vfh_ctx_unref(ctx);
}

/* After an unbind that vouches for the rest of the cache, a PF's own virtfn links are still
 * read again (its VFs may have gone with its driver); another PF's stay. */
TEST(an_unbind_of_a_pf_drops_only_its_own_virtfn_links)
{
        const char *root = fixture();
        vfh_ctx *ctx = test_ctx_at(root);
        unsigned long before;
        struct pci_dev d;

        CHECK_INT(load(ctx, "0000:01:10.1", &d), 0);
        CHECK_INT(d.vf_index, 1);
        relink(root, PF_DIR "/virtfn0", "../0000:01:10.1");
        relink(root, PF_DIR "/virtfn1", "../0000:01:10.0");
        test_write_file(root, "sys/bus/pci/drivers_probe", "\n");
        before = ctx->counters.device_writes;
        CHECK_INT(sysfs_write_deadline(ctx, 20000, nvme.name, "/sys/bus/pci/drivers_probe"), 0);
        pci_links_keep_after(ctx, nvme.name, before);
        CHECK_INT(load(ctx, "0000:01:10.1", &d), 0);
        CHECK_INT(d.vf_index, 1); /* kept: the write was vouched for and was not the PF's */
        before = ctx->counters.device_writes;
        CHECK_INT(sysfs_write_deadline(ctx, 20000, pf.name, "/sys/bus/pci/drivers_probe"), 0);
        pci_links_keep_after(ctx, pf.name, before);
        CHECK_INT(load(ctx, "0000:01:10.1", &d), 0);
        CHECK_INT(d.vf_index, 0);
        vfh_ctx_unref(ctx);
}
