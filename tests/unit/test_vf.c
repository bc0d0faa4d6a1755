/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VF read, apply and restore against a small model of the kernel's SR-IOV netlink behind the
 * seam: it answers RTM_GETLINK with every VF (as rtnl_fill_vfinfo() lays them out), applies
 * RTM_SETLINK attributes to its table, and injects the errors a real driver gives (table
 * driven: EPERM, EOPNOTSUPP, EBUSY, text in the extended ack, ignored values, truncation).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "netlink.h"
#include "support.h"
#include "test_netlink_wire.h"
#include "vf.h"

#ifdef VFH_TEST_BUILD

#define FAKE_MAX_VFS 128
#define FAKE_LOG_MAX 256

struct fake_kernel {
        struct wire_queue q;
        char name[IFNAMSIZ];
        int ifindex;
        bool up;
        unsigned int num_vfs;
        struct vf_settings vfs[FAKE_MAX_VFS]; /* mask: what the "driver" reports */
        /* injection: IFLA_VF_* type that fails fail_times times (-1: always) */
        int fail_type;
        int fail_errno;
        int fail_times;
        const char *fail_text;
        int ignore_type; /* accepted, not stored: a driver that ignores the value */
        size_t truncate_getlink_to;
        bool omit_vf_list;    /* IFLA_NUM_VF without IFLA_VFINFO_LIST */
        bool empty_vlan_list; /* an IFLA_VF_VLAN_LIST with no entry: libnl would crash */
        /* observation */
        int getlinks;
        int setlinks;
        int log[FAKE_LOG_MAX]; /* IFLA_VF_* type of every attribute set, in order */
        size_t n_log;
        uint8_t last_vlan_proto_wire[2];
        struct ifla_vf_rate last_rate;
};

static struct fake_kernel fk;

/* --- RTM_GETLINK: the reply, as the kernel fills it ---------------------------------------- */

static void put_vf(struct nl_msg *msg, unsigned int i, const struct vf_settings *s)
{
        struct nlattr *info = nla_nest_start(msg, IFLA_VF_INFO), *list, *stats;
        struct ifla_vf_mac mac = {.vf = i};
        struct ifla_vf_vlan vlan = {.vf = i, .vlan = s->vlan, .qos = s->qos};
        struct ifla_vf_vlan_info vinfo = {.vf = i, .vlan = s->vlan, .qos = s->qos};
        struct ifla_vf_tx_rate tx = {.vf = i, .rate = s->max_tx_rate};
        struct ifla_vf_rate rate = {
            .vf = i, .min_tx_rate = s->min_tx_rate, .max_tx_rate = s->max_tx_rate};
        /* The kernel reports -1 for what the driver's ndo_get_vf_config leaves unset. */
        struct ifla_vf_spoofchk spoof = {
            .vf = i, .setting = (s->mask & VF_ATTR_SPOOFCHK) ? s->spoofchk : -1u};
        struct ifla_vf_trust trust = {.vf = i,
                                      .setting = (s->mask & VF_ATTR_TRUST) ? s->trust : -1u};
        struct ifla_vf_rss_query_en rss = {
            .vf = i, .setting = (s->mask & VF_ATTR_QUERY_RSS) ? s->query_rss : -1u};
        struct ifla_vf_link_state ls = {.vf = i, .link_state = s->link_state};

        struct ifla_vf_broadcast bcast;

        memset(bcast.broadcast, 0xff, sizeof(bcast.broadcast));
        memcpy(mac.mac, s->mac.b, 6);
        vinfo.vlan_proto = htons(s->proto ? s->proto : ETH_P_8021Q);
        nla_put(msg, IFLA_VF_MAC, sizeof(mac), &mac);
        nla_put(msg, IFLA_VF_BROADCAST, sizeof(bcast), &bcast);
        nla_put(msg, IFLA_VF_VLAN, sizeof(vlan), &vlan);
        if (fk.empty_vlan_list) {
                nla_put(msg, IFLA_VF_VLAN_LIST, 0, NULL); /* libnl trims empty nests */
        } else {
                list = nla_nest_start(msg, IFLA_VF_VLAN_LIST);
                nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(vinfo), &vinfo);
                nla_nest_end(msg, list);
        }
        nla_put(msg, IFLA_VF_TX_RATE, sizeof(tx), &tx);
        nla_put(msg, IFLA_VF_RATE, sizeof(rate), &rate);
        nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(spoof), &spoof);
        nla_put(msg, IFLA_VF_LINK_STATE, sizeof(ls), &ls);
        nla_put(msg, IFLA_VF_RSS_QUERY_EN, sizeof(rss), &rss);
        nla_put(msg, IFLA_VF_TRUST, sizeof(trust), &trust);
        stats = nla_nest_start(msg, IFLA_VF_STATS);
        for (int t = IFLA_VF_STATS_RX_PACKETS; t <= IFLA_VF_STATS_TX_DROPPED; t++)
                nla_put_u64(msg, t, 1000u * i + (unsigned int)t);
        nla_nest_end(msg, stats);
        nla_nest_end(msg, info);
}

