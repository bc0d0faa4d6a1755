/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The names cache across runs (RUN_DIR/pci-names): a warm session answers without libpci
 * loading pci.ids, with the names a cold one gives; a stale, untrusted or malformed file is
 * ignored, and a missing or foreign run dir only costs the cache.
 *
 * libpci reads a pci.ids of the test's own (a test-build seam), so a test can change it in
 * place where the cache's key does not look and see which of the two answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcilib.h"
#include "support.h"

#ifdef VFH_TEST_BUILD

#define IDS_TEXT                                                                                   \
        "# vfiohook test pci.ids\n"                                                                \
        "8086  Intel Corporation\n"                                                                \
        "\t10fb  82599ES 10-Gigabit SFI/SFP+ Network Connection\n"                                 \
        "\t1521  I350 Gigabit Network Connection\n"                                                \
        "144d  Samsung Electronics Co Ltd\n"                                                       \
        "\ta808  NVMe SSD Controller SM981/PM981/PM983\n"                                          \
        "C 01  Mass storage controller\n"                                                          \
        "\t08  Non-Volatile memory controller\n"                                                   \
        "C 02  Network controller\n"                                                               \
        "\t00  Ethernet controller\n"

#define CACHE_REL "run/vfiohook/pci-names"

struct ask {
        uint16_t vendor, device;
        uint32_t class;
};

/* Two known to the test's pci.ids, and two it lacks: empty vendor and device names, then a
 * class too ("class ff00"); what udev's hwdb says of them on the host is what a cold lookup
 * says too. (In that order: libpci asks hwdb once per ID it lacks, and on a host without
 * hwdb.bin, a class asked twice in one lookup leaks the first udev context; pcilib.c's
 * hwdb_settle stops that after the first failed lookup.) */
static const struct ask asks[] = {{0x8086, 0x10fb, 0x020000},
                                  {0x144d, 0xa808, 0x010802},
                                  {0x1b36, 0x0001, 0x020000},
                                  {0x1b36, 0x0002, 0xff0000}};
#define N_ASKS ARRAY_SIZE(asks)

/* A pci.ids in a directory of its own (a host path: libpci does not read it under the
 * sysroot). */
static const char *ids_file(void)
{
        static char paths[8][PATH_MAX];
        static size_t n;
        char *path = paths[n++ % ARRAY_SIZE(paths)];

        snprintf(path, PATH_MAX, "%s/pci.ids", test_tmpdir());
        test_write_file("/", path + 1, IDS_TEXT);
        return path;
}

static const char *host_with_run_dir(void)
{
        const char *root = test_tmpdir();

        test_mkdir(root, "sys/bus/pci/devices");
        test_mkdir(root, "run/vfiohook");
        return root;
}

/* One session asking the first n of asks (n may exceed N_ASKS by one: 8086:1521, which the
 * cold sessions never ask); true when libpci loaded its ID list. */
#define ASK_EXTRA (N_ASKS + 1)
static bool session(const char *root, const char *ids, size_t n, struct pci_info *out)
{
        static const struct ask extra = {0x8086, 0x1521, 0x020000};
        vfh_ctx *ctx = test_ctx_at(root);
        struct pci_lib *lib = NULL;
        bool loaded;

        if (pci_lib_open(ctx, &lib) < 0)
                abort();
        pci_lib_set_ids_file(lib, ids);
        for (size_t i = 0; i < n; i++) {
                const struct ask *a = i < N_ASKS ? &asks[i] : &extra;
                struct pci_lib_ids q = {a->vendor, a->device, a->class, true};

                pci_lib_names(lib, &q, &out[i]);
        }
        loaded = pci_lib_ids_loaded(lib);
        pci_lib_close(lib);
        vfh_ctx_unref(ctx);
        return loaded;
}

static void check_same_names(const struct pci_info *got, const struct pci_info *want, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                CHECK_STR(got[i].class_name, want[i].class_name);
                CHECK_STR(got[i].vendor_name, want[i].vendor_name);
                CHECK_STR(got[i].device_name, want[i].device_name);
        }
}

