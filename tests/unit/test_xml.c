/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The XML model: libvirt's number rules, every passthrough form, metadata matching, lookup. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "xml_util.h"

#include <libxml/xmlerror.h>
#include <libxml/globals.h>
#include "support.h"

static vfh_ctx *fixture_ctx(void)
{
        vfh_ctx *ctx = NULL;

        CHECK_INT(vfh_ctx_new(&ctx), 0);
        CHECK_INT(vfh_ctx_set_sysroot(ctx, test_src_path("tests/fixtures/xml")), 0);
        CHECK_INT(vfh_ctx_add_network_dir(ctx, "/networks/run"), 0);
        CHECK_INT(vfh_ctx_add_network_dir(ctx, "/networks/etc"), 0);
        return ctx;
}

static char *slurp(const char *rel, size_t *len)
{
        FILE *f = fopen(test_src_path(rel), "r");
        char *buf = calloc(1, VFH_XML_MAX_SIZE + 2);

        if (!f || !buf) {
                perror(rel);
                exit(1);
        }
        *len = fread(buf, 1, VFH_XML_MAX_SIZE + 1, f);
        fclose(f);
        return buf;
}

static int parse_domain_file(vfh_ctx *ctx, const char *rel, struct vfh_domain **ret)
{
        size_t len;
        _cleanup_free_ char *xml = slurp(rel, &len);

        return vfh_domain_parse(ctx, xml, len, ret);
}

static int parse_domain_string(vfh_ctx *ctx, const char *xml, struct vfh_domain **ret)
{
        return vfh_domain_parse(ctx, xml, strlen(xml), ret);
}

static const char *addr(const struct pci_addr *a)
{
        static char buf[4][PCI_ADDR_STRLEN];
        static int next;

        return pci_addr_format(a, buf[next++ % 4]);
}

TEST(hostdev_numbers_follow_strtoul_base_0)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;

        CHECK_INT(parse_domain_file(ctx, "tests/fixtures/xml/domain/hostdev-variants.xml", &dom),
                  0);
        if (!dom)
                return (void)vfh_ctx_unref(ctx);
        CHECK_STR(dom->name, "hostdev-variants");
        CHECK_STR(dom->uuid, "6f1c3f2e-8a41-4f0e-9b65-3d2c1a7e5b90");
        CHECK_INT(dom->n_hostdevs, 8);
        /* hex with domain, and the guest-side <address> sibling is not the host address */
        CHECK_STR(addr(&dom->hostdevs[0].address), "0000:03:00.0");
        CHECK(dom->hostdevs[0].managed);
        CHECK_STR(dom->hostdevs[0].driver_name, "vfio");
        CHECK(!dom->hostdevs[0].driver_model);
        /* bus='10' is decimal ten, not 0x10 */
        CHECK_STR(addr(&dom->hostdevs[1].address), "0000:0a:00.1");
        CHECK(!dom->hostdevs[1].managed);
        CHECK(!dom->hostdevs[1].driver_name);
        /* bus='010' is octal eight */
        CHECK_STR(addr(&dom->hostdevs[2].address), "0000:08:02.0");
        CHECK_STR(addr(&dom->hostdevs[3].address), "0001:81:10.2");
        CHECK_STR(dom->hostdevs[3].driver_model, "mlx5_vfio_pci");
        CHECK_STR(addr(&dom->hostdevs[4].address), "0000:05:00.1");
        CHECK_STR(addr(&dom->hostdevs[5].address), "0000:05:00.0");
        CHECK_INT(dom->hostdevs[6].type, VFH_HOSTDEV_MDEV);
        CHECK_STR(dom->hostdevs[6].uuid, "c2177883-f1bb-47f0-914d-32a22e3a8804");
        CHECK_STR(dom->hostdevs[6].model, "vfio-pci");
        CHECK(!dom->hostdevs[6].has_address);
        CHECK_INT(dom->hostdevs[7].type, VFH_HOSTDEV_OTHER);
        CHECK_STR(dom->hostdevs[7].type_name, "subsystem/usb");
        vfh_ctx_unref(ctx);
}

/* Recorded from libvirtd 9.0 in the VM: managed='true', 'Yes', '1' all mean no. */
TEST(managed_is_only_yes)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;

        CHECK_INT(parse_domain_file(ctx, "tests/fixtures/xml/domain/managed-spellings.xml", &dom),
                  0);
        if (dom) {
                CHECK(!dom->hostdevs[0].managed);
                CHECK(!dom->hostdevs[1].managed);
                CHECK(!dom->interfaces[0].managed);
        }
        vfh_ctx_unref(ctx);
}

