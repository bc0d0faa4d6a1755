/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-gen-sysroot DIR N: a synthetic host with N PCI functions, a quarter of them SR-IOV VFs,
 * laid out exactly as the unit tier's kernel model lays out fixtures (tests/unit/kmodel.h), so
 * `vfiohookctl --sysroot DIR` and the hooks read it as they read a real /sys.
 *
 * The rest of the host is what makes a scan cost what it costs on a real machine: the other
 * functions cycle through root ports, NVMe and SATA controllers with disks, GPUs with their
 * audio function in one group, NICs, USB controllers and unbound devices; every fourth VF is on
 * vfio-pci and held by one "qemu" process; /proc holds --procs processes with --fds open files
 * each (a busy host has hundreds of both).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kmodel.h"
#include "macro.h"
#include "support.h"

/* support_tmp.c shares test.h with the unit tests; nothing here fails a test. */
int test_failures;

struct gen {
        const char *root;
        unsigned int n_functions;
        unsigned int vfs_per_pf;
        unsigned int procs;
        unsigned int fds;
        int next_group;
        unsigned int made;
        unsigned int n_disks;
        int vfio_groups[1024];
        unsigned int n_vfio_groups;
};

/* The cycle the non-SR-IOV functions follow; entries 2 and 3 share a slot and a group. */
struct kind {
        uint16_t vendor, device;
        uint32_t class;
        uint8_t header_type;
        const char *driver;
        bool disk, netdev, joins_previous_group;
};

static const struct kind others[] = {
    {0x8086, 0x43b8, 0x060400, 1, "pcieport", false, false, false},
    {0x144d, 0xa808, 0x010802, 0, "nvme", true, false, false},
    {0x1002, 0x73bf, 0x030000, 0, "amdgpu", false, false, false},
    {0x1002, 0xab28, 0x040300, 0, "snd_hda_intel", false, false, true},
    {0x8086, 0x15b8, 0x020000, 0, "e1000e", false, true, false},
    {0x8086, 0x43ed, 0x0c0330, 0, "xhci_hcd", false, false, false},
    {0x8086, 0x43d2, 0x010601, 0, "ahci", true, false, false},
    {0x8086, 0x43e8, 0x0c8000, 0, NULL, false, false, false},
};

/* Each driver with its ID table, so the model's drivers_probe finds it again. */
static const struct {
        const char *name, *ids;
} drivers[] = {
    {"pcieport", "8086:43b8"},      {"nvme", "144d:a808"},   {"amdgpu", "1002:73bf"},
    {"snd_hda_intel", "1002:ab28"}, {"e1000e", "8086:15b8"}, {"xhci_hcd", "8086:43ed"},
    {"ahci", "8086:43d2"},          {"igb", "8086:1521"},    {"igbvf", "8086:1520"},
};

/* Every PCI device on a real host has modalias, printed from the same fields as vendor, device
 * and class (drivers/pci/pci-sysfs.c); list reads it instead of the three. */
static void add_modalias(struct gen *g, const struct kdev *d)
{
        char rel[PATH_MAX];

        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/modalias", d->name);
        test_write_file(g->root, rel, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", d->vendor,
                        d->device, d->vendor, 0u, (d->class >> 16) & 0xff, (d->class >> 8) & 0xff,
                        d->class & 0xff);
}

static void add_disk(struct gen *g, const struct kdev *d)
{
        char disk[32];

        snprintf(disk, sizeof(disk), "sd%c%c", 'a' + (char)(g->n_disks / 26),
                 'a' + (char)(g->n_disks % 26));
        kmodel_add_disk(g->root, d, disk, 8);
        g->n_disks++;
}

