/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysroot seam reads and writes only below the sysroot, whatever the paths and links say. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Writers are grandchildren that belong to init; as a subreaper the test sees them instead. */
static int count_children(void)
{
        char path[64], buf[4096];
        int n = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
        f = fopen(path, "re");
        if (!f)
                abort();
        if (fgets(buf, sizeof(buf), f))
                for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n"))
                        n++;
        fclose(f);
        return n;
}

/* Reaps the exited writers; fails the test if any is still running after 10 s. */
static int reap_children(void)
{
        int reaped = 0;

        for (int i = 0; i < 1000 && count_children() > 0; i++) {
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        reaped++;
                usleep(10000);
        }
        return count_children() == 0 ? reaped : -1;
}

TEST(deadline_writes_share_one_writer_that_keeps_no_caller_fd)
{
        const char *root = test_tmpdir();
        int out[2], drained;
        char buf[16], byte;
        vfh_ctx *ctx;

        CHECK_INT(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        CHECK_INT(reap_children() >= 0, 1);
        /* Stands for the pipe libvirtd reads a hook's output from: it must see EOF when the
         * hook is done, whatever the writer does. */
        CHECK_INT(pipe2(out, O_NONBLOCK), 0); /* a writer holding it fails, not hangs */
        test_write_file(root, "sys/unbind", "\n");
        ctx = test_ctx_at(root);
        for (int i = 0; i < 5; i++)
                CHECK_INT(sysfs_write_deadline(ctx, 20000, "0000:01:00.0", "/sys/unbind"), 0);
        CHECK_INT(sysfs_read(ctx, buf, sizeof(buf), "/sys/unbind"), 12);
        CHECK_INT(ctx->counters.sysfs_writes, 5);
        CHECK_INT(count_children(), 1);
        close(out[1]);
        CHECK_INT(read(out[0], &byte, 1), 0);
        close(out[0]);
        vfh_ctx_unref(ctx); /* the writer exits when its context goes */
        drained = reap_children();
        CHECK_INT(drained, 1);
}

TEST(writer_that_misses_its_deadline_is_replaced)
{
        const char *root = test_tmpdir();
        char fifo[PATH_MAX], buf[16];
        vfh_ctx *ctx;
        int fd;

        CHECK_INT(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        CHECK_INT(reap_children() >= 0, 1);
        /* Opening a FIFO for writing blocks until a reader comes: a store stuck in a driver. */
        test_mkdir(root, "sys");
        snprintf(fifo, sizeof(fifo), "%s/sys/stuck", root);
        CHECK_INT(mkfifo(fifo, 0600), 0);
        test_write_file(root, "sys/unbind", "\n");
        ctx = test_ctx_at(root);
        CHECK_INT(sysfs_write_deadline(ctx, 200, "1", "/sys/stuck"), -ETIMEDOUT);
        CHECK_INT(sysfs_write_deadline(ctx, 20000, "0000:01:00.0", "/sys/unbind"), 0);
        CHECK_INT(sysfs_read(ctx, buf, sizeof(buf), "/sys/unbind"), 12);
        CHECK_INT(count_children(), 2); /* the stuck one and its successor */
        /* The driver lets go: the abandoned writer finishes its store and exits. */
        fd = open(fifo, O_RDONLY | O_NONBLOCK);
        CHECK(fd >= 0);
        vfh_ctx_unref(ctx);
        CHECK_INT(reap_children(), 2);
        close(fd);
}

static volatile int renaming;

static void *rename_loop(void *dir)
{
        char a[PATH_MAX], b[PATH_MAX];

        snprintf(a, sizeof(a), "%s/a", (const char *)dir);
        snprintf(b, sizeof(b), "%s/b", (const char *)dir);
        test_write_file(dir, "a", "x");
        while (renaming) {
                rename(a, b);
                rename(b, a);
        }
        return NULL;
}

/* openat2's ".." walks under a sysroot give up with EAGAIN when any rename anywhere races with
 * them (parallel tests write journals by rename): 8 % of these reads failed before the retry. */
TEST(reads_through_dotdot_links_survive_renames_elsewhere)
{
        const char *root = test_tmpdir(), *other = test_tmpdir();
        pthread_t thread;
        vfh_ctx *ctx;
        char buf[16];
        int failed = 0;

        test_write_file(root, "sys/devices/pci0000:00/0000:01:00.0/vendor", "0x8086\n");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0",
                     "../../../devices/pci0000:00/0000:01:00.0");
        ctx = test_ctx_at(root);
        renaming = 1;
        CHECK_INT(pthread_create(&thread, NULL, rename_loop, (void *)other), 0);
        for (int i = 0; i < 20000; i++)
                failed += sysfs_read(ctx, buf, sizeof(buf),
                                     "/sys/bus/pci/devices/0000:01:00.0/vendor") != 6;
        renaming = 0;
        pthread_join(thread, NULL);
        CHECK_INT(failed, 0);
        vfh_ctx_unref(ctx);
}