/* The names with no cache at all: a host without a run dir. */
static void cold_names(const char *ids, size_t n, struct pci_info *out)
{
        const char *root = test_tmpdir();

        char run[PATH_MAX];

        test_mkdir(root, "sys/bus/pci/devices");
        CHECK(session(root, ids, n, out));
        snprintf(run, sizeof(run), "%s/run", root);
        CHECK(access(run, F_OK) < 0);
}

static char *read_text(const char *root, const char *rel)
{
        static char buf[512 * 1024];
        char path[PATH_MAX];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        fd = open(path, O_RDONLY);
        buf[0] = '\0';
        if (fd < 0)
                return buf;
        n = read(fd, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        close(fd);
        return buf;
}

static size_t count_lines(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += *s == '\n';
        return n;
}

/* Rewrites bytes of the file in place and puts its mtime back: size, inode and mtime, all the
 * key looks at, stay the same, and a libpci that loads it would answer differently. */
static void change_unseen(const char *path, const char *from, const char *to)
{
        struct stat st;
        struct timespec times[2];
        char *text = read_text("/", path + 1), *at = strstr(text, from);
        int fd;

        CHECK(at && strlen(from) == strlen(to));
        if (!at)
                return;
        memcpy(at, to, strlen(to));
        CHECK_INT(stat(path, &st), 0);
        fd = open(path, O_WRONLY);
        CHECK_INT(pwrite(fd, text, strlen(text), 0), (long long)strlen(text));
        close(fd);
        times[0] = st.st_atim;
        times[1] = st.st_mtim;
        CHECK_INT(utimensat(AT_FDCWD, path, times, 0), 0);
}

TEST(a_warm_session_answers_from_the_cache_without_pci_ids)
{
        const char *ids = ids_file(), *root = host_with_run_dir();
        struct pci_info cold[N_ASKS + 1], got[N_ASKS + 1], again[N_ASKS + 1];
        struct stat st;
        char path[PATH_MAX];

        cold_names(ids, ASK_EXTRA, cold);
        CHECK_STR(cold[0].class_name, "Ethernet controller");
        CHECK_STR(cold[0].vendor_name, "Intel Corporation");
        CHECK_STR(cold[1].device_name, "NVMe SSD Controller SM981/PM981/PM983");

        CHECK(session(root, ids, N_ASKS, got));
        check_same_names(got, cold, N_ASKS);
        snprintf(path, sizeof(path), "%s/" CACHE_REL, root);
        CHECK_INT(stat(path, &st), 0);
        /* what the next session's check accepts, whatever the umask took away */
        CHECK(S_ISREG(st.st_mode) && (st.st_mode & S_IRUSR) && !(st.st_mode & (S_IWGRP | S_IWOTH)));
        CHECK(strncmp(read_text(root, CACHE_REL), "vfiohook-pci-names 1 ", 21) == 0);
        CHECK_INT(count_lines(read_text(root, CACHE_REL)), 1 + N_ASKS);

        /* what a libpci that loaded pci.ids now would say differs: the cache answers */
        change_unseen(ids, "Intel Corporation", "Intel Corporatiox");
        change_unseen(ids, "Ethernet controller", "Ethernet controllex");
        CHECK(!session(root, ids, N_ASKS, got));
        check_same_names(got, cold, N_ASKS);

        /* an ID the cache lacks is asked of libpci, and the file then holds both */
        CHECK(session(root, ids, ASK_EXTRA, again));
        check_same_names(again, cold, N_ASKS);
        CHECK_STR(again[N_ASKS].device_name, "I350 Gigabit Network Connection");
        /* libpci read the file as it is now: the cache is per vendor, device and class */
        CHECK_STR(again[N_ASKS].vendor_name, "Intel Corporatiox");
        CHECK_INT(count_lines(read_text(root, CACHE_REL)), 1 + N_ASKS + 1);
        CHECK(!session(root, ids, ASK_EXTRA, got));
        check_same_names(got, again, ASK_EXTRA);
}

TEST(a_changed_pci_ids_makes_the_cache_stale)
{
        const char *ids = ids_file(), *root = host_with_run_dir();
        struct pci_info cold[N_ASKS], got[N_ASKS];
        char key[1024];
        struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {0}};

        CHECK(session(root, ids, N_ASKS, cold));
        snprintf(key, sizeof(key), "%s", read_text(root, CACHE_REL));
        CHECK(strchr(key, '\n'));
        key[strcspn(key, "\n")] = '\0';

        /* the same text with another mtime: the key sees only the file's identity */
        CHECK_INT(clock_gettime(CLOCK_REALTIME, &times[1]), 0);
        times[1].tv_sec += 100;
        CHECK_INT(utimensat(AT_FDCWD, ids, times, 0), 0);
        CHECK(session(root, ids, N_ASKS, got));
        check_same_names(got, cold, N_ASKS);
        CHECK(strncmp(read_text(root, CACHE_REL), key, strlen(key)) != 0);
        CHECK(!session(root, ids, N_ASKS, got));

        /* a new pci.ids (another size, other names) is read, and the file follows it */
        test_write_file("/", ids + 1, "%s", IDS_TEXT "1b36  Red Hat, Inc.\n");
        CHECK(session(root, ids, N_ASKS, got));
        CHECK_STR(got[2].vendor_name, "Red Hat, Inc.");
        CHECK_STR(got[3].vendor_name, "Red Hat, Inc.");
        CHECK(!session(root, ids, N_ASKS, got));
        CHECK_STR(got[3].vendor_name, "Red Hat, Inc.");
        CHECK_STR(got[0].vendor_name, "Intel Corporation");
}

