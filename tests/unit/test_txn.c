/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qemu hook's transaction against the kernel model: prepare detaches what the plan says
 * and nothing else, refusals come before the first write, a failure half-way leaves the host
 * as it was, release restores from the journal (keeping what fails), a second prepare is
 * harmless, and mdevs are created and removed only by us.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "internal.h"
#include "kmodel.h"
#include "mdev.h"
#include "support.h"
#include "txn.h"

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
static const struct kdev sata = {"0000:00:1f.2", NULL, 0x8086, 0x2922, 0x010601, 0, 9, "ahci"};

#define UUID_A    "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define UUID_B    "0b7c1f2e-3d4a-4b5c-8d6e-7f8091a2b3c4"
#define MDEV_UUID "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

/* ---- a kernel model with mdevs and a switchable failure ---- */

static char fail_path[PATH_MAX]; /* a write to this path fails with -EIO */

static int model_write(const char *root, const char *path, const char *value)
{
        char rel[PATH_MAX];

        if (fail_path[0] && strcmp(path, fail_path) == 0)
                return -EIO;
        if (strstr(path, "/mdev_supported_types/") && strstr(path, "/create")) {
                snprintf(rel, sizeof(rel), "sys/bus/mdev/devices/%.36s/remove", value);
                test_write_file(root, rel, "%s", "");
                return 0;
        }
        if (strncmp(path, "/sys/bus/mdev/devices/", 22) == 0 && strstr(path, "/remove")) {
                snprintf(rel, sizeof(rel), "%s/sys/bus/mdev/devices/%.36s/remove", root, path + 22);
                if (unlink(rel) < 0)
                        return -errno;
                *strrchr(rel, '/') = '\0';
                return rmdir(rel) < 0 ? -errno : 0;
        }
        return kmodel_write(root, path, value);
}

