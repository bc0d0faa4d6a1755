/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VF settings as values: the key=value vocabulary (ip-link(8) names) that the CLI, the
 * metadata and the journal share, the checks made before any change, and the stable MAC.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "vf.h"

static const struct {
        unsigned int attr;
        const char *name;
} attr_names[] = {
    {VF_ATTR_MAC, "mac"},
    {VF_ATTR_VLAN, "vlan"},
    {VF_ATTR_SPOOFCHK, "spoofchk"},
    {VF_ATTR_TRUST, "trust"},
    {VF_ATTR_LINK_STATE, "state"},
    {VF_ATTR_MIN_TX_RATE, "min_tx_rate"},
    {VF_ATTR_MAX_TX_RATE, "max_tx_rate"},
    {VF_ATTR_QUERY_RSS, "query_rss"},
};

static const char *const link_state_names[] = {
    [VF_LINK_STATE_AUTO] = "auto",
    [VF_LINK_STATE_ENABLE] = "enable",
    [VF_LINK_STATE_DISABLE] = "disable",
};

const char *vf_attr_name(unsigned int attr)
{
        for (size_t i = 0; i < ARRAY_SIZE(attr_names); i++)
                if (attr_names[i].attr == attr)
                        return attr_names[i].name;
        return "?";
}

const char *vf_link_state_name(enum vf_link_state state)
{
        return (unsigned int)state < ARRAY_SIZE(link_state_names) ? link_state_names[state] : "?";
}

static const char *proto_name(uint16_t proto)
{
        return proto == VF_VLAN_PROTO_8021AD ? "802.1ad" : "802.1Q";
}

