/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the kernel's answer to RTM_GETLINK, through the whole netlink seam
 * (datagram walk, sequence check, error acks, extended ack) and the VF list parser in lib/vf.c,
 * by way of the seam's test transport instead of a socket.
 *
 * Input: the PF name the request asks for, a NUL, then the datagram the "kernel" sends back.
 * Every message in it gets the request's sequence number (as a real answer has), so the fuzzer
 * need not guess it. The seeds are the recordings under tests/fixtures/netlink.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink.h"
#include "vf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct canned {
        const uint8_t *reply;
        size_t len;
        uint32_t seq;
        bool sent;
};

static struct canned canned;

static int canned_send(void *data, const void *buf, size_t len)
{
        (void)data;
        if (len < sizeof(struct nlmsghdr))
                abort(); /* the seam sent no whole request */
        canned.seq = ((const struct nlmsghdr *)buf)->nlmsg_seq;
        return 0;
}

/* Stamps the request's sequence number on every header the seam will walk. */
static void renumber(uint8_t *buf, size_t len, uint32_t seq)
{
        size_t off = 0;

        while (len - off >= sizeof(struct nlmsghdr)) {
                struct nlmsghdr h;

                memcpy(&h, buf + off, sizeof(h));
                h.nlmsg_seq = seq;
                memcpy(buf + off, &h, sizeof(h));
                /* Compared before aligning: NLMSG_ALIGN of a length near 4 GiB wraps to 0. */
                if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
                        break;
                off += NLMSG_ALIGN(h.nlmsg_len);
                if (off > len)
                        break;
        }
}

/* recv(2) on a datagram socket with one datagram queued; then the socket times out. */
static ssize_t canned_recv(void *data, void *buf, size_t size, int flags)
{
        (void)data;
        if (canned.sent)
                return -ETIMEDOUT;
        if (size > 0) {
                memcpy(buf, canned.reply, canned.len < size ? canned.len : size);
                renumber(buf, canned.len < size ? canned.len : size, canned.seq);
        }
        if (!(flags & MSG_PEEK))
                canned.sent = true;
        return (ssize_t)canned.len;
}

static vfh_ctx *fuzz_ctx(void)
{
        static const struct nl_transport transport = {canned_send, canned_recv, NULL};
        static vfh_ctx *ctx;

        if (ctx)
                return ctx;
        if (vfh_ctx_new(&ctx) < 0)
                abort();
        nl_seam_set_transport(&transport);
        return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, '\0', size < IFNAMSIZ ? size : IFNAMSIZ);
        struct vf_pf_state st = {0};
        char pf[IFNAMSIZ];
        vfh_ctx *ctx = fuzz_ctx();
        int r;

        if (!nul || nul == data)
                return 0;
        memcpy(pf, data, (size_t)(nul - data) + 1);
        ctx->last_error[0] = '\0';
        canned = (struct canned){.reply = nul + 1, .len = size - (size_t)(nul - data) - 1};
        r = vf_pf_read(ctx, pf, &st);
        if (r > 0 || (r < 0 && vfh_ctx_last_error(ctx)[0] == '\0'))
                abort(); /* -errno with a message, or 0 */
        if (r == 0) {
                if (strcmp(st.pf_netdev, pf) != 0 || (st.num_vfs > 0 && !st.vfs))
                        abort();
                for (unsigned int i = 0; i < st.num_vfs; i++)
                        if ((st.vfs[i].mask & ~VF_ATTRS_ALL) != 0)
                                abort();
        }
        vf_pf_state_clear(&st);
        return 0;
}
