/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl doctor on simulated hosts: a healthy one, and one that breaks every check, so
 * each verdict and its fix is seen to appear for the right reason.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"
#include "journal.h"
#include "kmodel.h"
#include "support.h"

static const struct kdev e1000e = {
    "0000:03:00.0", "pci0000:00/0000:00:06.0", 0x8086, 0x10d3, 0x020000, 0, 13, "e1000e"};
static const struct kdev bridge = {
    "0000:04:00.0", "pci0000:00/0000:00:07.0", 0x1b36, 0x000e, 0x060400, 1, 14, NULL};
static const struct kdev br_a = {
    "0000:05:01.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x8086, 0x100e, 0x020000, 0, 14,
    "e1000"};
static const struct kdev br_b = {
    "0000:05:02.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x8086, 0x100e, 0x020000, 0, 14, NULL};
static const struct kdev igb = {
    "0000:01:00.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10c9, 0x020000, 0, 11, "igb"};
static const struct kdev igbvf = {
    "0000:01:10.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10ca, 0x020000, 0, 20, "vfio-pci"};
static const struct kdev stray = {
    "0000:06:00.0", "pci0000:00/0000:00:08.0", 0x8086, 0x10d3, 0x020000, 0, 21, "vfio-pci"};
static const struct kdev libvirts = {
    "0000:07:00.0", "pci0000:00/0000:00:09.0", 0x8086, 0x10d3, 0x020000, 0, 22, "vfio-pci"};

#define UUID_GONE "6f1c0e2a-1111-4222-8333-944455556666"

static void add_devices(const char *root)
{
        kmodel_add_driver(root, "e1000e", "8086:10d3");
        kmodel_add_driver(root, "e1000", "8086:100e");
        kmodel_add_driver(root, "igb", "8086:10c9");
        kmodel_add_vfio(root);
        kmodel_add_device(root, &e1000e);
        kmodel_add_device(root, &bridge);
        kmodel_add_device(root, &br_a);
        kmodel_add_device(root, &br_b);
        kmodel_add_device(root, &igb);
        kmodel_add_device(root, &igbvf);
        kmodel_add_device(root, &stray);
        kmodel_add_device(root, &libvirts);
        kmodel_add_netdev(root, &igb, "eth1");
        test_symlink(root, "sys/devices/pci0000:00/0000:00:04.0/0000:01:00.0/net/eth1/device",
                     "../../../0000:01:00.0");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_totalvfs", "7\n");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "1\n");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0/virtfn0", "../0000:01:10.0");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.0/physfn", "../0000:01:00.0");
}

static void add_libvirt(const char *root, const char *version, long long daemon_started)
{
        char path[PATH_MAX];

        test_write_file(root, "usr/sbin/libvirtd", "#!/bin/sh\necho 'libvirtd (libvirt) %s'\n",
                        version);
        snprintf(path, sizeof(path), "%s/usr/sbin/libvirtd", root);
        chmod(path, 0755);
        test_write_file(root, "etc/libvirt/hooks/qemu.d/vfiohook", "#!/bin/sh\n");
        snprintf(path, sizeof(path), "%s/etc/libvirt/hooks/qemu.d/vfiohook", root);
        chmod(path, 0755);
        test_write_file(root, "etc/libvirt/hooks/network.d/vfiohook", "#!/bin/sh\n");
        snprintf(path, sizeof(path), "%s/etc/libvirt/hooks/network.d/vfiohook", root);
        chmod(path, 0755);
        test_write_file(root, VFH_QEMU_WORKER_PATH + 1, "#!/bin/sh\n");
        snprintf(path, sizeof(path), "%s" VFH_QEMU_WORKER_PATH, root);
        chmod(path, 0755);
        /* The daemon started at btime + 0 ticks. */
        test_write_file(root, "proc/stat", "cpu  1 2 3\nbtime %lld\nprocesses 9\n", daemon_started);
        test_write_file(root, "proc/777/comm", "libvirtd\n");
        test_write_file(root, "proc/777/stat",
                        "777 (libvirtd) S 1 777 777 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 17 0 0 "
                        "1000 100\n");
        test_write_file(root, "etc/libvirt/qemu.conf",
                        "# cgroup_device_acl = [ \"/dev/null\" ]\nuser = \"libvirt-qemu\"\n");
        test_write_file(root, "run/libvirt/qemu/guest1.xml",
                        "<domstatus state='running' pid='4242'>\n<domain type='kvm'>\n"
                        "<name>guest1</name>\n<devices>\n"
                        "<hostdev mode='subsystem' type='pci' managed='yes'>\n"
                        "<source><address domain='0' bus='7' slot='0' function='0'/></source>\n"
                        "</hostdev>\n</devices>\n</domain>\n</domstatus>\n");
}

static void add_journal(const char *root)
{
        vfh_ctx *ctx = NULL;
        struct journal *j = NULL;
        struct journal_record *rec;

        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, root) < 0 ||
            vfh_ctx_set_run_dir(ctx, "/run/vfiohook") < 0 ||
            journal_new(ctx, JOURNAL_OWNER_DOMAIN, UUID_GONE, "gone", &j) < 0)
                abort();
        rec = journal_append(j, "bind");
        journal_record_set(rec, "device", "0000:01:10.0");
        journal_record_set(rec, "group", "20");
        journal_record_set(rec, "driver", "igbvf");
        journal_record_set(rec, "override", "");
        journal_record_set(rec, "new_driver", "vfio-pci");
        rec->state = JOURNAL_DONE;
        CHECK_INT(journal_save(ctx, j), 0);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

/* A host where everything is in order. */
static const char *healthy(void)
{
        const char *root = test_tmpdir();
        char path[PATH_MAX];

        add_devices(root);
        test_write_file(root, "proc/cmdline",
                        "BOOT_IMAGE=/vmlinuz root=/dev/vda intel_iommu=on "
                        "iommu=pt\n");
        test_write_file(root, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n");
        test_write_file(root, "proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
        test_write_file(root, "dev/kmsg",
                        "6,1,0,-;Linux version 6.1.0\n"
                        "6,2,5,-;DMAR: Host address width 39\n"
                        "6,3,6,-;DMAR: IOMMU enabled\n"
                        " SUBSYSTEM=acpi\n"
                        "6,4,7,-;DMAR-IR: Enabled IRQ remapping in x2apic mode\n");
        test_mkdir(root, "sys/class/iommu/dmar0");
        test_mkdir(root, "sys/module/vfio");
        test_write_file(root, "sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
                        "N\n");
        snprintf(path, sizeof(path), "%s/dev/vfio/vfio", root);
        chmod(path, 0666);
        add_libvirt(root, "9.0.0", (long long)time(NULL) + 3600);
        add_journal(root);
        return root;
}

/* The item for check (and subject, when given); NULL when there is none. */
static const struct doctor_item *find(const struct doctor_report *r, const char *check,
                                      const char *subject)
{
        for (size_t i = 0; i < r->n_items; i++)
                if (strcmp(r->items[i].check, check) == 0 &&
                    (!subject || strcmp(r->items[i].subject, subject) == 0))
                        return &r->items[i];
        fprintf(stderr, "  no doctor item %s %s\n", check, subject ? subject : "");
        return NULL;
}

#define CHECK_ITEM(report, check, subject, want_status, text)                                      \
        do {                                                                                       \
                const struct doctor_item *_it = find(report, check, subject);                      \
                CHECK(_it != NULL);                                                                \
                if (_it) {                                                                         \
                        CHECK_STR(doctor_status_name(_it->status), want_status);                   \
                        CHECK_CONTAINS(_it->message, text);                                        \
                }                                                                                  \
        } while (0)

static void run_doctor(const char *root, struct doctor_report *report)
{
        vfh_ctx *ctx = test_ctx_at(root);

        CHECK_INT(doctor_run(ctx, NULL, report), 0);
        vfh_ctx_unref(ctx);
}

TEST(healthy_host_passes)
{
        const char *root = healthy();
        struct doctor_report r = {0};

        run_doctor(root, &r);
        CHECK_ITEM(&r, "iommu", NULL, "ok", "6 IOMMU groups; IOMMU units: dmar0");
        CHECK_ITEM(&r, "kernel_cmdline", NULL, "ok", "intel_iommu=on amd_iommu=(unset) iommu=pt");
        CHECK_ITEM(&r, "kernel_log", NULL, "ok", "DMAR: IOMMU enabled");
        CHECK_ITEM(&r, "interrupt_remapping", NULL, "ok",
                   "DMAR-IR: Enabled IRQ remapping in x2apic mode");
        CHECK_ITEM(&r, "vfio_modules", "vfio_pci", "ok", "loaded");
        CHECK_ITEM(&r, "libvirt_version", NULL, "ok", "9.0 runs the hooks in qemu.d");
        CHECK_ITEM(&r, "hooks", "/etc/libvirt/hooks/qemu.d/vfiohook", "ok",
                   "libvirtd (pid 777) runs it");
        CHECK_ITEM(&r, "hooks", VFH_QEMU_WORKER_PATH, "ok", "the qemu hook runs it for prepare");
        CHECK_ITEM(&r, "qemu_conf", NULL, "ok", "cgroup_device_acl is not set");
        CHECK_ITEM(&r, "dev_vfio", NULL, "ok", "mode 0666");
        CHECK_ITEM(&r, "sriov", "0000:01:00.0", "info", "(igb, eth1): 1 of 7 VFs enabled");
        CHECK_ITEM(&r, "groups", "group 13", "ok", "can be passed through");
        CHECK_ITEM(&r, "groups", "group 20", "ok", "viable now");
        CHECK_ITEM(&r, "acs", "group 14", "info",
                   "2 devices share this group and go to a guest together: 0000:04:00.0 "
                   "(bridge), 0000:05:01.0 (e1000), 0000:05:02.0 (no driver); no ACS on their "
                   "path at 0000:00:07.0 0000:04:00.0");
        CHECK_ITEM(&r, "journals", UUID_GONE ".journal", "warn",
                   "stale: domain 'gone' is not running");
        CHECK_ITEM(&r, "vfio_devices", "0000:01:10.0", "ok", "the journal of domain 'gone'");
        CHECK_ITEM(&r, "vfio_devices", "0000:07:00.0", "ok", "libvirt domain 'guest1'");
        CHECK_ITEM(&r, "vfio_devices", "0000:06:00.0", "warn", "no vfiohook journal");
        CHECK_INT(r.verdict, DOCTOR_WARN);
        doctor_report_clear(&r);
}

/* Breaks each check the way the seed guides' troubleshooting sections describe. */
/* A pool VF that libvirt bound for a guest is accounted for by the pool's port record. */
TEST(pool_port_accounts_for_a_vfio_vf)
{
        const char *root = healthy();
        struct doctor_report r = {0};
        vfh_ctx *ctx = NULL;
        struct journal *j = NULL;
        struct journal_record *rec;

        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, root) < 0 ||
            vfh_ctx_set_run_dir(ctx, "/run/vfiohook") < 0 ||
            journal_new(ctx, JOURNAL_OWNER_NETWORK, "6d90bb01-0000-4000-8000-000000000001", "pool",
                        &j) < 0)
                abort();
        rec = journal_append(j, "port");
        journal_record_set(rec, "address", "0000:06:00.0");
        journal_record_set(rec, "owner", "guest2");
        rec->state = JOURNAL_DONE;
        CHECK_INT(journal_save(ctx, j), 0);
        journal_free(j);
        vfh_ctx_unref(ctx);

        run_doctor(root, &r);
        CHECK_ITEM(&r, "vfio_devices", "0000:06:00.0", "ok", "the journal of network 'pool'");
        doctor_report_clear(&r);
}

TEST(broken_host_fails_with_a_fix_each)
{
        const char *root = healthy();
        struct doctor_report r = {0};
        const struct doctor_item *it;
        char path[PATH_MAX];

        test_write_file(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz intel_iommu=off\n");
        test_write_file(root, "dev/kmsg", "6,3,6,-;DMAR: IOMMU enabled\n");
        snprintf(path, sizeof(path), "%s/sys/module/vfio", root);
        rmdir(path);
        test_write_file(root, "lib/modules/6.1.0-28-amd64/modules.dep",
                        "kernel/drivers/vfio/vfio.ko: kernel/drivers/vfio/vfio_iommu_type1.ko\n");
        test_write_file(root, "usr/sbin/libvirtd", "#!/bin/sh\necho 'libvirtd (libvirt) 6.0.0'\n");
        snprintf(path, sizeof(path), "%s/etc/libvirt/hooks/network.d/vfiohook", root);
        chmod(path, 0644);
        test_write_file(root, "proc/stat", "btime %lld\n", (long long)time(NULL) - 3600);
        test_write_file(root, "etc/libvirt/qemu.conf",
                        "cgroup_device_acl = [\n    \"/dev/null\", \"/dev/full\"\n]\n");
        snprintf(path, sizeof(path), "%s/dev/vfio/vfio", root);
        chmod(path, 0600);
        test_write_file(root, "run/vfiohook/broken.journal", "vfiohook-journal version=1\n");
        snprintf(path, sizeof(path), "%s" VFH_QEMU_WORKER_PATH, root);
        unlink(path);

        run_doctor(root, &r);
        CHECK_ITEM(&r, "journals", "broken.journal", "fail", "broken");
        CHECK_ITEM(&r, "kernel_cmdline", NULL, "fail", "turns the IOMMU off: intel_iommu=off");
        CHECK_ITEM(&r, "interrupt_remapping", NULL, "fail", "vfio_iommu_type1 refuses");
        it = find(&r, "interrupt_remapping", NULL);
        CHECK(it && strstr(it->fix, "allow_unsafe_interrupts=1"));
        CHECK_ITEM(&r, "vfio_modules", "vfio", "info", "installed but not loaded");
        CHECK_ITEM(&r, "vfio_modules", "vfio_pci", "ok", "loaded");
        CHECK_ITEM(&r, "libvirt_version", NULL, "fail", "6.0 runs only /etc/libvirt/hooks/qemu");
        CHECK_ITEM(&r, "hooks", "/etc/libvirt/hooks/qemu.d/vfiohook", "warn",
                   "started before any qemu hook existed");
        it = find(&r, "hooks", "/etc/libvirt/hooks/qemu.d/vfiohook");
        CHECK(it && strstr(it->fix, "systemctl restart libvirtd"));
        CHECK_ITEM(&r, "hooks", "/etc/libvirt/hooks/network.d/vfiohook", "fail", "not executable");
        CHECK_ITEM(&r, "hooks", VFH_QEMU_WORKER_PATH, "fail",
                   "the qemu hook's worker cannot run (No such file or directory)");
        it = find(&r, "hooks", VFH_QEMU_WORKER_PATH);
        CHECK(it && strstr(it->fix, "reinstall vfiohook"));
        CHECK_ITEM(&r, "qemu_conf", NULL, "info", "set without /dev/vfio/vfio");
        CHECK_ITEM(&r, "dev_vfio", NULL, "warn", "mode 0600");
        CHECK_INT(r.verdict, DOCTOR_FAIL);
        for (size_t i = 0; i < r.n_items; i++)
                if (r.items[i].status >= DOCTOR_WARN && !r.items[i].fix[0])
                        fprintf(stderr, "  no fix for %s %s\n", r.items[i].check,
                                r.items[i].subject),
                            test_failures++;
        doctor_report_clear(&r);
}

TEST(host_without_iommu)
{
        const char *root = test_tmpdir();
        struct doctor_report r = {0};
        const struct doctor_item *it;
        char path[PATH_MAX];

        test_write_file(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz quiet\n");
        test_write_file(root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\n");
        test_write_file(root, "dev/kmsg", "6,1,0,-;Linux version 6.1.0\n");
        run_doctor(root, &r);
        CHECK_ITEM(&r, "iommu", NULL, "fail", "no IOMMU groups");
        it = find(&r, "iommu", NULL);
        CHECK(it && strstr(it->fix, "intel_iommu=on"));
        CHECK_ITEM(&r, "kernel_cmdline", NULL, "fail", "intel_iommu=on is missing");
        CHECK_ITEM(&r, "kernel_log", NULL, "warn", "the IOMMU driver did not start");
        CHECK_ITEM(&r, "vfio_modules", "vfio", "fail", "neither loaded nor installed");
        CHECK_ITEM(&r, "dev_vfio", NULL, "fail", "missing");
        CHECK_ITEM(&r, "libvirt_version", NULL, "warn", "no libvirt daemon found");
        CHECK_ITEM(&r, "hooks", "/etc/libvirt/hooks/qemu.d/vfiohook", "fail", "not installed");
        snprintf(path, sizeof(path), "%s/run/vfiohook", root);
        CHECK(access(path, F_OK) < 0); /* doctor changes nothing, not even the run dir */
        doctor_report_clear(&r);
}

TEST(version_text)
{
        unsigned int major = 0, minor = 0;

        CHECK_INT(doctor_parse_libvirt_version("virtqemud (libvirt) 11.3.0", &major, &minor), 0);
        CHECK_INT(major, 11);
        CHECK_INT(minor, 3);
        CHECK_INT(doctor_parse_libvirt_version("libvirtd 9.0.0", &major, &minor), -EINVAL);
}

TEST(cli_text_json_and_exit_status)
{
        const char *root = healthy();
        static char out[256 * 1024];

        CHECK_INT(test_vfiohookctl(root, "doctor", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "[ok] iommu: IOMMU on: 6 IOMMU groups");
        CHECK_CONTAINS(out, "[warn] vfio_devices 0000:06:00.0: on vfio-pci, but no vfiohook");
        CHECK_CONTAINS(out, "\n       fix: vfiohookctl recover --domain 'gone'\n");
        CHECK_CONTAINS(out, "\nverdict: warn (0 failed, 2 warnings, ");
        CHECK_INT(test_vfiohookctl(root, "doctor --json", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "\"version\": 1,\n  \"kind\": \"doctor\",\n  \"verdict\": \"warn\"");
        CHECK_CONTAINS(out, "\"check\": \"iommu\",\n      \"subject\": null,\n"
                            "      \"status\": \"ok\"");
        CHECK_CONTAINS(out, "\"fix\": null");
        CHECK_INT(test_vfiohookctl(root, "doctor extra", out, sizeof(out)), 2);
        test_write_file(root, "proc/cmdline", "intel_iommu=off\n");
        CHECK_INT(test_vfiohookctl(root, "doctor", out, sizeof(out)), 1);
        CHECK_CONTAINS(out, "[fail] kernel_cmdline /proc/cmdline: ");
}

TEST(status_shows_owners_and_unaccounted_devices)
{
        const char *root = healthy();
        static char out[256 * 1024];

        CHECK_INT(test_vfiohookctl(root, "status", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "domain gone (" UUID_GONE "): NOT RUNNING, run `vfiohookctl "
                            "recover`, 1 record\n"
                            "  group 20: 0000:01:10.0 igbvf -> vfio-pci\n");
        CHECK_CONTAINS(out, "accounts for it:\n  0000:06:00.0 (vfio-pci)\n");
        CHECK_INT(test_vfiohookctl(root, "status --json", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "\"kind\": \"status\"");
        CHECK_CONTAINS(out, "\"name\": \"gone\",\n      \"running\": false,");
        CHECK_CONTAINS(out, "\"type\": \"bind\",\n          \"state\": \"done\",\n"
                            "          \"fields\": {\n            \"device\": \"0000:01:10.0\"");
        CHECK_CONTAINS(out, "\"address\": \"0000:06:00.0\",\n      \"driver\": \"vfio-pci\",\n"
                            "      \"held_by\": null");
        CHECK_CONTAINS(out, "\"held_by\": \"libvirt domain 'guest1'\"");
}

/* The replay itself is proven on a real kernel (tests/vm/t-cli-recover.sh); here: what is
 * chosen, and that --dry-run and refusals change nothing. */
TEST(recover_chooses_only_stopped_owners)
{
        const char *root = healthy();
        static char out[256 * 1024];
        char path[PATH_MAX];
        char *log;

        CHECK_INT(test_vfiohookctl(root, "recover --dry-run", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "domain gone (" UUID_GONE "): would undo 1 record, newest first:\n"
                            "  record 1 bind done device=0000:01:10.0 group=20 driver=igbvf ");
        CHECK_INT(test_vfiohookctl(root, "recover --domain guest1", out, sizeof(out)), 1);
        CHECK_INT(test_vfiohookctl(root, "recover --domain", out, sizeof(out)), 2);
        test_write_file(root, "run/libvirt/qemu/gone.pid", "4242\n");
        test_write_file(root, "proc/4242/comm", "qemu-system-x86\n");
        CHECK_INT(test_vfiohookctl(root, "recover --domain gone", out, sizeof(out)), 1);
        CHECK_INT(test_vfiohookctl(root, "recover", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "nothing to recover in /run/vfiohook");
        log = kmodel_log(root);
        CHECK_STR(log, "");
        free(log);
        snprintf(path, sizeof(path), "%s/run/vfiohook/" UUID_GONE ".journal", root);
        CHECK(access(path, F_OK) == 0);
}

/* Setting the count is proven against the kernel (tests/vm/t-cli-recover.sh) and the library
 * against a model (test_sriov); here: the CLI's reading, JSON and argument checks. */
TEST(sriov_cli_shows_and_checks_arguments)
{
        const char *root = healthy();
        static char out[65536];

        CHECK_INT(test_vfiohookctl(root, "sriov eth1", out, sizeof(out)), 0);
        CHECK_STR(out, "eth1 (0000:01:00.0): 1 of 7 VFs\n");
        CHECK_INT(test_vfiohookctl(root, "sriov 01:00.0 --json", out, sizeof(out)), 0);
        CHECK_CONTAINS(out, "\"kind\": \"sriov\",\n  \"pf\": \"01:00.0\",\n  \"address\": "
                            "\"0000:01:00.0\",\n  \"numvfs\": 1,\n  \"totalvfs\": 7\n}");
        CHECK_INT(test_vfiohookctl(root, "sriov eth1 -3", out, sizeof(out)), 2);
        CHECK_INT(test_vfiohookctl(root, "sriov eth1 3 4", out, sizeof(out)), 2);
        CHECK_INT(test_vfiohookctl(root, "sriov", out, sizeof(out)), 2);
        CHECK_INT(test_vfiohookctl(root, "sriov nosuch0", out, sizeof(out)), 1);
        CHECK_INT(test_vfiohookctl(root, "sriov 0000:03:00.0", out, sizeof(out)), 1);
}

/* The group checks look for claims in the journals; that must not create the run dir. */
TEST(doctor_creates_no_run_dir)
{
        const char *root = test_tmpdir();
        struct doctor_report r = {0};
        char path[PATH_MAX];

        add_devices(root);
        run_doctor(root, &r);
        CHECK_ITEM(&r, "groups", "group 13", "ok", "can be passed through");
        snprintf(path, sizeof(path), "%s/run/vfiohook", root);
        CHECK(access(path, F_OK) < 0);
        doctor_report_clear(&r);
}
