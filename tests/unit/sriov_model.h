/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A model of drivers/pci/iov.c's sriov_numvfs_store on top of kmodel, for test_sriov and
 * test_pool: PF 0000:01:00.0 ("eth1", igb, at most 7 VFs); a PF with VFs takes only 0 or its
 * current count (-EBUSY otherwise); VFs appear as devices 0000:01:10.N with virtfnN/physfn
 * links, bound to igbvf; ROOT/fail ("4 12") makes the write of 4 fail with that errno; every
 * write is logged to ROOT/numvfs.log. The writes run in sysfs_write_deadline's grandchild,
 * so the model keeps all its state on disk.
 */
#pragma once

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "internal.h"
#include "kmodel.h"
#include "support.h"

#ifdef VFH_TEST_BUILD

#define PF     "0000:01:00.0"
#define PF_DIR "sys/devices/pci0000:00/0000:00:01.0/" PF

static inline void vf_name(unsigned int i, char *buf, size_t size)
{
        snprintf(buf, size, "0000:01:10.%u", i);
}

static inline unsigned int count_vfs(const char *root)
{
        char path[PATH_MAX];
        unsigned int n = 0;

        for (;; n++) {
                snprintf(path, sizeof(path), "%s/" PF_DIR "/virtfn%u", root, n);
                if (access(path, F_OK) != 0)
                        return n;
        }
}

static inline void add_vf(const char *root, unsigned int i)
{
        char name[PCI_ADDR_STRLEN], rel[PATH_MAX], target[64];
        struct kdev vf = {.parent = "pci0000:00/0000:00:01.0",
                          .vendor = 0x8086,
                          .device = 0x10ca,
                          .class = 0x020000,
                          .group = 20 + (int)i,
                          .driver = "igbvf"};

        vf_name(i, name, sizeof(name));
        vf.name = name;
        kmodel_add_device(root, &vf);
        snprintf(rel, sizeof(rel), PF_DIR "/virtfn%u", i);
        snprintf(target, sizeof(target), "../%s", name);
        test_symlink(root, rel, target);
        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/0000:00:01.0/%s/physfn", name);
        test_symlink(root, rel, "../" PF);
}

static inline void remove_vf(const char *root, unsigned int i)
{
        char path[PATH_MAX], name[PCI_ADDR_STRLEN];

        vf_name(i, name, sizeof(name));
        snprintf(path, sizeof(path), "%s/" PF_DIR "/virtfn%u", root, i);
        unlink(path);
        snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s", root, name);
        unlink(path);
        snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/igbvf/%s", root, name);
        unlink(path);
}

static inline void log_write(const char *root, const char *value)
{
        char path[PATH_MAX];
        FILE *f;

        snprintf(path, sizeof(path), "%s/numvfs.log", root);
        f = fopen(path, "a");
        if (f) {
                fprintf(f, "%s ", value);
                fclose(f);
        }
}

/* The errno the driver answers for a write of this value, from ROOT/fail ("4 5" = EIO on 4). */
static inline int injected(const char *root, unsigned int want)
{
        char path[PATH_MAX];
        unsigned int value;
        int err = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/fail", root);
        f = fopen(path, "r");
        if (!f)
                return 0;
        if (fscanf(f, "%u %d", &value, &err) != 2 || value != want)
                err = 0;
        fclose(f);
        return err;
}

static inline int sriov_model(const char *root, const char *path, const char *value)
{
        unsigned int cur = count_vfs(root), want = (unsigned int)strtoul(value, NULL, 10);
        int err = injected(root, want);
        size_t len = strlen(path);

        if (len < 13 || strcmp(path + len - 13, "/sriov_numvfs") != 0)
                return kmodel_write(root, path, value);
        log_write(root, value);
        if (!err && cur && want && want != cur)
                err = EBUSY;
        if (!err && want > 7)
                err = ERANGE;
        if (err) {
                test_write_file(root, PF_DIR "/sriov_numvfs", "%u\n", cur);
                return -err;
        }
        for (unsigned int i = 0; i < cur; i++)
                remove_vf(root, i);
        for (unsigned int i = 0; i < want; i++)
                add_vf(root, i);
        return 0;
}

static inline vfh_ctx *model_setup(const char **rootp)
{
        const char *root = test_tmpdir();
        struct kdev pf = {.name = PF,
                          .parent = "pci0000:00/0000:00:01.0",
                          .vendor = 0x8086,
                          .device = 0x10c9,
                          .class = 0x020000,
                          .group = 10,
                          .driver = "igb"};
        vfh_ctx *ctx = NULL;

        kmodel_add_driver(root, "igb", "8086:10c9");
        kmodel_add_driver(root, "igbvf", "8086:10ca");
        kmodel_add_vfio(root);
        kmodel_add_device(root, &pf);
        kmodel_add_netdev(root, &pf, "eth1");
        test_symlink(root, PF_DIR "/net/eth1/device", "../../../" PF);
        test_write_file(root, PF_DIR "/sriov_totalvfs", "7\n");
        test_write_file(root, PF_DIR "/sriov_numvfs", "0\n");
        sysfs_set_write_hook(sriov_model);
        test_mkdir(root, "run");
        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, root) < 0 ||
            vfh_ctx_set_run_dir(ctx, "/run/vfiohook") < 0)
                abort();
        *rootp = root;
        return ctx;
}

/* The writes logged since the last call ("0 4 "), then the log is emptied. */
static inline char *model_log(const char *root)
{
        static char buf[256];
        char path[PATH_MAX];
        FILE *f;
        size_t n = 0;

        snprintf(path, sizeof(path), "%s/numvfs.log", root);
        f = fopen(path, "r");
        if (f) {
                n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
        }
        buf[n] = '\0';
        if (f)
                unlink(path);
        return buf;
}

#endif
