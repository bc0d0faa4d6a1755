/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Damaged kernel answers: the recorded igb and netdevsim replies and acks, with bytes flipped,
 * lengths corrupted or cut short (a fixed-seed sequence, so a failure replays), go through the seam
 * and the VF parser under ASan/UBSan. Every one must end in a result or an error, never a
 * crash or a read out of bounds.
 */
#include <errno.h>

#include "netlink.h"
#include "support.h"
#include "test_netlink_wire.h"
#include "vf.h"

#ifdef VFH_TEST_BUILD

static struct {
        struct wire_queue q;
        const struct recording *rec;
        uint64_t rng;
        int kind;
        size_t target; /* which datagram to damage: the reply or the ack */
} mut;

static uint64_t next_random(void)
{
        /* xorshift64: small, deterministic, good enough to pick bytes */
        mut.rng ^= mut.rng << 13;
        mut.rng ^= mut.rng >> 7;
        mut.rng ^= mut.rng << 17;
        return mut.rng;
}

static size_t damage(uint8_t *d, size_t len)
{
        size_t at = len ? (size_t)(next_random() % len) : 0;

        switch (mut.kind) {
        case 0: /* flip a few bytes */
                for (int i = 0; i < 1 + (int)(next_random() % 8); i++)
                        d[next_random() % len] ^= (uint8_t)(1u << (next_random() % 8));
                return len;
        case 1: /* cut short */
                return at;
        case 2: /* a length or type field, anywhere aligned */
                at &= ~(size_t)3;
                if (at + 2 <= len) {
                        uint16_t v = (uint16_t)next_random();

                        memcpy(d + at, &v, sizeof(v));
                }
                return len;
        default: /* the message's own length */
                if (len >= 4) {
                        uint32_t v = (uint32_t)(next_random() % (len + 64));

                        memcpy(d, &v, sizeof(v));
                }
                return len;
        }
}

/* The recording renumbered to the request, with one of its datagrams damaged. */
static int mut_send(void *data, const void *buf, size_t len)
{
        const struct nlmsghdr *req = buf;
        static uint8_t copy[1 << 17];

        (void)data, (void)len;
        for (size_t i = 0; i < mut.rec->n; i++) {
                size_t n = mut.rec->len[i];
                struct nlmsghdr *h = (struct nlmsghdr *)copy;
                int left = (int)n;

                memcpy(copy, mut.rec->datagram[i], n);
                for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
                        h->nlmsg_seq = req->nlmsg_seq;
                if (i == mut.target)
                        n = damage(copy, n);
                wire_push(&mut.q, copy, n);
        }
        return 0;
}

static ssize_t mut_recv(void *data, void *buf, size_t size, int flags)
{
        (void)data;
        return wire_recv(&mut.q, buf, size, flags);
}

static void run_mutations(const char *fixture, const char *pf, int rounds, int *ok, int *failed)
{
        static const struct nl_transport t = {mut_send, mut_recv, NULL};
        struct recording rec;
        char path[256];
        vfh_ctx *ctx = NULL;

        snprintf(path, sizeof(path), "tests/fixtures/netlink/%s.hex", fixture);
        recording_load(test_src_path(path), &rec);
        if (vfh_ctx_new(&ctx) < 0)
                abort();
        vfh_ctx_set_timeout_ms(ctx, 1);
        mut.rec = &rec;
        mut.rng = 0x9e3779b97f4a7c15ULL;
        nl_seam_set_transport(&t);
        for (int i = 0; i < rounds; i++) {
                struct vf_pf_state st = {0};
                int r;

                mut.kind = i % 4;
                mut.target = (size_t)(i / 4) % 8 == 7 ? rec.n - 1 : 0; /* the ack, 1 in 8 */
                r = vf_pf_read(ctx, pf, &st);
                CHECK(r <= 0);
                if (r == 0) {
                        CHECK(st.num_vfs == 0 || st.vfs != NULL);
                        (*ok)++;
                } else
                        (*failed)++;
                vf_pf_state_clear(&st);
                wire_clear(&mut.q);
        }
        nl_seam_set_transport(NULL);
        vfh_ctx_unref(ctx);
        recording_free(&rec);
}

TEST(damaged_igb_replies)
{
        int ok = 0, failed = 0;

        run_mutations("igb-2vfs", "eth0", 4000, &ok, &failed);
        printf("# igb: %d damaged replies parsed, %d refused\n", ok, failed);
        /* both outcomes happen: the damage reaches the parser and its checks */
        CHECK(ok > 0);
        CHECK(failed > 0);
}

TEST(damaged_netdevsim_replies)
{
        int ok = 0, failed = 0;

        run_mutations("netdevsim-64vfs", "eth9", 800, &ok, &failed);
        printf("# netdevsim: %d damaged replies parsed, %d refused\n", ok, failed);
        CHECK(ok > 0);
        CHECK(failed > 0);
}

/* An ack with the kernel's own text: damaged TLVs must not be read past their end. */
TEST(damaged_extended_acks)
{
        int ok = 0, failed = 0;

        run_mutations("setlink-mtu-extack", "eth0", 2000, &ok, &failed);
        CHECK_INT(ok, 0); /* an ack alone never names the PF */
        CHECK_INT(failed, 2000);
}

#else

/* Release builds cannot swap the socket; the fixtures are at least whole. */
TEST(fixtures_load)
{
        struct recording rec;

        recording_load(test_src_path("tests/fixtures/netlink/igb-2vfs.hex"), &rec);
        CHECK_INT(rec.n, 2);
        recording_free(&rec);
}

#endif