static void answer_getlink(const struct nlmsghdr *req)
{
        struct nlattr *tb[IFLA_MAX + 1], *vfl;
        struct ifinfomsg ifi = {.ifi_index = fk.ifindex, .ifi_flags = fk.up ? IFF_UP : 0};
        struct nl_msg *msg;
        uint8_t err[512];
        char name[IFNAMSIZ] = "";
        size_t len;

        fk.getlinks++;
        if (nlmsg_parse((struct nlmsghdr *)req, sizeof(ifi), tb, IFLA_MAX, NULL) == 0 &&
            tb[IFLA_IFNAME])
                nla_strlcpy(name, tb[IFLA_IFNAME], sizeof(name));
        if (strcmp(name, fk.name) != 0) {
                wire_push(&fk.q, err, wire_error(err, sizeof(err), req, -ENODEV, NULL, true));
                return;
        }
        msg = nlmsg_alloc_size(1 << 17);
        nlmsg_put(msg, 0, req->nlmsg_seq, RTM_NEWLINK, 0, 0);
        nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
        nla_put_string(msg, IFLA_IFNAME, fk.name);
        nla_put_u32(msg, IFLA_NUM_VF, fk.num_vfs);
        if (!fk.omit_vf_list) {
                vfl = nla_nest_start(msg, IFLA_VFINFO_LIST);
                for (unsigned int i = 0; i < fk.num_vfs; i++)
                        put_vf(msg, i, &fk.vfs[i]);
                nla_nest_end(msg, vfl);
        }
        len = nlmsg_hdr(msg)->nlmsg_len;
        wire_push(&fk.q, nlmsg_hdr(msg), fk.truncate_getlink_to ? fk.truncate_getlink_to : len);
        nlmsg_free(msg);
        wire_push(&fk.q, err, wire_error(err, sizeof(err), req, 0, NULL, true));
}

/* --- RTM_SETLINK: the model of do_setvfinfo() and a driver ------------------------------- */

static int store(int type, struct nlattr *a)
{
        uint32_t vf = *(uint32_t *)nla_data(a);
        struct vf_settings *s;

        if (vf >= fk.num_vfs)
                return -EINVAL;
        s = &fk.vfs[vf];
        if (type == fk.ignore_type)
                return 0;
        switch (type) {
        case IFLA_VF_MAC:
                memcpy(s->mac.b, ((struct ifla_vf_mac *)nla_data(a))->mac, 6);
                break;
        case IFLA_VF_VLAN:
                s->vlan = ((struct ifla_vf_vlan *)nla_data(a))->vlan;
                s->qos = ((struct ifla_vf_vlan *)nla_data(a))->qos;
                s->proto = ETH_P_8021Q;
                break;
        case IFLA_VF_SPOOFCHK:
                s->spoofchk = ((struct ifla_vf_spoofchk *)nla_data(a))->setting;
                break;
        case IFLA_VF_TRUST:
                s->trust = ((struct ifla_vf_trust *)nla_data(a))->setting;
                break;
        case IFLA_VF_LINK_STATE:
                s->link_state = ((struct ifla_vf_link_state *)nla_data(a))->link_state;
                break;
        case IFLA_VF_RSS_QUERY_EN:
                s->query_rss = ((struct ifla_vf_rss_query_en *)nla_data(a))->setting;
                break;
        case IFLA_VF_RATE:
                fk.last_rate = *(struct ifla_vf_rate *)nla_data(a);
                s->min_tx_rate = fk.last_rate.min_tx_rate;
                s->max_tx_rate = fk.last_rate.max_tx_rate;
                break;
        }
        return 0;
}

