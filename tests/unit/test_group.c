/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The group engine against the kernel model: whole groups go to vfio-pci and come back to
 * their recorded drivers, /dev/vfio/N follows, every refusal happens before any write, and a
 * hung unbind returns by the deadline.
 */
#include <errno.h>
#include <time.h>

#include "group.h"
#include "kmodel.h"
#include "support.h"

/* A host like the VM rig: e1000e alone, a bridge group, a multifunction pair, an igb PF with
 * a VF, a SATA controller with a mounted disk. */
static const struct kdev e1000e = {
    "0000:03:00.0", "pci0000:00/0000:00:06.0", 0x8086, 0x10d3, 0x020000, 0, 13, "e1000e"};
static const struct kdev bridge = {
    "0000:04:00.0", "pci0000:00/0000:00:07.0", 0x1b36, 0x000e, 0x060400, 1, 14, NULL};
static const struct kdev br_e1000 = {
    "0000:05:01.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x8086, 0x100e, 0x020000, 0, 14,
    "e1000"};
static const struct kdev br_virtio = {
    "0000:05:02.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x1af4, 0x1000, 0x020000, 0, 14,
    "virtio-pci"};
static const struct kdev mf0 = {
    "0000:06:00.0", "pci0000:00/0000:00:08.0", 0x8086, 0x10d3, 0x020000, 0x80, 15, "e1000e"};
static const struct kdev mf1 = {
    "0000:06:00.1", "pci0000:00/0000:00:08.0", 0x8086, 0x10d3, 0x020000, 0, 15, "e1000e"};
