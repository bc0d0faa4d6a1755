/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VF settings over rtnetlink: read every VF of a PF in one RTM_GETLINK, change attributes with
 * one RTM_SETLINK each, read back, and undo exactly what was changed.
 *
 * Messages are built and parsed with libnl-route-3's SR-IOV API (rtnl_link_vf_*), which has
 * every attribute we need, including IFLA_VF_VLAN_LIST with its protocol, IFLA_VF_RATE (min and
 * max) and IFLA_VF_RSS_QUERY_EN. Two of its quirks are handled here (see set_vlan and
 * set_rate). One attribute per request, because the kernel applies the attributes of one
 * request in turn and stops at the first error without undoing the earlier ones: separate
 * requests tell us exactly which attribute a driver refused, and what to roll back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>

#include "netlink.h"
#include "vf.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link *, rtnl_link_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link_vf *, rtnl_link_vf_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(nl_vf_vlans_t *, rtnl_link_vf_vlan_put)

/* EBUSY/EAGAIN come from a VF whose driver is still resetting it, which can take a couple of
 * seconds: back off 10, 20, 40 … ms, waiting 2.55 s at most, or less when the context's
 * timeout is shorter. */
#define SET_BACKOFF_MS       10
#define SET_BACKOFF_TOTAL_MS 2550
#define WHO_MAX              96

/* The order of change; restore walks it backwards. The two rates share one message. */
static const unsigned int apply_order[] = {
    VF_ATTR_MAC,       VF_ATTR_VLAN,       VF_ATTR_SPOOFCHK,
    VF_ATTR_TRUST,     VF_ATTR_LINK_STATE, VF_ATTR_MIN_TX_RATE | VF_ATTR_MAX_TX_RATE,
    VF_ATTR_QUERY_RSS,
};

/* --- reading ------------------------------------------------------------------------------ */

static void vf_from_libnl(struct rtnl_link_vf *nvf, struct vf_settings *s)
{
        _cleanup_(rtnl_link_vf_vlan_putp) nl_vf_vlans_t *vlans = NULL;
        struct nl_addr *addr;
        struct nl_vf_rate rate;
        uint32_t v;

        *s = (struct vf_settings){0};
        if (rtnl_link_vf_get_addr(nvf, &addr) == 0 && nl_addr_get_len(addr) == 6) {
                memcpy(s->mac.b, nl_addr_get_binary_addr(addr), 6);
                s->mask |= VF_ATTR_MAC;
        }
        /* libnl leaves the VLAN out when the kernel reports none: that is VLAN 0. */
        s->mask |= VF_ATTR_VLAN;
        s->proto = VF_VLAN_PROTO_8021Q;
        if (rtnl_link_vf_get_vlans(nvf, &vlans) == 0 && vlans->size > 0) {
                s->vlan = vlans->vlans[0].vf_vlan;
                s->qos = vlans->vlans[0].vf_vlan_qos;
                if (vlans->vlans[0].vf_vlan_proto)
                        s->proto = vlans->vlans[0].vf_vlan_proto;
        }
        /* The kernel reports -1 for what the driver cannot tell; libnl then omits it. */
        if (rtnl_link_vf_get_spoofchk(nvf, &v) == 0)
                s->spoofchk = v, s->mask |= VF_ATTR_SPOOFCHK;
        if (rtnl_link_vf_get_trust(nvf, &v) == 0)
                s->trust = v, s->mask |= VF_ATTR_TRUST;
        if (rtnl_link_vf_get_rss_query_en(nvf, &v) == 0)
                s->query_rss = v, s->mask |= VF_ATTR_QUERY_RSS;
        if (rtnl_link_vf_get_linkstate(nvf, &v) == 0 && v <= VF_LINK_STATE_DISABLE)
                s->link_state = (enum vf_link_state)v, s->mask |= VF_ATTR_LINK_STATE;
        /* Rates of 0 are omitted by libnl too: no limit. */
        s->mask |= VF_ATTR_MIN_TX_RATE | VF_ATTR_MAX_TX_RATE;
        if (rtnl_link_vf_get_rate(nvf, &rate) == 0) {
                if (rate.api == RTNL_LINK_VF_RATE_API_OLD)
                        s->max_tx_rate = rate.rate;
                else {
                        s->min_tx_rate = rate.min_tx_rate;
                        s->max_tx_rate = rate.max_tx_rate;
                }
        }
}

