/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PCI device model, read from sysfs through the sysroot seam: identity, driver and
 * override, IOMMU group, NUMA node, SR-IOV relations, reset method, and the network and block
 * devices that hang below a device.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci.h"

#define DEV "/sys/bus/pci/devices/%s"

/*
 * A device's attributes are read below its directory, opened once (struct sysfs_dir): one path
 * walk per device instead of one per attribute, and a readlink is one system call. The listing
 * of the directory, needed anyway for virtio children, says which optional attributes exist, so
 * absent ones are not opened only to fail. list reads every device (docs/PERFORMANCE.md).
 */

enum {
        HAS_CONFIG = 1 << 0,
        HAS_DRIVER = 1 << 1,
        HAS_DRIVER_OVERRIDE = 1 << 2,
        HAS_IOMMU_GROUP = 1 << 3,
        HAS_NUMA_NODE = 1 << 4,
        HAS_PHYSFN = 1 << 5,
        HAS_SRIOV_TOTALVFS = 1 << 6,
        HAS_SRIOV_NUMVFS = 1 << 7,
        HAS_RESET_METHOD = 1 << 8,
        HAS_NET = 1 << 9,
        HAS_MODALIAS = 1 << 10,
        HAS_ALL = (1 << 11) - 1,
};

#define MAX_VIRTIO_CHILDREN 4

/* What the device directory holds; everything when it could not be listed. */
struct dev_entries {
        unsigned int present;
        bool listed; /* present is what the listing showed, not a guess */
        size_t n_virtio;
        bool virtio_overflow; /* more virtio children than fit: scan for them again */
        char virtio[MAX_VIRTIO_CHILDREN][NAME_MAX + 1];
};

struct known_entry {
        const char *name;
        unsigned int bit;
};

static int compare_entry_name(const void *key, const void *entry)
{
        return strcmp(key, ((const struct known_entry *)entry)->name);
}

static int note_entry(const char *name, unsigned char type, void *data)
{
        /* Sorted for bsearch: a device directory has 30 to 60 entries, and a listing of 1024
         * devices compared each with every name (5 % of list's instructions). */
        static const struct known_entry known[] = {
            {"config", HAS_CONFIG},
            {"driver", HAS_DRIVER},
            {"driver_override", HAS_DRIVER_OVERRIDE},
            {"iommu_group", HAS_IOMMU_GROUP},
            {"modalias", HAS_MODALIAS},
            {"net", HAS_NET},
            {"numa_node", HAS_NUMA_NODE},
            {"physfn", HAS_PHYSFN},
            {"reset_method", HAS_RESET_METHOD},
            {"sriov_numvfs", HAS_SRIOV_NUMVFS},
            {"sriov_totalvfs", HAS_SRIOV_TOTALVFS},
        };
        struct dev_entries *e = data;
        const struct known_entry *k;

        (void)type;
        if (strncmp(name, "virtio", 6) == 0) {
                if (e->n_virtio < MAX_VIRTIO_CHILDREN && strlen(name) <= NAME_MAX)
                        strcpy(e->virtio[e->n_virtio++], name);
                else
                        e->virtio_overflow = true;
                return 0;
        }
        k = bsearch(name, known, ARRAY_SIZE(known), sizeof(known[0]), compare_entry_name);
        if (k)
                e->present |= k->bit;
        return 0;
}

static void list_entries(vfh_ctx *ctx, struct sysfs_dir *dir, struct dev_entries *e)
{
        /* Not the names' 1 KiB: only n_virtio of them are read. */
        e->present = 0;
        e->n_virtio = 0;
        e->virtio_overflow = false;
        e->listed = sysfs_dir_each(ctx, dir, note_entry, e) >= 0;
        if (!e->listed)
                *e = (struct dev_entries){.present = HAS_ALL, .virtio_overflow = true};
}

static int read_hex16(vfh_ctx *ctx, struct sysfs_dir *dir, const char *attr, uint16_t *ret)
{
        unsigned long v;
        int r = sysfs_read_ulong_at(ctx, dir, attr, &v);

        if (r < 0)
                return r;
        if (v > 0xffff)
                return -EBADMSG;
        *ret = (uint16_t)v;
        return 0;
}

