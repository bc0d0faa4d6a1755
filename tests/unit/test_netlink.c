/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink seam: request framing, buffer sizing, the kernel's errors and extended-ack text,
 * truncated and stale replies, behind the test transport; plus one real RTM_GETLINK of "lo" on
 * the host's kernel, which needs no privilege.
 */
#include <errno.h>
#include <limits.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <netlink/route/link.h>

#include "netlink.h"
#include "support.h"
#include "test_netlink_wire.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free)

static vfh_ctx *new_ctx(void)
{
        vfh_ctx *ctx = NULL;

        if (vfh_ctx_new(&ctx) < 0)
                abort();
        return ctx;
}

static struct nl_msg *getlink_request(const char *name)
{
        struct nl_msg *msg = NULL;

        if (rtnl_link_build_get_request(0, name, &msg) < 0)
                abort();
        return msg;
}

struct collected {
        int replies;
        int last_ifindex;
        size_t last_len;
        char last_name[IFNAMSIZ];
        int fail_with;
};

static int collect(struct nl_msg *reply, void *userdata)
{
        struct collected *c = userdata;
        struct nlmsghdr *h = nlmsg_hdr(reply);
        struct nlattr *tb[IFLA_MAX + 1];

        c->replies++;
        c->last_len = h->nlmsg_len;
        if (h->nlmsg_type == RTM_NEWLINK &&
            nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) == 0) {
                c->last_ifindex = ((struct ifinfomsg *)nlmsg_data(h))->ifi_index;
                if (tb[IFLA_IFNAME])
                        nla_strlcpy(c->last_name, tb[IFLA_IFNAME], sizeof(c->last_name));
        }
        return c->fail_with;
}

/* The host kernel answers for "lo" without any privilege: the real socket path works. */
TEST(real_socket_getlink_lo)
{
        _cleanup_(nlmsg_freep) struct nl_msg *req = getlink_request("lo");
        struct collected c = {0};
        struct nl_report report;
        vfh_ctx *ctx = new_ctx();

        CHECK_INT(nl_seam_request(ctx, req, collect, &c, &report), 0);
        CHECK_INT(c.replies, 1);
        CHECK_STR(c.last_name, "lo");
        CHECK_INT(c.last_ifindex, (int)if_nametoindex("lo"));
        CHECK_INT(ctx->counters.netlink_calls, 1);
        vfh_ctx_unref(ctx);
}

TEST(real_socket_unknown_device_is_enodev)
{
        _cleanup_(nlmsg_freep) struct nl_msg *req = getlink_request("vfhnosuch0");
        struct collected c = {0};
        struct nl_report report;
        vfh_ctx *ctx = new_ctx();

        CHECK_INT(nl_seam_request(ctx, req, collect, &c, &report), -ENODEV);
        CHECK_INT(c.replies, 0);
        vfh_ctx_unref(ctx);
}

#ifdef VFH_TEST_BUILD

struct fake {
        struct wire_queue q;
        uint8_t request[4096];
        size_t request_len;
        int send_error;
        /* what the fake kernel answers to the next request */
        int error;
        const char *text;
        bool capped;
        bool stale_first;     /* an answer to an older request arrives first */
        size_t reply_payload; /* > 0: one RTM_NEWLINK reply of about this size before the ack */
        bool reply_and_ack_together;
        size_t truncate_reply_to;
};

static void push_reply(struct fake *f, const struct nlmsghdr *req, uint8_t *buf, size_t *len)
{
        struct nlmsghdr *h = (struct nlmsghdr *)buf;
        size_t total = NLMSG_LENGTH(sizeof(struct ifinfomsg) + f->reply_payload);
        struct nlattr *pad;

        memset(buf, 0, total);
        h->nlmsg_len = (uint32_t)total;
        h->nlmsg_type = RTM_NEWLINK;
        h->nlmsg_seq = req->nlmsg_seq;
        ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index = 7;
        /* one big opaque attribute stands for a PF's VF list */
        pad = (struct nlattr *)((uint8_t *)NLMSG_DATA(h) + sizeof(struct ifinfomsg));
        pad->nla_type = IFLA_VFINFO_LIST;
        pad->nla_len = (uint16_t)(f->reply_payload < 65535 ? f->reply_payload : 65532);
        *len = f->truncate_reply_to ? f->truncate_reply_to : total;
}

