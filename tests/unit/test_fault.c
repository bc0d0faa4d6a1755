/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection (lib/fault.c) and what it is for: a detach and reattach of a two-endpoint
 * group against the kernel model, failed or SIGKILLed at every sysfs write in turn, each time
 * followed by what recover does (the journal's bind records undone, newest first). After every
 * point the host must be exactly as before: every driver, every driver_override, /dev/vfio.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include <linux/rtnetlink.h>
#include <netlink/route/link.h>

#include "fault.h"
#include "group.h"
#include "kmodel.h"
#include "netlink.h"
#include "support.h"
#include "txn.h"
#include "vf.h"

#ifdef VFH_TEST_BUILD

/* A bridge group with two endpoints (group 14) next to a device that must not move. */
static const struct kdev bridge = {
    "0000:04:00.0", "pci0000:00/0000:00:07.0", 0x1b36, 0x000e, 0x060400, 1, 14, NULL};
static const struct kdev br_e1000 = {
    "0000:05:01.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x8086, 0x100e, 0x020000, 0, 14,
    "e1000"};
static const struct kdev br_virtio = {
    "0000:05:02.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x1af4, 0x1000, 0x020000, 0, 14,
    "virtio-pci"};
static const struct kdev e1000e = {
    "0000:03:00.0", "pci0000:00/0000:00:06.0", 0x8086, 0x10d3, 0x020000, 0, 13, "e1000e"};
static const struct kdev *const devices[] = {&bridge, &br_e1000, &br_virtio, &e1000e};

static const char *rig(void)
{
        const char *root = test_tmpdir();

        kmodel_add_driver(root, "e1000e", "8086:10d3");
        kmodel_add_driver(root, "e1000", "8086:100e");
        kmodel_add_driver(root, "virtio-pci", "1af4:1000");
        kmodel_add_vfio(root);
        for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
                kmodel_add_device(root, devices[i]);
        test_mkdir(root, "run");
        kmodel_install();
        return root;
}

/* Everything the kernel would show: drivers, overrides, /dev/vfio nodes. Static buffer. */
static const char *snapshot(const char *root)
{
        static char buf[2048];
        size_t len = 0;

        for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
                char rel[256], override[64] = "";
                FILE *f;

                snprintf(rel, sizeof(rel), "%s/sys/bus/pci/devices/%s/driver_override", root,
                         devices[i]->name);
                f = fopen(rel, "r");
                if (f) {
                        size_t n = fread(override, 1, sizeof(override) - 1, f);

                        override[n] = '\0';
                        fclose(f);
                }
                override[strcspn(override, "\n")] = '\0';
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s driver=%s override=%s\n",
                                        devices[i]->name, kmodel_driver(root, devices[i]->name),
                                        override);
        }
        snprintf(buf + len, sizeof(buf) - len, "vfio13=%d vfio14=%d\n", kmodel_vfio_node(root, 13),
                 kmodel_vfio_node(root, 14));
        return buf;
}

/*
 * Which cycle the child runs: the group engine's detach and reattach with a journal saved at
 * every step, the same detach in a batch (journal_batch: "done" marks wait for the next intent
 * or the commit), or the qemu hook's own prepare and release of a domain (txn.c, batched).
 */
enum cycle {
        CYCLE_GROUP,
        CYCLE_GROUP_BATCH,
        CYCLE_DOMAIN,
};

static enum cycle cycle;

#define DOMAIN_UUID "c7a5fdbd-cdaf-9455-926a-d65c16db1809"

/* prepare + release of a domain with the e1000 of group 14 (managed='no'). */
static int prepare_and_release(vfh_ctx *ctx)
{
        static const char xml[] =
            "<domain type='kvm'><name>alpha</name><uuid>" DOMAIN_UUID "</uuid><devices>"
            "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' "
            "bus='5' slot='1' function='0'/></source></hostdev></devices></domain>";
        struct vfh_domain *dom = NULL;
        int r =
            vfh_domain_parse_flags(ctx, xml, sizeof(xml) - 1, VFH_PARSE_NO_NETWORK_LOOKUP, &dom);

        if (r >= 0)
                r = txn_apply(ctx, dom, NULL, PLAN_PREPARE);
        if (r >= 0)
                r = txn_release_owner(ctx, DOMAIN_UUID);
        vfh_domain_free(dom);
        return r;
}

/* The cycle a domain's prepare and release make for group 14, in one process. */
static int detach_and_reattach(const char *root)
{
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = NULL;
        static struct pci_group grp;
        struct pci_addr a;
        int r;

        if (cycle == CYCLE_DOMAIN) {
                r = prepare_and_release(ctx);
                goto out;
        }
        pci_addr_parse(br_e1000.name, &a);
        r = group_of_device(ctx, &a, &grp);
        if (r >= 0)
                r = journal_new(ctx, JOURNAL_OWNER_CLI, "cli", "", &j);
        if (r >= 0 && cycle == CYCLE_GROUP_BATCH)
                journal_batch(j);
        if (r >= 0)
                r = group_detach(ctx, &grp, j, NULL);
        if (r >= 0)
                r = journal_commit(ctx, j);
        if (r >= 0)
                r = group_reattach(ctx, &grp, j);
out:
        if (r < 0) /* shown with the test's output when a check fails */
                fprintf(stderr, "  cycle (VFH_FAULT=%s) failed: %s\n", getenv("VFH_FAULT") ?: "",
                        vfh_ctx_last_error(ctx));
        journal_free(j);
        vfh_ctx_unref(ctx);
        return r;
}

