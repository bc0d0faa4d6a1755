/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink seam: every netlink message the library sends or receives passes through
 * nl_seam_request(). Messages are built and parsed with libnl (struct nl_msg); the seam owns
 * the socket, sizes the receive buffer for each datagram, collects the kernel's extended ack
 * and turns NLMSG_ERROR into -errno. Test builds can swap the socket for canned replies.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <netlink/msg.h>

#include "internal.h"

#define NL_TEXT_MAX 256

/* What the seam learnt about a failed request, for the caller's one-line message. */
struct nl_report {
        /* The kernel's own words (NLMSGERR_ATTR_MSG of the extended ack), or "". */
        char ext_ack[NL_TEXT_MAX];
        /* What went wrong on our side of the socket ("reply truncated: …"), or "". */
        char detail[NL_TEXT_MAX];
};

/* Called once for every reply message of the request (never for the final ack). reply is
 * only valid during the call. Return 0 to go on, or -errno to fail the request with it. */
typedef int (*nl_reply_cb)(struct nl_msg *reply, void *userdata);

/*
 * Sends req on a NETLINK_ROUTE socket and receives until the kernel acks it. The seam sets the
 * sequence number and NLM_F_REQUEST | NLM_F_ACK; the caller sets the type, other flags and the
 * payload. Returns 0, or -errno: the kernel's error (its text in report->ext_ack), -EBADMSG for
 * a truncated or malformed reply, -ETIMEDOUT when no answer came within the context's timeout.
 * report may be NULL. Counts ctx->counters.netlink_calls.
 */
int nl_seam_request(vfh_ctx *ctx, struct nl_msg *req, nl_reply_cb cb, void *userdata,
                    struct nl_report *report);

/* The kernel's text when it gave one, else the local detail, else "". */
const char *nl_report_text(const struct nl_report *report);

/*
 * A transport with the semantics of send(2)/recv(2) on a datagram socket. The seam's own is
 * the NETLINK_ROUTE socket; a test build can put canned replies in its place and still drive
 * the seam's buffer sizing, sequence checks and error parsing:
 *   send gets the complete request (header filled in) and returns 0 or -errno;
 *   recv with MSG_PEEK | MSG_TRUNC returns the next datagram's full length without consuming
 *   it; recv without them copies up to size bytes, consumes the datagram and returns its full
 *   length (larger than size when it did not fit), or -errno.
 */
struct nl_transport {
        int (*send)(void *data, const void *buf, size_t len);
        ssize_t (*recv)(void *data, void *buf, size_t size, int flags);
        void *data;
};

#ifdef VFH_TEST_BUILD
/* Replaces the socket for every later request; NULL restores the real one. */
void nl_seam_set_transport(const struct nl_transport *transport);
#endif