TEST(interface_hostdev_forms)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        char mac[MAC_ADDR_STRLEN];

        CHECK_INT(parse_domain_file(ctx, "tests/fixtures/xml/domain/interface-hostdev.xml", &dom),
                  0);
        if (!dom)
                return (void)vfh_ctx_unref(ctx);
        CHECK_INT(dom->n_interfaces, 6);
        CHECK_INT(dom->interfaces[0].type, VFH_INTERFACE_HOSTDEV);
        CHECK(dom->interfaces[0].managed);
        CHECK_STR(addr(&dom->interfaces[0].address), "0000:81:10.2");
        CHECK_STR(mac_addr_format(&dom->interfaces[0].mac, mac), "52:54:00:6d:90:02");
        CHECK_INT(dom->interfaces[0].vlan.n_tags, 1);
        CHECK(!dom->interfaces[0].vlan.trunk);
        CHECK_INT(dom->interfaces[0].vlan.tags[0].id, 42);
        CHECK_STR(dom->interfaces[0].alias, "ua-sriov0");
        /* managed missing means no for interfaces too (libvirt's default) */
        CHECK(!dom->interfaces[1].managed);
        CHECK_STR(addr(&dom->interfaces[1].address), "0000:81:10.3");
        CHECK(dom->interfaces[1].vlan.trunk);
        CHECK_INT(dom->interfaces[1].vlan.n_tags, 2);
        CHECK_INT(dom->interfaces[1].vlan.tags[1].native_mode, VFH_VLAN_NATIVE_UNTAGGED);
        CHECK_STR(dom->interfaces[2].virtualport, "802.1Qbh");
        CHECK_STR(dom->interfaces[2].driver_model, "mlx5_vfio_pci");
        CHECK_INT(dom->interfaces[3].type, VFH_INTERFACE_OTHER);
        CHECK_STR(dom->interfaces[3].teaming, "persistent");
        CHECK_STR(dom->interfaces[4].teaming, "transient");
        CHECK_INT(dom->interfaces[5].type, VFH_INTERFACE_OTHER);
        CHECK(!dom->interfaces[5].has_address);
        vfh_ctx_unref(ctx);
}

TEST(interface_network_resolves_pool_from_run_dir_first)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        const struct vfh_network *pool;

        CHECK_INT(parse_domain_file(ctx, "tests/fixtures/xml/domain/interface-network.xml", &dom),
                  0);
        if (!dom)
                return (void)vfh_ctx_unref(ctx);
        CHECK_INT(dom->n_interfaces, 5);
        /* three distinct networks, sriov-pool read once for two interfaces */
        CHECK_INT(dom->n_networks, 3);
        pool = dom->interfaces[0].network;
        CHECK(pool && pool == dom->interfaces[1].network);
        CHECK(vfh_network_is_hostdev_pool(pool));
        /* the live status file (with the VF list libvirt built) wins over the config */
        CHECK_INT(pool->n_addresses, 4);
        CHECK_INT(pool->n_pf_devs, 1);
        CHECK_STR(pool->pf_devs[0], "enp2s0f0");
        CHECK(pool->has_pool && pool->pool.numvfs == 4);
        CHECK_INT(pool->pool.settings.spoofchk, VFH_TOGGLE_OFF);
        CHECK_STR(dom->interfaces[1].portgroup, "engineering");
        CHECK_INT(dom->interfaces[2].network->n_addresses, 2);
        CHECK_STR(addr(&dom->interfaces[2].network->addresses[1]), "0000:03:10.3");
        CHECK(!vfh_network_is_hostdev_pool(dom->interfaces[3].network));
        CHECK_INT(dom->interfaces[4].type, VFH_INTERFACE_OTHER);
        vfh_ctx_unref(ctx);
}

TEST(network_dirs_are_searched_in_order)
{
        vfh_ctx *ctx = NULL;
        _cleanup_(vfh_network_freep) struct vfh_network *net = NULL;

        CHECK_INT(vfh_ctx_new(&ctx), 0);
        CHECK_INT(vfh_ctx_set_sysroot(ctx, test_src_path("tests/fixtures/xml")), 0);
        CHECK_INT(vfh_ctx_add_network_dir(ctx, "/networks/etc"), 0);
        CHECK_INT(vfh_ctx_add_network_dir(ctx, "/networks/run"), 0);
        CHECK_INT(vfh_network_lookup(ctx, "sriov-pool", &net), 0);
        /* the config file has no address list: it came first this time */
        CHECK(net && net->n_addresses == 0);
        CHECK_INT(vfh_network_lookup(ctx, "nosuchnet", &net), -ENOENT);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "network 'nosuchnet' is not defined");
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "/networks/etc, /networks/run");
        vfh_ctx_unref(ctx);
}

TEST(network_names_cannot_leave_the_directory)
{
        static const char *const bad[] = {"", "..", "a/b", "../etc/passwd", "x..y", "/abs"};
        vfh_ctx *ctx = fixture_ctx();
        struct vfh_network *net = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                CHECK_INT(vfh_network_lookup(ctx, bad[i], &net), -EINVAL);
                CHECK(!net);
        }
        CHECK(vfh_network_name_is_valid("sriov-pool"));
        CHECK(vfh_network_name_is_valid("pool.1"));
        vfh_ctx_unref(ctx);
}

