/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOMMU groups: members, the checks that must pass before anything is touched, and moving
 * every endpoint of a group to a VFIO driver and back.
 *
 * Binding is always per device and never uses new_id (which would grab every device with the
 * same IDs): driver_override, unbind, drivers_probe, then the driver link is read back. Each
 * step is journaled before it happens, so a crash leaves a record of what may have changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "group.h"
#include "hostcrit.h"

#define DEV           "/sys/bus/pci/devices/%s"
#define DEFAULT_VFIO  "vfio-pci"
#define DRIVER_CHARS  "abcdefghijklmnopqrstuvwxyz0123456789_-"
#define DRIVERCTL_DIR "/etc/driverctl.d"

/* ---- members ---- */

static int compare_devs(const void *a, const void *b)
{
        return pci_addr_compare(&((const struct pci_dev *)a)->addr,
                                &((const struct pci_dev *)b)->addr);
}

struct member_scan {
        vfh_ctx *ctx;
        unsigned int parts;
        struct pci_group *grp;
        const struct pci_dev *known; /* a member just read whole: copied, not read again */
        bool fill_number;            /* members' iommu_group left unread: it is the group's */
        int failed;                  /* a member's error, with its message */
};

static int load_member(const char *name, unsigned char type, void *data)
{
        struct member_scan *m = data;
        struct pci_group *grp = m->grp;
        struct pci_addr addr;
        int r;

        (void)type;
        if (pci_addr_parse(name, &addr) < 0)
                return 0;
        if (grp->n_members >= GROUP_MAX_MEMBERS)
                return m->failed = vfh_errorf(m->ctx, E2BIG,
                                              "IOMMU group %d: more than %d devices; vfiohook "
                                              "does not handle groups this large",
                                              grp->number, GROUP_MAX_MEMBERS);
        if (m->known && pci_addr_equal(&m->known->addr, &addr)) {
                grp->members[grp->n_members++] = *m->known;
                return 0;
        }
        r = pci_dev_load_parts(m->ctx, &addr,
                               m->parts | (m->fill_number ? PCI_LOAD_SKIP_GROUP_NUMBER : 0),
                               &grp->members[grp->n_members]);
        if (r < 0)
                return m->failed = r;
        /* Listed in iommu_groups/N/devices: its iommu_group link names N. */
        if (m->fill_number && grp->members[grp->n_members].iommu_group == PCI_GROUP_NOT_READ)
                grp->members[grp->n_members].iommu_group = grp->number;
        grp->n_members++;
        return 0;
}

/* known: a member the caller read whole (PCI_LOAD_ALL) moments ago, or NULL. Without it, every
 * member is read whole, but for its iommu_group link: being listed in iommu_groups/N/devices
 * is the kernel's word that the link names N. */
static int load_members(vfh_ctx *ctx, int number, unsigned int parts, const struct pci_dev *known,
                        struct pci_group *ret)
{
        _cleanup_sysfs_dir_ struct sysfs_dir dir = {.fd = -1};
        struct member_scan scan = {.ctx = ctx,
                                   .parts = parts,
                                   .grp = ret,
                                   .known = known,
                                   .fill_number = parts == PCI_LOAD_ALL};
        int r = sysfs_dir_open(ctx, &dir, "/sys/kernel/iommu_groups/%d/devices", number);

        ret->number = number;
        ret->n_members = 0;
        if (r >= 0)
                r = sysfs_dir_each(ctx, &dir, load_member, &scan);
        if (scan.failed)
                return scan.failed;
        if (r < 0)
                return vfh_errorf(ctx, r, "IOMMU group %d: cannot list its devices: %s", number,
                                  strerror(-r));
        qsort(ret->members, ret->n_members, sizeof(ret->members[0]), compare_devs);
        return 0;
}

int group_load_parts(vfh_ctx *ctx, int number, unsigned int parts, struct pci_group *ret)
{
        return load_members(ctx, number, parts, NULL, ret);
}