/* The header type is config byte 0x0e; bit 7 only says "multifunction". */
static void read_config_header(vfh_ctx *ctx, struct sysfs_dir *dir, const struct dev_entries *e,
                               struct pci_dev *dev)
{
        int fd = e->present & HAS_CONFIG ? sysfs_open_at(ctx, dir, "config", O_RDONLY) : -ENOENT;
        uint8_t byte = 0;

        dev->has_config = fd >= 0 || (fd != -ENOENT && sysfs_exists(ctx, DEV "/config", dev->name));
        if (fd >= 0 && pread(fd, &byte, 1, 0x0e) == 1)
                dev->header_type = byte & 0x7f;
        sysfs_dir_adopt(dir, fd);
}

/* An absent attribute reads as "": many only exist with the right driver or kernel. */
static void read_optional(vfh_ctx *ctx, struct sysfs_dir *dir, bool present, char *buf, size_t size,
                          const char *attr)
{
        if (!present || sysfs_read_at(ctx, dir, attr, buf, size) < 0)
                buf[0] = '\0';
}

/* "" when no driver is bound (no link). */
static int driver_result(int r, char *buf)
{
        if (r == -ENOENT) {
                buf[0] = '\0';
                return 0;
        }
        return r < 0 ? r : 0;
}

int pci_dev_current_driver(vfh_ctx *ctx, const char *name, char *buf, size_t size)
{
        return driver_result(sysfs_link_name(ctx, buf, size, DEV "/driver", name), buf);
}

static int read_driver(vfh_ctx *ctx, struct sysfs_dir *dir, const struct dev_entries *e, char *buf,
                       size_t size)
{
        if (!(e->present & HAS_DRIVER))
                return driver_result(-ENOENT, buf);
        return driver_result(sysfs_link_name_at(ctx, dir, "driver", buf, size), buf);
}

static int read_numa_node(vfh_ctx *ctx, struct sysfs_dir *dir, const struct dev_entries *e)
{
        char buf[32], *end;
        long v;

        if (!(e->present & HAS_NUMA_NODE) ||
            sysfs_read_at(ctx, dir, "numa_node", buf, sizeof(buf)) <= 0)
                return -1;
        v = strtol(buf, &end, 10);
        return (*end || v < -1 || v > INT_MAX) ? -1 : (int)v;
}

static int read_iommu_group(vfh_ctx *ctx, struct sysfs_dir *dir, const struct dev_entries *e)
{
        char buf[32], *end;
        long v;

        if (!(e->present & HAS_IOMMU_GROUP) ||
            sysfs_link_name_at(ctx, dir, "iommu_group", buf, sizeof(buf)) <= 0)
                return -1;
        v = strtol(buf, &end, 10);
        return (*end || v < 0 || v > INT_MAX) ? -1 : (int)v;
}

/* N when the entry is "virtfnN". */
static int virtfn_index(const char *entry)
{
        char *end;
        long v;

        if (strncmp(entry, "virtfn", 6) != 0 || !entry[6])
                return -1;
        v = strtol(entry + 6, &end, 10);
        return (*end || v < 0 || v > 65535) ? -1 : (int)v;
}

static void read_sriov(vfh_ctx *ctx, struct sysfs_dir *dir, const struct dev_entries *e,
                       struct pci_dev *dev)
{
        unsigned long v;

        if (!(e->present & HAS_SRIOV_TOTALVFS) ||
            sysfs_read_ulong_at(ctx, dir, "sriov_totalvfs", &v) < 0)
                return;
        dev->has_sriov = true;
        dev->sriov_totalvfs = (unsigned int)v;
        if ((e->present & HAS_SRIOV_NUMVFS) &&
            sysfs_read_ulong_at(ctx, dir, "sriov_numvfs", &v) == 0)
                dev->sriov_numvfs = (unsigned int)v;
}

static int note_netdev(const char *name, unsigned char type, void *data)
{
        struct pci_dev *dev = data;

        (void)type;
        if (name[0] == '.' || strlen(name) >= PCI_IFNAME_MAX)
                return 0;
        strcpy(dev->netdevs[dev->n_netdevs++], name);
        return dev->n_netdevs == PCI_MAX_NETDEVS; /* full: stop */
}

