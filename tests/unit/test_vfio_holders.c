/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds /dev/vfio/N: one group's holders and every group's from one pass over /proc. */
#include <errno.h>

#include "group.h"
#include "support.h"

/* Process 300 holds groups 4 and 9 (9 twice) and the container; 301 holds 4; 302 holds none. */
static const char *rig(void)
{
        const char *root = test_tmpdir();

        test_write_file(root, "proc/300/comm", "qemu-system-x86\n");
        test_symlink(root, "proc/300/fd/0", "/dev/null");
        test_symlink(root, "proc/300/fd/5", "/dev/vfio/vfio");
        test_symlink(root, "proc/300/fd/6", "/dev/vfio/9");
        test_symlink(root, "proc/300/fd/7", "/dev/vfio/4");
        test_symlink(root, "proc/300/fd/8", "/dev/vfio/9");
        test_write_file(root, "proc/301/comm", "other-vmm\n");
        test_symlink(root, "proc/301/fd/3", "/dev/vfio/4");
        test_write_file(root, "proc/302/comm", "bash\n");
        test_symlink(root, "proc/302/fd/0", "/dev/vfio/40x");
        test_write_file(root, "proc/self/comm", "not-a-pid\n");
        test_symlink(root, "proc/self/fd/0", "/dev/vfio/4");
        return root;
}

static size_t count(const struct vfio_holder *h, size_t n, pid_t pid, int group)
{
        size_t found = 0;

        for (size_t i = 0; i < n; i++)
                if (h[i].pid == pid && h[i].group == group)
                        found++;
        return found;
}

TEST(one_group_lists_each_process_once)
{
        vfh_ctx *ctx = test_ctx_at(rig());
        struct vfio_holder *h = NULL;
        size_t n = 0;

        CHECK_INT(group_vfio_holders(ctx, 9, &h, &n), 0);
        CHECK_INT(n, 1);
        CHECK_INT(count(h, n, 300, 9), 1);
        if (n == 1)
                CHECK_STR(h[0].comm, "qemu-system-x86");
        free(h);
        CHECK_INT(group_vfio_holders(ctx, 4, &h, &n), 0);
        CHECK_INT(n, 2);
        CHECK_INT(count(h, n, 300, 4) + count(h, n, 301, 4), 2);
        free(h);
        vfh_ctx_unref(ctx);
}

TEST(all_groups_from_one_pass)
{
        vfh_ctx *ctx = test_ctx_at(rig());
        struct vfio_holder *h = NULL;
        size_t n = 0;

        CHECK_INT(group_vfio_holders_all(ctx, &h, &n), 0);
        CHECK_INT(n, 3);
        CHECK_INT(count(h, n, 300, 9), 1);
        CHECK_INT(count(h, n, 300, 4), 1);
        CHECK_INT(count(h, n, 301, 4), 1);
        free(h);
        vfh_ctx_unref(ctx);
}

TEST(no_proc_means_no_holders)
{
        vfh_ctx *ctx = test_ctx_at(test_tmpdir());
        struct vfio_holder *h = NULL;
        size_t n = 7;

        CHECK_INT(group_vfio_holders_all(ctx, &h, &n), 0);
        CHECK_INT(n, 0);
        CHECK(h == NULL);
        CHECK_INT(group_vfio_holders(ctx, -1, &h, &n), 0);
        CHECK_INT(n, 0);
        vfh_ctx_unref(ctx);
}