int group_load(vfh_ctx *ctx, int number, struct pci_group *ret)
{
        return load_members(ctx, number, PCI_LOAD_ALL, NULL, ret);
}

int group_load_with(vfh_ctx *ctx, int number, const struct pci_dev *known, struct pci_group *ret)
{
        return load_members(ctx, number, PCI_LOAD_ALL, known, ret);
}

int group_of_device(vfh_ctx *ctx, const struct pci_addr *addr, struct pci_group *ret)
{
        struct pci_dev dev;
        int r = pci_dev_load(ctx, addr, &dev);

        if (r < 0)
                return r;
        if (dev.iommu_group < 0)
                return vfh_errorf(ctx, ENODEV,
                                  "%s: has no IOMMU group, so it cannot be given to a guest; "
                                  "enable the IOMMU (intel_iommu=on or amd_iommu=on) and VT-d "
                                  "in the firmware",
                                  dev.name);
        return group_load_with(ctx, dev.iommu_group, &dev, ret);
}

static int compare_ints(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

int group_list_numbers(vfh_ctx *ctx, int **ret, size_t *n)
{
        _cleanup_closedir_ DIR *dir = NULL;
        _cleanup_free_ int *v = NULL;
        size_t count = 0;
        struct dirent *de;
        int r = sysfs_opendir(ctx, &dir, "/sys/kernel/iommu_groups");

        if (r == -ENOENT) {
                *ret = NULL;
                *n = 0;
                return 0;
        }
        if (r < 0)
                return vfh_errorf(ctx, r, "/sys/kernel/iommu_groups: cannot list it: %s",
                                  strerror(-r));
        while ((de = readdir(dir))) {
                char *end;
                long number = strtol(de->d_name, &end, 10);
                int *grown;

                if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || number > INT_MAX)
                        continue;
                grown = realloc(v, (count + 1) * sizeof(*v));
                if (!grown)
                        return -ENOMEM;
                v = grown;
                v[count++] = (int)number;
        }
        if (count)
                qsort(v, count, sizeof(*v), compare_ints);
        *ret = TAKE_PTR(v);
        *n = count;
        return 0;
}

/* ---- VFIO drivers ---- */

/* Variant drivers are named after vfio-pci by convention (mlx5_vfio_pci, hisi_acc_vfio_pci,
 * virtio_vfio_pci, …); the loaded module must also be built on vfio_pci_core. */
static bool has_variant_name(const char *driver)
{
        size_t len = strlen(driver);

        return len > 9 && (strcmp(driver + len - 9, "-vfio-pci") == 0 ||
                           strcmp(driver + len - 9, "_vfio_pci") == 0);
}

static bool is_vfio_name(const char *driver)
{
        return strcmp(driver, DEFAULT_VFIO) == 0 || has_variant_name(driver);
}

static void module_name(const char *driver, char *buf, size_t size)
{
        snprintf(buf, size, "%s", driver);
        for (char *p = buf; *p; p++)
                if (*p == '-')
                        *p = '_';
}

static bool driver_present(vfh_ctx *ctx, const char *driver)
{
        char module[PCI_NAME_MAX];

        module_name(driver, module, sizeof(module));
        return sysfs_exists(ctx, "/sys/bus/pci/drivers/%s", driver) ||
               sysfs_exists(ctx, "/sys/module/%s", module);
}

/* A loaded variant driver must hold vfio_pci_core (kernels without vfio_pci_core, before 5.15,
 * have no variants: only vfio-pci passes there). */
static int check_variant_core(vfh_ctx *ctx, const char *driver)
{
        char module[PCI_NAME_MAX];

        if (strcmp(driver, DEFAULT_VFIO) == 0)
                return 0;
        module_name(driver, module, sizeof(module));
        if (sysfs_exists(ctx, "/sys/module/vfio_pci_core/holders/%s", module))
                return 0;
        return vfh_errorf(ctx, EINVAL,
                          "driver model '%s': the module is not built on vfio_pci_core, so it "
                          "is not a VFIO variant driver; name vfio-pci or a VFIO variant in "
                          "<driver model=…/>",
                          driver);
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs modprobe DRIVER with the context's deadline; its output goes nowhere (the library
 * never prints), so failures are reported by exit status. */