static const char *rig(void)
{
        const char *root = test_tmpdir();

        kmodel_add_driver(root, "e1000e", "8086:10d3");
        kmodel_add_driver(root, "e1000", "8086:100e");
        kmodel_add_driver(root, "virtio-pci", "1af4:1000");
        kmodel_add_driver(root, "ahci", "8086:2922");
        kmodel_add_vfio(root);
        kmodel_add_device(root, &e1000e);
        kmodel_add_device(root, &bridge);
        kmodel_add_device(root, &br_e1000);
        kmodel_add_device(root, &br_virtio);
        kmodel_add_device(root, &sata);
        kmodel_add_disk(root, &sata, "sda", 8);
        test_write_file(root, "proc/self/mountinfo",
                        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
        test_write_file(root,
                        "sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2/"
                        "available_instances",
                        "2\n");
        test_write_file(root, "sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2/create", "%s",
                        "");
        test_mkdir(root, "sys/bus/mdev/devices");
        test_mkdir(root, "run");
        fail_path[0] = '\0';
#ifdef VFH_TEST_BUILD
        kmodel_install();
        sysfs_set_write_hook(model_write);
#else
        kmodel_install(); /* prints SKIP and exits */
#endif
        return root;
}

/* A domain with the given <devices> content (and optional <metadata> content). */
static struct vfh_domain *domain(vfh_ctx *ctx, const char *name, const char *uuid,
                                 const char *devices, const char *metadata)
{
        struct vfh_domain *dom = NULL;
        char xml[8192];
        int len = snprintf(xml, sizeof(xml),
                           "<domain type='kvm'><name>%s</name><uuid>%s</uuid>"
                           "<metadata><vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'>%s"
                           "</vfh:vfiohook></metadata><devices>%s</devices></domain>",
                           name, uuid, metadata ? metadata : "", devices);

        if (vfh_domain_parse_flags(ctx, xml, (size_t)len, VFH_PARSE_NO_NETWORK_LOOKUP, &dom) < 0) {
                fprintf(stderr, "  domain XML: %s\n", vfh_ctx_last_error(ctx));
                abort();
        }
        return dom;
}

#define HOSTDEV(managed, bus, slot)                                                                \
        "<hostdev mode='subsystem' type='pci' managed='" managed "'><source><address domain='0' "  \
        "bus='" bus "' slot='" slot "' function='0'/></source></hostdev>"

static bool log_has_writes(const char *root)
{
        char *log = kmodel_log(root);
        bool any = log && log[0];

        free(log);
        return any;
}

static bool has_journal(vfh_ctx *ctx, const char *id)
{
        return txn_has_journal(ctx, id);
}

/* A running QEMU for the domain, as journal_owner_running sees one. */
static void pretend_running(const char *root, const char *name)
{
        char rel[64];

        test_write_file(root, "run/libvirt/qemu/x.pid", "%d\n", (int)getpid());
        snprintf(rel, sizeof(rel), "run/libvirt/qemu/%s.pid", name);
        test_write_file(root, rel, "%d\n", (int)getpid());
        snprintf(rel, sizeof(rel), "proc/%d", (int)getpid());
        test_mkdir(root, rel);
}

TEST(managed_no_moves_the_whole_group_and_release_restores_it)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(ctx, "alpha", UUID_A, HOSTDEV("no", "5", "1"), NULL);

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        CHECK_STR(kmodel_driver(root, br_e1000.name), "vfio-pci");
        CHECK_STR(kmodel_driver(root, br_virtio.name), "vfio-pci");
        CHECK_STR(kmodel_driver(root, bridge.name), "");
        CHECK(kmodel_vfio_node(root, 14));
        CHECK(has_journal(ctx, UUID_A));
        CHECK_INT(txn_check(ctx, UUID_A), 0);

        CHECK_INT(txn_release_owner(ctx, UUID_A), 0);
        CHECK_STR(kmodel_driver(root, br_e1000.name), "e1000");
        CHECK_STR(kmodel_driver(root, br_virtio.name), "virtio-pci");
        CHECK(!kmodel_vfio_node(root, 14));
        CHECK(!has_journal(ctx, UUID_A));
        /* A second release (libvirt calls it after failed starts too) has nothing to do. */
        CHECK_INT(txn_release_owner(ctx, UUID_A), 0);
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

/* The apply reuses the group the plan read, except where an earlier device of the same plan
 * detached that group already: the second endpoint must see the first one's work. */
TEST(two_devices_of_one_group_and_a_third_are_each_bound_once)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom =
            domain(ctx, "alpha", UUID_A,
                   HOSTDEV("no", "5", "1") HOSTDEV("no", "3", "0") HOSTDEV("no", "5", "2"), NULL);
        struct journal *j = NULL;
        struct plan *plan = NULL;
        size_t lines = 0;
        char *log;

        /* The second device of group 14 is planned from the group the first one read. */
        CHECK_INT(plan_build(ctx, dom, NULL, PLAN_PREPARE, &plan), 0);
        CHECK_INT(plan ? plan->n_devices : 0, 3);
        if (plan && plan->n_devices == 3) {
                const struct plan_device *a = &plan->devices[0], *b = &plan->devices[2];

                CHECK_INT(a->group, 14);
                CHECK_INT(b->group, 14);
                CHECK_INT(b->n_members, 3);
                CHECK(a->grp && b->grp && a->grp != b->grp);
                for (size_t i = 0; i < 3 && i < b->n_members; i++) {
                        CHECK_STR(b->members[i].name, a->members[i].name);
                        CHECK_INT(b->members[i].bind, a->members[i].bind);
                }
                CHECK(b->grp && b->grp->n_members == 3 &&
                      !strcmp(b->grp->members[2].driver, "virtio-pci"));
        }
        plan_free(plan);
        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        CHECK_STR(kmodel_driver(root, br_e1000.name), "vfio-pci");
        CHECK_STR(kmodel_driver(root, br_virtio.name), "vfio-pci");
        CHECK_STR(kmodel_driver(root, e1000e.name), "vfio-pci");
        CHECK_INT(journal_load(ctx, UUID_A, &j), 0);
        CHECK_INT(j ? j->n_records : 0, 3); /* one bind each, none twice */
        journal_free(j);
        /* 3 endpoints: override, unbind, probe each; nothing written twice. */
        log = kmodel_log(root);
        for (const char *p = log; p && *p; p++)
                lines += *p == '\n';
        free(log);
        CHECK_INT(lines, 9);
        CHECK_INT(txn_check(ctx, UUID_A), 0);
        CHECK_INT(txn_release_owner(ctx, UUID_A), 0);
        CHECK_STR(kmodel_driver(root, br_e1000.name), "e1000");
        CHECK_STR(kmodel_driver(root, br_virtio.name), "virtio-pci");
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
        CHECK(!has_journal(ctx, UUID_A));
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(managed_yes_primary_is_left_to_libvirt_and_its_companion_is_ours)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(ctx, "alpha", UUID_A, HOSTDEV("yes", "5", "1"), NULL);
        struct plan *plan = NULL;

        CHECK_INT(plan_build(ctx, dom, NULL, PLAN_PREPARE, &plan), 0);
        CHECK_INT(plan->n_devices, 1);
        CHECK_INT(plan->n_refusals, 0);
        CHECK_INT(plan->devices[0].n_members, 3);
        CHECK(plan->devices[0].members[0].bridge);
        CHECK(plan->devices[0].members[1].by_libvirt && !plan->devices[0].members[1].bind);
        CHECK(plan->devices[0].members[2].bind);
        plan_free(plan);

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        CHECK_STR(kmodel_driver(root, br_e1000.name), "e1000"); /* libvirt's, after prepare */
        CHECK_STR(kmodel_driver(root, br_virtio.name), "vfio-pci");
        CHECK_INT(txn_release_owner(ctx, UUID_A), 0);
        CHECK_STR(kmodel_driver(root, br_virtio.name), "virtio-pci");
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(a_managed_yes_device_alone_in_its_group_is_only_claimed)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(ctx, "alpha", UUID_A, HOSTDEV("yes", "3", "0"), NULL);
        struct vfh_domain *other = domain(ctx, "beta", UUID_B, HOSTDEV("no", "3", "0"), NULL);
        struct journal *j = NULL;

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_START), 0); /* no second record */
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
        CHECK(!log_has_writes(root));
        CHECK_INT(journal_load(ctx, UUID_A, &j), 0);
        CHECK_INT(j ? j->n_records : 0, 1);
        CHECK_STR(j ? j->records[0].type : NULL, USE_RECORD);
        journal_free(j);
        /* while alpha runs, nobody else gets the device */
        pretend_running(root, "alpha");
        CHECK_INT(txn_apply(ctx, other, NULL, PLAN_PREPARE), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "in use by running domain 'alpha'");
        CHECK(!log_has_writes(root));
        CHECK_INT(txn_release_owner(ctx, UUID_A), 0);
        CHECK(!has_journal(ctx, UUID_A));
        vfh_domain_free(dom);
        vfh_domain_free(other);
        vfh_ctx_unref(ctx);
}