TEST(metadata_matches_by_namespace_not_prefix)
{
        static const char *const files[] = {
            "tests/fixtures/xml/domain/metadata.xml",
            "tests/fixtures/xml/domain/metadata-other-prefix.xml",
        };

        for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
                vfh_ctx *ctx = fixture_ctx();
                _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;

                CHECK_INT(parse_domain_file(ctx, files[f], &dom), 0);
                if (!dom) {
                        vfh_ctx_unref(ctx);
                        continue;
                }
                CHECK_INT(dom->n_meta_interfaces, 3);
                CHECK_INT(dom->n_meta_hostdevs, 1);
                CHECK_INT(dom->n_meta_mdevs, 1);
                /* by MAC */
                CHECK(dom->interfaces[0].meta == &dom->meta_interfaces[0]);
                CHECK_INT(dom->interfaces[0].meta->settings.trust, VFH_TOGGLE_ON);
                CHECK_INT(dom->interfaces[0].meta->settings.max_tx_rate, 1000);
                CHECK(dom->interfaces[0].meta->settings.has_min_tx_rate);
                CHECK_INT(dom->interfaces[0].meta->settings.state, VFH_LINK_STATE_AUTO);
                /* by alias */
                CHECK(dom->interfaces[1].meta == &dom->meta_interfaces[1]);
                CHECK(!dom->meta_interfaces[2].matched);
                CHECK(dom->hostdevs[0].meta == &dom->meta_hostdevs[0]);
                CHECK_INT(dom->hostdevs[0].meta->settings.vlan, 42);
                CHECK(dom->hostdevs[0].meta->settings.has_qos);
                CHECK(dom->hostdevs[1].mdev == &dom->meta_mdevs[0]);
                CHECK_STR(dom->meta_mdevs[0].parent, "0000:00:02.0");
                vfh_ctx_unref(ctx);
        }
}

/* Each hostile fixture fails with one line naming where, and why. */
static void check_refused(const char *file, int err, const char *needle)
{
        vfh_ctx *ctx = fixture_ctx();
        struct vfh_domain *dom = NULL;
        char rel[256];

        snprintf(rel, sizeof(rel), "tests/fixtures/xml/hostile/%s", file);
        CHECK_INT(parse_domain_file(ctx, rel, &dom), -err);
        CHECK(!dom);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), needle);
        CHECK(!strchr(vfh_ctx_last_error(ctx), '\n'));
        if (!strstr(vfh_ctx_last_error(ctx), needle))
                fprintf(stderr, "  (%s)\n", file);
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(hostile_documents_are_refused)
{
        check_refused("xxe.xml", EBADMSG, "domain XML line 2: <!DOCTYPE> refused");
        check_refused("xxe-parameter.xml", EBADMSG, "line 2: <!DOCTYPE> refused");
        check_refused("billion-laughs.xml", EBADMSG, "<!DOCTYPE> refused");
        check_refused("undefined-entity.xml", EBADMSG, "line 2: malformed XML: Entity 'undefined'");
        check_refused("malformed.xml", EBADMSG, "line 8: malformed XML: Opening and ending tag");
        check_refused("empty.xml", EINVAL, "domain XML: empty document");
        check_refused("undeclared-prefix.xml", EBADMSG, "Namespace prefix vfh");
        check_refused("unknown-root.xml", EINVAL, "root element is not <domain>");
}

TEST(bad_values_name_element_line_and_reason)
{
        check_refused("bus-out-of-range.xml", ERANGE,
                      "domain XML line 7: <hostdev>/<source>/<address bus='0x1ff'>: bus out of "
                      "range (0-255)");
        check_refused("slot-out-of-range.xml", ERANGE, "<address slot='32'>: slot out of range");
        check_refused("function-out-of-range.xml", ERANGE, "function out of range (0-7)");
        check_refused("negative-number.xml", EINVAL, "bus='-1'>: bus is not a number");
        check_refused("junk-number.xml", EINVAL, "bus='0x8g'>: bus is not a number");
        check_refused("octal-nine.xml", EINVAL, "bus='09'>: bus is not a number");
        check_refused("no-source-address.xml", EINVAL, "line 5: <hostdev>: no <source><address");
        check_refused("duplicate-device.xml", EINVAL,
                      "line 10: host device 0000:81:10.2 is also passed through on line 5");
        check_refused("vlan-out-of-range.xml", ERANGE,
                      "<interface>/<vlan>/<tag id='4096'>: id out of range (0-4095)");
        check_refused("vlan-trunk-no.xml", EINVAL, "several tags need trunk='yes'");
        check_refused("invalid-mac.xml", EINVAL, "<mac address='52:54:00:6d:90'>: invalid MAC");
        check_refused("no-name.xml", EINVAL, "line 1: <domain>: missing <name>");
        check_refused("bad-uuid.xml", EINVAL, "invalid UUID 'not-a-uuid'");
}