static int run_modprobe(vfh_ctx *ctx, const char *driver)
{
        long long deadline = now_ms() + ctx->timeout_ms;
        struct timespec pause = {.tv_nsec = 10 * 1000000};
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        dup2(null, STDOUT_FILENO);
                        dup2(null, STDERR_FILENO);
                }
                execlp("modprobe", "modprobe", "--", driver, (char *)NULL);
                _exit(127);
        }
        for (;;) {
                pid_t done = waitpid(pid, &status, WNOHANG);

                if (done == pid)
                        break;
                if (done < 0 && errno != EINTR)
                        return negative_errno();
                if (now_ms() >= deadline) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        return vfh_errorf(ctx, ETIMEDOUT,
                                          "modprobe %s: no answer after %u ms; check dmesg", driver,
                                          ctx->timeout_ms);
                }
                nanosleep(&pause, NULL);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return vfh_errorf(ctx, ENOENT,
                                  "modprobe %s: failed (exit status %d); is the module "
                                  "installed for this kernel? (modinfo %s)",
                                  driver, WIFEXITED(status) ? WEXITSTATUS(status) : -1, driver);
        return 0;
}

static int check_driver_name(vfh_ctx *ctx, const char *driver)
{
        if (!*driver || strlen(driver) >= PCI_NAME_MAX ||
            strspn(driver, DRIVER_CHARS) != strlen(driver) || !is_vfio_name(driver))
                return vfh_errorf(ctx, EINVAL,
                                  "driver model '%s': not a VFIO driver; use vfio-pci or a VFIO "
                                  "variant driver (a module named *_vfio_pci built on "
                                  "vfio_pci_core) in <driver model=…/>",
                                  driver);
        return 0;
}

int group_prepare_driver(vfh_ctx *ctx, const char *driver)
{
        int r = check_driver_name(ctx, driver);

        if (r < 0)
                return r;
        if (!driver_present(ctx, driver)) {
                if (strcmp(ctx->sysroot, "/") != 0)
                        return vfh_errorf(ctx, ENOENT,
                                          "driver %s: not loaded under sysroot %s, and modprobe "
                                          "only runs on the real host; load it there first",
                                          driver, ctx->sysroot);
                r = run_modprobe(ctx, driver);
                if (r < 0)
                        return r;
        }
        if (!sysfs_exists(ctx, "/sys/bus/pci/drivers/%s", driver))
                return vfh_errorf(ctx, ENOENT,
                                  "driver %s: its module is loaded but it is not a PCI driver "
                                  "(no /sys/bus/pci/drivers/%s)",
                                  driver, driver);
        return check_variant_core(ctx, driver);
}

/* ---- checks ---- */

static const char *opts_driver(const struct group_opts *opts)
{
        return opts && opts->driver ? opts->driver : DEFAULT_VFIO;
}

_printf_(2, 3) static void verdict_blocks(struct member_verdict *v, const char *fmt, ...)
{
        va_list ap;

        v->blocks = true;
        va_start(ap, fmt);
        vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
        va_end(ap);
}

static int check_claim(vfh_ctx *ctx, const struct pci_dev *dev, struct journal_claims *claims,
                       struct member_verdict *v)
{
        const struct journal *owner = NULL;
        char who[JOURNAL_NAME_MAX * 2 + 256];
        int r = journal_claims_find(ctx, claims, "device", dev->name, &owner);

        if (r > 0 && owner->kind == JOURNAL_OWNER_CLI)
                verdict_blocks(v,
                               "was detached by hand (journal %s); run `vfiohookctl reattach "
                               "%s` first",
                               owner->id, dev->name);
        else if (r > 0)
                verdict_blocks(v, "is in use by %s; stop it first",
                               journal_claim_describe(ctx, owner, who, sizeof(who)));
        return r < 0 ? r : 0;
}

