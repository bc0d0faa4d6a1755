/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reads below a directory opened once give what the path-based reads give, and stay below the
 * sysroot whatever the links say.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "support.h"

#define DEVDIR "sys/devices/pci0000:00/0000:01:00.0"
#define DEV    "/sys/bus/pci/devices/0000:01:00.0"

/* A device reached through the bus link, as sysfs lays it out, with links of every kind. */
static const char *fixture(void)
{
        const char *root = test_tmpdir();

        test_write_file(root, DEVDIR "/vendor", "0x8086\n");
        test_write_file(root, DEVDIR "/class", "0x020000\n");
        test_write_file(root, DEVDIR "/bogus", "nope\n");
        test_write_file(root, DEVDIR "/virtio0/net/eth0/ifindex", "2\n");
        test_mkdir(root, "sys/bus/pci/drivers/igb");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0",
                     "../../../devices/pci0000:00/0000:01:00.0");
        test_symlink(root, DEVDIR "/driver", "../../../bus/pci/drivers/igb");
        test_symlink(root, DEVDIR "/iommu_group", "/sys/kernel/iommu_groups/7");
        /* On the host /etc/hostname exists; inside the sysroot each of these must reach ours. */
        test_write_file(root, "etc/hostname", "fixture\n");
        test_symlink(root, DEVDIR "/absolute", "/etc/hostname");
        test_symlink(root, DEVDIR "/up", "../../../../etc/hostname");
        test_symlink(root, DEVDIR "/far_up", "../../../../../../../../../../etc/hostname");
        test_symlink(root, DEVDIR "/inside", "vendor");
        test_symlink(root, DEVDIR "/dangling", "/nowhere");
        return root;
}

TEST(reads_below_a_device_and_counts_each_once)
{
        _cleanup_sysfs_dir_ struct sysfs_dir dir = {.fd = -1};
        vfh_ctx *ctx = test_ctx_at(fixture());
        unsigned long v = 0;
        char buf[64];
        DIR *listing = NULL;

        CHECK_INT(sysfs_dir_open(ctx, &dir, "/sys/bus/pci/devices/%s", "0000:01:00.0"), 0);
        CHECK_STR(dir.path, DEV);
        CHECK_INT(ctx->counters.sysfs_reads, 1);
        CHECK_INT(sysfs_read_at(ctx, &dir, "vendor", buf, sizeof(buf)), 6);
        CHECK_STR(buf, "0x8086");
        CHECK_INT(sysfs_read_ulong_at(ctx, &dir, "class", &v), 0);
        CHECK_INT(v, 0x020000);
        CHECK_INT(sysfs_read_ulong_at(ctx, &dir, "bogus", &v), -EBADMSG);
        CHECK_INT(sysfs_link_name_at(ctx, &dir, "driver", buf, sizeof(buf)), 3);
        CHECK_STR(buf, "igb");
        CHECK_INT(sysfs_readlink_at(ctx, &dir, "iommu_group", buf, sizeof(buf)), 26);
        CHECK_STR(buf, "/sys/kernel/iommu_groups/7");
        CHECK_INT(sysfs_opendir_at(ctx, &dir, "virtio0/net", &listing), 0);
        if (listing)
                closedir(listing);
        CHECK_INT(ctx->counters.sysfs_reads, 7);
        CHECK_INT(sysfs_read_at(ctx, &dir, "missing", buf, sizeof(buf)), -ENOENT);
        CHECK_INT(sysfs_read_at(ctx, &dir, "vendor", buf, 0), -EINVAL);
        vfh_ctx_unref(ctx);
}

TEST(links_out_of_the_directory_stay_inside_the_sysroot)
{
        static const char *const names[] = {"absolute", "up", "far_up"};
        _cleanup_sysfs_dir_ struct sysfs_dir dir = {.fd = -1};
        vfh_ctx *ctx = test_ctx_at(fixture());
        char buf[64];

        CHECK_INT(sysfs_dir_open(ctx, &dir, DEV), 0);
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                buf[0] = '\0';
                CHECK_INT(sysfs_read_at(ctx, &dir, names[i], buf, sizeof(buf)), 7);
                CHECK_STR(buf, "fixture");
        }
        CHECK_INT(sysfs_read_at(ctx, &dir, "inside", buf, sizeof(buf)), 6);
        CHECK_STR(buf, "0x8086");
        CHECK_INT(sysfs_read_at(ctx, &dir, "dangling", buf, sizeof(buf)), -ENOENT);
        vfh_ctx_unref(ctx);
}