TEST(bad_networks_are_refused)
{
        check_refused("network-name-slash.xml", EINVAL, "<source network='a/b'>: invalid network");
        check_refused("network-name-dotdot.xml", EINVAL, "<source network='..'>: invalid");
        check_refused("network-name-empty.xml", EINVAL, "<source network=''>: invalid");
        check_refused("network-name-dots.xml", EINVAL, "<source network='x..y'>: invalid");
        check_refused("unknown-network.xml", ENOENT,
                      "network 'nosuchnet' is not defined: no nosuchnet.xml in /networks/run, "
                      "/networks/etc");
        check_refused("misnamed-network.xml", EINVAL, "defines network 'not-misnamed'");
        check_refused("network-bad-address.xml", ERANGE,
                      "network 'bad-address' (/networks/etc/bad-address.xml) line 4: "
                      "<forward>/<address slot='0x20'>: slot out of range (0-31)");
}

TEST(bad_metadata_is_refused)
{
        check_refused("metadata-invalid-mac.xml", EINVAL,
                      "line 5: <vfh:vfiohook>/<vfh:interface mac='52:54:00:6d:90:zz'>: invalid "
                      "MAC");
        check_refused("metadata-multicast-mac.xml", EINVAL, "unicast, non-zero MAC");
        check_refused("metadata-unknown-element.xml", EINVAL, "<vfh:interfaces>: unknown element");
        check_refused("metadata-unknown-attribute.xml", EINVAL, "unknown attribute 'spoofcheck'");
        check_refused("metadata-bad-toggle.xml", EINVAL, "spoofchk must be 'on' or 'off'");
        check_refused("metadata-mac-and-alias.xml", EINVAL, "give exactly one of mac");
        check_refused("metadata-bad-address.xml", EINVAL, "invalid PCI address");
        check_refused("metadata-duplicate.xml", EINVAL,
                      "same interface as the <vfh:interface> on line 5");
        check_refused("metadata-mdev-parent.xml", EINVAL, "invalid parent");
}

TEST(size_and_depth_limits)
{
        vfh_ctx *ctx = fixture_ctx();
        struct vfh_domain *dom = NULL;
        size_t depth = VFH_XML_MAX_DEPTH + 1, len = 0;
        _cleanup_free_ char *big = malloc(VFH_XML_MAX_SIZE + 1);
        _cleanup_free_ char *deep = malloc(depth * 8 + 64);

        if (!big || !deep)
                return (void)vfh_ctx_unref(ctx);
        memset(big, ' ', VFH_XML_MAX_SIZE + 1);
        memcpy(big, "<domain>", 8);
        CHECK_INT(vfh_domain_parse(ctx, big, VFH_XML_MAX_SIZE + 1, &dom), -EFBIG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "larger than the 1048576-byte limit");

        len += (size_t)sprintf(deep + len, "<domain>");
        for (size_t i = 1; i < depth; i++)
                len += (size_t)sprintf(deep + len, "<a>");
        CHECK_INT(vfh_domain_parse(ctx, deep, len, &dom), -EBADMSG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "<a>: elements nested deeper than 64");
        CHECK(!dom);
        vfh_ctx_unref(ctx);
}

/* libxml2 must not print anything itself: hooks own stderr, and libvirt shows it to users. */
TEST(libxml2_never_writes_to_stderr)
{
        vfh_ctx *ctx = fixture_ctx();
        struct vfh_domain *dom = NULL;
        const char *dir = test_tmpdir();
        char path[512], buf[64] = "";
        int saved = dup(2), fd;

        snprintf(path, sizeof(path), "%s/stderr", dir);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        CHECK(fd >= 0 && saved >= 0);
        dup2(fd, 2);
        parse_domain_string(ctx, "<domain><name>x</name><a></b></domain>", &dom);
        parse_domain_string(ctx, "<domain xmlns:a='relative'><name>&amp;&bogus;</name></domain>",
                            &dom);
        parse_domain_string(ctx, "<?xml version='1.0' encoding='nope'?><domain/>", &dom);
        /* encoding errors are raised without the parser context, through the global handlers */
        parse_domain_string(ctx, "<?xml version='1.0' encoding='UCS-4'?><domain>\xff\xfe</domain>",
                            &dom);
        parse_domain_string(ctx, "<?xml version='1.0' encoding='EBCDIC-US'?><domain/>", &dom);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        CHECK_INT(pread(fd, buf, sizeof(buf) - 1, 0), 0);
        close(fd);
        CHECK(!dom);
        vfh_ctx_unref(ctx);
}

