/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the VF code learns from sysfs: which PF netdev and index a VF has, the PF's driver
 * (named in every refusal) and its link speed (the ceiling for rates).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf.h"

#define PCI_DEV        "/sys/bus/pci/devices/%s"
#define MAX_PF_NETDEVS 16

static bool netdev_name_valid(const char *name)
{
        size_t len = strlen(name);

        return len > 0 && len < IFNAMSIZ && !strchr(name, '/') && strcmp(name, ".") != 0 &&
               strcmp(name, "..") != 0;
}

/* The n in "virtfnN", or -1 for any other directory entry. */
static long virtfn_number(const char *name)
{
        char *end;
        unsigned long n;

        if (strncmp(name, "virtfn", 6) != 0 || !name[6])
                return -1;
        n = strtoul(name + 6, &end, 10);
        return *end || n > INT_MAX ? -1 : (long)n;
}

static int find_vf_index(vfh_ctx *ctx, const char *pf, const struct pci_addr *vf, unsigned int *ret)
{
        _cleanup_closedir_ DIR *dir = NULL;
        char vfs[PCI_ADDR_STRLEN];
        struct dirent *de;
        int r;

        r = sysfs_opendir(ctx, &dir, PCI_DEV, pf);
        if (r < 0)
                return vfh_errorf(ctx, r, "%s: vf: cannot list its PF %s: %s",
                                  pci_addr_format(vf, vfs), pf, strerror(-r));
        while ((de = readdir(dir))) {
                long n = virtfn_number(de->d_name);
                char target[PATH_MAX];
                struct pci_addr a;

                if (n < 0 ||
                    sysfs_link_name(ctx, target, sizeof(target), PCI_DEV "/%s", pf, de->d_name) < 0)
                        continue;
                if (pci_addr_parse(target, &a) == 0 && pci_addr_equal(&a, vf)) {
                        *ret = (unsigned int)n;
                        return 0;
                }
        }
        return vfh_errorf(ctx, ENOENT,
                          "%s: vf: its PF %s has no virtfnN link pointing back at it; is SR-IOV "
                          "being reconfigured (sriov_numvfs)? retry when it settles",
                          pci_addr_format(vf, vfs), pf);
}

struct netdev_list {
        char names[MAX_PF_NETDEVS][IFNAMSIZ];
        size_t n;
};

static int cmp_names(const void *a, const void *b)
{
        return strcmp(a, b);
}

static int list_netdevs(vfh_ctx *ctx, const char *dev, struct netdev_list *ret)
{
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *de;
        int r;

        ret->n = 0;
        r = sysfs_opendir(ctx, &dir, PCI_DEV "/net", dev);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        while ((de = readdir(dir)) && ret->n < MAX_PF_NETDEVS)
                if (netdev_name_valid(de->d_name))
                        memcpy(ret->names[ret->n++], de->d_name, strlen(de->d_name) + 1);
        /* readdir order is arbitrary; the choice below must not be. */
        qsort(ret->names, ret->n, IFNAMSIZ, cmp_names);
        return 0;
}

static int no_netdev_error(vfh_ctx *ctx, const char *vf, const char *pf)
{
        char driver[64];

        if (sysfs_link_name(ctx, driver, sizeof(driver), PCI_DEV "/driver", pf) < 0)
                return vfh_errorf(ctx, ENODEV,
                                  "%s: vf: its PF %s has no driver bound, so there is no netdev "
                                  "to set VF attributes through; bind the PF's driver first",
                                  vf, pf);
        return vfh_errorf(ctx, ENODEV,
                          "%s: vf: its PF %s (driver %s) has no network interface; VF settings "
                          "need the PF's netdev (is the PF bound to a non-network driver?)",
                          vf, pf, driver);
}

/* A switchdev PF lists its representors ("pf0vf1", "c1pf0vf1", "pf0") next to the uplink
 * ("p0") under net/; VF settings go through the uplink, never a representor. */
static bool is_representor(vfh_ctx *ctx, const char *netdev)
{
        char name[64];

        if (sysfs_read(ctx, name, sizeof(name), "/sys/class/net/%s/phys_port_name", netdev) <= 0)
                return false;
        return strstr(name, "vf") || strncmp(name, "pf", 2) == 0;
}

/*
 * Several netdevs on one PF: a multi-port function (mlx4 puts two ports on one PCI function)
 * or a switchdev PF with representors. The VF's own netdev carries the phys_port_id of the
 * port it belongs to, so that decides when it is readable; otherwise the representors drop
 * out and one uplink must remain.
 */
static int pick_pf_netdev(vfh_ctx *ctx, const char *vf, const char *pf,
                          const struct netdev_list *cands, char *ret)
{
        struct netdev_list vf_netdevs, uplinks = {.n = 0};
        char port_id[128], id[128];
        char names[MAX_PF_NETDEVS * IFNAMSIZ] = "";

        if (list_netdevs(ctx, vf, &vf_netdevs) == 0 && vf_netdevs.n > 0 &&
            sysfs_read(ctx, port_id, sizeof(port_id), "/sys/class/net/%s/phys_port_id",
                       vf_netdevs.names[0]) > 0) {
                for (size_t i = 0; i < cands->n; i++)
                        if (sysfs_read(ctx, id, sizeof(id), "/sys/class/net/%s/phys_port_id",
                                       cands->names[i]) > 0 &&
                            strcmp(id, port_id) == 0) {
                                strcpy(ret, cands->names[i]);
                                return 0;
                        }
        }
        for (size_t i = 0; i < cands->n; i++) {
                if (!is_representor(ctx, cands->names[i]))
                        strcpy(uplinks.names[uplinks.n++], cands->names[i]);
                strcat(names, i ? ", " : "");
                strcat(names, cands->names[i]);
        }
        if (uplinks.n == 1) {
                strcpy(ret, uplinks.names[0]);
                return 0;
        }
        return vfh_errorf(ctx, ENOTUNIQ,
                          "%s: vf: its PF %s has several netdevs (%s) and neither phys_port_id "
                          "nor phys_port_name tells which one serves this VF; use "
                          "'vfiohookctl vf set PF N' with the PF netdev named",
                          vf, pf, names);
}