static int store_vlan_list(struct nlattr *list)
{
        struct nlattr *a;
        int rem;

        nla_for_each_nested(a, list, rem)
        {
                struct ifla_vf_vlan_info *vi = nla_data(a);

                if (vi->vf >= fk.num_vfs)
                        return -EINVAL;
                memcpy(fk.last_vlan_proto_wire, &vi->vlan_proto, 2);
                if (ntohs(vi->vlan_proto) != ETH_P_8021Q && ntohs(vi->vlan_proto) != ETH_P_8021AD)
                        return -EPROTONOSUPPORT;
                fk.vfs[vi->vf].vlan = vi->vlan;
                fk.vfs[vi->vf].qos = vi->qos;
                fk.vfs[vi->vf].proto = ntohs(vi->vlan_proto);
        }
        return 0;
}

static int apply_vf_info(struct nlattr *info)
{
        struct nlattr *a;
        int rem, r = 0;

        nla_for_each_nested(a, info, rem)
        {
                int type = nla_type(a);

                if (fk.n_log < FAKE_LOG_MAX)
                        fk.log[fk.n_log++] = type;
                if (type == fk.fail_type && fk.fail_times != 0) {
                        if (fk.fail_times > 0)
                                fk.fail_times--;
                        return -fk.fail_errno;
                }
                r = type == IFLA_VF_VLAN_LIST ? store_vlan_list(a) : store(type, a);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void answer_setlink(const struct nlmsghdr *req)
{
        struct nlattr *tb[IFLA_MAX + 1], *info;
        uint8_t ack[512];
        int rem, r = 0;

        fk.setlinks++;
        if (nlmsg_parse((struct nlmsghdr *)req, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 ||
            ((struct ifinfomsg *)NLMSG_DATA(req))->ifi_index != fk.ifindex)
                r = -ENODEV;
        else if (tb[IFLA_VFINFO_LIST])
                nla_for_each_nested(info, tb[IFLA_VFINFO_LIST], rem) if (r == 0) r =
                    apply_vf_info(info);
        wire_push(
            &fk.q, ack,
            wire_error(ack, sizeof(ack), req, r, r && fk.fail_text ? fk.fail_text : NULL, true));
}

static int fake_send(void *data, const void *buf, size_t len)
{
        const struct nlmsghdr *req = buf;

        (void)data, (void)len;
        if (req->nlmsg_type == RTM_GETLINK)
                answer_getlink(req);
        else if (req->nlmsg_type == RTM_SETLINK)
                answer_setlink(req);
        else
                abort();
        return 0;
}

static ssize_t fake_recv(void *data, void *buf, size_t size, int flags)
{
        (void)data;
        return wire_recv(&fk.q, buf, size, flags);
}

/* An igb-like PF "eth1" (ifindex 5, up) with n VFs: distinct MACs, spoofchk on, no
 * query_rss getter. The sysroot gives the driver name and a 1000 Mbit/s link. */
static vfh_ctx *fake_start(unsigned int n)
{
        static const struct nl_transport t = {fake_send, fake_recv, NULL};
        const char *root = test_tmpdir();
        vfh_ctx *ctx = NULL;

        wire_clear(&fk.q);
        fk = (struct fake_kernel){
            .ifindex = 5, .up = true, .num_vfs = n, .fail_type = -1, .ignore_type = -1};
        strcpy(fk.name, "eth1");
        for (unsigned int i = 0; i < n; i++) {
                struct vf_settings *s = &fk.vfs[i];

                *s =
                    (struct vf_settings){.mask = VF_ATTRS_ALL & ~VF_ATTR_QUERY_RSS,
                                         .mac = {{0x52, 0x54, 0, 0, (uint8_t)(i >> 8), (uint8_t)i}},
                                         .proto = ETH_P_8021Q,
                                         .spoofchk = true};
        }
        test_mkdir(root, "sys/bus/pci/drivers/igb");
        test_mkdir(root, "sys/devices/pci0000:00/0000:01:00.0/net/eth1");
        test_symlink(root, "sys/devices/pci0000:00/0000:01:00.0/driver",
                     "../../../bus/pci/drivers/igb");
        test_symlink(root, "sys/class/net/eth1", "../../devices/pci0000:00/0000:01:00.0/net/eth1");
        test_symlink(root, "sys/devices/pci0000:00/0000:01:00.0/net/eth1/device",
                     "../../../0000:01:00.0");
        test_write_file(root, "sys/devices/pci0000:00/0000:01:00.0/net/eth1/speed", "1000\n");
        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, root) < 0)
                abort();
        nl_seam_set_transport(&t);
        return ctx;
}

static void fake_stop(vfh_ctx *ctx)
{
        nl_seam_set_transport(NULL);
        wire_clear(&fk.q);
        vfh_ctx_unref(ctx);
}

static struct vf_ref ref(unsigned int index)
{
        struct vf_ref r = {.index = index};

        strcpy(r.pf_netdev, "eth1");
        return r;
}

static struct vf_settings parse(vfh_ctx *ctx, const char *const *kv)
{
        struct vf_settings s = {0};

        for (; kv[0]; kv += 2)
                if (vf_settings_parse_field(ctx, &s, kv[0], kv[1]) < 0)
                        abort();
        return s;
}

/* --- reading ----------------------------------------------------------------------------- */

TEST(read_64_vfs_in_one_round_trip)
{
        vfh_ctx *ctx = fake_start(64);
        struct vf_pf_state st = {0};

        fk.vfs[63].vlan = 42, fk.vfs[63].qos = 5, fk.vfs[63].proto = ETH_P_8021AD;
        fk.vfs[63].min_tx_rate = 10, fk.vfs[63].max_tx_rate = 100;
        fk.vfs[63].link_state = VF_LINK_STATE_DISABLE, fk.vfs[63].trust = true;
        CHECK_INT(vf_pf_read(ctx, "eth1", &st), 0);
        CHECK_INT(ctx->counters.netlink_calls, 1);
        printf("# 64-VF reply: %zu bytes in one datagram\n", fk.q.largest);
        CHECK(fk.q.largest > 4 * 4096); /* one datagram, four pages and more */
        CHECK_INT(st.num_vfs, 64);
        if (st.num_vfs != 64) {
                fake_stop(ctx);
                return;
        }
        CHECK_INT(st.ifindex, 5);
        CHECK(st.up);
        for (unsigned int i = 0; i < st.num_vfs; i++)
                CHECK_INT(st.vfs[i].mac.b[5], i);
        CHECK_INT(st.vfs[63].vlan, 42);
        CHECK_INT(st.vfs[63].qos, 5);
        CHECK_INT(st.vfs[63].proto, ETH_P_8021AD);
        CHECK_INT(st.vfs[63].min_tx_rate, 10);
        CHECK_INT(st.vfs[63].max_tx_rate, 100);
        CHECK_INT(st.vfs[63].link_state, VF_LINK_STATE_DISABLE);
        CHECK(st.vfs[63].trust);
        CHECK(st.vfs[0].spoofchk);
        CHECK(st.vfs[0].mask & VF_ATTR_SPOOFCHK);
        /* the driver has no query_rss getter: unknown, not "off" */
        CHECK(!(st.vfs[0].mask & VF_ATTR_QUERY_RSS));
        vf_pf_state_clear(&st);
        fake_stop(ctx);
}

TEST(read_truncated_reply_is_an_error)
{
        vfh_ctx *ctx = fake_start(64);
        struct vf_pf_state st = {0};

        fk.truncate_getlink_to = 8192;
        CHECK_INT(vf_pf_read(ctx, "eth1", &st), -EBADMSG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "eth1: read VF settings");
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "truncated");
        fake_stop(ctx);
}

