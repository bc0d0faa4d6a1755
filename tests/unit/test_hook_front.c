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

/* Pipes what the shell command INPUT prints into the front with argv "g OP begin -"; returns
 * its exit status and stores the writer's (a front that left stdin unread makes it die of
 * SIGPIPE: 141). */
static int front_fed(const char *op, const char *input, int *writer_status)
{
        const char *build = getenv("VFH_BUILD_DIR");
        char cmd[PATH_MAX * 4], path[PATH_MAX];
        int status;
        FILE *f;

        snprintf(cmd, sizeof(cmd),
                 "(%s; echo $? >%s/writer) | "
                 "%s/vfiohook-qemu-hook-noworker g %s begin - >%s/out 2>%s/err",
                 input, dir, build ? build : ".", op, dir, dir);
        status = system(cmd);
        snprintf(path, sizeof(path), "%s/writer", dir);
        f = fopen(path, "r");
        if (!f || fscanf(f, "%d", writer_status) != 1)
                *writer_status = -1;
        if (f)
                fclose(f);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* SIZE zero bytes */
static int front(const char *op, size_t size, int *writer_status)
{
        char input[64];

        snprintf(input, sizeof(input), "head -c %zu /dev/zero", size);
        return front_fed(op, input, writer_status);
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

/* The front's last run printed nothing, on stdout or stderr. */
static void check_silent(void)
{
        char *out = slurp("out"), *err = slurp("err");

        CHECK_STR(out, "");
        CHECK_STR(err, "");
        free(out);
        free(err);
}

TEST(started_and_stopped_need_no_worker_and_read_all_of_stdin)
{
        const char *ops[] = {"started", "stopped"};
        int writer;

        dir = test_tmpdir();
        for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
                /* more than a pipe holds, so a front that did not read would break the writer */
                CHECK_INT(front(ops[k], 1024 * 1024, &writer), 0);
                CHECK_INT(writer, 0);
                check_silent();
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

/* start reads the XML itself: a domain without a VF interface needs no worker, one with it
 * does, and so does one too large to judge, which the worker refuses. */
TEST(start_needs_its_worker_only_for_a_vf_interface)
{
        static const char plain[] =
            "<domain><name>g</name><devices><hostdev mode='subsystem' type='pci' "
            "managed='no'><source><address domain='0' bus='1' slot='0x10' function='0'/>"
            "</source><alias name='hostdev0'/></hostdev></devices></domain>";
        char input[1024], *err;
        int writer;

        dir = test_tmpdir();
        snprintf(input, sizeof(input), "printf \"%%s\" \"%s\"", plain);
        CHECK_INT(front_fed("start", input, &writer), 0);
        CHECK_INT(writer, 0);
        check_silent();

        snprintf(input, sizeof(input),
                 "printf \"%%s\" \"<domain><devices><interface type='hostdev'/></devices>"
                 "</domain>\"");
        CHECK_INT(front_fed("start", input, &writer), 1);
        CHECK_INT(writer, 0);
        err = slurp("err");
        CHECK_CONTAINS(err, "cannot run /nonexistent/vfiohook/qemu-hook");
        free(err);

        /* past the worker's limit, and more than a pipe holds: read to the end all the same */
        snprintf(input, sizeof(input),
                 "printf \"%%s\" \"%s\"; head -c 2000000 /dev/zero | tr '\\0' ' '", plain);
        CHECK_INT(front_fed("start", input, &writer), 1);
        CHECK_INT(writer, 0);
        err = slurp("err");
        CHECK_CONTAINS(err, "cannot run /nonexistent/vfiohook/qemu-hook");
        free(err);
}
