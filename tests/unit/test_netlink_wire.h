/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Netlink wire pieces for the unit tests, built byte by byte as the kernel lays them out
 * (netlink_ack() in net/netlink/af_netlink.c), and a datagram queue with recv(2) semantics
 * that stands in for the socket behind lib/netlink.c's test transport.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#define WIRE_MAX_DATAGRAMS 16

struct wire_queue {
        uint8_t *datagram[WIRE_MAX_DATAGRAMS];
        size_t len[WIRE_MAX_DATAGRAMS];
        size_t n;
        size_t largest; /* the biggest datagram handed out */
        int recv_error; /* returned by recv instead of data when set (e.g. -ETIMEDOUT) */
        size_t lie_by;  /* recv reports this many bytes more than the datagram had */
};

static inline void wire_push(struct wire_queue *q, const void *data, size_t len)
{
        if (q->n == WIRE_MAX_DATAGRAMS)
                abort();
        q->datagram[q->n] = malloc(len ? len : 1);
        memcpy(q->datagram[q->n], data, len);
        q->len[q->n++] = len;
}

static inline void wire_clear(struct wire_queue *q)
{
        for (size_t i = 0; i < q->n; i++)
                free(q->datagram[i]);
        q->n = 0;
}

/* recv(2) on a datagram socket: PEEK|TRUNC gives the full length, a plain read consumes. */
static inline ssize_t wire_recv(struct wire_queue *q, void *buf, size_t size, int flags)
{
        size_t len;

        if (q->recv_error)
                return q->recv_error;
        if (q->n == 0)
                return -ETIMEDOUT; /* the socket would wait for its SO_RCVTIMEO */
        len = q->len[0];
        if (len > q->largest)
                q->largest = len;
        if (size > 0)
                memcpy(buf, q->datagram[0], len < size ? len : size);
        if ((flags & MSG_PEEK) == 0) {
                free(q->datagram[0]);
                memmove(q->datagram, q->datagram + 1, (q->n - 1) * sizeof(q->datagram[0]));
                memmove(q->len, q->len + 1, (q->n - 1) * sizeof(q->len[0]));
                q->n--;
                return (ssize_t)(len + q->lie_by);
        }
        return (ssize_t)len;
}

/*
 * The kernel's answer to req: NLMSG_ERROR with error (0 = ack). capped: only the request's
 * header is echoed (NETLINK_CAP_ACK), else the whole request. text: an extended-ack
 * NLMSGERR_ATTR_MSG. Returns the length written into buf.
 */
static inline size_t wire_error(uint8_t *buf, size_t size, const struct nlmsghdr *req, int error,
                                const char *text, bool capped)
{
        size_t echo = capped ? sizeof(*req) : req->nlmsg_len;
        size_t tlv = text ? NLA_HDRLEN + NLA_ALIGN(strlen(text) + 1) : 0;
        size_t len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int) + echo) + tlv;
        struct nlmsghdr *h = (struct nlmsghdr *)buf;
        struct nlmsgerr *e = NLMSG_DATA(h);

        if (len > size)
                abort();
        memset(buf, 0, len);
        h->nlmsg_len = (uint32_t)len;
        h->nlmsg_type = NLMSG_ERROR;
        h->nlmsg_flags = (capped ? NLM_F_CAPPED : 0) | (text ? NLM_F_ACK_TLVS : 0);
        h->nlmsg_seq = req->nlmsg_seq;
        e->error = error;
        memcpy(&e->msg, req, echo);
        if (text) {
                struct nlattr *a =
                    (struct nlattr *)((uint8_t *)e + NLMSG_ALIGN(sizeof(int) + echo));

                a->nla_type = NLMSGERR_ATTR_MSG;
                a->nla_len = (uint16_t)(NLA_HDRLEN + strlen(text) + 1);
                memcpy((uint8_t *)a + NLA_HDRLEN, text, strlen(text) + 1);
        }
        return len;
}

/* Datagrams recorded from a real kernel: tests/fixtures/netlink/NAME.hex, one per line. */
struct recording {
        uint8_t *datagram[WIRE_MAX_DATAGRAMS];
        size_t len[WIRE_MAX_DATAGRAMS];
        size_t n;
};

static inline int wire_hex_value(int c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static inline void recording_load(const char *path, struct recording *rec)
{
        static char line[1 << 17];
        FILE *f = fopen(path, "re");

        if (!f) {
                fprintf(stderr, "cannot open fixture %s\n", path);
                abort();
        }
        rec->n = 0;
        while (fgets(line, sizeof(line), f)) {
                size_t len = strcspn(line, "\n");
                uint8_t *d;

                if (line[0] == '#' || len == 0)
                        continue;
                if (rec->n == WIRE_MAX_DATAGRAMS || len % 2)
                        abort();
                d = malloc(len / 2);
                for (size_t i = 0; i < len / 2; i++) {
                        int hi = wire_hex_value(line[2 * i]), lo = wire_hex_value(line[2 * i + 1]);

                        if (hi < 0 || lo < 0)
                                abort();
                        d[i] = (uint8_t)(hi << 4 | lo);
                }
                rec->datagram[rec->n] = d;
                rec->len[rec->n++] = len / 2;
        }
        fclose(f);
}

static inline void recording_free(struct recording *rec)
{
        for (size_t i = 0; i < rec->n; i++)
                free(rec->datagram[i]);
        rec->n = 0;
}