static const struct kdev igb = {
    "0000:01:00.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10c9, 0x020000, 0, 11, "igb"};
static const struct kdev igbvf = {
    "0000:01:10.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10ca, 0x020000, 0, 20, "igbvf"};
static const struct kdev sata = {"0000:00:1f.2", NULL, 0x8086, 0x2922, 0x010601, 0, 9, "ahci"};

static const char *rig(void)
{
        const char *root = test_tmpdir();

        kmodel_add_driver(root, "e1000e", "8086:10d3");
        kmodel_add_driver(root, "e1000", "8086:100e");
        kmodel_add_driver(root, "virtio-pci", "1af4:1000");
        kmodel_add_driver(root, "igb", "8086:10c9");
        kmodel_add_driver(root, "igbvf", "8086:10ca");
        kmodel_add_driver(root, "ahci", "8086:2922");
        kmodel_add_vfio(root);
        kmodel_add_device(root, &e1000e);
        kmodel_add_device(root, &bridge);
        kmodel_add_device(root, &br_e1000);
        kmodel_add_device(root, &br_virtio);
        kmodel_add_device(root, &mf0);
        kmodel_add_device(root, &mf1);
        kmodel_add_device(root, &igb);
        kmodel_add_device(root, &igbvf);
        kmodel_add_device(root, &sata);
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_totalvfs", "7\n");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "0\n");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.0/physfn", "../0000:01:00.0");
        kmodel_add_disk(root, &sata, "sda", 8);
        test_write_file(root, "proc/self/mountinfo",
                        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
        test_mkdir(root, "run");
        kmodel_install();
        return root;
}

static struct journal *cli_journal(vfh_ctx *ctx)
{
        struct journal *j = NULL;

        if (journal_new(ctx, JOURNAL_OWNER_CLI, "cli", "", &j) < 0)
                abort();
        return j;
}

static int load(vfh_ctx *ctx, const char *dev, struct pci_group *grp)
{
        struct pci_addr a;

        pci_addr_parse(dev, &a);
        return group_of_device(ctx, &a, grp);
}

static bool log_has_writes(const char *root)
{
        char *log = kmodel_log(root);
        bool any = log && log[0];

        free(log);
        return any;
}

TEST(single_device_round_trip)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;
        char *log;

        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(grp.n_members, 1);
        CHECK(!kmodel_vfio_node(root, 13));
        CHECK_INT(group_detach(ctx, &grp, j, NULL), 0);
        CHECK_STR(kmodel_driver(root, e1000e.name), "vfio-pci");
        CHECK(kmodel_vfio_node(root, 13));
        CHECK_INT(j->n_records, 1);
        CHECK_STR(journal_record_get(&j->records[0], "driver"), "e1000e");
        CHECK_STR(journal_record_get(&j->records[0], "override"), "");
        CHECK_INT(j->records[0].state, JOURNAL_DONE);
        /* The steps, in order, and never new_id. */
        log = kmodel_log(root);
        CHECK_STR(log, "/sys/bus/pci/devices/0000:03:00.0/driver_override vfio-pci\n"
                       "/sys/bus/pci/drivers/e1000e/unbind 0000:03:00.0\n"
                       "/sys/bus/pci/drivers_probe 0000:03:00.0\n");
        free(log);
        CHECK_INT(group_reattach(ctx, &grp, j), 0);
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
        CHECK(!kmodel_vfio_node(root, 13));
        CHECK_INT(j->n_records, 0);
        log = kmodel_log(root);
        CHECK(!strstr(log, "new_id"));
        CHECK_CONTAINS(log, "/sys/bus/pci/devices/0000:03:00.0/driver_override \n");
        free(log);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(bridge_stays_and_both_endpoints_move)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;
        char reason[256];

        CHECK_INT(load(ctx, br_e1000.name, &grp), 0);
        CHECK_INT(grp.n_members, 3);
        CHECK(pci_dev_is_bridge(&grp.members[0]));
        CHECK(!group_is_viable(ctx, &grp, reason, sizeof(reason)));
        CHECK_CONTAINS(reason, "0000:05:01.0 (driver e1000) must also be detached");
        CHECK_INT(group_detach(ctx, &grp, j, NULL), 0);
        CHECK_STR(kmodel_driver(root, bridge.name), "");
        CHECK_STR(kmodel_driver(root, br_e1000.name), "vfio-pci");
        CHECK_STR(kmodel_driver(root, br_virtio.name), "vfio-pci");
        CHECK(group_is_viable(ctx, &grp, reason, sizeof(reason)));
        CHECK(kmodel_vfio_node(root, 14));
        CHECK_INT(group_reattach(ctx, &grp, j), 0);
        CHECK_STR(kmodel_driver(root, br_e1000.name), "e1000");
        CHECK_STR(kmodel_driver(root, br_virtio.name), "virtio-pci");
        CHECK(!kmodel_vfio_node(root, 14));
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(a_group_is_loaded_around_a_member_just_read_and_each_member_knows_its_group)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        static struct pci_group plain, with;
        struct pci_dev known;
        struct pci_addr a;

        CHECK_INT(group_load(ctx, 14, &plain), 0);
        CHECK_INT(plain.n_members, 3);
        for (size_t i = 0; i < plain.n_members; i++)
                CHECK_INT(plain.members[i].iommu_group, 14);
        CHECK_INT(pci_addr_parse(br_virtio.name, &a), 0);
        CHECK_INT(pci_dev_load(ctx, &a, &known), 0);
        CHECK_INT(known.iommu_group, 14);
        /* The member read by the caller is taken as it was read, not read again. */
        snprintf(known.driver, sizeof(known.driver), "as-read");
        CHECK_INT(group_load_with(ctx, 14, &known, &with), 0);
        CHECK_INT(with.n_members, 3);
        for (size_t i = 0; i < with.n_members && i < plain.n_members; i++) {
                CHECK_STR(with.members[i].name, plain.members[i].name);
                CHECK_INT(with.members[i].iommu_group, 14);
                CHECK_STR(with.members[i].driver, strcmp(with.members[i].name, br_virtio.name)
                                                      ? plain.members[i].driver
                                                      : "as-read");
        }
        vfh_ctx_unref(ctx);
}

TEST(multifunction_pair_moves_together)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;

        CHECK_INT(load(ctx, mf1.name, &grp), 0);
        CHECK_INT(grp.n_members, 2);
        CHECK(!pci_dev_is_bridge(&grp.members[0])); /* header type 0x80: multifunction, type 0 */
        CHECK_INT(group_detach(ctx, &grp, j, NULL), 0);
        CHECK_STR(kmodel_driver(root, mf0.name), "vfio-pci");
        CHECK_STR(kmodel_driver(root, mf1.name), "vfio-pci");
        CHECK_INT(group_reattach(ctx, &grp, j), 0);
        CHECK_STR(kmodel_driver(root, mf0.name), "e1000e");
        CHECK_STR(kmodel_driver(root, mf1.name), "e1000e");
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(vf_moves_and_pf_with_vfs_is_refused)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;

        CHECK_INT(load(ctx, igbvf.name, &grp), 0);
        CHECK(grp.members[0].is_vf);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), 0);
        CHECK_STR(kmodel_driver(root, igbvf.name), "vfio-pci");
        CHECK_INT(group_reattach(ctx, &grp, j), 0);
        CHECK_STR(kmodel_driver(root, igbvf.name), "igbvf");

        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "1\n");
        test_write_file(root, "kmodel/log", "%s", "");
        CHECK_INT(load(ctx, igb.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "SR-IOV PF with 1 VFs enabled");
        CHECK(!log_has_writes(root));
        CHECK_STR(kmodel_driver(root, igb.name), "igb");
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(host_critical_members_are_refused_before_any_write)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;

        CHECK_INT(load(ctx, sata.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "0000:00:1f.2: detach: group 9 is not viable: 0000:00:1f.2 (");
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "is host-critical (sda1 is mounted on /)");

        kmodel_add_netdev(root, &mf0, "eth3");
        test_write_file(root, "proc/net/route",
                        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow"
                        "\tIRTT\n"
                        "eth3\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
        CHECK_INT(load(ctx, mf1.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, &(struct group_opts){.device = mf1.name}), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "0000:06:00.1: detach: group 15 is not viable: 0000:06:00.0 (");
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "eth3 has the IPv4 route 10.0.0.0/24");
        CHECK(!log_has_writes(root));
        CHECK_INT(j->n_records, 0);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(bond_port_and_driverctl_override_are_refused)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;

        kmodel_add_netdev(root, &e1000e, "eth1");
        test_symlink(root, "sys/devices/pci0000:00/0000:00:06.0/0000:03:00.0/net/eth1/master",
                     "../../../../../virtual/net/bond0");
        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "eth1 is a port of bond0");

        test_write_file(root, "etc/driverctl.d/pci-0000:05:01.0", "e1000\n");
        CHECK_INT(load(ctx, br_virtio.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "driverctl unset-override 0000:05:01.0");
        CHECK(!log_has_writes(root));
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(policy_and_force_host_critical)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;
        struct vfh_config *cfg = NULL;
        struct group_opts opts = {0};
        static const char conf[] = "allow = 0000:06:00.0\nforce_host_critical = 0000:00:1f.2\n"
                                   "allow = 8086:2922\n";

        CHECK_INT(config_parse_buffer(ctx, "c", conf, strlen(conf), &cfg), 0);
        opts.config = cfg;
        CHECK_INT(load(ctx, mf0.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, &opts), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "0000:06:00.1 (");
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "not in the allowlist");
        /* The mounted disk's controller, forced: the only override of host-critical. */
        CHECK_INT(load(ctx, sata.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, &opts), 0);
        CHECK_STR(kmodel_driver(root, sata.name), "vfio-pci");
        CHECK_INT(group_reattach(ctx, &grp, j), 0);
        config_free(cfg);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(claimed_group_names_the_running_domain)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *dom = NULL, *j = cli_journal(ctx);
        static struct pci_group grp;

        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_DOMAIN, "6f1c2d3e-0000-4000-8000-000000000001",
                              "web1", &dom),
                  0);
        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, dom, NULL), 0);
        test_write_file(root, "run/libvirt/qemu/web1.pid", "%d\n", (int)getpid());
        test_mkdir(root, "proc/1");
        {
                char rel[64];

                snprintf(rel, sizeof(rel), "proc/%d", (int)getpid());
                test_mkdir(root, rel);
        }
        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "in use by running domain 'web1'");
        CHECK_INT(group_reattach(ctx, &grp, dom), 0);
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
        journal_free(dom);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(driver_models_variant_and_unknown)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;
        struct group_opts opts = {.driver = "e1000e"};

        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, &opts), -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "driver model 'e1000e': not a VFIO driver");
        opts.driver = "foo_vfio_pci"; /* the right name, but not loaded, and no modprobe here */
        CHECK_INT(group_detach(ctx, &grp, j, &opts), -ENOENT);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "only runs on the real host");
        CHECK(!log_has_writes(root));
        kmodel_add_driver(root, "fake_vfio_pci", NULL); /* loaded, but not on vfio_pci_core */
        opts.driver = "fake_vfio_pci";
        CHECK_INT(group_detach(ctx, &grp, j, &opts), -EINVAL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "not built on vfio_pci_core");
        opts.driver = "vfio-pci";
        CHECK_INT(group_detach(ctx, &grp, j, &opts), 0);
        CHECK_STR(kmodel_driver(root, e1000e.name), "vfio-pci");
        CHECK_INT(group_reattach(ctx, &grp, j), 0);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

