/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From a VF's PCI address to its PF netdev and VF index, against fixture sysfs trees laid out
 * as the kernel does (devices under /sys/devices, links from /sys/bus/pci/devices and
 * /sys/class/net, physfn and virtfnN between PF and VFs).
 */
#include <errno.h>

#include "support.h"
#include "vf.h"

#define DEVS "sys/devices/pci0000:00"

static void add_device(const char *root, const char *addr)
{
        char rel[256], target[256];

        snprintf(rel, sizeof(rel), DEVS "/%s", addr);
        test_mkdir(root, rel);
        snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", addr);
        snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", addr);
        test_symlink(root, rel, target);
}

static void add_netdev(const char *root, const char *addr, const char *name, const char *port_name,
                       const char *port_id)
{
        char rel[256], target[256];

        snprintf(rel, sizeof(rel), DEVS "/%s/net/%s", addr, name);
        test_mkdir(root, rel);
        snprintf(rel, sizeof(rel), DEVS "/%s/net/%s/device", addr, name);
        snprintf(target, sizeof(target), "../../../%s", addr);
        test_symlink(root, rel, target);
        snprintf(rel, sizeof(rel), "sys/class/net/%s", name);
        snprintf(target, sizeof(target), "../../devices/pci0000:00/%s/net/%s", addr, name);
        test_symlink(root, rel, target);
        if (port_name) {
                snprintf(rel, sizeof(rel), DEVS "/%s/net/%s/phys_port_name", addr, name);
                test_write_file(root, rel, "%s\n", port_name);
        }
        if (port_id) {
                snprintf(rel, sizeof(rel), DEVS "/%s/net/%s/phys_port_id", addr, name);
                test_write_file(root, rel, "%s\n", port_id);
        }
}

static void bind_driver(const char *root, const char *addr, const char *driver)
{
        char rel[256], target[256];

        snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", driver);
        test_mkdir(root, rel);
        snprintf(rel, sizeof(rel), DEVS "/%s/driver", addr);
        snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
        test_symlink(root, rel, target);
}

static void add_vf(const char *root, const char *pf, const char *vf, unsigned int n)
{
        char rel[256], target[256];

        add_device(root, vf);
        snprintf(rel, sizeof(rel), DEVS "/%s/physfn", vf);
        snprintf(target, sizeof(target), "../%s", pf);
        test_symlink(root, rel, target);
        snprintf(rel, sizeof(rel), DEVS "/%s/virtfn%u", pf, n);
        snprintf(target, sizeof(target), "../%s", vf);
        test_symlink(root, rel, target);
}

/* igb-like: PF 0000:01:00.0 (eth1) with VFs 0000:01:10.0, 0000:01:10.2 … virtfn0..n-1. */
static const char *igb_tree(unsigned int vfs)
{
        const char *root = test_tmpdir();

        add_device(root, "0000:01:00.0");
        bind_driver(root, "0000:01:00.0", "igb");
        add_netdev(root, "0000:01:00.0", "eth1", NULL, NULL);
        for (unsigned int i = 0; i < vfs; i++) {
                char vf[32];

                snprintf(vf, sizeof(vf), "0000:01:10.%u", i * 2);
                add_vf(root, "0000:01:00.0", vf, i);
        }
        return root;
}

static int resolve(vfh_ctx *ctx, const char *addr, struct vf_ref *ret)
{
        struct pci_addr a;

        if (pci_addr_parse(addr, &a) < 0)
                abort();
        return vf_resolve(ctx, &a, ret);
}

TEST(resolves_pf_netdev_and_index)
{
        vfh_ctx *ctx = test_ctx_at(igb_tree(3));
        struct vf_ref r;
        char buf[96], a[PCI_ADDR_STRLEN];

        CHECK_INT(resolve(ctx, "0000:01:10.4", &r), 0);
        CHECK_STR(r.pf_netdev, "eth1");
        CHECK_INT(r.index, 2);
        CHECK(r.has_pf_addr);
        CHECK_STR(pci_addr_format(&r.pf_addr, a), "0000:01:00.0");
        CHECK_STR(vf_ref_format(&r, buf, sizeof(buf)), "VF 2 of eth1 (0000:01:10.4)");
        vfh_ctx_unref(ctx);
}

TEST(clear_errors_table)
{
        const char *root = igb_tree(1);
        static const struct {
                const char *addr;
                int error;
                const char *says;
        } rows[] = {
            {"0000:01:00.0", -EINVAL, "0000:01:00.0: vf: not an SR-IOV virtual function"},
            {"0000:09:00.0", -ENODEV, "0000:09:00.0: vf: no such PCI device"},
            /* a VF whose PF lost the link back (sriov_numvfs being rewritten) */
            {"0000:01:10.6", -ENOENT, "has no virtfnN link pointing back at it"},
        };
        vfh_ctx *ctx;

        add_device(root, "0000:01:10.6");
        test_symlink(root, DEVS "/0000:01:10.6/physfn", "../0000:01:00.0");
        ctx = test_ctx_at(root);
        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                struct vf_ref r;

                CHECK_INT(resolve(ctx, rows[i].addr, &r), rows[i].error);
                CHECK_CONTAINS(vfh_ctx_last_error(ctx), rows[i].says);
        }
        vfh_ctx_unref(ctx);
}

