/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VF settings as values: the key=value vocabulary and its round trip through fields (what the
 * journal stores), validation before any change, and the stable MAC.
 */
#include <errno.h>

#include "model.h"
#include "support.h"
#include "vf.h"

/* A PF "eth1" whose link runs at speed_mbps ("" = no speed file, as while the link is down). */
static vfh_ctx *ctx_with_speed(const char *speed)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = NULL;

        test_mkdir(root, "sys/class/net/eth1");
        if (*speed)
                test_write_file(root, "sys/class/net/eth1/speed", "%s\n", speed);
        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, root) < 0)
                abort();
        return ctx;
}

static struct vf_ref eth1_vf(unsigned int index)
{
        struct vf_ref r = {.index = index};

        strcpy(r.pf_netdev, "eth1");
        return r;
}

TEST(parse_every_key)
{
        vfh_ctx *ctx = ctx_with_speed("");
        struct vf_settings s = {0};

        CHECK_INT(vf_settings_parse_field(ctx, &s, "mac", "52:54:00:6D:90:02"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &s, "qos", "3"), 0); /* before vlan: kept */
        CHECK_INT(vf_settings_parse_field(ctx, &s, "vlan", "42"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &s, "proto", "802.1AD"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &s, "spoofchk", "off"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &s, "trust", "on"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &s, "state", "disable"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &s, "min_tx_rate", "10"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &s, "max_tx_rate", "4294967295"), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &s, "query_rss", "on"), 0);
        CHECK_INT(s.mask, VF_ATTRS_ALL);
        CHECK_INT(s.mac.b[3], 0x6d);
        CHECK_INT(s.vlan, 42);
        CHECK_INT(s.qos, 3);
        CHECK_INT(s.proto, VF_VLAN_PROTO_8021AD);
        CHECK(!s.spoofchk);
        CHECK(s.trust);
        CHECK_INT(s.link_state, VF_LINK_STATE_DISABLE);
        CHECK_INT(s.min_tx_rate, 10);
        CHECK_INT(s.max_tx_rate, 4294967295u);
        CHECK(s.query_rss);
        vfh_ctx_unref(ctx);
}

TEST(parse_refuses_bad_values_table)
{
        static const struct {
                const char *key, *value;
                int error;
                const char *says;
        } rows[] = {
            {"colour", "red", -ENOENT, "'colour': unknown VF setting"},
            {"mac", "52:54:00:6d:90", -EINVAL, "mac=52:54:00:6d:90: not a valid value"},
            {"vlan", "-1", -EINVAL, "decimal"},
            {"vlan", "0x10", -EINVAL, "decimal"},
            {"vlan", "", -EINVAL, "vlan=: not a valid value"},
            {"proto", "802.1x", -EINVAL, "802.1Q or 802.1ad"},
            {"spoofchk", "yes", -EINVAL, "on or off"},
            {"state", "up", -EINVAL, "auto, enable or disable"},
            {"max_tx_rate", "4294967296", -EINVAL, "Mbit/s"},
            {"min_tx_rate", "1e3", -EINVAL, "Mbit/s"},
        };
        vfh_ctx *ctx = ctx_with_speed("");

        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                struct vf_settings s = {0};

                CHECK_INT(vf_settings_parse_field(ctx, &s, rows[i].key, rows[i].value),
                          rows[i].error);
                CHECK_CONTAINS(vfh_ctx_last_error(ctx), rows[i].says);
                CHECK_INT(s.mask, 0);
        }
        vfh_ctx_unref(ctx);
}

struct kv_list {
        char lines[16][64];
        size_t n;
};

static int collect_field(void *data, const char *key, const char *value)
{
        struct kv_list *l = data;

        snprintf(l->lines[l->n++], sizeof(l->lines[0]), "%s=%s", key, value);
        return 0;
}

/* What the journal stores must parse back into the same settings. */
TEST(fields_round_trip)
{
        vfh_ctx *ctx = ctx_with_speed("");
        struct vf_settings s = {0}, back = {0};
        struct kv_list l = {.n = 0};
        static const char *const expect[] = {
            "mac=02:aa:bb:cc:dd:ee", "vlan=100",     "qos=0",         "proto=802.1Q",
            "spoofchk=off",          "state=enable", "max_tx_rate=0", "query_rss=off",
        };

        vf_settings_parse_field(ctx, &s, "query_rss", "off");
        vf_settings_parse_field(ctx, &s, "max_tx_rate", "0");
        vf_settings_parse_field(ctx, &s, "state", "enable");
        vf_settings_parse_field(ctx, &s, "spoofchk", "off");
        vf_settings_parse_field(ctx, &s, "vlan", "100");
        vf_settings_parse_field(ctx, &s, "mac", "02:AA:BB:CC:DD:EE");
        CHECK_INT(vf_settings_to_fields(&s, collect_field, &l), 0);
        CHECK_INT(l.n, ARRAY_SIZE(expect));
        for (size_t i = 0; i < l.n && i < ARRAY_SIZE(expect); i++) {
                char *eq = strchr(l.lines[i], '=');

                CHECK_STR(l.lines[i], expect[i]);
                *eq = '\0';
                CHECK_INT(vf_settings_parse_field(ctx, &back, l.lines[i], eq + 1), 0);
        }
        CHECK(memcmp(&s, &back, sizeof(s)) == 0);
        vfh_ctx_unref(ctx);
}