/* Every name, read both ways: the same result and the same text. */
TEST(same_results_as_the_path_based_reads)
{
        static const char *const names[] = {
            "vendor", "class",  "bogus",    "driver",  "iommu_group", "absolute", "up",
            "far_up", "inside", "dangling", "virtio0", "missing",     ".",        ".."};
        _cleanup_sysfs_dir_ struct sysfs_dir dir = {.fd = -1};
        vfh_ctx *ctx = test_ctx_at(fixture());

        CHECK_INT(sysfs_dir_open(ctx, &dir, DEV), 0);
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                char by_path[PATH_MAX] = "", below[PATH_MAX] = "";
                unsigned long v_path = 1, v_below = 2;
                int fd_path, fd_below;

                CHECK_INT(sysfs_read_at(ctx, &dir, names[i], below, sizeof(below)),
                          sysfs_read(ctx, by_path, sizeof(by_path), DEV "/%s", names[i]));
                CHECK_STR(below, by_path);
                CHECK_INT(sysfs_readlink_at(ctx, &dir, names[i], below, sizeof(below)),
                          sysfs_readlink(ctx, by_path, sizeof(by_path), DEV "/%s", names[i]));
                CHECK_STR(below, by_path);
                CHECK_INT(sysfs_link_name_at(ctx, &dir, names[i], below, sizeof(below)),
                          sysfs_link_name(ctx, by_path, sizeof(by_path), DEV "/%s", names[i]));
                CHECK_STR(below, by_path);
                CHECK_INT(sysfs_read_ulong_at(ctx, &dir, names[i], &v_below),
                          sysfs_read_ulong(ctx, &v_path, DEV "/%s", names[i]));
                fd_below = sysfs_open_at(ctx, &dir, names[i], O_PATH);
                fd_path = sysfs_open(ctx, O_PATH, DEV "/%s", names[i]);
                CHECK_INT(fd_below < 0 ? fd_below : 0, fd_path < 0 ? fd_path : 0);
                if (fd_below >= 0)
                        close(fd_below);
                if (fd_path >= 0)
                        close(fd_path);
        }
        vfh_ctx_unref(ctx);
}

TEST(one_component_links_and_missing_directories)
{
        _cleanup_sysfs_dir_ struct sysfs_dir dir = {.fd = -1}, missing = {.fd = -1};
        vfh_ctx *ctx = test_ctx_at(fixture());
        char buf[64];

        CHECK_INT(sysfs_dir_open(ctx, &dir, "/sys/devices/pci0000:00"), 0);
        CHECK_INT(sysfs_readlink_at(ctx, &dir, "0000:01:00.0/driver", buf, sizeof(buf)), -EINVAL);
        CHECK_INT(sysfs_readlink_at(ctx, &dir, "", buf, sizeof(buf)), -EINVAL);
        CHECK_INT(sysfs_dir_open(ctx, &missing, "/sys/bus/pci/devices/0000:09:00.0"), -ENOENT);
        CHECK_INT(missing.fd, -1);
        CHECK_INT(sysfs_dir_open(ctx, &missing, DEV "/vendor"), -ENOTDIR);
        CHECK_INT(sysfs_dir_open(ctx, &missing, "sys/bus"), -EINVAL);
        CHECK_INT(sysfs_read_at(ctx, &missing, "vendor", buf, sizeof(buf)), -EBADF);
        vfh_ctx_unref(ctx);
}

struct seen {
        char names[512];
        int calls;
        int stop_after; /* 0: never */
};

static int note(const char *name, unsigned char type, void *data)
{
        struct seen *seen = data;

        (void)type;
        strcat(seen->names, name);
        strcat(seen->names, " ");
        seen->calls++;
        return seen->calls == seen->stop_after ? 1 : 0;
}

static int fail(const char *name, unsigned char type, void *data)
{
        (void)name, (void)type, (void)data;
        return -ENOMEM;
}