static int fake_send(void *data, const void *buf, size_t len)
{
        struct fake *f = data;
        const struct nlmsghdr *req = buf;
        static uint8_t out[1 << 17];
        size_t n = 0, reply_len = 0;

        if (f->send_error)
                return f->send_error;
        memcpy(f->request, buf, len < sizeof(f->request) ? len : sizeof(f->request));
        f->request_len = len;
        if (f->stale_first) {
                struct nlmsghdr old = *req;

                old.nlmsg_seq = req->nlmsg_seq - 1;
                n = wire_error(out, sizeof(out), &old, -EPERM, "stale", true);
                wire_push(&f->q, out, n);
        }
        if (f->reply_payload) {
                push_reply(f, req, out, &reply_len);
                if (!f->reply_and_ack_together) {
                        wire_push(&f->q, out, reply_len);
                        reply_len = 0;
                }
        }
        n = wire_error(out + reply_len, sizeof(out) - reply_len, req, f->error, f->text, f->capped);
        wire_push(&f->q, out, reply_len + n);
        return 0;
}

static ssize_t fake_recv(void *data, void *buf, size_t size, int flags)
{
        return wire_recv(&((struct fake *)data)->q, buf, size, flags);
}

static struct fake *fake_install(void)
{
        static struct fake f;
        static struct nl_transport t = {fake_send, fake_recv, &f};

        wire_clear(&f.q);
        f = (struct fake){0};
        nl_seam_set_transport(&t);
        return &f;
}

static int run(struct fake *f, struct collected *c, struct nl_report *report)
{
        _cleanup_(nlmsg_freep) struct nl_msg *req = getlink_request("eth1");
        vfh_ctx *ctx = new_ctx();
        int r;

        (void)f;
        r = nl_seam_request(ctx, req, collect, c, report);
        vfh_ctx_unref(ctx);
        return r;
}

TEST(request_is_framed_and_acked)
{
        struct fake *f = fake_install();
        struct collected c = {0};
        struct nl_report report;
        const struct nlmsghdr *h = (const struct nlmsghdr *)f->request;

        CHECK_INT(run(f, &c, &report), 0);
        CHECK_INT(h->nlmsg_type, RTM_GETLINK);
        CHECK(h->nlmsg_flags & NLM_F_REQUEST);
        CHECK(h->nlmsg_flags & NLM_F_ACK);
        CHECK_INT(h->nlmsg_len, f->request_len);
        CHECK_INT(c.replies, 0);
        CHECK_STR(nl_report_text(&report), "");
        nl_seam_set_transport(NULL);
}

/* The kernel's answers that VF code must tell apart, with and without its own text. */
TEST(kernel_errors_table)
{
        static const struct {
                int error;
                const char *text;
                bool capped;
        } rows[] = {
            {-EPERM, NULL, true},
            {-EOPNOTSUPP, NULL, false},
            {-EBUSY, NULL, true},
            {-EAGAIN, NULL, true},
            {-EINVAL, "VF rate exceeds link speed", true},
            {-EINVAL, "uncapped ack with the request echoed", false},
            {-ENODEV, "", true},
        };

        for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
                struct fake *f = fake_install();
                struct collected c = {0};
                struct nl_report report;

                f->error = rows[i].error;
                f->text = rows[i].text;
                f->capped = rows[i].capped;
                CHECK_INT(run(f, &c, &report), rows[i].error);
                CHECK_STR(report.ext_ack, rows[i].text ? rows[i].text : "");
                CHECK_INT(c.replies, 0);
        }
        nl_seam_set_transport(NULL);
}

