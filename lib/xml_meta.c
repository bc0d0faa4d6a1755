/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Our own configuration inside libvirt's <metadata> (DESIGN.md §5, urn:x-vfiohook:1):
 * <vfh:vfiohook> with <vfh:interface>, <vfh:hostdev> and <vfh:mdev> in a domain, <vfh:pool> in
 * a network. Matched by namespace URI, never by prefix. Unknown elements and attributes in our
 * namespace are errors: a typo must not silently leave a VF's spoof check on.
 */
#include <errno.h>
#include <string.h>

#include "xml_util.h"

static bool ns_is_ours(const xmlNode *node)
{
        return node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
               strcmp((const char *)node->ns->href, VFH_METADATA_NS) == 0;
}

static bool is_ours(const xmlNode *node, const char *name)
{
        return ns_is_ours(node) && strcmp((const char *)node->name, name) == 0;
}

/* Every attribute of node must be in allowed (NULL-terminated). */
static int check_attributes(struct xml_doc *d, const xmlNode *node, const char *const *allowed)
{
        for (const xmlAttr *a = node->properties; a; a = a->next) {
                bool known = false;

                for (const char *const *p = allowed; *p && !a->ns; p++)
                        known |= strcmp((const char *)a->name, *p) == 0;
                if (!known)
                        return xml_fail(d, node, NULL, EINVAL,
                                        "unknown attribute '%.32s'; see vfiohookctl(8)",
                                        (const char *)a->name);
        }
        return 0;
}

static int toggle_attr(struct xml_doc *d, const xmlNode *node, const char *attr,
                       enum vfh_toggle *ret)
{
        const char *s = xml_attr(node, attr);

        if (!s)
                *ret = VFH_TOGGLE_UNSET;
        else if (strcmp(s, "on") == 0)
                *ret = VFH_TOGGLE_ON;
        else if (strcmp(s, "off") == 0)
                *ret = VFH_TOGGLE_OFF;
        else
                return xml_fail(d, node, attr, EINVAL, "%s must be 'on' or 'off'", attr);
        return 0;
}

static int link_state_attr(struct xml_doc *d, const xmlNode *node, enum vfh_link_state *ret)
{
        const char *s = xml_attr(node, "state");

        if (!s)
                *ret = VFH_LINK_STATE_UNSET;
        else if (strcmp(s, "auto") == 0)
                *ret = VFH_LINK_STATE_AUTO;
        else if (strcmp(s, "enable") == 0)
                *ret = VFH_LINK_STATE_ENABLE;
        else if (strcmp(s, "disable") == 0)
                *ret = VFH_LINK_STATE_DISABLE;
        else
                return xml_fail(d, node, "state", EINVAL,
                                "state must be 'auto', 'enable' or 'disable'");
        return 0;
}

static int uint_attr(struct xml_doc *d, const xmlNode *node, const char *attr, unsigned long max,
                     bool *present, unsigned int *ret)
{
        unsigned long v;
        int r = xml_attr_decimal(d, node, attr, max, present, &v);

        if (r >= 0 && *present)
                *ret = (unsigned int)v;
        return r;
}

/* The settings every VF element shares (spoofchk, trust, state, rates, query_rss). */
static int common_settings(struct xml_doc *d, const xmlNode *node, struct vfh_vf_settings *s)
{
        int r;

        if ((r = toggle_attr(d, node, "spoofchk", &s->spoofchk)) < 0 ||
            (r = toggle_attr(d, node, "trust", &s->trust)) < 0 ||
            (r = toggle_attr(d, node, "query_rss", &s->query_rss)) < 0 ||
            (r = link_state_attr(d, node, &s->state)) < 0 ||
            (r = uint_attr(d, node, "min_tx_rate", UINT32_MAX, &s->has_min_tx_rate,
                           &s->min_tx_rate)) < 0 ||
            (r = uint_attr(d, node, "max_tx_rate", UINT32_MAX, &s->has_max_tx_rate,
                           &s->max_tx_rate)) < 0)
                return r;
        /* The kernel refuses min > max with a bare EINVAL; say it here instead. */
        if (s->has_min_tx_rate && s->has_max_tx_rate && s->max_tx_rate &&
            s->min_tx_rate > s->max_tx_rate)
                return xml_fail(d, node, "min_tx_rate", EINVAL,
                                "min_tx_rate is above max_tx_rate (%u)", s->max_tx_rate);
        return 0;
}

#define COMMON_ATTRS "spoofchk", "trust", "query_rss", "state", "min_tx_rate", "max_tx_rate"