TEST(host_critical_device_is_refused_before_any_change)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        /* e1000e first: it would be detached if refusals were not all found up front. */
        struct vfh_domain *dom =
            domain(ctx, "alpha", UUID_A,
                   HOSTDEV("no", "3", "0") "<hostdev mode='subsystem' "
                                           "type='pci' managed='no'><source><address domain='0' "
                                           "bus='0' slot='0x1f' function='2'/></source></hostdev>",
                   NULL);

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "0000:00:1f.2");
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "host-critical");
        CHECK(!log_has_writes(root));
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
        CHECK(!has_journal(ctx, UUID_A));
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(denied_device_is_refused_and_every_refusal_is_listed)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(
            ctx, "alpha", UUID_A,
            HOSTDEV("no", "3", "0") "<hostdev mode='subsystem' type='pci' managed='no'><source>"
                                    "<address domain='0' bus='0' slot='0x1f' function='2'/>"
                                    "</source></hostdev>",
            NULL);
        static const char conf[] = "deny = 8086:10d3\n";
        struct vfh_config *cfg = NULL;
        struct plan *plan = NULL;

        CHECK_INT(config_parse_buffer(ctx, "test.conf", conf, sizeof(conf) - 1, &cfg), 0);
        CHECK_INT(plan_build(ctx, dom, cfg, PLAN_PREPARE, &plan), 0);
        CHECK_INT(plan->n_refusals, 2);
        CHECK_STR(plan->refusals[0].device, "0000:03:00.0");
        CHECK_CONTAINS(plan->refusals[0].reason, "denied");
        CHECK_STR(plan->refusals[1].device, "0000:00:1f.2");
        plan_free(plan);
        CHECK_INT(txn_apply(ctx, dom, cfg, PLAN_PREPARE), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "and 1 more refusal");
        CHECK(!log_has_writes(root));
        config_free(cfg);
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(a_group_in_use_by_a_running_domain_is_refused_naming_it)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *a = domain(ctx, "alpha", UUID_A, HOSTDEV("no", "5", "1"), NULL);
        struct vfh_domain *b = domain(ctx, "beta", UUID_B, HOSTDEV("no", "5", "2"), NULL);
        char *before, *after;

        CHECK_INT(txn_apply(ctx, a, NULL, PLAN_PREPARE), 0);
        pretend_running(root, "alpha");
        before = kmodel_log(root);
        CHECK_INT(txn_apply(ctx, b, NULL, PLAN_PREPARE), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "'alpha'");
        after = kmodel_log(root);
        CHECK_STR(after, before);
        CHECK(!has_journal(ctx, UUID_B));
        free(before);
        free(after);
        vfh_domain_free(a);
        vfh_domain_free(b);
        vfh_ctx_unref(ctx);
}