static int check_member(vfh_ctx *ctx, const struct pci_dev *dev, const struct group_opts *opts,
                        struct journal_claims *claims, struct member_verdict *v)
{
        const struct vfh_config *cfg = opts ? opts->config : NULL;
        char why[GROUP_REASON_MAX - 128];
        int r;

        *v = (struct member_verdict){0};
        if (pci_dev_is_bridge(dev)) {
                v->bridge = true;
                return 0;
        }
        r = hostcrit_check(ctx, dev, why, sizeof(why));
        if (r < 0)
                return r;
        if (r > 0 && config_forces_host_critical(cfg, &dev->addr))
                vfh_logf(ctx, LOG_WARNING,
                         "%s: host-critical (%s), but force_host_critical in the host "
                         "configuration overrides it: the host may lose it",
                         dev->name, why);
        else if (r > 0) {
                v->host_critical = true;
                verdict_blocks(v, "is host-critical (%s); free it on the host first", why);
                return 0;
        }
        if (config_policy_check(cfg, &dev->addr, dev->vendor, dev->device, why, sizeof(why)) < 0) {
                verdict_blocks(v, "is %s", why);
                return 0;
        }
        if (dev->has_sriov && dev->sriov_numvfs > 0) {
                verdict_blocks(v,
                               "is an SR-IOV PF with %u VFs enabled, and unbinding it destroys "
                               "them; set its sriov_numvfs to 0 first",
                               dev->sriov_numvfs);
                return 0;
        }
        if (sysfs_exists(ctx, DRIVERCTL_DIR "/pci-%s", dev->name)) {
                verdict_blocks(v,
                               "has a persistent driverctl override (" DRIVERCTL_DIR "/pci-%s); "
                               "remove it with `driverctl unset-override %s` first",
                               dev->name, dev->name);
                return 0;
        }
        return check_claim(ctx, dev, claims, v);
}

int group_check(vfh_ctx *ctx, const struct pci_group *grp, const struct group_opts *opts,
                struct member_verdict *verdicts)
{
        _cleanup_pci_lib_ struct pci_lib *lib = NULL;
        _cleanup_journal_claims_ struct journal_claims *own_claims = NULL;
        struct journal_claims *claims = opts ? opts->claims : NULL;
        struct member_verdict local[GROUP_MAX_MEMBERS];
        struct member_verdict *v = verdicts ? verdicts : local;
        const struct pci_dev *first = NULL;
        const struct member_verdict *first_v = NULL;
        char desc[256];
        int r;

        r = check_driver_name(ctx, opts_driver(opts));
        if (r < 0)
                return r;
        if (!claims) {
                r = journal_claims_new(opts ? opts->owner_id : NULL, &own_claims);
                if (r < 0)
                        return r;
                claims = own_claims;
        }
        for (size_t i = 0; i < grp->n_members; i++) {
                r = check_member(ctx, &grp->members[i], opts, claims, &v[i]);
                if (r < 0)
                        return r;
                if (v[i].blocks && !first) {
                        first = &grp->members[i];
                        first_v = &v[i];
                }
        }
        if (!first)
                return 0;
        pci_lib_open(ctx, &lib);
        return vfh_errorf(ctx, EPERM, "%s: detach: group %d is not viable: %s (%s) %s",
                          opts && opts->device ? opts->device : first->name, grp->number,
                          first->name, pci_dev_describe(lib, first, desc, sizeof(desc)),
                          first_v->reason);
}

bool group_is_viable(vfh_ctx *ctx, const struct pci_group *grp, char *reason, size_t size)
{
        for (size_t i = 0; i < grp->n_members; i++) {
                const struct pci_dev *dev = &grp->members[i];
                char driver[PCI_NAME_MAX];

                if (pci_dev_is_bridge(dev))
                        continue;
                if (pci_dev_current_driver(ctx, dev->name, driver, sizeof(driver)) < 0)
                        driver[0] = '\0';
                if (driver[0] && !is_vfio_name(driver)) {
                        snprintf(reason, size, "%s (driver %s) must also be detached", dev->name,
                                 driver);
                        return false;
                }
        }
        if (size)
                reason[0] = '\0';
        return true;
}