/* A crafted cache behind this session's key: its first line is taken from a real one. */
struct crafted {
        const char *root, *ids;
        char key[1024];
        struct pci_info cold[N_ASKS];
};

static void crafted_init(struct crafted *c)
{
        char *nl;

        c->ids = ids_file();
        c->root = host_with_run_dir();
        CHECK(session(c->root, c->ids, N_ASKS, c->cold));
        snprintf(c->key, sizeof(c->key), "%s", read_text(c->root, CACHE_REL));
        nl = strchr(c->key, '\n');
        CHECK(nl);
        if (nl)
                nl[1] = '\0';
}

static void crafted_write(const struct crafted *c, const char *body, size_t len, mode_t mode)
{
        char path[PATH_MAX];
        int fd;

        snprintf(path, sizeof(path), "%s/" CACHE_REL, c->root);
        unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        CHECK(fd >= 0);
        CHECK_INT(write(fd, c->key, strlen(c->key)), (long long)strlen(c->key));
        CHECK_INT(write(fd, body, len), (long long)len);
        CHECK_INT(fchmod(fd, mode), 0);
        close(fd);
}

#define FAKE "8086 10fb 0200\tFake class\tFake vendor\tFake device\n"

/* The session answers from the crafted file (true) or ignores it: then libpci answers, the
 * names are the cold ones and the file is written again without the crafted names. */
static bool crafted_used(const struct crafted *c)
{
        struct pci_info got[N_ASKS];

        if (!session(c->root, c->ids, 1, got)) {
                CHECK_STR(got[0].vendor_name, "Fake vendor");
                return true;
        }
        check_same_names(got, c->cold, 1);
        CHECK(!strstr(read_text(c->root, CACHE_REL), "Fake"));
        return false;
}

static void crafted_check(const struct crafted *c, const char *body, size_t len, mode_t mode,
                          bool used)
{
        crafted_write(c, body, len, mode);
        if (crafted_used(c) != used) {
                fprintf(stderr, "  the cache %s was %s\n", body, used ? "ignored" : "used");
                test_failures++;
        }
}