static long long ms_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST(hung_unbind_returns_by_the_deadline)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;
        long long start;

        vfh_ctx_set_timeout_ms(ctx, 300);
        kmodel_hang_unbind(root, e1000e.name);
        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        start = ms_now();
        CHECK_INT(group_detach(ctx, &grp, j, NULL), -ETIMEDOUT);
        CHECK(ms_now() - start < 15000); /* returned at all: the model never wakes by itself */
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "0000:03:00.0: unbind from e1000e: no answer after 0.3 s");
        /* The journal keeps the intent: the change may still happen when the driver wakes. */
        CHECK_INT(j->n_records, 1);
        CHECK_INT(j->records[0].state, JOURNAL_INTENT);
        kmodel_release_hang(root);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(driver_that_does_not_come_back_is_reported)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;

        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), 0);
        test_write_file(root, "sys/bus/pci/drivers/e1000e/kmodel_ids", "none\n");
        CHECK_INT(group_reattach(ctx, &grp, j), -EIO);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "0000:03:00.0: reattach: the recorded driver e1000e did not come back "
                       "(the driver link shows no driver)");
        CHECK_INT(j->n_records, 1); /* kept for recover */
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(reattach_refuses_while_the_group_is_open)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;

        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), 0);
        test_symlink(root, "proc/777/fd/5", "/dev/vfio/13");
        test_write_file(root, "proc/777/comm", "qemu-system-x86\n");
        test_write_file(root, "kmodel/log", "%s", "");
        CHECK_INT(group_reattach(ctx, &grp, j), -EBUSY);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "/dev/vfio/13 is still open in process 777 (qemu-system-x86)");
        CHECK(!log_has_writes(root));
        CHECK_STR(kmodel_driver(root, e1000e.name), "vfio-pci");
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(broken_journal_blocks_every_detach)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp;

        test_write_file(root, "run/vfiohook/6f1c2d3e.journal",
                        "vfiohook-journal version=1\nowner kind=domain id=6f1c2d3e name=x\n");
        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), -EBADMSG);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "6f1c2d3e.journal: line 3: no end line");
        CHECK(!log_has_writes(root));
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
        journal_free(j);
        vfh_ctx_unref(ctx);
}

