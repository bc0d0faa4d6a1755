/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysroot seam reads and writes only below the sysroot, whatever the paths and links say. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "internal.h"
#include "support.h"

TEST(read_strips_newline_and_counts)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx;
        char buf[32];

        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/vendor", "0x8086\n");
        ctx = test_ctx_at(root);
        CHECK_INT(
            sysfs_read(ctx, buf, sizeof(buf), "/sys/bus/pci/devices/%s/vendor", "0000:01:00.0"), 6);
        CHECK_STR(buf, "0x8086");
        CHECK_INT(ctx->counters.sysfs_reads, 1);
        vfh_ctx_unref(ctx);
}

TEST(read_ulong_parses_base_zero)
{
        const char *root = test_tmpdir();
        unsigned long v = 0;
        vfh_ctx *ctx;

        test_write_file(root, "sys/a", "0x0604\n");
        test_write_file(root, "sys/b", "12\n");
        test_write_file(root, "sys/c", "bogus\n");
        ctx = test_ctx_at(root);
        CHECK_INT(sysfs_read_ulong(ctx, &v, "/sys/a"), 0);
        CHECK_INT(v, 0x604);
        CHECK_INT(sysfs_read_ulong(ctx, &v, "/sys/b"), 0);
        CHECK_INT(v, 12);
        CHECK_INT(sysfs_read_ulong(ctx, &v, "/sys/c"), -EBADMSG);
        vfh_ctx_unref(ctx);
}

TEST(absolute_symlink_stays_inside_sysroot)
{
        const char *root = test_tmpdir();
        char buf[64];
        vfh_ctx *ctx;

        /* On the host /etc/hostname exists; inside the sysroot the link must resolve to ours. */
        test_write_file(root, "etc/hostname", "fixture\n");
        test_symlink(root, "sys/link", "/etc/hostname");
        ctx = test_ctx_at(root);
        CHECK_INT(sysfs_read(ctx, buf, sizeof(buf), "/sys/link"), 7);
        CHECK_STR(buf, "fixture");
        vfh_ctx_unref(ctx);
}

TEST(link_name_and_exists)
{
        const char *root = test_tmpdir();
        char buf[64];
        vfh_ctx *ctx;

        test_mkdir(root, "sys/bus/pci/drivers/igb");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0/driver",
                     "../../../bus/pci/drivers/igb");
        ctx = test_ctx_at(root);
        CHECK_INT(
            sysfs_link_name(ctx, buf, sizeof(buf), "/sys/bus/pci/devices/0000:01:00.0/driver"), 3);
        CHECK_STR(buf, "igb");
        CHECK(sysfs_exists(ctx, "/sys/bus/pci/drivers/igb"));
        CHECK(!sysfs_exists(ctx, "/sys/bus/pci/drivers/vfio-pci"));
        CHECK_INT(sysfs_read(ctx, buf, sizeof(buf), "/sys/none"), -ENOENT);
        vfh_ctx_unref(ctx);
}

TEST(write_and_relative_path_refused)
{
        const char *root = test_tmpdir();
        char buf[64];
        vfh_ctx *ctx;

        test_write_file(root, "sys/driver_override", "\n");
        ctx = test_ctx_at(root);
        CHECK_INT(sysfs_write(ctx, "vfio-pci", "/sys/driver_override"), 0);
        CHECK_INT(sysfs_read(ctx, buf, sizeof(buf), "/sys/driver_override"), 8);
        CHECK_STR(buf, "vfio-pci");
        CHECK_INT(sysfs_write(ctx, "x", "sys/driver_override"), -EINVAL);
        CHECK_INT(ctx->counters.sysfs_writes, 1);
        vfh_ctx_unref(ctx);
}

TEST(errors_are_kept_and_logged)
{
        vfh_ctx *ctx = NULL;

        CHECK_INT(vfh_ctx_new(&ctx), 0);
        CHECK_STR(vfh_ctx_last_error(ctx), "");
        CHECK_INT(vfh_ctx_set_sysroot(ctx, "/nonexistent/vfh"), -ENOENT);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "sysroot /nonexistent/vfh");
        CHECK_STR(vfh_ctx_get_sysroot(ctx), "/");
        CHECK_INT(vfh_ctx_set_run_dir(ctx, "relative"), -EINVAL);
        CHECK_STR(vfh_ctx_get_run_dir(ctx), "/run/vfiohook");
        vfh_ctx_unref(ctx);
}
