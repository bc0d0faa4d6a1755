/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network hook binary's contract with libvirt that needs no device (DESIGN.md §1, §5):
 * networks that are not our pools pass every operation silently, operations we do not act on
 * exit 0, and pool metadata we must refuse fails `start` with exactly one stderr line while
 * every other operation exits 0. Provisioning itself is tested in test_pool.c and
 * tests/vm/t-hook-pool.sh.
 */
#include <limits.h>
#include <sys/wait.h>

#include "macro.h"
#include "support.h"

#define HOOKDATA(metadata, forward)                                                                \
        "<hookData><network><name>n1</name><uuid>6d90bb01-0000-4000-8000-00000000000f</"           \
        "uuid>" metadata "<forward " forward "</forward></network></hookData>\n"

static const char *dir;

/* Runs the hook as "n1 OP SUBOP -" with stdin from content; returns the exit status. */
static int hook(const char *content, const char *op, const char *subop)
{
        const char *build = getenv("VFH_BUILD_DIR");
        char cmd[PATH_MAX * 4];
        int status;

        dir = test_tmpdir();
        test_write_file(dir, "in.xml", "%s", content);
        snprintf(cmd, sizeof(cmd),
                 "%s/vfiohook-network-hook n1 %s %s - <%s/in.xml >%s/out 2>%s/err",
                 build ? build : ".", op, subop, dir, dir, dir);
        status = system(cmd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *name)
{
        char path[PATH_MAX];
        char *buf = calloc(1, 4096);
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "r");
        if (!f || !buf)
                abort();
        if (fread(buf, 1, 4095, f) == 0 && ferror(f))
                abort();
        fclose(f);
        return buf;
}

static size_t lines(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += *s == '\n';
        return n;
}

static const char *const ops[][2] = {
    {"start", "begin"},        {"started", "begin"}, {"port-created", "begin"},
    {"port-deleted", "begin"}, {"stopped", "end"},   {"updated", "begin"},
};

TEST(networks_that_are_not_our_pools_pass_silently)
{
        static const char *const docs[] = {
            HOOKDATA("", "mode='nat'>"),
            HOOKDATA("", "mode='hostdev' managed='yes'><pf dev='eth0'/>"),
            /* someone else's metadata */
            HOOKDATA("<metadata><x:y xmlns:x='urn:other'/></metadata>",
                     "mode='hostdev'><pf dev='eth0'/>"),
            /* ours, but not a hostdev pool */
            HOOKDATA("<metadata><vfh:pool xmlns:vfh='urn:x-vfiohook:1' numvfs='4'/></metadata>",
                     "mode='bridge'><bridge name='br0'/>"),
        };

        for (size_t d = 0; d < ARRAY_SIZE(docs); d++)
                for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
                        char *out, *err;

                        CHECK_INT(hook(docs[d], ops[k][0], ops[k][1]), 0);
                        out = slurp("out");
                        err = slurp("err");
                        CHECK_STR(out, "");
                        CHECK_STR(err, "");
                        free(out);
                        free(err);
                }
}

TEST(bad_pool_metadata_fails_start_with_one_line_and_nothing_else)
{
        const char *bad =
            HOOKDATA("<metadata><vfh:pool xmlns:vfh='urn:x-vfiohook:1' numvfs='lots'/></metadata>",
                     "mode='hostdev'><pf dev='eth0'/>");

        for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
                bool is_start = strcmp(ops[k][0], "start") == 0;
                bool acts = is_start || strcmp(ops[k][0], "stopped") == 0 ||
                            strncmp(ops[k][0], "port-", 5) == 0;
                char *err;

                CHECK_INT(hook(bad, ops[k][0], ops[k][1]), is_start ? 1 : 0);
                err = slurp("err");
                if (is_start) {
                        CHECK_INT(lines(err), 1);
                        CHECK_CONTAINS(err, "vfiohook: ");
                        CHECK_CONTAINS(err, "numvfs");
                } else if (!acts) {
                        CHECK_STR(err, ""); /* not even read: nothing to say */
                }
                free(err);
        }
}

TEST(no_arguments_is_not_libvirt_and_changes_nothing)
{
        const char *build = getenv("VFH_BUILD_DIR");
        char cmd[PATH_MAX * 2];
        int status;

        snprintf(cmd, sizeof(cmd), "%s/vfiohook-network-hook </dev/null >/dev/null 2>&1",
                 build ? build : ".");
        status = system(cmd);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
