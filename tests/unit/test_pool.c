/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pool provisioning (lib/pool.c) against the sriov_numvfs model (sriov_model.h) and a small
 * SR-IOV netlink kernel behind the seam: its PF "eth1" has as many VFs as the sysfs model has
 * virtfn links, each created with spoofchk on and trust off (igb's defaults), and a VF
 * attribute can be made to fail with EPERM.
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "journal.h"
#include "model.h"
#include "netlink.h"
#include "pool.h"
#include "sriov.h"
#include "sriov_model.h"
#include "test_netlink_wire.h"

#ifdef VFH_TEST_BUILD

#define NET_UUID "6d90bb01-0000-4000-8000-000000000001"

struct fake_vf {
        bool spoofchk;
        bool trust;
};

static struct {
        struct wire_queue q;
        const char *root;
        unsigned int num_vfs;
        struct fake_vf vfs[8];
        int fail_type; /* IFLA_VF_* answered with EPERM, -1: none */
        unsigned int fail_vf;
        int setlinks;
} fk;

/* VFs that were (re)created start with the driver's defaults. */
static void sync_vf_count(void)
{
        unsigned int n = count_vfs(fk.root);

        if (n == fk.num_vfs)
                return;
        fk.num_vfs = n;
        for (unsigned int i = 0; i < n; i++)
                fk.vfs[i] = (struct fake_vf){.spoofchk = true};
}

static void put_vf(struct nl_msg *msg, unsigned int i)
{
        struct nlattr *info = nla_nest_start(msg, IFLA_VF_INFO), *list, *stats;
        struct ifla_vf_mac mac = {.vf = i, .mac = {0x52, 0x54, 0, 0, 0, (uint8_t)(i + 1)}};
        struct ifla_vf_vlan vlan = {.vf = i};
        struct ifla_vf_vlan_info vinfo = {.vf = i, .vlan_proto = htons(ETH_P_8021Q)};
        struct ifla_vf_tx_rate tx = {.vf = i};
        struct ifla_vf_rate rate = {.vf = i};
        struct ifla_vf_spoofchk spoof = {.vf = i, .setting = fk.vfs[i].spoofchk};
        struct ifla_vf_trust trust = {.vf = i, .setting = fk.vfs[i].trust};
        struct ifla_vf_rss_query_en rss = {.vf = i, .setting = -1u};
        struct ifla_vf_link_state ls = {.vf = i};
        struct ifla_vf_broadcast bcast;

        memset(bcast.broadcast, 0xff, sizeof(bcast.broadcast));
        nla_put(msg, IFLA_VF_MAC, sizeof(mac), &mac);
        nla_put(msg, IFLA_VF_BROADCAST, sizeof(bcast), &bcast);
        nla_put(msg, IFLA_VF_VLAN, sizeof(vlan), &vlan);
        list = nla_nest_start(msg, IFLA_VF_VLAN_LIST);
        nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(vinfo), &vinfo);
        nla_nest_end(msg, list);
        nla_put(msg, IFLA_VF_TX_RATE, sizeof(tx), &tx);
        nla_put(msg, IFLA_VF_RATE, sizeof(rate), &rate);
        nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(spoof), &spoof);
        nla_put(msg, IFLA_VF_LINK_STATE, sizeof(ls), &ls);
        nla_put(msg, IFLA_VF_RSS_QUERY_EN, sizeof(rss), &rss);
        nla_put(msg, IFLA_VF_TRUST, sizeof(trust), &trust);
        stats = nla_nest_start(msg, IFLA_VF_STATS);
        for (int t = IFLA_VF_STATS_RX_PACKETS; t <= IFLA_VF_STATS_TX_DROPPED; t++)
                nla_put_u64(msg, t, 0);
        nla_nest_end(msg, stats);
        nla_nest_end(msg, info);
}

