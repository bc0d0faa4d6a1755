/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink seam: one request, its replies and the kernel's ack. libnl builds and parses the
 * messages; this file owns the wire so that every message of the library is sent, received,
 * sized and error-checked in one place, and so that tests can replace the socket.
 *
 * Why not nl_send_sync()/nl_recvmsgs(): a PF with many VFs answers RTM_GETLINK with one
 * datagram far larger than libnl's default page-sized buffer, and libnl drops the extended
 * ack text. Peeking at each datagram's length (MSG_PEEK | MSG_TRUNC) sizes the buffer
 * exactly, in one round trip.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <netlink/attr.h>

#include "fault.h"
#include "netlink.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

static int socket_send(void *data, const void *buf, size_t len)
{
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        int fd = *(int *)data;
        ssize_t n = sendto(fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));

        if (n < 0)
                return negative_errno();
        return (size_t)n == len ? 0 : -EIO;
}

static ssize_t socket_recv(void *data, void *buf, size_t size, int flags)
{
        int fd = *(int *)data;
        ssize_t n;

        do
                n = recv(fd, buf, size, flags | MSG_TRUNC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : negative_errno();
        return n;
}

#ifdef VFH_TEST_BUILD
static const struct nl_transport *test_transport;

void nl_seam_set_transport(const struct nl_transport *transport)
{
        test_transport = transport;
}
#endif

/* A NETLINK_ROUTE socket that asks for the kernel's error text and times out like every other
 * blocking step of the library. */
static int socket_open(vfh_ctx *ctx, int *ret)
{
        _cleanup_close_ int fd = -1;
        struct timeval tv = {
            .tv_sec = ctx->timeout_ms / 1000,
            .tv_usec = (ctx->timeout_ms % 1000) * 1000,
        };
        int one = 1;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return negative_errno();
        /* Old kernels lack these; the request still works, only the extra text is missing. */
        (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
        /* The ack need not echo a large SETLINK request back. */
        (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return negative_errno();
        *ret = TAKE_FD(fd);
        return 0;
}

static void report_detail(struct nl_report *report, const char *fmt, ...) _printf_(2, 3);
static void report_detail(struct nl_report *report, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(report->detail, sizeof(report->detail), fmt, ap);
        va_end(ap);
}

const char *nl_report_text(const struct nl_report *report)
{
        return report->ext_ack[0] ? report->ext_ack : report->detail;
}

/* The extended ack's TLVs follow struct nlmsgerr and, unless the kernel capped it, the echoed
 * request. Only NLMSGERR_ATTR_MSG interests us: the kernel's own sentence. */
static void parse_ext_ack(const struct nlmsghdr *h, struct nl_report *report)
{
        const struct nlmsgerr *err = NLMSG_DATA(h);
        struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
        size_t payload = h->nlmsg_len - NLMSG_HDRLEN;
        size_t offset = sizeof(*err);

        if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
                return;
        if (!(h->nlmsg_flags & NLM_F_CAPPED))
                offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
        offset = NLMSG_ALIGN(offset);
        if (offset >= payload)
                return;
        if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)NLMSG_DATA(h) + offset),
                      (int)(payload - offset), NULL) < 0)
                return;
        if (tb[NLMSGERR_ATTR_MSG])
                nla_strlcpy(report->ext_ack, tb[NLMSGERR_ATTR_MSG], sizeof(report->ext_ack));
}

struct exchange {
        vfh_ctx *ctx;
        const struct nl_transport *transport;
        uint32_t seq;
        nl_reply_cb cb;
        void *userdata;
        struct nl_report *report;
        bool done;
};

static int deliver_reply(struct exchange *x, struct nlmsghdr *h)
{
        struct nl_msg *msg;
        int r;

        if (!x->cb)
                return 0;
        msg = nlmsg_convert(h);
        if (!msg)
                return -ENOMEM;
        nlmsg_set_proto(msg, NETLINK_ROUTE);
        r = x->cb(msg, x->userdata);
        nlmsg_free(msg);
        return r;
}

static int handle_error(struct exchange *x, const struct nlmsghdr *h)
{
        const struct nlmsgerr *err = NLMSG_DATA(h);

        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*err))) {
                report_detail(x->report, "the kernel's ack is truncated (%u bytes)", h->nlmsg_len);
                return -EBADMSG;
        }
        parse_ext_ack(h, x->report);
        x->done = true;
        if (err->error == 0 && x->report->ext_ack[0])
                vfh_debug(x->ctx, "netlink: the kernel warns: %s", x->report->ext_ack);
        /* The kernel sends -errno (MAX_ERRNO is 4095); beyond that it is not an answer, and
         * INT_MIN could not even be negated into a positive errno. */
        if (err->error < -4095 || err->error > 4095) {
                report_detail(x->report, "the kernel's ack carries error %d, not an errno",
                              err->error);
                return -EBADMSG;
        }
        return err->error > 0 ? -err->error : err->error;
}