static void add_other(struct gen *g, unsigned int index)
{
        const struct kind *k = &others[index % ARRAY_SIZE(others)];
        unsigned int devfn = index % 256;
        char name[32], ifname[32];
        struct kdev d;

        snprintf(name, sizeof(name), "0000:%02x:%02x.%u", 0x40 + index / 256, devfn >> 3,
                 devfn & 7);
        if (!k->joins_previous_group)
                g->next_group++;
        d = (struct kdev){.name = name,
                          .vendor = k->vendor,
                          .device = k->device,
                          .class = k->class,
                          .header_type = k->header_type,
                          .group = g->next_group,
                          .driver = k->driver};
        kmodel_add_device(g->root, &d);
        add_modalias(g, &d);
        if (k->disk)
                add_disk(g, &d);
        if (k->netdev) {
                snprintf(ifname, sizeof(ifname), "enp%us%u", 0x40 + index / 256, devfn);
                kmodel_add_netdev(g->root, &d, ifname);
        }
        g->made++;
}

static void write_dev_attr(struct gen *g, const char *name, const char *attr, unsigned int v)
{
        char rel[PATH_MAX];

        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/%s", name, attr);
        test_write_file(g->root, rel, "%u\n", v);
}

static void link_dev(struct gen *g, const char *name, const char *entry, const char *target)
{
        char rel[PATH_MAX], to[PATH_MAX];

        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/%s", name, entry);
        snprintf(to, sizeof(to), "../%s", target);
        test_symlink(g->root, rel, to);
}

static void add_vf(struct gen *g, const char *pf, unsigned int bus, unsigned int i)
{
        unsigned int devfn = 0x80 + i;
        char name[32], entry[32], ifname[32];
        bool on_vfio = i % 4 == 0;
        struct kdev d;

        snprintf(name, sizeof(name), "0000:%02x:%02x.%u", bus, devfn >> 3, devfn & 7);
        g->next_group++;
        d = (struct kdev){.name = name,
                          .vendor = 0x8086,
                          .device = 0x1520,
                          .class = 0x020000,
                          .group = g->next_group,
                          .driver = on_vfio ? "vfio-pci" : "igbvf"};
        kmodel_add_device(g->root, &d);
        add_modalias(g, &d);
        link_dev(g, name, "physfn", pf);
        snprintf(entry, sizeof(entry), "virtfn%u", i);
        link_dev(g, pf, entry, name);
        if (on_vfio) {
                if (g->n_vfio_groups < ARRAY_SIZE(g->vfio_groups))
                        g->vfio_groups[g->n_vfio_groups++] = g->next_group;
        } else {
                snprintf(ifname, sizeof(ifname), "enp%us0v%u", bus, i);
                kmodel_add_netdev(g->root, &d, ifname);
        }
        g->made++;
}

static void add_pf(struct gen *g, unsigned int pf_index, unsigned int n_vfs)
{
        unsigned int bus = 0x03 + pf_index;
        char name[32], ifname[32];
        struct kdev d;

        snprintf(name, sizeof(name), "0000:%02x:00.0", bus);
        g->next_group++;
        d = (struct kdev){.name = name,
                          .vendor = 0x8086,
                          .device = 0x1521,
                          .class = 0x020000,
                          .group = g->next_group,
                          .driver = "igb"};
        kmodel_add_device(g->root, &d);
        add_modalias(g, &d);
        write_dev_attr(g, name, "sriov_totalvfs", n_vfs > 63 ? n_vfs : 63);
        write_dev_attr(g, name, "sriov_numvfs", n_vfs);
        snprintf(ifname, sizeof(ifname), "enp%us0", bus);
        kmodel_add_netdev(g->root, &d, ifname);
        g->made++;
        for (unsigned int i = 0; i < n_vfs; i++)
                add_vf(g, name, bus, i);
}

/* What an ordinary process has open: a terminal, a log, sockets and pipes. */
static void fd_target(char *buf, size_t size, unsigned int pid, unsigned int fd)
{
        unsigned int inode = 10000 + pid * 64 + fd;

        switch (fd % 5) {
        case 0:
                snprintf(buf, size, "/dev/null");
                break;
        case 1:
                snprintf(buf, size, "/dev/pts/0");
                break;
        case 2:
                snprintf(buf, size, "socket:[%u]", inode);
                break;
        case 3:
                snprintf(buf, size, "pipe:[%u]", inode);
                break;
        default:
                snprintf(buf, size, "/var/log/syslog");
                break;
        }
}