static int meta_interface(struct xml_doc *d, const xmlNode *node, struct vfh_domain *dom)
{
        static const char *const allowed[] = {"mac", "alias", COMMON_ATTRS, NULL};
        struct vfh_meta_interface *m;
        int r;

        r = check_attributes(d, node, allowed);
        if (r < 0)
                return r;
        r = xml_array_append(d, node, (void **)&dom->meta_interfaces, &dom->n_meta_interfaces,
                             sizeof(*m), &m);
        if (r < 0)
                return r;
        m->line = xml_line(node);
        r = xml_attr_mac(d, node, "mac", &m->has_mac, &m->mac);
        if (r >= 0)
                r = xml_attr_dup(node, "alias", &m->alias);
        if (r < 0)
                return r;
        if (m->has_mac == !!m->alias)
                return xml_fail(d, node, NULL, EINVAL,
                                "give exactly one of mac='…' or alias='ua-…' to say which "
                                "<interface> this is");
        if (m->alias && strncmp(m->alias, "ua-", 3) != 0)
                return xml_fail(d, node, "alias", EINVAL,
                                "only user aliases (starting with 'ua-') are stable");
        for (size_t i = 0; i + 1 < dom->n_meta_interfaces; i++) {
                const struct vfh_meta_interface *o = &dom->meta_interfaces[i];

                if ((m->has_mac && o->has_mac && mac_addr_equal(&m->mac, &o->mac)) ||
                    (m->alias && o->alias && strcmp(m->alias, o->alias) == 0))
                        return xml_fail(d, node, m->alias ? "alias" : "mac", EINVAL,
                                        "same interface as the <vfh:interface> on line %u",
                                        o->line);
        }
        return common_settings(d, node, &m->settings);
}

/* libvirt touches nothing on a plain <hostdev> VF, so here we own MAC and VLAN as well. */
static int hostdev_settings(struct xml_doc *d, const xmlNode *node, struct vfh_vf_settings *s)
{
        int r;

        r = common_settings(d, node, s);
        if (r >= 0)
                r = xml_attr_mac(d, node, "mac", &s->has_mac, &s->mac);
        if (r >= 0)
                r = uint_attr(d, node, "vlan", 4095, &s->has_vlan, &s->vlan);
        if (r >= 0)
                r = uint_attr(d, node, "qos", 7, &s->has_qos, &s->qos);
        if (r < 0)
                return r;
        if (s->has_mac && (mac_addr_is_multicast(&s->mac) || mac_addr_is_zero(&s->mac)))
                return xml_fail(d, node, "mac", EINVAL,
                                "a VF needs a unicast, non-zero MAC address");
        if (s->has_qos && !s->has_vlan)
                return xml_fail(d, node, "qos", EINVAL, "qos needs a vlan");
        return 0;
}

static int meta_hostdev(struct xml_doc *d, const xmlNode *node, struct vfh_domain *dom)
{
        static const char *const allowed[] = {"address", "mac", "vlan", "qos", COMMON_ATTRS, NULL};
        const char *address = xml_attr(node, "address");
        struct vfh_meta_hostdev *m;
        int r;

        r = check_attributes(d, node, allowed);
        if (r < 0)
                return r;
        r = xml_array_append(d, node, (void **)&dom->meta_hostdevs, &dom->n_meta_hostdevs,
                             sizeof(*m), &m);
        if (r < 0)
                return r;
        m->line = xml_line(node);
        if (!address)
                return xml_fail(d, node, NULL, EINVAL,
                                "missing address='DDDD:BB:SS.F' of the host device");
        if (pci_addr_parse(address, &m->address) < 0)
                return xml_fail(d, node, "address", EINVAL,
                                "invalid PCI address; expected DDDD:BB:SS.F in hex");
        for (size_t i = 0; i + 1 < dom->n_meta_hostdevs; i++)
                if (pci_addr_equal(&m->address, &dom->meta_hostdevs[i].address))
                        return xml_fail(d, node, "address", EINVAL,
                                        "same device as the <vfh:hostdev> on line %u",
                                        dom->meta_hostdevs[i].line);
        return hostdev_settings(d, node, &m->settings);
}

