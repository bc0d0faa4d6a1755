/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel-binding model and fixture builders (see kmodel.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "kmodel.h"
#include "support.h"

#define BUS "sys/bus/pci"

/* Fixture paths are short and fixed; PATH_MAX buffers nested in PATH_MAX buffers would only
 * feed the compiler's truncation warnings. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static void join(char *buf, size_t size, const char *root, const char *rel)
{
        snprintf(buf, size, "%s/%s", root, rel);
}

static bool read_small(const char *root, const char *rel, char *buf, size_t size)
{
        char path[PATH_MAX];
        FILE *f;
        size_t n;

        join(path, sizeof(path), root, rel);
        f = fopen(path, "r");
        if (!f)
                return false;
        n = fread(buf, 1, size - 1, f);
        fclose(f);
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return true;
}

static void write_small(const char *root, const char *rel, const char *value)
{
        char path[PATH_MAX];
        FILE *f;

        join(path, sizeof(path), root, rel);
        f = fopen(path, "w");
        if (f) {
                fputs(value, f);
                fclose(f);
        }
}

const char *kmodel_driver(const char *root, const char *dev)
{
        static char name[64];
        char path[PATH_MAX], target[PATH_MAX];
        ssize_t n;
        const char *base;

        snprintf(path, sizeof(path), "%s/" BUS "/devices/%s/driver", root, dev);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return "";
        target[n] = '\0';
        base = strrchr(target, '/');
        snprintf(name, sizeof(name), "%s", base ? base + 1 : target);
        return name;
}

bool kmodel_vfio_node(const char *root, int group)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/dev/vfio/%d", root, group);
        return access(path, F_OK) == 0;
}

static int device_group(const char *root, const char *dev)
{
        char path[PATH_MAX], target[PATH_MAX];
        const char *base;
        ssize_t n;

        snprintf(path, sizeof(path), "%s/" BUS "/devices/%s/iommu_group", root, dev);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return -1;
        target[n] = '\0';
        base = strrchr(target, '/');
        return atoi(base ? base + 1 : target);
}

/* /dev/vfio/N follows the group: present while any member is on vfio-pci. */
static void update_vfio_node(const char *root, const char *dev)
{
        char path[PATH_MAX];
        struct dirent *de;
        bool any = false;
        int group = device_group(root, dev);
        DIR *dir;

        if (group < 0)
                return;
        snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d/devices", root, group);
        dir = opendir(path);
        if (!dir)
                return;
        while ((de = readdir(dir)))
                if (de->d_name[0] != '.' &&
                    strcmp(kmodel_driver(root, de->d_name), "vfio-pci") == 0)
                        any = true;
        closedir(dir);
        snprintf(path, sizeof(path), "dev/vfio/%d", group);
        if (any)
                test_write_file(root, path, "%s", "");
        else {
                char full[PATH_MAX];

                join(full, sizeof(full), root, path);
                unlink(full);
        }
}

static void bind_to(const char *root, const char *dev, const char *driver)
{
        char rel[PATH_MAX], target[PATH_MAX];

        snprintf(rel, sizeof(rel), BUS "/devices/%s/driver", dev);
        snprintf(target, sizeof(target), "/sys/bus/pci/drivers/%s", driver);
        test_symlink(root, rel, target);
        snprintf(rel, sizeof(rel), BUS "/drivers/%s/%s", driver, dev);
        snprintf(target, sizeof(target), "/sys/bus/pci/devices/%s", dev);
        test_symlink(root, rel, target);
        update_vfio_node(root, dev);
}

static void unbind_from(const char *root, const char *dev, const char *driver)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/" BUS "/devices/%s/driver", root, dev);
        unlink(path);
        snprintf(path, sizeof(path), "%s/" BUS "/drivers/%s/%s", root, driver, dev);
        unlink(path);
        update_vfio_node(root, dev);
}

static bool driver_exists(const char *root, const char *driver)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/" BUS "/drivers/%s", root, driver);
        return access(path, F_OK) == 0;
}

/* The first driver (by name) whose ID table lists the device's vendor:device. */
static bool match_driver(const char *root, const char *dev, char *out, size_t size)
{
        char rel[PATH_MAX], vendor[16], device[16], id[16], ids[256];
        struct dirent **names;
        bool found = false;
        int n;

        snprintf(rel, sizeof(rel), BUS "/devices/%s/vendor", dev);
        if (!read_small(root, rel, vendor, sizeof(vendor)))
                return false;
        snprintf(rel, sizeof(rel), BUS "/devices/%s/device", dev);
        if (!read_small(root, rel, device, sizeof(device)))
                return false;
        snprintf(id, sizeof(id), "%s:%s", vendor + 2, device + 2);
        join(rel, sizeof(rel), root, BUS "/drivers");
        n = scandir(rel, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                char idrel[PATH_MAX];

                snprintf(idrel, sizeof(idrel), BUS "/drivers/%s/kmodel_ids", names[i]->d_name);
                if (!found && read_small(root, idrel, ids, sizeof(ids)) && strstr(ids, id)) {
                        snprintf(out, size, "%s", names[i]->d_name);
                        found = true;
                }
                free(names[i]);
        }
        if (n >= 0)
                free(names);
        return found;
}

