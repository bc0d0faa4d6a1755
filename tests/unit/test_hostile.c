/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostile input, through the real vfiohookctl against a fixture host: every case must end with
 * exit status 1 (2 for a malformed command line), exactly one line on stderr that says what was
 * refused and why, and a host that is exactly as before, down to the modification time of every
 * file under /sys, /dev and the state directory (a refusal writes nothing, not even a value that
 * is then put back).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmodel.h"
#include "macro.h"
#include "support.h"

static const struct kdev e1000e = {
    "0000:03:00.0", "pci0000:00/0000:00:06.0", 0x8086, 0x10d3, 0x020000, 0, 13, "e1000e"};
static const struct kdev bridge = {
    "0000:04:00.0", "pci0000:00/0000:00:07.0", 0x1b36, 0x000e, 0x060400, 1, 14, NULL};
static const struct kdev br_e1000 = {
    "0000:05:01.0", "pci0000:00/0000:00:07.0/0000:04:00.0", 0x8086, 0x100e, 0x020000, 0, 14,
    "e1000"};
static const struct kdev igb = {
    "0000:01:00.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10c9, 0x020000, 0, 11, "igb"};
static const struct kdev igbvf = {
    "0000:01:10.0", "pci0000:00/0000:00:04.0", 0x8086, 0x10ca, 0x020000, 0, 20, "igbvf"};
static const struct kdev sata = {"0000:00:1f.2", NULL, 0x8086, 0x2922, 0x010601, 0, 9, "ahci"};

#define JOURNAL_HEAD                                                                               \
        "vfiohook-journal version=1\n"                                                             \
        "owner kind=domain id=1b4e28ba-2fa1-11d2-883f-0016d3cca427 name=guest1\n"
#define JOURNAL_PATH "run/vfiohook/1b4e28ba-2fa1-11d2-883f-0016d3cca427.journal"

/* A host with a free NIC, a bridge group, an igb PF with one VF, and the root disk's SATA
 * controller; the state directory exists with the right owner and mode. */
static const char *host(void)
{
        const char *root = test_tmpdir();
        char path[PATH_MAX];

        kmodel_add_driver(root, "e1000e", "8086:10d3");
        kmodel_add_driver(root, "e1000", "8086:100e");
        kmodel_add_driver(root, "igb", "8086:10c9");
        kmodel_add_driver(root, "igbvf", "8086:10ca");
        kmodel_add_driver(root, "ahci", "8086:2922");
        kmodel_add_vfio(root);
        kmodel_add_device(root, &e1000e);
        kmodel_add_device(root, &bridge);
        kmodel_add_device(root, &br_e1000);
        kmodel_add_device(root, &igb);
        kmodel_add_device(root, &igbvf);
        kmodel_add_device(root, &sata);
        kmodel_add_netdev(root, &igb, "vfhtestpf0");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_totalvfs", "7\n");
        test_write_file(root, "sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "1\n");
        test_symlink(root, "sys/bus/pci/devices/0000:01:00.0/virtfn0", "../0000:01:10.0");
        test_symlink(root, "sys/bus/pci/devices/0000:01:10.0/physfn", "../0000:01:00.0");
        kmodel_add_disk(root, &sata, "sda", 8);
        test_write_file(root, "proc/self/mountinfo",
                        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
        test_mkdir(root, "run/vfiohook");
        snprintf(path, sizeof(path), "%s/run/vfiohook", root);
        chmod(path, 0700);
        /* The global lock file exists on any host that ran a hook once; taking it changes
         * nothing. */
        test_write_file(root, "run/vfiohook/lock", "%s", "");
        snprintf(path, sizeof(path), "%s/run/vfiohook/lock", root);
        chmod(path, 0600);
        test_mkdir(root, "input");
        return root;
}

/* ---- the host snapshot ---- */

struct snap {
        char *text;
        size_t len, size;
};

static void snap_add(struct snap *s, const char *line)
{
        size_t n = strlen(line);

        if (s->len + n + 1 > s->size) {
                s->size = (s->len + n + 1) * 2;
                s->text = realloc(s->text, s->size);
                if (!s->text)
                        abort();
        }
        memcpy(s->text + s->len, line, n + 1);
        s->len += n;
}

/* Every entry below dir: type, mode, owner, size, mtime, link target. Sorted by scandir. */
static void snap_walk(struct snap *s, const char *dir)
{
        struct dirent **names;
        int n = scandir(dir, &names, NULL, alphasort);

        if (n < 0)
                return; /* absent: nothing to compare */
        for (int i = 0; i < n; i++) {
                char path[PATH_MAX], line[PATH_MAX * 2 + 128], target[PATH_MAX] = "";
                struct stat st;

                if (strcmp(names[i]->d_name, ".") == 0 || strcmp(names[i]->d_name, "..") == 0) {
                        free(names[i]);
                        continue;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                free(names[i]);
                if (lstat(path, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        ssize_t k = readlink(path, target, sizeof(target) - 1);

                        target[k > 0 ? k : 0] = '\0';
                }
                snprintf(line, sizeof(line), "%s %o %u %lld %lld.%09ld %s\n", path,
                         (unsigned)st.st_mode, (unsigned)st.st_uid, (long long)st.st_size,
                         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, target);
                snap_add(s, line);
                if (S_ISDIR(st.st_mode))
                        snap_walk(s, path);
        }
        free(names);
}

static char *snapshot(const char *root)
{
        static const char *const dirs[] = {"sys", "dev", "run", "etc"};
        struct snap s = {0};

        snap_add(&s, "");
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                char path[PATH_MAX];

                snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
                snap_walk(&s, path);
        }
        return s.text;
}

/* ---- running the CLI ---- */

/* vfiohookctl --sysroot ROOT --run-dir RUN ARGS; its stderr into err; the exit status. */
static int run_cli(const char *root, const char *run_dir, const char *args, char *err, size_t size)
{
        const char *build = getenv("VFH_BUILD_DIR");
        char cmd[PATH_MAX * 3];
        size_t n;
        FILE *p;
        int status;

        snprintf(cmd, sizeof(cmd),
                 "cd %s && %s/vfiohookctl --sysroot %s --run-dir %s %s 2>&1 >/dev/null", root,
                 build ? build : ".", root, run_dir, args);
        p = popen(cmd, "r");
        if (!p)
                abort();
        n = fread(err, 1, size - 1, p);
        err[n] = '\0';
        status = pclose(p);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct hostile_case {
        const char *name;
        /* Damages the host or writes the input under ROOT/input; may be NULL. */
        void (*setup)(const char *root);
        const char *run_dir;
        const char *args;
        int status;
        const char *says; /* in the one stderr line */
};

/* The lines of b that are not in a, and the other way round. */
static void print_lines_missing(const char *label, const char *a, const char *b)
{
        for (const char *line = b; *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
                char *copy = strndup(line, len);

                if (!strstr(a, copy))
                        fprintf(stderr, "    %s %s", label, copy);
                free(copy);
                line += len;
        }
}

static void print_changes(const char *name, const char *before, const char *after)
{
        fprintf(stderr, "  case %s changed the host:\n", name);
        print_lines_missing("-", after, before);
        print_lines_missing("+", before, after);
}

static void check_case(const struct hostile_case *c)
{
        const char *root = host();
        char *before, *after, *first_end;
        static char err[65536];
        int status;

        if (c->setup)
                c->setup(root);
        before = snapshot(root);
        status =
            run_cli(root, c->run_dir ? c->run_dir : "/run/vfiohook", c->args, err, sizeof(err));
        after = snapshot(root);
        first_end = strchr(err, '\n');
        if (first_end && c->status == 2)
                first_end[1] = '\0'; /* a usage error goes on with the command's usage */
        if (status != c->status || !strstr(err, c->says) || !first_end || first_end[1] ||
            getenv("VFH_HOSTILE_VERBOSE"))
                fprintf(stderr, "  case %s: exit %d, stderr:\n%s", c->name, status, err);
        CHECK_INT(status, c->status);
        CHECK_CONTAINS(err, c->says);
        /* One line: the message and its newline, nothing after. */
        CHECK(first_end && first_end[1] == '\0');
        if (strcmp(before, after) != 0)
                print_changes(c->name, before, after);
        CHECK(strcmp(before, after) == 0);
        free(before);
        free(after);
}

/* ---- inputs ---- */

static void write_input(const char *root, const char *name, const char *text, size_t len)
{
        char path[PATH_MAX];
        FILE *f;

        snprintf(path, sizeof(path), "%s/input/%s", root, name);
        f = fopen(path, "w");
        if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
                abort();
}

static void copy_fixture(const char *root, const char *name)
{
        char rel[256], text[65536];
        size_t n;
        FILE *f;

        snprintf(rel, sizeof(rel), "tests/fixtures/xml/hostile/%s", name);
        f = fopen(test_src_path(rel), "r");
        if (!f)
                abort();
        n = fread(text, 1, sizeof(text), f);
        fclose(f);
        write_input(root, name, text, n);
}

static void xxe(const char *root)
{
        copy_fixture(root, "xxe.xml");
}

static void xxe_parameter(const char *root)
{
        copy_fixture(root, "xxe-parameter.xml");
}

static void billion_laughs(const char *root)
{
        copy_fixture(root, "billion-laughs.xml");
}

static void name_slash(const char *root)
{
        copy_fixture(root, "network-name-slash.xml");
}

static void name_dotdot(const char *root)
{
        copy_fixture(root, "network-name-dotdot.xml");
}

static void multicast_metadata(const char *root)
{
        copy_fixture(root, "metadata-multicast-mac.xml");
}

/* 100 MB: a valid domain whose comment never ends early enough to matter. */
static void huge(const char *root)
{
        static const char head[] = "<domain type='kvm'><name>huge</name><!--";
        static const char tail[] = "--></domain>\n";
        size_t body = 100u * 1024 * 1024;
        char *text = malloc(sizeof(head) + body + sizeof(tail));

        if (!text)
                abort();
        memcpy(text, head, sizeof(head) - 1);
        memset(text + sizeof(head) - 1, 'a', body);
        memcpy(text + sizeof(head) - 1 + body, tail, sizeof(tail));
        write_input(root, "huge.xml", text, strlen(text));
        free(text);
}

static void deep(const char *root)
{
        static const char head[] = "<domain type='kvm'><name>deep</name><devices>";
        static const char tail[] = "</devices></domain>\n";
        size_t depth = 10000, len = 0;
        char *text = malloc(sizeof(head) + depth * 7 + sizeof(tail));

        if (!text)
                abort();
        len += (size_t)sprintf(text + len, "%s", head);
        for (size_t i = 0; i < depth; i++)
                len += (size_t)sprintf(text + len, "<a>");
        for (size_t i = 0; i < depth; i++)
                len += (size_t)sprintf(text + len, "</a>");
        len += (size_t)sprintf(text + len, "%s", tail);
        write_input(root, "deep.xml", text, len);
        free(text);
}

/* A NUL inside the network name: the file is cut there, or the name is. Neither may pass. */
static void name_nul(const char *root)
{
        static const char text[] = "<domain type='kvm'><name>nul</name><devices>"
                                   "<interface type='network'><source network='pool\0/../x'/>"
                                   "</interface></devices></domain>\n";

        write_input(root, "name-nul.xml", text, sizeof(text) - 1);
}

static void allowlist(const char *root)
{
        test_write_file(root, "etc/vfiohook/vfiohook.conf", "allow = 0000:05:01.0\n");
}

static void journal_corrupt(const char *root)
{
        test_write_file(root, JOURNAL_PATH,
                        JOURNAL_HEAD "record 1 bind done device=%%zz\n"
                                     "end records=1 next=2\n");
}

static void journal_truncated(const char *root)
{
        test_write_file(root, JOURNAL_PATH,
                        JOURNAL_HEAD "record 1 bind done device=0000:05:01.0 group=14 driver=e1000 "
                                     "override= new_driver=vfio-pci\n");
}

static void journal_foreign(const char *root)
{
        char path[PATH_MAX];

        test_write_file(root, JOURNAL_PATH, JOURNAL_HEAD "end records=0 next=1\n");
        snprintf(path, sizeof(path), "%s/" JOURNAL_PATH, root);
        if (chown(path, 65534, 65534) < 0)
                abort();
}

static void state_dir_symlink(const char *root)
{
        char path[PATH_MAX];

        test_mkdir(root, "run/elsewhere");
        snprintf(path, sizeof(path), "%s/run/elsewhere", root);
        chmod(path, 0700);
        test_symlink(root, "run/linked", "/run/elsewhere");
}

static void state_dir_open(const char *root)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/run/vfiohook", root);
        if (chmod(path, 0777) < 0)
                abort();
}

static const struct hostile_case cases[] = {
    {"xxe", xxe, NULL, "parse --xml input/xxe.xml", 1, "<!DOCTYPE> refused"},
    {"xxe-parameter", xxe_parameter, NULL, "parse --xml input/xxe-parameter.xml", 1,
     "<!DOCTYPE> refused"},
    {"billion-laughs", billion_laughs, NULL, "parse --xml input/billion-laughs.xml", 1,
     "<!DOCTYPE> refused"},
    {"100-MB", huge, NULL, "parse --xml input/huge.xml", 1, "larger than the 1048576-byte limit"},
    {"10000-deep", deep, NULL, "parse --xml input/deep.xml", 1, "nested deeper than 64"},
    {"network-name-slash", name_slash, NULL, "parse --xml input/network-name-slash.xml", 1,
     "network name"},
    {"network-name-dotdot", name_dotdot, NULL, "parse --xml input/network-name-dotdot.xml", 1,
     "network name"},
    {"network-name-nul", name_nul, NULL, "parse --xml input/name-nul.xml", 1, "malformed XML"},
    {"bdf-function-out-of-range", NULL, NULL, "detach 0000:03:00.8", 2,
     "'0000:03:00.8' is not a PCI address"},
    {"bdf-bus-out-of-range", NULL, NULL, "detach 0000:100:00.0", 2,
     "'0000:100:00.0' is not a PCI address"},
    {"bdf-nonexistent", NULL, NULL, "detach 0000:09:00.0", 1, "0000:09:00.0: no such PCI device"},
    {"host-critical", NULL, NULL, "detach 0000:00:1f.2", 1,
     "0000:00:1f.2 (SATA controller, driver ahci) is host-critical (sda1 is mounted on /)"},
    {"outside-allowlist", allowlist, NULL, "detach 0000:03:00.0", 1,
     "0000:03:00.0 (Ethernet controller, driver e1000e) is not in the allowlist"},
    {"vf-setting-on-non-vf", NULL, NULL, "vf set 0000:03:00.0 spoofchk=off", 1,
     "0000:03:00.0: vf: not an SR-IOV virtual function"},
    {"multicast-mac", multicast_metadata, NULL, "parse --xml input/metadata-multicast-mac.xml", 1,
     "mac='01:00:5e:00:00:01'>: a VF needs a unicast, non-zero MAC address"},
    {"journal-corrupted", journal_corrupt, NULL, "detach 0000:03:00.0", 1,
     ".journal: line 3: bad escape"},
    {"journal-truncated", journal_truncated, NULL, "detach 0000:03:00.0", 1,
     ".journal: line 4: no end line (the file was cut short)"},
    {"journal-foreign-owner", journal_foreign, NULL, "detach 0000:03:00.0", 1,
     ".journal: not a regular file owned by uid 0"},
    {"state-dir-symlink", state_dir_symlink, "/run/linked", "detach 0000:03:00.0", 1,
     "run directory /run/linked: is a symlink"},
    {"state-dir-writable-by-others", state_dir_open, NULL, "detach 0000:03:00.0", 1,
     "run directory /run/vfiohook: owned by uid 0 with mode 777"},
};

TEST(hostile_table)
{
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                check_case(&cases[i]);
}