static void answer_getlink(const struct nlmsghdr *req)
{
        struct ifinfomsg ifi = {.ifi_index = 7, .ifi_flags = IFF_UP};
        struct nl_msg *msg = nlmsg_alloc_size(1 << 16);
        struct nlattr *vfl;
        uint8_t ack[512];

        nlmsg_put(msg, 0, req->nlmsg_seq, RTM_NEWLINK, 0, 0);
        nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
        nla_put_string(msg, IFLA_IFNAME, "eth1");
        nla_put_u32(msg, IFLA_NUM_VF, fk.num_vfs);
        vfl = nla_nest_start(msg, IFLA_VFINFO_LIST);
        for (unsigned int i = 0; i < fk.num_vfs; i++)
                put_vf(msg, i);
        nla_nest_end(msg, vfl);
        wire_push(&fk.q, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
        nlmsg_free(msg);
        wire_push(&fk.q, ack, wire_error(ack, sizeof(ack), req, 0, NULL, true));
}

static int store(struct nlattr *a)
{
        uint32_t vf = *(uint32_t *)nla_data(a);

        if (vf >= fk.num_vfs)
                return -EINVAL;
        if (nla_type(a) == fk.fail_type && vf == fk.fail_vf)
                return -EPERM;
        if (nla_type(a) == IFLA_VF_SPOOFCHK)
                fk.vfs[vf].spoofchk = ((struct ifla_vf_spoofchk *)nla_data(a))->setting;
        else if (nla_type(a) == IFLA_VF_TRUST)
                fk.vfs[vf].trust = ((struct ifla_vf_trust *)nla_data(a))->setting;
        else
                return -EOPNOTSUPP;
        return 0;
}

static void answer_setlink(const struct nlmsghdr *req)
{
        struct nlattr *tb[IFLA_MAX + 1], *info, *a;
        uint8_t ack[512];
        int rem, rem2, r = 0;

        fk.setlinks++;
        if (nlmsg_parse((struct nlmsghdr *)req, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
                r = -EINVAL;
        else if (tb[IFLA_VFINFO_LIST])
                nla_for_each_nested(info, tb[IFLA_VFINFO_LIST], rem)
                    nla_for_each_nested(a, info, rem2) if (r == 0) r = store(a);
        wire_push(&fk.q, ack, wire_error(ack, sizeof(ack), req, r, NULL, true));
}

static int fake_send(void *data, const void *buf, size_t len)
{
        const struct nlmsghdr *req = buf;

        (void)data, (void)len;
        sync_vf_count();
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

static vfh_ctx *start(const char **rootp)
{
        static const struct nl_transport t = {fake_send, fake_recv, NULL};
        vfh_ctx *ctx = model_setup(rootp);

        wire_clear(&fk.q);
        fk = (typeof(fk)){.root = *rootp, .fail_type = -1};
        test_write_file(*rootp, PF_DIR "/net/eth1/speed", "1000\n");
        nl_seam_set_transport(&t);
        return ctx;
}

static void stop(vfh_ctx *ctx)
{
        nl_seam_set_transport(NULL);
        wire_clear(&fk.q);
        vfh_ctx_unref(ctx);
}

/* A hostdev pool on eth1 with these <vfh:pool> attributes ("" for no metadata). */
static struct vfh_network *pool(vfh_ctx *ctx, const char *attrs)
{
        struct vfh_network *net = NULL;
        char xml[1024];

        snprintf(xml, sizeof(xml),
                 "<network><name>pool</name><uuid>" NET_UUID "</uuid>%s%s%s"
                 "<forward mode='hostdev' managed='yes'><pf dev='eth1'/></forward></network>",
                 *attrs ? "<metadata><vfh:pool xmlns:vfh='urn:x-vfiohook:1' " : "", attrs,
                 *attrs ? "/></metadata>" : "");
        if (vfh_network_parse(ctx, xml, strlen(xml), &net) < 0) {
                fprintf(stderr, "%s\n", vfh_ctx_last_error(ctx));
                abort();
        }
        return net;
}

static const char *journal_types(vfh_ctx *ctx)
{
        static char buf[256];
        struct journal *j = NULL;

        buf[0] = '\0';
        if (journal_load(ctx, NET_UUID, &j) < 0)
                return "(none)";
        for (size_t i = 0; i < j->n_records; i++)
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "",
                         j->records[i].type);
        journal_free(j);
        return buf;
}

static bool all_vfs(bool spoofchk, bool trust)
{
        for (unsigned int i = 0; i < fk.num_vfs; i++)
                if (fk.vfs[i].spoofchk != spoofchk || fk.vfs[i].trust != trust)
                        return false;
        return true;
}

TEST(start_creates_vfs_and_sets_the_policy_stop_removes_them)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net =
            pool(ctx, "numvfs='3' spoofchk='off' trust='on' remove_on_stop='yes'");
        struct journal *owner = NULL;

        CHECK_INT(pool_start(ctx, net), 0);
        CHECK_STR(model_log(root), "3 ");
        sync_vf_count();
        CHECK_INT(fk.num_vfs, 3);
        CHECK(all_vfs(false, true));
        CHECK_STR(journal_types(ctx), "numvfs vf vf vf");
        /* The pool claims its PF, never its VFs: those go to guests, whose hooks check
         * claims (while the network runs, and its status file exists). */
        test_write_file(root, "run/libvirt/network/pool.xml", "<networkstatus/>");
        CHECK_INT(journal_find_claim(ctx, "device", "0000:01:10.1", NULL, &owner), 0);
        CHECK_INT(journal_find_claim(ctx, "device", PF, NULL, &owner), 1);
        journal_free(owner);
        /* So nobody else changes the pool's VF count under it. */
        CHECK_INT(sriov_set_numvfs(ctx, &(struct pci_addr){.bus = 1}, 5, NULL), -EBUSY);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "in use by running network 'pool'");
        CHECK_STR(model_log(root), "");
        CHECK_INT(pool_stopped(ctx, net), 0);
        CHECK_STR(model_log(root), "0 ");
        CHECK_INT(count_vfs(root), 0);
        CHECK_STR(journal_types(ctx), "(none)");
        vfh_network_free(net);
        stop(ctx);
}

TEST(stop_without_remove_on_stop_keeps_the_vfs_and_restores_the_policy)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net = pool(ctx, "numvfs='2' spoofchk='off' trust='on'");

        CHECK_INT(pool_start(ctx, net), 0);
        CHECK(all_vfs(false, true));
        model_log(root);
        CHECK_INT(pool_stopped(ctx, net), 0);
        CHECK_STR(model_log(root), "");
        CHECK_INT(count_vfs(root), 2);
        CHECK(all_vfs(true, false));
        CHECK_STR(journal_types(ctx), "(none)");
        /* Started again: the count already matches, only the policy is set (and undone). */
        CHECK_INT(pool_start(ctx, net), 0);
        CHECK_STR(model_log(root), "");
        CHECK_STR(journal_types(ctx), "vf vf");
        CHECK_INT(pool_stopped(ctx, net), 0);
        CHECK(all_vfs(true, false));
        vfh_network_free(net);
        stop(ctx);
}