static int caller_errors;

static void caller_generic_error(void *data, const char *fmt, ...)
{
        (void)data, (void)fmt;
        caller_errors++;
}

/* The parse borrows libxml2's thread-wide handlers and must give the caller's back. */
TEST(caller_error_handlers_are_restored)
{
        vfh_ctx *ctx = fixture_ctx();
        struct vfh_domain *dom = NULL;

        xmlSetGenericErrorFunc(NULL, caller_generic_error);
        CHECK_INT(parse_domain_string(
                      ctx, "<?xml version='1.0' encoding='UCS-4'?><domain>\xff\xfe</domain>", &dom),
                  -EBADMSG);
        CHECK_INT(caller_errors, 0);
        CHECK(xmlGenericError == caller_generic_error);
        xmlGenericError(NULL, "mine");
        CHECK_INT(caller_errors, 1);
        xmlSetGenericErrorFunc(NULL, NULL);
        vfh_ctx_unref(ctx);
}

TEST(document_dispatch_on_root)
{
        static const struct {
                const char *file;
                enum vfh_document_kind kind;
        } cases[] = {
            {"domain/interface-hostdev.xml", VFH_DOC_DOMAIN},
            {"network/pool-pf.xml", VFH_DOC_NETWORK},
            {"network/networkport.xml", VFH_DOC_NETWORKPORT},
            {"network/networkstatus.xml", VFH_DOC_NETWORKSTATUS},
            {"network/hookdata-start.xml", VFH_DOC_HOOKDATA},
            {"network/hookdata-port.xml", VFH_DOC_HOOKDATA},
        };
        vfh_ctx *ctx = fixture_ctx();

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_(vfh_document_freep) struct vfh_document *doc = NULL;
                char rel[256];
                size_t len;
                _cleanup_free_ char *xml = NULL;

                snprintf(rel, sizeof(rel), "tests/fixtures/xml/%s", cases[i].file);
                xml = slurp(rel, &len);
                CHECK_INT(vfh_document_parse(ctx, xml, len, &doc), 0);
                if (!doc)
                        continue;
                CHECK_INT(doc->kind, cases[i].kind);
                CHECK(doc->domain || doc->network || doc->networkport);
        }
        vfh_ctx_unref(ctx);
}

TEST(networkport_and_hookdata)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_document_freep) struct vfh_document *doc = NULL;
        _cleanup_(vfh_networkport_freep) struct vfh_networkport *port = NULL;
        size_t len;
        _cleanup_free_ char *xml = slurp("tests/fixtures/xml/network/hookdata-port.xml", &len);
        _cleanup_free_ char *pxml = NULL;
        size_t plen;
        char mac[MAC_ADDR_STRLEN];

        CHECK_INT(vfh_document_parse(ctx, xml, len, &doc), 0);
        if (!doc)
                return (void)vfh_ctx_unref(ctx);
        CHECK_STR(doc->network->name, "sriov-pool");
        CHECK(doc->networkport && doc->networkport->has_address);
        if (doc->networkport) {
                CHECK_STR(addr(&doc->networkport->address), "0000:02:10.2");
                CHECK_STR(doc->networkport->owner_name, "interface-network");
                CHECK_STR(doc->networkport->plug_type, "hostdev-pci");
                CHECK(doc->networkport->has_managed && doc->networkport->managed);
        }
        pxml = slurp("tests/fixtures/xml/network/networkport.xml", &plen);
        CHECK_INT(vfh_networkport_parse(ctx, pxml, plen, &port), 0);
        if (port) {
                CHECK_STR(port->owner_uuid, "8f2d5a1c-0b3e-4c7d-9e6f-1a2b3c4d5e6f");
                CHECK_STR(mac_addr_format(&port->mac, mac), "52:54:00:aa:00:01");
                CHECK_INT(port->vlan.tags[0].id, 100);
        }
        vfh_networkport_free(TAKE_PTR(port));
        CHECK_INT(vfh_networkport_parse(ctx, xml, len, &port), -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "root element is not <networkport>");
        vfh_ctx_unref(ctx);
}

TEST(uuid_forms_libvirt_accepts)
{
        char out[VFH_UUID_STRLEN];

        CHECK_INT(xml_uuid_parse("  6F1C3F2E8A414F0E9B653D2C1A7E5B90 ", out), 0);
        CHECK_STR(out, "6f1c3f2e-8a41-4f0e-9b65-3d2c1a7e5b90");
        CHECK_INT(xml_uuid_parse("6f1c3f2e-8a41-4f0e-9b65-3d2c1a7e5b9", out), -EINVAL);
        CHECK_INT(xml_uuid_parse("-6f1c3f2e8a414f0e9b653d2c1a7e5b90", out), -EINVAL);
        CHECK_INT(xml_uuid_parse("6f1c3f2e8a414f0e9b653d2c1a7e5b900", out), -EINVAL);
}