/* NLMSG_OK with the signs spelled out: clang's -Wsign-compare rejects the macro on an int, and
 * an unsigned length would wrap below zero when NLMSG_NEXT steps over a final unaligned message. */
static bool message_fits(const struct nlmsghdr *h, int left)
{
        return left >= (int)sizeof(*h) && h->nlmsg_len >= sizeof(*h) &&
               h->nlmsg_len <= (unsigned int)left;
}

/* Walks one datagram. Messages of other sequence numbers are stale answers: skipped. */
static int handle_datagram(struct exchange *x, void *buf, size_t len)
{
        struct nlmsghdr *h = buf;
        int left = (int)len;

        for (; message_fits(h, left); h = NLMSG_NEXT(h, left)) {
                int r = 0;

                if (h->nlmsg_seq != x->seq)
                        continue;
                if (h->nlmsg_type == NLMSG_ERROR)
                        return handle_error(x, h);
                if (h->nlmsg_type == NLMSG_DONE)
                        x->done = true;
                else if (h->nlmsg_type != NLMSG_NOOP)
                        r = deliver_reply(x, h);
                if (r < 0)
                        return r;
        }
        if (left != 0) {
                report_detail(x->report,
                              "reply truncated: %d bytes left over of a message that claims %u",
                              left, left >= (int)sizeof(*h) ? h->nlmsg_len : 0);
                return -EBADMSG;
        }
        return 0;
}

static int receive_one(struct exchange *x)
{
        _cleanup_free_ void *buf = NULL;
        ssize_t size, n;

        size = x->transport->recv(x->transport->data, NULL, 0, MSG_PEEK | MSG_TRUNC);
        if (size < 0) {
                if (size == -ETIMEDOUT)
                        report_detail(x->report, "no answer from the kernel within %u ms",
                                      x->ctx->timeout_ms);
                return (int)size;
        }
        buf = malloc(size > 0 ? (size_t)size : 1);
        if (!buf)
                return -ENOMEM;
        n = x->transport->recv(x->transport->data, buf, (size_t)size, 0);
        if (n < 0)
                return (int)n;
        if (n > size) {
                report_detail(x->report, "reply truncated: %zd of %zd bytes received", size, n);
                return -EBADMSG;
        }
        return handle_datagram(x, buf, (size_t)n);
}

static uint32_t next_seq(void)
{
        static uint32_t seq;

        if (seq == 0)
                seq = (uint32_t)time(NULL);
        return ++seq;
}

static int exchange_run(struct exchange *x, struct nl_msg *req)
{
        struct nlmsghdr *h = nlmsg_hdr(req);
        int r;

        h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        h->nlmsg_seq = x->seq;
        h->nlmsg_pid = 0;
        r = x->transport->send(x->transport->data, h, h->nlmsg_len);
        if (r < 0) {
                report_detail(x->report, "cannot send the request: %s", strerror(-r));
                return r;
        }
        while (!x->done) {
                r = receive_one(x);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* For the fault report: which request the fault hit. */
static const char *netlink_request_name(struct nl_msg *req)
{
        switch (nlmsg_hdr(req)->nlmsg_type) {
        case RTM_GETLINK:
                return "RTM_GETLINK";
        case RTM_SETLINK:
                return "RTM_SETLINK";
        default:
                return "netlink request";
        }
}

int nl_seam_request(vfh_ctx *ctx, struct nl_msg *req, nl_reply_cb cb, void *userdata,
                    struct nl_report *report)
{
        struct nl_report scratch = {.ext_ack = ""};
        struct exchange x = {
            .ctx = ctx,
            .seq = next_seq(),
            .cb = cb,
            .userdata = userdata,
            .report = report ? report : &scratch,
        };
        _cleanup_close_ int fd = -1;
        struct nl_transport sock = {socket_send, socket_recv, &fd};
        int r;

        memset(x.report, 0, sizeof(*x.report));
        ctx->counters.netlink_calls++;
        r = fault_before(FAULT_NETLINK, netlink_request_name(req));
        if (r < 0) {
                report_detail(x.report, "fault injected: %s", strerror(-r));
                return r;
        }
        x.transport = &sock;
#ifdef VFH_TEST_BUILD
        if (test_transport)
                x.transport = test_transport;
#endif
        if (x.transport == &sock) {
                r = socket_open(ctx, &fd);
                if (r < 0) {
                        report_detail(x.report, "cannot open a netlink socket: %s", strerror(-r));
                        return r;
                }
        }
        r = exchange_run(&x, req);
        fault_after(FAULT_NETLINK);
        return r;
}