TEST(another_count_is_refused_before_any_change)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net = pool(ctx, "numvfs='3' spoofchk='off'");
        struct pci_addr pf;

        CHECK_INT(pci_addr_parse(PF, &pf), 0);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 2, NULL), 0);
        model_log(root);
        CHECK_INT(pool_start(ctx, net), -EBUSY);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "network pool: PF eth1 has 2 VFs but");
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "vfiohookctl sriov eth1 0");
        CHECK_STR(model_log(root), "");
        CHECK_INT(fk.setlinks, 0);
        CHECK_STR(journal_types(ctx), "(none)");
        vfh_network_free(net);
        net = pool(ctx, "numvfs='9'");
        CHECK_INT(pool_start(ctx, net), -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "supports at most 7 VFs");
        vfh_network_free(net);
        stop(ctx);
}

TEST(a_failure_rolls_everything_back)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net = pool(ctx, "numvfs='3' spoofchk='off' trust='on'");

        fk.fail_type = IFLA_VF_TRUST;
        fk.fail_vf = 2;
        CHECK(pool_start(ctx, net) < 0);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "trust");
        CHECK_STR(model_log(root), "3 0 ");
        CHECK_INT(count_vfs(root), 0);
        CHECK_STR(journal_types(ctx), "(none)");
        vfh_network_free(net);
        stop(ctx);
}

