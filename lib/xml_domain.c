/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain XML: every form in which libvirt describes a passed-through PCI device or VF
 * (<hostdev type='pci'>, <hostdev type='mdev'>, <interface type='hostdev'>, and
 * <interface type='network'> resolved through the network's definition on disk), plus our
 * metadata, matched to the devices it configures.
 */
#include <errno.h>
#include <string.h>

#include "xml_util.h"

static int hostdev_pci(struct xml_doc *d, const xmlNode *node, struct vfh_hostdev *h)
{
        xmlNode *address = xml_child(xml_child(node, "source"), "address");
        int r;

        h->type = VFH_HOSTDEV_PCI;
        h->managed = xml_attr_managed(node);
        r = xml_driver(node, &h->driver_name, &h->driver_model);
        if (r < 0)
                return r;
        if (!address)
                return xml_fail(d, node, NULL, EINVAL,
                                "no <source><address …/>: cannot tell which host device");
        h->has_address = true;
        return xml_pci_address(d, address, &h->address);
}

static int hostdev_mdev(struct xml_doc *d, const xmlNode *node, struct vfh_hostdev *h)
{
        xmlNode *address = xml_child(xml_child(node, "source"), "address");
        const char *uuid = xml_attr(address, "uuid");

        h->type = VFH_HOSTDEV_MDEV;
        if (!uuid)
                return xml_fail(d, address ? address : node, NULL, EINVAL,
                                "no <source><address uuid=…/>: cannot tell which mdev");
        if (xml_uuid_parse(uuid, h->uuid) < 0)
                return xml_fail(d, address, "uuid", EINVAL, "invalid UUID");
        return xml_attr_dup(node, "model", &h->model);
}

static int parse_hostdev(struct xml_doc *d, const xmlNode *node, struct vfh_hostdev *h)
{
        const char *mode = xml_attr(node, "mode");
        const char *type = xml_attr(node, "type");
        char name[64];
        int r;

        h->line = xml_line(node);
        r = xml_attr_dup(xml_child(node, "alias"), "name", &h->alias);
        if (r < 0)
                return r;
        /* libvirt's default mode is subsystem. */
        mode = mode ? mode : "subsystem";
        if (!type)
                return xml_fail(d, node, NULL, EINVAL, "missing type");
        snprintf(name, sizeof(name), "%.24s/%.24s", mode, type);
        h->type_name = strdup(name);
        if (!h->type_name)
                return -ENOMEM;
        if (strcmp(mode, "subsystem") != 0) {
                h->type = VFH_HOSTDEV_OTHER;
                return 0;
        }
        if (strcmp(type, "pci") == 0)
                return hostdev_pci(d, node, h);
        if (strcmp(type, "mdev") == 0)
                return hostdev_mdev(d, node, h);
        h->type = VFH_HOSTDEV_OTHER;
        return 0;
}

bool vfh_interface_is_managed(const struct vfh_interface *iface)
{
        if (iface->type == VFH_INTERFACE_NETWORK)
                return iface->network && iface->network->managed;
        return iface->managed;
}

static int interface_common(struct xml_doc *d, const xmlNode *node, struct vfh_interface *i)
{
        xmlNode *mac = xml_child(node, "mac");
        xmlNode *virtualport = xml_child(node, "virtualport");
        int r;

        i->managed = xml_attr_managed(node);
        r = 0;
        if (mac)
                r = xml_attr_mac(d, mac, "address", &i->has_mac, &i->mac);
        if (r >= 0)
                r = xml_vlan(d, node, &i->vlan);
        if (r >= 0)
                r = xml_driver(node, &i->driver_name, &i->driver_model);
        if (r >= 0)
                r = xml_attr_dup(xml_child(node, "alias"), "name", &i->alias);
        if (r >= 0)
                r = xml_attr_dup(xml_child(node, "teaming"), "type", &i->teaming);
        if (r >= 0 && virtualport) {
                const char *type = xml_attr(virtualport, "type");

                i->virtualport = strdup(type ? type : "");
                if (!i->virtualport)
                        r = -ENOMEM;
        }
        return r;
}

static int interface_hostdev(struct xml_doc *d, const xmlNode *node, struct vfh_interface *i)
{
        xmlNode *address = xml_child(xml_child(node, "source"), "address");
        const char *type = xml_attr(address, "type");

        /* A USB network adapter can be an <interface type='hostdev'> too: not ours. */
        if (type && strcmp(type, "usb") == 0) {
                i->type = VFH_INTERFACE_OTHER;
                return 0;
        }
        i->type = VFH_INTERFACE_HOSTDEV;
        if (!address)
                return xml_fail(d, node, NULL, EINVAL,
                                "no <source><address type='pci' …/>: cannot tell which VF");
        i->has_address = true;
        return xml_pci_address(d, address, &i->address);
}

/* The network is read once per domain however many interfaces name it. */
static int resolve_network(struct xml_doc *d, const xmlNode *source, struct vfh_domain *dom,
                           struct vfh_interface *i)
{
        struct vfh_network **slot;
        int r;

        for (size_t k = 0; k < dom->n_networks; k++)
                if (strcmp(dom->networks[k]->name, i->source_network) == 0) {
                        i->network = dom->networks[k];
                        return 0;
                }
        if (!vfh_network_name_is_valid(i->source_network))
                return xml_fail(d, source, "network", EINVAL,
                                "invalid network name: empty, or contains '/' or '..'");
        if (d->flags & VFH_PARSE_NO_NETWORK_LOOKUP)
                return 0;
        r = xml_array_append(d, source, (void **)&dom->networks, &dom->n_networks, sizeof(*slot),
                             &slot);
        if (r < 0)
                return r;
        r = vfh_network_lookup(d->ctx, i->source_network, slot);
        if (r < 0) {
                /* Keep the lookup's own message, prefixed with where the name came from. */
                char cause[VFH_ERROR_MAX];

                dom->n_networks--;
                snprintf(cause, sizeof(cause), "%s", vfh_ctx_last_error(d->ctx));
                return xml_fail(d, source, "network", r, "%s", cause);
        }
        i->network = *slot;
        return 0;
}

static int interface_network(struct xml_doc *d, const xmlNode *node, struct vfh_domain *dom,
                             struct vfh_interface *i)
{
        xmlNode *source = xml_child(node, "source");
        int r;

        i->type = VFH_INTERFACE_NETWORK;
        r = xml_attr_dup(source, "network", &i->source_network);
        if (r >= 0)
                r = xml_attr_dup(source, "portgroup", &i->portgroup);
        if (r < 0)
                return r;
        if (!i->source_network)
                return xml_fail(d, source ? source : node, NULL, EINVAL,
                                "no <source network=…/>: cannot tell which network");
        return resolve_network(d, source, dom, i);
}

static int parse_interface(struct xml_doc *d, const xmlNode *node, struct vfh_domain *dom,
                           struct vfh_interface *i)
{
        const char *type = xml_attr(node, "type");
        int r;

        i->line = xml_line(node);
        if (!type)
                return xml_fail(d, node, NULL, EINVAL, "missing type");
        i->type_name = strdup(type);
        if (!i->type_name)
                return -ENOMEM;
        r = interface_common(d, node, i);
        if (r < 0)
                return r;
        if (strcmp(type, "hostdev") == 0)
                return interface_hostdev(d, node, i);
        if (strcmp(type, "network") == 0)
                return interface_network(d, node, dom, i);
        i->type = VFH_INTERFACE_OTHER;
        return 0;
}

static int parse_devices(struct xml_doc *d, xmlNode *root, struct vfh_domain *dom)
{
        _cleanup_(xml_nodes_freep) struct xml_nodes *hostdevs = NULL;
        _cleanup_(xml_nodes_freep) struct xml_nodes *interfaces = NULL;
        int r;

        r = xml_children(d, root, "devices", "hostdev", NULL, &hostdevs);
        if (r >= 0)
                r = xml_children(d, root, "devices", "interface", NULL, &interfaces);
        if (r < 0)
                return r;
        if (hostdevs->n > VFH_XML_MAX_ITEMS)
                return xml_fail(d, hostdevs->items[VFH_XML_MAX_ITEMS], NULL, E2BIG,
                                "more than %d <hostdev> elements", VFH_XML_MAX_ITEMS);
        if (interfaces->n > VFH_XML_MAX_ITEMS)
                return xml_fail(d, interfaces->items[VFH_XML_MAX_ITEMS], NULL, E2BIG,
                                "more than %d <interface> elements", VFH_XML_MAX_ITEMS);
        dom->hostdevs = calloc((size_t)hostdevs->n + 1, sizeof(*dom->hostdevs));
        dom->interfaces = calloc((size_t)interfaces->n + 1, sizeof(*dom->interfaces));
        if (!dom->hostdevs || !dom->interfaces)
                return -ENOMEM;
        for (int k = 0; k < hostdevs->n; k++) {
                r = parse_hostdev(d, hostdevs->items[k], &dom->hostdevs[dom->n_hostdevs++]);
                if (r < 0)
                        return r;
        }
        for (int k = 0; k < interfaces->n; k++) {
                r = parse_interface(d, interfaces->items[k], dom,
                                    &dom->interfaces[dom->n_interfaces++]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The host address of the k-th passed-through device: hostdevs first, then interfaces. */
static const struct pci_addr *device_address(const struct vfh_domain *dom, size_t k,
                                             unsigned int *line)
{
        if (k < dom->n_hostdevs) {
                *line = dom->hostdevs[k].line;
                return dom->hostdevs[k].has_address ? &dom->hostdevs[k].address : NULL;
        }
        k -= dom->n_hostdevs;
        *line = dom->interfaces[k].line;
        return dom->interfaces[k].has_address ? &dom->interfaces[k].address : NULL;
}

/* One host device listed twice would be detached twice and restored wrongly. */
static int check_duplicates(struct xml_doc *d, const struct vfh_domain *dom)
{
        size_t n = dom->n_hostdevs + dom->n_interfaces;
        char buf[PCI_ADDR_STRLEN];

        for (size_t k = 0; k < n; k++) {
                unsigned int line, first_line;
                const struct pci_addr *a = device_address(dom, k, &line);

                for (size_t j = 0; a && j < k; j++) {
                        const struct pci_addr *b = device_address(dom, j, &first_line);

                        if (b && pci_addr_equal(a, b))
                                return vfh_errorf(d->ctx, EINVAL,
                                                  "%s line %u: host device %s is also passed "
                                                  "through on line %u; list it once",
                                                  d->label, line, pci_addr_format(a, buf),
                                                  first_line);
                }
        }
        return 0;
}

static struct vfh_meta_interface *meta_for_interface(struct vfh_domain *dom,
                                                     const struct vfh_interface *i)
{
        for (size_t k = 0; k < dom->n_meta_interfaces; k++)
                if (i->has_mac && dom->meta_interfaces[k].has_mac &&
                    mac_addr_equal(&dom->meta_interfaces[k].mac, &i->mac))
                        return &dom->meta_interfaces[k];
        for (size_t k = 0; k < dom->n_meta_interfaces; k++)
                if (i->alias && dom->meta_interfaces[k].alias &&
                    strcmp(dom->meta_interfaces[k].alias, i->alias) == 0)
                        return &dom->meta_interfaces[k];
        return NULL;
}

static int match_metadata(struct xml_doc *d, struct vfh_domain *dom)
{
        for (size_t k = 0; k < dom->n_interfaces; k++) {
                struct vfh_interface *i = &dom->interfaces[k];
                struct vfh_meta_interface *meta = meta_for_interface(dom, i);

                if (meta)
                        meta->matched = true;
                i->meta = meta;
        }
        for (size_t m = 0; m < dom->n_meta_hostdevs; m++) {
                struct vfh_meta_hostdev *mh = &dom->meta_hostdevs[m];

                for (size_t k = 0; k < dom->n_hostdevs; k++)
                        if (dom->hostdevs[k].type == VFH_HOSTDEV_PCI &&
                            pci_addr_equal(&dom->hostdevs[k].address, &mh->address)) {
                                dom->hostdevs[k].meta = mh;
                                mh->matched = true;
                        }
                for (size_t k = 0; k < dom->n_interfaces; k++)
                        if (dom->interfaces[k].has_address &&
                            pci_addr_equal(&dom->interfaces[k].address, &mh->address))
                                return vfh_errorf(
                                    d->ctx, EINVAL,
                                    "%s line %u: <vfh:hostdev> names the VF of the <interface "
                                    "type='hostdev'> on line %u, whose MAC and VLAN libvirt "
                                    "owns; use <vfh:interface mac=…> instead",
                                    d->label, mh->line, dom->interfaces[k].line);
        }
        for (size_t m = 0; m < dom->n_meta_mdevs; m++)
                for (size_t k = 0; k < dom->n_hostdevs; k++)
                        if (dom->hostdevs[k].type == VFH_HOSTDEV_MDEV &&
                            strcmp(dom->hostdevs[k].uuid, dom->meta_mdevs[m].uuid) == 0) {
                                dom->hostdevs[k].mdev = &dom->meta_mdevs[m];
                                dom->meta_mdevs[m].matched = true;
                        }
        return 0;
}

int xml_domain_from_node(struct xml_doc *d, xmlNode *node, struct vfh_domain **ret)
{
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = calloc(1, sizeof(*dom));
        int r;

        if (!dom)
                return -ENOMEM;
        r = xml_child_text(node, "name", &dom->name);
        if (r < 0)
                return r;
        if (!dom->name || !*dom->name)
                return xml_fail(d, node, NULL, EINVAL, "missing <name>");
        r = xml_child_uuid(d, node, &dom->has_uuid, dom->uuid);
        if (r >= 0 && (d->flags & VFH_PARSE_OWNER_ONLY)) {
                *ret = TAKE_PTR(dom);
                return 0;
        }
        /* Metadata first: its arrays must not move once devices point into them. */
        if (r >= 0)
                r = xml_domain_metadata(d, node, dom);
        if (r >= 0)
                r = parse_devices(d, node, dom);
        if (r >= 0)
                r = check_duplicates(d, dom);
        if (r >= 0)
                r = match_metadata(d, dom);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(dom);
        return 0;
}

int vfh_domain_parse_flags(vfh_ctx *ctx, const char *xml, size_t len, unsigned int flags,
                           struct vfh_domain **ret)
{
        _cleanup_(xml_doc_freep) struct xml_doc *d = NULL;
        xmlNode *root;
        int r = xml_doc_read(ctx, "domain XML", xml, len, &d);

        if (r < 0)
                return r;
        d->flags = flags;
        root = xmlDocGetRootElement(d->doc);
        if (!xml_is(root, "domain"))
                return xml_fail(d, root, NULL, EINVAL, "root element is not <domain>");
        return xml_domain_from_node(d, root, ret);
}

int vfh_domain_parse(vfh_ctx *ctx, const char *xml, size_t len, struct vfh_domain **ret)
{
        return vfh_domain_parse_flags(ctx, xml, len, 0, ret);
}

static void interface_clear(struct vfh_interface *i)
{
        free(i->type_name);
        free(i->vlan.tags);
        free(i->driver_name);
        free(i->driver_model);
        free(i->alias);
        free(i->virtualport);
        free(i->teaming);
        free(i->source_network);
        free(i->portgroup);
}

static void hostdev_clear(struct vfh_hostdev *h)
{
        free(h->type_name);
        free(h->driver_name);
        free(h->driver_model);
        free(h->model);
        free(h->alias);
}

void vfh_domain_free(struct vfh_domain *dom)
{
        if (!dom)
                return;
        free(dom->name);
        for (size_t k = 0; k < dom->n_hostdevs; k++)
                hostdev_clear(&dom->hostdevs[k]);
        free(dom->hostdevs);
        for (size_t k = 0; k < dom->n_interfaces; k++)
                interface_clear(&dom->interfaces[k]);
        free(dom->interfaces);
        for (size_t k = 0; k < dom->n_networks; k++)
                vfh_network_free(dom->networks[k]);
        free(dom->networks);
        for (size_t k = 0; k < dom->n_meta_interfaces; k++)
                free(dom->meta_interfaces[k].alias);
        free(dom->meta_interfaces);
        for (size_t k = 0; k < dom->n_meta_mdevs; k++) {
                free(dom->meta_mdevs[k].parent);
                free(dom->meta_mdevs[k].type);
        }
        free(dom->meta_mdevs);
        free(dom->meta_hostdevs);
        free(dom);
}
