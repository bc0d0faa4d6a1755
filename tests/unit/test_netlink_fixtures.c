/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Real kernel answers, replayed: the .hex files under tests/fixtures/netlink were recorded from
 * Linux 6.1 in the VM tier (capture.py says how), igb with 2 VFs and netdevsim with 64. The seam
 * and the VF parser must read exactly what the kernel wrote: every attribute it sends today, its
 * error acks, its extended-ack layout.
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/rtnetlink.h>

#include <netlink/route/link.h>

#include "netlink.h"
#include "support.h"
#include "test_netlink_wire.h"
#include "vf.h"

#define MAX_REPLIES 4

static void load(const char *name, struct recording *rec)
{
        char path[512];

        snprintf(path, sizeof(path), "tests/fixtures/netlink/%s.hex", name);
        recording_load(test_src_path(path), rec);
}

static void unload(struct recording *rec)
{
        recording_free(rec);
}

/* Every message of every datagram is a whole netlink message: the fixtures are sound. */
TEST(fixtures_are_whole_netlink_datagrams)
{
        static const char *const names[] = {"igb-2vfs",           "igb-setlink-state",
                                            "setlink-short-mac",  "getlink-nodev",
                                            "setlink-mtu-extack", "netdevsim-64vfs"};

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                struct recording rec;
                bool acked = false;

                load(names[i], &rec);
                for (size_t d = 0; d < rec.n; d++) {
                        struct nlmsghdr *h = (struct nlmsghdr *)rec.datagram[d];
                        int left = (int)rec.len[d];

                        for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
                                acked |= h->nlmsg_type == NLMSG_ERROR;
                        CHECK_INT(left, 0);
                }
                CHECK(acked);
                unload(&rec);
        }
}

#ifdef VFH_TEST_BUILD

/* Answers the k-th request with the k-th recording, renumbered to the request's sequence. */
struct replay {
        struct wire_queue q;
        struct recording answers[MAX_REPLIES];
        size_t n_answers, next;
        size_t truncate_to;
};

static struct replay rp;

static int replay_send(void *data, const void *buf, size_t len)
{
        const struct nlmsghdr *req = buf;
        struct recording *rec;

        (void)data, (void)len;
        if (rp.next >= rp.n_answers)
                return -ECONNREFUSED;
        rec = &rp.answers[rp.next++];
        for (size_t d = 0; d < rec->n; d++) {
                struct nlmsghdr *h = (struct nlmsghdr *)rec->datagram[d];
                int left = (int)rec->len[d];

                for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
                        h->nlmsg_seq = req->nlmsg_seq;
                wire_push(&rp.q, rec->datagram[d],
                          rp.truncate_to && rp.truncate_to < rec->len[d] ? rp.truncate_to
                                                                         : rec->len[d]);
        }
        return 0;
}

static ssize_t replay_recv(void *data, void *buf, size_t size, int flags)
{
        (void)data;
        return wire_recv(&rp.q, buf, size, flags);
}

/* The sysroot names the PFs' drivers as in the VM: eth0 on igb, eth9 on netdevsim. */
static vfh_ctx *replay_start(const char *const *names)
{
        static const struct nl_transport t = {replay_send, replay_recv, NULL};
        const char *root = test_tmpdir();
        vfh_ctx *ctx = NULL;

        rp = (struct replay){.n_answers = 0};
        for (; *names; names++)
                load(*names, &rp.answers[rp.n_answers++]);
        test_mkdir(root, "sys/bus/pci/drivers/igb");
        test_mkdir(root, "sys/devices/pci0000:00/0000:01:00.0/net/eth0");
        test_symlink(root, "sys/devices/pci0000:00/0000:01:00.0/driver",
                     "../../../bus/pci/drivers/igb");
        test_symlink(root, "sys/devices/pci0000:00/0000:01:00.0/net/eth0/device",
                     "../../../0000:01:00.0");
        test_symlink(root, "sys/class/net/eth0", "../../devices/pci0000:00/0000:01:00.0/net/eth0");
        test_write_file(root, "sys/devices/pci0000:00/0000:01:00.0/net/eth0/speed", "1000\n");
        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, root) < 0)
                abort();
        nl_seam_set_transport(&t);
        return ctx;
}

static void replay_stop(vfh_ctx *ctx)
{
        nl_seam_set_transport(NULL);
        wire_clear(&rp.q);
        for (size_t i = 0; i < rp.n_answers; i++)
                unload(&rp.answers[i]);
        vfh_ctx_unref(ctx);
}

