/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * doctor: libvirt's side. Its version (qemu.d needs 6.5), our hooks installed and executable,
 * whether the running daemon can see them (libvirt looks for hooks only when it starts), the
 * qemu.conf device ACL and the /dev/vfio permissions QEMU needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"

#define HOOKS_DIR_DEFAULT "/etc/libvirt/hooks"
#define QEMU_CONF_DEFAULT "/etc/libvirt/qemu.conf"

/* ---- the daemon's version ---- */

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child_exec_version(const char *path, int out)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null >= 0) {
                dup2(null, STDIN_FILENO);
                dup2(null, STDERR_FILENO);
        }
        dup2(out, STDOUT_FILENO);
        /* argv[0] is what the daemon prints: "libvirtd (libvirt) 9.0.0". */
        execl(path, strrchr(path, '/') ? strrchr(path, '/') + 1 : path, "--version", (char *)NULL);
        _exit(127);
}

/* Reads what the child prints until it closes its end or the deadline passes. */
static size_t read_until(int fd, long long deadline, char *buf, size_t size)
{
        size_t len = 0;

        while (len + 1 < size) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                long long left = deadline - now_ms();
                ssize_t n;

                if (left <= 0 || poll(&p, 1, (int)left) <= 0)
                        break;
                n = read(fd, buf + len, size - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        return len;
}

/* Runs "PATH --version" with the context's deadline; its first line goes into buf. */
static int run_version(vfh_ctx *ctx, const char *path, char *buf, size_t size)
{
        int fds[2], status;
        pid_t pid;

        if (access(path, X_OK) < 0)
                return negative_errno();
        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return negative_errno();
        }
        if (pid == 0)
                child_exec_version(path, fds[1]);
        close(fds[1]);
        read_until(fds[0], now_ms() + ctx->timeout_ms, buf, size);
        close(fds[0]);
        kill(pid, SIGKILL); /* it has said what we need, or taken too long */
        waitpid(pid, &status, 0);
        buf[strcspn(buf, "\n")] = '\0';
        return buf[0] ? 0 : -ENODATA;
}

static void check_libvirt_version(vfh_ctx *ctx, struct doctor_report *report)
{
        static const char *const daemons[] = {"/usr/sbin/virtqemud", "/usr/sbin/libvirtd"};
        char path[PATH_MAX], text[256];
        unsigned int major, minor;

        for (size_t i = 0; i < ARRAY_SIZE(daemons); i++) {
                snprintf(path, sizeof(path), "%s%s",
                         strcmp(ctx->sysroot, "/") == 0 ? "" : ctx->sysroot, daemons[i]);
                if (run_version(ctx, path, text, sizeof(text)) < 0)
                        continue;
                if (doctor_parse_libvirt_version(text, &major, &minor) < 0)
                        continue;
                if (major > 6 || (major == 6 && minor >= 5))
                        doctor_add(report, "libvirt_version", daemons[i], DOCTOR_OK, NULL,
                                   "%s: %u.%u runs the hooks in qemu.d and network.d", text, major,
                                   minor);
                else
                        doctor_add(report, "libvirt_version", daemons[i], DOCTOR_FAIL,
                                   "upgrade libvirt to 6.5 or later, or run "
                                   "/etc/libvirt/hooks/qemu.d/vfiohook from your own "
                                   "/etc/libvirt/hooks/qemu with the same arguments and stdin",
                                   "%s: %u.%u runs only /etc/libvirt/hooks/qemu, not qemu.d", text,
                                   major, minor);
                return;
        }
        doctor_add(report, "libvirt_version", NULL, DOCTOR_WARN,
                   "install libvirt-daemon (6.5 or later)",
                   "no libvirt daemon found (/usr/sbin/virtqemud, /usr/sbin/libvirtd)");
}

/* ---- the running daemons ---- */

struct daemon {
        char name[16];
        long pid;
        long long started; /* seconds since the epoch; -1 when unknown */
};

/* Start of PID in seconds since the epoch, from /proc/PID/stat field 22 and /proc/stat btime. */
static long long process_start(vfh_ctx *ctx, long pid)
{
        _cleanup_free_ char *stat = NULL, *host = NULL;
        unsigned long long ticks;
        long long btime;
        char path[64];
        const char *p, *b;

        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        if (doctor_read_file(ctx, "/proc/stat", 64 * 1024, &host) < 0)
                return -1;
        b = strncmp(host, "btime ", 6) == 0 ? host : strstr(host, "\nbtime ");
        if (b && *b == '\n')
                b++;
        if (!b || sscanf(b + 6, "%lld", &btime) != 1 ||
            doctor_read_file(ctx, path, 4096, &stat) < 0)
                return -1;
        p = strrchr(stat, ')'); /* comm may hold spaces and parentheses */
        /* After ")": state is field 3, starttime field 22. */
        if (!p || sscanf(p + 1,
                         " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
                         "%*d %*d %llu",
                         &ticks) != 1)
                return -1;
        return btime + (long long)(ticks / (unsigned long long)sysconf(_SC_CLK_TCK));
}