/* Between alpha's prepare and its QEMU's pid file no hook runs and nothing looks alive: its
 * journal must still keep beta out (the soak's double assignment). */
TEST(a_group_claimed_by_a_domain_between_prepare_and_qemu_is_refused)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *a = domain(ctx, "alpha", UUID_A, HOSTDEV("no", "5", "1"), NULL);
        struct vfh_domain *b = domain(ctx, "beta", UUID_B, HOSTDEV("no", "5", "2"), NULL);
        char *before, *after;

        CHECK_INT(txn_apply(ctx, a, NULL, PLAN_PREPARE), 0);
        before = kmodel_log(root);
        CHECK_INT(txn_apply(ctx, b, NULL, PLAN_PREPARE), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "domain 'alpha'");
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "vfiohookctl recover --domain 'alpha'");
        after = kmodel_log(root);
        CHECK_STR(after, before);
        CHECK(!has_journal(ctx, UUID_B));
        free(before);
        free(after);
        vfh_domain_free(a);
        vfh_domain_free(b);
        vfh_ctx_unref(ctx);
}

/* VF settings asked for a device that is not a VF are refused, never dropped in silence. */
TEST(vf_settings_for_a_device_that_is_not_a_vf_are_refused)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(ctx, "alpha", UUID_A, HOSTDEV("no", "3", "0"),
                                        "<vfh:hostdev address='0000:03:00.0' spoofchk='off'/>");

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "0000:03:00.0: VF settings: the domain's vfiohook metadata sets VF "
                       "attributes, but the device is not an SR-IOV VF");
        CHECK(!log_has_writes(root));
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
        CHECK(!has_journal(ctx, UUID_A));
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(a_second_prepare_changes_nothing)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(ctx, "alpha", UUID_A, HOSTDEV("no", "5", "1"), NULL);
        struct journal *j = NULL;
        char *before, *after;

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        before = kmodel_log(root);
        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        after = kmodel_log(root);
        CHECK_STR(after, before);
        CHECK_INT(journal_load(ctx, UUID_A, &j), 0);
        CHECK_INT(j ? j->n_records : 0, 2);
        journal_free(j);
        CHECK_INT(txn_release_owner(ctx, UUID_A), 0);
        CHECK_STR(kmodel_driver(root, br_virtio.name), "virtio-pci");
        free(before);
        free(after);
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(a_failure_half_way_rolls_everything_back)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom =
            domain(ctx, "alpha", UUID_A, HOSTDEV("no", "3", "0") HOSTDEV("no", "5", "1"), NULL);

        /* The e1000e moves first; then the bridge group's second endpoint cannot be unbound. */
        snprintf(fail_path, sizeof(fail_path), "/sys/bus/pci/drivers/virtio-pci/unbind");
        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), -EIO);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "0000:05:02.0");
        fail_path[0] = '\0';
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
        CHECK_STR(kmodel_driver(root, br_e1000.name), "e1000");
        CHECK_STR(kmodel_driver(root, br_virtio.name), "virtio-pci");
        CHECK(!kmodel_vfio_node(root, 13));
        CHECK(!has_journal(ctx, UUID_A));
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(release_keeps_what_it_cannot_restore_and_a_later_release_finishes)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(ctx, "alpha", UUID_A, HOSTDEV("no", "5", "1"), NULL);
        struct journal *j = NULL;

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        snprintf(fail_path, sizeof(fail_path), "/sys/bus/pci/devices/0000:05:01.0/driver_override");
        CHECK(txn_release_owner(ctx, UUID_A) < 0);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "vfiohookctl recover");
        fail_path[0] = '\0';
        CHECK_STR(kmodel_driver(root, br_virtio.name), "virtio-pci"); /* the other one went on */
        CHECK_INT(journal_load(ctx, UUID_A, &j), 0);
        CHECK_INT(j ? j->n_records : 0, 1);
        journal_free(j);
        CHECK_INT(txn_release_owner(ctx, UUID_A), 0);
        CHECK_STR(kmodel_driver(root, br_e1000.name), "e1000");
        CHECK(!has_journal(ctx, UUID_A));
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(reconnect_check_notices_a_device_that_moved)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(ctx, "alpha", UUID_A, HOSTDEV("no", "3", "0"), NULL);

        CHECK_INT(txn_check(ctx, UUID_A), 0); /* no journal: nothing to check */
        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        CHECK_INT(kmodel_write(root, "/sys/bus/pci/drivers/vfio-pci/unbind", e1000e.name), 0);
        CHECK_INT(txn_check(ctx, UUID_A), -ESTALE);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "0000:03:00.0");
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