#define CRAFTED(c, body, mode, used) crafted_check(c, body, sizeof(body) - 1, mode, used)

TEST(a_cache_others_could_write_or_a_malformed_one_is_ignored)
{
        struct crafted c;
        char path[PATH_MAX], real[PATH_MAX + 8], saved_key[sizeof(c.key)], *big;
        size_t len = 0;

        crafted_init(&c);
        CRAFTED(&c, FAKE, 0644, true); /* the crafted file is good: the rest can fail */
        CRAFTED(&c, FAKE, 0600, true);
        CRAFTED(&c, FAKE "144d a808 0108\tNon-Volatile memory controller\t\t\n", 0644, true);
        CRAFTED(&c, FAKE, 0664, false);
        CRAFTED(&c, FAKE, 0646, false);
        CRAFTED(&c, "8086 10fb 0200\tFake class\tFake vendor\tFake \033[2Jdevice\n", 0644, false);
        CRAFTED(&c, "8086 10fb 0200\tFake class\tFake vendor\tFake device\r\n", 0644, false);
        CRAFTED(&c, "8086 10fb 0200\tFake class\tFake vendor\tFake device", 0644, false);
        CRAFTED(&c, FAKE "144d a808 0108\tNon-Vol", 0644, false);
        CRAFTED(&c, "8086 10FB 0200\tFake class\tFake vendor\tFake device\n", 0644, false);
        CRAFTED(&c, "8086 10fb 200\tFake class\tFake vendor\tFake device\n", 0644, false);
        CRAFTED(&c, "8086 10fb 0200\tFake class\tFake vendor\n", 0644, false);
        CRAFTED(&c, "8086 10fb 0200\tFake class\tFake vendor\tFake device\tmore\n", 0644, false);
        CRAFTED(&c, "8086 10fb 0200\t\tFake vendor\tFake device\n", 0644, false);
        CRAFTED(&c, FAKE FAKE, 0644, false);
        CRAFTED(&c, FAKE "\n", 0644, false);

        /* a vendor name one byte longer than struct pci_info holds */
        big = calloc(1, 512 * 1024);
        len = (size_t)sprintf(big, "8086 10fb 0200\tFake class\t");
        memset(big + len, 'v', 128);
        len += 128;
        len += (size_t)sprintf(big + len, "\tFake device\n");
        crafted_check(&c, big, len, 0644, false);
        crafted_check(&c, big, strlen("8086 10fb 0200\tFake class\t"), 0644, false); /* cut */

        /* larger than the 256 KiB limit, every line good */
        len = (size_t)sprintf(big, FAKE);
        for (unsigned int id = 0; len < 260 * 1024; id++)
                len += (size_t)sprintf(big + len, "%04x %04x 0200\tc\tv\t%0100d\n",
                                       0x1000 + id / 64, id % 64, 0);
        crafted_check(&c, big, len, 0644, false);
        free(big);

        /* another key: a stale file */
        memcpy(saved_key, c.key, sizeof(saved_key));
        if (strlen(c.key) > 2)
                c.key[strlen(c.key) - 2]++;
        CRAFTED(&c, FAKE, 0644, false);
        memcpy(c.key, saved_key, sizeof(saved_key));

        /* owned by someone else, or a symlink to a good file */
        snprintf(path, sizeof(path), "%s/" CACHE_REL, c.root);
        crafted_write(&c, FAKE, sizeof(FAKE) - 1, 0644);
        if (geteuid() == 0) {
                CHECK_INT(chown(path, 65534, 65534), 0);
                CHECK(!crafted_used(&c));
        }
        crafted_write(&c, FAKE, sizeof(FAKE) - 1, 0644);
        snprintf(real, sizeof(real), "%s/run/vfiohook/real", c.root);
        CHECK_INT(rename(path, real), 0);
        CHECK_INT(symlink("real", path), 0);
        CHECK(!crafted_used(&c));
        /* and the good file is still taken after all that */
        CRAFTED(&c, FAKE, 0644, true);
}

