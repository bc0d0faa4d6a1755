/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Is a device something the host itself needs? Everything is read through the seam from sysfs
 * and /proc, so the same answer comes from a fixture tree:
 *   - storage: block devices below it (and their partitions) that are mounted
 *     (/proc/self/mountinfo by major:minor), used as swap (/proc/swaps), or held by dm/md/LVM
 *     (/sys/block/X/holders); 9p and virtiofs transports whose tag is mounted;
 *   - network: its netdevs with an IPv4 route (/proc/net/route), a global IPv6 address
 *     (/proc/net/if_inet6) or route (/proc/net/ipv6_route), a master (bond, bridge, team) or
 *     any upper device;
 *   - console: boot_vga = 1, or the device of a framebuffer (/sys/class/graphics/fbN/device).
 * An IPv4 address on an interface that is down has no route in /proc/net/route, and /proc does
 * not say which interface holds it; a NIC used by the host is up, so this gap is accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostcrit.h"

#define DEV "/sys/bus/pci/devices/%s"

_printf_(3, 4) static int critical(char *reason, size_t size, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, size, fmt, ap);
        va_end(ap);
        return 1;
}

/* Calls fn on every line of a /proc file until fn returns non-zero; returns that. A file that
 * does not exist has no lines (e.g. /proc/net/if_inet6 without IPv6). */
static int for_each_line(vfh_ctx *ctx, const char *path,
                         int (*fn)(char *line, void *data, char *reason, size_t size), void *data,
                         char *reason, size_t size)
{
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        int fd = sysfs_open(ctx, O_RDONLY, "%s", path);

        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return vfh_errorf(ctx, fd,
                                  "host-critical check: cannot read %s: %s; refusing to guess",
                                  path, strerror(-fd));
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return -ENOMEM;
        }
        while (getline(&line, &cap, f) > 0) {
                int r;

                line[strcspn(line, "\n")] = '\0';
                r = fn(line, data, reason, size);
                if (r)
                        return r;
        }
        return 0;
}

/* ---- network ---- */

static int route_line(char *line, void *data, char *reason, size_t size)
{
        const char *ifname = data;
        char iface[32];
        unsigned int dest, mask;

        if (sscanf(line, "%31s %x %*x %*x %*d %*d %*d %x", iface, &dest, &mask) != 3 ||
            strcmp(iface, ifname) != 0)
                return 0;
        /* /proc/net/route prints addresses in the kernel's (little-endian) byte order. */
        return critical(reason, size, "%s has the IPv4 route %u.%u.%u.%u/%d", ifname, dest & 0xff,
                        (dest >> 8) & 0xff, (dest >> 16) & 0xff, dest >> 24,
                        __builtin_popcount(mask));
}

static void format_ipv6(const char *hex, char *buf, size_t size)
{
        size_t n = 0;

        for (int i = 0; i < 8 && n + 6 < size; i++)
                n += (size_t)snprintf(buf + n, size - n, "%s%.4s", i ? ":" : "", hex + 4 * i);
}

static int inet6_line(char *line, void *data, char *reason, size_t size)
{
        const char *ifname = data;
        char hex[33], name[32], text[48];
        unsigned int scope;

        if (sscanf(line, "%32s %*x %*x %x %*x %31s", hex, &scope, name) != 3 ||
            strcmp(name, ifname) != 0)
                return 0;
        if (scope == 0x20)
                return 0; /* link-local: every interface that is up has one */
        format_ipv6(hex, text, sizeof(text));
        return critical(reason, size, "%s has the IPv6 address %s", ifname, text);
}

static int ipv6_route_line(char *line, void *data, char *reason, size_t size)
{
        const char *ifname = data;
        char dest[33], name[32], text[48];
        unsigned int plen;

        if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %*s %31s", dest, &plen, name) != 3 ||
            strcmp(name, ifname) != 0)
                return 0;
        /* Link-local and multicast routes exist on every interface that is up. */
        if (strncmp(dest, "fe80", 4) == 0 || strncmp(dest, "ff", 2) == 0)
                return 0;
        format_ipv6(dest, text, sizeof(text));
        return critical(reason, size, "%s has the IPv6 route %s/%u", ifname, text, plen);
}

static int netdev_uppers(vfh_ctx *ctx, const char *ifname, char *reason, size_t size)
{
        _cleanup_closedir_ DIR *dir = NULL;
        char master[64];
        struct dirent *de;

        if (sysfs_link_name(ctx, master, sizeof(master), "/sys/class/net/%s/master", ifname) > 0)
                return critical(reason, size, "%s is a port of %s (bond, bridge or team)", ifname,
                                master);
        if (sysfs_opendir(ctx, &dir, "/sys/class/net/%s", ifname) < 0)
                return 0;
        while ((de = readdir(dir)))
                if (strncmp(de->d_name, "upper_", 6) == 0)
                        return critical(reason, size, "%s has the upper device %s", ifname,
                                        de->d_name + 6);
        return 0;
}

