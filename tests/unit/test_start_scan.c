/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The front's scan for start (lib/start_scan.h): it may answer "nothing for start" only for a
 * document whose parse has no <interface type='hostdev'>, the only thing start plans
 * (test_plan.c checks that side); anything it cannot rule out goes to the worker.
 */
#include <dirent.h>
#include <string.h>

#include "model.h"
#include "start_scan.h"
#include "support.h"

static bool scan(const char *xml)
{
        return start_may_have_work(xml, strlen(xml));
}

/* What libvirt 9.0 hands start for a guest with one managed='no' VF and a virtio NIC. */
#define LIVE_HEAD                                                                                  \
        "<domain type='qemu' id='3'>\n  <name>vh1</name>\n"                                        \
        "  <uuid>6d90bf00-0000-4000-8000-000000000021</uuid>\n  <devices>\n"
#define LIVE_HOSTDEV                                                                               \
        "    <hostdev mode='subsystem' type='pci' managed='no'>\n"                                 \
        "      <driver name='vfio'/>\n      <source>\n"                                            \
        "        <address domain='0x0000' bus='0x01' slot='0x10' function='0x0'/>\n"               \
        "      </source>\n      <alias name='hostdev0'/>\n"                                        \
        "      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>\n"      \
        "    </hostdev>\n"
#define LIVE_VIRTIO                                                                                \
        "    <interface type='network'>\n      <mac address='52:54:00:12:34:56'/>\n"               \
        "      <source network='default'/>\n      <model type='virtio'/>\n"                        \
        "      <alias name='net0'/>\n    </interface>\n"
#define LIVE_TAIL "  </devices>\n</domain>\n"

TEST(guests_without_a_vf_interface_need_nothing_at_start)
{
        CHECK(!scan(LIVE_HEAD LIVE_HOSTDEV LIVE_VIRTIO LIVE_TAIL));
        CHECK(!scan(LIVE_HEAD LIVE_VIRTIO LIVE_TAIL));
        CHECK(!scan(LIVE_HEAD LIVE_HOSTDEV LIVE_HOSTDEV LIVE_TAIL));
        CHECK(!scan("  \n" LIVE_HEAD LIVE_TAIL));
        /* our metadata, under any prefix */
        CHECK(!scan("<domain><metadata><vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'>"
                    "<vfh:hostdev address='0000:01:10.0' vlan='4'/></vfh:vfiohook>"
                    "<my-ns.1:hostdev/></metadata>" LIVE_HOSTDEV "</domain>"));
        CHECK(!scan("<domain><devices><hostdev/><alias name='hostdev12'/></devices></domain>"));
}

TEST(a_vf_interface_in_any_spelling_goes_to_the_worker)
{
        CHECK(scan(LIVE_HEAD "<interface type='hostdev' managed='yes'/>" LIVE_TAIL));
        CHECK(scan(LIVE_HEAD "<interface type=\"hostdev\"/>" LIVE_TAIL));
        CHECK(scan(LIVE_HEAD "<interface type = 'HostDev'/>" LIVE_TAIL));
        CHECK(scan(LIVE_HEAD
                   "<interface type='network'><actual type='hostdev'/></interface>" LIVE_TAIL));
        CHECK(scan(LIVE_HEAD LIVE_HOSTDEV "<interface type='hostdev'/>" LIVE_TAIL));
}

TEST(whatever_the_scan_cannot_rule_out_goes_to_the_worker)
{
        static const char *const cases[] = {
            "<domain><description>a hostdev guest</description></domain>",
            "<domain><!-- no hostdev here --></domain>",
            "<domain><alias name='hostdev'/></domain>",
            "<domain><alias name='hostdev0x'/></domain>",
            "<domain><alias name='ua-hostdev0'/></domain>",
            "<domain><alias name=\"hostdev0\"/></domain>",
            "<domain><x:y:hostdev/></domain>",
            "<domain><interface type='&#104;ostdev'/></domain>",
            "<!DOCTYPE domain [<!ENTITY h 'x'>]><domain/>",
            "<?xml version='1.0' encoding='UTF-7'?><domain/>",
            "\xef\xbb\xbf<domain/>",
            "domain",
            "",
            "hostdev",
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                if (!scan(cases[i])) {
                        fprintf(stderr, "  scanned as nothing for start: %s\n", cases[i]);
                        CHECK(false);
                }
        /* UTF-16: NUL bytes */
        CHECK(start_may_have_work("<\0d\0/\0>\0", 8));
        /* the word cut by the end of the buffer is not the word */
        CHECK(!start_may_have_work("<domain>hostde", 14));
}

static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "r");
        char *buf = calloc(1, VFH_XML_MAX_SIZE + 2);

        CHECK(f && buf);
        *len = fread(buf, 1, VFH_XML_MAX_SIZE + 1, f);
        fclose(f);
        return buf;
}

static bool has_vf_interface(const struct vfh_domain *dom)
{
        for (size_t i = 0; i < dom->n_interfaces; i++)
                if (dom->interfaces[i].type == VFH_INTERFACE_HOSTDEV)
                        return true;
        return false;
}

/* Every domain document the tests keep, real libvirt ones included: none that the scan
 * passes over has a VF interface once parsed. */
static void check_corpus(vfh_ctx *ctx, const char *rel, size_t *n_skipped, size_t *n_parsed)
{
        DIR *d = opendir(test_src_path(rel));
        struct dirent *e;

        CHECK(d != NULL);
        while ((e = readdir(d))) {
                char path[4096];
                struct vfh_domain *dom = NULL;
                size_t len;
                char *xml;

                if (!strstr(e->d_name, ".xml"))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", test_src_path(rel), e->d_name);
                xml = slurp(path, &len);
                if (vfh_domain_parse_flags(ctx, xml, len, VFH_PARSE_NO_NETWORK_LOOKUP, &dom) >= 0) {
                        (*n_parsed)++;
                        if (!start_may_have_work(xml, len)) {
                                (*n_skipped)++;
                                if (has_vf_interface(dom)) {
                                        fprintf(stderr, "  %s: skipped with a VF interface\n",
                                                path);
                                        CHECK(false);
                                }
                        }
                }
                vfh_domain_free(dom);
                free(xml);
        }
        closedir(d);
}

TEST(no_document_of_the_corpus_with_a_vf_interface_is_passed_over)
{
        static const char *const dirs[] = {"tests/fixtures/xml/domain",
                                           "tests/fixtures/xml/libvirt-9.0",
                                           "tests/fixtures/xml/hostile", "examples"};
        size_t skipped = 0, parsed = 0;
        vfh_ctx *ctx = NULL;

        CHECK_INT(vfh_ctx_new(&ctx), 0);
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
                check_corpus(ctx, dirs[i], &skipped, &parsed);
        fprintf(stderr, "  %zu of %zu parsed documents need nothing at start\n", skipped, parsed);
        CHECK(skipped > 0 && skipped < parsed);
        vfh_ctx_unref(ctx);
}