TEST(read_malformed_vf_list_is_refused_before_libnl)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_pf_state st = {0};

        fk.empty_vlan_list = true;
        CHECK_INT(vf_pf_read(ctx, "eth1", &st), -EBADMSG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "eth1: read VF settings: the kernel's RTM_GETLINK reply is malformed");
        vf_pf_state_clear(&st);
        fake_stop(ctx);
}

TEST(read_unknown_pf_and_index)
{
        vfh_ctx *ctx = fake_start(4);
        struct vf_pf_state st = {0};
        struct vf_settings s;
        struct vf_ref r = ref(4);

        CHECK_INT(vf_pf_read(ctx, "eth9", &st), -ENODEV);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "eth9: read VF settings: no such network interface");
        CHECK_INT(vf_read(ctx, &r, &s), -ENODEV);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "eth1 has 4 VFs");
        fake_stop(ctx);
}

/* --- applying ---------------------------------------------------------------------------- */

TEST(apply_changes_only_what_differs_and_saves_it)
{
        vfh_ctx *ctx = fake_start(4);
        struct vf_ref r = ref(2);
        struct vf_settings want =
            parse(ctx, (const char *const[]){"spoofchk", "off", "trust", "off", NULL});
        struct vf_settings saved;

        CHECK_INT(vf_settings_apply(ctx, &r, &want, &saved), 0);
        CHECK_INT(saved.mask, VF_ATTR_SPOOFCHK); /* trust was off already */
        CHECK(saved.spoofchk);
        CHECK_INT(fk.setlinks, 1);
        CHECK_INT(fk.n_log, 1);
        CHECK_INT(fk.log[0], IFLA_VF_SPOOFCHK);
        CHECK(!fk.vfs[2].spoofchk);
        CHECK(fk.vfs[1].spoofchk); /* the neighbour is untouched */
        CHECK_INT(fk.getlinks, 2); /* before, and the read-back */
        fake_stop(ctx);
}