TEST(igb_reply)
{
        vfh_ctx *ctx = replay_start((const char *const[]){"igb-2vfs", NULL});
        struct vf_pf_state st = {0};
        char mac[MAC_ADDR_STRLEN];

        CHECK_INT(vf_pf_read(ctx, "eth0", &st), 0);
        CHECK_INT(st.num_vfs, 2);
        CHECK(st.up);
        if (st.num_vfs == 2) {
                const struct vf_settings *v0 = &st.vfs[0], *v1 = &st.vfs[1];

                CHECK_STR(mac_addr_format(&v1->mac, mac), "02:11:22:33:44:55");
                CHECK_INT(v1->vlan, 10);
                CHECK_INT(v1->qos, 3);
                CHECK_INT(v1->proto, ETH_P_8021Q);
                CHECK_INT(v1->max_tx_rate, 100);
                CHECK_INT(v1->min_tx_rate, 0);
                CHECK(v1->trust);
                CHECK(!v1->spoofchk);
                CHECK_INT(v1->link_state, VF_LINK_STATE_AUTO);
                CHECK(v0->spoofchk); /* igb's default */
                CHECK(mac_addr_is_zero(&v0->mac));
                /* igb has no query_rss getter: the kernel sends -1 */
                CHECK(!(v0->mask & VF_ATTR_QUERY_RSS));
                CHECK(v0->mask & VF_ATTR_SPOOFCHK);
        }
        vf_pf_state_clear(&st);
        replay_stop(ctx);
}

TEST(netdevsim_64_vfs_in_one_datagram)
{
        vfh_ctx *ctx = replay_start((const char *const[]){"netdevsim-64vfs", NULL});
        struct vf_pf_state st = {0};
        char mac[MAC_ADDR_STRLEN];

        CHECK_INT(vf_pf_read(ctx, "eth9", &st), 0);
        CHECK_INT(ctx->counters.netlink_calls, 1);
        CHECK(rp.q.largest > 16384);
        CHECK_INT(st.num_vfs, 64);
        if (st.num_vfs == 64) {
                const struct vf_settings *v = &st.vfs[63];

                CHECK_STR(mac_addr_format(&v->mac, mac), "02:00:00:00:00:3f");
                CHECK_INT(v->vlan, 5);
                CHECK_INT(v->qos, 1);
                CHECK_INT(v->proto, ETH_P_8021AD);
                CHECK_INT(v->link_state, VF_LINK_STATE_DISABLE);
                CHECK_INT(v->min_tx_rate, 10);
                CHECK_INT(v->max_tx_rate, 100);
                CHECK(v->query_rss && (v->mask & VF_ATTR_QUERY_RSS));
                CHECK(v->trust);
                CHECK(v->spoofchk);
                for (unsigned int i = 0; i < 63; i++) {
                        CHECK(!st.vfs[i].spoofchk); /* netdevsim's default */
                        CHECK_INT(st.vfs[i].vlan, 0);
                        CHECK(st.vfs[i].mask & VF_ATTR_QUERY_RSS);
                }
        }
        vf_pf_state_clear(&st);
        replay_stop(ctx);
}

TEST(netdevsim_reply_cut_short_is_refused)
{
        vfh_ctx *ctx = replay_start((const char *const[]){"netdevsim-64vfs", NULL});
        struct vf_pf_state st = {0};

        rp.truncate_to = 16384;
        CHECK_INT(vf_pf_read(ctx, "eth9", &st), -EBADMSG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "truncated");
        replay_stop(ctx);
}

TEST(igb_refuses_link_state_for_real)
{
        vfh_ctx *ctx = replay_start((const char *const[]){"igb-2vfs", "igb-setlink-state", NULL});
        struct vf_ref r = {.index = 0};
        struct vf_settings want = {.mask = VF_ATTR_LINK_STATE, .link_state = VF_LINK_STATE_DISABLE};

        strcpy(r.pf_netdev, "eth0");
        CHECK_INT(vf_settings_apply(ctx, &r, &want, NULL), -EOPNOTSUPP);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "VF 0 of eth0: set state=disable: Operation not supported; the igb "
                       "driver of eth0 does not support it");
        replay_stop(ctx);
}

TEST(kernel_error_acks)
{
        static const struct {
                const char *name;
                int error;
                const char *ext_ack;
        } rows[] = {
            {"setlink-mtu-extack", -EINVAL, "mtu greater than device maximum"},
            {"setlink-short-mac", -ERANGE, ""},
            {"getlink-nodev", -ENODEV, ""},
        };

        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                vfh_ctx *ctx = replay_start((const char *const[]){rows[i].name, NULL});
                struct nl_msg *req = NULL;
                struct nl_report report;

                CHECK_INT(rtnl_link_build_get_request(0, "eth0", &req), 0);
                CHECK_INT(nl_seam_request(ctx, req, NULL, NULL, &report), rows[i].error);
                CHECK_STR(report.ext_ack, rows[i].ext_ack);
                nlmsg_free(req);
                replay_stop(ctx);
        }
}

TEST(missing_pf_for_real)
{
        vfh_ctx *ctx = replay_start((const char *const[]){"getlink-nodev", NULL});
        struct vf_pf_state st = {0};

        CHECK_INT(vf_pf_read(ctx, "vfhnosuch0", &st), -ENODEV);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "vfhnosuch0: read VF settings: no such network interface");
        replay_stop(ctx);
}

#endif
