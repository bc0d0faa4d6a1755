/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device model: what pci_dev_load reads from a fixture tree, and libpci's names. */
#include <errno.h>

#include "kmodel.h"
#include "pci.h"
#include "support.h"

static const struct kdev pf = {
    "0000:01:00.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10c9, 0x020000, 0x80, 11, "igb"};
static const struct kdev vf = {
    "0000:01:10.2", "pci0000:00/0000:00:04.0", 0x8086, 0x10ca, 0x020000, 0, 22, NULL};
static const struct kdev virtio = {"0000:05:02.0", NULL, 0x1af4, 0x1000,
                                   0x020000,       0,    -1,     "virtio-pci"};
static const struct kdev nvme = {
    "0000:3d:00.0", "pci0000:00/0000:00:1d.0", 0x144d, 0xa808, 0x010802, 0, 30, "nvme"};
static const struct kdev bridge = {"0000:00:1c.0", NULL, 0x8086, 0x2948,
                                   0x060400,       0x81, 5,      "pcieport"};

static const char *fixture(void)
{
        const char *root = test_tmpdir();

        kmodel_add_device(root, &pf);
        kmodel_add_device(root, &vf);
        kmodel_add_device(root, &virtio);
        kmodel_add_device(root, &nvme);
        kmodel_add_device(root, &bridge);
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_totalvfs", "7\n");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "3\n");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/numa_node", "1\n");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/driver_override", "vfio-pci\n");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0/virtfn2", "../0000:01:10.2");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0/virtfn0", "../0000:01:10.0");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0/virtfn1", "../0000:01:10.1");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.2/physfn", "../0000:01:00.0");
        kmodel_add_netdev(root, &pf, "enp1s0");
        test_write_file(root, "sys/devices/pci0000:00/0000:05:02.0/virtio3/net/eth7/ifindex",
                        "9\n");
        kmodel_add_disk(root, &nvme, "nvme0n1", 259);
        return root;
}

TEST(identity_driver_group_numa)
{
        vfh_ctx *ctx = test_ctx_at(fixture());
        struct pci_dev d;

        CHECK_INT(pci_dev_load_name(ctx, "0000:01:00.0", &d), 0);
        CHECK_INT(d.vendor, 0x8086);
        CHECK_INT(d.device, 0x10c9);
        CHECK_INT(d.class, 0x020000);
        CHECK_INT(d.header_type, 0); /* 0x80 is the multifunction bit */
        CHECK(!pci_dev_is_bridge(&d));
        CHECK_STR(d.driver, "igb");
        CHECK_STR(d.driver_override, "vfio-pci");
        CHECK_INT(d.iommu_group, 11);
        CHECK_INT(d.numa_node, 1);
        CHECK_STR(d.reset_method, "flr bus");
        CHECK_INT(d.n_netdevs, 1);
        CHECK_STR(d.netdevs[0], "enp1s0");
        CHECK(d.has_sriov && d.sriov_numvfs == 3 && d.sriov_totalvfs == 7);
        CHECK(!d.is_vf);
        vfh_ctx_unref(ctx);
}

TEST(vf_index_and_vfs_in_order)
{
        vfh_ctx *ctx = test_ctx_at(fixture());
        struct pci_addr *vfs = NULL;
        char a[PCI_ADDR_STRLEN];
        struct pci_dev d, p;
        size_t n = 0;

        CHECK_INT(pci_dev_load_name(ctx, "0000:01:10.2", &d), 0);
        CHECK(d.is_vf);
        CHECK_STR(pci_addr_format(&d.physfn, a), "0000:01:00.0");
        CHECK_INT(d.vf_index, 2);
        CHECK_STR(d.driver, "");
        CHECK_STR(d.driver_override, ""); /* "(null)" in sysfs */
        CHECK_INT(d.numa_node, -1);
        CHECK_INT(pci_dev_load_name(ctx, "0000:01:00.0", &p), 0);
        CHECK_INT(pci_dev_list_vfs(ctx, &p, &vfs, &n), 0);
        CHECK_INT(n, 3);
        if (n == 3) {
                CHECK_STR(pci_addr_format(&vfs[0], a), "0000:01:10.0");
                CHECK_STR(pci_addr_format(&vfs[2], a), "0000:01:10.2");
        }
        free(vfs);
        vfh_ctx_unref(ctx);
}

TEST(virtio_netdev_blocks_bridges_and_no_group)
{
        vfh_ctx *ctx = test_ctx_at(fixture());
        struct pci_dev d;

        CHECK_INT(pci_dev_load_name(ctx, "0000:05:02.0", &d), 0);
        CHECK_INT(d.iommu_group, -1);
        CHECK_INT(d.n_netdevs, 1);
        CHECK_STR(d.netdevs[0], "eth7");
        CHECK_INT(pci_dev_load_name(ctx, "0000:3d:00.0", &d), 0);
        CHECK_INT(d.n_blocks, 1);
        CHECK_STR(d.blocks[0], "nvme0n1");
        CHECK_INT(pci_dev_load_name(ctx, "0000:00:1c.0", &d), 0);
        CHECK(pci_dev_is_bridge(&d));
        CHECK_INT(d.n_blocks, 0); /* the disk's path runs through 0000:00:1d.0, not here */
        vfh_ctx_unref(ctx);
}

TEST(missing_and_malformed_addresses)
{
        vfh_ctx *ctx = test_ctx_at(fixture());
        struct pci_dev d;
        struct pci_addr *all = NULL;
        size_t n = 0;

        CHECK_INT(pci_dev_load_name(ctx, "0000:09:00.0", &d), -ENODEV);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "0000:09:00.0: no such PCI device");
        CHECK_INT(pci_dev_load_name(ctx, "9:0", &d), -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "'9:0' is not a PCI address");
        CHECK_INT(pci_list_all(ctx, &all, &n), 0);
        CHECK_INT(n, 5);
        free(all);
        vfh_ctx_unref(ctx);
}

TEST(libpci_names_and_describe)
{
        vfh_ctx *ctx = test_ctx_at(fixture());
        struct pci_lib *lib = NULL;
        struct pci_info info;
        struct pci_dev d;
        char buf[256];

        CHECK_INT(pci_lib_open(ctx, &lib), 0);
        CHECK_INT(pci_dev_load_name(ctx, "0000:01:00.0", &d), 0);
        CHECK_INT(pci_lib_info(lib, &d.addr, &info), 0);
        CHECK_STR(info.class_name, "Ethernet controller");
        CHECK_CONTAINS(info.vendor_name, "Intel");
        CHECK_CONTAINS(info.device_name, "82576");
        CHECK(!info.cap_sriov); /* the fixture's config space has no capability list */
        CHECK_STR(pci_dev_describe(lib, &d, buf, sizeof(buf)), "Ethernet controller, driver igb");
        CHECK_STR(pci_dev_describe(NULL, &d, buf, sizeof(buf)), "class 0200, driver igb");
        /* A device libpci cannot read is an error, not an exit. */
        struct pci_addr gone = {.bus = 9};
        CHECK_INT(pci_lib_info(lib, &gone, &info), -ENODEV);
        pci_lib_close(lib);
        vfh_ctx_unref(ctx);
}