int vf_resolve(vfh_ctx *ctx, const struct pci_addr *vf, struct vf_ref *ret)
{
        char vfs[PCI_ADDR_STRLEN], pfs[PCI_ADDR_STRLEN], target[PATH_MAX];
        struct netdev_list cands;
        struct vf_ref ref = {.has_addr = true, .addr = *vf, .has_pf_addr = true};
        int r;

        pci_addr_format(vf, vfs);
        if (!sysfs_exists(ctx, PCI_DEV, vfs))
                return vfh_errorf(ctx, ENODEV,
                                  "%s: vf: no such PCI device; check the address with lspci", vfs);
        r = sysfs_link_name(ctx, target, sizeof(target), PCI_DEV "/physfn", vfs);
        if (r == -ENOENT)
                return vfh_errorf(ctx, EINVAL,
                                  "%s: vf: not an SR-IOV virtual function (no physfn link); VF "
                                  "settings apply to VFs only",
                                  vfs);
        if (r < 0 || pci_addr_parse(target, &ref.pf_addr) < 0)
                return vfh_errorf(ctx, r < 0 ? r : EINVAL,
                                  "%s: vf: cannot read its physfn link: %s", vfs,
                                  r < 0 ? strerror(-r) : "not a PCI address");
        pci_addr_format(&ref.pf_addr, pfs);
        r = find_vf_index(ctx, pfs, vf, &ref.index);
        if (r < 0)
                return r;
        r = list_netdevs(ctx, pfs, &cands);
        if (r < 0)
                return vfh_errorf(ctx, r, "%s: vf: cannot list the netdevs of its PF %s: %s", vfs,
                                  pfs, strerror(-r));
        if (cands.n == 0)
                return no_netdev_error(ctx, vfs, pfs);
        if (cands.n == 1)
                strcpy(ref.pf_netdev, cands.names[0]);
        else if ((r = pick_pf_netdev(ctx, vfs, pfs, &cands, ref.pf_netdev)) < 0)
                return r;
        *ret = ref;
        return 0;
}

int vf_ref_from_netdev(vfh_ctx *ctx, const char *pf_netdev, unsigned int index, struct vf_ref *ret)
{
        struct vf_ref ref = {.index = index};
        char target[PATH_MAX], pfs[PCI_ADDR_STRLEN];

        if (!netdev_name_valid(pf_netdev))
                return vfh_errorf(ctx, EINVAL, "'%s': vf: not a network interface name", pf_netdev);
        if (!sysfs_exists(ctx, "/sys/class/net/%s", pf_netdev))
                return vfh_errorf(ctx, ENODEV,
                                  "%s: vf: no such network interface; 'ip link' lists them",
                                  pf_netdev);
        strcpy(ref.pf_netdev, pf_netdev);
        /* netdevsim PFs sit on their own bus: no PCI address, no virtfn links. */
        if (sysfs_link_name(ctx, target, sizeof(target), "/sys/class/net/%s/device", pf_netdev) >=
                0 &&
            pci_addr_parse(target, &ref.pf_addr) == 0) {
                ref.has_pf_addr = true;
                pci_addr_format(&ref.pf_addr, pfs);
                if (sysfs_link_name(ctx, target, sizeof(target), PCI_DEV "/virtfn%u", pfs, index) >=
                        0 &&
                    pci_addr_parse(target, &ref.addr) == 0)
                        ref.has_addr = true;
        }
        *ret = ref;
        return 0;
}

char *vf_ref_format(const struct vf_ref *vf, char *buf, size_t size)
{
        char a[PCI_ADDR_STRLEN];

        if (vf->has_addr)
                snprintf(buf, size, "VF %u of %s (%s)", vf->index, vf->pf_netdev,
                         pci_addr_format(&vf->addr, a));
        else
                snprintf(buf, size, "VF %u of %s", vf->index, vf->pf_netdev);
        return buf;
}

int vf_pf_driver(vfh_ctx *ctx, const char *pf_netdev, char *buf, size_t size)
{
        int r = sysfs_link_name(ctx, buf, size, "/sys/class/net/%s/device/driver", pf_netdev);

        if (r < 0)
                snprintf(buf, size, "unknown driver");
        return r < 0 ? r : 0;
}

int vf_pf_speed_mbps(vfh_ctx *ctx, const char *pf_netdev, unsigned long *ret)
{
        char buf[32], *end;
        long speed;

        /* Reading speed fails with EINVAL while the link is down, and reads -1 when the driver
         * does not know it (SPEED_UNKNOWN). */
        if (sysfs_read(ctx, buf, sizeof(buf), "/sys/class/net/%s/speed", pf_netdev) <= 0)
                return -ENODATA;
        errno = 0;
        speed = strtol(buf, &end, 10);
        if (errno || *end || speed <= 0)
                return -ENODATA;
        *ret = (unsigned long)speed;
        return 0;
}