static int probe(const char *root, const char *dev)
{
        char rel[PATH_MAX], override[64], driver[64];

        if (kmodel_driver(root, dev)[0])
                return 0;
        snprintf(rel, sizeof(rel), BUS "/devices/%s/driver_override", dev);
        if (!read_small(root, rel, override, sizeof(override)))
                return -ENODEV;
        if (strcmp(override, "(null)") != 0 && override[0]) {
                if (driver_exists(root, override))
                        bind_to(root, dev, override);
                return 0; /* an override for an absent driver leaves the device unbound */
        }
        if (match_driver(root, dev, driver, sizeof(driver)))
                bind_to(root, dev, driver);
        return 0;
}

/* A driver stuck in its remove path: signals cannot move it; only the test lets it go. */
static void maybe_hang(const char *root, const char *dev)
{
        struct timespec pause = {.tv_nsec = 20 * 1000000};
        char marker[64];
        sigset_t all;

        if (!read_small(root, "kmodel/hang-unbind", marker, sizeof(marker)) ||
            strcmp(marker, dev) != 0)
                return;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        while (read_small(root, "kmodel/hang-unbind", marker, sizeof(marker)))
                nanosleep(&pause, NULL);
}

static void log_write(const char *root, const char *path, const char *value)
{
        char file[PATH_MAX];
        FILE *f;

        join(file, sizeof(file), root, "kmodel/log");
        f = fopen(file, "a");
        if (!f)
                return;
        fprintf(f, "%s %.*s\n", path, (int)strcspn(value, "\n"), value);
        fclose(f);
}

/* "/sys/bus/pci/drivers/DRV/ATTR" → DRV and ATTR. */
static bool driver_attr(const char *path, char *driver, size_t size, const char **attr)
{
        const char *p = path + strlen("/sys/bus/pci/drivers/");
        const char *slash;

        if (strncmp(path, "/sys/bus/pci/drivers/", 21) != 0 || !(slash = strchr(p, '/')))
                return false;
        snprintf(driver, size, "%.*s", (int)(slash - p), p);
        *attr = slash + 1;
        return true;
}

static int driver_write(const char *root, const char *driver, const char *attr, const char *dev)
{
        if (strcmp(attr, "new_id") == 0)
                return -EPERM; /* vfiohook must never use it; the log shows it if it does */
        if (strcmp(attr, "unbind") == 0) {
                maybe_hang(root, dev);
                if (strcmp(kmodel_driver(root, dev), driver) != 0)
                        return -ENODEV;
                unbind_from(root, dev, driver);
                return 0;
        }
        if (strcmp(attr, "bind") == 0) {
                if (kmodel_driver(root, dev)[0])
                        return -EBUSY;
                bind_to(root, dev, driver);
                return 0;
        }
        return 0;
}

int kmodel_write(const char *root, const char *path, const char *value)
{
        char dev[64], driver[64], rel[PATH_MAX];
        const char *attr;

        log_write(root, path, value);
        snprintf(dev, sizeof(dev), "%.*s", (int)strcspn(value, "\n"), value);
        if (strcmp(path, "/sys/bus/pci/drivers_probe") == 0)
                return probe(root, dev);
        if (driver_attr(path, driver, sizeof(driver), &attr))
                return driver_write(root, driver, attr, dev);
        if (strncmp(path, "/sys/bus/pci/devices/", 21) == 0 && strstr(path, "/driver_override") &&
            strcspn(value, "\n") == 0) {
                snprintf(rel, sizeof(rel), "%s", path + 1);
                write_small(root, rel, "(null)\n");
        }
        return 0;
}

void kmodel_install(void)
{
#ifdef VFH_TEST_BUILD
        sysfs_set_write_hook(kmodel_write);
#else
        /* The write hook exists only in test builds (VFH_SANITIZE); elsewhere nothing here can
         * be checked, so the executable says so and stops. */
        printf(
            "SKIP: the kernel model needs a VFH_TEST_BUILD (configure with -DVFH_SANITIZE=ON)\n");
        exit(0);
#endif
}

/* ---- fixture builders ---- */

void kmodel_add_driver(const char *root, const char *name, const char *ids)
{
        static const char *const attrs[] = {"bind", "unbind", "new_id", "remove_id"};
        char rel[PATH_MAX];

        for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
                snprintf(rel, sizeof(rel), BUS "/drivers/%s/%s", name, attrs[i]);
                test_write_file(root, rel, "%s", "");
        }
        if (ids) {
                snprintf(rel, sizeof(rel), BUS "/drivers/%s/kmodel_ids", name);
                test_write_file(root, rel, "%s\n", ids);
        }
        test_write_file(root, BUS "/drivers_probe", "%s", "");
        test_mkdir(root, "kmodel");
}

void kmodel_add_vfio(const char *root)
{
        kmodel_add_driver(root, "vfio-pci", NULL);
        test_mkdir(root, "sys/module/vfio_pci/holders");
        test_mkdir(root, "sys/module/vfio_pci_core/holders/vfio_pci");
        test_write_file(root, "dev/vfio/vfio", "%s", "");
}