/* The listing gives what readdir gives (without "." and ".."), again on a second pass. */
TEST(each_entry_of_the_directory_itself)
{
        _cleanup_sysfs_dir_ struct sysfs_dir dir = {.fd = -1};
        vfh_ctx *ctx = test_ctx_at(fixture());
        struct seen first = {0}, again = {0}, stopped = {.stop_after = 2};
        DIR *listing = NULL;
        struct dirent *de;
        int entries = 0;

        CHECK_INT(sysfs_dir_open(ctx, &dir, DEV), 0);
        CHECK(dir.listable);
        CHECK_INT(sysfs_dir_each(ctx, &dir, note, &first), 0);
        CHECK_INT(sysfs_dir_each(ctx, &dir, note, &again), 0);
        CHECK_STR(again.names, first.names);
        CHECK_INT(sysfs_opendir(ctx, &listing, DEV), 0);
        while (listing && (de = readdir(listing))) {
                char word[300];

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(word, sizeof(word), "%s ", de->d_name);
                CHECK_CONTAINS(first.names, word);
                entries++;
        }
        if (listing)
                closedir(listing);
        CHECK_INT(first.calls, entries);
        CHECK_INT(entries, 11);
        CHECK_INT(sysfs_dir_each(ctx, &dir, note, &stopped), 0);
        CHECK_INT(stopped.calls, 2);
        CHECK_INT(sysfs_dir_each(ctx, &dir, fail, NULL), -ENOMEM);
        vfh_ctx_unref(ctx);
}

/* A directory below, listed without a DIR: the entries readdir gives, counted as one read, and
 * resolved as every other name below (a link out of the directory stays in the sysroot). */
TEST(each_entry_of_a_directory_below)
{
        _cleanup_sysfs_dir_ struct sysfs_dir dir = {.fd = -1};
        const char *root = fixture();
        vfh_ctx *ctx = test_ctx_at(root);
        struct seen net = {0}, up = {0}, stopped = {.stop_after = 1};
        unsigned long before;

        test_write_file(root, "etc/net/lo/ifindex", "1\n");
        test_write_file(root, "etc/net/eth9/ifindex", "3\n");
        test_symlink(root, DEVDIR "/elsewhere", "/etc/net");
        CHECK_INT(sysfs_dir_open(ctx, &dir, DEV), 0);
        before = ctx->counters.sysfs_reads;
        CHECK_INT(sysfs_dir_each_at(ctx, &dir, "virtio0/net", note, &net), 0);
        CHECK_INT(ctx->counters.sysfs_reads - before, 1);
        CHECK_STR(net.names, "eth0 ");
        CHECK_INT(sysfs_dir_each_at(ctx, &dir, "elsewhere", note, &up), 0);
        CHECK_INT(up.calls, 2);
        CHECK_CONTAINS(up.names, "lo ");
        CHECK_CONTAINS(up.names, "eth9 ");
        CHECK_INT(sysfs_dir_each_at(ctx, &dir, "elsewhere", note, &stopped), 0);
        CHECK_INT(stopped.calls, 1);
        CHECK_INT(sysfs_dir_each_at(ctx, &dir, "elsewhere", fail, NULL), -ENOMEM);
        CHECK_INT(sysfs_dir_each_at(ctx, &dir, "missing", note, &net), -ENOENT);
        CHECK_INT(sysfs_dir_each_at(ctx, &dir, "vendor", note, &net), -ENOTDIR);
        CHECK_INT(sysfs_dir_each_at(ctx, &dir, "dangling", note, &net), -ENOENT);
        CHECK_INT(net.calls, 1);
        vfh_ctx_unref(ctx);
}

static bool fd_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

static int count_open_fds(void)
{
        int n = 0;

        for (int fd = 0; fd < 256; fd++)
                n += fd_open(fd);
        return n;
}

/* The fds of reads and listings below a directory close with it (one close_range for all), a
 * bounded number of them; an fd of someone else's between them is never closed by it. */