/* An ack whose error is no errno (fuzz_netlink found INT_MIN, which cannot be negated) is a
 * malformed answer, not a failure of the request. */
TEST(ack_with_an_error_beyond_errno_is_malformed)
{
        static const int errors[] = {INT_MIN, -4096, 4096, INT_MAX};

        for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
                struct fake *f = fake_install();
                struct collected c = {0};
                struct nl_report report;

                f->error = errors[i];
                CHECK_INT(run(f, &c, &report), -EBADMSG);
                CHECK_CONTAINS(nl_report_text(&report), "not an errno");
        }
        nl_seam_set_transport(NULL);
}

TEST(stale_answers_are_skipped)
{
        struct fake *f = fake_install();
        struct collected c = {0};
        struct nl_report report;

        f->stale_first = true;
        CHECK_INT(run(f, &c, &report), 0);
        CHECK_STR(report.ext_ack, "");
        nl_seam_set_transport(NULL);
}

/* A PF with many VFs answers in one datagram far beyond a page: it must arrive whole. */
TEST(large_reply_fits_in_one_receive)
{
        struct fake *f = fake_install();
        struct collected c = {0};
        struct nl_report report;

        f->reply_payload = 60000;
        CHECK_INT(run(f, &c, &report), 0);
        CHECK_INT(c.replies, 1);
        CHECK_INT(c.last_ifindex, 7);
        CHECK(c.last_len > 60000);
        CHECK(f->q.largest > 60000);
        nl_seam_set_transport(NULL);
}

TEST(reply_and_ack_in_one_datagram)
{
        struct fake *f = fake_install();
        struct collected c = {0};
        struct nl_report report;

        f->reply_payload = 100;
        f->reply_and_ack_together = true;
        CHECK_INT(run(f, &c, &report), 0);
        CHECK_INT(c.replies, 1);
        nl_seam_set_transport(NULL);
}

TEST(truncated_reply_is_refused)
{
        struct fake *f = fake_install();
        struct collected c = {0};
        struct nl_report report;

        f->reply_payload = 20000;
        f->truncate_reply_to = 4096;
        CHECK_INT(run(f, &c, &report), -EBADMSG);
        CHECK_INT(c.replies, 0);
        CHECK_CONTAINS(report.detail, "truncated");
        nl_seam_set_transport(NULL);
}

/* recv saying a datagram was longer than the buffer (MSG_TRUNC) means data was lost. */
TEST(datagram_longer_than_buffer_is_refused)
{
        struct fake *f = fake_install();
        struct collected c = {0};
        struct nl_report report;

        f->q.lie_by = 8;
        CHECK_INT(run(f, &c, &report), -EBADMSG);
        CHECK_CONTAINS(nl_report_text(&report), "truncated");
        nl_seam_set_transport(NULL);
}

TEST(timeout_and_send_failure)
{
        struct fake *f = fake_install();
        struct collected c = {0};
        struct nl_report report;

        f->q.recv_error = -ETIMEDOUT;
        CHECK_INT(run(f, &c, &report), -ETIMEDOUT);
        CHECK_CONTAINS(report.detail, "no answer from the kernel within 10000 ms");

        f = fake_install();
        f->send_error = -ENOBUFS;
        CHECK_INT(run(f, &c, &report), -ENOBUFS);
        CHECK_CONTAINS(report.detail, "cannot send");
        nl_seam_set_transport(NULL);
}

TEST(callback_error_fails_the_request)
{
        struct fake *f = fake_install();
        struct collected c = {.fail_with = -EPROTO};
        struct nl_report report;

        f->reply_payload = 64;
        CHECK_INT(run(f, &c, &report), -EPROTO);
        CHECK_INT(c.replies, 1);
        wire_clear(&f->q);
        nl_seam_set_transport(NULL);
}

#endif