TEST(numbers_accept_what_libvirt_accepts)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;

        /* virStrToLong_uip: leading blanks and '+' pass through strtoul, '-' never does */
        CHECK_INT(parse_domain_string(ctx,
                                      "<domain><name>n</name><devices><hostdev type='pci'><source>"
                                      "<address domain=' 0' bus='+0x81' slot='0X10' function='2'/>"
                                      "</source></hostdev></devices></domain>",
                                      &dom),
                  0);
        if (dom)
                CHECK_STR(addr(&dom->hostdevs[0].address), "0000:81:10.2");
        CHECK_INT(parse_domain_string(ctx,
                                      "<domain><name>n</name><devices><hostdev type='pci'><source>"
                                      "<address bus='0x81 '/></source></hostdev></devices>"
                                      "</domain>",
                                      &dom),
                  -EINVAL);
        CHECK_INT(parse_domain_string(ctx,
                                      "<domain><name>n</name><devices><hostdev type='pci'><source>"
                                      "<address bus='99999999999999999999999'/></source>"
                                      "</hostdev></devices></domain>",
                                      &dom),
                  -ERANGE);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "bus out of range (0-255)");
        /* our metadata is plain decimal only */
        CHECK_INT(parse_domain_string(ctx,
                                      "<domain><name>n</name><metadata><v:vfiohook "
                                      "xmlns:v='urn:x-vfiohook:1'><v:hostdev address='81:10.2' "
                                      "vlan='+5'/></v:vfiohook></metadata></domain>",
                                      &dom),
                  -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "vlan is not a decimal number");
        vfh_ctx_unref(ctx);
}

TEST(lists_are_capped)
{
        vfh_ctx *ctx = fixture_ctx();
        struct vfh_domain *dom = NULL;
        size_t cap = 64 * (VFH_XML_MAX_ITEMS + 2), len = 0;
        _cleanup_free_ char *xml = malloc(cap);

        if (!xml)
                return (void)vfh_ctx_unref(ctx);
        len += (size_t)snprintf(xml, cap,
                                "<domain><name>n</name><devices><interface type='user'><vlan>");
        for (int i = 0; i <= VFH_XML_MAX_ITEMS; i++)
                len += (size_t)snprintf(xml + len, cap - len, "<tag id='%d'/>", i % 4096);
        len += (size_t)snprintf(xml + len, cap - len, "</vlan></interface></devices></domain>");
        CHECK_INT(vfh_domain_parse(ctx, xml, len, &dom), -E2BIG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "<interface>/<vlan>/<tag>: more than 4096 of these");
        CHECK(!dom);
        vfh_ctx_unref(ctx);
}

TEST(network_file_must_be_a_regular_file)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = NULL;
        struct vfh_network *net = NULL;
        char fifo[512];

        test_mkdir(root, "networks");
        snprintf(fifo, sizeof(fifo), "%s/networks/trap.xml", root);
        CHECK_INT(mkfifo(fifo, 0600), 0);
        test_mkdir(root, "networks/dir.xml");
        CHECK_INT(vfh_ctx_new(&ctx), 0);
        CHECK_INT(vfh_ctx_set_sysroot(ctx, root), 0);
        CHECK_INT(vfh_ctx_add_network_dir(ctx, "/networks"), 0);
        /* a FIFO would block a plain open(2) forever, and libvirtd waits for the hook */
        CHECK_INT(vfh_network_lookup(ctx, "trap", &net), -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "/networks/trap.xml is not a regular file");
        CHECK_INT(vfh_network_lookup(ctx, "dir", &net), -EINVAL);
        CHECK(!net);
        vfh_ctx_unref(ctx);
}

/* Recorded from libvirtd 9.0: at release the pool interface is back to type='network'. */
TEST(release_parses_without_the_network)
{
        vfh_ctx *ctx = NULL;
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        size_t len;
        _cleanup_free_ char *xml = slurp("tests/fixtures/xml/libvirt-9.0/qemu-release.xml", &len);

        CHECK_INT(vfh_ctx_new(&ctx), 0);
        CHECK_INT(vfh_ctx_set_sysroot(ctx, test_tmpdir()), 0);
        CHECK_INT(vfh_domain_parse(ctx, xml, len, &dom), -ENOENT);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "network 'pool' is not defined");
        CHECK_INT(vfh_domain_parse_flags(ctx, xml, len, VFH_PARSE_NO_NETWORK_LOOKUP, &dom), 0);
        if (dom) {
                CHECK_INT(dom->n_interfaces, 2);
                CHECK_STR(dom->interfaces[1].source_network, "pool");
                CHECK(!dom->interfaces[1].network);
                CHECK_INT(dom->n_networks, 0);
        }
        vfh_ctx_unref(ctx);
}