static int netdev_critical(vfh_ctx *ctx, const char *ifname, char *reason, size_t size)
{
        int r = netdev_uppers(ctx, ifname, reason, size);

        if (r == 0)
                r = for_each_line(ctx, "/proc/net/route", route_line, (void *)ifname, reason, size);
        if (r == 0)
                r = for_each_line(ctx, "/proc/net/if_inet6", inet6_line, (void *)ifname, reason,
                                  size);
        if (r == 0)
                r = for_each_line(ctx, "/proc/net/ipv6_route", ipv6_route_line, (void *)ifname,
                                  reason, size);
        return r;
}

/* ---- storage ---- */

struct mount_query {
        const char *devnum;  /* "8:1", or NULL */
        const char *tag;     /* 9p/virtiofs source, or NULL */
        const char *what;    /* for the message: "sda1", "the 9p share vfhroot" */
        bool root_is_opaque; /* out: / sits on something we cannot see */
        vfh_ctx *ctx;
};

/* Splits a mountinfo line into the fields we need; false when it is malformed. */
static bool mountinfo_fields(char *line, char **devnum, char **mountpoint, char **fstype,
                             char **source, char **super)
{
        char *save = NULL, *f[7] = {0};
        size_t i = 0;

        /* Six fixed fields, then optional ones up to "-", then fstype, source, options. */
        for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                f[i++] = w;
                if (i == 6)
                        break;
        }
        if (i < 6)
                return false;
        for (char *w = strtok_r(NULL, " ", &save); w; w = strtok_r(NULL, " ", &save))
                if (strcmp(w, "-") == 0)
                        break;
        *devnum = f[2];
        *mountpoint = f[4];
        *fstype = strtok_r(NULL, " ", &save);
        *source = strtok_r(NULL, " ", &save);
        *super = strtok_r(NULL, " ", &save);
        return *fstype && *source;
}

/* An overlay whose lower layer is not reachable from here stacks on a mount we cannot see. */
static bool overlay_lower_hidden(vfh_ctx *ctx, const char *super)
{
        const char *p = super ? strstr(super, "lowerdir=") : NULL;
        char dirs[1024];

        if (!p)
                return false;
        snprintf(dirs, sizeof(dirs), "%.*s", (int)strcspn(p + 9, ","), p + 9);
        for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
                if (d[0] != '/' || !sysfs_exists(ctx, "%s", d))
                        return true;
        return false;
}

static int mount_line(char *line, void *data, char *reason, size_t size)
{
        struct mount_query *q = data;
        char *devnum, *mountpoint, *fstype, *source, *super;

        if (!mountinfo_fields(line, &devnum, &mountpoint, &fstype, &source, &super))
                return 0;
        if (q->devnum && strcmp(devnum, q->devnum) == 0)
                return critical(reason, size, "%s is mounted on %s", q->what, mountpoint);
        if (q->tag && strcmp(source, q->tag) == 0 &&
            (strcmp(fstype, "9p") == 0 || strcmp(fstype, "virtiofs") == 0))
                return critical(reason, size, "%s is mounted on %s", q->what, mountpoint);
        if (strcmp(mountpoint, "/") == 0 &&
            (strcmp(fstype, "9p") == 0 || strcmp(fstype, "virtiofs") == 0 ||
             (strcmp(fstype, "overlay") == 0 && overlay_lower_hidden(q->ctx, super))))
                q->root_is_opaque = true;
        return 0;
}

static int swap_line(char *line, void *data, char *reason, size_t size)
{
        const char *name = data;
        char path[256];
        const char *base;

        if (sscanf(line, "%255s", path) != 1)
                return 0;
        base = strrchr(path, '/');
        base = base ? base + 1 : path;
        return strcmp(base, name) == 0 ? critical(reason, size, "%s is used as swap", name) : 0;
}

static int holders(vfh_ctx *ctx, const char *sysdir, const char *name, char *reason, size_t size)
{
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *de;

        if (sysfs_opendir(ctx, &dir, "%s/holders", sysdir) < 0)
                return 0;
        while ((de = readdir(dir)))
                if (de->d_name[0] != '.')
                        return critical(reason, size,
                                        "%s is held by %s (device-mapper, md or "
                                        "LVM)",
                                        name, de->d_name);
        return 0;
}

