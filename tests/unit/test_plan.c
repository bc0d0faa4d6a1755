/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VF settings in the planner and the transaction (DESIGN.md §5): a plain <hostdev> VF gets
 * its MAC and VLAN from us (the stable MAC when none is given), an <interface type='hostdev'>
 * VF never does (libvirt owns MAC and VLAN there), [pf] config < pool < domain metadata, and
 * release puts back exactly what was changed. The kernel: the kernel model for sysfs plus a
 * small SR-IOV netlink model of one igb-like PF "eth1" with two VFs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "kmodel.h"
#include "netlink.h"
#include "start_scan.h"
#include "support.h"
#include "test_netlink_wire.h"
#include "txn.h"

#ifdef VFH_TEST_BUILD

#define UUID  "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define N_VFS 2

static const struct kdev igb = {
    "0000:01:00.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10c9, 0x020000, 0, 11, "igb"};
static const struct kdev vf0 = {
    "0000:01:10.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10ca, 0x020000, 0, 20, "igbvf"};
static const struct kdev vf1 = {
    "0000:01:10.2", "pci0000:00/0000:00:04.0", 0x8086, 0x10ca, 0x020000, 0, 21, "igbvf"};

/* ---- the PF's VF table behind the netlink seam ---- */

static struct {
        struct wire_queue q;
        struct vf_settings vfs[N_VFS];
        bool has_netdev;
} nk;

static void put_vf(struct nl_msg *msg, unsigned int i, const struct vf_settings *s)
{
        struct nlattr *info = nla_nest_start(msg, IFLA_VF_INFO), *list;
        struct ifla_vf_mac mac = {.vf = i};
        struct ifla_vf_vlan vlan = {.vf = i, .vlan = s->vlan, .qos = s->qos};
        struct ifla_vf_vlan_info vinfo = {
            .vf = i, .vlan = s->vlan, .qos = s->qos, .vlan_proto = htons(ETH_P_8021Q)};
        struct ifla_vf_rate rate = {.vf = i, .max_tx_rate = s->max_tx_rate};
        struct ifla_vf_tx_rate tx = {.vf = i, .rate = s->max_tx_rate};
        struct ifla_vf_spoofchk spoof = {.vf = i, .setting = s->spoofchk};
        struct ifla_vf_trust trust = {.vf = i, .setting = s->trust};
        struct ifla_vf_rss_query_en rss = {.vf = i, .setting = -1u};
        struct ifla_vf_link_state ls = {.vf = i, .link_state = s->link_state};

        memcpy(mac.mac, s->mac.b, 6);
        nla_put(msg, IFLA_VF_MAC, sizeof(mac), &mac);
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
        nla_nest_end(msg, info);
}

static void answer_getlink(const struct nlmsghdr *req)
{
        struct ifinfomsg ifi = {.ifi_index = 7, .ifi_flags = IFF_UP};
        struct nlattr *vfl;
        struct nl_msg *msg = nlmsg_alloc_size(1 << 16);
        uint8_t ack[512];

        nlmsg_put(msg, 0, req->nlmsg_seq, RTM_NEWLINK, 0, 0);
        nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
        nla_put_string(msg, IFLA_IFNAME, "eth1");
        nla_put_u32(msg, IFLA_NUM_VF, N_VFS);
        vfl = nla_nest_start(msg, IFLA_VFINFO_LIST);
        for (unsigned int i = 0; i < N_VFS; i++)
                put_vf(msg, i, &nk.vfs[i]);
        nla_nest_end(msg, vfl);
        wire_push(&nk.q, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
        nlmsg_free(msg);
        wire_push(&nk.q, ack, wire_error(ack, sizeof(ack), req, 0, NULL, true));
}

static void store(int type, struct nlattr *a)
{
        uint32_t vf = *(uint32_t *)nla_data(a);
        struct vf_settings *s = &nk.vfs[vf < N_VFS ? vf : 0];

        if (type == IFLA_VF_MAC)
                memcpy(s->mac.b, ((struct ifla_vf_mac *)nla_data(a))->mac, 6);
        else if (type == IFLA_VF_VLAN)
                s->vlan = ((struct ifla_vf_vlan *)nla_data(a))->vlan;
        else if (type == IFLA_VF_SPOOFCHK)
                s->spoofchk = ((struct ifla_vf_spoofchk *)nla_data(a))->setting;
        else if (type == IFLA_VF_TRUST)
                s->trust = ((struct ifla_vf_trust *)nla_data(a))->setting;
        else if (type == IFLA_VF_RATE)
                s->max_tx_rate = ((struct ifla_vf_rate *)nla_data(a))->max_tx_rate;
}

static void answer_setlink(const struct nlmsghdr *req)
{
        struct nlattr *tb[IFLA_MAX + 1], *info, *a, *v;
        uint8_t ack[512];
        int rem, rem2, rem3;

        if (nlmsg_parse((struct nlmsghdr *)req, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) ==
                0 &&
            tb[IFLA_VFINFO_LIST])
                nla_for_each_nested(info, tb[IFLA_VFINFO_LIST], rem)
                    nla_for_each_nested(a, info, rem2)
                {
                        if (nla_type(a) != IFLA_VF_VLAN_LIST) {
                                store(nla_type(a), a);
                                continue;
                        }
                        nla_for_each_nested(v, a, rem3)
                        {
                                struct ifla_vf_vlan_info *vi = nla_data(v);

                                nk.vfs[vi->vf < N_VFS ? vi->vf : 0].vlan = vi->vlan;
                        }
                }
        wire_push(&nk.q, ack, wire_error(ack, sizeof(ack), req, 0, NULL, true));
}

static int fake_send(void *data, const void *buf, size_t len)
{
        const struct nlmsghdr *req = buf;
        uint8_t err[512];

        (void)data, (void)len;
        if (req->nlmsg_type == RTM_GETLINK)
                answer_getlink(req);
        else if (req->nlmsg_type == RTM_SETLINK)
                answer_setlink(req);
        else /* hostcrit's address and route dumps: none here */
                wire_push(&nk.q, err, wire_error(err, sizeof(err), req, -EOPNOTSUPP, NULL, true));
        return 0;
}

static ssize_t fake_recv(void *data, void *buf, size_t size, int flags)
{
        (void)data;
        return wire_recv(&nk.q, buf, size, flags);
}

/* ---- the host ---- */

static const char *rig(bool pf_netdev)
{
        static const struct nl_transport t = {fake_send, fake_recv, NULL};
        const char *root = test_tmpdir();

        kmodel_add_driver(root, "igb", "8086:10c9");
        kmodel_add_driver(root, "igbvf", "8086:10ca");
        kmodel_add_vfio(root);
        kmodel_add_device(root, &igb);
        kmodel_add_device(root, &vf0);
        kmodel_add_device(root, &vf1);
        if (pf_netdev)
                kmodel_add_netdev(root, &igb, "eth1");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_totalvfs", "7\n");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "2\n");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.0/physfn", "../0000:01:00.0");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.2/physfn", "../0000:01:00.0");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0/virtfn0", "../0000:01:10.0");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0/virtfn1", "../0000:01:10.2");
        test_write_file(root, "proc/self/mountinfo", "%s", "");
        test_mkdir(root, "run");
        kmodel_install();
        wire_clear(&nk.q);
        memset(nk.vfs, 0, sizeof(nk.vfs));
        for (unsigned int i = 0; i < N_VFS; i++) {
                nk.vfs[i].mac = (struct mac_addr){{0x02, 0x11, 0x22, 0x33, 0x44, (uint8_t)i}};
                nk.vfs[i].spoofchk = true;
        }
        nl_seam_set_transport(&t);
        return root;
}

static void done(vfh_ctx *ctx)
{
        nl_seam_set_transport(NULL);
        wire_clear(&nk.q);
        vfh_ctx_unref(ctx);
}

static int format_domain(char *xml, size_t size, const char *devices, const char *metadata)
{
        return snprintf(xml, size,
                        "<domain type='kvm'><name>alpha</name><uuid>" UUID "</uuid>"
                        "<metadata><vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'>%s"
                        "</vfh:vfiohook></metadata><devices>%s</devices></domain>",
                        metadata, devices);
}

static struct vfh_domain *domain(vfh_ctx *ctx, const char *devices, const char *metadata)
{
        struct vfh_domain *dom = NULL;
        char xml[8192];
        int len = format_domain(xml, sizeof(xml), devices, metadata);

        if (vfh_domain_parse_flags(ctx, xml, (size_t)len, VFH_PARSE_NO_NETWORK_LOOKUP, &dom) < 0) {
                fprintf(stderr, "  domain XML: %s\n", vfh_ctx_last_error(ctx));
                abort();
        }
        return dom;
}

static struct vfh_config *config(vfh_ctx *ctx, const char *text)
{
        struct vfh_config *cfg = NULL;

        if (config_parse_buffer(ctx, "test.conf", text, strlen(text), &cfg) < 0)
                abort();
        return cfg;
}

#define HOSTDEV_VF1                                                                                \
        "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' "          \
        "bus='1' slot='0x10' function='2'/></source></hostdev>"
#define INTERFACE_VF1                                                                              \
        "<interface type='hostdev' managed='yes'><mac address='52:54:00:6d:90:02'/><source>"       \
        "<address type='pci' domain='0' bus='1' slot='0x10' function='2'/></source></interface>"

TEST(plain_hostdev_vf_gets_metadata_vlan_and_the_stable_mac_and_release_undoes_them)
{
        vfh_ctx *ctx = test_ctx_at(rig(true));
        struct vfh_domain *dom = domain(
            ctx, HOSTDEV_VF1, "<vfh:hostdev address='0000:01:10.2' vlan='42' spoofchk='off'/>");
        struct vf_settings before = nk.vfs[1];
        struct mac_addr stable;
        struct plan *plan = NULL;

        CHECK_INT(vf_stable_mac(UUID, &(struct pci_addr){0, 1, 0x10, 2}, &stable), 0);
        CHECK_INT(plan_build(ctx, dom, NULL, PLAN_PREPARE, &plan), 0);
        CHECK_INT(plan->n_refusals, 0);
        CHECK(plan->n_devices == 1 && plan->devices[0].is_vf);
        CHECK_INT(plan->devices[0].vf.index, 1);
        CHECK_INT(plan->devices[0].vf_want.mask, VF_ATTR_MAC | VF_ATTR_VLAN | VF_ATTR_SPOOFCHK);
        CHECK_STR(plan->devices[0].vf_settings_from, "domain metadata");
        plan_free(plan);

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        CHECK(mac_addr_equal(&nk.vfs[1].mac, &stable));
        CHECK_INT(nk.vfs[1].vlan, 42);
        CHECK(!nk.vfs[1].spoofchk);
        CHECK(mac_addr_equal(&nk.vfs[0].mac, &(struct mac_addr){{2, 0x11, 0x22, 0x33, 0x44, 0}}));
        CHECK_INT(txn_release_owner(ctx, UUID), 0);
        CHECK(mac_addr_equal(&nk.vfs[1].mac, &before.mac));
        CHECK_INT(nk.vfs[1].vlan, 0);
        CHECK(nk.vfs[1].spoofchk);
        vfh_domain_free(dom);
        done(ctx);
}

TEST(interface_vf_never_gets_mac_or_vlan_and_domain_overrides_pf_config)
{
        vfh_ctx *ctx = test_ctx_at(rig(true));
        struct vfh_domain *dom =
            domain(ctx, INTERFACE_VF1, "<vfh:interface mac='52:54:00:6d:90:02' trust='off'/>");
        struct vfh_config *cfg =
            config(ctx, "[pf eth1]\nvlan = 7\nspoofchk = off\ntrust = on\nmax_tx_rate = 100\n");
        struct plan *plan = NULL;

        CHECK_INT(plan_build(ctx, dom, cfg, PLAN_PREPARE, &plan), 0);
        CHECK_INT(plan->n_refusals, 0);
        CHECK_INT(plan->devices[0].vf_want.mask,
                  VF_ATTR_SPOOFCHK | VF_ATTR_TRUST | VF_ATTR_MAX_TX_RATE);
        CHECK(!plan->devices[0].vf_want.trust);
        plan_free(plan);

        nk.vfs[1].trust = true; /* so that trust=off is a change */
        CHECK_INT(txn_apply(ctx, dom, cfg, PLAN_PREPARE), 0);
        CHECK(!nk.vfs[1].spoofchk);
        CHECK(!nk.vfs[1].trust);
        CHECK_INT(nk.vfs[1].max_tx_rate, 100);
        CHECK_INT(nk.vfs[1].vlan, 0);
        CHECK(mac_addr_equal(&nk.vfs[1].mac, &(struct mac_addr){{2, 0x11, 0x22, 0x33, 0x44, 1}}));
        /* libvirt sets the MAC between prepare and release; release must not touch it. */
        nk.vfs[1].mac = (struct mac_addr){{0x52, 0x54, 0, 0x6d, 0x90, 0x02}};
        CHECK_INT(txn_release_owner(ctx, UUID), 0);
        CHECK(nk.vfs[1].spoofchk);
        CHECK(nk.vfs[1].trust);
        CHECK_INT(nk.vfs[1].max_tx_rate, 0);
        CHECK(mac_addr_equal(&nk.vfs[1].mac, &(struct mac_addr){{0x52, 0x54, 0, 0x6d, 0x90, 2}}));
        config_free(cfg);
        vfh_domain_free(dom);
        done(ctx);
}

TEST(an_interface_vf_at_start_is_planned_again_without_changes)
{
        vfh_ctx *ctx = test_ctx_at(rig(true));
        struct vfh_domain *dom =
            domain(ctx, INTERFACE_VF1, "<vfh:interface mac='52:54:00:6d:90:02' spoofchk='off'/>");
        struct journal *j = NULL;

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_START), 0);
        CHECK_INT(journal_load(ctx, UUID, &j), 0);
        /* prepare's vf and use records; start found nothing to change or add */
        CHECK_INT(j ? j->n_records : 0, 2);
        journal_free(j);
        CHECK_INT(txn_release_owner(ctx, UUID), 0);
        CHECK(nk.vfs[1].spoofchk);
        vfh_domain_free(dom);
        done(ctx);
}