/* release and reconnect read the owner only: what they cannot act on cannot strand a guest,
 * and what makes the document unsafe to read is refused as for every other call. */
TEST(owner_only_reads_name_and_uuid_and_still_refuses_a_hostile_document)
{
        static const char bad_meta[] =
            "<domain type='kvm'><name>bad</name><uuid>5f0c3a1e-8b2d-4c7e-9a61-0d2f4b6c8e11</uuid>"
            "<metadata><vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'><vfh:hostdev "
            "address='0000:01:10.2' vlan='5000'/></vfh:vfiohook></metadata><devices><hostdev "
            "mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' "
            "function='0'/></source></hostdev></devices></domain>";
        static const char *refused[][2] = {
            {"<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY a 'x'>]><domain><name>&a;</name>"
             "</domain>",
             "<!DOCTYPE> refused"},
            {"<domain type='kvm'><uuid>5f0c3a1e-8b2d-4c7e-9a61-0d2f4b6c8e11</uuid></domain>",
             "missing <name>"},
            {"<domain type='kvm'><name>x</name><uuid>not-a-uuid</uuid></domain>", "invalid UUID"},
            {"<domain type='kvm'><name>x</name><devices>", "malformed"},
            {"<network><name>x</name></network>", "root element is not <domain>"},
        };
        vfh_ctx *ctx = NULL;
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;

        CHECK_INT(vfh_ctx_new(&ctx), 0);
        CHECK_INT(vfh_domain_parse_flags(ctx, bad_meta, sizeof(bad_meta) - 1,
                                         VFH_PARSE_NO_NETWORK_LOOKUP, &dom),
                  -ERANGE);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "vlan");
        CHECK_INT(
            vfh_domain_parse_flags(ctx, bad_meta, sizeof(bad_meta) - 1, VFH_PARSE_OWNER_ONLY, &dom),
            0);
        if (dom) {
                CHECK_STR(dom->name, "bad");
                CHECK(dom->has_uuid);
                CHECK_STR(dom->uuid, "5f0c3a1e-8b2d-4c7e-9a61-0d2f4b6c8e11");
                CHECK_INT(dom->n_hostdevs, 0);
        }
        for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
                struct vfh_domain *none = NULL;

                CHECK(vfh_domain_parse_flags(ctx, refused[i][0], strlen(refused[i][0]),
                                             VFH_PARSE_OWNER_ONLY, &none) < 0);
                CHECK(!none);
                CHECK_CONTAINS(vfh_ctx_last_error(ctx), refused[i][1]);
        }
        vfh_ctx_unref(ctx);
}

TEST(libvirt_start_shows_the_pool_vf_as_hostdev)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_domain_freep) struct vfh_domain *prepare = NULL, *start = NULL;

        CHECK_INT(
            parse_domain_file(ctx, "tests/fixtures/xml/libvirt-9.0/qemu-prepare.xml", &prepare), 0);
        CHECK_INT(parse_domain_file(ctx, "tests/fixtures/xml/libvirt-9.0/qemu-start.xml", &start),
                  0);
        if (!prepare || !start)
                return (void)vfh_ctx_unref(ctx);
        CHECK_INT(prepare->interfaces[1].type, VFH_INTERFACE_NETWORK);
        CHECK(vfh_network_is_hostdev_pool(prepare->interfaces[1].network));
        CHECK_INT(prepare->interfaces[1].network->n_addresses, 4);
        CHECK_INT(start->interfaces[1].type, VFH_INTERFACE_HOSTDEV);
        CHECK(start->interfaces[1].managed);
        /* the VF libvirt allocated is one the live pool file lists */
        CHECK(pci_addr_equal(&start->interfaces[1].address,
                             &prepare->interfaces[1].network->addresses[0]));
        CHECK(mac_addr_equal(&start->interfaces[1].mac, &prepare->interfaces[1].mac));
        vfh_ctx_unref(ctx);
}

TEST(domain_settings_override_pool_defaults)
{
        struct vfh_vf_settings pool = {.spoofchk = VFH_TOGGLE_OFF,
                                       .trust = VFH_TOGGLE_ON,
                                       .has_max_tx_rate = true,
                                       .max_tx_rate = 100};
        const struct vfh_vf_settings domain = {.trust = VFH_TOGGLE_OFF,
                                               .state = VFH_LINK_STATE_ENABLE,
                                               .has_max_tx_rate = true,
                                               .max_tx_rate = 0};

        vfh_vf_settings_merge(&pool, &domain);
        CHECK_INT(pool.spoofchk, VFH_TOGGLE_OFF); /* left out by the domain: the pool's */
        CHECK_INT(pool.trust, VFH_TOGGLE_OFF);
        CHECK_INT(pool.state, VFH_LINK_STATE_ENABLE);
        CHECK(pool.has_max_tx_rate);
        CHECK_INT(pool.max_tx_rate, 0); /* an explicit 0 (no limit) still overrides */
        CHECK(!pool.has_min_tx_rate && !pool.has_mac && !pool.query_rss);
}