TEST(fds_read_below_close_with_the_directory_and_no_other)
{
        struct sysfs_dir dir = {.fd = -1};
        vfh_ctx *ctx = test_ctx_at(fixture());
        int before = count_open_fds(), others;
        struct seen net = {0};
        bool room;
        char buf[64];

        CHECK_INT(sysfs_dir_open(ctx, &dir, DEV), 0);
        /* Only a run of free numbers after the directory's own can be held. */
        room = !fd_open(dir.fd + 1) && !fd_open(dir.fd + 2);
        CHECK_INT(sysfs_read_at(ctx, &dir, "vendor", buf, sizeof(buf)), 6);
        CHECK_INT(sysfs_dir_each_at(ctx, &dir, "virtio0/net", note, &net), 0);
        if (room)
                CHECK_INT(count_open_fds(), before + 3);
        others = open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(others >= 0);
        /* Past someone else's fd, nothing more is held. */
        CHECK_INT(sysfs_read_at(ctx, &dir, "vendor", buf, sizeof(buf)), 6);
        if (room)
                CHECK_INT(count_open_fds(), before + 4);
        sysfs_dir_close(&dir);
        CHECK_INT(dir.fd, -1);
        CHECK(fd_open(others));
        CHECK_INT(count_open_fds(), before + 1);
        close(others);
        CHECK_INT(sysfs_dir_open(ctx, &dir, DEV), 0);
        for (int i = 0; i < 40; i++)
                CHECK_INT(sysfs_read_at(ctx, &dir, "vendor", buf, sizeof(buf)), 6);
        CHECK(count_open_fds() <= before + 1 + 16);
        sysfs_dir_close(&dir);
        CHECK_INT(count_open_fds(), before);
        /* Without a directory of its own to close with, an fd is closed at once. */
        sysfs_dir_adopt(&dir, open("/dev/null", O_RDONLY | O_CLOEXEC));
        CHECK_INT(count_open_fds(), before);
        sysfs_dir_close(&dir);
        CHECK_INT(count_open_fds(), before);
        vfh_ctx_unref(ctx);
}

static int count_entry(const char *name, unsigned char type, void *data)
{
        (void)name;
        (void)type;
        ++*(int *)data;
        return 0;
}

/* In a sysroot under base, a directory of 300 entries with long names (several getdents
 * batches) and one of 2 (one short batch) are listed whole, by themselves and as directories
 * below another, whether or not a short batch ends a listing on that filesystem. */
static void check_listings_whole(const char *base)
{
        const char *saved = getenv("TMPDIR");
        char *keep = saved ? strdup(saved) : NULL;
        struct sysfs_dir dir = {.fd = -1};
        int big = 0, small = 0, big_below = 0;
        const char *root;
        vfh_ctx *ctx;

        setenv("TMPDIR", base, 1);
        root = test_tmpdir();
        if (keep)
                setenv("TMPDIR", keep, 1);
        else
                unsetenv("TMPDIR");
        free(keep);
        for (int i = 0; i < 300; i++) {
                char rel[128];

                snprintf(rel, sizeof(rel), "sys/big/an_attribute_with_a_rather_long_name_%03d", i);
                test_write_file(root, rel, "%d\n", i);
        }
        test_write_file(root, "sys/small/a", "1\n");
        test_write_file(root, "sys/small/b", "2\n");
        ctx = test_ctx_at(root);
        CHECK_INT(sysfs_dir_open(ctx, &dir, "/sys/big"), 0);
        CHECK_INT(sysfs_dir_each(ctx, &dir, count_entry, &big), 0);
        sysfs_dir_close(&dir);
        CHECK_INT(big, 300);
        CHECK_INT(sysfs_dir_open(ctx, &dir, "/sys/small"), 0);
        CHECK_INT(sysfs_dir_each(ctx, &dir, count_entry, &small), 0);
        sysfs_dir_close(&dir);
        CHECK_INT(small, 2);
        CHECK_INT(sysfs_dir_open(ctx, &dir, "/sys"), 0);
        CHECK_INT(sysfs_dir_each_at(ctx, &dir, "big", count_entry, &big_below), 0);
        sysfs_dir_close(&dir);
        CHECK_INT(big_below, 300);
        vfh_ctx_unref(ctx);
}

/* tmpfs ends a listing at its first short batch, the default scratch directory's filesystem
 * (ext4 here) at the empty one. */
TEST(listings_are_whole_on_tmpfs_and_elsewhere)
{
        if (access("/dev/shm", W_OK) == 0)
                check_listings_whole("/dev/shm");
        check_listings_whole(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
}
