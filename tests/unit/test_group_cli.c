/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfiohookctl list and check on a fixture tree: what an admin sees, text and JSON. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/wait.h>

#include "kmodel.h"
#include "support.h"

static const struct kdev e1000e = {
    "0000:03:00.0", "pci0000:00/0000:00:06.0", 0x8086, 0x10d3, 0x020000, 0, 13, "e1000e"};
static const struct kdev bridge = {
    "0000:04:00.0", "pci0000:00/0000:00:07.0", 0x1b36, 0x000e, 0x060400, 1, 14, NULL};
static const struct kdev br_e1000 = {
    "0000:05:01.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x8086, 0x100e, 0x020000, 0, 14,
    "e1000"};
static const struct kdev igb = {
    "0000:01:00.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10c9, 0x020000, 0, 11, "igb"};
static const struct kdev igbvf = {
    "0000:01:10.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10ca, 0x020000, 0, 20, "vfio-pci"};

static const char *fixture(void)
{
        const char *root = test_tmpdir();

        kmodel_add_driver(root, "e1000e", "8086:10d3");
        kmodel_add_driver(root, "e1000", "8086:100e");
        kmodel_add_driver(root, "igb", "8086:10c9");
        kmodel_add_vfio(root);
        kmodel_add_device(root, &e1000e);
        kmodel_add_device(root, &bridge);
        kmodel_add_device(root, &br_e1000);
        kmodel_add_device(root, &igb);
        kmodel_add_device(root, &igbvf);
        kmodel_add_netdev(root, &e1000e, "eth0");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_totalvfs", "7\n");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "1\n");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0/virtfn0", "../0000:01:10.0");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.0/physfn", "../0000:01:00.0");
        test_symlink(root, "proc/4242/fd/9", "/dev/vfio/20");
        test_write_file(root, "proc/4242/comm", "qemu-system-x86\n");
        test_mkdir(root, "run");
        return root;
}

TEST(list_text_shows_groups_drivers_and_holders)
{
        const char *root = fixture();
        static char out[65536];

        CHECK_INT(test_vfiohookctl(root, "list", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "group 13\n  0000:03:00.0 [8086:10d3] Ethernet controller: ");
        CHECK_CONTAINS(out, "(driver e1000e, net eth0)");
        CHECK_CONTAINS(out, "group 14\n  0000:04:00.0 [1b36:000e] PCI bridge");
        CHECK_CONTAINS(out, "(no driver, bridge)");
        CHECK_CONTAINS(out, "SR-IOV PF 1/7 VFs)\n    VFs: 0000:01:10.0\n");
        CHECK_CONTAINS(out, "group 20 /dev/vfio/20 held by 4242 qemu-system-x86\n");
        CHECK_CONTAINS(out, "(driver vfio-pci, VF 0 of 0000:01:00.0)");
}

TEST(list_json_is_versioned_and_typed)
{
        const char *root = fixture();
        static char out[65536];

        CHECK_INT(test_vfiohookctl(root, "list --json", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "\"version\": 1");
        CHECK_CONTAINS(out, "\"group\": 20,\n      \"vfio_node\": true,\n      \"viable\": true");
        CHECK_CONTAINS(out, "\"pid\": 4242,\n          \"comm\": \"qemu-system-x86\"");
        CHECK_CONTAINS(out, "\"physfn\": \"0000:01:00.0\",\n          \"vf_index\": 0");
        CHECK_CONTAINS(out, "\"vfs\": [\n            \"0000:01:10.0\"\n          ]");
        CHECK_CONTAINS(out, "\"driver\": null");
        CHECK_CONTAINS(out, "\"ungrouped\": []");
}

TEST(check_explains_and_changes_nothing)
{
        const char *root = fixture();
        static char out[65536];
        char *log;

        CHECK_INT(test_vfiohookctl(root, "check 0000:05:01.0", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "0000:05:01.0: IOMMU group 14: can be detached\n");
        CHECK_CONTAINS(out, "0000:04:00.0 (PCI bridge, no driver): bridge, stays with the host");
        CHECK_INT(test_vfiohookctl(root, "check 0000:01:00.0 --json", out, sizeof(out)), 1);
        CHECK_CONTAINS(out, "\"can_detach\": false");
        CHECK_CONTAINS(out, "SR-IOV PF with 1 VFs enabled");
        CHECK_INT(test_vfiohookctl(root, "check 0000:03:00.0 --driver e1000e", out, sizeof(out)),
                  1);
        CHECK_INT(test_vfiohookctl(root, "check 03:00", out, sizeof(out)), 2);
        log = kmodel_log(root);
        CHECK_STR(log, "");
        free(log);
}