struct read_state {
        struct vf_pf_state *out;
        const char *pf_netdev;
        int error;
        bool found;
        bool malformed;
};

static void link_parsed(struct nl_object *obj, void *userdata)
{
        struct rtnl_link *link = (struct rtnl_link *)obj;
        struct read_state *rs = userdata;
        struct vf_pf_state *out = rs->out;
        const char *name = rtnl_link_get_name(link);
        uint32_t num_vfs = 0;

        if (rs->found || !name || strcmp(name, rs->pf_netdev) != 0)
                return;
        rs->found = true;
        snprintf(out->pf_netdev, sizeof(out->pf_netdev), "%s", name);
        out->ifindex = rtnl_link_get_ifindex(link);
        out->up = rtnl_link_get_flags(link) & IFF_UP;
        if (rtnl_link_get_num_vf(link, &num_vfs) < 0 || num_vfs == 0)
                return;
        /* PCIe counts VFs in 16 bits (TotalVFs); more is a damaged reply, not a PF. */
        if (num_vfs > UINT16_MAX) {
                rs->malformed = true;
                rs->error = -EBADMSG;
                return;
        }
        out->vfs = calloc(num_vfs, sizeof(*out->vfs));
        if (!out->vfs) {
                rs->error = -ENOMEM;
                return;
        }
        out->num_vfs = num_vfs;
        if (!rtnl_link_has_vf_list(link))
                return;
        for (uint32_t i = 0; i < num_vfs; i++) {
                _cleanup_(rtnl_link_vf_putp) struct rtnl_link_vf *nvf = rtnl_link_vf_get(link, i);

                if (nvf)
                        vf_from_libnl(nvf, &out->vfs[i]);
        }
}

/* Every VF attribute we read, at its full size (libnl checks only its own top level). */
static struct nla_policy vf_info_policy[IFLA_VF_MAX + 1] = {
    [IFLA_VF_MAC] = {.minlen = sizeof(struct ifla_vf_mac)},
    [IFLA_VF_VLAN] = {.minlen = sizeof(struct ifla_vf_vlan)},
    [IFLA_VF_TX_RATE] = {.minlen = sizeof(struct ifla_vf_tx_rate)},
    [IFLA_VF_SPOOFCHK] = {.minlen = sizeof(struct ifla_vf_spoofchk)},
    [IFLA_VF_LINK_STATE] = {.minlen = sizeof(struct ifla_vf_link_state)},
    [IFLA_VF_RATE] = {.minlen = sizeof(struct ifla_vf_rate)},
    [IFLA_VF_RSS_QUERY_EN] = {.minlen = sizeof(struct ifla_vf_rss_query_en)},
    [IFLA_VF_TRUST] = {.minlen = sizeof(struct ifla_vf_trust)},
    [IFLA_VF_IB_NODE_GUID] = {.minlen = sizeof(struct ifla_vf_guid)},
    [IFLA_VF_IB_PORT_GUID] = {.minlen = sizeof(struct ifla_vf_guid)},
    [IFLA_VF_VLAN_LIST] = {.type = NLA_NESTED},
    [IFLA_VF_STATS] = {.type = NLA_NESTED},
};

static struct nla_policy vf_stats_policy[IFLA_VF_STATS_MAX + 1] = {
    [IFLA_VF_STATS_RX_PACKETS] = {.type = NLA_U64}, [IFLA_VF_STATS_TX_PACKETS] = {.type = NLA_U64},
    [IFLA_VF_STATS_RX_BYTES] = {.type = NLA_U64},   [IFLA_VF_STATS_TX_BYTES] = {.type = NLA_U64},
    [IFLA_VF_STATS_BROADCAST] = {.type = NLA_U64},  [IFLA_VF_STATS_MULTICAST] = {.type = NLA_U64},
    [IFLA_VF_STATS_RX_DROPPED] = {.type = NLA_U64}, [IFLA_VF_STATS_TX_DROPPED] = {.type = NLA_U64},
};

/* libnl reads the first six counters without checking that they are there. */
static bool stats_well_formed(struct nlattr *stats)
{
        struct nlattr *st[IFLA_VF_STATS_MAX + 1];

        if (nla_parse_nested(st, IFLA_VF_STATS_MAX, stats, vf_stats_policy) < 0)
                return false;
        for (int t = IFLA_VF_STATS_RX_PACKETS; t <= IFLA_VF_STATS_MULTICAST; t++)
                if (!st[t])
                        return false;
        return true;
}