static void add_netdevs_in(vfh_ctx *ctx, struct sysfs_dir *dir, struct pci_dev *dev,
                           const char *subdir)
{
        if (dev->n_netdevs < PCI_MAX_NETDEVS)
                sysfs_dir_each_at(ctx, dir, subdir, note_netdev, dev);
}

static void add_virtio_netdevs(vfh_ctx *ctx, struct sysfs_dir *dir, struct pci_dev *dev,
                               const char *child)
{
        char sub[NAME_MAX + 8];

        snprintf(sub, sizeof(sub), "%s/net", child);
        add_netdevs_in(ctx, dir, dev, sub);
}

/* net/ of the device itself, and of its virtio child (virtio-net has its netdev one level
 * down). */
static void read_netdevs(vfh_ctx *ctx, struct sysfs_dir *dir, const struct dev_entries *e,
                         struct pci_dev *dev)
{
        _cleanup_closedir_ DIR *listing = NULL;
        struct dirent *de;

        if (e->present & HAS_NET)
                add_netdevs_in(ctx, dir, dev, "net");
        if (!e->virtio_overflow) {
                for (size_t i = 0; i < e->n_virtio; i++)
                        add_virtio_netdevs(ctx, dir, dev, e->virtio[i]);
                return;
        }
        if (sysfs_opendir_at(ctx, dir, ".", &listing) < 0)
                return;
        while ((de = readdir(listing)))
                if (strncmp(de->d_name, "virtio", 6) == 0)
                        add_virtio_netdevs(ctx, dir, dev, de->d_name);
}

/* Whether a sysfs device path ("../devices/pci0000:00/0000:00:1f.2/ata1/…") passes through
 * the device: one of its components is the address. */
static bool path_below(const char *path, const char *name)
{
        size_t len = strlen(name);

        for (const char *p = strstr(path, name); p; p = strstr(p + 1, name))
                if ((p == path || p[-1] == '/') && (p[len] == '/' || p[len] == '\0'))
                        return true;
        return false;
}

/*
 * Every device load asks which disks hang below the device (hostcrit.c refuses to detach the
 * controller of a disk in use). Reading /sys/block for each device made a scan of N devices
 * cost N x disks readlinks: 190k of list's 220k sysfs reads on a 1024-function host with 188
 * disks (docs/PERFORMANCE.md). The links are read once per context instead, and again after
 * any sysfs write of ours, which may have unbound a disk's controller. Contexts live for one
 * hook call or one command (only the context API is exported).
 */
struct block_link {
        char name[PCI_BLOCK_MAX];
        char *target;
};

/* A VF's index is the N of its PF's virtfnN link that points back at it: loading every VF of a
 * PF read the PF's links again each time (16 VFs, 8 links each on average). They are kept with
 * the disks', and dropped with them. */
struct pf_link {
        int index;
        char target[PCI_ADDR_STRLEN + 8]; /* the last component of virtfnN's target */
};

struct pf_links {
        char pf[PCI_ADDR_STRLEN + 8];
        size_t n;
        struct pf_link *v; /* in directory order */
};

struct block_links {
        unsigned long writes_seen; /* ctx->counters.device_writes when read */
        bool have_blocks;          /* /sys/block was read */
        size_t n;
        struct block_link *v;
        size_t n_pfs;
        struct pf_links *pfs;
};

static void block_links_clear(struct block_links *links)
{
        for (size_t i = 0; i < links->n; i++)
                free(links->v[i].target);
        free(links->v);
        links->v = NULL;
        links->n = 0;
}

void block_links_free(struct block_links *links)
{
        if (!links)
                return;
        block_links_clear(links);
        for (size_t i = 0; i < links->n_pfs; i++)
                free(links->pfs[i].v);
        free(links->pfs);
        free(links);
}

/* The context's cache, emptied when a sysfs write of ours may have changed what it holds (a
 * driver_override write cannot). NULL on ENOMEM. */
static struct block_links *links_cache(vfh_ctx *ctx)
{
        if (ctx->block_links && ctx->block_links->writes_seen == ctx->counters.device_writes)
                return ctx->block_links;
        block_links_free(ctx->block_links);
        ctx->block_links = calloc(1, sizeof(*ctx->block_links));
        if (ctx->block_links)
                ctx->block_links->writes_seen = ctx->counters.device_writes;
        return ctx->block_links;
}