TEST(group_detached_by_hand_says_how_to_release_it)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *dom = NULL, *j = cli_journal(ctx);
        static struct pci_group grp;

        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, &(struct group_opts){.owner_id = "cli"}), 0);
        CHECK_INT(journal_new(ctx, JOURNAL_OWNER_DOMAIN, "6f1c2d3e-0000-4000-8000-000000000002",
                              "db1", &dom),
                  0);
        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, dom, &(struct group_opts){.owner_id = dom->id}), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "was detached by hand (journal cli); run `vfiohookctl reattach "
                       "0000:03:00.0` first");
        CHECK_INT(group_reattach(ctx, &grp, j), 0);
        journal_free(dom);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

/* Our unbind and our probe to vfio-pci add no disk anywhere: the next group's load keeps the
 * /sys/block links it had. A reattach probes the host driver back, which may bring disks
 * (and VFs): then they are read again. */
TEST(a_detach_keeps_the_disk_links_and_a_reattach_reads_them_again)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = cli_journal(ctx);
        static struct pci_group grp, sata_grp;
        char path[PATH_MAX];

        CHECK_INT(load(ctx, e1000e.name, &grp), 0);
        CHECK_INT(group_detach(ctx, &grp, j, NULL), 0);
        CHECK_STR(kmodel_driver(root, e1000e.name), "vfio-pci");
        /* Gone behind our back: only a read of /sys/block would notice. */
        snprintf(path, sizeof(path), "%s/sys/block/sda", root);
        CHECK_INT(unlink(path), 0);
        CHECK_INT(load(ctx, sata.name, &sata_grp), 0);
        CHECK_INT(sata_grp.members[0].n_blocks, 1);
        CHECK_INT(group_reattach(ctx, &grp, j), 0);
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
        CHECK_INT(load(ctx, sata.name, &sata_grp), 0);
        CHECK_INT(sata_grp.members[0].n_blocks, 0);
        journal_free(j);
        vfh_ctx_unref(ctx);
}