TEST(a_pool_given_as_a_vf_list_gets_the_policy_on_those_vfs)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net = NULL;
        struct pci_addr pf;
        const char *xml =
            "<network><name>list</name><uuid>" NET_UUID "</uuid><metadata><vfh:pool "
            "xmlns:vfh='urn:x-vfiohook:1' spoofchk='off'/></metadata><forward mode='hostdev'>"
            "<address type='pci' domain='0' bus='1' slot='0x10' function='0'/>"
            "<address type='pci' domain='0' bus='1' slot='0x10' function='2'/>"
            "</forward></network>";

        CHECK_INT(pci_addr_parse(PF, &pf), 0);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 3, NULL), 0);
        sync_vf_count();
        CHECK_INT(vfh_network_parse(ctx, xml, strlen(xml), &net), 0);
        CHECK_INT(pool_start(ctx, net), 0);
        CHECK(!fk.vfs[0].spoofchk && fk.vfs[1].spoofchk && !fk.vfs[2].spoofchk);
        CHECK_STR(journal_types(ctx), "vf vf");
        CHECK_INT(pool_stopped(ctx, net), 0);
        CHECK(fk.vfs[0].spoofchk && fk.vfs[2].spoofchk);
        vfh_network_free(net);
        /* An address that is no VF is refused before anything changes. */
        xml = "<network><name>list</name><uuid>" NET_UUID "</uuid><metadata><vfh:pool "
              "xmlns:vfh='urn:x-vfiohook:1' spoofchk='off'/></metadata><forward mode='hostdev'>"
              "<address type='pci' domain='0' bus='1' slot='0x10' function='0'/>"
              "<address type='pci' domain='0' bus='9' slot='0' function='0'/>"
              "</forward></network>";
        CHECK_INT(vfh_network_parse(ctx, xml, strlen(xml), &net), 0);
        CHECK(pool_start(ctx, net) < 0);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "network list: <forward><address>: ");
        CHECK(fk.vfs[0].spoofchk);
        CHECK_INT(fk.setlinks, 4);
        vfh_network_free(net);
        stop(ctx);
}

TEST(networks_without_our_metadata_are_left_alone)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net = pool(ctx, "");

        CHECK(!pool_is_ours(net));
        CHECK_INT(pool_start(ctx, net), 0);
        CHECK_INT(pool_stopped(ctx, net), 0);
        CHECK_STR(model_log(root), "");
        CHECK_INT(fk.setlinks, 0);
        CHECK_STR(journal_types(ctx), "(none)");
        vfh_network_free(net);
        stop(ctx);
}

static void bind_vfio(vfh_ctx *ctx, const char *vf)
{
        CHECK_INT(sysfs_write(ctx, "vfio-pci", "/sys/bus/pci/devices/%s/driver_override", vf), 0);
        CHECK_INT(sysfs_write(ctx, vf, "/sys/bus/pci/drivers/igbvf/unbind"), 0);
        CHECK_INT(sysfs_write(ctx, vf, "/sys/bus/pci/drivers_probe"), 0);
}

static void unbind_vfio(vfh_ctx *ctx, const char *vf)
{
        CHECK_INT(sysfs_write(ctx, "\n", "/sys/bus/pci/devices/%s/driver_override", vf), 0);
        CHECK_INT(sysfs_write(ctx, vf, "/sys/bus/pci/drivers/vfio-pci/unbind"), 0);
        CHECK_INT(sysfs_write(ctx, vf, "/sys/bus/pci/drivers_probe"), 0);
}

TEST(a_vf_a_guest_holds_is_left_alone_until_it_is_back)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net =
            pool(ctx, "numvfs='3' spoofchk='off' trust='on' remove_on_stop='yes'");
        struct journal *j = NULL;

        CHECK_INT(pool_start(ctx, net), 0);
        model_log(root);
        bind_vfio(ctx, "0000:01:10.1");
        /* Stop while the guest runs: the other VFs get their settings back; VF 1 and the VF
         * count stay, for recover. */
        CHECK(pool_stopped(ctx, net) < 0);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "is on vfio-pci (a guest has it)");
        CHECK_STR(model_log(root), "");
        CHECK(fk.vfs[0].spoofchk && fk.vfs[2].spoofchk && !fk.vfs[1].spoofchk);
        CHECK_STR(journal_types(ctx), "numvfs vf");
        /* The guest is gone: recover's undo finishes the job, remove_on_stop included,
         * which the record remembers (recover has no network XML). */
        unbind_vfio(ctx, "0000:01:10.1");
        CHECK_INT(journal_load(ctx, NET_UUID, &j), 0);
        if (j && j->n_records == 2)
                CHECK_STR(journal_record_get(&j->records[0], "remove_on_stop"), "yes");
        if (j)
                CHECK_INT(pool_journal_undo(ctx, j, false), 0);
        journal_free(j);
        CHECK_STR(model_log(root), "0 ");
        CHECK_STR(journal_types(ctx), "(none)");
        vfh_network_free(net);
        stop(ctx);
}

