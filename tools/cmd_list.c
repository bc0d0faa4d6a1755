/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl list: every IOMMU group with its members (names from pci.ids, drivers, NUMA
 * node, netdevs, SR-IOV relations), whether it is viable for VFIO now, and which processes
 * hold /dev/vfio/N open.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "group.h"

struct list_state {
        vfh_ctx *ctx;
        struct pci_lib *lib;
        struct json *json; /* NULL: text */
        /* Every group's holders, from one pass over /proc (group_vfio_holders_all). */
        struct vfio_holder *holders;
        size_t n_holders;
        /* The numbers N of /dev/vfio/N, from one listing, sorted. */
        int *nodes;
        size_t n_nodes;
        /* Devices listed with a group that have an iommu_group link: not ungrouped. */
        struct pci_addr *grouped;
        size_t n_grouped;
};

/* A PF's VFs, in VF index order, under the PF. */
static void print_vfs_text(struct list_state *s, const struct pci_dev *d)
{
        _cleanup_free_ struct pci_addr *vfs = NULL;
        size_t n = 0;

        if (!d->has_sriov || pci_dev_list_vfs(s->ctx, d, &vfs, &n) < 0 || n == 0)
                return;
        printf("    VFs:");
        for (size_t i = 0; i < n; i++) {
                char a[PCI_ADDR_STRLEN];

                printf(" %s", pci_addr_format(&vfs[i], a));
        }
        printf("\n");
}

static void print_dev_text(struct list_state *s, const struct pci_dev *d)
{
        struct pci_lib_ids ids = pci_dev_lib_ids(d);
        struct pci_info info = {0};

        /* The names need no device file; without config, pci_lib_info gave none. */
        if (ids.config_present)
                pci_lib_names(s->lib, &ids, &info);
        if (!info.class_name[0])
                pci_lib_class_name(s->lib, d->class, info.class_name, sizeof(info.class_name));
        printf("  %s [%04x:%04x] %s: %s%s%s", d->name, d->vendor, d->device, info.class_name,
               info.vendor_name, info.vendor_name[0] ? " " : "", info.device_name);
        printf(" (%s%s", d->driver[0] ? "driver " : "no driver", d->driver);
        if (d->numa_node >= 0)
                printf(", numa %d", d->numa_node);
        if (pci_dev_is_bridge(d))
                printf(", bridge");
        if (d->is_vf) {
                char pf[PCI_ADDR_STRLEN];

                printf(", VF %d of %s", d->vf_index, pci_addr_format(&d->physfn, pf));
        }
        if (d->has_sriov)
                printf(", SR-IOV PF %u/%u VFs", d->sriov_numvfs, d->sriov_totalvfs);
        for (size_t i = 0; i < d->n_netdevs; i++)
                printf("%s%s", i ? " " : ", net ", d->netdevs[i]);
        printf(")\n");
        print_vfs_text(s, d);
}

static void json_vfs(struct list_state *s, const struct pci_dev *d)
{
        _cleanup_free_ struct pci_addr *vfs = NULL;
        size_t n = 0;

        json_key(s->json, "vfs");
        if (!d->has_sriov || pci_dev_list_vfs(s->ctx, d, &vfs, &n) < 0) {
                json_null(s->json);
                return;
        }
        json_array_begin(s->json);
        for (size_t i = 0; i < n; i++) {
                char a[PCI_ADDR_STRLEN];

                json_string(s->json, pci_addr_format(&vfs[i], a));
        }
        json_array_end(s->json);
}

static void json_kv_optional_int(struct json *j, const char *key, bool known, long long v)
{
        if (known)
                json_kv_int(j, key, v);
        else
                json_kv_null(j, key);
}

