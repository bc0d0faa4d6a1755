/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl parse: reads any document vfiohook reads (domain, network, networkport,
 * networkstatus, hookData) and prints the normalised model, as text or as JSON (vfiohookctl(8)
 * documents the keys). It is how tests, and admins, see what the hooks will see.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"

static const char *yes_no(bool b)
{
        return b ? "yes" : "no";
}

static const char *or_dash(const char *s)
{
        return s ? s : "-";
}

static const char *toggle_name(enum vfh_toggle t)
{
        return t == VFH_TOGGLE_ON ? "on" : t == VFH_TOGGLE_OFF ? "off" : NULL;
}

static const char *link_state_name(enum vfh_link_state s)
{
        static const char *const names[] = {NULL, "auto", "enable", "disable"};

        return names[s];
}

static const char *native_mode_name(enum vfh_vlan_native_mode m)
{
        static const char *const names[] = {NULL, "tagged", "untagged"};

        return names[m];
}

static bool settings_empty(const struct vfh_vf_settings *s)
{
        static const struct vfh_vf_settings none;

        return memcmp(s, &none, sizeof(none)) == 0;
}

/* ---- text ---------------------------------------------------------------------------- */

static void text_vlan(FILE *out, const struct vfh_vlan *v)
{
        fputs(" vlan=", out);
        if (v->n_tags == 0)
                fputc('-', out);
        if (v->trunk)
                fputs("trunk:", out);
        for (size_t i = 0; i < v->n_tags; i++) {
                fprintf(out, "%s%u", i ? "," : "", v->tags[i].id);
                if (v->tags[i].native_mode)
                        fprintf(out, "/native-%s", native_mode_name(v->tags[i].native_mode));
        }
}

static void text_mac(FILE *out, const char *key, bool has, const struct mac_addr *mac)
{
        char buf[MAC_ADDR_STRLEN];

        fprintf(out, " %s=%s", key, has ? mac_addr_format(mac, buf) : "-");
}

static void text_settings(FILE *out, const char *indent, const struct vfh_vf_settings *s)
{
        if (settings_empty(s))
                return;
        fprintf(out, "%ssettings", indent);
        if (s->spoofchk)
                fprintf(out, " spoofchk=%s", toggle_name(s->spoofchk));
        if (s->trust)
                fprintf(out, " trust=%s", toggle_name(s->trust));
        if (s->state)
                fprintf(out, " state=%s", link_state_name(s->state));
        if (s->has_min_tx_rate)
                fprintf(out, " min_tx_rate=%u", s->min_tx_rate);
        if (s->has_max_tx_rate)
                fprintf(out, " max_tx_rate=%u", s->max_tx_rate);
        if (s->query_rss)
                fprintf(out, " query_rss=%s", toggle_name(s->query_rss));
        if (s->has_mac)
                text_mac(out, "mac", true, &s->mac);
        if (s->has_vlan)
                fprintf(out, " vlan=%u", s->vlan);
        if (s->has_qos)
                fprintf(out, " qos=%u", s->qos);
        fputc('\n', out);
}

static void text_network(FILE *out, const char *indent, const struct vfh_network *n)
{
        char buf[PCI_ADDR_STRLEN];

        fprintf(out, "%snetwork %s uuid=%s forward=%s managed=%s driver=%s model=%s\n", indent,
                n->name, n->has_uuid ? n->uuid : "-", or_dash(n->forward_mode), yes_no(n->managed),
                or_dash(n->driver_name), or_dash(n->driver_model));
        for (size_t i = 0; i < n->n_pf_devs; i++)
                fprintf(out, "%s  pf %s\n", indent, n->pf_devs[i]);
        for (size_t i = 0; i < n->n_addresses; i++)
                fprintf(out, "%s  address %s\n", indent, pci_addr_format(&n->addresses[i], buf));
        if (!n->has_pool)
                return;
        fprintf(out, "%s  pool", indent);
        if (n->pool.has_numvfs)
                fprintf(out, " numvfs=%u", n->pool.numvfs);
        if (n->pool.remove_on_stop)
                fprintf(out, " remove_on_stop=%s", yes_no(n->pool.remove_on_stop == VFH_TOGGLE_ON));
        fputc('\n', out);
        text_settings(out, "    ", &n->pool.settings);
}