TEST(settings_of_vfs_that_are_gone_need_no_restore)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net = pool(ctx, "numvfs='3' spoofchk='off'");
        struct pci_addr pf;

        CHECK_INT(pool_start(ctx, net), 0);
        /* An admin (or a crash) took the count down to 1 behind our back: straight in sysfs,
         * since vfiohook itself refuses while the pool's journal claims the PF. */
        CHECK_INT(pci_addr_parse(PF, &pf), 0);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 1, NULL), -EBUSY);
        CHECK_INT(sriov_model(root, "/" PF_DIR "/sriov_numvfs", "0"), 0);
        CHECK_INT(sriov_model(root, "/" PF_DIR "/sriov_numvfs", "1"), 0);
        test_write_file(root, PF_DIR "/sriov_numvfs", "1\n");
        sync_vf_count();
        fk.vfs[0].spoofchk = false;
        CHECK_INT(pool_stopped(ctx, net), 0);
        CHECK(fk.vfs[0].spoofchk);
        CHECK_STR(journal_types(ctx), "(none)");
        vfh_network_free(net);
        stop(ctx);
}

TEST(start_skips_a_vf_a_guest_holds)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net = pool(ctx, "numvfs='3' spoofchk='off'");
        struct pci_addr pf;

        CHECK_INT(pci_addr_parse(PF, &pf), 0);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 3, NULL), 0);
        bind_vfio(ctx, "0000:01:10.2");
        sync_vf_count();
        CHECK_INT(pool_start(ctx, net), 0);
        CHECK(!fk.vfs[0].spoofchk && !fk.vfs[1].spoofchk && fk.vfs[2].spoofchk);
        CHECK_STR(journal_types(ctx), "vf vf");
        vfh_network_free(net);
        stop(ctx);
}

TEST(a_journal_left_by_an_earlier_run_is_undone_first)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net =
            pool(ctx, "numvfs='2' spoofchk='off' trust='on' remove_on_stop='yes'");

        CHECK_INT(pool_start(ctx, net), 0);
        /* No stop came (libvirtd restarted, a crash): started again. */
        CHECK_INT(pool_start(ctx, net), 0);
        CHECK_STR(model_log(root), "2 ");
        CHECK(all_vfs(false, true));
        CHECK_STR(journal_types(ctx), "numvfs vf vf");
        CHECK_INT(pool_stopped(ctx, net), 0);
        CHECK_STR(model_log(root), "0 ");
        vfh_network_free(net);
        stop(ctx);
}

static struct vfh_networkport *port(vfh_ctx *ctx, const char *uuid, const char *function)
{
        struct vfh_networkport *p = NULL;
        char xml[1024];

        snprintf(xml, sizeof(xml),
                 "<networkport><uuid>%s</uuid><owner><name>g1</name>"
                 "<uuid>6d90bb01-0000-4000-8000-0000000000a1</uuid></owner>"
                 "<mac address='52:54:00:6d:90:31'/><plug type='hostdev-pci' managed='yes'>"
                 "<address domain='0' bus='1' slot='0x10' function='%s'/></plug></networkport>",
                 uuid, function);
        if (vfh_networkport_parse(ctx, xml, strlen(xml), &p) < 0) {
                fprintf(stderr, "%s\n", vfh_ctx_last_error(ctx));
                abort();
        }
        return p;
}