/* The first running process called name, if any. */
static bool find_daemon(vfh_ctx *ctx, const char *name, struct daemon *ret)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (sysfs_opendir(ctx, &d, "/proc") < 0)
                return false;
        while ((de = readdir(d))) {
                char comm[32], *end;
                long pid = strtol(de->d_name, &end, 10);

                if (*end || pid <= 0)
                        continue;
                if (sysfs_read(ctx, comm, sizeof(comm), "/proc/%ld/comm", pid) < 0 ||
                    strcmp(comm, name) != 0)
                        continue;
                snprintf(ret->name, sizeof(ret->name), "%s", name);
                ret->pid = pid;
                ret->started = process_start(ctx, pid);
                return true;
        }
        return false;
}

/* ---- the hooks ---- */

static bool is_executable_file(const struct stat *st)
{
        return S_ISREG(st->st_mode) && (st->st_mode & 0111);
}

/* follow: as libvirt looks at a hook (stat); else the entry itself (lstat), whose ctime says
 * when it appeared. */
static int stat_path(vfh_ctx *ctx, const char *path, bool follow, struct stat *st)
{
        _cleanup_close_ int fd = sysfs_open(ctx, O_PATH | (follow ? 0 : O_NOFOLLOW), "%s", path);

        if (fd < 0)
                return fd;
        return fstat(fd, st) < 0 ? negative_errno() : 0;
}

/* An executable hook that was there at `started`. */
static bool hook_there_at(vfh_ctx *ctx, const char *path, long long started)
{
        struct stat st, entry;

        return stat_path(ctx, path, true, &st) == 0 && is_executable_file(&st) &&
               stat_path(ctx, path, false, &entry) == 0 && entry.st_ctime <= started;
}

/* Did libvirt, started at `started`, find some hook for driver? It looks at HOOKS/DRIVER, then
 * for any executable in HOOKS/DRIVER.d; a file's ctime is when it last appeared or changed. */
static bool hook_seen_at(vfh_ctx *ctx, const char *hooks, const char *driver, long long started)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", hooks, driver);
        if (hook_there_at(ctx, path, started))
                return true;
        if (sysfs_opendir(ctx, &d, "%s/%s.d", hooks, driver) < 0)
                return false;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s.d/%s", hooks, driver, de->d_name);
                if (hook_there_at(ctx, path, started))
                        return true;
        }
        return false;
}

static void check_daemon_saw_hook(vfh_ctx *ctx, const char *hooks, const char *driver,
                                  const char *modular, const char *path,
                                  struct doctor_report *report)
{
        struct daemon dm = {0};
        char fix[128];

        if (!find_daemon(ctx, modular, &dm) && !find_daemon(ctx, "libvirtd", &dm)) {
                doctor_add(report, "hooks", path, DOCTOR_OK, NULL,
                           "installed and executable; no %s or libvirtd runs now, and it will "
                           "find the hook when it starts",
                           modular);
                return;
        }
        if (dm.started < 0) {
                doctor_add(report, "hooks", path, DOCTOR_INFO, NULL,
                           "installed and executable; cannot tell when %s (pid %ld) started",
                           dm.name, dm.pid);
                return;
        }
        if (hook_seen_at(ctx, hooks, driver, dm.started)) {
                doctor_add(report, "hooks", path, DOCTOR_OK, NULL,
                           "installed and executable; %s (pid %ld) runs it", dm.name, dm.pid);
                return;
        }
        snprintf(fix, sizeof(fix), "systemctl restart %s (running guests keep running)", dm.name);
        doctor_add(report, "hooks", path, DOCTOR_WARN, fix,
                   "%s (pid %ld) started before any %s hook existed; libvirt looks for hooks "
                   "only when it starts, so it does not run this one",
                   dm.name, dm.pid, driver);
}

/* The qemu hook libvirt runs is a front that execs this worker for every operation that needs
 * the library (hooks/front/qemu.c): without it, prepare and start refuse every guest. */
static void check_qemu_worker(vfh_ctx *ctx, struct doctor_report *report)
{
        struct stat st;
        int r = stat_path(ctx, VFH_QEMU_WORKER_PATH, true, &st);

        if (r >= 0 && is_executable_file(&st)) {
                doctor_add(report, "hooks", VFH_QEMU_WORKER_PATH, DOCTOR_OK, NULL,
                           "installed and executable; the qemu hook runs it for prepare, start, "
                           "release and reconnect");
                return;
        }
        doctor_add(report, "hooks", VFH_QEMU_WORKER_PATH, DOCTOR_FAIL,
                   "reinstall vfiohook (cmake --install BUILD-DIR)",
                   "the qemu hook's worker cannot run (%s): the hook refuses every guest at "
                   "prepare",
                   r < 0 ? strerror(-r) : "not an executable file");
}

static void check_hook(vfh_ctx *ctx, const char *hooks, const char *driver, const char *modular,
                       struct doctor_report *report)
{
        char path[PATH_MAX], fix[PATH_MAX + 64];
        struct stat st;
        int r;

