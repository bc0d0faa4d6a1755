/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host-critical detection, one cause at a time, from /sys and /proc fixtures. */
#include "hostcrit.h"
#include "kmodel.h"
#include "support.h"

static const struct kdev nic = {
    "0000:03:00.0", "pci0000:00/0000:00:06.0", 0x8086, 0x10d3, 0x020000, 0, 13, "e1000e"};
static const struct kdev sata = {"0000:00:1f.2", NULL, 0x8086, 0x2922, 0x010601, 0, 9, "ahci"};
static const struct kdev vga = {"0000:00:02.0", NULL, 0x1234, 0x1111, 0x030000, 0, 2, "bochs-drm"};
static const struct kdev ninep = {"0000:00:03.0", NULL, 0x1af4, 0x1009,
                                  0x000200,       0,    3,      "virtio-pci"};

struct verdict {
        int r;
        char reason[256];
};

static struct verdict judge(const char *root, const struct kdev *k)
{
        struct verdict v = {0};
        vfh_ctx *ctx = NULL;
        struct pci_dev d;

        vfh_ctx_new(&ctx);
        vfh_ctx_set_sysroot(ctx, root);
        v.r = pci_dev_load_name(ctx, k->name, &d);
        if (v.r == 0)
                v.r = hostcrit_check(ctx, &d, v.reason, sizeof(v.reason));
        vfh_ctx_unref(ctx);
        return v;
}

static const char *nic_root(void)
{
        const char *root = test_tmpdir();

        kmodel_add_device(root, &nic);
        kmodel_add_netdev(root, &nic, "eth1");
        return root;
}

TEST(idle_nic_is_not_critical)
{
        const char *root = nic_root();
        struct verdict v;

        test_write_file(root, "proc/net/route",
                        "Iface\tDestination\n"
                        "eth0\t0000000A\t0\t1\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
        test_write_file(root, "proc/net/if_inet6",
                        "fe800000000000000000000000000001 07 40 20 80 eth1\n");
        test_write_file(root, "proc/net/ipv6_route",
                        "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
                        "00000000000000000000000000000000 00000100 00000001 00000000 00000001 "
                        "eth1\n");
        v = judge(root, &nic);
        CHECK_INT(v.r, 0);
        CHECK_STR(v.reason, "");
}

TEST(global_ipv6_address_and_route)
{
        const char *root = nic_root();
        struct verdict v;

        test_write_file(root, "proc/net/if_inet6",
                        "20010db8000000000000000000000002 07 40 00 80 eth1\n");
        v = judge(root, &nic);
        CHECK_INT(v.r, 1);
        CHECK_STR(v.reason, "eth1 has the IPv6 address 2001:0db8:0000:0000:0000:0000:0000:0002");
        root = nic_root();
        test_write_file(root, "proc/net/ipv6_route",
                        "20010db8000000000000000000000000 40 00000000000000000000000000000000 00 "
                        "00000000000000000000000000000000 00000100 00000001 00000000 00000001 "
                        "eth1\n");
        v = judge(root, &nic);
        CHECK_INT(v.r, 1);
        CHECK_CONTAINS(v.reason, "eth1 has the IPv6 route 2001:0db8:");
}

TEST(bridge_port_via_upper_link)
{
        const char *root = nic_root();
        struct verdict v;

        test_symlink(root, "sys/devices/pci0000:00/0000:00:06.0/0000:03:00.0/net/eth1/upper_br0",
                     "../../../../../virtual/net/br0");
        v = judge(root, &nic);
        CHECK_INT(v.r, 1);
        CHECK_STR(v.reason, "eth1 has the upper device br0");
}

TEST(disk_mounted_swap_and_held)
{
        const char *root = test_tmpdir();
        struct verdict v;

        kmodel_add_device(root, &sata);
        kmodel_add_disk(root, &sata, "sda", 8);
        test_write_file(root, "proc/self/mountinfo",
                        "22 1 0:21 / / rw - tmpfs tmpfs rw\n"
                        "23 22 8:2 / /srv rw - ext4 /dev/sdb2 rw\n");
        v = judge(root, &sata);
        CHECK_INT(v.r, 0);
        test_write_file(root, "proc/swaps",
                        "Filename\tType\tSize\tUsed\tPriority\n"
                        "/dev/sda1 partition 1048572 0 -2\n");
        v = judge(root, &sata);
        CHECK_INT(v.r, 1);
        CHECK_STR(v.reason, "sda1 is used as swap");
        test_write_file(root, "proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
        test_mkdir(root, "sys/devices/pci0000:00/0000:00:1f.2/host0/block/sda/sda1/holders/dm-0");
        v = judge(root, &sata);
        CHECK_INT(v.r, 1);
        CHECK_STR(v.reason, "sda1 is held by dm-0 (device-mapper, md or LVM)");
        test_write_file(root, "proc/self/mountinfo", "23 22 8:0 / /data rw - xfs /dev/sda rw\n");
        v = judge(root, &sata);
        CHECK_INT(v.r, 1);
        CHECK_STR(v.reason, "sda is mounted on /data");
}

TEST(console_devices)
{
        const char *root = test_tmpdir();
        struct verdict v;

        kmodel_add_device(root, &vga);
        v = judge(root, &vga);
        CHECK_INT(v.r, 0);
        test_symlink(root, "sys/class/graphics/fb0/device",
                     "../../../devices/pci0000:00/0000:00:02.0");
        v = judge(root, &vga);
        CHECK_INT(v.r, 1);
        CHECK_STR(v.reason, "it drives the console framebuffer fb0");
        test_write_file(root, "sys/bus/pci/devices/0000:00:02.0/boot_vga", "1\n");
        v = judge(root, &vga);
        CHECK_STR(v.reason, "it is the boot VGA device (the host console)");
}

TEST(ninep_share_mounted_or_under_an_opaque_root)
{
        const char *root = test_tmpdir();
        struct verdict v;

        kmodel_add_device(root, &ninep);
        test_write_file(root, "sys/devices/pci0000:00/0000:00:03.0/virtio1/mount_tag", "data\n");
        test_mkdir(root, "lower");
        test_write_file(root, "proc/self/mountinfo",
                        "1 0 0:30 / / rw - overlay overlay rw,lowerdir=/lower,upperdir=/u\n");
        v = judge(root, &ninep);
        CHECK_INT(v.r, 0); /* the overlay's lower layer is visible: not on this share */
        test_write_file(root, "proc/self/mountinfo",
                        "1 0 0:30 / / rw - overlay overlay rw,lowerdir=/lower,upperdir=/u\n"
                        "2 1 0:31 / /mnt/data rw - 9p data rw,trans=virtio\n");
        v = judge(root, &ninep);
        CHECK_INT(v.r, 1);
        CHECK_STR(v.reason, "its 9p share 'data' is mounted on /mnt/data");
        test_write_file(root, "proc/self/mountinfo",
                        "1 0 0:30 / / rw - overlay overlay rw,lowerdir=/gone,upperdir=/u\n");
        v = judge(root, &ninep);
        CHECK_INT(v.r, 1);
        CHECK_CONTAINS(v.reason, "its 9p share 'data' may carry the root filesystem");
}