/* ---- binding ---- */

static int write_step(vfh_ctx *ctx, const char *dev, const char *step, const char *driver,
                      const char *value, const char *path)
{
        int r = sysfs_write_deadline(ctx, ctx->timeout_ms, value, "%s", path);
        unsigned int ms = ctx->timeout_ms;

        if (r == -ETIMEDOUT)
                return vfh_errorf(ctx, r,
                                  "%s: %s%s%s: no answer after %u.%u s (the driver is stuck); "
                                  "check dmesg, the device may need a host reboot",
                                  dev, step, driver ? " " : "", driver ? driver : "", ms / 1000,
                                  (ms % 1000) / 100);
        if (r < 0)
                return vfh_errorf(ctx, r, "%s: %s%s%s: %s; check dmesg", dev, step,
                                  driver ? " " : "", driver ? driver : "", strerror(-r));
        return 0;
}

/* An unbind only takes away: the disks below the device go with its driver, and nothing
 * appears anywhere, so the device model's cached links stay (lib/pci.h). */
static int unbind(vfh_ctx *ctx, const char *dev, const char *driver)
{
        unsigned long before = ctx->counters.device_writes;
        char path[PATH_MAX];
        int r;

        snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", driver);
        r = write_step(ctx, dev, "unbind from", driver, dev, path);
        if (r >= 0)
                pci_links_keep_after(ctx, dev, before);
        return r;
}

static int probe(vfh_ctx *ctx, const char *dev)
{
        return write_step(ctx, dev, "drivers_probe", NULL, dev, "/sys/bus/pci/drivers_probe");
}

/* With a VFIO driver as the override, the probe can bind nothing else: no disk or VF appears.
 * (A probe back to a host driver can create both: its callers let the links be read again.) */
static int probe_vfio(vfh_ctx *ctx, const char *dev)
{
        unsigned long before = ctx->counters.device_writes;
        int r = probe(ctx, dev);

        if (r >= 0)
                pci_links_keep_after(ctx, dev, before);
        return r;
}

static int set_override(vfh_ctx *ctx, const char *dev, const char *driver)
{
        /* An empty write may never reach the kernel's store; a lone newline clears. */
        int r = sysfs_write(ctx, *driver ? driver : "\n", DEV "/driver_override", dev);

        if (r < 0)
                return vfh_errorf(ctx, r, "%s: writing driver_override '%s': %s", dev, driver,
                                  strerror(-r));
        return 0;
}

static int expect_driver(vfh_ctx *ctx, const char *dev, const char *want, const char *step)
{
        char now[PCI_NAME_MAX];
        int r = pci_dev_current_driver(ctx, dev, now, sizeof(now));

        if (r < 0)
                return vfh_errorf(ctx, r, "%s: %s: cannot read the driver link: %s", dev, step,
                                  strerror(-r));
        if (strcmp(now, want) != 0)
                return vfh_errorf(ctx, EIO,
                                  "%s: %s: expected driver %s, but the driver link shows %s; "
                                  "check dmesg",
                                  dev, step, want, now[0] ? now : "no driver");
        return 0;
}

static int record_bind(struct journal_record *rec, const struct pci_dev *dev, int group,
                       const char *driver)
{
        char number[16];
        int r;

        snprintf(number, sizeof(number), "%d", group);
        r = journal_record_set(rec, "device", dev->name);
        if (r >= 0)
                r = journal_record_set(rec, "group", number);
        if (r >= 0)
                r = journal_record_set(rec, "driver", dev->driver);
        if (r >= 0)
                r = journal_record_set(rec, "override", dev->driver_override);
        if (r >= 0)
                r = journal_record_set(rec, "new_driver", driver);
        return r;
}