static void print_dev_json(struct list_state *s, const struct pci_dev *d)
{
        struct json *j = s->json;
        struct pci_info info = {0};
        char buf[PCI_ADDR_STRLEN];
        struct pci_lib_ids ids = pci_dev_lib_ids(d);
        bool have_info = pci_lib_info_ids(s->lib, &d->addr, &ids, &info) == 0;

        json_object_begin(j);
        json_kv_string(j, "address", d->name);
        snprintf(buf, sizeof(buf), "%04x", d->vendor);
        json_kv_string(j, "vendor", buf);
        snprintf(buf, sizeof(buf), "%04x", d->device);
        json_kv_string(j, "device", buf);
        snprintf(buf, sizeof(buf), "%06x", d->class);
        json_kv_string(j, "class", buf);
        json_kv_string(j, "class_name", have_info ? info.class_name : NULL);
        json_kv_string(j, "vendor_name", info.vendor_name[0] ? info.vendor_name : NULL);
        json_kv_string(j, "device_name", info.device_name[0] ? info.device_name : NULL);
        json_kv_string(j, "driver", d->driver[0] ? d->driver : NULL);
        json_kv_string(j, "driver_override", d->driver_override[0] ? d->driver_override : NULL);
        json_kv_optional_int(j, "numa_node", d->numa_node >= 0, d->numa_node);
        json_kv_bool(j, "bridge", pci_dev_is_bridge(d));
        json_kv_string(j, "reset_method", d->reset_method[0] ? d->reset_method : NULL);
        json_key(j, "netdevs");
        json_array_begin(j);
        for (size_t i = 0; i < d->n_netdevs; i++)
                json_string(j, d->netdevs[i]);
        json_array_end(j);
        json_kv_string(j, "physfn", d->is_vf ? pci_addr_format(&d->physfn, buf) : NULL);
        json_kv_optional_int(j, "vf_index", d->is_vf && d->vf_index >= 0, d->vf_index);
        json_kv_optional_int(j, "sriov_numvfs", d->has_sriov, d->sriov_numvfs);
        json_kv_optional_int(j, "sriov_totalvfs", d->has_sriov, d->sriov_totalvfs);
        json_vfs(s, d);
        json_key(j, "caps");
        if (have_info) {
                json_object_begin(j);
                json_kv_bool(j, "sriov", info.cap_sriov);
                json_kv_bool(j, "acs", info.cap_acs);
                json_kv_bool(j, "flr", info.cap_flr);
                json_object_end(j);
        } else
                json_null(j);
        json_object_end(j);
}

static void print_group_text(int number, bool node, const struct vfio_holder *h, size_t n)
{
        bool first = true;

        printf("group %d", number);
        if (node)
                printf(" /dev/vfio/%d", number);
        for (size_t i = 0; i < n; i++) {
                if (h[i].group != number)
                        continue;
                printf("%s%d %s", first ? " held by " : ", ", (int)h[i].pid, h[i].comm);
                first = false;
        }
        printf("\n");
}

static void print_holders_json(struct json *j, int number, const struct vfio_holder *h, size_t n)
{
        json_key(j, "holders");
        json_array_begin(j);
        for (size_t i = 0; i < n; i++) {
                if (h[i].group != number)
                        continue;
                json_object_begin(j);
                json_kv_int(j, "pid", h[i].pid);
                json_kv_string(j, "comm", h[i].comm);
                json_object_end(j);
        }
        json_array_end(j);
}

/* Only what the listing shows: --json adds driver_override and reset_method; disks are in
 * neither. */
static unsigned int load_parts(const struct list_state *s)
{
        return s->json ? PCI_LOAD_OVERRIDE : 0;
}

/* A group's members: the group's listing gave the number, and whether each has a link of its
 * own is all that is asked (remember_grouped), so the links are not read (a system call per
 * device). */
static unsigned int member_load_parts(const struct list_state *s)
{
        return load_parts(s) | PCI_LOAD_SKIP_GROUP_NUMBER;
}

static void list_state_free(struct list_state *s)
{
        free(s->holders);
        free(s->nodes);
        free(s->grouped);
}

static int compare_ints(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

/* /dev/vfio/N exists. A link is followed, as a lookup of the path would. */
static bool is_vfio_node(struct list_state *s, const struct dirent *de, long *number)
{
        char canonical[24], *end;

        *number = strtol(de->d_name, &end, 10);
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || *number > INT_MAX)
                return false;
        snprintf(canonical, sizeof(canonical), "%ld", *number);
        if (strcmp(canonical, de->d_name) != 0)
                return false;
        return (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN) ||
               sysfs_exists(s->ctx, "/dev/vfio/%s", de->d_name);
}

/* /dev/vfio once, instead of a lookup per group. */
static int read_vfio_nodes(struct list_state *s)
{
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *de;

        if (sysfs_opendir(s->ctx, &dir, "/dev/vfio") < 0)
                return 0; /* no node at all */
        while ((de = readdir(dir))) {
                long number;
                int *grown;

                if (!is_vfio_node(s, de, &number))
                        continue;
                grown = reallocarray(s->nodes, s->n_nodes + 1, sizeof(*s->nodes));
                if (!grown)
                        return -ENOMEM;
                s->nodes = grown;
                s->nodes[s->n_nodes++] = (int)number;
        }
        if (s->n_nodes)
                qsort(s->nodes, s->n_nodes, sizeof(*s->nodes), compare_ints);
        return 0;
}

static bool has_vfio_node(const struct list_state *s, int number)
{
        return s->n_nodes &&
               bsearch(&number, s->nodes, s->n_nodes, sizeof(*s->nodes), compare_ints) != NULL;
}

static int compare_addrs(const void *a, const void *b)
{
        return pci_addr_compare(a, b);
}

static int remember_grouped(struct list_state *s, const struct pci_group *grp)
{
        for (size_t i = 0; i < grp->n_members; i++) {
                struct pci_addr *grown;

                if (grp->members[i].iommu_group < 0 &&
                    grp->members[i].iommu_group != PCI_GROUP_NOT_READ)
                        continue;
                grown = reallocarray(s->grouped, s->n_grouped + 1, sizeof(*s->grouped));
                if (!grown)
                        return -ENOMEM;
                s->grouped = grown;
                s->grouped[s->n_grouped++] = grp->members[i].addr;
        }
        return 0;
}

