/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * doctor: the report, the runner, and the kernel's side of passthrough: the IOMMU (groups,
 * kernel log, command line), interrupt remapping and the VFIO modules.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"
#include "group.h"

#define KERNEL_LOG_MAX (8u * 1024 * 1024)
#define READ_CHUNK     8192 /* /dev/kmsg returns one record per read; records fit in 8 KiB */

void doctor_add(struct doctor_report *report, const char *check, const char *subject,
                enum doctor_status status, const char *fix, const char *fmt, ...)
{
        struct doctor_item *items, *it;
        va_list ap;

        items = realloc(report->items, (report->n_items + 1) * sizeof(*items));
        if (!items) {
                report->error = -ENOMEM;
                return;
        }
        report->items = items;
        it = &items[report->n_items++];
        *it = (struct doctor_item){.status = status};
        snprintf(it->check, sizeof(it->check), "%s", check);
        snprintf(it->subject, sizeof(it->subject), "%s", subject ? subject : "");
        snprintf(it->fix, sizeof(it->fix), "%s", fix ? fix : "");
        va_start(ap, fmt);
        vsnprintf(it->message, sizeof(it->message), fmt, ap);
        va_end(ap);
        if (status > report->verdict)
                report->verdict = status;
}

const char *doctor_status_name(enum doctor_status status)
{
        static const char *const names[] = {"ok", "info", "warn", "fail"};

        return status <= DOCTOR_FAIL ? names[status] : "fail";
}

void doctor_report_clear(struct doctor_report *report)
{
        free(report->items);
        *report = (struct doctor_report){0};
}

int doctor_parse_libvirt_version(const char *text, unsigned int *major, unsigned int *minor)
{
        const char *p = strstr(text, "(libvirt) ");
        unsigned int a, b;

        if (!p || sscanf(p + strlen("(libvirt) "), "%u.%u", &a, &b) != 2)
                return -EINVAL;
        *major = a;
        *minor = b;
        return 0;
}