static void text_hostdev(FILE *out, const struct vfh_hostdev *h)
{
        char buf[PCI_ADDR_STRLEN];

        switch (h->type) {
        case VFH_HOSTDEV_PCI:
                fprintf(out, "  hostdev pci %s managed=%s driver=%s model=%s alias=%s\n",
                        pci_addr_format(&h->address, buf), yes_no(h->managed),
                        or_dash(h->driver_name), or_dash(h->driver_model), or_dash(h->alias));
                if (h->meta)
                        text_settings(out, "    ", &h->meta->settings);
                break;
        case VFH_HOSTDEV_MDEV:
                fprintf(out, "  hostdev mdev %s model=%s alias=%s\n", h->uuid, or_dash(h->model),
                        or_dash(h->alias));
                if (h->mdev)
                        fprintf(out, "    create parent=%s type=%s\n", h->mdev->parent,
                                h->mdev->type);
                break;
        case VFH_HOSTDEV_OTHER:
                fprintf(out, "  hostdev %s ignored\n", h->type_name);
                break;
        }
}

static void text_interface(FILE *out, const struct vfh_interface *i)
{
        char buf[PCI_ADDR_STRLEN];

        fprintf(out, "  interface %s", i->type_name);
        if (i->type == VFH_INTERFACE_HOSTDEV)
                fprintf(out, " %s", pci_addr_format(&i->address, buf));
        if (i->type == VFH_INTERFACE_NETWORK)
                fprintf(out, " network=%s portgroup=%s", i->source_network, or_dash(i->portgroup));
        if (i->type == VFH_INTERFACE_OTHER)
                fputs(" ignored", out);
        fprintf(out, " managed=%s", yes_no(vfh_interface_is_managed(i)));
        text_mac(out, "mac", i->has_mac, &i->mac);
        text_vlan(out, &i->vlan);
        fprintf(out, " driver=%s model=%s alias=%s virtualport=%s teaming=%s\n",
                or_dash(i->driver_name), or_dash(i->driver_model), or_dash(i->alias),
                i->virtualport ? (*i->virtualport ? i->virtualport : "untyped") : "-",
                or_dash(i->teaming));
        if (i->network && vfh_network_is_hostdev_pool(i->network))
                fprintf(out, "    pool %s pf=%s addresses=%zu\n", i->network->name,
                        i->network->n_pf_devs ? i->network->pf_devs[0] : "-",
                        i->network->n_addresses);
        else if (i->network)
                fprintf(out, "    not a pool: network %s forward=%s\n", i->network->name,
                        or_dash(i->network->forward_mode));
        if (i->meta)
                text_settings(out, "    ", &i->meta->settings);
}

static void text_unmatched_metadata(FILE *out, const struct vfh_domain *d)
{
        char buf[PCI_ADDR_STRLEN];

        for (size_t k = 0; k < d->n_meta_interfaces; k++)
                if (!d->meta_interfaces[k].matched) {
                        fputs("  unmatched vfh:interface", out);
                        if (d->meta_interfaces[k].has_mac)
                                text_mac(out, "mac", true, &d->meta_interfaces[k].mac);
                        else
                                fprintf(out, " alias=%s", d->meta_interfaces[k].alias);
                        fputc('\n', out);
                }
        for (size_t k = 0; k < d->n_meta_hostdevs; k++)
                if (!d->meta_hostdevs[k].matched)
                        fprintf(out, "  unmatched vfh:hostdev address=%s\n",
                                pci_addr_format(&d->meta_hostdevs[k].address, buf));
        for (size_t k = 0; k < d->n_meta_mdevs; k++)
                if (!d->meta_mdevs[k].matched)
                        fprintf(out, "  unmatched vfh:mdev uuid=%s\n", d->meta_mdevs[k].uuid);
}

