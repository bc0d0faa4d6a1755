/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the XML parsers (lib/xml*.c) share: the hardened document reader, attribute and number
 * helpers that parse the way libvirt does, and error messages that name the element and line.
 */
#pragma once

#include <limits.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "internal.h"
#include "model.h"

/* A parsed document plus what every message needs: which document it is. */
struct xml_doc {
        vfh_ctx *ctx;
        xmlDoc *doc;
        xmlXPathContext *xpath;    /* made by the first xml_find; "vfh" is urn:x-vfiohook:1 */
        char label[PATH_MAX + 64]; /* "domain XML", "network 'pool0' (/run/…/pool0.xml)" */
        unsigned int flags;        /* enum vfh_parse_flags */
};

/* Refuses oversize input, DOCTYPEs, entities and deep nesting; captures libxml2's own error
 * text into the context's error. */
int xml_doc_read(vfh_ctx *ctx, const char *label, const char *xml, size_t len,
                 struct xml_doc **ret);
void xml_doc_free(struct xml_doc *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct xml_doc *, xml_doc_free)

/* "LABEL line N: <a>/<b>/<c attr='value'>: REASON". attr may be NULL. Returns -abs(err). */
int xml_fail(struct xml_doc *d, const xmlNode *node, const char *attr, int err, const char *fmt,
             ...) _printf_(5, 6);

unsigned int xml_line(const xmlNode *node);
/* An element in no namespace (libvirt's own) with this name. */
bool xml_is(const xmlNode *node, const char *name);
/* The first child element in no namespace with this name, or NULL. */
xmlNode *xml_child(const xmlNode *node, const char *name);
/* The value of an un-namespaced attribute, pointing into the tree, or NULL when absent. */
const char *xml_attr(const xmlNode *node, const char *name);

/* Evaluates expr with node as the context node; the result is a node set (possibly empty). */
int xml_find(struct xml_doc *d, xmlNode *node, const char *expr, xmlXPathObject **ret);
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathObject *, xmlXPathFreeObject)
static inline int xml_count(const xmlXPathObject *o)
{
        return o && o->nodesetval ? o->nodesetval->nodeNr : 0;
}
static inline xmlNode *xml_item(const xmlXPathObject *o, int i)
{
        return o->nodesetval->nodeTab[i];
}

/* Elements found by xml_children, in document order. */
struct xml_nodes {
        xmlNode **items;
        int n;
};
void xml_nodes_free(struct xml_nodes *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct xml_nodes *, xml_nodes_free)

/*
 * The element children of node's <outer> children (no namespace), in document order: those
 * named name in no namespace (XPath "./outer/name"), or, with name NULL, every one in
 * namespace ns (XPath "./outer/" then "*[namespace-uri()=ns]"). A walk of two levels: the hook's
 * lookups are all of this shape, and an XPath context for them was a sixth of a hook call's
 * parse (docs/PERFORMANCE.md).
 */
int xml_children(struct xml_doc *d, const xmlNode *node, const char *outer, const char *name,
                 const char *ns, struct xml_nodes **ret);

/* Copies of values; *ret stays NULL when absent. */
int xml_attr_dup(const xmlNode *node, const char *name, char **ret);
/* The element's text with surrounding whitespace removed; NULL when the element is absent. */
int xml_child_text(const xmlNode *node, const char *name, char **ret);

/* libvirt's number rule (strtoul base 0: 0x hex, leading 0 octal, else decimal), no sign, no
 * trailing junk, at most max. *present is false (and *ret untouched) when the attribute is
 * absent. */
int xml_attr_number(struct xml_doc *d, const xmlNode *node, const char *attr, unsigned long max,
                    bool *present, unsigned long *ret);
/* Plain decimal, for our own metadata (the schema says xsd:unsignedInt). */
int xml_attr_decimal(struct xml_doc *d, const xmlNode *node, const char *attr, unsigned long max,
                     bool *present, unsigned long *ret);
/* libvirt's managed attribute: exactly "yes" is true, anything else (missing, "no", "true",
 * "Yes") is false. libvirt 9.0 accepts and normalises those spellings to no (checked in the
 * VM), so refusing them would fail a domain libvirt starts. */
bool xml_attr_managed(const xmlNode *node);
/* yes/no, strictly (our own attributes); missing gives dflt. */
int xml_attr_yes_no(struct xml_doc *d, const xmlNode *node, const char *attr, bool dflt, bool *ret);
/* A host PCI <address [type='pci'] domain= bus= slot= function=/>, as libvirt reads it. */
int xml_pci_address(struct xml_doc *d, const xmlNode *node, struct pci_addr *ret);
/* A MAC attribute; *present false when absent. */
int xml_attr_mac(struct xml_doc *d, const xmlNode *node, const char *attr, bool *present,
                 struct mac_addr *ret);
/* A UUID attribute or text in any form libvirt accepts (dashes anywhere), normalised. */
int xml_uuid_parse(const char *s, char out[VFH_UUID_STRLEN]);
/* <uuid> child of node; *present false when absent. */
int xml_child_uuid(struct xml_doc *d, const xmlNode *node, bool *present,
                   char out[VFH_UUID_STRLEN]);
/* <vlan> child of node (absent: n_tags 0). */
int xml_vlan(struct xml_doc *d, const xmlNode *node, struct vfh_vlan *ret);
/* <driver name=… model=…/> child of node. */
int xml_driver(const xmlNode *node, char **name, char **model);

/* At most this many elements of one kind (devices, metadata entries, pool addresses, VLAN
 * tags): far beyond any real guest, and it keeps every per-list check cheap on hostile input. */
#define VFH_XML_MAX_ITEMS 4096

/* Grows an array by one zeroed element and stores its address in *(T **)ret. Fails naming
 * node when the array already holds VFH_XML_MAX_ITEMS. */
int xml_array_append(struct xml_doc *d, const xmlNode *node, void **array, size_t *n, size_t size,
                     void *ret);

/* Our urn:x-vfiohook:1 metadata (lib/xml_meta.c). */
int xml_domain_metadata(struct xml_doc *d, xmlNode *root, struct vfh_domain *dom);
int xml_network_metadata(struct xml_doc *d, xmlNode *net, struct vfh_network *n);
/* A <network> element (lib/xml_network.c), for <networkstatus> and <hookData> too. */
int xml_network_from_node(struct xml_doc *d, xmlNode *node, struct vfh_network **ret);
int xml_networkport_from_node(struct xml_doc *d, xmlNode *node, struct vfh_networkport **ret);
int xml_domain_from_node(struct xml_doc *d, xmlNode *node, struct vfh_domain **ret);
