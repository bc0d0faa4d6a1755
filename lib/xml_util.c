/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading values out of libvirt's XML the way libvirt reads them, and saying where a bad one
 * is: every message names the document, the line, the element path and the attribute.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/xpathInternals.h>

#include "xml_util.h"

unsigned int xml_line(const xmlNode *node)
{
        long line = node ? xmlGetLineNo(node) : -1;

        return line > 0 ? (unsigned int)line : 0;
}

/* Attribute values and names end up in one-line messages: no control bytes, bounded length. */
static void append_sanitised(char *buf, size_t size, const char *s, size_t max)
{
        size_t len = strlen(buf);

        for (size_t i = 0; s[i] && len + 1 < size; i++) {
                if (i == max) {
                        /* never cut a UTF-8 sequence in half: drop a trailing partial one */
                        while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
                                i--;
                                len--;
                        }
                        if (i > 0 && (unsigned char)s[i - 1] >= 0xc0)
                                len--;
                        snprintf(buf + len, size - len, "...");
                        return;
                }
                buf[len++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
                buf[len] = '\0';
        }
}

static void append_name(char *buf, size_t size, const xmlNode *node)
{
        if (node->ns && node->ns->prefix) {
                append_sanitised(buf, size, (const char *)node->ns->prefix, 32);
                append_sanitised(buf, size, ":", 1);
        }
        append_sanitised(buf, size, (const char *)node->name, 32);
}

/* Elements whose children are what a reader looks for: the path starts below them. */
static bool is_path_anchor(const xmlNode *node)
{
        return !node || node->type != XML_ELEMENT_NODE || !node->parent ||
               node->parent->type != XML_ELEMENT_NODE || xml_is(node, "devices") ||
               xml_is(node, "metadata") || xml_is(node, "network") || xml_is(node, "networkport");
}

/* "<hostdev>/<source>/<address bus='0x1ff'>": at most three levels. */
static void describe(char *buf, size_t size, const xmlNode *node, const char *attr)
{
        const xmlNode *chain[3];
        size_t n = 0;

        buf[0] = '\0';
        for (const xmlNode *p = node; p && n < ARRAY_SIZE(chain); p = p->parent) {
                chain[n++] = p;
                if (is_path_anchor(p->parent))
                        break;
        }
        while (n-- > 0) {
                append_sanitised(buf, size, "<", 1);
                append_name(buf, size, chain[n]);
                if (n == 0 && attr) {
                        const char *value = xml_attr(node, attr);

                        append_sanitised(buf, size, " ", 1);
                        append_sanitised(buf, size, attr, 32);
                        append_sanitised(buf, size, "='", 2);
                        append_sanitised(buf, size, value ? value : "", 64);
                        append_sanitised(buf, size, "'", 1);
                }
                append_sanitised(buf, size, n ? ">/" : ">", 2);
        }
}

int xml_fail(struct xml_doc *d, const xmlNode *node, const char *attr, int err, const char *fmt,
             ...)
{
        char where[512], reason[512];
        va_list ap;

        describe(where, sizeof(where), node, attr);
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        return vfh_errorf(d->ctx, err, "%s line %u: %s: %s", d->label, xml_line(node), where,
                          reason);
}

bool xml_is(const xmlNode *node, const char *name)
{
        return node && node->type == XML_ELEMENT_NODE && !node->ns &&
               strcmp((const char *)node->name, name) == 0;
}

xmlNode *xml_child(const xmlNode *node, const char *name)
{
        for (xmlNode *c = node ? node->children : NULL; c; c = c->next)
                if (xml_is(c, name))
                        return c;
        return NULL;
}

const char *xml_attr(const xmlNode *node, const char *name)
{
        for (const xmlAttr *a = node ? node->properties : NULL; a; a = a->next) {
                if (a->ns || strcmp((const char *)a->name, name) != 0)
                        continue;
                /* Without entities an attribute's value is one text node (or none if empty). */
                if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
                        return (const char *)a->children->content;
                return "";
        }
        return NULL;
}

int xml_find(struct xml_doc *d, xmlNode *node, const char *expr, xmlXPathObject **ret)
{
        xmlXPathObject *o;

        if (!d->xpath) {
                d->xpath = xmlXPathNewContext(d->doc);
                if (!d->xpath ||
                    xmlXPathRegisterNs(d->xpath, BAD_CAST "vfh", BAD_CAST VFH_METADATA_NS))
                        return vfh_errorf(d->ctx, ENOMEM, "%s: XPath %s: out of memory", d->label,
                                          expr);
        }
        o = xmlXPathNodeEval(node, BAD_CAST expr, d->xpath);
        if (!o)
                return vfh_errorf(d->ctx, ENOMEM, "%s: XPath %s failed", d->label, expr);
        if (o->type != XPATH_NODESET) {
                xmlXPathFreeObject(o);
                return vfh_errorf(d->ctx, EINVAL, "%s: XPath %s is not a node set", d->label, expr);
        }
        *ret = o;
        return 0;
}