/* One disk or partition: sysdir is its /sys/block/… directory. */
static int block_in_use(vfh_ctx *ctx, const char *sysdir, const char *name, char *reason,
                        size_t size)
{
        struct mount_query q = {.what = name, .ctx = ctx};
        char devnum[32];
        int r;

        if (sysfs_read(ctx, devnum, sizeof(devnum), "%s/dev", sysdir) > 0) {
                q.devnum = devnum;
                r = for_each_line(ctx, "/proc/self/mountinfo", mount_line, &q, reason, size);
                if (r)
                        return r;
        }
        r = for_each_line(ctx, "/proc/swaps", swap_line, (void *)name, reason, size);
        if (r)
                return r;
        return holders(ctx, sysdir, name, reason, size);
}

static int disk_critical(vfh_ctx *ctx, const char *disk, char *reason, size_t size)
{
        _cleanup_closedir_ DIR *dir = NULL;
        char sysdir[128];
        struct dirent *de;
        int r;

        snprintf(sysdir, sizeof(sysdir), "/sys/block/%s", disk);
        r = block_in_use(ctx, sysdir, disk, reason, size);
        if (r || sysfs_opendir(ctx, &dir, "%s", sysdir) < 0)
                return r;
        while ((de = readdir(dir))) {
                char part[PATH_MAX];

                if (de->d_name[0] == '.' ||
                    !sysfs_exists(ctx, "%s/%s/partition", sysdir, de->d_name))
                        continue;
                snprintf(part, sizeof(part), "%s/%s", sysdir, de->d_name);
                r = block_in_use(ctx, part, de->d_name, reason, size);
                if (r)
                        return r;
        }
        return 0;
}

/* A 9p transport (virtio-9p-pci) shows its tag in virtioN/mount_tag. */
static int transport_critical(vfh_ctx *ctx, const struct pci_dev *dev, char *reason, size_t size)
{
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *de;

        if (sysfs_opendir(ctx, &dir, DEV, dev->name) < 0)
                return 0;
        while ((de = readdir(dir))) {
                char tag[128], what[160];
                struct mount_query q = {.ctx = ctx};
                int r;

                if (strncmp(de->d_name, "virtio", 6) != 0 ||
                    sysfs_read(ctx, tag, sizeof(tag), DEV "/%s/mount_tag", dev->name, de->d_name) <=
                        0)
                        continue;
                snprintf(what, sizeof(what), "its 9p share '%s'", tag);
                q.tag = tag;
                q.what = what;
                r = for_each_line(ctx, "/proc/self/mountinfo", mount_line, &q, reason, size);
                if (r)
                        return r;
                if (q.root_is_opaque)
                        return critical(reason, size,
                                        "its 9p share '%s' may carry the root filesystem (/ "
                                        "sits on a layer that is not visible here)",
                                        tag);
        }
        return 0;
}

/* ---- console ---- */

static int console_critical(vfh_ctx *ctx, const struct pci_dev *dev, char *reason, size_t size)
{
        _cleanup_closedir_ DIR *dir = NULL;
        unsigned long boot_vga;
        struct dirent *de;

        if (sysfs_read_ulong(ctx, &boot_vga, DEV "/boot_vga", dev->name) == 0 && boot_vga == 1)
                return critical(reason, size, "it is the boot VGA device (the host console)");
        if (sysfs_opendir(ctx, &dir, "/sys/class/graphics") < 0)
                return 0;
        while ((de = readdir(dir))) {
                char owner[PCI_ADDR_STRLEN + 8];

                if (strncmp(de->d_name, "fb", 2) == 0 &&
                    sysfs_link_name(ctx, owner, sizeof(owner), "/sys/class/graphics/%s/device",
                                    de->d_name) > 0 &&
                    strcmp(owner, dev->name) == 0)
                        return critical(reason, size, "it drives the console framebuffer %s",
                                        de->d_name);
        }
        return 0;
}

int hostcrit_check(vfh_ctx *ctx, const struct pci_dev *dev, char *reason, size_t size)
{
        int r = console_critical(ctx, dev, reason, size);

        for (size_t i = 0; r == 0 && i < dev->n_netdevs; i++)
                r = netdev_critical(ctx, dev->netdevs[i], reason, size);
        for (size_t i = 0; r == 0 && i < dev->n_blocks; i++)
                r = disk_critical(ctx, dev->blocks[i], reason, size);
        if (r == 0)
                r = transport_critical(ctx, dev, reason, size);
        if (r == 0 && size)
                reason[0] = '\0';
        return r;
}