/* Decimal only, no sign, no spaces: "0x10" or "-1" as a VLAN is a typo, not a request. */
static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
        unsigned long v;
        char *end;

        if (!isdigit((unsigned char)s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_on_off(const char *s, bool *ret)
{
        if (strcmp(s, "on") == 0)
                *ret = true;
        else if (strcmp(s, "off") == 0)
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

/* qos and proto mean nothing without a VLAN; the first of the three starts one at 0. */
static void vlan_begin(struct vf_settings *s)
{
        if (s->mask & VF_ATTR_VLAN)
                return;
        s->mask |= VF_ATTR_VLAN;
        s->vlan = 0;
        s->qos = 0;
        s->proto = VF_VLAN_PROTO_8021Q;
}

static int parse_vlan_part(struct vf_settings *s, const char *key, const char *value)
{
        unsigned long v;

        if (strcmp(key, "proto") == 0) {
                if (strcasecmp(value, "802.1Q") == 0)
                        v = VF_VLAN_PROTO_8021Q;
                else if (strcasecmp(value, "802.1ad") == 0)
                        v = VF_VLAN_PROTO_8021AD;
                else
                        return -EINVAL;
                vlan_begin(s);
                s->proto = (uint16_t)v;
                return 0;
        }
        if (parse_uint(value, UINT_MAX, &v) < 0)
                return -EINVAL;
        vlan_begin(s);
        if (strcmp(key, "vlan") == 0)
                s->vlan = (unsigned int)v;
        else
                s->qos = (unsigned int)v;
        return 0;
}

static int parse_value(struct vf_settings *s, unsigned int attr, const char *key, const char *value)
{
        unsigned long v;

        switch (attr) {
        case VF_ATTR_MAC:
                return mac_addr_parse(value, &s->mac);
        case VF_ATTR_VLAN:
                return parse_vlan_part(s, key, value);
        case VF_ATTR_SPOOFCHK:
                return parse_on_off(value, &s->spoofchk);
        case VF_ATTR_TRUST:
                return parse_on_off(value, &s->trust);
        case VF_ATTR_QUERY_RSS:
                return parse_on_off(value, &s->query_rss);
        case VF_ATTR_LINK_STATE:
                for (size_t i = 0; i < ARRAY_SIZE(link_state_names); i++)
                        if (strcmp(value, link_state_names[i]) == 0) {
                                s->link_state = (enum vf_link_state)i;
                                return 0;
                        }
                return -EINVAL;
        case VF_ATTR_MIN_TX_RATE:
        case VF_ATTR_MAX_TX_RATE:
                if (parse_uint(value, UINT32_MAX, &v) < 0)
                        return -EINVAL;
                *(attr == VF_ATTR_MIN_TX_RATE ? &s->min_tx_rate : &s->max_tx_rate) = (uint32_t)v;
                return 0;
        }
        return -EINVAL;
}

static const char *value_hint(unsigned int attr)
{
        switch (attr) {
        case VF_ATTR_MAC:
                return "a MAC like 52:54:00:6d:90:02";
        case VF_ATTR_VLAN:
                return "vlan and qos take decimal numbers, proto 802.1Q or 802.1ad";
        case VF_ATTR_LINK_STATE:
                return "auto, enable or disable";
        case VF_ATTR_MIN_TX_RATE:
        case VF_ATTR_MAX_TX_RATE:
                return "a rate in Mbit/s (0 = none)";
        default:
                return "on or off";
        }
}

static unsigned int attr_of_key(const char *key)
{
        if (strcmp(key, "qos") == 0 || strcmp(key, "proto") == 0)
                return VF_ATTR_VLAN;
        for (size_t i = 0; i < ARRAY_SIZE(attr_names); i++)
                if (strcmp(attr_names[i].name, key) == 0)
                        return attr_names[i].attr;
        return 0;
}

int vf_settings_parse_field(vfh_ctx *ctx, struct vf_settings *s, const char *key, const char *value)
{
        unsigned int attr = attr_of_key(key);

        if (!attr)
                return vfh_errorf(ctx, ENOENT,
                                  "'%s': unknown VF setting; known: mac, vlan, qos, proto, "
                                  "spoofchk, trust, state, min_tx_rate, max_tx_rate, query_rss",
                                  key);
        if (parse_value(s, attr, key, value) < 0)
                return vfh_errorf(ctx, EINVAL, "%s=%s: not a valid value; expected %s", key, value,
                                  value_hint(attr));
        s->mask |= attr;
        return 0;
}

const char *vf_settings_value(const struct vf_settings *s, unsigned int attr, char *buf,
                              size_t size)
{
        char mac[MAC_ADDR_STRLEN];

        switch (attr) {
        case VF_ATTR_MAC:
                snprintf(buf, size, "%s", mac_addr_format(&s->mac, mac));
                break;
        case VF_ATTR_VLAN:
                if (s->qos == 0 && s->proto != VF_VLAN_PROTO_8021AD)
                        snprintf(buf, size, "%u", s->vlan);
                else
                        snprintf(buf, size, "%u qos %u proto %s", s->vlan, s->qos,
                                 proto_name(s->proto));
                break;
        case VF_ATTR_SPOOFCHK:
                snprintf(buf, size, "%s", s->spoofchk ? "on" : "off");
                break;
        case VF_ATTR_TRUST:
                snprintf(buf, size, "%s", s->trust ? "on" : "off");
                break;
        case VF_ATTR_QUERY_RSS:
                snprintf(buf, size, "%s", s->query_rss ? "on" : "off");
                break;
        case VF_ATTR_LINK_STATE:
                snprintf(buf, size, "%s", vf_link_state_name(s->link_state));
                break;
        case VF_ATTR_MIN_TX_RATE:
                snprintf(buf, size, "%u", s->min_tx_rate);
                break;
        case VF_ATTR_MAX_TX_RATE:
                snprintf(buf, size, "%u", s->max_tx_rate);
                break;
        default:
                snprintf(buf, size, "?");
        }
        return buf;
}

int vf_settings_to_fields(const struct vf_settings *s, vf_field_fn fn, void *data)
{
        char buf[64];
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(attr_names); i++) {
                unsigned int attr = attr_names[i].attr;

                if (!(s->mask & attr))
                        continue;
                if (attr == VF_ATTR_VLAN) {
                        snprintf(buf, sizeof(buf), "%u", s->vlan);
                        if ((r = fn(data, "vlan", buf)) < 0)
                                return r;
                        snprintf(buf, sizeof(buf), "%u", s->qos);
                        if ((r = fn(data, "qos", buf)) < 0)
                                return r;
                        if ((r = fn(data, "proto", proto_name(s->proto))) < 0)
                                return r;
                        continue;
                }
                r = fn(data, attr_names[i].name, vf_settings_value(s, attr, buf, sizeof(buf)));
                if (r < 0)
                        return r;
        }
        return 0;
}

static void toggle(enum vfh_toggle t, unsigned int attr, bool *value, struct vf_settings *s)
{
        if (t == VFH_TOGGLE_UNSET)
                return;
        *value = t == VFH_TOGGLE_ON;
        s->mask |= attr;
}

void vf_settings_from_meta(const struct vfh_vf_settings *meta, struct vf_settings *ret)
{
        struct vf_settings s = {0};

        toggle(meta->spoofchk, VF_ATTR_SPOOFCHK, &s.spoofchk, &s);
        toggle(meta->trust, VF_ATTR_TRUST, &s.trust, &s);
        toggle(meta->query_rss, VF_ATTR_QUERY_RSS, &s.query_rss, &s);
        if (meta->state != VFH_LINK_STATE_UNSET) {
                s.link_state = meta->state == VFH_LINK_STATE_ENABLE    ? VF_LINK_STATE_ENABLE
                               : meta->state == VFH_LINK_STATE_DISABLE ? VF_LINK_STATE_DISABLE
                                                                       : VF_LINK_STATE_AUTO;
                s.mask |= VF_ATTR_LINK_STATE;
        }
        if (meta->has_min_tx_rate) {
                s.min_tx_rate = meta->min_tx_rate;
                s.mask |= VF_ATTR_MIN_TX_RATE;
        }
        if (meta->has_max_tx_rate) {
                s.max_tx_rate = meta->max_tx_rate;
                s.mask |= VF_ATTR_MAX_TX_RATE;
        }
        if (meta->has_mac) {
                s.mac = meta->mac;
                s.mask |= VF_ATTR_MAC;
        }
        if (meta->has_vlan || meta->has_qos) {
                vlan_begin(&s);
                s.vlan = meta->has_vlan ? meta->vlan : 0;
                s.qos = meta->has_qos ? meta->qos : 0;
        }
        *ret = s;
}

static int validate_mac(vfh_ctx *ctx, const char *who, const struct mac_addr *mac)
{
        static const struct mac_addr broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
        char m[MAC_ADDR_STRLEN];

        mac_addr_format(mac, m);
        if (mac_addr_is_zero(mac))
                return vfh_errorf(ctx, EINVAL,
                                  "%s: mac %s: an all-zero MAC breaks guests (igbvf and ixgbevf "
                                  "refuse to probe); give a unicast MAC or leave mac out",
                                  who, m);
        if (mac_addr_equal(mac, &broadcast))
                return vfh_errorf(
                    ctx, EINVAL, "%s: mac %s is the broadcast address; give a unicast MAC", who, m);
        if (mac_addr_is_multicast(mac))
                return vfh_errorf(ctx, EINVAL,
                                  "%s: mac %s is a multicast address (bit 0 of the first octet "
                                  "is set); give a unicast MAC",
                                  who, m);
        return 0;
}

static int validate_vlan(vfh_ctx *ctx, const char *who, const struct vf_settings *s)
{
        if (s->vlan > 4095)
                return vfh_errorf(ctx, ERANGE, "%s: vlan %u is out of range; VLAN ids are 0-4095",
                                  who, s->vlan);
        if (s->qos > 7)
                return vfh_errorf(ctx, ERANGE,
                                  "%s: qos %u is out of range; 802.1p priorities are 0-7", who,
                                  s->qos);
        if (s->proto != 0 && s->proto != VF_VLAN_PROTO_8021Q && s->proto != VF_VLAN_PROTO_8021AD)
                return vfh_errorf(ctx, EPROTONOSUPPORT,
                                  "%s: vlan protocol 0x%04x is neither 802.1Q nor 802.1ad", who,
                                  s->proto);
        return 0;
}

static int validate_rate_speed(vfh_ctx *ctx, const struct vf_ref *vf, const char *who,
                               const char *key, uint32_t rate)
{
        unsigned long speed;

        if (rate == 0)
                return 0;
        if (vf_pf_speed_mbps(ctx, vf->pf_netdev, &speed) < 0) {
                vfh_info(ctx,
                         "%s: the link speed of %s is unknown (link down?); %s=%u is not "
                         "checked against it",
                         who, vf->pf_netdev, key, rate);
                return 0;
        }
        if (rate > speed)
                return vfh_errorf(ctx, ERANGE,
                                  "%s: %s=%u Mbit/s exceeds the link speed of %s (%lu Mbit/s); "
                                  "give at most %lu",
                                  who, key, rate, vf->pf_netdev, speed, speed);
        return 0;
}

int vf_settings_validate(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *want)
{
        char who[96];
        int r;

        vf_ref_format(vf, who, sizeof(who));
        if ((want->mask & VF_ATTR_MAC) && (r = validate_mac(ctx, who, &want->mac)) < 0)
                return r;
        if ((want->mask & VF_ATTR_VLAN) && (r = validate_vlan(ctx, who, want)) < 0)
                return r;
        if ((want->mask & VF_ATTR_LINK_STATE) &&
            (unsigned int)want->link_state >= ARRAY_SIZE(link_state_names))
                return vfh_errorf(ctx, EINVAL, "%s: link state %d is not auto, enable or disable",
                                  who, (int)want->link_state);
        if ((want->mask & VF_ATTR_MIN_TX_RATE) && (want->mask & VF_ATTR_MAX_TX_RATE) &&
            want->max_tx_rate && want->min_tx_rate > want->max_tx_rate)
                return vfh_errorf(ctx, EINVAL,
                                  "%s: min_tx_rate %u is above max_tx_rate %u; lower it or "
                                  "raise max_tx_rate (0 = no limit)",
                                  who, want->min_tx_rate, want->max_tx_rate);
        if ((want->mask & VF_ATTR_MIN_TX_RATE) &&
            (r = validate_rate_speed(ctx, vf, who, "min_tx_rate", want->min_tx_rate)) < 0)
                return r;
        if ((want->mask & VF_ATTR_MAX_TX_RATE) &&
            (r = validate_rate_speed(ctx, vf, who, "max_tx_rate", want->max_tx_rate)) < 0)
                return r;
        return 0;
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse_uuid(const char *s, uint8_t ret[16])
{
        size_t len = strlen(s), n = 0;
        bool dashed = len == 36;

        if (len != 32 && len != 36)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                int hi, lo;

                if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
                        if (s[i] != '-')
                                return -EINVAL;
                        continue;
                }
                hi = hex_digit(s[i]);
                lo = i + 1 < len ? hex_digit(s[i + 1]) : -1;
                if (hi < 0 || lo < 0 || n >= 16)
                        return -EINVAL;
                ret[n++] = (uint8_t)(hi << 4 | lo);
                i++;
        }
        return n == 16 ? 0 : -EINVAL;
}

static uint64_t fnv1a64(uint64_t h, const uint8_t *p, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* FNV's low bits mix poorly; the splitmix64 finaliser spreads every input bit over the MAC. */
static uint64_t mix64(uint64_t z)
{
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

int vf_stable_mac(const char *uuid, const struct pci_addr *addr, struct mac_addr *ret)
{
        uint8_t u[16], a[4];
        uint64_t h;

        if (!uuid || parse_uuid(uuid, u) < 0)
                return -EINVAL;
        a[0] = (uint8_t)(addr->domain >> 8);
        a[1] = (uint8_t)addr->domain;
        a[2] = addr->bus;
        a[3] = (uint8_t)(addr->slot << 3 | addr->function);
        h = mix64(fnv1a64(fnv1a64(0xcbf29ce484222325ULL, u, sizeof(u)), a, sizeof(a)));
        for (int i = 0; i < 6; i++)
                ret->b[i] = (uint8_t)(h >> (56 - 8 * i));
        /* Locally administered (bit 1), unicast (bit 0 clear): never zero, never multicast. */
        ret->b[0] = (uint8_t)((ret->b[0] & 0xfc) | 0x02);
        return 0;
}