TEST(pf_without_netdev)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx;
        struct vf_ref r;

        add_device(root, "0000:02:00.0");
        add_vf(root, "0000:02:00.0", "0000:02:10.0", 0);
        add_device(root, "0000:03:00.0");
        bind_driver(root, "0000:03:00.0", "vfio-pci");
        add_vf(root, "0000:03:00.0", "0000:03:10.0", 0);
        ctx = test_ctx_at(root);
        CHECK_INT(resolve(ctx, "0000:02:10.0", &r), -ENODEV);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "its PF 0000:02:00.0 has no driver bound");
        CHECK_INT(resolve(ctx, "0000:03:10.0", &r), -ENODEV);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "its PF 0000:03:00.0 (driver vfio-pci) has no network interface");
        vfh_ctx_unref(ctx);
}

/* mlx4-style: two ports on one PCI function; the VF's netdev names its port. */
TEST(several_netdevs_chosen_by_phys_port_id)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx;
        struct vf_ref r;

        add_device(root, "0000:04:00.0");
        add_netdev(root, "0000:04:00.0", "ens1", NULL, "0002c9030000aa01");
        add_netdev(root, "0000:04:00.0", "ens1d1", NULL, "0002c9030000aa02");
        add_vf(root, "0000:04:00.0", "0000:04:00.1", 0);
        add_netdev(root, "0000:04:00.1", "ens1v0", NULL, "0002c9030000aa02");
        ctx = test_ctx_at(root);
        CHECK_INT(resolve(ctx, "0000:04:00.1", &r), 0);
        CHECK_STR(r.pf_netdev, "ens1d1");
        vfh_ctx_unref(ctx);
}

/* switchdev: the uplink p0 and the representors pf0vf0, pf0vf1, pf0 share the PF's net/. */
TEST(several_netdevs_skip_representors)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx;
        struct vf_ref r;

        add_device(root, "0000:05:00.0");
        add_netdev(root, "0000:05:00.0", "enp5s0f0np0", "p0", NULL);
        add_netdev(root, "0000:05:00.0", "eth5", "pf0vf0", NULL);
        add_netdev(root, "0000:05:00.0", "eth6", "pf0vf1", NULL);
        add_netdev(root, "0000:05:00.0", "eth7", "pf0", NULL);
        add_vf(root, "0000:05:00.0", "0000:05:00.2", 0);
        ctx = test_ctx_at(root);
        CHECK_INT(resolve(ctx, "0000:05:00.2", &r), 0);
        CHECK_STR(r.pf_netdev, "enp5s0f0np0");
        vfh_ctx_unref(ctx);
}

TEST(several_netdevs_without_a_clue_is_an_error)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx;
        struct vf_ref r;

        add_device(root, "0000:06:00.0");
        add_netdev(root, "0000:06:00.0", "eth3", NULL, NULL);
        add_netdev(root, "0000:06:00.0", "eth2", NULL, NULL);
        add_vf(root, "0000:06:00.0", "0000:06:10.0", 0);
        ctx = test_ctx_at(root);
        CHECK_INT(resolve(ctx, "0000:06:10.0", &r), -ENOTUNIQ);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "several netdevs (eth2, eth3)");
        vfh_ctx_unref(ctx);
}

TEST(ref_from_netdev)
{
        const char *root = igb_tree(2);
        vfh_ctx *ctx;
        struct vf_ref r;
        char a[PCI_ADDR_STRLEN];

        /* netdevsim: its device is on the netdevsim bus, not PCI */
        test_mkdir(root, "sys/devices/netdevsim10/net/eni10np1");
        test_symlink(root, "sys/devices/netdevsim10/net/eni10np1/device", "../../../netdevsim10");
        test_symlink(root, "sys/class/net/eni10np1", "../../devices/netdevsim10/net/eni10np1");
        ctx = test_ctx_at(root);

        CHECK_INT(vf_ref_from_netdev(ctx, "eth1", 1, &r), 0);
        CHECK(r.has_pf_addr && r.has_addr);
        CHECK_STR(pci_addr_format(&r.addr, a), "0000:01:10.2");
        CHECK_INT(vf_ref_from_netdev(ctx, "eth1", 5, &r), 0); /* the kernel judges the index */
        CHECK(r.has_pf_addr && !r.has_addr);
        CHECK_INT(vf_ref_from_netdev(ctx, "eni10np1", 63, &r), 0);
        CHECK(!r.has_pf_addr && !r.has_addr);
        CHECK_INT(r.index, 63);
        CHECK_INT(vf_ref_from_netdev(ctx, "eth9", 0, &r), -ENODEV);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "eth9: vf: no such network interface");
        CHECK_INT(vf_ref_from_netdev(ctx, "../eth1", 0, &r), -EINVAL);
        CHECK_INT(vf_ref_from_netdev(ctx, "averyveryverylongname", 0, &r), -EINVAL);
        vfh_ctx_unref(ctx);
}

TEST(driver_and_speed)
{
        const char *root = igb_tree(0);
        vfh_ctx *ctx;
        char driver[64];
        unsigned long speed = 0;

        test_write_file(root, DEVS "/0000:01:00.0/net/eth1/speed", "10000\n");
        ctx = test_ctx_at(root);
        vf_pf_driver(ctx, "eth1", driver, sizeof(driver));
        CHECK_STR(driver, "igb");
        CHECK_INT(vf_pf_speed_mbps(ctx, "eth1", &speed), 0);
        CHECK_INT(speed, 10000);
        vf_pf_driver(ctx, "eth9", driver, sizeof(driver));
        CHECK_STR(driver, "unknown driver");
        CHECK_INT(vf_pf_speed_mbps(ctx, "eth9", &speed), -ENODATA);
        vfh_ctx_unref(ctx);
}
