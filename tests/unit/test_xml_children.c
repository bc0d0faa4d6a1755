/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xml_children, the two-level walk the domain and network parsers use instead of XPath, finds
 * exactly what the XPath it replaced finds, in the same order. */
#include "support.h"
#include "xml_util.h"

/* Namespaced look-alikes, nested and repeated <devices>, comments and text between them. */
static const char doc_text[] =
    "<domain xmlns:o='urn:other' xmlns:v='urn:x-vfiohook:1'>\n"
    "  <devices><hostdev n='1'/><!-- c --><o:hostdev n='x'/>text<interface n='2'/>\n"
    "    <devices><hostdev n='nested'/></devices><hostdev n='3'/></devices>\n"
    "  <o:devices><hostdev n='other-devices'/></o:devices>\n"
    "  <devices><hostdev n='4'/><v:hostdev n='ours-not-libvirts'/></devices>\n"
    "  <metadata><v:vfiohook n='5'/><o:thing n='y'/><x:vfiohook xmlns:x='urn:x-vfiohook:1' "
    "n='6'/><vfiohook n='no-ns'/></metadata>\n"
    "  <metadata><v:pool n='7'/></metadata><o:metadata><v:vfiohook n='z'/></o:metadata>\n"
    "</domain>\n";

/* The n attributes of what each finds, joined with ','. */
static void names(const xmlNode *const *nodes, int n, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (int i = 0; i < n; i++)
                len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "",
                                        xml_attr(nodes[i], "n") ?: "?");
}

static void compare(struct xml_doc *d, const char *outer, const char *name, const char *ns,
                    const char *xpath, const char *want)
{
        xmlNode *root = xmlDocGetRootElement(d->doc);
        struct xml_nodes *walk = NULL;
        xmlXPathObject *o = NULL;
        char got[256], by_xpath[256];

        CHECK_INT(xml_children(d, root, outer, name, ns, &walk), 0);
        CHECK_INT(xml_find(d, root, xpath, &o), 0);
        if (!walk || !o)
                return;
        names((const xmlNode *const *)walk->items, walk->n, got, sizeof(got));
        names(o->nodesetval ? (const xmlNode *const *)o->nodesetval->nodeTab : NULL, xml_count(o),
              by_xpath, sizeof(by_xpath));
        CHECK_STR(got, want);
        CHECK_STR(got, by_xpath);
        xml_nodes_free(walk);
        xmlXPathFreeObject(o);
}

TEST(children_walk_finds_what_the_xpath_found)
{
        vfh_ctx *ctx = test_ctx_at(test_tmpdir());
        struct xml_doc *d = NULL;

        CHECK_INT(xml_doc_read(ctx, "test", doc_text, sizeof(doc_text) - 1, &d), 0);
        if (!d) {
                vfh_ctx_unref(ctx);
                return;
        }
        compare(d, "devices", "hostdev", NULL, "./devices/hostdev", "1,3,4");
        compare(d, "devices", "interface", NULL, "./devices/interface", "2");
        compare(d, "metadata", NULL, "urn:x-vfiohook:1",
                "./metadata/*[namespace-uri()='urn:x-vfiohook:1']", "5,6,7");
        compare(d, "devices", "nothing", NULL, "./devices/nothing", "");
        xml_doc_free(d);
        vfh_ctx_unref(ctx);
}