static int meta_mdev(struct xml_doc *d, const xmlNode *node, struct vfh_domain *dom)
{
        static const char *const allowed[] = {"uuid", "parent", "type", NULL};
        const char *uuid = xml_attr(node, "uuid");
        struct vfh_meta_mdev *m;
        int r;

        r = check_attributes(d, node, allowed);
        if (r < 0)
                return r;
        r = xml_array_append(d, node, (void **)&dom->meta_mdevs, &dom->n_meta_mdevs, sizeof(*m),
                             &m);
        if (r < 0)
                return r;
        m->line = xml_line(node);
        if (!uuid || xml_uuid_parse(uuid, m->uuid) < 0)
                return xml_fail(d, node, "uuid", EINVAL, "missing or invalid UUID");
        for (size_t i = 0; i + 1 < dom->n_meta_mdevs; i++)
                if (strcmp(m->uuid, dom->meta_mdevs[i].uuid) == 0)
                        return xml_fail(d, node, "uuid", EINVAL,
                                        "same mdev as the <vfh:mdev> on line %u",
                                        dom->meta_mdevs[i].line);
        r = xml_attr_dup(node, "parent", &m->parent);
        if (r >= 0)
                r = xml_attr_dup(node, "type", &m->type);
        if (r < 0)
                return r;
        /* Both become sysfs path components under /sys/class/mdev_bus/. */
        if (!m->parent || !*m->parent || strchr(m->parent, '/') || m->parent[0] == '.')
                return xml_fail(d, node, "parent", EINVAL,
                                "missing or invalid parent (a name under /sys/class/mdev_bus/)");
        if (!m->type || !*m->type || strchr(m->type, '/') || m->type[0] == '.')
                return xml_fail(d, node, "type", EINVAL,
                                "missing or invalid type (a name under mdev_supported_types/)");
        return 0;
}

static int meta_domain_child(struct xml_doc *d, const xmlNode *node, struct vfh_domain *dom)
{
        if (is_ours(node, "interface"))
                return meta_interface(d, node, dom);
        if (is_ours(node, "hostdev"))
                return meta_hostdev(d, node, dom);
        if (is_ours(node, "mdev"))
                return meta_mdev(d, node, dom);
        return xml_fail(d, node, NULL, EINVAL,
                        "unknown element; <vfh:vfiohook> holds <vfh:interface>, <vfh:hostdev> "
                        "and <vfh:mdev>");
}

int xml_domain_metadata(struct xml_doc *d, xmlNode *root, struct vfh_domain *dom)
{
        _cleanup_(xml_nodes_freep) struct xml_nodes *found = NULL;
        int r;

        r = xml_children(d, root, "metadata", NULL, VFH_METADATA_NS, &found);
        if (r < 0)
                return r;
        for (int i = 0; i < found->n; i++) {
                xmlNode *top = found->items[i];

                if (!is_ours(top, "vfiohook"))
                        return xml_fail(d, top, NULL, EINVAL,
                                        "unknown element; a domain's metadata holds "
                                        "<vfh:vfiohook>");
                r = check_attributes(d, top, (const char *const[]){NULL});
                for (xmlNode *c = top->children; r >= 0 && c; c = c->next)
                        if (c->type == XML_ELEMENT_NODE)
                                r = meta_domain_child(d, c, dom);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int meta_pool(struct xml_doc *d, const xmlNode *node, struct vfh_meta_pool *pool)
{
        static const char *const allowed[] = {"numvfs", "remove_on_stop", COMMON_ATTRS, NULL};
        bool remove = false;
        int r;

        pool->line = xml_line(node);
        r = check_attributes(d, node, allowed);
        if (r >= 0)
                r = uint_attr(d, node, "numvfs", 65535, &pool->has_numvfs, &pool->numvfs);
        if (r >= 0 && xml_attr(node, "remove_on_stop")) {
                r = xml_attr_yes_no(d, node, "remove_on_stop", false, &remove);
                if (r >= 0)
                        pool->remove_on_stop = remove ? VFH_TOGGLE_ON : VFH_TOGGLE_OFF;
        }
        if (r >= 0)
                r = common_settings(d, node, &pool->settings);
        return r;
}

int xml_network_metadata(struct xml_doc *d, xmlNode *net, struct vfh_network *n)
{
        _cleanup_(xml_nodes_freep) struct xml_nodes *found = NULL;
        int r;

        r = xml_children(d, net, "metadata", NULL, VFH_METADATA_NS, &found);
        if (r < 0)
                return r;
        for (int i = 0; i < found->n; i++) {
                xmlNode *top = found->items[i];

                if (!is_ours(top, "pool"))
                        return xml_fail(d, top, NULL, EINVAL,
                                        "unknown element; a network's metadata holds "
                                        "<vfh:pool>");
                if (n->has_pool)
                        return xml_fail(d, top, NULL, EINVAL,
                                        "second <vfh:pool>; the first is on line %u", n->pool.line);
                for (xmlNode *c = top->children; c; c = c->next)
                        if (c->type == XML_ELEMENT_NODE)
                                return xml_fail(d, c, NULL, EINVAL,
                                                "<vfh:pool> takes attributes only");
                r = meta_pool(d, top, &n->pool);
                if (r < 0)
                        return r;
                n->has_pool = true;
        }
        return 0;
}