void pci_links_keep_after(vfh_ctx *ctx, const char *dev, unsigned long writes_before)
{
        struct block_links *links = ctx->block_links;
        size_t kept = 0;

        if (!links || links->writes_seen != writes_before ||
            ctx->counters.device_writes != writes_before + 1)
                return;
        for (size_t i = 0; i < links->n; i++) {
                if (path_below(links->v[i].target, dev))
                        free(links->v[i].target);
                else
                        links->v[kept++] = links->v[i];
        }
        links->n = kept;
        /* A PF's VFs may go with its driver (vfio-pci disables SR-IOV on unbind): its links
         * are read again when asked for. */
        for (size_t i = 0; i < links->n_pfs; i++)
                if (strcmp(links->pfs[i].pf, dev) == 0) {
                        free(links->pfs[i].v);
                        links->pfs[i] = links->pfs[--links->n_pfs];
                        break;
                }
        links->writes_seen = ctx->counters.device_writes;
}

static int block_links_add(struct block_links *links, const char *name, const char *target)
{
        struct block_link *grown = reallocarray(links->v, links->n + 1, sizeof(*links->v));

        if (!grown)
                return -ENOMEM;
        links->v = grown;
        snprintf(grown[links->n].name, sizeof(grown[links->n].name), "%s", name);
        grown[links->n].target = strdup(target);
        if (!grown[links->n].target)
                return -ENOMEM;
        links->n++;
        return 0;
}

/* -errno when /sys/block cannot be read, or on ENOMEM (the caller then reads it directly). */
static int block_links_read(vfh_ctx *ctx, struct block_links *links)
{
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *de;
        int r = sysfs_opendir(ctx, &dir, "/sys/block");

        if (r < 0)
                return r;
        while ((de = readdir(dir))) {
                char target[PATH_MAX];

                if (de->d_name[0] == '.' || strlen(de->d_name) >= PCI_BLOCK_MAX)
                        continue;
                if (sysfs_readlink(ctx, target, sizeof(target), "/sys/block/%s", de->d_name) < 0)
                        continue;
                r = block_links_add(links, de->d_name, target);
                if (r < 0) {
                        block_links_clear(links);
                        return r;
                }
        }
        links->have_blocks = true;
        return 0;
}

static const struct block_links *block_links_get(vfh_ctx *ctx)
{
        struct block_links *links = links_cache(ctx);

        if (!links || (!links->have_blocks && block_links_read(ctx, links) < 0))
                return NULL;
        return links;
}

struct pf_scan {
        vfh_ctx *ctx;
        struct sysfs_dir *dir;
        struct pf_links *links;
};

static int note_virtfn(const char *name, unsigned char type, void *data)
{
        struct pf_scan *scan = data;
        struct pf_links *links = scan->links;
        struct pf_link link = {.index = virtfn_index(name)}, *grown;

        (void)type;
        if (link.index < 0 ||
            sysfs_link_name_at(scan->ctx, scan->dir, name, link.target, sizeof(link.target)) <= 0)
                return 0;
        grown = reallocarray(links->v, links->n + 1, sizeof(*links->v));
        if (!grown)
                return -ENOMEM;
        links->v = grown;
        links->v[links->n++] = link;
        return 0;
}

/* Reads the virtfnN links of the PF named pf into the cache. Not cached when its directory
 * cannot be listed (it is asked again next time). */
static int pf_links_read(vfh_ctx *ctx, struct block_links *cache, const char *pf,
                         const struct pf_links **ret)
{
        _cleanup_sysfs_dir_ struct sysfs_dir dir = {.fd = -1};
        struct pf_links links = {0}, *grown;
        struct pf_scan scan = {.ctx = ctx, .dir = &dir, .links = &links};
        int r;

        snprintf(links.pf, sizeof(links.pf), "%s", pf);
        r = sysfs_dir_open(ctx, &dir, DEV, pf);
        if (r >= 0)
                r = sysfs_dir_each(ctx, &dir, note_virtfn, &scan);
        grown = r < 0 ? NULL : reallocarray(cache->pfs, cache->n_pfs + 1, sizeof(*cache->pfs));
        if (!grown) {
                free(links.v);
                return r < 0 ? r : -ENOMEM;
        }
        cache->pfs = grown;
        cache->pfs[cache->n_pfs] = links;
        *ret = &cache->pfs[cache->n_pfs++];
        return 0;
}