/* What recover does: every bind record undone, newest first, then the journal removed. */
static void recover(const char *root)
{
        vfh_ctx *ctx = test_ctx_at(root);
        struct journal *j = NULL;
        int r = journal_load(ctx, cycle == CYCLE_DOMAIN ? DOMAIN_UUID : "cli", &j);

        if (r == -ENOENT) {
                vfh_ctx_unref(ctx);
                return;
        }
        if (cycle == CYCLE_DOMAIN) {
                /* recover_owner's replay of a stale domain journal */
                CHECK_INT(r, 0);
                CHECK_INT(txn_release(ctx, j), 0);
                CHECK(!txn_has_journal(ctx, DOMAIN_UUID));
                journal_free(j);
                vfh_ctx_unref(ctx);
                return;
        }
        CHECK_INT(r, 0);
        for (size_t i = j ? j->n_records : 0; i-- > 0;)
                CHECK_INT(bind_record_restore(ctx, &j->records[i]), 0);
        CHECK_INT(journal_remove(ctx, "cli"), 0);
        journal_free(j);
        vfh_ctx_unref(ctx);
}

/* Runs the cycle in a child with VFH_FAULT=spec and the report file; returns its wait status. */
static int run_child(const char *root, const char *spec, const char *report)
{
        int status;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                if (spec)
                        setenv("VFH_FAULT", spec, 1);
                setenv("VFH_FAULT_REPORT", report, 1);
                fault_reset();
                int r = detach_and_reattach(root);

                /* _exit: exit() would run the harness's handlers, which remove the rig. */
                fault_report_counts();
                _exit(r < 0 ? 1 : 0);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        abort();
        return status;
}

static char *slurp(const char *path)
{
        static char buf[8192];
        FILE *f = fopen(path, "r");
        size_t n = 0;

        if (f) {
                n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
        }
        buf[n] = '\0';
        return buf;
}

/* The counts line of a clean run: how many sysfs writes the cycle makes. */
static unsigned long counted_writes(const char *report)
{
        const char *line = strstr(slurp(report), "counts sysfs-write=");
        unsigned long n = 0;

        CHECK(line != NULL);
        if (line)
                n = strtoul(line + strlen("counts sysfs-write="), NULL, 10);
        return n;
}

TEST(count_matches_the_kernel_models_write_log)
{
        const char *root = rig();
        char report[512], *log;
        size_t lines = 0;

        snprintf(report, sizeof(report), "%s/report", root);
        CHECK_INT(run_child(root, NULL, report), 0);
        log = kmodel_log(root);
        for (const char *p = log; p && *p; p++)
                lines += *p == '\n';
        free(log);
        /* override, unbind and probe per endpoint, twice: detach and reattach. */
        CHECK_INT(counted_writes(report), 12);
        CHECK_INT(lines, 12);
        CHECK_CONTAINS(slurp(report), "netlink=0 any=12");
}

/* One action at every point: the child fails or dies there, recover runs, the host is back. */
static void every_point(const char *action, int want_signal)
{
        const char *root = rig();
        char report[512], before[2048];
        unsigned long total, tried = 0, restored = 0;

        snprintf(report, sizeof(report), "%s/report", root);
        snprintf(before, sizeof(before), "%s", snapshot(root));
        CHECK_INT(run_child(root, NULL, report), 0);
        total = counted_writes(report);
        CHECK(total > 0);
        for (unsigned long n = 1; n <= total + 1; n++) {
                char spec[64], fired[128];
                int status;

                unlink(report);
                snprintf(spec, sizeof(spec), "sysfs-write:%lu:%s", n, action);
                status = run_child(root, spec, report);
                snprintf(fired, sizeof(fired), "fire sysfs-write %lu %s /sys/", n, action);
                if (n > total) {
                        /* One past the count: nothing fires and the cycle completes. */
                        CHECK_INT(status, 0);
                        CHECK(!strstr(slurp(report), "fire "));
                } else if (want_signal) {
                        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == want_signal);
                        CHECK_CONTAINS(slurp(report), fired);
                } else {
                        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
                        CHECK_CONTAINS(slurp(report), fired);
                }
                tried += n <= total;
                recover(root);
                if (strcmp(snapshot(root), before) == 0)
                        restored += n <= total;
                else
                        fprintf(stderr, "  %s at write %lu: host differs after recover:\n%s",
                                action, n, snapshot(root));
        }
        fprintf(stderr, "  %s: %lu of %lu points tried, %lu restored\n", action, tried, total,
                restored);
        CHECK_INT(tried, total);
        CHECK_INT(restored, total);
}