static void text_domain(FILE *out, const struct vfh_domain *d)
{
        fprintf(out, "domain %s uuid=%s\n", d->name, d->has_uuid ? d->uuid : "-");
        for (size_t k = 0; k < d->n_hostdevs; k++)
                text_hostdev(out, &d->hostdevs[k]);
        for (size_t k = 0; k < d->n_interfaces; k++)
                text_interface(out, &d->interfaces[k]);
        text_unmatched_metadata(out, d);
}

static void text_networkport(FILE *out, const struct vfh_networkport *p)
{
        char buf[PCI_ADDR_STRLEN];

        fprintf(out, "networkport uuid=%s owner=%s owner_uuid=%s", p->has_uuid ? p->uuid : "-",
                or_dash(p->owner_name), p->has_owner_uuid ? p->owner_uuid : "-");
        text_mac(out, "mac", p->has_mac, &p->mac);
        text_vlan(out, &p->vlan);
        fprintf(out, " plug=%s managed=%s driver=%s model=%s address=%s\n", or_dash(p->plug_type),
                p->has_managed ? yes_no(p->managed) : "-", or_dash(p->driver_name),
                or_dash(p->driver_model), p->has_address ? pci_addr_format(&p->address, buf) : "-");
}

static void print_text(FILE *out, const struct vfh_document *doc)
{
        fprintf(out, "kind %s\n", vfh_document_kind_name(doc->kind));
        if (doc->domain)
                text_domain(out, doc->domain);
        if (doc->network)
                text_network(out, "", doc->network);
        if (doc->networkport)
                text_networkport(out, doc->networkport);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void json_kv_address(struct json *j, const char *key, bool has, const struct pci_addr *a)
{
        char buf[PCI_ADDR_STRLEN];

        json_kv_string(j, key, has ? pci_addr_format(a, buf) : NULL);
}

static void json_kv_mac(struct json *j, const char *key, bool has, const struct mac_addr *m)
{
        char buf[MAC_ADDR_STRLEN];

        json_kv_string(j, key, has ? mac_addr_format(m, buf) : NULL);
}

static void json_kv_toggle(struct json *j, const char *key, enum vfh_toggle t)
{
        if (t == VFH_TOGGLE_UNSET)
                json_kv_null(j, key);
        else
                json_kv_bool(j, key, t == VFH_TOGGLE_ON);
}

static void json_kv_optional_uint(struct json *j, const char *key, bool has, unsigned int v)
{
        if (has)
                json_kv_uint(j, key, v);
        else
                json_kv_null(j, key);
}

static void json_vlan(struct json *j, const struct vfh_vlan *v)
{
        json_key(j, "vlan");
        if (v->n_tags == 0) {
                json_null(j);
                return;
        }
        json_object_begin(j);
        json_kv_bool(j, "trunk", v->trunk);
        json_key(j, "tags");
        json_array_begin(j);
        for (size_t i = 0; i < v->n_tags; i++) {
                json_object_begin(j);
                json_kv_uint(j, "id", v->tags[i].id);
                json_kv_string(j, "native_mode", native_mode_name(v->tags[i].native_mode));
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

static void json_settings(struct json *j, const struct vfh_vf_settings *s)
{
        json_key(j, "settings");
        if (!s) {
                json_null(j);
                return;
        }
        json_object_begin(j);
        json_kv_toggle(j, "spoofchk", s->spoofchk);
        json_kv_toggle(j, "trust", s->trust);
        json_kv_string(j, "state", link_state_name(s->state));
        json_kv_optional_uint(j, "min_tx_rate", s->has_min_tx_rate, s->min_tx_rate);
        json_kv_optional_uint(j, "max_tx_rate", s->has_max_tx_rate, s->max_tx_rate);
        json_kv_toggle(j, "query_rss", s->query_rss);
        json_kv_mac(j, "mac", s->has_mac, &s->mac);
        json_kv_optional_uint(j, "vlan", s->has_vlan, s->vlan);
        json_kv_optional_uint(j, "qos", s->has_qos, s->qos);
        json_object_end(j);
}

static void json_network_body(struct json *j, const struct vfh_network *n)
{
        json_object_begin(j);
        json_kv_string(j, "name", n->name);
        json_kv_string(j, "uuid", n->has_uuid ? n->uuid : NULL);
        json_kv_string(j, "forward_mode", n->forward_mode);
        json_kv_bool(j, "hostdev_pool", vfh_network_is_hostdev_pool(n));
        json_kv_bool(j, "managed", n->managed);
        json_kv_string(j, "driver_name", n->driver_name);
        json_kv_string(j, "driver_model", n->driver_model);
        json_key(j, "pf");
        json_array_begin(j);
        for (size_t i = 0; i < n->n_pf_devs; i++)
                json_string(j, n->pf_devs[i]);
        json_array_end(j);
        json_key(j, "addresses");
        json_array_begin(j);
        for (size_t i = 0; i < n->n_addresses; i++) {
                char buf[PCI_ADDR_STRLEN];

                json_string(j, pci_addr_format(&n->addresses[i], buf));
        }
        json_array_end(j);
        json_key(j, "pool");
        if (!n->has_pool) {
                json_null(j);
        } else {
                json_object_begin(j);
                json_kv_optional_uint(j, "numvfs", n->pool.has_numvfs, n->pool.numvfs);
                json_kv_toggle(j, "remove_on_stop", n->pool.remove_on_stop);
                json_settings(j, &n->pool.settings);
                json_object_end(j);
        }
        json_object_end(j);
}

/* A plain hostdev has no MAC or VLAN in libvirt's XML: the ones it gets are ours, from
 * <vfh:hostdev>, so they are shown as the keys every device has. */
static void json_hostdev_mac_vlan(struct json *j, const struct vfh_hostdev *h)
{
        const struct vfh_vf_settings *s = h->meta ? &h->meta->settings : NULL;

        json_kv_mac(j, "mac", s && s->has_mac, s ? &s->mac : NULL);
        json_key(j, "vlan");
        if (!s || !s->has_vlan) {
                json_null(j);
                return;
        }
        json_object_begin(j);
        json_kv_bool(j, "trunk", false);
        json_key(j, "tags");
        json_array_begin(j);
        json_object_begin(j);
        json_kv_uint(j, "id", s->vlan);
        json_kv_null(j, "native_mode");
        json_object_end(j);
        json_array_end(j);
        json_object_end(j);
}

static void json_hostdev(struct json *j, const struct vfh_hostdev *h)
{
        static const char *const types[] = {"pci", "mdev", "other"};

        json_object_begin(j);
        json_kv_string(j, "type", types[h->type]);
        json_kv_string(j, "source_type", h->type_name);
        json_kv_bool(j, "ignored", h->type == VFH_HOSTDEV_OTHER);
        json_kv_address(j, "address", h->has_address, &h->address);
        json_kv_bool(j, "managed", h->managed);
        json_hostdev_mac_vlan(j, h);
        json_kv_null(j, "source_network");
        json_kv_null(j, "pool");
        json_kv_string(j, "driver_name", h->driver_name);
        json_kv_string(j, "driver_model", h->driver_model);
        json_kv_string(j, "alias", h->alias);
        json_kv_string(j, "mdev_uuid", h->type == VFH_HOSTDEV_MDEV ? h->uuid : NULL);
        json_kv_string(j, "mdev_model", h->model);
        json_key(j, "mdev_create");
        if (h->mdev) {
                json_object_begin(j);
                json_kv_string(j, "parent", h->mdev->parent);
                json_kv_string(j, "type", h->mdev->type);
                json_object_end(j);
        } else {
                json_null(j);
        }
        json_settings(j, h->meta ? &h->meta->settings : NULL);
        json_object_end(j);
}

static void json_interface(struct json *j, const struct vfh_interface *i)
{
        const struct vfh_network *n = i->network;
        bool pool = vfh_network_is_hostdev_pool(n);

        json_object_begin(j);
        json_kv_string(j, "type", i->type_name);
        json_kv_bool(j, "ignored", i->type == VFH_INTERFACE_OTHER);
        json_kv_address(j, "address", i->has_address, &i->address);
        json_kv_bool(j, "managed", vfh_interface_is_managed(i));
        json_kv_mac(j, "mac", i->has_mac, &i->mac);
        json_vlan(j, &i->vlan);
        json_kv_string(j, "driver_name", i->driver_name);
        json_kv_string(j, "driver_model", i->driver_model);
        json_kv_string(j, "alias", i->alias);
        json_kv_string(j, "virtualport", i->virtualport);
        json_kv_string(j, "teaming", i->teaming);
        json_kv_string(j, "source_network", i->source_network);
        json_kv_string(j, "portgroup", i->portgroup);
        json_key(j, "pool");
        if (pool) {
                json_object_begin(j);
                json_kv_string(j, "network", n->name);
                json_kv_string(j, "pf", n->n_pf_devs ? n->pf_devs[0] : NULL);
                json_kv_uint(j, "addresses", n->n_addresses);
                json_object_end(j);
        } else {
                json_null(j);
        }
        json_settings(j, i->meta ? &i->meta->settings : NULL);
        json_object_end(j);
}

static void json_metadata(struct json *j, const struct vfh_domain *d)
{
        char buf[PCI_ADDR_STRLEN];

        json_key(j, "metadata");
        json_object_begin(j);
        json_key(j, "interfaces");
        json_array_begin(j);
        for (size_t k = 0; k < d->n_meta_interfaces; k++) {
                const struct vfh_meta_interface *m = &d->meta_interfaces[k];

                json_object_begin(j);
                json_kv_mac(j, "mac", m->has_mac, &m->mac);
                json_kv_string(j, "alias", m->alias);
                json_kv_bool(j, "matched", m->matched);
                json_settings(j, &m->settings);
                json_object_end(j);
        }
        json_array_end(j);
        json_key(j, "hostdevs");
        json_array_begin(j);
        for (size_t k = 0; k < d->n_meta_hostdevs; k++) {
                json_object_begin(j);
                json_kv_string(j, "address", pci_addr_format(&d->meta_hostdevs[k].address, buf));
                json_kv_bool(j, "matched", d->meta_hostdevs[k].matched);
                json_settings(j, &d->meta_hostdevs[k].settings);
                json_object_end(j);
        }
        json_array_end(j);
        json_key(j, "mdevs");
        json_array_begin(j);
        for (size_t k = 0; k < d->n_meta_mdevs; k++) {
                json_object_begin(j);
                json_kv_string(j, "uuid", d->meta_mdevs[k].uuid);
                json_kv_string(j, "parent", d->meta_mdevs[k].parent);
                json_kv_string(j, "type", d->meta_mdevs[k].type);
                json_kv_bool(j, "matched", d->meta_mdevs[k].matched);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

static void json_domain(struct json *j, const struct vfh_domain *d)
{
        json_key(j, "domain");
        json_object_begin(j);
        json_kv_string(j, "name", d->name);
        json_kv_string(j, "uuid", d->has_uuid ? d->uuid : NULL);
        json_key(j, "hostdevs");
        json_array_begin(j);
        for (size_t k = 0; k < d->n_hostdevs; k++)
                json_hostdev(j, &d->hostdevs[k]);
        json_array_end(j);
        json_key(j, "interfaces");
        json_array_begin(j);
        for (size_t k = 0; k < d->n_interfaces; k++)
                json_interface(j, &d->interfaces[k]);
        json_array_end(j);
        json_key(j, "networks");
        json_array_begin(j);
        for (size_t k = 0; k < d->n_networks; k++)
                json_network_body(j, d->networks[k]);
        json_array_end(j);
        json_metadata(j, d);
        json_object_end(j);
}

static void json_networkport(struct json *j, const struct vfh_networkport *p)
{
        json_key(j, "networkport");
        if (!p) {
                json_null(j);
                return;
        }
        json_object_begin(j);
        json_kv_string(j, "uuid", p->has_uuid ? p->uuid : NULL);
        json_kv_string(j, "owner_name", p->owner_name);
        json_kv_string(j, "owner_uuid", p->has_owner_uuid ? p->owner_uuid : NULL);
        json_kv_mac(j, "mac", p->has_mac, &p->mac);
        json_vlan(j, &p->vlan);
        json_kv_string(j, "plug_type", p->plug_type);
        json_key(j, "managed");
        if (p->has_managed)
                json_bool(j, p->managed);
        else
                json_null(j);
        json_kv_string(j, "driver_name", p->driver_name);
        json_kv_string(j, "driver_model", p->driver_model);
        json_kv_address(j, "address", p->has_address, &p->address);
        json_object_end(j);
}

static void print_json(FILE *out, const struct vfh_document *doc)
{
        struct json j;

        json_init(&j, out);
        json_document_begin(&j);
        json_kv_string(&j, "kind", vfh_document_kind_name(doc->kind));
        if (doc->domain)
                json_domain(&j, doc->domain);
        if (doc->network) {
                json_key(&j, "network");
                json_network_body(&j, doc->network);
        }
        if (doc->kind == VFH_DOC_NETWORKPORT || doc->kind == VFH_DOC_HOOKDATA)
                json_networkport(&j, doc->networkport);
        json_document_end(&j);
}

/* ---- the command --------------------------------------------------------------------- */

static int read_document(const char *path, char **ret, size_t *len)
{
        _cleanup_close_ int fd =
            strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);

        return fd < 0 ? negative_errno() : vfh_xml_read_fd(fd, ret, len);
}

/* Network directories are resolved under the sysroot; a relative one only makes sense on the
 * host itself, where it is taken from the current directory. */
static int add_network_dir(struct cli *cli, const char *dir)
{
        char abs[PATH_MAX];

        if (dir[0] != '/') {
                if (strcmp(vfh_ctx_get_sysroot(cli->ctx), "/") != 0)
                        return cli_usage_error(
                            "parse", "--network-dir %s: must be absolute with --sysroot", dir);
                if (!getcwd(abs, sizeof(abs)) ||
                    (size_t)snprintf(abs + strlen(abs), sizeof(abs) - strlen(abs), "/%s", dir) >=
                        sizeof(abs) - strlen(abs))
                        return cli_fail("--network-dir %s: path too long", dir);
                dir = abs;
        }
        return vfh_ctx_add_network_dir(cli->ctx, dir) < 0 ? cli_fail_lib(cli, -EINVAL) : EXIT_OK;
}

int cmd_parse(struct cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
            {"xml", required_argument, NULL, 'x'},
            {"network-dir", required_argument, NULL, 'n'},
            {"json", no_argument, NULL, 'j'},
            {"no-network-lookup", no_argument, NULL, 'N'},
            {},
        };
        _cleanup_(vfh_document_freep) struct vfh_document *doc = NULL;
        _cleanup_free_ char *xml = NULL;
        const char *path = NULL;
        unsigned int flags = 0;
        bool json = false;
        size_t len;
        int c, r;

        opterr = 0; /* our own message names the command */
        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                switch (c) {
                case 'x':
                        path = optarg;
                        break;
                case 'n':
                        r = add_network_dir(cli, optarg);
                        if (r != EXIT_OK)
                                return r;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'N':
                        flags |= VFH_PARSE_NO_NETWORK_LOOKUP;
                        break;
                default:
                        return cli_usage_error("parse", "unknown option or missing argument: %s",
                                               argv[optind - 1]);
                }
        }
        if (optind < argc)
                return cli_usage_error("parse", "unexpected argument '%s'", argv[optind]);
        if (!path)
                return cli_usage_error("parse", "--xml FILE is required ('-' reads stdin)");
        r = read_document(path, &xml, &len);
        if (r < 0)
                return cli_fail("%s: cannot read: %s", path, strerror(-r));
        r = vfh_document_parse_flags(cli->ctx, xml, len, flags, &doc);
        if (r < 0) /* the library knows the line, only we know the file */
                return cli_fail("%s: %s", strcmp(path, "-") == 0 ? "stdin" : path,
                                vfh_ctx_last_error(cli->ctx));
        if (json)
                print_json(stdout, doc);
        else
                print_text(stdout, doc);
        return fflush(stdout) == 0 ? EXIT_OK : cli_fail("writing output: %s", strerror(errno));
}
