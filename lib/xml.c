/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Any document vfiohook reads, told apart by its root element: a domain, a network, a
 * networkport, the live network status file, or the network hook's <hookData>. Also the one
 * rule that combines models: domain settings layered over pool defaults.
 */
#include <errno.h>

#include "xml_util.h"

const char *vfh_document_kind_name(enum vfh_document_kind kind)
{
        static const char *const names[] = {
            [VFH_DOC_DOMAIN] = "domain",           [VFH_DOC_NETWORK] = "network",
            [VFH_DOC_NETWORKPORT] = "networkport", [VFH_DOC_NETWORKSTATUS] = "networkstatus",
            [VFH_DOC_HOOKDATA] = "hookdata",
        };

        return (size_t)kind < ARRAY_SIZE(names) ? names[kind] : "unknown";
}

void vfh_vf_settings_merge(struct vfh_vf_settings *base, const struct vfh_vf_settings *over)
{
        if (over->spoofchk)
                base->spoofchk = over->spoofchk;
        if (over->trust)
                base->trust = over->trust;
        if (over->query_rss)
                base->query_rss = over->query_rss;
        if (over->state)
                base->state = over->state;
        if (over->has_min_tx_rate) {
                base->has_min_tx_rate = true;
                base->min_tx_rate = over->min_tx_rate;
        }
        if (over->has_max_tx_rate) {
                base->has_max_tx_rate = true;
                base->max_tx_rate = over->max_tx_rate;
        }
        if (over->has_mac) {
                base->has_mac = true;
                base->mac = over->mac;
        }
        if (over->has_vlan) {
                base->has_vlan = true;
                base->vlan = over->vlan;
        }
        if (over->has_qos) {
                base->has_qos = true;
                base->qos = over->qos;
        }
}

/* The wrapped <network> is required; in <hookData> a <networkport> may follow it. */
static int wrapped(struct xml_doc *d, xmlNode *root, struct vfh_document *doc)
{
        xmlNode *net = xml_child(root, "network");
        xmlNode *port = xml_child(root, "networkport");
        int r;

        if (!net)
                return xml_fail(d, root, NULL, EINVAL, "no <network> inside");
        r = xml_network_from_node(d, net, &doc->network);
        if (r >= 0 && port && doc->kind == VFH_DOC_HOOKDATA)
                r = xml_networkport_from_node(d, port, &doc->networkport);
        return r;
}

static int dispatch(struct xml_doc *d, xmlNode *root, struct vfh_document *doc)
{
        static const struct {
                const char *root;
                enum vfh_document_kind kind;
        } kinds[] = {
            {"domain", VFH_DOC_DOMAIN},           {"network", VFH_DOC_NETWORK},
            {"networkport", VFH_DOC_NETWORKPORT}, {"networkstatus", VFH_DOC_NETWORKSTATUS},
            {"hookData", VFH_DOC_HOOKDATA},
        };

        for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
                if (!xml_is(root, kinds[k].root))
                        continue;
                doc->kind = kinds[k].kind;
                snprintf(d->label, sizeof(d->label), "%s XML", kinds[k].root);
                switch (doc->kind) {
                case VFH_DOC_DOMAIN:
                        return xml_domain_from_node(d, root, &doc->domain);
                case VFH_DOC_NETWORK:
                        return xml_network_from_node(d, root, &doc->network);
                case VFH_DOC_NETWORKPORT:
                        return xml_networkport_from_node(d, root, &doc->networkport);
                case VFH_DOC_NETWORKSTATUS:
                case VFH_DOC_HOOKDATA:
                        return wrapped(d, root, doc);
                }
        }
        return xml_fail(d, root, NULL, EINVAL,
                        "unknown root element; expected <domain>, <network>, <networkport>, "
                        "<networkstatus> or <hookData>");
}

int vfh_document_parse_flags(vfh_ctx *ctx, const char *xml, size_t len, unsigned int flags,
                             struct vfh_document **ret)
{
        _cleanup_(xml_doc_freep) struct xml_doc *d = NULL;
        _cleanup_(vfh_document_freep) struct vfh_document *doc = NULL;
        int r;

        r = xml_doc_read(ctx, "XML", xml, len, &d);
        if (r < 0)
                return r;
        d->flags = flags;
        doc = calloc(1, sizeof(*doc));
        if (!doc)
                return -ENOMEM;
        r = dispatch(d, xmlDocGetRootElement(d->doc), doc);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(doc);
        return 0;
}

int vfh_document_parse(vfh_ctx *ctx, const char *xml, size_t len, struct vfh_document **ret)
{
        return vfh_document_parse_flags(ctx, xml, len, 0, ret);
}

void vfh_document_free(struct vfh_document *doc)
{
        if (!doc)
                return;
        vfh_domain_free(doc->domain);
        vfh_network_free(doc->network);
        vfh_networkport_free(doc->networkport);
        free(doc);
}