static int list_group(struct list_state *s, int number)
{
        static struct pci_group grp;
        char why[256];
        bool node;
        int r = group_load_parts(s->ctx, number, member_load_parts(s), &grp);

        if (r < 0)
                return r;
        r = remember_grouped(s, &grp);
        if (r < 0)
                return r;
        node = has_vfio_node(s, number);
        if (!s->json) {
                print_group_text(number, node, s->holders, s->n_holders);
                for (size_t i = 0; i < grp.n_members; i++)
                        print_dev_text(s, &grp.members[i]);
                return 0;
        }
        json_object_begin(s->json);
        json_kv_int(s->json, "group", number);
        json_kv_bool(s->json, "vfio_node", node);
        json_kv_bool(s->json, "viable", group_is_viable(s->ctx, &grp, why, sizeof(why)));
        print_holders_json(s->json, number, s->holders, s->n_holders);
        json_key(s->json, "devices");
        json_array_begin(s->json);
        for (size_t i = 0; i < grp.n_members; i++)
                print_dev_json(s, &grp.members[i]);
        json_array_end(s->json);
        json_object_end(s->json);
        return 0;
}

/* Whether the device has an iommu_group link. A group's member whose listing showed the link has
 * one; the rest are asked. The name is formatted for those only: a snprintf per device was 4 % of
 * list's instructions. */
static bool has_group_link(struct list_state *s, const struct pci_addr *addr)
{
        char name[PCI_ADDR_STRLEN];

        if (s->n_grouped &&
            bsearch(addr, s->grouped, s->n_grouped, sizeof(*s->grouped), compare_addrs))
                return true;
        return sysfs_exists(s->ctx, "/sys/bus/pci/devices/%s/iommu_group",
                            pci_addr_format(addr, name));
}

static int list_ungrouped(struct list_state *s)
{
        _cleanup_free_ struct pci_addr *all = NULL;
        size_t n = 0;
        bool header = false;
        int r = pci_list_all(s->ctx, &all, &n);

        if (r < 0)
                return r;
        if (s->n_grouped)
                qsort(s->grouped, s->n_grouped, sizeof(*s->grouped), compare_addrs);
        for (size_t i = 0; i < n; i++) {
                struct pci_dev d;

                /* A grouped device was listed with its group: not loading it again halves the
                 * sysfs reads of list. */
                if (has_group_link(s, &all[i]) ||
                    pci_dev_load_parts(s->ctx, &all[i], load_parts(s), &d) < 0 ||
                    d.iommu_group >= 0)
                        continue;
                if (!header && !s->json)
                        printf("no IOMMU group\n");
                header = true;
                if (s->json)
                        print_dev_json(s, &d);
                else
                        print_dev_text(s, &d);
        }
        return 0;
}

static int parse_list_args(int argc, char **argv, bool *json)
{
        static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {}};
        int c;

        /* 0, not 1: glibc then starts afresh and lets options follow the address (the global
         * parse stopped at the command name with "+"). */
        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c != 'j')
                        return cli_usage_error("list", "unknown option");
                *json = true;
        }
        if (optind != argc)
                return cli_usage_error("list", "takes no arguments");
        return EXIT_OK;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
        _cleanup_pci_lib_ struct pci_lib *lib = NULL;
        _cleanup_free_ int *groups = NULL;
        _cleanup_(list_state_free) struct list_state s = {.ctx = cli->ctx};
        struct json j;
        bool json = false;
        size_t n = 0;
        int r = parse_list_args(argc, argv, &json);

        if (r != EXIT_OK)
                return r;
        r = group_list_numbers(cli->ctx, &groups, &n);
        if (r < 0)
                return cli_fail_lib(cli, r);
        pci_lib_open(cli->ctx, &lib);
        s.lib = lib;
        /* Unreadable /proc entries only mean fewer holders shown, as before. */
        group_vfio_holders_all(cli->ctx, &s.holders, &s.n_holders);
        r = read_vfio_nodes(&s);
        if (r < 0)
                return cli_fail_lib(cli, r);
        if (json) {
                json_init(&j, stdout);
                json_document_begin(&j);
                json_key(&j, "groups");
                json_array_begin(&j);
                s.json = &j;
        }
        for (size_t i = 0; i < n && r >= 0; i++)
                r = list_group(&s, groups[i]);
        if (json) {
                json_array_end(&j);
                json_key(&j, "ungrouped");
                json_array_begin(&j);
        }
        if (r >= 0)
                r = list_ungrouped(&s);
        if (json) {
                json_array_end(&j);
                json_document_end(&j);
        }
        return r < 0 ? cli_fail_lib(cli, r) : EXIT_OK;
}