#define MDEV_HOSTDEV                                                                               \
        "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='" MDEV_UUID \
        "'/></source></hostdev>"
#define MDEV_META "<vfh:mdev uuid='" MDEV_UUID "' parent='mtty' type='mtty-2'/>"

TEST(mdev_is_created_at_prepare_and_removed_at_release)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(ctx, "alpha", UUID_A, MDEV_HOSTDEV, MDEV_META);

        CHECK(!plan_domain_is_passthrough_free(dom));
        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        CHECK(mdev_exists(ctx, MDEV_UUID));
        CHECK_INT(txn_release_owner(ctx, UUID_A), 0);
        CHECK(!mdev_exists(ctx, MDEV_UUID));
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(an_mdev_that_already_exists_is_never_removed)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(ctx, "alpha", UUID_A, MDEV_HOSTDEV, MDEV_META);

        test_mkdir(root, "sys/bus/mdev/devices/" MDEV_UUID);
        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), 0);
        CHECK(!has_journal(ctx, UUID_A));
        CHECK_INT(txn_release_owner(ctx, UUID_A), 0);
        CHECK(mdev_exists(ctx, MDEV_UUID));
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(an_mdev_with_an_unknown_type_is_refused)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom =
            domain(ctx, "alpha", UUID_A, HOSTDEV("no", "3", "0") MDEV_HOSTDEV,
                   "<vfh:mdev uuid='" MDEV_UUID "' parent='mtty' type='mtty-9'/>");

        CHECK_INT(txn_apply(ctx, dom, NULL, PLAN_PREPARE), -EPERM);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "has no type mtty-9");
        CHECK(!log_has_writes(root));
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

TEST(guests_without_passthrough_are_recognised)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *plain =
            domain(ctx, "alpha", UUID_A,
                   "<interface type='bridge'><source bridge='br0'/></interface>"
                   "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/>"
                   "<product id='0xbeef'/></source></hostdev>",
                   NULL);
        struct vfh_domain *pci = domain(ctx, "beta", UUID_B, HOSTDEV("yes", "3", "0"), NULL);

        CHECK(plan_domain_is_passthrough_free(plain));
        CHECK(!plan_domain_is_passthrough_free(pci));
        CHECK_STR(plan_owner_id(pci), UUID_B);
        vfh_domain_free(plain);
        vfh_domain_free(pci);
        vfh_ctx_unref(ctx);
}