TEST(port_created_is_recorded_once_and_claims_nothing)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_network *net = pool(ctx, "spoofchk='off'");
        struct vfh_networkport *p1 = port(ctx, "7d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a", "2");
        struct vfh_networkport *p2 = port(ctx, "7d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0b", "4");
        struct journal *j = NULL;

        CHECK_INT(pool_port_created(ctx, net, p1), 0);
        CHECK_INT(pool_port_created(ctx, net, p1), 0); /* libvirt repeats it */
        CHECK_INT(pool_port_created(ctx, net, p2), 0);
        CHECK_STR(journal_types(ctx), "port port");
        CHECK_INT(journal_load(ctx, NET_UUID, &j), 0);
        if (j && j->n_records == 2) {
                CHECK_STR(journal_record_get(&j->records[0], "address"), "0000:01:10.2");
                CHECK_STR(journal_record_get(&j->records[0], "owner_name"), "g1");
                CHECK_STR(journal_record_get(&j->records[0], "mac"), "52:54:00:6d:90:31");
                CHECK(journal_record_get(&j->records[0], "device") == NULL);
        }
        journal_free(j);
        CHECK_INT(pool_port_deleted(ctx, net, p1), 0);
        CHECK_INT(pool_port_deleted(ctx, net, p1), 0);
        CHECK_STR(journal_types(ctx), "port");
        CHECK_INT(pool_stopped(ctx, net), 0);
        CHECK_STR(journal_types(ctx), "(none)");
        vfh_networkport_free(p1);
        vfh_networkport_free(p2);
        vfh_network_free(net);
        stop(ctx);
}

TEST(pool_vf_settings_finds_the_pool_of_a_vf)
{
        const char *root;
        vfh_ctx *ctx = start(&root);
        struct vfh_vf_settings s = {0};
        struct pci_addr pf, vf, other;
        char name[64] = "";

        CHECK_INT(pci_addr_parse(PF, &pf), 0);
        CHECK_INT(sriov_set_numvfs(ctx, &pf, 2, NULL), 0);
        CHECK_INT(pci_addr_parse("0000:01:10.1", &vf), 0);
        CHECK_INT(pci_addr_parse("0000:07:00.0", &other), 0);
        CHECK_INT(vfh_ctx_add_network_dir(ctx, "/run/libvirt/network"), 0);
        CHECK_INT(vfh_ctx_add_network_dir(ctx, "/etc/libvirt/qemu/networks"), 0);
        CHECK_INT(pool_vf_settings(ctx, &vf, &s, name, sizeof(name)), -ENOENT);
        /* Defined only: found too; the live file wins over the definition. */
        test_write_file(root, "etc/libvirt/qemu/networks/pool.xml",
                        "<network><name>pool</name><metadata><vfh:pool "
                        "xmlns:vfh='urn:x-vfiohook:1' trust='on'/></metadata>"
                        "<forward mode='hostdev'><pf dev='eth1'/></forward></network>");
        test_write_file(root, "etc/libvirt/qemu/networks/nat.xml",
                        "<network><name>nat</name><forward mode='nat'/></network>");
        CHECK_INT(pool_vf_settings(ctx, &vf, &s, name, sizeof(name)), 0);
        CHECK_INT(s.trust, VFH_TOGGLE_ON);
        CHECK_INT(s.spoofchk, VFH_TOGGLE_UNSET);
        test_write_file(root, "run/libvirt/network/pool.xml",
                        "<networkstatus><network><name>pool</name><metadata><vfh:pool "
                        "xmlns:vfh='urn:x-vfiohook:1' spoofchk='off'/></metadata>"
                        "<forward mode='hostdev'><pf dev='eth1'/></forward></network>"
                        "</networkstatus>");
        CHECK_INT(pool_vf_settings(ctx, &vf, &s, name, sizeof(name)), 0);
        CHECK_STR(name, "pool");
        CHECK_INT(s.spoofchk, VFH_TOGGLE_OFF);
        CHECK_INT(s.trust, VFH_TOGGLE_UNSET);
        /* Not a VF of any pool: -ENOENT, and the caller's last error stays. */
        vfh_errorf(ctx, EIO, "earlier");
        CHECK_INT(pool_vf_settings(ctx, &other, &s, name, sizeof(name)), -ENOENT);
        CHECK_STR(vfh_ctx_last_error(ctx), "earlier");
        /* A pool given as an explicit VF list. */
        test_write_file(root, "run/libvirt/network/list.xml",
                        "<network><name>list</name><metadata><vfh:pool "
                        "xmlns:vfh='urn:x-vfiohook:1' trust='off'/></metadata>"
                        "<forward mode='hostdev'><address type='pci' domain='0' bus='7' "
                        "slot='0' function='0'/></forward></network>");
        CHECK_INT(pool_vf_settings(ctx, &other, &s, name, sizeof(name)), 0);
        CHECK_STR(name, "list");
        CHECK_INT(s.trust, VFH_TOGGLE_OFF);
        stop(ctx);
}

#endif