TEST(apply_then_restore_walks_back_in_reverse)
{
        vfh_ctx *ctx = fake_start(4);
        struct vf_ref r = ref(1);
        struct vf_settings before = fk.vfs[1], saved;
        struct vf_settings want =
            parse(ctx, (const char *const[]){"mac", "02:11:22:33:44:55", "vlan", "10", "qos", "3",
                                             "spoofchk", "off", "trust", "on", "state", "disable",
                                             "min_tx_rate", "10", "max_tx_rate", "100", "query_rss",
                                             "on", NULL});
        static const int forward[] = {IFLA_VF_MAC,         IFLA_VF_VLAN,       IFLA_VF_SPOOFCHK,
                                      IFLA_VF_TRUST,       IFLA_VF_LINK_STATE, IFLA_VF_RATE,
                                      IFLA_VF_RSS_QUERY_EN};

        fk.vfs[1].mask |= VF_ATTR_QUERY_RSS;
        before = fk.vfs[1];
        CHECK_INT(vf_settings_apply(ctx, &r, &want, &saved), 0);
        CHECK_INT(saved.mask, VF_ATTRS_ALL);
        CHECK_INT(fk.n_log, ARRAY_SIZE(forward));
        for (size_t i = 0; i < ARRAY_SIZE(forward) && i < fk.n_log; i++)
                CHECK_INT(fk.log[i], forward[i]);
        CHECK_INT(fk.vfs[1].vlan, 10);
        CHECK_INT(fk.vfs[1].qos, 3);
        CHECK_INT(fk.vfs[1].max_tx_rate, 100);
        CHECK(fk.vfs[1].query_rss);

        fk.n_log = 0;
        CHECK_INT(vf_settings_restore(ctx, &r, &saved), 0);
        CHECK_INT(fk.n_log, ARRAY_SIZE(forward));
        for (size_t i = 0; i < ARRAY_SIZE(forward) && i < fk.n_log; i++)
                CHECK_INT(fk.log[i], forward[ARRAY_SIZE(forward) - 1 - i]);
        CHECK(memcmp(&fk.vfs[1], &before, sizeof(before)) == 0);
        fake_stop(ctx);
}