static void add_process(struct gen *g, unsigned int pid, const char *comm, unsigned int fds)
{
        char rel[PATH_MAX], target[64];

        snprintf(rel, sizeof(rel), "proc/%u/comm", pid);
        test_write_file(g->root, rel, "%s\n", comm);
        for (unsigned int fd = 0; fd < fds; fd++) {
                fd_target(target, sizeof(target), pid, fd);
                snprintf(rel, sizeof(rel), "proc/%u/fd/%u", pid, fd);
                test_symlink(g->root, rel, target);
        }
}

/* One guest holds every group that is on vfio-pci, as QEMU holds /dev/vfio/N. */
static void add_qemu(struct gen *g, unsigned int pid)
{
        char rel[PATH_MAX], target[64];
        unsigned int fd = 0;

        add_process(g, pid, "qemu-system-x86", 8);
        snprintf(rel, sizeof(rel), "proc/%u/fd/%u", pid, 8 + fd++);
        test_symlink(g->root, rel, "/dev/vfio/vfio");
        for (unsigned int i = 0; i < g->n_vfio_groups; i++) {
                snprintf(target, sizeof(target), "/dev/vfio/%d", g->vfio_groups[i]);
                snprintf(rel, sizeof(rel), "proc/%u/fd/%u", pid, 8 + fd++);
                test_symlink(g->root, rel, target);
        }
}

static void generate(struct gen *g)
{
        unsigned int n_vfs = g->n_functions / 4;
        unsigned int n_pfs = (n_vfs + g->vfs_per_pf - 1) / g->vfs_per_pf;
        unsigned int index = 0;

        for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
                kmodel_add_driver(g->root, drivers[i].name, drivers[i].ids);
        kmodel_add_vfio(g->root);
        test_mkdir(g->root, "sys/block");
        test_mkdir(g->root, "run/vfiohook"); /* the run dir lives under the sysroot too */
        for (unsigned int pf = 0; pf < n_pfs; pf++) {
                unsigned int left = n_vfs - pf * g->vfs_per_pf;

                add_pf(g, pf, left < g->vfs_per_pf ? left : g->vfs_per_pf);
        }
        while (g->made < g->n_functions)
                add_other(g, index++);
        for (unsigned int p = 0; p < g->procs; p++)
                add_process(g, 1 + p, p % 7 ? "worker" : "systemd", g->fds);
        add_qemu(g, 1 + g->procs);
}

static int usage(void)
{
        fprintf(stderr, "Usage: bench-gen-sysroot [--vfs-per-pf N] [--procs N] [--fds N] DIR "
                        "FUNCTIONS\nDIR must not exist yet.\n");
        return 2;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {{"vfs-per-pf", required_argument, NULL, 'v'},
                                                {"procs", required_argument, NULL, 'p'},
                                                {"fds", required_argument, NULL, 'f'},
                                                {}};
        struct gen g = {.vfs_per_pf = 16, .procs = 300, .fds = 24};
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                unsigned int v = (unsigned int)strtoul(optarg, NULL, 10);

                if (c == 'v' && v > 0 && v <= 128)
                        g.vfs_per_pf = v;
                else if (c == 'p')
                        g.procs = v;
                else if (c == 'f')
                        g.fds = v;
                else
                        return usage();
        }
        if (argc - optind != 2)
                return usage();
        g.root = argv[optind];
        g.n_functions = (unsigned int)strtoul(argv[optind + 1], NULL, 10);
        if (g.n_functions < 8 || g.n_functions > 4096)
                return usage();
        if (mkdir(g.root, 0755) < 0) {
                fprintf(stderr, "bench-gen-sysroot: %s: %s\n", g.root, strerror(errno));
                return 1;
        }
        generate(&g);
        printf("%s: %u PCI functions (%u VFs, %u on vfio-pci), %d IOMMU groups, %u disks, "
               "%u processes\n",
               g.root, g.made, g.n_functions / 4, g.n_vfio_groups, g.next_group, g.n_disks,
               g.procs + 1);
        return 0;
}