static int stop_at_second(void *data, const char *key, const char *value)
{
        (void)key, (void)value;
        return ++*(int *)data == 2 ? -ENOSPC : 0;
}

TEST(fields_stop_at_callback_error)
{
        struct vf_settings s = {.mask = VF_ATTR_SPOOFCHK | VF_ATTR_TRUST | VF_ATTR_QUERY_RSS};
        int calls = 0;

        CHECK_INT(vf_settings_to_fields(&s, stop_at_second, &calls), -ENOSPC);
        CHECK_INT(calls, 2);
}

TEST(validation_table)
{
        static const struct {
                const char *speed;
                const char *kv[4];
                int error;
                const char *says;
        } rows[] = {
            {"1000", {"mac", "00:00:00:00:00:00"}, -EINVAL, "all-zero MAC"},
            {"1000", {"mac", "ff:ff:ff:ff:ff:ff"}, -EINVAL, "broadcast"},
            {"1000", {"mac", "33:33:00:00:00:01"}, -EINVAL, "multicast"},
            {"1000", {"vlan", "4096"}, -ERANGE, "vlan 4096 is out of range; VLAN ids are 0-4095"},
            {"1000", {"vlan", "1", "qos", "8"}, -ERANGE, "qos 8 is out of range"},
            {"1000",
             {"max_tx_rate", "1001"},
             -ERANGE,
             "max_tx_rate=1001 Mbit/s exceeds the link speed of eth1 (1000 Mbit/s)"},
            {"1000", {"min_tx_rate", "1001"}, -ERANGE, "min_tx_rate=1001"},
            {"1000",
             {"min_tx_rate", "20", "max_tx_rate", "10"},
             -EINVAL,
             "min_tx_rate 20 is above max_tx_rate 10"},
            {"1000", {"mac", "02:00:00:00:00:01", "vlan", "4095"}, 0, NULL},
            {"1000", {"min_tx_rate", "20", "max_tx_rate", "0"}, 0, NULL}, /* 0 = no limit */
            {"1000", {"max_tx_rate", "1000"}, 0, NULL},
            /* unknown speed (-1) or link down (no file): not checked, and said so */
            {"-1", {"max_tx_rate", "100000"}, 0, NULL},
            {"", {"max_tx_rate", "100000"}, 0, NULL},
        };

        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                vfh_ctx *ctx = ctx_with_speed(rows[i].speed);
                struct vf_ref r = eth1_vf(3);
                struct vf_settings s = {0};

                for (size_t k = 0; k < 4 && rows[i].kv[k]; k += 2)
                        CHECK_INT(
                            vf_settings_parse_field(ctx, &s, rows[i].kv[k], rows[i].kv[k + 1]), 0);
                CHECK_INT(vf_settings_validate(ctx, &r, &s), rows[i].error);
                if (rows[i].says) {
                        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "VF 3 of eth1");
                        CHECK_CONTAINS(vfh_ctx_last_error(ctx), rows[i].says);
                }
                vfh_ctx_unref(ctx);
        }
}

TEST(validation_refuses_protocols_the_parser_cannot_give)
{
        vfh_ctx *ctx = ctx_with_speed("1000");
        struct vf_ref r = eth1_vf(0);
        struct vf_settings s = {.mask = VF_ATTR_VLAN, .vlan = 5, .proto = 0x9100};

        CHECK_INT(vf_settings_validate(ctx, &r, &s), -EPROTONOSUPPORT);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "0x9100 is neither 802.1Q nor 802.1ad");
        vfh_ctx_unref(ctx);
}

/* The derivation is a contract: a guest must keep its MAC across vfiohook upgrades. The
 * expected values were computed independently from the documented recipe. */