static void device_path(const struct kdev *d, char *buf, size_t size)
{
        snprintf(buf, size, "sys/devices/%s/%s", d->parent ? d->parent : "pci0000:00", d->name);
}

void kmodel_add_device(const char *root, const struct kdev *d)
{
        unsigned char config[64] = {0};
        char dir[PATH_MAX], rel[PATH_MAX], target[PATH_MAX], path[PATH_MAX];
        FILE *f;

        device_path(d, dir, sizeof(dir));
        snprintf(rel, sizeof(rel), "%s/vendor", dir);
        test_write_file(root, rel, "0x%04x\n", d->vendor);
        snprintf(rel, sizeof(rel), "%s/device", dir);
        test_write_file(root, rel, "0x%04x\n", d->device);
        snprintf(rel, sizeof(rel), "%s/class", dir);
        test_write_file(root, rel, "0x%06x\n", d->class);
        snprintf(rel, sizeof(rel), "%s/driver_override", dir);
        test_write_file(root, rel, "(null)\n");
        snprintf(rel, sizeof(rel), "%s/numa_node", dir);
        test_write_file(root, rel, "-1\n");
        snprintf(rel, sizeof(rel), "%s/reset_method", dir);
        test_write_file(root, rel, "flr bus\n");
        config[0] = (unsigned char)d->vendor;
        config[1] = (unsigned char)(d->vendor >> 8);
        config[2] = (unsigned char)d->device;
        config[3] = (unsigned char)(d->device >> 8);
        config[0x09] = (unsigned char)d->class;
        config[0x0a] = (unsigned char)(d->class >> 8);
        config[0x0b] = (unsigned char)(d->class >> 16);
        config[0x0e] = d->header_type;
        snprintf(path, sizeof(path), "%s/%s/config", root, dir);
        f = fopen(path, "w");
        if (f) {
                fwrite(config, 1, sizeof(config), f);
                fclose(f);
        }
        /* Relative, like sysfs, so the bus link resolves on the host filesystem too. */
        snprintf(rel, sizeof(rel), BUS "/devices/%s", d->name);
        snprintf(target, sizeof(target), "../../../%s", dir + strlen("sys/"));
        test_symlink(root, rel, target);
        if (d->group >= 0) {
                snprintf(rel, sizeof(rel), "%s/iommu_group", dir);
                snprintf(target, sizeof(target), "/sys/kernel/iommu_groups/%d", d->group);
                test_symlink(root, rel, target);
                snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", d->group,
                         d->name);
                snprintf(target, sizeof(target), "/sys/bus/pci/devices/%s", d->name);
                test_symlink(root, rel, target);
        }
        if (d->driver)
                bind_to(root, d->name, d->driver);
}

void kmodel_add_netdev(const char *root, const struct kdev *d, const char *ifname)
{
        char dir[PATH_MAX], rel[PATH_MAX], target[PATH_MAX];

        device_path(d, dir, sizeof(dir));
        snprintf(rel, sizeof(rel), "%s/net/%s/ifindex", dir, ifname);
        test_write_file(root, rel, "7\n");
        snprintf(rel, sizeof(rel), "sys/class/net/%s", ifname);
        snprintf(target, sizeof(target), "/%s/net/%s", dir, ifname);
        test_symlink(root, rel, target);
}

void kmodel_add_disk(const char *root, const struct kdev *d, const char *disk, int major)
{
        char dir[PATH_MAX], rel[PATH_MAX], target[PATH_MAX];

        device_path(d, dir, sizeof(dir));
        snprintf(rel, sizeof(rel), "%s/host0/block/%s/dev", dir, disk);
        test_write_file(root, rel, "%d:0\n", major);
        snprintf(rel, sizeof(rel), "%s/host0/block/%s/%s1/dev", dir, disk, disk);
        test_write_file(root, rel, "%d:1\n", major);
        snprintf(rel, sizeof(rel), "%s/host0/block/%s/%s1/partition", dir, disk, disk);
        test_write_file(root, rel, "1\n");
        snprintf(rel, sizeof(rel), "%s/host0/block/%s/holders/.keep", dir, disk);
        test_write_file(root, rel, "%s", "");
        snprintf(rel, sizeof(rel), "sys/block/%s", disk);
        snprintf(target, sizeof(target), "../%s/host0/block/%s", dir + strlen("sys/"), disk);
        test_symlink(root, rel, target);
}

void kmodel_hang_unbind(const char *root, const char *dev)
{
        test_write_file(root, "kmodel/hang-unbind", "%s\n", dev);
}

void kmodel_release_hang(const char *root)
{
        char path[PATH_MAX];

        join(path, sizeof(path), root, "kmodel/hang-unbind");
        unlink(path);
}

char *kmodel_log(const char *root)
{
        char path[PATH_MAX];
        char *buf = calloc(1, 65536);
        FILE *f;

        join(path, sizeof(path), root, "kmodel/log");
        f = fopen(path, "r");
        if (f && buf) {
                size_t n = fread(buf, 1, 65535, f);
                buf[n] = '\0';
        }
        if (f)
                fclose(f);
        return buf;
}