/* The virtfnN links of the PF named pf, from the cache or read into it. Every VF's load asks:
 * a hit does not set up a struct sysfs_dir (its 4 KiB path is zeroed by the initializer). */
static int pf_links_get(vfh_ctx *ctx, const char *pf, const struct pf_links **ret)
{
        struct block_links *cache = links_cache(ctx);

        if (!cache)
                return -ENOMEM;
        for (size_t i = 0; i < cache->n_pfs; i++)
                if (strcmp(cache->pfs[i].pf, pf) == 0) {
                        *ret = &cache->pfs[i];
                        return 0;
                }
        return pf_links_read(ctx, cache, pf, ret);
}

static void read_vf_relation(vfh_ctx *ctx, struct sysfs_dir *dir, const struct dev_entries *e,
                             struct pci_dev *dev)
{
        char pf[PCI_ADDR_STRLEN + 8];
        const struct pf_links *links;

        if (!(e->present & HAS_PHYSFN) ||
            sysfs_link_name_at(ctx, dir, "physfn", pf, sizeof(pf)) < 0 ||
            pci_addr_parse(pf, &dev->physfn) < 0)
                return;
        dev->is_vf = true;
        dev->vf_index = -1;
        if (pf_links_get(ctx, pf, &links) < 0)
                return;
        for (size_t i = 0; i < links->n; i++)
                if (strcmp(links->v[i].target, dev->name) == 0) {
                        dev->vf_index = links->v[i].index;
                        return;
                }
}

static void read_blocks_uncached(vfh_ctx *ctx, struct pci_dev *dev)
{
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *de;

        if (sysfs_opendir(ctx, &dir, "/sys/block") < 0)
                return;
        while ((de = readdir(dir)) && dev->n_blocks < PCI_MAX_BLOCKS) {
                char target[PATH_MAX];

                if (de->d_name[0] == '.' || strlen(de->d_name) >= PCI_BLOCK_MAX)
                        continue;
                if (sysfs_readlink(ctx, target, sizeof(target), "/sys/block/%s", de->d_name) < 0)
                        continue;
                if (path_below(target, dev->name))
                        strcpy(dev->blocks[dev->n_blocks++], de->d_name);
        }
}