static int bind_device(vfh_ctx *ctx, struct journal *j, const struct pci_dev *dev, int group,
                       const char *driver)
{
        struct journal_record *rec = journal_append(j, "bind");
        int r;

        if (!rec || record_bind(rec, dev, group, driver) < 0)
                return -ENOMEM;
        r = journal_intent(ctx, j, rec);
        if (r >= 0)
                r = set_override(ctx, dev->name, driver);
        if (r >= 0 && dev->driver[0])
                r = unbind(ctx, dev->name, dev->driver);
        if (r >= 0)
                r = probe_vfio(ctx, dev->name);
        if (r >= 0)
                r = expect_driver(ctx, dev->name, driver, "bind");
        if (r >= 0)
                r = journal_done(ctx, j, &j->records[j->n_records - 1]);
        return r;
}

int bind_record_restore(vfh_ctx *ctx, const struct journal_record *rec)
{
        const char *dev = journal_record_get(rec, "device");
        const char *driver = journal_record_get(rec, "driver");
        const char *override = journal_record_get(rec, "override");
        char now[PCI_NAME_MAX];
        int r;

        if (!dev || !driver || !override)
                return vfh_errorf(ctx, EBADMSG,
                                  "journal record %u (bind): device, driver or override is "
                                  "missing; restore the device by hand",
                                  rec->seq);
        r = pci_dev_current_driver(ctx, dev, now, sizeof(now));
        if (r < 0)
                return vfh_errorf(ctx, r, "%s: reattach: cannot read the driver link: %s", dev,
                                  strerror(-r));
        if (now[0] && strcmp(now, driver) != 0) {
                r = unbind(ctx, dev, now);
                if (r < 0)
                        return r;
        }
        r = set_override(ctx, dev, override);
        if (r < 0 || strcmp(now, driver) == 0)
                return r;
        if (!driver[0])
                return 0; /* it had no driver before: leave it unbound */
        r = probe(ctx, dev);
        if (r < 0)
                return r;
        r = pci_dev_current_driver(ctx, dev, now, sizeof(now));
        if (r >= 0 && strcmp(now, driver) != 0)
                return vfh_errorf(ctx, EIO,
                                  "%s: reattach: the recorded driver %s did not come back (the "
                                  "driver link shows %s); bind it by hand with `echo %s > "
                                  "/sys/bus/pci/drivers/%s/bind` and check dmesg",
                                  dev, driver, now[0] ? now : "no driver", dev, driver);
        return r;
}

static bool group_has(const struct pci_group *grp, const char *dev)
{
        for (size_t i = 0; i < grp->n_members; i++)
                if (strcmp(grp->members[i].name, dev) == 0)
                        return true;
        return false;
}

/* Undoes bind records with index in [from, to), newest first, dropping those restored. */
static int restore_range(vfh_ctx *ctx, const struct pci_group *grp, struct journal *j, size_t from,
                         size_t to, size_t *restored)
{
        int first_error = 0;

        *restored = 0;
        for (size_t i = to; i-- > from;) {
                const struct journal_record *rec = &j->records[i];
                const char *dev = journal_record_get(rec, "device");
                int r;

                if (strcmp(rec->type, "bind") != 0 || !dev || !group_has(grp, dev))
                        continue;
                r = bind_record_restore(ctx, rec);
                if (r < 0) {
                        first_error = first_error ? first_error : r;
                        continue;
                }
                journal_drop(j, i);
                (*restored)++;
                r = journal_save(ctx, j);
                if (r < 0 && !first_error)
                        first_error = r;
        }
        return first_error;
}

/* Keeps the first failure's message while a rollback runs (which may fail too). */
static int rollback(vfh_ctx *ctx, const struct pci_group *grp, struct journal *j, size_t from,
                    int err)
{
        char message[VFH_ERROR_MAX];
        size_t restored, to = j->n_records;
        int r;

        snprintf(message, sizeof(message), "%s", ctx->last_error);
        /* A write that timed out may still complete when the driver wakes up: its record stays
         * an intent for recover, and rolling back under it would race the kernel. */
        if (err == -ETIMEDOUT && to > from) {
                size_t len = strlen(message);

                snprintf(message + len, sizeof(message) - len,
                         " (journal %s keeps this step for `vfiohookctl recover`)", j->id);
                to--;
        }
        r = restore_range(ctx, grp, j, from, to, &restored);
        if (r < 0)
                vfh_logf(ctx, LOG_ERR, "rollback incomplete: %s; the journal %s keeps the rest",
                         ctx->last_error, j->id);
        return vfh_errorf(ctx, err, "%s", message);
}

