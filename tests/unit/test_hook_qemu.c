/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qemu hook binary's contract with libvirt that needs no device (DESIGN.md §1 and §5):
 * migrate and restore echo the XML byte for byte whatever its size, operations we do not act
 * on exit 0 silently, guests without passthrough pass untouched, and a domain XML we must
 * refuse fails prepare with exactly one stderr line. The device work is tested in test_txn.c
 * and the VM tier (tests/vm/t-hook-*.sh).
 */
#include <limits.h>
#include <sys/wait.h>

#include "macro.h"
#include "support.h"

#define PLAIN                                                                                      \
        "<domain type='kvm'><name>plain</name><uuid>5f0c3a1e-8b2d-4c7e-9a61-0d2f4b6c8e10</uuid>"   \
        "<devices><interface type='bridge'><source bridge='br0'/></interface></devices>"           \
        "</domain>\n"

static const char *dir;

/* Runs the hook with argv "NAME OP SUBOP -", stdin from the file in, stdout and stderr into
 * files; returns the exit status. */
static int hook(const char *in, const char *op)
{
        const char *build = getenv("VFH_BUILD_DIR");
        char cmd[PATH_MAX * 4];
        int status;

        snprintf(cmd, sizeof(cmd), "%s/vfiohook-qemu-hook plain %s begin - <%s >%s/out 2>%s/err",
                 build ? build : ".", op, in, dir, dir);
        status = system(cmd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *name, size_t *len)
{
        char path[PATH_MAX];
        FILE *f;
        char *buf;
        long n;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "rb");
        if (!f)
                abort();
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t)n + 1);
        if (fread(buf, 1, (size_t)n, f) != (size_t)n)
                abort();
        buf[n] = '\0';
        fclose(f);
        *len = (size_t)n;
        return buf;
}

static const char *input(const char *content)
{
        static char path[PATH_MAX];

        dir = test_tmpdir();
        test_write_file(dir, "in.xml", "%s", content);
        snprintf(path, sizeof(path), "%s/in.xml", dir);
        return path;
}

TEST(migrate_and_restore_echo_the_xml_unchanged_even_past_the_parser_limit)
{
        /* 3 MiB: three times what the parsers accept, so nothing may stop at their cap. */
        size_t big = 3 * 1024 * 1024, len;
        char *xml = malloc(big + 1), *out;
        const char *ops[] = {"migrate", "restore"};

        for (size_t i = 0; i < big; i++)
                xml[i] = (char)('a' + i % 26);
        memcpy(xml, "<domain>", 8);
        xml[big] = '\0';
        for (size_t k = 0; k < 2; k++) {
                const char *in = input(xml);

                CHECK_INT(hook(in, ops[k]), 0);
                out = slurp("out", &len);
                CHECK_INT(len, big);
                CHECK(len == big && memcmp(out, xml, big) == 0);
                free(out);
        }
        free(xml);
}

TEST(a_guest_without_passthrough_passes_every_operation_silently)
{
        const char *ops[] = {"prepare", "start",     "started", "stopped",
                             "release", "reconnect", "attach",  "bogus"};
        size_t len;
        char *out, *err;

        for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
                const char *in = input(PLAIN);

                CHECK_INT(hook(in, ops[k]), 0);
                out = slurp("out", &len);
                CHECK_INT(len, 0);
                free(out);
                err = slurp("err", &len);
                CHECK_STR(err, "");
                free(err);
        }
}

TEST(prepare_refuses_bad_metadata_with_one_line_and_release_does_not_fail)
{
        const char *in = input(
            "<domain type='kvm'><name>bad</name><uuid>5f0c3a1e-8b2d-4c7e-9a61-0d2f4b6c8e11</uuid>"
            "<metadata><vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'><vfh:hostdev "
            "address='0000:01:10.2' vlan='5000'/></vfh:vfiohook></metadata><devices/></domain>\n");
        size_t len;
        char *err;

        CHECK_INT(hook(in, "prepare"), 1);
        err = slurp("err", &len);
        CHECK_CONTAINS(err, "vfiohook: ");
        CHECK_CONTAINS(err, "vlan");
        CHECK(len > 0 && strchr(err, '\n') == err + len - 1); /* exactly one line */
        free(err);
        /* release and reconnect read only whose journal it is: nothing to report here */
        CHECK_INT(hook(in, "release"), 0);
        err = slurp("err", &len);
        CHECK_STR(err, "");
        free(err);
        CHECK_INT(hook(in, "reconnect"), 0);
        err = slurp("err", &len);
        CHECK_STR(err, "");
        free(err);
}

TEST(release_still_refuses_a_hostile_document_and_says_so)
{
        const char *in = input("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY a 'x'>]>"
                               "<domain><name>&a;</name></domain>\n");
        size_t len;
        char *err;

        CHECK_INT(hook(in, "release"), 0); /* release never fails libvirt (DESIGN.md §5) */
        err = slurp("err", &len);
        CHECK_CONTAINS(err, "<!DOCTYPE> refused");
        free(err);
}