static bool vlan_list_well_formed(struct nlattr *list)
{
        struct nlattr *a;
        int rem, n = 0;

        nla_for_each_nested(a, list, rem)
        {
                if (nla_type(a) != IFLA_VF_VLAN_INFO ||
                    nla_len(a) < (int)sizeof(struct ifla_vf_vlan_info))
                        return false;
                n++;
        }
        return rem == 0 && n > 0;
}

/*
 * Hand-written because libnl 3.7 trusts the inner layout of IFLA_VFINFO_LIST: an empty
 * IFLA_VF_VLAN_LIST makes rtnl_link_vf_get_vlans() dereference NULL, short entries are read
 * past their end, a missing counter in IFLA_VF_STATS is dereferenced, and any inner parse
 * error leaks the VFs parsed so far (test_netlink_mutations found them). The kernel sends whole
 * lists; a reply that does not is refused here instead of crashing the hook.
 */
static bool vf_list_well_formed(struct nlmsghdr *h)
{
        struct nlattr *tb[IFLA_MAX + 1], *vt[IFLA_VF_MAX + 1], *info;
        int rem;

        if (nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
                return false;
        if (!tb[IFLA_VFINFO_LIST])
                return true;
        nla_for_each_nested(info, tb[IFLA_VFINFO_LIST], rem)
        {
                if (nla_type(info) != IFLA_VF_INFO ||
                    nla_parse_nested(vt, IFLA_VF_MAX, info, vf_info_policy) < 0 ||
                    (vt[IFLA_VF_VLAN_LIST] && !vlan_list_well_formed(vt[IFLA_VF_VLAN_LIST])) ||
                    (vt[IFLA_VF_STATS] && !stats_well_formed(vt[IFLA_VF_STATS])))
                        return false;
        }
        return rem == 0;
}

static int getlink_reply(struct nl_msg *reply, void *userdata)
{
        struct read_state *rs = userdata;

        if (nlmsg_hdr(reply)->nlmsg_type != RTM_NEWLINK)
                return 0;
        /* A reply libnl cannot parse is malformed too (truncated attributes, bad nesting). */
        if (!vf_list_well_formed(nlmsg_hdr(reply)) || nl_msg_parse(reply, link_parsed, rs) < 0) {
                rs->malformed = true;
                return -EBADMSG;
        }
        return rs->error;
}

void vf_pf_state_clear(struct vf_pf_state *state)
{
        free(state->vfs);
        *state = (struct vf_pf_state){0};
}

static const char *kernel_says(const struct nl_report *report, char *buf, size_t size)
{
        const char *text = nl_report_text(report);

        if (!*text)
                return "";
        snprintf(buf, size, " (%s%s)", report->ext_ack[0] ? "kernel: " : "", text);
        return buf;
}

int vf_pf_read(vfh_ctx *ctx, const char *pf_netdev, struct vf_pf_state *ret)
{
        _cleanup_(nlmsg_freep) struct nl_msg *req = NULL;
        struct vf_pf_state state = {0};
        struct read_state rs = {.out = &state, .pf_netdev = pf_netdev};
        struct nl_report report;
        char why[NL_TEXT_MAX + 16];
        int r;

        /* RTM_GETLINK by name with IFLA_EXT_MASK = RTEXT_FILTER_VF, so the VF list comes too. */
        if (rtnl_link_build_get_request(0, pf_netdev, &req) < 0)
                return vfh_errorf(ctx, ENOMEM, "%s: read VF settings: out of memory", pf_netdev);
        r = nl_seam_request(ctx, req, getlink_reply, &rs, &report);
        if (r == 0 && !rs.found)
                r = -ENODEV;
        if (r < 0) {
                vf_pf_state_clear(&state);
                if (r == -ENODEV)
                        return vfh_errorf(ctx, r,
                                          "%s: read VF settings: no such network interface%s; "
                                          "'ip link' lists them",
                                          pf_netdev, kernel_says(&report, why, sizeof(why)));
                if (rs.malformed)
                        return vfh_errorf(ctx, r,
                                          "%s: read VF settings: the kernel's RTM_GETLINK reply "
                                          "is malformed (its VF list does not parse); nothing "
                                          "was changed",
                                          pf_netdev);
                return vfh_errorf(ctx, r, "%s: read VF settings: RTM_GETLINK failed: %s%s",
                                  pf_netdev, strerror(-r), kernel_says(&report, why, sizeof(why)));
        }
        *ret = state;
        return 0;
}

static int check_index(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_pf_state *pf)
{
        char who[WHO_MAX];

        if (vf->index < pf->num_vfs)
                return 0;
        return vfh_errorf(ctx, ENODEV,
                          "%s: no such VF: %s has %u VFs; create more with sriov_numvfs",
                          vf_ref_format(vf, who, sizeof(who)), vf->pf_netdev, pf->num_vfs);
}

int vf_read(vfh_ctx *ctx, const struct vf_ref *vf, struct vf_settings *ret)
{
        struct vf_pf_state pf;
        int r = vf_pf_read(ctx, vf->pf_netdev, &pf);

        if (r < 0)
                return r;
        r = check_index(ctx, vf, &pf);
        if (r == 0)
                *ret = pf.vfs[vf->index];
        vf_pf_state_clear(&pf);
        return r;
}

/* --- building one RTM_SETLINK ------------------------------------------------------------ */

static int set_vlan(struct rtnl_link_vf *nvf, const struct vf_settings *s)
{
        _cleanup_(rtnl_link_vf_vlan_putp) nl_vf_vlans_t *vlans = NULL;
        uint16_t proto = s->proto ? s->proto : VF_VLAN_PROTO_8021Q;

        if (rtnl_link_vf_vlan_alloc(&vlans, 1) < 0)
                return -ENOMEM;
        vlans->vlans[0].vf_vlan = s->vlan;
        vlans->vlans[0].vf_vlan_qos = s->qos;
        /* libnl 3.7 sends 802.1Q as IFLA_VF_VLAN (right), but copies any other protocol into
         * IFLA_VF_VLAN_INFO's big-endian vlan_proto unconverted, while its parser converts with
         * ntohs. So 802.1ad is handed over in network order; test_vf checks the wire bytes. */
        vlans->vlans[0].vf_vlan_proto = proto == VF_VLAN_PROTO_8021Q ? proto : htons(proto);
        rtnl_link_vf_set_vlans(nvf, vlans);
        return 0;
}

/* IFLA_VF_RATE always carries both rates and the kernel sets both, so the one not being
 * changed is sent with its current value, or it would be reset to 0. */
static void set_rate(struct rtnl_link_vf *nvf, const struct vf_settings *s,
                     const struct vf_settings *cur)
{
        struct nl_vf_rate rate = {
            .api = RTNL_LINK_VF_RATE_API_NEW,
            .min_tx_rate = (s->mask & VF_ATTR_MIN_TX_RATE) ? s->min_tx_rate : cur->min_tx_rate,
            .max_tx_rate = (s->mask & VF_ATTR_MAX_TX_RATE) ? s->max_tx_rate : cur->max_tx_rate,
        };

        rtnl_link_vf_set_rate(nvf, &rate);
}

static int fill_vf(struct rtnl_link_vf *nvf, unsigned int attr, const struct vf_settings *s,
                   const struct vf_settings *cur)
{
        _cleanup_(nl_addr_putp) struct nl_addr *addr = NULL;

        switch (attr) {
        case VF_ATTR_MAC:
                addr = nl_addr_build(AF_LLC, s->mac.b, sizeof(s->mac.b));
                if (!addr)
                        return -ENOMEM;
                rtnl_link_vf_set_addr(nvf, addr);
                return 0;
        case VF_ATTR_VLAN:
                return set_vlan(nvf, s);
        case VF_ATTR_SPOOFCHK:
                rtnl_link_vf_set_spoofchk(nvf, s->spoofchk);
                return 0;
        case VF_ATTR_TRUST:
                rtnl_link_vf_set_trust(nvf, s->trust);
                return 0;
        case VF_ATTR_LINK_STATE:
                rtnl_link_vf_set_linkstate(nvf, s->link_state);
                return 0;
        case VF_ATTR_QUERY_RSS:
                rtnl_link_vf_set_rss_query_en(nvf, s->query_rss);
                return 0;
        default:
                set_rate(nvf, s, cur);
                return 0;
        }
}

/* RTM_SETLINK on the PF: IFLA_VFINFO_LIST → IFLA_VF_INFO → the one attribute (group). */
static int build_setlink(int ifindex, unsigned int index, unsigned int attr,
                         const struct vf_settings *s, const struct vf_settings *cur,
                         struct nl_msg **ret)
{
        _cleanup_(rtnl_link_putp) struct rtnl_link *orig = rtnl_link_alloc();
        _cleanup_(rtnl_link_putp) struct rtnl_link *changes = rtnl_link_alloc();
        _cleanup_(rtnl_link_vf_putp) struct rtnl_link_vf *nvf = rtnl_link_vf_alloc();
        struct nl_msg *msg;
        int r;

        if (!orig || !changes || !nvf)
                return -ENOMEM;
        rtnl_link_set_ifindex(orig, ifindex);
        rtnl_link_vf_set_index(nvf, index);
        r = fill_vf(nvf, attr, s, cur);
        if (r < 0)
                return r;
        if (rtnl_link_vf_add(changes, nvf) < 0 ||
            rtnl_link_build_change_request(orig, changes, 0, &msg) < 0)
                return -ENOMEM;
        /* libnl builds RTM_NEWLINK; changing an existing device is RTM_SETLINK, which every
         * kernel accepts without the NEWLINK-then-SETLINK retry rtnl_link_change() does. */
        nlmsg_hdr(msg)->nlmsg_type = RTM_SETLINK;
        *ret = msg;
        return 0;
}

/* --- changing ----------------------------------------------------------------------------- */

static void sleep_ms(unsigned int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

struct retry {
        unsigned int waited_ms;
        int attempts;
};

static int send_with_retry(vfh_ctx *ctx, struct nl_msg *msg, struct nl_report *report,
                           struct retry *retry)
{
        unsigned int budget =
            ctx->timeout_ms < SET_BACKOFF_TOTAL_MS ? ctx->timeout_ms : SET_BACKOFF_TOTAL_MS;
        unsigned int backoff = SET_BACKOFF_MS;
        int r;

        *retry = (struct retry){0};
        for (;;) {
                r = nl_seam_request(ctx, msg, NULL, NULL, report);
                retry->attempts++;
                if ((r != -EBUSY && r != -EAGAIN) || retry->waited_ms + backoff > budget)
                        return r;
                vfh_debug(ctx, "netlink: RTM_SETLINK busy (%s), attempt %d, retrying in %u ms",
                          strerror(-r), retry->attempts, backoff);
                sleep_ms(backoff);
                retry->waited_ms += backoff;
                backoff *= 2;
        }
}

static const char *attr_label(unsigned int attr, const struct vf_settings *s, char *buf,
                              size_t size)
{
        char v1[64], v2[64];

        if (attr == (VF_ATTR_MIN_TX_RATE | VF_ATTR_MAX_TX_RATE)) {
                if ((s->mask & attr) == VF_ATTR_MIN_TX_RATE)
                        attr = VF_ATTR_MIN_TX_RATE;
                else if ((s->mask & attr) == VF_ATTR_MAX_TX_RATE)
                        attr = VF_ATTR_MAX_TX_RATE;
                else {
                        snprintf(buf, size, "min_tx_rate=%s max_tx_rate=%s",
                                 vf_settings_value(s, VF_ATTR_MIN_TX_RATE, v1, sizeof(v1)),
                                 vf_settings_value(s, VF_ATTR_MAX_TX_RATE, v2, sizeof(v2)));
                        return buf;
                }
        }
        snprintf(buf, size, "%s=%s", vf_attr_name(attr),
                 vf_settings_value(s, attr, v1, sizeof(v1)));
        return buf;
}

/* What to do, by the kernel's answer. The PF being down trumps everything else. */
static void advice(vfh_ctx *ctx, const char *pf, bool pf_up, int r, const struct retry *retry,
                   char *buf, size_t size)
{
        char driver[64];

        vf_pf_driver(ctx, pf, driver, sizeof(driver));
        if (!pf_up)
                snprintf(buf, size, "%s is down; bring %s up first: ip link set %s up", pf, pf, pf);
        else if (r == -EOPNOTSUPP)
                snprintf(buf, size, "the %s driver of %s does not support it", driver, pf);
        else if (r == -EINVAL || r == -ERANGE || r == -EPROTONOSUPPORT)
                snprintf(buf, size, "the %s driver of %s refused the value", driver, pf);
        else if (r == -EPERM || r == -EACCES)
                snprintf(buf, size, "changing VF settings needs CAP_NET_ADMIN (run as root)");
        else if (r == -EBUSY || r == -EAGAIN)
                snprintf(buf, size,
                         "the VF stayed busy (in reset?) for %u ms over %d attempts; retry when "
                         "its driver (%s) has settled",
                         retry->waited_ms, retry->attempts, driver);
        else
                snprintf(buf, size, "driver %s", driver);
}

static int set_attr(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_pf_state *pf,
                    unsigned int attr, const struct vf_settings *s)
{
        _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
        char who[WHO_MAX], label[160], what[256], why[NL_TEXT_MAX + 16];
        struct nl_report report;
        struct retry retry;
        int r;

        vf_ref_format(vf, who, sizeof(who));
        attr_label(attr, s, label, sizeof(label));
        r = build_setlink(pf->ifindex, vf->index, attr, s, &pf->vfs[vf->index], &msg);
        if (r < 0)
                return vfh_errorf(ctx, r, "%s: set %s: cannot build the request: %s", who, label,
                                  strerror(-r));
        vfh_debug(ctx, "%s: set %s", who, label);
        r = send_with_retry(ctx, msg, &report, &retry);
        if (r < 0) {
                advice(ctx, vf->pf_netdev, pf->up, r, &retry, what, sizeof(what));
                return vfh_errorf(ctx, r, "%s: set %s: %s%s; %s", who, label, strerror(-r),
                                  kernel_says(&report, why, sizeof(why)), what);
        }
        return 0;
}

static bool attr_equal(unsigned int attr, const struct vf_settings *a, const struct vf_settings *b)
{
        switch (attr) {
        case VF_ATTR_MAC:
                return mac_addr_equal(&a->mac, &b->mac);
        case VF_ATTR_VLAN:
                return a->vlan == b->vlan && a->qos == b->qos &&
                       (a->proto ? a->proto : VF_VLAN_PROTO_8021Q) ==
                           (b->proto ? b->proto : VF_VLAN_PROTO_8021Q);
        case VF_ATTR_SPOOFCHK:
                return a->spoofchk == b->spoofchk;
        case VF_ATTR_TRUST:
                return a->trust == b->trust;
        case VF_ATTR_LINK_STATE:
                return a->link_state == b->link_state;
        case VF_ATTR_MIN_TX_RATE:
                return a->min_tx_rate == b->min_tx_rate;
        case VF_ATTR_MAX_TX_RATE:
                return a->max_tx_rate == b->max_tx_rate;
        case VF_ATTR_QUERY_RSS:
                return a->query_rss == b->query_rss;
        }
        return false;
}

/* Copies attribute attr of src into dst and marks it. */
static void attr_copy(unsigned int attr, struct vf_settings *dst, const struct vf_settings *src)
{
        switch (attr) {
        case VF_ATTR_MAC:
                dst->mac = src->mac;
                break;
        case VF_ATTR_VLAN:
                dst->vlan = src->vlan;
                dst->qos = src->qos;
                dst->proto = src->proto ? src->proto : VF_VLAN_PROTO_8021Q;
                break;
        case VF_ATTR_SPOOFCHK:
                dst->spoofchk = src->spoofchk;
                break;
        case VF_ATTR_TRUST:
                dst->trust = src->trust;
                break;
        case VF_ATTR_LINK_STATE:
                dst->link_state = src->link_state;
                break;
        case VF_ATTR_MIN_TX_RATE:
                dst->min_tx_rate = src->min_tx_rate;
                break;
        case VF_ATTR_MAX_TX_RATE:
                dst->max_tx_rate = src->max_tx_rate;
                break;
        case VF_ATTR_QUERY_RSS:
                dst->query_rss = src->query_rss;
                break;
        }
        dst->mask |= attr;
}

/* Some drivers accept a value and ignore it: the kernel's own report is the judge. */
static int verify(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *want)
{
        struct vf_pf_state pf;
        char who[WHO_MAX], driver[64], v1[64], v2[64];
        int r = vf_pf_read(ctx, vf->pf_netdev, &pf);

        if (r < 0)
                return r;
        if ((r = check_index(ctx, vf, &pf)) < 0)
                goto out;
        for (unsigned int attr = 1; attr <= VF_ATTR_QUERY_RSS; attr <<= 1) {
                const struct vf_settings *got = &pf.vfs[vf->index];

                if (!(want->mask & attr))
                        continue;
                if (!(got->mask & attr)) {
                        vfh_info(ctx, "%s: %s cannot be verified: the driver does not report it",
                                 vf_ref_format(vf, who, sizeof(who)), vf_attr_name(attr));
                        continue;
                }
                if (attr_equal(attr, want, got))
                        continue;
                vf_pf_driver(ctx, vf->pf_netdev, driver, sizeof(driver));
                r = vfh_errorf(ctx, EIO,
                               "%s: %s accepted %s=%s but reports %s; the driver ignores this "
                               "setting, leave it out",
                               vf_ref_format(vf, who, sizeof(who)), driver, vf_attr_name(attr),
                               vf_settings_value(want, attr, v1, sizeof(v1)),
                               vf_settings_value(got, attr, v2, sizeof(v2)));
                break;
        }
out:
        vf_pf_state_clear(&pf);
        return r;
}

/* The merged rates (wanted or current) must still make sense together. */
static int check_rates(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *want,
                       const struct vf_settings *cur)
{
        uint32_t min = (want->mask & VF_ATTR_MIN_TX_RATE) ? want->min_tx_rate : cur->min_tx_rate;
        uint32_t max = (want->mask & VF_ATTR_MAX_TX_RATE) ? want->max_tx_rate : cur->max_tx_rate;
        char who[WHO_MAX];

        if (!(want->mask & (VF_ATTR_MIN_TX_RATE | VF_ATTR_MAX_TX_RATE)) || max == 0 || min <= max)
                return 0;
        return vfh_errorf(ctx, EINVAL,
                          "%s: min_tx_rate %u would be above max_tx_rate %u; change both "
                          "together (0 = no limit)",
                          vf_ref_format(vf, who, sizeof(who)), min, max);
}

/* An attribute the driver does not report (the kernel sends -1) can be set but its original
 * cannot be saved; a VF the kernel sent nothing about at all is not touched. */
static int check_reported(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *cur,
                          unsigned int attr)
{
        char who[WHO_MAX];

        vf_ref_format(vf, who, sizeof(who));
        if (!cur->mask)
                return vfh_errorf(ctx, EBADMSG,
                                  "%s: the kernel reported no settings for this VF (its VF list "
                                  "is missing or cut short), so nothing could be restored; "
                                  "leaving it alone",
                                  who);
        vfh_warn(ctx,
                 "%s: the driver does not report %s, so its original cannot be saved or "
                 "restored",
                 who, vf_attr_name(attr));
        return 0;
}

/* Validates want against the VF's current state cur: *change gets what differs, saved the
 * original of each of those the driver reports. */
static int prepare_from(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_pf_state *pf,
                        const struct vf_settings *want, struct vf_settings *saved,
                        unsigned int *change)
{
        const struct vf_settings *cur;
        int r;

        if ((r = vf_settings_validate(ctx, vf, want)) < 0 || (r = check_index(ctx, vf, pf)) < 0)
                return r;
        cur = &pf->vfs[vf->index];
        if ((r = check_rates(ctx, vf, want, cur)) < 0)
                return r;
        *saved = (struct vf_settings){0};
        *change = 0;
        for (unsigned int attr = 1; attr <= VF_ATTR_QUERY_RSS; attr <<= 1) {
                if (!(want->mask & attr))
                        continue;
                if (!(cur->mask & attr)) {
                        if ((r = check_reported(ctx, vf, cur, attr)) < 0)
                                return r;
                } else if (attr_equal(attr, want, cur))
                        continue;
                else
                        attr_copy(attr, saved, cur);
                *change |= attr;
        }
        return 0;
}

int vf_settings_prepare(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *want,
                        struct vf_settings *saved)
{
        struct vf_pf_state pf;
        unsigned int change;
        int r = vf_pf_read(ctx, vf->pf_netdev, &pf);

        if (r < 0)
                return r;
        r = prepare_from(ctx, vf, &pf, want, saved, &change);
        vf_pf_state_clear(&pf);
        return r;
}

/* Sets every attribute of s that is in mask, in apply order or its reverse. Stops at the first
 * failure unless keep_going; returns the first error. *done gets what succeeded. */
static int set_attrs(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_pf_state *pf,
                     const struct vf_settings *s, unsigned int mask, bool reverse, bool keep_going,
                     unsigned int *done)
{
        int first = 0;

        *done = 0;
        for (size_t i = 0; i < ARRAY_SIZE(apply_order); i++) {
                unsigned int attr = apply_order[reverse ? ARRAY_SIZE(apply_order) - 1 - i : i];
                int r;

                if (!(mask & attr))
                        continue;
                r = set_attr(ctx, vf, pf, attr, s);
                if (r == 0)
                        *done |= mask & attr;
                else if (!first)
                        first = r;
                if (r < 0 && !keep_going)
                        break;
        }
        return first;
}

/* Undoes a failed apply without losing the message that explains why it failed. */
static void roll_back(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_pf_state *pf,
                      const struct vf_settings *saved, unsigned int changed)
{
        char error[VFH_ERROR_MAX], who[WHO_MAX];
        unsigned int done;

        if (!changed)
                return;
        snprintf(error, sizeof(error), "%s", ctx->last_error);
        if (set_attrs(ctx, vf, pf, saved, changed, true, true, &done) < 0)
                vfh_warn(ctx, "%s: rolling back failed too, VF left changed: %s",
                         vf_ref_format(vf, who, sizeof(who)), ctx->last_error);
        snprintf(ctx->last_error, sizeof(ctx->last_error), "%s", error);
}

int vf_settings_apply(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *want,
                      struct vf_settings *saved)
{
        struct vf_pf_state pf;
        struct vf_settings orig;
        unsigned int change = 0, changed = 0;
        int r = vf_pf_read(ctx, vf->pf_netdev, &pf);

        if (r < 0)
                return r;
        r = prepare_from(ctx, vf, &pf, want, &orig, &change);
        if (r == 0)
                r = set_attrs(ctx, vf, &pf, want, change, false, false, &changed);
        if (r == 0 && change) {
                struct vf_settings check = *want;

                check.mask = change;
                r = verify(ctx, vf, &check);
        }
        if (r < 0)
                roll_back(ctx, vf, &pf, &orig, changed & orig.mask);
        else if (saved)
                *saved = orig;
        vf_pf_state_clear(&pf);
        return r;
}

int vf_settings_restore(vfh_ctx *ctx, const struct vf_ref *vf, const struct vf_settings *saved)
{
        struct vf_pf_state pf;
        unsigned int done;
        int r;

        if (!saved->mask)
                return 0;
        r = vf_pf_read(ctx, vf->pf_netdev, &pf);
        if (r < 0)
                return r;
        r = check_index(ctx, vf, &pf);
        if (r == 0)
                r = set_attrs(ctx, vf, &pf, saved, saved->mask, true, true, &done);
        if (r == 0)
                r = verify(ctx, vf, saved);
        vf_pf_state_clear(&pf);
        return r;
}

int vf_want_stable_mac(vfh_ctx *ctx, const struct vf_ref *vf, const char *uuid, bool always,
                       struct vf_settings *want)
{
        struct vf_settings cur;
        struct mac_addr stable;
        char who[WHO_MAX], mac[MAC_ADDR_STRLEN];
        int r;

        if (want->mask & VF_ATTR_MAC)
                return 0;
        vf_ref_format(vf, who, sizeof(who));
        if (!vf->has_addr)
                return vfh_errorf(ctx, EINVAL,
                                  "%s: no PCI address to derive a stable MAC from; give mac= in "
                                  "the metadata",
                                  who);
        if (vf_stable_mac(uuid, &vf->addr, &stable) < 0)
                return vfh_errorf(ctx, EINVAL, "%s: stable MAC: '%s' is not a domain UUID", who,
                                  uuid ? uuid : "");
        if ((r = vf_read(ctx, vf, &cur)) < 0)
                return r;
        if ((cur.mask & VF_ATTR_MAC) && mac_addr_equal(&cur.mac, &stable))
                return 0;
        if (!always && (cur.mask & VF_ATTR_MAC) && !mac_addr_is_zero(&cur.mac))
                return 0;
        want->mac = stable;
        want->mask |= VF_ATTR_MAC;
        vfh_info(ctx, "%s: using the stable MAC %s", who, mac_addr_format(&stable, mac));
        return 1;
}
