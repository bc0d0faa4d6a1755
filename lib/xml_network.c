/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Networks and network ports: the <network> of a VF pool (also inside <networkstatus> and the
 * network hook's <hookData>), the <networkport> libvirt hands the network hook, and reading a
 * network's definition from disk. A hook must never call back into libvirt (it deadlocks), so
 * the live status file and then the config file are read directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xml_util.h"

bool vfh_network_is_hostdev_pool(const struct vfh_network *net)
{
        return net && net->forward_mode && strcmp(net->forward_mode, "hostdev") == 0;
}

bool vfh_network_name_is_valid(const char *name)
{
        /* It becomes NAME.xml inside a directory: nothing that can leave that directory. */
        return name && *name && strlen(name) < NAME_MAX - 4 && !strchr(name, '/') &&
               !strstr(name, "..");
}

static int forward_pf(struct xml_doc *d, const xmlNode *pf, struct vfh_network *n)
{
        const char *dev = xml_attr(pf, "dev");
        char **slot;
        int r;

        if (!dev || !*dev || strchr(dev, '/') || strlen(dev) >= 16)
                return xml_fail(d, pf, "dev", EINVAL, "missing or invalid PF netdev name");
        r = xml_array_append(d, pf, (void **)&n->pf_devs, &n->n_pf_devs, sizeof(*slot), &slot);
        if (r < 0)
                return r;
        *slot = strdup(dev);
        return *slot ? 0 : -ENOMEM;
}

static int forward_address(struct xml_doc *d, const xmlNode *address, struct vfh_network *n)
{
        struct pci_addr *a;
        int r;

        r = xml_array_append(d, address, (void **)&n->addresses, &n->n_addresses, sizeof(*a), &a);
        return r < 0 ? r : xml_pci_address(d, address, a);
}

static int parse_forward(struct xml_doc *d, const xmlNode *forward, struct vfh_network *n)
{
        const char *mode = xml_attr(forward, "mode");
        int r;

        /* libvirt: a <forward> without mode is NAT. */
        n->forward_mode = strdup(mode ? mode : "nat");
        if (!n->forward_mode)
                return -ENOMEM;
        n->managed = xml_attr_managed(forward);
        r = xml_driver(forward, &n->driver_name, &n->driver_model);
        for (xmlNode *c = forward->children; r >= 0 && c; c = c->next) {
                if (xml_is(c, "pf"))
                        r = forward_pf(d, c, n);
                else if (xml_is(c, "address"))
                        r = forward_address(d, c, n);
        }
        return r;
}

int xml_network_from_node(struct xml_doc *d, xmlNode *node, struct vfh_network **ret)
{
        _cleanup_(vfh_network_freep) struct vfh_network *n = calloc(1, sizeof(*n));
        xmlNode *forward = xml_child(node, "forward");
        int r;

        if (!n)
                return -ENOMEM;
        n->line = xml_line(node);
        r = xml_child_text(node, "name", &n->name);
        if (r < 0)
                return r;
        if (!n->name || !*n->name)
                return xml_fail(d, node, NULL, EINVAL, "missing <name>");
        r = xml_child_uuid(d, node, &n->has_uuid, n->uuid);
        if (r >= 0 && forward)
                r = parse_forward(d, forward, n);
        if (r >= 0)
                r = xml_network_metadata(d, node, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(n);
        return 0;
}

/* <network> itself, or the <network> the live status file wraps. */
static int network_from_root(struct xml_doc *d, xmlNode *root, struct vfh_network **ret)
{
        xmlNode *net = root;

        if (xml_is(root, "networkstatus")) {
                net = xml_child(root, "network");
                if (!net)
                        return xml_fail(d, root, NULL, EINVAL, "no <network> inside");
        }
        if (!xml_is(net, "network"))
                return xml_fail(d, root, NULL, EINVAL,
                                "root element is not <network> or <networkstatus>");
        return xml_network_from_node(d, net, ret);
}

int vfh_network_parse(vfh_ctx *ctx, const char *xml, size_t len, struct vfh_network **ret)
{
        _cleanup_(xml_doc_freep) struct xml_doc *d = NULL;
        int r = xml_doc_read(ctx, "network XML", xml, len, &d);

        if (r < 0)
                return r;
        return network_from_root(d, xmlDocGetRootElement(d->doc), ret);
}

static int port_owner(struct xml_doc *d, const xmlNode *owner, struct vfh_networkport *p)
{
        int r;

        if (!owner)
                return 0;
        r = xml_child_text(owner, "name", &p->owner_name);
        if (r >= 0)
                r = xml_child_uuid(d, owner, &p->has_owner_uuid, p->owner_uuid);
        return r;
}

static int port_plug(struct xml_doc *d, const xmlNode *plug, struct vfh_networkport *p)
{
        xmlNode *address;
        int r;

        if (!plug)
                return 0;
        r = xml_attr_dup(plug, "type", &p->plug_type);
        p->has_managed = xml_attr(plug, "managed") != NULL;
        p->managed = xml_attr_managed(plug);
        if (r >= 0)
                r = xml_driver(plug, &p->driver_name, &p->driver_model);
        if (r < 0 || !p->plug_type || strcmp(p->plug_type, "hostdev-pci") != 0)
                return r;
        address = xml_child(plug, "address");
        if (!address)
                return xml_fail(d, plug, NULL, EINVAL, "hostdev-pci plug has no <address>");
        p->has_address = true;
        return xml_pci_address(d, address, &p->address);
}

int xml_networkport_from_node(struct xml_doc *d, xmlNode *node, struct vfh_networkport **ret)
{
        _cleanup_(vfh_networkport_freep) struct vfh_networkport *p = calloc(1, sizeof(*p));
        xmlNode *mac = xml_child(node, "mac");
        int r;

        if (!p)
                return -ENOMEM;
        p->line = xml_line(node);
        r = xml_child_uuid(d, node, &p->has_uuid, p->uuid);
        if (r >= 0)
                r = port_owner(d, xml_child(node, "owner"), p);
        if (r >= 0 && mac)
                r = xml_attr_mac(d, mac, "address", &p->has_mac, &p->mac);
        if (r >= 0)
                r = xml_vlan(d, node, &p->vlan);
        if (r >= 0)
                r = port_plug(d, xml_child(node, "plug"), p);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int vfh_networkport_parse(vfh_ctx *ctx, const char *xml, size_t len, struct vfh_networkport **ret)
{
        _cleanup_(xml_doc_freep) struct xml_doc *d = NULL;
        xmlNode *root;
        int r = xml_doc_read(ctx, "networkport XML", xml, len, &d);

        if (r < 0)
                return r;
        root = xmlDocGetRootElement(d->doc);
        if (!xml_is(root, "networkport"))
                return xml_fail(d, root, NULL, EINVAL, "root element is not <networkport>");
        return xml_networkport_from_node(d, root, ret);
}

static int network_from_file(vfh_ctx *ctx, const char *name, const char *path, int fd,
                             struct vfh_network **ret)
{
        _cleanup_(xml_doc_freep) struct xml_doc *d = NULL;
        _cleanup_(vfh_network_freep) struct vfh_network *n = NULL;
        _cleanup_free_ char *xml = NULL;
        char label[PATH_MAX + 64];
        struct stat st;
        size_t len;
        int r;

        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return vfh_errorf(ctx, r, "network '%s': cannot stat %s: %s", name, path,
                                  strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return vfh_errorf(ctx, EINVAL, "network '%s': %s is not a regular file", name,
                                  path);
        r = vfh_xml_read_fd(fd, &xml, &len);
        if (r < 0)
                return vfh_errorf(ctx, r, "network '%s': cannot read %s: %s", name, path,
                                  strerror(-r));
        snprintf(label, sizeof(label), "network '%s' (%s)", name, path);
        r = xml_doc_read(ctx, label, xml, len, &d);
        if (r >= 0)
                r = network_from_root(d, xmlDocGetRootElement(d->doc), &n);
        if (r < 0)
                return r;
        if (strcmp(n->name, name) != 0)
                return xml_fail(d, xmlDocGetRootElement(d->doc), NULL, EINVAL,
                                "defines network '%.64s', not '%s'; the file is misnamed", n->name,
                                name);
        *ret = TAKE_PTR(n);
        return 0;
}

int vfh_network_lookup(vfh_ctx *ctx, const char *name, struct vfh_network **ret)
{
        char searched[VFH_ERROR_MAX / 2] = "";

        if (!vfh_network_name_is_valid(name))
                return vfh_errorf(ctx, EINVAL,
                                  "network name '%.64s' is invalid: it is empty or contains "
                                  "'/' or '..'",
                                  name ? name : "");
        for (size_t i = 0; i < ctx->n_network_dirs; i++) {
                const char *dir = ctx->network_dirs[i];
                /* O_NONBLOCK: a FIFO planted there must not hang the hook. */
                _cleanup_close_ int fd =
                    sysfs_open(ctx, O_RDONLY | O_NONBLOCK, "%s/%s.xml", dir, name);
                char path[PATH_MAX];

                snprintf(path, sizeof(path), "%s/%s.xml", dir, name);
                if (fd >= 0)
                        return network_from_file(ctx, name, path, fd, ret);
                if (fd != -ENOENT && fd != -ENOTDIR)
                        return vfh_errorf(ctx, fd, "network '%s': cannot open %s: %s", name, path,
                                          strerror(-fd));
                snprintf(searched + strlen(searched), sizeof(searched) - strlen(searched), "%s%s",
                         i ? ", " : "", dir);
        }
        return vfh_errorf(ctx, ENOENT,
                          "network '%s' is not defined: no %s.xml in %s; define it or fix "
                          "<source network>",
                          name, name, searched);
}

void vfh_network_free(struct vfh_network *n)
{
        if (!n)
                return;
        free(n->name);
        free(n->forward_mode);
        free(n->driver_name);
        free(n->driver_model);
        for (size_t i = 0; i < n->n_pf_devs; i++)
                free(n->pf_devs[i]);
        free(n->pf_devs);
        free(n->addresses);
        free(n);
}

void vfh_networkport_free(struct vfh_networkport *p)
{
        if (!p)
                return;
        free(p->owner_name);
        free(p->vlan.tags);
        free(p->plug_type);
        free(p->driver_name);
        free(p->driver_model);
        free(p);
}