static int check_dev_vfio(vfh_ctx *ctx, const struct pci_group *grp)
{
        if (sysfs_exists(ctx, "/dev/vfio/%d", grp->number))
                return 0;
        return vfh_errorf(ctx, ENODEV,
                          "group %d: every endpoint is on its VFIO driver but /dev/vfio/%d is "
                          "missing; is the vfio module loaded and devtmpfs mounted?",
                          grp->number, grp->number);
}

static bool is_left(const struct group_opts *opts, const struct pci_addr *addr)
{
        for (size_t i = 0; opts && i < opts->n_leave; i++)
                if (pci_addr_equal(&opts->leave[i], addr))
                        return true;
        return false;
}

int group_detach(vfh_ctx *ctx, const struct pci_group *grp, struct journal *j,
                 const struct group_opts *opts)
{
        const char *driver = opts_driver(opts);
        size_t from = j->n_records, on_vfio = 0;
        int r;

        r = group_check(ctx, grp, opts, NULL);
        if (r < 0)
                return r;
        r = group_prepare_driver(ctx, driver);
        if (r < 0)
                return r;
        for (size_t i = 0; i < grp->n_members; i++) {
                const struct pci_dev *dev = &grp->members[i];

                if (pci_dev_is_bridge(dev) || is_left(opts, &dev->addr))
                        continue;
                on_vfio++;
                if (strcmp(dev->driver, driver) == 0)
                        continue;
                vfh_debug(ctx, "%s: binding to %s (was %s)", dev->name, driver,
                          dev->driver[0] ? dev->driver : "unbound");
                r = bind_device(ctx, j, dev, grp->number, driver);
                if (r < 0)
                        return rollback(ctx, grp, j, from, r);
        }
        /* With only libvirt's own members in it, the group gets /dev/vfio/N when libvirt
         * binds them, after this hook. */
        r = on_vfio ? check_dev_vfio(ctx, grp) : 0;
        if (r < 0)
                return rollback(ctx, grp, j, from, r);
        return 0;
}

/* vfio-pci's remove path waits for the user to close the device: refuse rather than block. */
static int check_unused(vfh_ctx *ctx, const struct pci_group *grp)
{
        _cleanup_free_ struct vfio_holder *holders = NULL;
        size_t n = 0;
        int r = group_vfio_holders(ctx, grp->number, &holders, &n);

        if (r < 0 || n == 0)
                return 0; /* unknown: the unbind deadline still protects us */
        return vfh_errorf(ctx, EBUSY,
                          "group %d: reattach: /dev/vfio/%d is still open in process %d (%s); "
                          "stop the guest first",
                          grp->number, grp->number, (int)holders[0].pid, holders[0].comm);
}

int group_reattach(vfh_ctx *ctx, const struct pci_group *grp, struct journal *j)
{
        size_t restored;
        int r = check_unused(ctx, grp);

        if (r < 0)
                return r;
        r = restore_range(ctx, grp, j, 0, j->n_records, &restored);

        if (r < 0)
                return r;
        if (restored == 0)
                return vfh_errorf(ctx, ENOENT,
                                  "group %d: reattach: journal %s records no detach of its "
                                  "devices, so there is nothing to restore",
                                  grp->number, j->id);
        return 0;
}

/* ---- who holds /dev/vfio/N ---- */

/* N when target is "/dev/vfio/N"; -1 for anything else, the container node included. */
static int vfio_group_of_target(const char *target)
{
        char *end;
        long v;

        if (strncmp(target, "/dev/vfio/", 10) != 0 || target[10] < '0' || target[10] > '9')
                return -1;
        v = strtol(target + 10, &end, 10);
        return (*end || v > INT_MAX) ? -1 : (int)v;
}

