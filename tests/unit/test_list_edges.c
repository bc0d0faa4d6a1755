/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl list on a tree sysfs would never show: what it prints there is kept as it was
 * when list read every attribute by its full path (docs/PERFORMANCE.md, list at scale).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmodel.h"
#include "support.h"

static const struct kdev e1000e = {"0000:00:01.0", "pci0000:00", 0x8086, 0x10d3, 0x020000, 0, 1,
                                   "e1000e"};
static const struct kdev noconfig = {
    "0000:00:03.0", "pci0000:00", 0x8086, 0x100e, 0x020000, 0, 3, NULL};
static const struct kdev linked = {
    "0000:00:04.0", "pci0000:00", 0x1234, 0x5678, 0xff0000, 0, 4, NULL};
static const struct kdev lonely = {
    "0000:00:07.0", "pci0000:00", 0x8086, 0x4321, 0x020000, 0, -1, NULL};
static const struct kdev pf = {"0000:01:00.0", "pci0000:00", 0x8086, 0x10c9, 0x020000, 0, 20, NULL};
static const struct kdev vf = {"0000:01:10.0", "pci0000:00", 0x8086, 0x10ca, 0x020000, 0, 21,
                               "vfio-pci"};

#define DEVICES "sys/devices/pci0000:00/"

static const char *fixture(void)
{
        const char *root = test_tmpdir();
        char path[PATH_MAX];

        kmodel_add_driver(root, "e1000e", "8086:10d3");
        kmodel_add_vfio(root);
        kmodel_add_device(root, &e1000e);
        kmodel_add_device(root, &noconfig);
        kmodel_add_device(root, &linked);
        kmodel_add_device(root, &lonely);
        kmodel_add_device(root, &pf);
        kmodel_add_device(root, &vf);
        snprintf(path, sizeof(path), "%s/" DEVICES "0000:00:03.0/config", root);
        unlink(path);
        /* Attributes behind links: absolute, and relative out of the device directory. */
        test_write_file(root, "etc/numa", "3\n");
        snprintf(path, sizeof(path), "%s/" DEVICES "0000:00:04.0/numa_node", root);
        unlink(path);
        test_symlink(root, DEVICES "0000:00:04.0/numa_node", "/etc/numa");
        snprintf(path, sizeof(path), "%s/" DEVICES "0000:00:04.0/driver_override", root);
        unlink(path);
        test_symlink(root, DEVICES "0000:00:04.0/driver_override", "../../../../etc/numa");
        /* Listed in a group, but without an iommu_group link of its own. */
        test_symlink(root, "sys/kernel/iommu_groups/7/devices/0000:00:07.0",
                     "/sys/bus/pci/devices/0000:00:07.0");
        /* A VF whose group node is a dangling link, and a node name that is not canonical. */
        test_write_file(root, DEVICES "0000:01:00.0/sriov_totalvfs", "4\n");
        test_symlink(root, DEVICES "0000:01:00.0/virtfn3", "../0000:01:10.0");
        test_symlink(root, DEVICES "0000:01:10.0/physfn", "../0000:01:00.0");
        snprintf(path, sizeof(path), "%s/dev/vfio/21", root);
        unlink(path);
        test_symlink(root, "dev/vfio/21", "/nowhere");
        test_write_file(root, "dev/vfio/007", "%s", "");
        test_symlink(root, "proc/100/fd/3", "/dev/vfio/21");
        test_write_file(root, "proc/100/comm", "qemu\n");
        return root;
}

TEST(list_text_on_an_odd_tree)
{
        const char *root = fixture();
        static char out[65536];

        CHECK_INT(test_vfiohookctl(root, "list", out, sizeof(out)), 0);
        /* Without config, libpci was never asked: the class is named, the device is not. */
        CHECK_CONTAINS(out,
                       "group 3\n  0000:00:03.0 [8086:100e] Ethernet controller:  (no driver)\n");
        CHECK_CONTAINS(out,
                       "0000:00:04.0 [1234:5678] Unassigned class [ff00]:  (no driver, numa 3)");
        /* Shown with group 7, and again as ungrouped: it has no link to a group. */
        CHECK_CONTAINS(out, "group 7\n  0000:00:07.0 [8086:4321]");
        CHECK_CONTAINS(out, "no IOMMU group\n  0000:00:07.0 [8086:4321]");
        /* A node that is a dangling link is no node, yet its holder is listed. */
        CHECK_CONTAINS(out, "group 21 held by 100 qemu\n");
        CHECK_CONTAINS(out, "(driver vfio-pci, VF 3 of 0000:01:00.0)");
        CHECK(!strstr(out, "/dev/vfio/7"));
}

TEST(list_json_on_an_odd_tree)
{
        const char *root = fixture();
        static char out[65536];

        CHECK_INT(test_vfiohookctl(root, "list --json", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "\"address\": \"0000:00:03.0\",\n          \"vendor\": \"8086\",\n"
                            "          \"device\": \"100e\",\n          \"class\": \"020000\",\n"
                            "          \"class_name\": null,");
        CHECK_CONTAINS(out, "\"driver_override\": \"3\"");
        CHECK_CONTAINS(out, "\"group\": 21,\n      \"vfio_node\": false,");
}