/* libnl quirk pinned: 802.1ad must reach the wire big-endian; 802.1Q goes as IFLA_VF_VLAN. */
TEST(vlan_protocol_on_the_wire)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(0);
        struct vf_settings ad =
            parse(ctx, (const char *const[]){"vlan", "7", "proto", "802.1ad", NULL});
        struct vf_settings q = parse(ctx, (const char *const[]){"vlan", "8", NULL});

        CHECK_INT(vf_settings_apply(ctx, &r, &ad, NULL), 0);
        CHECK_INT(fk.log[0], IFLA_VF_VLAN_LIST);
        CHECK_INT(fk.last_vlan_proto_wire[0], 0x88);
        CHECK_INT(fk.last_vlan_proto_wire[1], 0xa8);
        CHECK_INT(fk.vfs[0].proto, ETH_P_8021AD);
        CHECK_INT(fk.vfs[0].vlan, 7);
        fk.n_log = 0;
        CHECK_INT(vf_settings_apply(ctx, &r, &q, NULL), 0);
        CHECK_INT(fk.log[0], IFLA_VF_VLAN);
        CHECK_INT(fk.vfs[0].proto, ETH_P_8021Q);
        fake_stop(ctx);
}

/* IFLA_VF_RATE sets both rates: changing one must resend the other's current value. */
TEST(rate_change_keeps_the_other_rate)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(1);
        struct vf_settings want = parse(ctx, (const char *const[]){"max_tx_rate", "200", NULL});

        fk.vfs[1].min_tx_rate = 10, fk.vfs[1].max_tx_rate = 100;
        CHECK_INT(vf_settings_apply(ctx, &r, &want, NULL), 0);
        CHECK_INT(fk.last_rate.vf, 1);
        CHECK_INT(fk.last_rate.min_tx_rate, 10);
        CHECK_INT(fk.last_rate.max_tx_rate, 200);
        fake_stop(ctx);
}

/* The kernel's answers, one row each: errno, how often, its text, what our message says. */
TEST(kernel_refusals_table)
{
        static const struct {
                const char *key, *value;
                int type, error, times;
                const char *text;
                int want;
                const char *says[3];
        } rows[] = {
            {"spoofchk",
             "off",
             IFLA_VF_SPOOFCHK,
             EPERM,
             -1,
             NULL,
             -EPERM,
             {"VF 0 of eth1: set spoofchk=off", "Operation not permitted", "CAP_NET_ADMIN"}},
            {"state",
             "disable",
             IFLA_VF_LINK_STATE,
             EOPNOTSUPP,
             -1,
             NULL,
             -EOPNOTSUPP,
             {"set state=disable", "the igb driver of eth1 does not support it", NULL}},
            {"query_rss",
             "on",
             IFLA_VF_RSS_QUERY_EN,
             EOPNOTSUPP,
             -1,
             NULL,
             -EOPNOTSUPP,
             {"set query_rss=on", "igb", "does not support"}},
            {"min_tx_rate",
             "10",
             IFLA_VF_RATE,
             EINVAL,
             -1,
             "min tx rate not supported",
             -EINVAL,
             {"set min_tx_rate=10", "(kernel: min tx rate not supported)",
              "igb driver of eth1 refused"}},
            {"trust", "on", IFLA_VF_TRUST, EBUSY, 2, NULL, 0, {NULL}},
            {"trust", "on", IFLA_VF_TRUST, EAGAIN, 1, NULL, 0, {NULL}},
        };

        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                vfh_ctx *ctx = fake_start(2);
                struct vf_ref r = ref(0);
                struct vf_settings want =
                    parse(ctx, (const char *const[]){rows[i].key, rows[i].value, NULL});

                fk.fail_type = rows[i].type;
                fk.fail_errno = rows[i].error;
                fk.fail_times = rows[i].times;
                fk.fail_text = rows[i].text;
                CHECK_INT(vf_settings_apply(ctx, &r, &want, NULL), rows[i].want);
                for (size_t k = 0; k < 3 && rows[i].says[k]; k++)
                        CHECK_CONTAINS(vfh_ctx_last_error(ctx), rows[i].says[k]);
                if (rows[i].want == 0) /* retried until the VF came out of reset */
                        CHECK_INT(fk.setlinks, rows[i].times + 1);
                fake_stop(ctx);
        }
}