TEST(names_a_file_cannot_hold_are_asked_of_libpci_each_time)
{
        const char *root = host_with_run_dir(), *ids = ids_file();
        struct pci_info got[N_ASKS];

        test_write_file("/", ids + 1, "%s", IDS_TEXT "1b36  Red \033[31mHat\n");
        CHECK(session(root, ids, N_ASKS, got));
        CHECK_STR(got[2].vendor_name, "Red \033[31mHat");
        CHECK(!strstr(read_text(root, CACHE_REL), "Hat"));
        CHECK(strstr(read_text(root, CACHE_REL), "Samsung Electronics Co Ltd"));
        CHECK(session(root, ids, N_ASKS, got));
        CHECK_STR(got[3].vendor_name, "Red \033[31mHat");
        CHECK(!session(root, ids, 2, got));
}

TEST(without_a_run_dir_of_ours_names_are_still_right)
{
        const char *ids = ids_file(), *root = test_tmpdir();
        struct pci_info cold[N_ASKS], got[N_ASKS];
        char path[PATH_MAX], real[PATH_MAX + 8], ids_dir[PATH_MAX];
        pid_t pid;
        int status, failures;

        cold_names(ids, N_ASKS, cold);

        /* missing: a listing does not create it ("nothing ran since boot") */
        test_mkdir(root, "sys/bus/pci/devices");
        test_mkdir(root, "run");
        CHECK(session(root, ids, N_ASKS, got));
        check_same_names(got, cold, N_ASKS);
        snprintf(path, sizeof(path), "%s/run/vfiohook", root);
        CHECK(access(path, F_OK) < 0 && errno == ENOENT);

        /* writable by others, or a symlink: not ours to trust */
        test_mkdir(root, "run/vfiohook");
        CHECK_INT(chmod(path, 0777), 0);
        CHECK(session(root, ids, N_ASKS, got));
        CHECK(session(root, ids, N_ASKS, got));
        check_same_names(got, cold, N_ASKS);
        snprintf(path, sizeof(path), "%s/" CACHE_REL, root);
        CHECK(access(path, F_OK) < 0);
        snprintf(path, sizeof(path), "%s/run/vfiohook", root);
        snprintf(real, sizeof(real), "%s.real", path);
        CHECK_INT(chmod(path, 0755), 0);
        CHECK_INT(rename(path, real), 0);
        test_symlink(root, "run/vfiohook", "vfiohook.real");
        CHECK(session(root, ids, N_ASKS, got));
        CHECK(session(root, ids, N_ASKS, got));
        check_same_names(got, cold, N_ASKS);
        snprintf(path, sizeof(path), "%s/run/vfiohook.real/pci-names", root);
        CHECK(access(path, F_OK) < 0);

        /* a caller that is not root, on root's run dir with root's cache in it */
        if (geteuid() != 0)
                return;
        snprintf(path, sizeof(path), "%s/run/vfiohook", root);
        CHECK_INT(unlink(path), 0);
        test_mkdir(root, "run/vfiohook");
        CHECK(session(root, ids, N_ASKS, got));
        CHECK(!session(root, ids, N_ASKS, got));
        snprintf(ids_dir, sizeof(ids_dir), "%.*s", (int)(strrchr(ids, '/') - ids), ids);
        CHECK_INT(chmod(root, 0755), 0);
        CHECK_INT(chmod(ids_dir, 0755), 0);
        failures = test_failures;
        pid = fork();
        if (pid == 0) {
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(2);
                /* root's run dir is not ours: libpci answers */
                if (!session(root, ids, N_ASKS, got))
                        _exit(3);
                check_same_names(got, cold, N_ASKS);
                _exit(test_failures != failures ? 1 : 0);
        }
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK_INT(status, 0);
}

#else

TEST(names_cache_needs_a_test_build)
{
        printf("SKIP: pointing libpci at a test pci.ids needs a VFH_TEST_BUILD\n");
}

#endif
