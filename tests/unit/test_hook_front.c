/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qemu hook's front (hooks/front/qemu.c), built here with a worker path that does not
 * exist: started and stopped never need the worker, read all of stdin and stay silent; every
 * other operation needs it, and without it prepare and start refuse the guest with one line
 * while release and the rest only report. That the front hands argv and stdin to the worker
 * unchanged is tested through it in test_hook_qemu.c (the build tree's vfiohook-qemu-hook is
 * the front).
 */
#include <limits.h>
#include <sys/wait.h>

#include "macro.h"
#include "support.h"

static const char *dir;

/* Pipes SIZE bytes into the front with argv "g OP begin -"; returns its exit status and
 * stores the writer's (a front that left stdin unread makes it die of SIGPIPE: 141). */
static int front(const char *op, size_t size, int *writer_status)
{
        const char *build = getenv("VFH_BUILD_DIR");
        char cmd[PATH_MAX * 4], path[PATH_MAX];
        int status;
        FILE *f;

        snprintf(cmd, sizeof(cmd),
                 "(head -c %zu /dev/zero; echo $? >%s/writer) | "
                 "%s/vfiohook-qemu-hook-noworker g %s begin - >%s/out 2>%s/err",
                 size, dir, build ? build : ".", op, dir, dir);
        status = system(cmd);
        snprintf(path, sizeof(path), "%s/writer", dir);
        f = fopen(path, "r");
        if (!f || fscanf(f, "%d", writer_status) != 1)
                *writer_status = -1;
        if (f)
                fclose(f);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *name)
{
        char path[PATH_MAX], *buf = calloc(1, 4096);
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "r");
        if (f) {
                if (fread(buf, 1, 4095, f) == 0)
                        buf[0] = '\0';
                fclose(f);
        }
        return buf;
}

TEST(started_and_stopped_need_no_worker_and_read_all_of_stdin)
{
        const char *ops[] = {"started", "stopped"};
        int writer;

        dir = test_tmpdir();
        for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
                char *out, *err;

                /* more than a pipe holds, so a front that did not read would break the writer */
                CHECK_INT(front(ops[k], 1024 * 1024, &writer), 0);
                CHECK_INT(writer, 0);
                out = slurp("out");
                err = slurp("err");
                CHECK_STR(out, "");
                CHECK_STR(err, "");
                free(out);
                free(err);
        }
}

TEST(without_its_worker_prepare_and_start_refuse_the_guest_in_one_line)
{
        const char *ops[] = {"prepare", "start"};
        int writer;

        dir = test_tmpdir();
        for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
                char *err;
                size_t len;

                CHECK_INT(front(ops[k], 256 * 1024, &writer), 1);
                CHECK_INT(writer, 0);
                err = slurp("err");
                len = strlen(err);
                CHECK_CONTAINS(err, "vfiohook: g: ");
                CHECK_CONTAINS(err, ops[k]);
                CHECK_CONTAINS(err, "cannot run /nonexistent/vfiohook/qemu-hook");
                CHECK_CONTAINS(err, "reinstall vfiohook");
                CHECK(len > 0 && strchr(err, '\n') == err + len - 1);
                free(err);
        }
}

TEST(without_its_worker_release_and_other_operations_report_but_do_not_fail)
{
        const char *ops[] = {"release", "reconnect", "migrate", "attach"};
        int writer;

        dir = test_tmpdir();
        for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
                char *err;

                CHECK_INT(front(ops[k], 4096, &writer), 0);
                CHECK_INT(writer, 0);
                err = slurp("err");
                CHECK_CONTAINS(err, "cannot run /nonexistent/vfiohook/qemu-hook");
                free(err);
        }
}