#define HOSTDEV_VF0_UNMANAGED                                                                      \
        "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' bus='1' "   \
        "slot='0x10' function='0'/></source><alias name='hostdev1'/></hostdev>"
#define HOSTDEV_MDEV                                                                               \
        "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address "                 \
        "uuid='b1ae8bf6-38b0-4c81-9d44-78ce3f520496'/></source></hostdev>"

/* The qemu hook's front skips the worker at start for a domain that its scan finds without a
 * VF interface (lib/start_scan.h); that is right only while start plans nothing else. */
TEST(start_plans_only_vf_interfaces_as_the_fronts_scan_assumes)
{
        static const struct {
                const char *devices;
                bool interface;
        } cases[] = {
            {HOSTDEV_VF0_UNMANAGED, false},
            {HOSTDEV_VF0_UNMANAGED HOSTDEV_MDEV, false},
            {HOSTDEV_VF0_UNMANAGED HOSTDEV_MDEV HOSTDEV_VF1, false},
            {HOSTDEV_VF0_UNMANAGED HOSTDEV_MDEV INTERFACE_VF1, true},
        };
        static const char metadata[] =
            "<vfh:hostdev address='0000:01:10.0' vlan='42' trust='on'/>"
            "<vfh:mdev uuid='b1ae8bf6-38b0-4c81-9d44-78ce3f520496' parent='mtty' type='mtty-2'/>";
        vfh_ctx *ctx = test_ctx_at(rig(true));

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct vfh_domain *dom = domain(ctx, cases[i].devices, metadata);
                struct plan *plan = NULL;
                char xml[8192];
                int len = format_domain(xml, sizeof(xml), cases[i].devices, metadata);

                CHECK_INT(start_may_have_work(xml, (size_t)len), cases[i].interface);
                CHECK_INT(plan_build(ctx, dom, NULL, PLAN_START, &plan), 0);
                CHECK_INT(plan->n_refusals, 0);
                CHECK_INT(plan->n_mdevs, 0);
                CHECK_INT(plan->n_devices, cases[i].interface);
                plan_free(plan);
                vfh_domain_free(dom);
        }
        done(ctx);
}

TEST(a_vf_whose_pf_has_no_netdev_is_fine_unless_settings_are_asked_for)
{
        vfh_ctx *ctx = test_ctx_at(rig(false));
        struct vfh_domain *plain = domain(ctx, HOSTDEV_VF1, "");
        struct vfh_domain *asks =
            domain(ctx, HOSTDEV_VF1, "<vfh:hostdev address='0000:01:10.2' spoofchk='off'/>");
        struct plan *plan = NULL;

        CHECK_INT(plan_build(ctx, plain, NULL, PLAN_PREPARE, &plan), 0);
        CHECK_INT(plan->n_refusals, 0);
        CHECK(!plan->devices[0].is_vf);
        plan_free(plan);
        CHECK_INT(plan_build(ctx, asks, NULL, PLAN_PREPARE, &plan), 0);
        CHECK_INT(plan->n_refusals, 1);
        CHECK_CONTAINS(plan->refusals[0].reason, "0000:01:10.2");
        plan_free(plan);
        vfh_domain_free(plain);
        vfh_domain_free(asks);
        done(ctx);
}

#else

TEST(skipped_without_test_build)
{
        printf("SKIP: the netlink seam's transport needs a VFH_TEST_BUILD\n");
}

#endif