/* A VF that never comes out of reset: retried with backoff within the bounded budget. */
TEST(busy_vf_gives_up_within_its_budget)
{
        static const struct {
                unsigned int timeout_ms;
                const char *says;
        } rows[] = {
            {100, "stayed busy (in reset?) for 70 ms over 4 attempts"},
            {10000, "stayed busy (in reset?) for 2550 ms over 9 attempts"},
        };

        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                vfh_ctx *ctx = fake_start(2);
                struct vf_ref r = ref(0);
                struct vf_settings want = parse(ctx, (const char *const[]){"trust", "on", NULL});

                vfh_ctx_set_timeout_ms(ctx, rows[i].timeout_ms);
                fk.fail_type = IFLA_VF_TRUST;
                fk.fail_errno = EBUSY;
                fk.fail_times = -1;
                CHECK_INT(vf_settings_apply(ctx, &r, &want, NULL), -EBUSY);
                CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                               "VF 0 of eth1: set trust=on: Device or resource busy");
                CHECK_CONTAINS(vfh_ctx_last_error(ctx), rows[i].says);
                CHECK(!fk.vfs[0].trust);
                fake_stop(ctx);
        }
}

TEST(failure_rolls_back_what_was_changed)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(0);
        struct vf_settings want =
            parse(ctx, (const char *const[]){"trust", "on", "state", "disable", NULL});

        fk.fail_type = IFLA_VF_LINK_STATE;
        fk.fail_errno = EOPNOTSUPP;
        fk.fail_times = -1;
        CHECK_INT(vf_settings_apply(ctx, &r, &want, NULL), -EOPNOTSUPP);
        CHECK(!fk.vfs[0].trust); /* set, then rolled back */
        CHECK_INT(fk.n_log, 3);
        CHECK_INT(fk.log[0], IFLA_VF_TRUST);
        CHECK_INT(fk.log[1], IFLA_VF_LINK_STATE);
        CHECK_INT(fk.log[2], IFLA_VF_TRUST);
        /* the message explains the refusal, not the rollback */
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "set state=disable");
        fake_stop(ctx);
}

TEST(accepted_but_ignored_is_a_mismatch)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(1);
        struct vf_settings want = parse(ctx, (const char *const[]){"min_tx_rate", "100", NULL});

        fk.ignore_type = IFLA_VF_RATE;
        CHECK_INT(vf_settings_apply(ctx, &r, &want, NULL), -EIO);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "igb accepted min_tx_rate=100 but reports 0");
        fake_stop(ctx);
}

TEST(pf_down_names_the_pf)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(0);
        struct vf_settings want = parse(ctx, (const char *const[]){"max_tx_rate", "100", NULL});

        fk.up = false;
        fk.fail_type = IFLA_VF_RATE;
        fk.fail_errno = EINVAL;
        fk.fail_times = -1;
        CHECK_INT(vf_settings_apply(ctx, &r, &want, NULL), -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "eth1 is down; bring eth1 up first: ip link set eth1 up");
        fake_stop(ctx);
}

/* Invalid values never reach the kernel. */
TEST(invalid_values_are_refused_before_any_change)
{
        static const char *const rows[][4] = {
            {"vlan", "4096", NULL, NULL},
            {"vlan", "1", "qos", "8"},
            {"mac", "01:00:5e:00:00:01", NULL, NULL},
            {"mac", "00:00:00:00:00:00", NULL, NULL},
            {"max_tx_rate", "2000", NULL, NULL},
            {"min_tx_rate", "300", "max_tx_rate", "200"},
            {"min_tx_rate", "150", NULL, NULL}, /* above the current max of 100 */
        };

        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                vfh_ctx *ctx = fake_start(2);
                struct vf_ref r = ref(0);
                struct vf_settings want =
                    parse(ctx, (const char *const[]){rows[i][0], rows[i][1], rows[i][2], rows[i][3],
                                                     NULL});

                fk.vfs[0].max_tx_rate = 100;
                CHECK(vf_settings_apply(ctx, &r, &want, NULL) < 0);
                CHECK_INT(fk.setlinks, 0);
                fake_stop(ctx);
        }
}

TEST(prepare_reports_originals_without_changing)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(1);
        struct vf_settings want =
            parse(ctx, (const char *const[]){"mac", "02:00:00:00:00:01", "spoofchk", "on", NULL});
        struct vf_settings saved;

        CHECK_INT(vf_settings_prepare(ctx, &r, &want, &saved), 0);
        CHECK_INT(saved.mask, VF_ATTR_MAC);
        CHECK_INT(saved.mac.b[5], 1);
        CHECK_INT(fk.setlinks, 0);
        fake_stop(ctx);
}