TEST(stable_mac_is_pinned)
{
        struct pci_addr a = {.domain = 0, .bus = 0x81, .slot = 0x10, .function = 2};
        struct pci_addr b = {.domain = 0, .bus = 0x81, .slot = 0x10, .function = 3};
        struct mac_addr m;
        char buf[MAC_ADDR_STRLEN];

        CHECK_INT(vf_stable_mac("c7a5fdbd-edaf-9455-926a-d65c16db1809", &a, &m), 0);
        CHECK_STR(mac_addr_format(&m, buf), "7e:69:43:6c:cd:e2");
        CHECK_INT(vf_stable_mac("C7A5FDBDEDAF9455926AD65C16DB1809", &a, &m), 0);
        CHECK_STR(mac_addr_format(&m, buf), "7e:69:43:6c:cd:e2");
        CHECK_INT(vf_stable_mac("c7a5fdbd-edaf-9455-926a-d65c16db1809", &b, &m), 0);
        CHECK_STR(mac_addr_format(&m, buf), "22:21:55:16:bd:39");
}

TEST(stable_mac_is_local_unicast_and_spread)
{
        char uuid[40];
        struct mac_addr first, m;
        int same_as_first = 0;

        for (unsigned int i = 0; i < 256; i++) {
                struct pci_addr a = {.domain = 0, .bus = (uint8_t)i, .slot = 2, .function = 1};

                snprintf(uuid, sizeof(uuid), "%08x-0000-4000-8000-%012x", i * 7919u, i);
                CHECK_INT(vf_stable_mac(uuid, &a, &m), 0);
                CHECK((m.b[0] & 0x02) == 0x02);
                CHECK(!mac_addr_is_multicast(&m));
                CHECK(!mac_addr_is_zero(&m));
                if (i == 0)
                        first = m;
                else if (mac_addr_equal(&m, &first))
                        same_as_first++;
        }
        CHECK_INT(same_as_first, 0);
}

TEST(stable_mac_refuses_bad_uuids)
{
        struct pci_addr a = {0};
        struct mac_addr m;

        CHECK_INT(vf_stable_mac("c7a5fdbd-edaf-9455-926a-d65c16db180", &a, &m), -EINVAL);
        CHECK_INT(vf_stable_mac("c7a5fdbd_edaf_9455_926a_d65c16db1809", &a, &m), -EINVAL);
        CHECK_INT(vf_stable_mac("g7a5fdbdedaf9455926ad65c16db1809", &a, &m), -EINVAL);
        CHECK_INT(vf_stable_mac("", &a, &m), -EINVAL);
        CHECK_INT(vf_stable_mac(NULL, &a, &m), -EINVAL);
}

TEST(metadata_settings_map_onto_vf_settings)
{
        struct vfh_vf_settings meta = {.spoofchk = VFH_TOGGLE_OFF,
                                       .trust = VFH_TOGGLE_ON,
                                       .state = VFH_LINK_STATE_DISABLE,
                                       .has_max_tx_rate = true,
                                       .max_tx_rate = 1000,
                                       .has_qos = true,
                                       .qos = 5};
        struct vf_settings s;

        vf_settings_from_meta(&meta, &s);
        CHECK_INT(s.mask, VF_ATTR_SPOOFCHK | VF_ATTR_TRUST | VF_ATTR_LINK_STATE |
                              VF_ATTR_MAX_TX_RATE | VF_ATTR_VLAN);
        CHECK(!s.spoofchk);
        CHECK(s.trust);
        CHECK_INT(s.link_state, VF_LINK_STATE_DISABLE);
        CHECK_INT(s.max_tx_rate, 1000);
        CHECK_INT(s.vlan, 0);
        CHECK_INT(s.qos, 5);
        CHECK_INT(s.proto, VF_VLAN_PROTO_8021Q);

        /* left out stays out: an empty element changes nothing */
        vf_settings_from_meta(&(struct vfh_vf_settings){0}, &s);
        CHECK_INT(s.mask, 0);
        meta = (struct vfh_vf_settings){.state = VFH_LINK_STATE_AUTO,
                                        .query_rss = VFH_TOGGLE_ON,
                                        .has_mac = true,
                                        .mac = {{0x52, 0x54, 0, 0x6d, 0x90, 0x09}},
                                        .has_min_tx_rate = true};
        vf_settings_from_meta(&meta, &s);
        CHECK_INT(s.mask,
                  VF_ATTR_LINK_STATE | VF_ATTR_QUERY_RSS | VF_ATTR_MAC | VF_ATTR_MIN_TX_RATE);
        CHECK_INT(s.link_state, VF_LINK_STATE_AUTO);
        CHECK(s.query_rss);
        CHECK_INT(s.mac.b[5], 0x09);
        CHECK_INT(s.min_tx_rate, 0);
}