static void read_blocks(vfh_ctx *ctx, struct pci_dev *dev)
{
        const struct block_links *links = block_links_get(ctx);

        if (!links) {
                read_blocks_uncached(ctx, dev);
                return;
        }
        for (size_t i = 0; i < links->n && dev->n_blocks < PCI_MAX_BLOCKS; i++)
                if (path_below(links->v[i].target, dev->name))
                        strcpy(dev->blocks[dev->n_blocks++], links->v[i].name);
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* The value of `digits` hex digits at *p, which then points past them; -1 when one is not. */
static long take_hex(const char **p, size_t digits)
{
        long v = 0;

        for (size_t i = 0; i < digits; i++) {
                int x = hex_digit((*p)[i]);

                if (x < 0)
                        return -1;
                v = v * 16 + x;
        }
        *p += digits;
        return v;
}

static bool take(const char **p, const char *literal)
{
        size_t len = strlen(literal);

        if (strncmp(*p, literal, len) != 0)
                return false;
        *p += len;
        return true;
}

/*
 * The kernel prints modalias from the same vendor, device and class fields as the three
 * attributes ("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", drivers/pci/pci-sysfs.c): one
 * read instead of three for every device a listing loads. false when it is not in that form.
 */
static bool parse_modalias(const char *text, struct pci_dev *dev)
{
        static const struct {
                const char *tag;
                size_t digits;
        } fields[] = {{"pci:v", 8}, {"d", 8}, {"sv", 8}, {"sd", 8}, {"bc", 2}, {"sc", 2}, {"i", 2}};
        long v[ARRAY_SIZE(fields)];
        const char *p = text;

        for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
                if (!take(&p, fields[i].tag) || (v[i] = take_hex(&p, fields[i].digits)) < 0)
                        return false;
        if (*p || v[0] > 0xffff || v[1] > 0xffff)
                return false;
        dev->vendor = (uint16_t)v[0];
        dev->device = (uint16_t)v[1];
        dev->class = (uint32_t)(v[4] << 16 | v[5] << 8 | v[6]);
        return true;
}

static bool read_modalias(vfh_ctx *ctx, struct sysfs_dir *dir, const struct dev_entries *e,
                          struct pci_dev *dev)
{
        char buf[128];

        return (e->present & HAS_MODALIAS) &&
               sysfs_read_at(ctx, dir, "modalias", buf, sizeof(buf)) > 0 &&
               parse_modalias(buf, dev);
}

/* From modalias when it is there and well formed; else (trees that lack it) from the three
 * attributes, whose errors are the ones reported. */
static int read_identity(vfh_ctx *ctx, struct sysfs_dir *dir, const struct dev_entries *e,
                         struct pci_dev *dev)
{
        unsigned long class;
        int r;

        if (read_modalias(ctx, dir, e, dev)) {
                read_config_header(ctx, dir, e, dev);
                return 0;
        }
        r = read_hex16(ctx, dir, "vendor", &dev->vendor);
        if (r >= 0)
                r = read_hex16(ctx, dir, "device", &dev->device);
        if (r >= 0)
                r = sysfs_read_ulong_at(ctx, dir, "class", &class);
        if (r < 0)
                return vfh_errorf(ctx, r,
                                  "%s: cannot read its vendor, device and class from sysfs: %s",
                                  dev->name, strerror(-r));
        dev->class = (uint32_t) class & 0xffffff;
        read_config_header(ctx, dir, e, dev);
        return 0;
}

int pci_dev_load_parts(vfh_ctx *ctx, const struct pci_addr *addr, unsigned int parts,
                       struct pci_dev *ret)
{
        /* Set up by sysfs_dir_open, before anything can return: an initializer would zero its
         * 4 KiB path for every device, 1 % of list's instructions. */
        _cleanup_sysfs_dir_ struct sysfs_dir dir;
        struct pci_dev *dev = ret;
        struct dev_entries e;
        int r;

        *dev = (struct pci_dev){.addr = *addr, .iommu_group = -1, .numa_node = -1};
        pci_addr_format(addr, dev->name);
        r = sysfs_dir_open(ctx, &dir, DEV, dev->name);
        if (r == -ENOENT || (r < 0 && !sysfs_exists(ctx, DEV, dev->name)))
                return vfh_errorf(ctx, ENODEV,
                                  "%s: no such PCI device in /sys/bus/pci/devices; check the "
                                  "address with `lspci -D`",
                                  dev->name);
        /* It exists but is no directory: none of its attributes can be read. */
        if (r < 0)
                return vfh_errorf(ctx, r,
                                  "%s: cannot read its vendor, device and class from sysfs: %s",
                                  dev->name, strerror(-r));
        list_entries(ctx, &dir, &e);
        r = read_identity(ctx, &dir, &e, dev);
        if (r < 0)
                return r;
        r = read_driver(ctx, &dir, &e, dev->driver, sizeof(dev->driver));
        if (r < 0)
                return vfh_errorf(ctx, r, "%s: cannot read its driver link: %s", dev->name,
                                  strerror(-r));
        if (parts & PCI_LOAD_OVERRIDE) {
                read_optional(ctx, &dir, e.present & HAS_DRIVER_OVERRIDE, dev->driver_override,
                              sizeof(dev->driver_override), "driver_override");
                if (strcmp(dev->driver_override, "(null)") == 0)
                        dev->driver_override[0] = '\0';
        }
        if ((parts & PCI_LOAD_SKIP_GROUP_NUMBER) && e.listed)
                dev->iommu_group = e.present & HAS_IOMMU_GROUP ? PCI_GROUP_NOT_READ : -1;
        else
                dev->iommu_group = read_iommu_group(ctx, &dir, &e);
        dev->numa_node = read_numa_node(ctx, &dir, &e);
        read_vf_relation(ctx, &dir, &e, dev);
        read_sriov(ctx, &dir, &e, dev);
        if (parts & PCI_LOAD_OVERRIDE)
                read_optional(ctx, &dir, e.present & HAS_RESET_METHOD, dev->reset_method,
                              sizeof(dev->reset_method), "reset_method");
        read_netdevs(ctx, &dir, &e, dev);
        if (parts & PCI_LOAD_BLOCKS)
                read_blocks(ctx, dev);
        return 0;
}

int pci_dev_load(vfh_ctx *ctx, const struct pci_addr *addr, struct pci_dev *ret)
{
        return pci_dev_load_parts(ctx, addr, PCI_LOAD_ALL, ret);
}

int pci_dev_load_name(vfh_ctx *ctx, const char *name, struct pci_dev *ret)
{
        struct pci_addr addr;

        if (pci_addr_parse(name, &addr) < 0)
                return vfh_errorf(ctx, EINVAL,
                                  "'%s' is not a PCI address; write it as DDDD:BB:SS.F, e.g. "
                                  "0000:03:00.0",
                                  name);
        return pci_dev_load(ctx, &addr, ret);
}

bool pci_dev_is_bridge(const struct pci_dev *dev)
{
        return (dev->class >> 8) == PCI_CLASS_BRIDGE_PCI || dev->header_type == 1;
}

static int compare_addrs(const void *a, const void *b)
{
        return pci_addr_compare(a, b);
}

static int push_addr(struct pci_addr **v, size_t *n, const struct pci_addr *a)
{
        struct pci_addr *grown = realloc(*v, (*n + 1) * sizeof(**v));

        if (!grown)
                return -ENOMEM;
        grown[(*n)++] = *a;
        *v = grown;
        return 0;
}

int pci_list_all(vfh_ctx *ctx, struct pci_addr **ret, size_t *n)
{
        _cleanup_closedir_ DIR *dir = NULL;
        _cleanup_free_ struct pci_addr *v = NULL;
        size_t count = 0;
        struct dirent *de;
        int r = sysfs_opendir(ctx, &dir, "/sys/bus/pci/devices");

        if (r < 0)
                return vfh_errorf(ctx, r, "/sys/bus/pci/devices: cannot list it: %s", strerror(-r));
        while ((de = readdir(dir))) {
                struct pci_addr a;

                if (pci_addr_parse(de->d_name, &a) < 0)
                        continue;
                r = push_addr(&v, &count, &a);
                if (r < 0)
                        return r;
        }
        if (count)
                qsort(v, count, sizeof(*v), compare_addrs);
        *ret = TAKE_PTR(v);
        *n = count;
        return 0;
}

struct vf_entry {
        int index;
        struct pci_addr addr;
};

static int compare_vf_entries(const void *a, const void *b)
{
        return ((const struct vf_entry *)a)->index - ((const struct vf_entry *)b)->index;
}

int pci_dev_list_vfs(vfh_ctx *ctx, const struct pci_dev *pf, struct pci_addr **ret, size_t *n)
{
        _cleanup_free_ struct vf_entry *v = NULL;
        const struct pf_links *links;
        size_t count = 0;
        int r = pf_links_get(ctx, pf->name, &links);

        if (r < 0)
                return r;
        v = calloc(links->n ? links->n : 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < links->n; i++)
                if (pci_addr_parse(links->v[i].target, &v[count].addr) == 0)
                        v[count++].index = links->v[i].index;
        if (count)
                qsort(v, count, sizeof(*v), compare_vf_entries);
        *ret = count ? malloc(count * sizeof(**ret)) : NULL;
        if (count && !*ret)
                return -ENOMEM;
        for (size_t i = 0; i < count; i++)
                (*ret)[i] = v[i].addr;
        *n = count;
        return 0;
}

char *pci_dev_describe(struct pci_lib *lib, const struct pci_dev *dev, char *buf, size_t size)
{
        char class_name[128];

        pci_lib_class_name(lib, dev->class, class_name, sizeof(class_name));
        if (dev->driver[0])
                snprintf(buf, size, "%s, driver %s", class_name, dev->driver);
        else
                snprintf(buf, size, "%s, no driver", class_name);
        return buf;
}