TEST(restore_keeps_going_after_a_failure)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(0);
        struct vf_settings saved =
            parse(ctx, (const char *const[]){"spoofchk", "off", "trust", "on", "max_tx_rate", "50",
                                             NULL});

        fk.fail_type = IFLA_VF_TRUST;
        fk.fail_errno = EIO;
        fk.fail_times = -1;
        CHECK_INT(vf_settings_restore(ctx, &r, &saved), -EIO);
        CHECK(!fk.vfs[0].spoofchk);
        CHECK_INT(fk.vfs[0].max_tx_rate, 50);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "set trust=on");
        fake_stop(ctx);
}

/* The driver has no query_rss getter: the change is made, but there is no original to keep. */
TEST(unreported_attribute_is_changed_but_not_saved)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(0);
        struct vf_settings want =
            parse(ctx, (const char *const[]){"query_rss", "on", "trust", "on", NULL});
        struct vf_settings saved;

        CHECK_INT(vf_settings_apply(ctx, &r, &want, &saved), 0);
        CHECK_INT(saved.mask, VF_ATTR_TRUST);
        CHECK(fk.vfs[0].query_rss);
        CHECK_INT(fk.n_log, 2);
        fake_stop(ctx);
}

TEST(vf_without_reported_settings_is_left_alone)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(1);
        struct vf_settings want = parse(ctx, (const char *const[]){"trust", "on", NULL});
        struct vf_settings saved;

        fk.omit_vf_list = true;
        CHECK_INT(vf_settings_apply(ctx, &r, &want, &saved), -EBADMSG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "VF 1 of eth1: the kernel reported no settings");
        CHECK_INT(fk.setlinks, 0);
        fake_stop(ctx);
}

TEST(stable_mac_for_plain_hostdev_vfs)
{
        vfh_ctx *ctx = fake_start(2);
        struct vf_ref r = ref(1);
        struct vf_settings want = {0}, given = {.mask = VF_ATTR_MAC};
        struct mac_addr expect;
        const char *uuid = "c7a5fdbd-edaf-9455-926a-d65c16db1809";

        r.has_addr = true;
        r.addr = (struct pci_addr){0, 0x81, 0x10, 2};
        CHECK_INT(vf_stable_mac(uuid, &r.addr, &expect), 0);
        memset(fk.vfs[1].mac.b, 0, 6);
        CHECK_INT(vf_want_stable_mac(ctx, &r, uuid, false, &want), 1);
        CHECK_INT(want.mask, VF_ATTR_MAC);
        CHECK(mac_addr_equal(&want.mac, &expect));
        /* the metadata's own MAC wins */
        CHECK_INT(vf_want_stable_mac(ctx, &r, uuid, true, &given), 0);
        CHECK(mac_addr_is_zero(&given.mac));
        /* a MAC a VF driver picked itself: kept unless always */
        fk.vfs[1].mac.b[5] = 9;
        want = (struct vf_settings){0};
        CHECK_INT(vf_want_stable_mac(ctx, &r, uuid, false, &want), 0);
        CHECK_INT(want.mask, 0);
        CHECK_INT(vf_want_stable_mac(ctx, &r, uuid, true, &want), 1);
        CHECK(mac_addr_equal(&want.mac, &expect));
        /* already there: nothing to change */
        fk.vfs[1].mac = expect;
        want = (struct vf_settings){0};
        CHECK_INT(vf_want_stable_mac(ctx, &r, uuid, true, &want), 0);
        CHECK_INT(want.mask, 0);
        r.has_addr = false;
        CHECK_INT(vf_want_stable_mac(ctx, &r, uuid, true, &want), -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "no PCI address to derive a stable MAC from");
        fake_stop(ctx);
}

#else

/* Release builds have no test transport; the seam-level tests live in the sanitizer build. */
TEST(vocabulary_round_trip_without_a_kernel)
{
        vfh_ctx *ctx = NULL;
        struct vf_settings s = {0};

        CHECK_INT(vfh_ctx_new(&ctx), 0);
        CHECK_INT(vf_settings_parse_field(ctx, &s, "trust", "on"), 0);
        CHECK_INT(s.mask, VF_ATTR_TRUST);
        vfh_ctx_unref(ctx);
}

#endif