        snprintf(path, sizeof(path), "%s/%s.d/vfiohook", hooks, driver);
        r = stat_path(ctx, path, true, &st);
        if (r < 0) {
                doctor_add(report, "hooks", path, DOCTOR_FAIL,
                           "install vfiohook (cmake --install BUILD-DIR), then restart libvirtd",
                           "the %s hook is not installed: %s", driver, strerror(-r));
                return;
        }
        if (!is_executable_file(&st)) {
                snprintf(fix, sizeof(fix), "chmod 0755 %s, or reinstall vfiohook", path);
                doctor_add(report, "hooks", path, DOCTOR_FAIL, fix,
                           "the %s hook is %s; libvirt skips it", driver,
                           S_ISREG(st.st_mode) ? "not executable" : "not a regular file");
                return;
        }
        if (strcmp(driver, "qemu") == 0)
                check_qemu_worker(ctx, report);
        check_daemon_saw_hook(ctx, hooks, driver, modular, path, report);
}

/* ---- QEMU's access to /dev/vfio ---- */

/* The value of an uncommented "key = …" in qemu.conf, up to its closing ']' for lists. */
static bool conf_setting(const char *conf, const char *key, char *buf, size_t size)
{
        size_t n = strlen(key);

        for (const char *line = conf; line;
             line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                const char *p = line + strspn(line, " \t"), *v, *end;

                if (strncmp(p, key, n) != 0 || !strchr(" \t=", p[n]))
                        continue; /* also every comment line */
                v = p + n + strspn(p + n, " \t=");
                end = *v == '[' ? strchr(v, ']') : NULL;
                end = end ? end + 1 : v + strcspn(v, "\n");
                snprintf(buf, size, "%.*s", (int)(end - v), v);
                return true;
        }
        return false;
}

static void check_qemu_conf(vfh_ctx *ctx, const char *path, struct doctor_report *report)
{
        _cleanup_free_ char *conf = NULL;
        char acl[2048];
        int r = doctor_read_file(ctx, path, 1024 * 1024, &conf);

        if (r < 0) {
                doctor_add(report, "qemu_conf", path, DOCTOR_INFO, NULL,
                           "cannot read it (%s); libvirt's defaults apply", strerror(-r));
                return;
        }
        if (!conf_setting(conf, "cgroup_device_acl", acl, sizeof(acl))) {
                doctor_add(report, "qemu_conf", path, DOCTOR_OK, NULL,
                           "cgroup_device_acl is not set: libvirt's default list applies, and "
                           "libvirt adds /dev/vfio/vfio and /dev/vfio/N for each <hostdev>");
                return;
        }
        if (strstr(acl, "/dev/vfio/vfio"))
                doctor_add(report, "qemu_conf", path, DOCTOR_OK, NULL,
                           "cgroup_device_acl is set and lists /dev/vfio/vfio");
        else
                doctor_add(report, "qemu_conf", path, DOCTOR_INFO,
                           "add \"/dev/vfio/vfio\" and the group nodes to cgroup_device_acl only "
                           "for devices given to QEMU outside <hostdev> (qemu:commandline)",
                           "cgroup_device_acl is set without /dev/vfio/vfio: fine for <hostdev> "
                           "and <interface type='hostdev'>, which libvirt allows itself");
}

static void check_dev_vfio(vfh_ctx *ctx, struct doctor_report *report)
{
        struct stat st;
        int r = stat_path(ctx, "/dev/vfio/vfio", true, &st);

        if (r < 0) {
                doctor_add(report, "dev_vfio", "/dev/vfio/vfio", DOCTOR_FAIL,
                           "modprobe vfio-pci (the hooks do this when a guest starts); check "
                           "the vfio_modules items",
                           "missing (%s): the VFIO container device is not there", strerror(-r));
                return;
        }
        if ((st.st_mode & 0666) != 0666)
                doctor_add(report, "dev_vfio", "/dev/vfio/vfio", DOCTOR_WARN,
                           "chmod 0666 /dev/vfio/vfio (the kernel's default; a udev rule may "
                           "have changed it)",
                           "mode %04o: QEMU, running as an unprivileged user, cannot open it",
                           (unsigned int)(st.st_mode & 07777));
        else
                doctor_add(report, "dev_vfio", "/dev/vfio/vfio", DOCTOR_OK, NULL,
                           "mode %04o; libvirt hands each /dev/vfio/N to QEMU's user itself",
                           (unsigned int)(st.st_mode & 07777));
}

void doctor_check_libvirt(vfh_ctx *ctx, const struct doctor_opts *opts,
                          struct doctor_report *report)
{
        const char *hooks = opts->hooks_dir ? opts->hooks_dir : HOOKS_DIR_DEFAULT;

        check_libvirt_version(ctx, report);
        check_hook(ctx, hooks, "qemu", "virtqemud", report);
        check_hook(ctx, hooks, "network", "virtnetworkd", report);
        check_qemu_conf(ctx, opts->qemu_conf ? opts->qemu_conf : QEMU_CONF_DEFAULT, report);
        check_dev_vfio(ctx, report);
}