TEST(start_plans_only_the_interfaces_that_arrive_with_an_address)
{
        const char *root = rig();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vfh_domain *dom = domain(
            ctx, "alpha", UUID_A,
            HOSTDEV("no", "3", "0") "<interface type='hostdev' managed='yes'><source><address "
                                    "type='pci' domain='0' bus='5' slot='2' function='0'/>"
                                    "</source></interface>",
            NULL);
        struct plan *plan = NULL;

        CHECK_INT(plan_build(ctx, dom, NULL, PLAN_START, &plan), 0);
        CHECK_INT(plan->n_devices, 1);
        CHECK_STR(plan->devices[0].name, "0000:05:02.0");
        CHECK(plan->devices[0].source == PLAN_SOURCE_INTERFACE);
        CHECK(plan->devices[0].managed);
        plan_free(plan);
        vfh_domain_free(dom);
        vfh_ctx_unref(ctx);
}

/* ---- vfiohookctl plan: the same plan, as the admin sees it ---- */

static int run_plan(const char *root, const char *xml, const char *extra, char *out, size_t size)
{
        char args[PATH_MAX * 2];

        test_write_file(root, "domain.xml", "%s", xml);
        snprintf(args, sizeof(args), "plan --xml %s/domain.xml %s", root, extra);
        return test_vfiohookctl(root, args, out, size);
}

#define SATA_HOSTDEV                                                                               \
        "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' bus='0' "   \
        "slot='0x1f' function='2'/></source></hostdev>"

#define PLAN_XML(devices, metadata)                                                                \
        "<domain type='kvm'>\n<name>alpha</name><uuid>" UUID_A "</uuid>\n<metadata>"               \
        "<vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'>" metadata "</vfh:vfiohook></metadata>\n"      \
        "<devices>\n" devices "\n</devices></domain>\n"

TEST(plan_cli_shows_members_mdevs_and_the_verdict)
{
        const char *root = rig();
        static char out[65536];

        CHECK_INT(run_plan(root, PLAN_XML(HOSTDEV("yes", "5", "1") "\n" MDEV_HOSTDEV, MDEV_META),
                           "", out, sizeof(out)),
                  0);
        CHECK_CONTAINS(out, "prepare:\n  0000:05:01.0: <hostdev managed='yes'> (line 5), IOMMU "
                            "group 14, driver vfio-pci\n"
                            "    0000:04:00.0: bridge, left alone\n"
                            "    0000:05:01.0: e1000, libvirt binds it (managed='yes')\n"
                            "    0000:05:02.0: virtio-pci -> vfio-pci\n");
        CHECK_CONTAINS(out, "  mdev " MDEV_UUID " (parent mtty, type mtty-2): create, remove at "
                            "release\n");
        CHECK_CONTAINS(out, "start:\n  nothing more");
        CHECK_CONTAINS(out, "verdict: would start\n");
        CHECK_STR(kmodel_driver(root, br_virtio.name), "virtio-pci");
        CHECK(!log_has_writes(root));

        CHECK_INT(
            run_plan(root, PLAN_XML(HOSTDEV("yes", "5", "1"), ""), "--json", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "\"kind\": \"plan\"");
        CHECK_CONTAINS(out, "\"address\": \"0000:05:01.0\",\n              \"driver\": "
                            "\"e1000\",\n              \"action\": \"libvirt\"");
        CHECK_CONTAINS(out, "\"address\": \"0000:05:02.0\",\n              \"driver\": "
                            "\"virtio-pci\",\n              \"action\": \"bind\"");
}

TEST(plan_cli_lists_every_refusal_and_exits_1)
{
        const char *root = rig();
        static char out[65536];

        CHECK_INT(run_plan(root,
                           PLAN_XML(HOSTDEV("no", "3", "0") SATA_HOSTDEV MDEV_HOSTDEV,
                                    "<vfh:mdev uuid='" MDEV_UUID "' parent='nope' type='x'/>"),
                           "", out, sizeof(out)),
                  1);
        CHECK_CONTAINS(out, "    0000:03:00.0: e1000e -> vfio-pci\n");
        CHECK_CONTAINS(out, "  REFUSED: 0000:00:1f.2: detach: group 9 is not viable: ");
        CHECK_CONTAINS(out, "  REFUSED: mdev " MDEV_UUID ": parent nope is not under ");
        CHECK_CONTAINS(out, "verdict: refused; prepare would change nothing\n");
        CHECK_STR(kmodel_driver(root, e1000e.name), "e1000e");
}