int doctor_read_file(vfh_ctx *ctx, const char *path, size_t max, char **ret)
{
        _cleanup_close_ int fd = sysfs_open(ctx, O_RDONLY, "%s", path);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        if (fd < 0)
                return fd;
        for (;;) {
                ssize_t n;

                if (cap - len < READ_CHUNK + 1) {
                        char *b;

                        if (cap >= max)
                                break; /* enough to judge by */
                        cap = cap ? cap * 2 : 4 * READ_CHUNK;
                        b = realloc(buf, cap);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                n = read(fd, buf + len, READ_CHUNK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Appends the message part of one /dev/kmsg record "PRI,SEQ,TS,FLAGS;TEXT" (continuation lines
 * " KEY=VALUE" dropped). */
static size_t append_record_text(char *out, const char *rec, size_t len)
{
        const char *semi = memchr(rec, ';', len), *end;

        if (!semi || !isdigit((unsigned char)rec[0]))
                return 0;
        semi++;
        end = memchr(semi, '\n', len - (size_t)(semi - rec));
        if (!end)
                end = rec + len;
        memcpy(out, semi, (size_t)(end - semi));
        out[end - semi] = '\n';
        return (size_t)(end - semi) + 1;
}

/* The kernel log, without waiting for new records: /dev/kmsg under the sysroot. A fixture file
 * holds the same records, one per line. */
int doctor_read_kernel_log(vfh_ctx *ctx, char **ret)
{
        _cleanup_close_ int fd = sysfs_open(ctx, O_RDONLY | O_NONBLOCK, "/dev/kmsg");
        _cleanup_free_ char *text = NULL;
        char rec[READ_CHUNK];
        size_t len = 0;
        ssize_t n;

        if (fd < 0)
                return fd;
        text = malloc(KERNEL_LOG_MAX + 1);
        if (!text)
                return -ENOMEM;
        while (len + sizeof(rec) + 1 < KERNEL_LOG_MAX) {
                n = read(fd, rec, sizeof(rec));
                if (n < 0 && (errno == EINTR || errno == EPIPE))
                        continue; /* EPIPE: records overwritten under us; go on */
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                /* A plain file gives many records per read; the device gives one. */
                for (const char *p = rec, *end = rec + n; p < end;) {
                        const char *nl = memchr(p, '\n', (size_t)(end - p));
                        size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

                        len += append_record_text(text + len, p, l);
                        p += l;
                }
        }
        text[len] = '\0';
        *ret = TAKE_PTR(text);
        return 0;
}

/* ---- kernel facts ---- */

struct kernel_facts {
        size_t n_groups;
        char units[256]; /* "dmar0 dmar1" from /sys/class/iommu */
        bool intel, amd; /* from /proc/cpuinfo */
        char cmdline[4096];
        bool have_log;
        int log_error;
        char iommu_line[256]; /* the first DMAR/AMD-Vi line */
        char ir_line[256];    /* the line saying interrupt remapping is on */
        char allow_unsafe[8]; /* "Y", "N" or "" when vfio_iommu_type1 is not loaded */
};

static void list_iommu_units(vfh_ctx *ctx, char *buf, size_t size)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        size_t len = 0;

        buf[0] = '\0';
        if (sysfs_opendir(ctx, &d, "/sys/class/iommu") < 0)
                return;
        while ((de = readdir(d)) && len < size) {
                if (de->d_name[0] == '.')
                        continue;
                len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "", de->d_name);
        }
}

static bool starts_with(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void copy_line(char *dst, size_t size, const char *line)
{
        size_t n = strcspn(line, "\n");

        snprintf(dst, size, "%.*s", (int)(n < size ? n : size - 1), line);
}

static void scan_kernel_line(const char *line, struct kernel_facts *f)
{
        bool iommu = starts_with(line, "DMAR:") || starts_with(line, "AMD-Vi:") ||
                     starts_with(line, "DMAR-IR:");

        if (iommu && (!f->iommu_line[0] || starts_with(line, "DMAR: IOMMU enabled")))
                copy_line(f->iommu_line, sizeof(f->iommu_line), line);
        if (!f->ir_line[0] &&
            (strstr(line, "Enabled IRQ remapping") || strstr(line, "Interrupt remapping enabled")))
                copy_line(f->ir_line, sizeof(f->ir_line), line);
}

/* log is modified: each line is cut at its newline while it is looked at. */
static void scan_kernel_log(char *log, struct kernel_facts *f)
{
        for (char *line = log, *next; *line; line = next) {
                next = line + strcspn(line, "\n");
                if (*next)
                        *next++ = '\0';
                scan_kernel_line(line, f);
        }
}

static bool cmdline_has(const char *cmdline, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = cmdline; (p = strstr(p, word)); p += n)
                if ((p == cmdline || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0' || p[n] == '\n'))
                        return true;
        return false;
}

/* The value of "key=" on the command line ("" when absent), for messages. */
static void cmdline_value(const char *cmdline, const char *key, char *buf, size_t size)
{
        size_t n = strlen(key);

        buf[0] = '\0';
        for (const char *p = cmdline; (p = strstr(p, key)); p += n)
                if ((p == cmdline || p[-1] == ' ') && p[n] == '=') {
                        snprintf(buf, size, "%.*s", (int)strcspn(p + n + 1, " \n"), p + n + 1);
                        return;
                }
}

static void gather_kernel_facts(vfh_ctx *ctx, struct kernel_facts *f)
{
        _cleanup_free_ int *groups = NULL;
        _cleanup_free_ char *cpuinfo = NULL, *log = NULL;

        if (group_list_numbers(ctx, &groups, &f->n_groups) < 0)
                f->n_groups = 0;
        list_iommu_units(ctx, f->units, sizeof(f->units));
        if (doctor_read_file(ctx, "/proc/cpuinfo", 64 * 1024, &cpuinfo) == 0) {
                f->intel = strstr(cpuinfo, "GenuineIntel") != NULL;
                f->amd = strstr(cpuinfo, "AuthenticAMD") != NULL;
        }
        if (sysfs_read(ctx, f->cmdline, sizeof(f->cmdline), "/proc/cmdline") < 0)
                f->cmdline[0] = '\0';
        f->log_error = doctor_read_kernel_log(ctx, &log);
        f->have_log = f->log_error == 0;
        if (f->have_log)
                scan_kernel_log(log, f);
        if (sysfs_read(ctx, f->allow_unsafe, sizeof(f->allow_unsafe),
                       "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts") < 0)
                f->allow_unsafe[0] = '\0';
}

static const char *iommu_fix(const struct kernel_facts *f)
{
        if (f->amd)
                return "enable the IOMMU (AMD-Vi) in the firmware setup, and remove amd_iommu=off "
                       "or iommu=off from the kernel command line, then reboot";
        if (f->intel)
                return "enable VT-d in the firmware setup and add intel_iommu=on to the kernel "
                       "command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub), "
                       "then reboot";
        return "enable the IOMMU (VT-d or AMD-Vi) in the firmware setup and add intel_iommu=on "
               "(Intel) to the kernel command line, then reboot";
}

static void check_iommu(const struct kernel_facts *f, struct doctor_report *report)
{
        if (f->n_groups > 0)
                doctor_add(report, "iommu", NULL, DOCTOR_OK, NULL,
                           "IOMMU on: %zu IOMMU groups; IOMMU units: %s", f->n_groups,
                           f->units[0] ? f->units : "none listed in /sys/class/iommu");
        else
                doctor_add(report, "iommu", NULL, DOCTOR_FAIL, iommu_fix(f),
                           "no IOMMU groups in /sys/kernel/iommu_groups: the kernel runs without "
                           "an IOMMU, so no device can be passed through");
}

static void check_cmdline(const struct kernel_facts *f, struct doctor_report *report)
{
        char intel[32], amd[32], iommu[32], facts[160];
        bool off;

        if (!f->cmdline[0]) {
                doctor_add(report, "kernel_cmdline", "/proc/cmdline", DOCTOR_INFO, NULL,
                           "cannot read the kernel command line");
                return;
        }

        cmdline_value(f->cmdline, "intel_iommu", intel, sizeof(intel));
        cmdline_value(f->cmdline, "amd_iommu", amd, sizeof(amd));
        cmdline_value(f->cmdline, "iommu", iommu, sizeof(iommu));
        snprintf(facts, sizeof(facts), "intel_iommu=%s amd_iommu=%s iommu=%s",
                 intel[0] ? intel : "(unset)", amd[0] ? amd : "(unset)",
                 iommu[0] ? iommu : "(unset)");
        off = strstr(intel, "off") || strstr(amd, "off") || strcmp(iommu, "off") == 0;
        if (off)
                doctor_add(report, "kernel_cmdline", "/proc/cmdline", DOCTOR_FAIL,
                           "remove the 'off' option from GRUB_CMDLINE_LINUX in /etc/default/grub, "
                           "run update-grub and reboot",
                           "the kernel command line turns the IOMMU off: %s", facts);
        else if (f->n_groups == 0 && f->intel && !strstr(intel, "on"))
                doctor_add(report, "kernel_cmdline", "/proc/cmdline", DOCTOR_FAIL, iommu_fix(f),
                           "intel_iommu=on is missing from the kernel command line: %s", facts);
        else
                doctor_add(report, "kernel_cmdline", "/proc/cmdline", DOCTOR_OK, NULL, "%s%s",
                           facts,
                           cmdline_has(f->cmdline, "iommu=pt") ? " (pass-through mode)" : "");
}

static void check_kernel_log(const struct kernel_facts *f, struct doctor_report *report)
{
        if (!f->have_log)
                doctor_add(report, "kernel_log", "/dev/kmsg", DOCTOR_INFO,
                           "run doctor as root (dmesg_restrict hides the log from users)",
                           "cannot read the kernel log: %s", strerror(-f->log_error));
        else if (f->iommu_line[0])
                doctor_add(report, "kernel_log", "/dev/kmsg", DOCTOR_OK, NULL,
                           "the kernel log says: %s", f->iommu_line);
        else
                doctor_add(report, "kernel_log", "/dev/kmsg",
                           f->n_groups ? DOCTOR_INFO : DOCTOR_WARN, NULL,
                           "no DMAR or AMD-Vi lines in the kernel log%s",
                           f->n_groups ? " (they may have rotated out since boot)"
                                       : ": the IOMMU driver did not start");
}

static void check_interrupt_remapping(const struct kernel_facts *f, struct doctor_report *report)
{
        static const char *const unsafe_fix =
            "enable interrupt remapping in the firmware (VT-d/AMD-Vi with x2APIC) and do not boot "
            "with intremap=off; or, accepting that a guest can then forge interrupts, add "
            "'options vfio_iommu_type1 allow_unsafe_interrupts=1' to /etc/modprobe.d/vfio.conf";
        bool unsafe = f->allow_unsafe[0] == 'Y' || f->allow_unsafe[0] == '1';
        bool off = cmdline_has(f->cmdline, "intremap=off");

        if (f->ir_line[0] && !off) {
                if (unsafe)
                        doctor_add(report, "interrupt_remapping", NULL, DOCTOR_WARN,
                                   "remove allow_unsafe_interrupts from /etc/modprobe.d",
                                   "on (%s), yet vfio_iommu_type1 allow_unsafe_interrupts=Y "
                                   "lowers the guard for nothing",
                                   f->ir_line);
                else
                        doctor_add(report, "interrupt_remapping", NULL, DOCTOR_OK, NULL, "on: %s",
                                   f->ir_line);
        } else if (unsafe) {
                doctor_add(report, "interrupt_remapping", NULL, DOCTOR_WARN, unsafe_fix,
                           "not seen as on, and vfio_iommu_type1 allow_unsafe_interrupts=Y lets "
                           "VFIO run without it: a guest can forge interrupts (MSI attacks)");
        } else if (off || (f->have_log && f->iommu_line[0])) {
                doctor_add(report, "interrupt_remapping", NULL, DOCTOR_FAIL, unsafe_fix,
                           "off (%s): vfio_iommu_type1 refuses to attach devices without it",
                           off ? "intremap=off on the command line"
                               : "the kernel log has IOMMU lines but none enabling it");
        } else {
                doctor_add(report, "interrupt_remapping", NULL, DOCTOR_WARN,
                           "run doctor as root right after boot, or look for 'IRQ remapping' in "
                           "dmesg",
                           "unknown: the kernel log does not say (allow_unsafe_interrupts=%s)",
                           f->allow_unsafe[0] ? f->allow_unsafe : "unknown, module not loaded");
        }
}

/* ---- VFIO modules ---- */

/* "kernel/drivers/vfio/pci/vfio-pci.ko.xz" names module vfio_pci. */
static bool path_is_module(const char *path, size_t len, const char *module)
{
        const char *base = memrchr(path, '/', len);
        size_t n = strlen(module);

        base = base ? base + 1 : path;
        len -= (size_t)(base - path);
        if (len < n + 3 || memcmp(base + n, ".ko", 3) != 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = base[i] == '-' ? '_' : base[i];

                if (c != module[i])
                        return false;
        }
        return true;
}

/* Whether a modules.dep or modules.builtin (one path per line, ':' ends it) lists module. */
static bool list_has_module(const char *list, const char *module)
{
        for (const char *line = list; *line;) {
                size_t len = strcspn(line, ":\n");

                if (path_is_module(line, len, module))
                        return true;
                line += strcspn(line, "\n");
                if (*line)
                        line++;
        }
        return false;
}

static bool module_installed(vfh_ctx *ctx, const char *release, const char *module)
{
        static const char *const lists[] = {"modules.builtin", "modules.dep"};
        char path[256];

        for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
                _cleanup_free_ char *text = NULL;

                snprintf(path, sizeof(path), "/lib/modules/%s/%s", release, lists[i]);
                if (doctor_read_file(ctx, path, 4u * 1024 * 1024, &text) == 0 &&
                    list_has_module(text, module))
                        return true;
        }
        return false;
}

static const char *module_config(const char *module)
{
        if (strcmp(module, "vfio") == 0)
                return "CONFIG_VFIO";
        if (strcmp(module, "vfio_pci") == 0)
                return "CONFIG_VFIO_PCI";
        return "CONFIG_VFIO_IOMMU_TYPE1";
}

/* absent: how bad it is when the module is nowhere; note follows the message then. */
static void check_module(vfh_ctx *ctx, const char *release, const char *module,
                         enum doctor_status absent, const char *note, struct doctor_report *report)
{
        char fix[160];

        if (sysfs_exists(ctx, "/sys/module/%s", module)) {
                doctor_add(report, "vfio_modules", module, DOCTOR_OK, NULL, "%s is loaded", module);
                return;
        }
        if (release[0] && module_installed(ctx, release, module)) {
                doctor_add(report, "vfio_modules", module, DOCTOR_INFO, NULL,
                           "%s is installed but not loaded; the hooks load vfio-pci (and with it "
                           "the others) when a guest needs it",
                           module);
                return;
        }
        snprintf(fix, sizeof(fix), "install the modules of the running kernel, or build it with %s",
                 module_config(module));
        doctor_add(report, "vfio_modules", module, absent, fix,
                   "%s is neither loaded nor installed for kernel %s%s", module,
                   release[0] ? release : "(unknown)", note);
}

static void check_vfio_modules(vfh_ctx *ctx, struct doctor_report *report)
{
        char release[128];

        if (sysfs_read(ctx, release, sizeof(release), "/proc/sys/kernel/osrelease") < 0)
                release[0] = '\0';
        check_module(ctx, release, "vfio", DOCTOR_FAIL, "", report);
        check_module(ctx, release, "vfio_pci", DOCTOR_FAIL, "", report);
        /* iommufd can provide a compatible /dev/vfio/vfio (CONFIG_IOMMUFD_VFIO_CONTAINER). */
        check_module(ctx, release, "vfio_iommu_type1", DOCTOR_WARN,
                     " (fine only when iommufd provides /dev/vfio/vfio)", report);
}

void doctor_check_kernel(vfh_ctx *ctx, struct doctor_report *report)
{
        struct kernel_facts f = {0};

        gather_kernel_facts(ctx, &f);
        check_iommu(&f, report);
        check_cmdline(&f, report);
        check_kernel_log(&f, report);
        check_interrupt_remapping(&f, report);
        check_vfio_modules(ctx, report);
}

int doctor_run(vfh_ctx *ctx, const struct doctor_opts *opts, struct doctor_report *ret)
{
        static const struct doctor_opts defaults = {0};
        struct doctor_report report = {0};

        if (!opts)
                opts = &defaults;
        doctor_check_kernel(ctx, &report);
        doctor_check_libvirt(ctx, opts, &report);
        doctor_check_devices(ctx, opts, &report);
        doctor_check_journals(ctx, &report);
        if (report.error < 0) {
                int r = report.error;

                doctor_report_clear(&report);
                return vfh_errorf(ctx, r, "doctor: out of memory while building the report");
        }
        *ret = report;
        return 0;
}