void xml_nodes_free(struct xml_nodes *s)
{
        if (!s)
                return;
        free(s->items);
        free(s);
}

static bool matches(const xmlNode *n, const char *name, const char *ns)
{
        if (n->type != XML_ELEMENT_NODE)
                return false;
        if (name)
                return xml_is(n, name);
        return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

int xml_children(struct xml_doc *d, const xmlNode *node, const char *outer, const char *name,
                 const char *ns, struct xml_nodes **ret)
{
        _cleanup_(xml_nodes_freep) struct xml_nodes *s = calloc(1, sizeof(*s));
        int size = 0;

        if (!s)
                return vfh_errorf(d->ctx, ENOMEM, "%s: out of memory", d->label);
        for (const xmlNode *o = node->children; o; o = o->next) {
                if (!xml_is(o, outer))
                        continue;
                for (xmlNode *n = o->children; n; n = n->next) {
                        if (!matches(n, name, ns))
                                continue;
                        if (s->n == size) {
                                xmlNode **grown;

                                size = size ? 2 * size : 8;
                                grown = reallocarray(s->items, (size_t)size, sizeof(*grown));
                                if (!grown)
                                        return vfh_errorf(d->ctx, ENOMEM, "%s: out of memory",
                                                          d->label);
                                s->items = grown;
                        }
                        s->items[s->n++] = n;
                }
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int xml_attr_dup(const xmlNode *node, const char *name, char **ret)
{
        const char *v = xml_attr(node, name);

        *ret = NULL;
        if (!v)
                return 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static char *strdup_trimmed(const char *s)
{
        size_t len;

        while (isspace((unsigned char)*s))
                s++;
        len = strlen(s);
        while (len > 0 && isspace((unsigned char)s[len - 1]))
                len--;
        return strndup(s, len);
}

int xml_child_text(const xmlNode *node, const char *name, char **ret)
{
        xmlNode *child = xml_child(node, name);
        xmlChar *content;

        *ret = NULL;
        if (!child)
                return 0;
        content = xmlNodeGetContent(child);
        if (!content)
                return -ENOMEM;
        *ret = strdup_trimmed((const char *)content);
        xmlFree(content);
        return *ret ? 0 : -ENOMEM;
}

/* libvirt's virStrToLong_uip: strtoul (leading blanks and '+' pass), but no '-' anywhere in the
 * number (strtoul would quietly negate "-1" into a huge value) and nothing after it. */
static int number_attr(struct xml_doc *d, const xmlNode *node, const char *attr, int base,
                       unsigned long max, bool *present, unsigned long *ret)
{
        const char *s = xml_attr(node, attr);
        const char *what = base == 0 ? "a number (decimal, 0x hex or 0 octal)" : "a decimal number";
        unsigned long v;
        char *end;

        *present = s != NULL;
        if (!s)
                return 0;
        errno = 0;
        v = strtoul(s, &end, base);
        if (end == s || *end || memchr(s, '-', (size_t)(end - s)))
                return xml_fail(d, node, attr, EINVAL, "%s is not %s", attr, what);
        if (errno == ERANGE || v > max)
                return xml_fail(d, node, attr, ERANGE, "%s out of range (0-%lu)", attr, max);
        if (errno)
                return xml_fail(d, node, attr, EINVAL, "%s is not %s", attr, what);
        *ret = v;
        return 0;
}

int xml_attr_number(struct xml_doc *d, const xmlNode *node, const char *attr, unsigned long max,
                    bool *present, unsigned long *ret)
{
        return number_attr(d, node, attr, 0, max, present, ret);
}

/* Where libvirt itself reads base 10 (VLAN tag ids): "042" is 42 there, not 34. */
static int xml_attr_number10(struct xml_doc *d, const xmlNode *node, const char *attr,
                             unsigned long max, bool *present, unsigned long *ret)
{
        return number_attr(d, node, attr, 10, max, present, ret);
}

int xml_attr_decimal(struct xml_doc *d, const xmlNode *node, const char *attr, unsigned long max,
                     bool *present, unsigned long *ret)
{
        const char *s = xml_attr(node, attr);

        /* Our schema says plain decimal digits: a leading zero (octal to libvirt), a sign or a
         * blank would mean different things to different readers. */
        if (s && s[0] == '0' && s[1])
                return xml_fail(d, node, attr, EINVAL, "%s has a leading zero; use plain decimal",
                                attr);
        if (s && (!*s || strspn(s, "0123456789") != strlen(s)))
                return xml_fail(d, node, attr, EINVAL, "%s is not a decimal number", attr);
        return number_attr(d, node, attr, 10, max, present, ret);
}

bool xml_attr_managed(const xmlNode *node)
{
        const char *s = xml_attr(node, "managed");

        return s && strcmp(s, "yes") == 0;
}

int xml_attr_yes_no(struct xml_doc *d, const xmlNode *node, const char *attr, bool dflt, bool *ret)
{
        const char *s = xml_attr(node, attr);

        if (!s)
                *ret = dflt;
        else if (strcmp(s, "yes") == 0)
                *ret = true;
        else if (strcmp(s, "no") == 0)
                *ret = false;
        else
                return xml_fail(d, node, attr, EINVAL, "%s must be 'yes' or 'no'", attr);
        return 0;
}

/* libvirt's virPCIDeviceAddressParseXML: each part optional (0), base 0, range-checked. */
int xml_pci_address(struct xml_doc *d, const xmlNode *node, struct pci_addr *ret)
{
        static const struct {
                const char *name;
                unsigned long max;
        } parts[] = {{"domain", 0xffff}, {"bus", 0xff}, {"slot", 0x1f}, {"function", 7}};
        unsigned long value[ARRAY_SIZE(parts)] = {};
        const char *type = xml_attr(node, "type");
        bool present, any = false;
        int r;

        if (type && strcmp(type, "pci") != 0)
                return xml_fail(d, node, "type", EINVAL,
                                "only PCI host addresses can be passed through");
        if (xml_attr(node, "uuid"))
                return xml_fail(d, node, "uuid", EINVAL,
                                "a uuid address belongs to an mdev <hostdev type='mdev'>");
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
                r = xml_attr_number(d, node, parts[i].name, parts[i].max, &present, &value[i]);
                if (r < 0)
                        return r;
                any |= present;
        }
        /* All four absent is a typo (e.g. attributes on the wrong element), not 0000:00:00.0. */
        if (!any)
                return xml_fail(d, node, NULL, EINVAL,
                                "no domain, bus, slot or function: cannot tell which device");
        return pci_addr_from_parts(value[0], value[1], value[2], value[3], ret);
}

int xml_attr_mac(struct xml_doc *d, const xmlNode *node, const char *attr, bool *present,
                 struct mac_addr *ret)
{
        const char *s = xml_attr(node, attr);

        *present = s != NULL;
        if (!s)
                return 0;
        if (mac_addr_parse(s, ret) < 0)
                return xml_fail(d, node, attr, EINVAL,
                                "invalid MAC address; expected six hex pairs like "
                                "52:54:00:6d:90:02");
        return 0;
}

/* virUUIDParse: optional surrounding whitespace, 32 hex digits, '-' allowed between them. */
int xml_uuid_parse(const char *s, char out[VFH_UUID_STRLEN])
{
        static const char hex[] = "0123456789abcdef";
        char digits[33];
        size_t n = 0;

        while (isspace((unsigned char)*s))
                s++;
        for (; *s && !isspace((unsigned char)*s); s++) {
                if (*s == '-' && n > 0 && n < 32)
                        continue;
                if (!isxdigit((unsigned char)*s) || n == 32)
                        return -EINVAL;
                digits[n++] =
                    hex[isdigit((unsigned char)*s) ? *s - '0'
                                                   : tolower((unsigned char)*s) - 'a' + 10];
        }
        while (isspace((unsigned char)*s))
                s++;
        if (n != 32 || *s)
                return -EINVAL;
        digits[32] = '\0';
        snprintf(out, VFH_UUID_STRLEN, "%.8s-%.4s-%.4s-%.4s-%.12s", digits, digits + 8, digits + 12,
                 digits + 16, digits + 20);
        return 0;
}

int xml_child_uuid(struct xml_doc *d, const xmlNode *node, bool *present, char out[VFH_UUID_STRLEN])
{
        _cleanup_free_ char *text = NULL;
        int r = xml_child_text(node, "uuid", &text);

        *present = false;
        if (r < 0 || !text)
                return r;
        if (xml_uuid_parse(text, out) < 0)
                return xml_fail(d, xml_child(node, "uuid"), NULL, EINVAL, "invalid UUID '%.40s'",
                                text);
        *present = true;
        return 0;
}

static int vlan_tag(struct xml_doc *d, const xmlNode *tag, struct vfh_vlan_tag *ret)
{
        const char *mode = xml_attr(tag, "nativeMode");
        unsigned long id;
        bool present;
        int r;

        r = xml_attr_number10(d, tag, "id", 4095, &present, &id);
        if (r < 0)
                return r;
        if (!present)
                return xml_fail(d, tag, NULL, EINVAL, "missing id");
        ret->id = (unsigned int)id;
        if (!mode)
                ret->native_mode = VFH_VLAN_NATIVE_NONE;
        else if (strcmp(mode, "tagged") == 0)
                ret->native_mode = VFH_VLAN_NATIVE_TAGGED;
        else if (strcmp(mode, "untagged") == 0)
                ret->native_mode = VFH_VLAN_NATIVE_UNTAGGED;
        else
                return xml_fail(d, tag, "nativeMode", EINVAL,
                                "nativeMode must be 'tagged' or 'untagged'");
        return 0;
}

/* trunk is yes or no in any case (libvirt compares with strcasecmp). */
static int vlan_trunk(struct xml_doc *d, const xmlNode *vlan, bool *set, bool *trunk)
{
        const char *s = xml_attr(vlan, "trunk");

        *set = s != NULL;
        *trunk = false;
        if (!s || strcasecmp(s, "no") == 0)
                return 0;
        if (strcasecmp(s, "yes") == 0) {
                *trunk = true;
                return 0;
        }
        return xml_fail(d, vlan, "trunk", EINVAL, "trunk must be 'yes' or 'no'");
}

/* libvirt's virNetDevVlanParse rules: several tags make a trunk and an explicit trunk='no'
 * then is an error, as is trunk='no' with a native tag; one native tag at most. */
int xml_vlan(struct xml_doc *d, const xmlNode *node, struct vfh_vlan *ret)
{
        xmlNode *vlan = xml_child(node, "vlan");
        bool trunk_set, trunk;
        size_t natives = 0;
        int r;

        if (!vlan)
                return 0;
        r = vlan_trunk(d, vlan, &trunk_set, &trunk);
        if (r < 0)
                return r;
        for (xmlNode *c = vlan->children; c; c = c->next) {
                struct vfh_vlan_tag *tag = NULL; /* gcc -O3 cannot see that append sets it */

                if (!xml_is(c, "tag"))
                        continue;
                r = xml_array_append(d, c, (void **)&ret->tags, &ret->n_tags, sizeof(*tag), &tag);
                if (r >= 0)
                        r = vlan_tag(d, c, tag);
                if (r < 0)
                        return r;
                natives += tag->native_mode != VFH_VLAN_NATIVE_NONE;
        }
        if (ret->n_tags == 0)
                return xml_fail(d, vlan, NULL, EINVAL, "no <tag id=…/>");
        if (natives > 1)
                return xml_fail(d, vlan, NULL, EINVAL, "more than one tag has nativeMode");
        if (trunk_set && !trunk && ret->n_tags > 1)
                return xml_fail(d, vlan, "trunk", EINVAL, "several tags need trunk='yes'");
        if (trunk_set && !trunk && natives)
                return xml_fail(d, vlan, "trunk", EINVAL, "a native VLAN needs a trunk");
        ret->trunk = trunk || ret->n_tags > 1;
        return 0;
}

int xml_driver(const xmlNode *node, char **name, char **model)
{
        xmlNode *driver = xml_child(node, "driver");
        int r;

        *name = *model = NULL;
        if (!driver)
                return 0;
        r = xml_attr_dup(driver, "name", name);
        if (r >= 0)
                r = xml_attr_dup(driver, "model", model);
        return r;
}

int xml_array_append(struct xml_doc *d, const xmlNode *node, void **array, size_t *n, size_t size,
                     void *ret)
{
        char *grown;

        if (*n >= VFH_XML_MAX_ITEMS)
                return xml_fail(d, node, NULL, E2BIG, "more than %d of these", VFH_XML_MAX_ITEMS);
        grown = reallocarray(*array, *n + 1, size);
        if (!grown)
                return -ENOMEM;
        *array = grown;
        memset(grown + *n * size, 0, size);
        *(void **)ret = grown + (*n)++ * size;
        return 0;
}