TEST(every_write_failed_then_recovered)
{
        every_point("fail", 0);
}

TEST(every_write_killed_before_then_recovered)
{
        every_point("kill", SIGKILL);
}

TEST(every_write_killed_after_then_recovered)
{
        every_point("kill-after", SIGKILL);
}

/* The batch writes a step's "done" with the next intent, and a release's drops once at the
 * end: a crash anywhere must still leave every change recoverable. */
static void every_point_of(enum cycle which)
{
        cycle = which;
        every_point("fail", 0);
        every_point("kill", SIGKILL);
        every_point("kill-after", SIGKILL);
        cycle = CYCLE_GROUP;
}

TEST(every_write_of_a_batched_detach_failed_or_killed_then_recovered)
{
        every_point_of(CYCLE_GROUP_BATCH);
}

TEST(every_write_of_a_domain_prepare_and_release_failed_or_killed_then_recovered)
{
        every_point_of(CYCLE_DOMAIN);
}

TEST(chosen_errno_reaches_the_caller)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = test_ctx_at(root);

        test_write_file(root, "sys/x", "0\n");
        setenv("VFH_FAULT", "sysfs-write:2:fail=EBUSY", 1);
        fault_reset();
        CHECK_INT(sysfs_write(ctx, "1", "/sys/x"), 0);
        CHECK_INT(sysfs_write(ctx, "2", "/sys/x"), -EBUSY);
        CHECK_INT(sysfs_write(ctx, "3", "/sys/x"), 0);
        CHECK_INT(fault_count(FAULT_SYSFS_WRITE), 3);
        unsetenv("VFH_FAULT");
        fault_reset();
        vfh_ctx_unref(ctx);
}

/* A typo in VFH_FAULT must not turn a crash test into one that injects nothing. */
TEST(unparsable_spec_fails_every_operation)
{
        static const char *const bad[] = {"sysfs-write:0:fail",       "sysfs:1:fail",
                                          "sysfs-write:1:explode",    "netlink:x:fail",
                                          "sysfs-write:1:fail=EWHAT", "any:3"};
        const char *root = test_tmpdir();
        vfh_ctx *ctx = test_ctx_at(root);

        test_write_file(root, "sys/x", "0\n");
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                setenv("VFH_FAULT", bad[i], 1);
                fault_reset();
                CHECK_INT(sysfs_write(ctx, "1", "/sys/x"), -EINVAL);
        }
        unsetenv("VFH_FAULT");
        fault_reset();
        CHECK_INT(sysfs_write(ctx, "1", "/sys/x"), 0);
        vfh_ctx_unref(ctx);
}

/* A transport that counts requests and answers none: the fault must stop them first. */
static unsigned int sent;

static int counting_send(void *data, const void *buf, size_t len)
{
        (void)data, (void)buf, (void)len;
        sent++;
        return 0;
}

static ssize_t silent_recv(void *data, void *buf, size_t size, int flags)
{
        (void)data, (void)buf, (void)size, (void)flags;
        return -ETIMEDOUT;
}

/* "any" numbers both seams in program order: here the second operation is the netlink one. */
TEST(any_counts_both_seams_and_netlink_faults_stop_the_request)
{
        static const struct nl_transport transport = {counting_send, silent_recv, NULL};
        const char *root = test_tmpdir();
        vfh_ctx *ctx = test_ctx_at(root);
        struct vf_pf_state st = {0};

        test_write_file(root, "sys/x", "0\n");
        nl_seam_set_transport(&transport);
        setenv("VFH_FAULT", "any:2:fail=ENODEV", 1);
        fault_reset();
        sent = 0;
        CHECK_INT(sysfs_write(ctx, "1", "/sys/x"), 0);
        CHECK_INT(vf_pf_read(ctx, "eth0", &st), -ENODEV);
        CHECK_INT(sent, 0);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), "fault injected");
        CHECK_INT(vf_pf_read(ctx, "eth0", &st), -ETIMEDOUT); /* the next one is sent */
        CHECK_INT(sent, 1);
        CHECK_INT(fault_count(FAULT_SYSFS_WRITE), 1);
        CHECK_INT(fault_count(FAULT_NETLINK), 2);
        CHECK_INT(fault_count_any(), 3);
        nl_seam_set_transport(NULL);
        unsetenv("VFH_FAULT");
        fault_reset();
        vfh_ctx_unref(ctx);
}

#else /* !VFH_TEST_BUILD */

/* Production builds have no fault injection: VFH_FAULT in a hook's environment changes
 * nothing. */
TEST(production_builds_ignore_vfh_fault)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = NULL;

        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, root) < 0)
                abort();
        test_write_file(root, "sys/x", "0\n");
        setenv("VFH_FAULT", "sysfs-write:1:kill", 1);
        CHECK_INT(sysfs_write(ctx, "1", "/sys/x"), 0);
        CHECK_INT(fault_before(FAULT_SYSFS_WRITE, "/sys/x"), 0);
        unsetenv("VFH_FAULT");
        vfh_ctx_unref(ctx);
}

#endif