static bool holder_listed(const struct vfio_holder *v, size_t n, pid_t pid, int group)
{
        for (size_t i = 0; i < n; i++)
                if (v[i].pid == pid && v[i].group == group)
                        return true;
        return false;
}

static int push_holder(struct vfio_holder **v, size_t *n, const struct vfio_holder *h)
{
        struct vfio_holder *grown = reallocarray(*v, *n + 1, sizeof(**v));

        if (!grown)
                return -ENOMEM;
        *v = grown;
        (*v)[(*n)++] = *h;
        return 0;
}

struct process_scan {
        vfh_ctx *ctx;
        struct sysfs_dir fds; /* /proc/PID/fd */
        const char *pid;
        int want;
        struct vfio_holder h;
        bool have_comm;
        struct vfio_holder **v;
        size_t *n;
};

static int note_fd(const char *name, unsigned char type, void *data)
{
        struct process_scan *p = data;
        char target[64];

        (void)type;
        if (name[0] == '.' || sysfs_readlink_at(p->ctx, &p->fds, name, target, sizeof(target)) <= 0)
                return 0;
        p->h.group = vfio_group_of_target(target);
        if (p->h.group < 0 || (p->want >= 0 && p->h.group != p->want) ||
            holder_listed(*p->v, *p->n, p->h.pid, p->h.group))
                return 0;
        if (!p->have_comm &&
            sysfs_read(p->ctx, p->h.comm, sizeof(p->h.comm), "/proc/%s/comm", p->pid) < 0)
                p->h.comm[0] = '\0';
        p->have_comm = true;
        return push_holder(p->v, p->n, &p->h);
}

/* One entry per group (only `want` when it is >= 0) that process pid holds open. Its fd links
 * are read below /proc/PID/fd opened once: a busy host has thousands. */
static int add_process_holdings(vfh_ctx *ctx, const char *pid, int want, struct vfio_holder **v,
                                size_t *n)
{
        struct process_scan p = {.ctx = ctx,
                                 .pid = pid,
                                 .want = want,
                                 .h = {.pid = (pid_t)strtol(pid, NULL, 10)},
                                 .v = v,
                                 .n = n};
        int r;

        if (sysfs_dir_open(ctx, &p.fds, "/proc/%s/fd", pid) < 0)
                return 0; /* gone, or not ours to look at */
        r = sysfs_dir_each(ctx, &p.fds, note_fd, &p);
        sysfs_dir_close(&p.fds);
        return r == -ENOMEM ? r : 0; /* a listing that fails midway only shows fewer holders */
}

/* One pass over /proc: reading every process's fds once per group would make listing all
 * groups cost groups x processes x fds (docs/PERFORMANCE.md). */
static int scan_vfio_holders(vfh_ctx *ctx, int want, struct vfio_holder **ret, size_t *n)
{
        _cleanup_closedir_ DIR *dir = NULL;
        _cleanup_free_ struct vfio_holder *v = NULL;
        size_t count = 0;
        struct dirent *de;
        int r = sysfs_opendir(ctx, &dir, "/proc");

        *ret = NULL;
        *n = 0;
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        while ((de = readdir(dir))) {
                char *end;

                (void)strtol(de->d_name, &end, 10);
                if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end)
                        continue;
                r = add_process_holdings(ctx, de->d_name, want, &v, &count);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(v);
        *n = count;
        return 0;
}

int group_vfio_holders(vfh_ctx *ctx, int number, struct vfio_holder **ret, size_t *n)
{
        if (number < 0) {
                *ret = NULL;
                *n = 0;
                return 0;
        }
        return scan_vfio_holders(ctx, number, ret, n);
}

int group_vfio_holders_all(vfh_ctx *ctx, struct vfio_holder **ret, size_t *n)
{
        return scan_vfio_holders(ctx, -1, ret, n);
}