/* The attribute pre-scan counts only '=' inside tags and outside quotes. */
TEST(attribute_cap_ignores_quotes_comments_and_text)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        char equals[600], xml[2048];

        memset(equals, '=', sizeof(equals) - 1);
        equals[sizeof(equals) - 1] = '\0';
        snprintf(xml, sizeof(xml),
                 "<domain><name>x</name><description a='%.300s'>%.300s</description>"
                 "<!-- %.300s --></domain>",
                 equals, equals, equals);
        CHECK_INT(parse_domain_string(ctx, xml, &dom), 0);
        vfh_domain_free(TAKE_PTR(dom));
        snprintf(xml, sizeof(xml), "<domain>\n<name%.300s>x</name></domain>", equals);
        CHECK_INT(parse_domain_string(ctx, xml, &dom), -E2BIG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "domain XML line 2: an element with more than 256 attributes");
        vfh_ctx_unref(ctx);
}

TEST(messages_stay_one_short_valid_line)
{
        vfh_ctx *ctx = fixture_ctx();
        struct vfh_domain *dom = NULL;
        char xml[1024], value[200] = "";
        const char *msg;

        /* 70 two-byte characters: the quoted value is cut at 64 bytes, between characters */
        for (int i = 0; i < 70; i++)
                strcat(value, "\xc3\xa9");
        snprintf(xml, sizeof(xml),
                 "<domain><name>n</name><devices><hostdev type='pci'><source>"
                 "<address bus='%s&#10;'/></source></hostdev></devices></domain>",
                 value);
        CHECK_INT(parse_domain_string(ctx, xml, &dom), -EINVAL);
        msg = vfh_ctx_last_error(ctx);
        CHECK_CONTAINS(msg, "<address bus='\xc3\xa9\xc3\xa9");
        CHECK_CONTAINS(msg, "\xc3\xa9...'>: bus is not a number");
        CHECK(!strchr(msg, '\n'));
        vfh_ctx_unref(ctx);
}

TEST(pool_interfaces_are_managed_as_their_network_says)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;

        CHECK_INT(parse_domain_file(ctx, "tests/fixtures/xml/domain/interface-network.xml", &dom),
                  0);
        if (!dom)
                return (void)vfh_ctx_unref(ctx);
        CHECK(!dom->interfaces[0].managed);                    /* no attribute on the interface */
        CHECK(vfh_interface_is_managed(&dom->interfaces[0]));  /* sriov-pool: managed='yes' */
        CHECK(!vfh_interface_is_managed(&dom->interfaces[2])); /* vf-list: managed missing */
        vfh_ctx_unref(ctx);
}

/* virNetDevVlanParse: tag ids are base 10, trunk is case-insensitive, and a native tag without
 * an explicit trunk='no' is accepted. */
TEST(vlan_follows_libvirt)
{
        vfh_ctx *ctx = fixture_ctx();
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        static const char *const refused[] = {
            "<vlan trunk='no'><tag id='5' nativeMode='tagged'/></vlan>",
            "<vlan><tag id='5' nativeMode='tagged'/><tag id='6' nativeMode='untagged'/></vlan>",
            "<vlan trunk='maybe'><tag id='5'/></vlan>",
            "<vlan><tag id='0x10'/></vlan>",
            "<vlan/>",
        };
        char xml[512];

        snprintf(xml, sizeof(xml),
                 "<domain><name>n</name><devices><interface type='user'>%s</interface>"
                 "<interface type='user'>%s</interface></devices></domain>",
                 "<vlan TRUNK='x' trunk='YES'><tag id='042'/></vlan>",
                 "<vlan><tag id=' 7' nativeMode='untagged'/></vlan>");
        CHECK_INT(parse_domain_string(ctx, xml, &dom), 0);
        if (dom) {
                CHECK(dom->interfaces[0].vlan.trunk);
                CHECK_INT(dom->interfaces[0].vlan.tags[0].id, 42);
                CHECK(!dom->interfaces[1].vlan.trunk);
                CHECK_INT(dom->interfaces[1].vlan.tags[0].id, 7);
                CHECK_INT(dom->interfaces[1].vlan.tags[0].native_mode, VFH_VLAN_NATIVE_UNTAGGED);
        }
        for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
                struct vfh_domain *bad = NULL;

                snprintf(xml, sizeof(xml),
                         "<domain><name>n</name><devices><interface type='user'>%s</interface>"
                         "</devices></domain>",
                         refused[i]);
                CHECK(parse_domain_string(ctx, xml, &bad) < 0);
                CHECK(!bad);
        }
        vfh_ctx_unref(ctx);
}
