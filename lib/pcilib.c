/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpci, for what sysfs does not spell out: names from pci.ids, and capabilities (SR-IOV, ACS,
 * FLR) from config space.
 *
 * libpci reads the files under the sysroot itself, not through our seam: it is the one accepted
 * exception, because its "sysfs.path" parameter is pointed at <sysroot>/sys/bus/pci, so it
 * never sees anything the seam would not.
 *
 * libpci's default error handler exits the process, and its header declares the handler
 * noreturn. Ours records the message and returns, so we only ask libpci about devices whose
 * sysfs files we have checked first: then its fatal paths are not reached.
 *
 * libpci parses all of pci.ids on its first lookup (7-9 ms, most of a listing's fixed cost), so
 * the names it gave are kept across runs in RUN_DIR/pci-names, valid while pci.ids and udev's
 * hwdb.bin are the files they were read from. An ID that file lacks is still asked of libpci.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pci/pci.h>

#include "pcilib.h"

typedef __typeof__(((struct pci_access *)0)->error) pci_error_fn;

/* One device's names, keyed by the IDs they were looked up with. */
struct name_entry {
        struct name_entry *next;
        uint16_t vendor;
        uint16_t device;
        uint16_t class;        /* base and sub class */
        struct pci_info names; /* only its names are set */
};

#define NAME_BUCKETS 64

/* The names cache's validity line: its format, libpci's version, and the files its names come
 * from (pci.ids, and the hwdb.bin paths sd-hwdb tries), each as device, inode, size and mtime. */
#define NAMES_KEY_MAX 1024

struct pci_lib {
        vfh_ctx *ctx;
        struct pci_access *pacc;
        char sysfs_path[4096];
        /* A listing names every device, and most share IDs. libpci asks udev's hwdb again for
         * every ID pci.ids lacks (without hwdb.bin, five failed opens each time). */
        struct name_entry *names[NAME_BUCKETS];
        bool names_file_tried;  /* the names cache was read (or found unusable) */
        bool names_file_usable; /* the run dir is ours: the cache can be written back */
        bool names_added;       /* libpci answered an ID the cache did not hold */
        char names_key[NAMES_KEY_MAX];
};

/* libpci's callbacks carry no user data: the session in use is remembered per thread. */
static _Thread_local vfh_ctx *current_ctx;

_printf_(2, 0) static void pcilib_report(int priority, const char *fmt, va_list ap)
{
        char msg[512];

        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (current_ctx)
                vfh_logf(current_ctx, priority, "libpci: %s", msg);
}

_printf_(1, 2) static void pcilib_error(char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        pcilib_report(LOG_WARNING, fmt, ap);
        va_end(ap);
}

_printf_(1, 2) static void pcilib_warning(char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        pcilib_report(LOG_DEBUG, fmt, ap);
        va_end(ap);
}

_printf_(1, 2) static void pcilib_debug(char *fmt, ...)
{
        (void)fmt;
}

/* ---- the names cache across runs ---- */

#define NAMES_FILE     "pci-names"
#define NAMES_FILE_MAX (256 * 1024)
#define NAMES_VERSION  1
/* "vvvv dddd cccc\t": the IDs of an entry line, before its three names. */
#define NAMES_IDS_LEN 15

/* sd-hwdb's search order (systemd's hwdb-internal.h): libpci asks it for IDs pci.ids lacks. */
static const char *const hwdb_paths[] = {
    "/etc/systemd/hwdb/hwdb.bin", "/etc/udev/hwdb.bin",     "/usr/lib/systemd/hwdb/hwdb.bin",
    "/lib/systemd/hwdb/hwdb.bin", "/usr/lib/udev/hwdb.bin", "/lib/udev/hwdb.bin"};

static struct name_entry **names_bucket(struct pci_lib *lib, uint16_t vendor, uint16_t device,
                                        uint16_t class)
{
        return &lib->names[(vendor ^ device * 7u ^ class * 13u) % NAME_BUCKETS];
}

static struct name_entry *names_find(struct pci_lib *lib, uint16_t vendor, uint16_t device,
                                     uint16_t class)
{
        for (struct name_entry *e = *names_bucket(lib, vendor, device, class); e; e = e->next)
                if (e->vendor == vendor && e->device == device && e->class == class)
                        return e;
        return NULL;
}

static struct name_entry *names_add(struct pci_lib *lib, uint16_t vendor, uint16_t device,
                                    uint16_t class)
{
        struct name_entry **bucket = names_bucket(lib, vendor, device, class);
        struct name_entry *e = calloc(1, sizeof(*e));

        if (!e)
                return NULL;
        e->vendor = vendor;
        e->device = device;
        e->class = class;
        e->next = *bucket;
        *bucket = e;
        return e;
}

static void names_clear(struct pci_lib *lib)
{
        for (size_t i = 0; i < NAME_BUCKETS; i++) {
                for (struct name_entry *e = lib->names[i], *next; e; e = next) {
                        next = e->next;
                        free(e);
                }
                lib->names[i] = NULL;
        }
}

/* A host path, not one under the sysroot: libpci and libudev open these themselves. A missing
 * file counts as zeros, so one that appears changes the key too. */
static size_t names_key_file(char *buf, size_t size, const char *path)
{
        struct stat st;
        int n;

        if (!path[0] || stat(path, &st) < 0)
                st = (struct stat){0};
        n = snprintf(buf, size, " %" PRIx64 ":%" PRIu64 ":%" PRId64 ":%" PRId64 ".%09ld",
                     (uint64_t)st.st_dev, (uint64_t)st.st_ino, (int64_t)st.st_size,
                     (int64_t)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
        return n < 0 || (size_t)n >= size ? size - 1 : (size_t)n;
}

/* The first line of a cache that holds for this session's files. The array sizes are in it
 * because a name is kept as libpci cut it to fit. */
static void names_key(struct pci_lib *lib)
{
        const struct pci_info *i = NULL;
        const char *ids = lib->pacc->id_file_name ? lib->pacc->id_file_name : "";
        char *k = lib->names_key, plain[PATH_MAX], gz[PATH_MAX + 3];
        size_t size = sizeof(lib->names_key), len = strlen(ids), n;

        n = (size_t)snprintf(k, size, "vfiohook-pci-names %d libpci %x names %zu %zu %zu",
                             NAMES_VERSION, (unsigned)PCI_LIB_VERSION, sizeof(i->class_name),
                             sizeof(i->vendor_name), sizeof(i->device_name));
        /* libpci opens "pci.ids.gz" and, when that fails, "pci.ids", whose name it then keeps:
         * both, however far this session's libpci got */
        if (len > 3 && strcmp(ids + len - 3, ".gz") == 0)
                len -= 3;
        snprintf(plain, sizeof(plain), "%.*s", (int)len, ids);
        snprintf(gz, sizeof(gz), "%s.gz", plain);
        n += names_key_file(k + n, size - n, gz);
        n += names_key_file(k + n, size - n, plain);
        for (size_t j = 0; j < ARRAY_SIZE(hwdb_paths); j++)
                n += names_key_file(k + n, size - n, hwdb_paths[j]);
        snprintf(k + n, size - n, "\n");
}

/*
 * The run dir when it exists and only we can write into it (lib/journal.c's rule for it). It is
 * not created here: a listing leaves a missing run dir missing (doctor and status read its
 * absence as "nothing ran since boot"); the first hook makes it.
 */
static int names_dir_open(vfh_ctx *ctx)
{
        _cleanup_close_ int fd =
            sysfs_open(ctx, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, "%s", ctx->run_dir);
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_uid != geteuid() || (st.st_mode & 022))
                return -EPERM;
        return TAKE_FD(fd);
}

/* The rule lib/config.c's check_trusted applies to the host configuration: a regular file of
 * root or the caller that nobody else may write. The names end up on the caller's terminal. */
static bool names_file_trusted(const struct stat *st)
{
        return S_ISREG(st->st_mode) && (st->st_uid == 0 || st->st_uid == geteuid()) &&
               !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* A name the file can hold: shorter than its array, and no control character (a tab would
 * split the line, and the name is printed to a terminal). */
static bool name_storable(const char *s, size_t len, size_t size)
{
        if (len >= size)
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

/* Four lowercase hex digits, as the file is written; -1 otherwise. */
static int hex4(const char *s)
{
        int v = 0;

        for (int i = 0; i < 4; i++) {
                int c = s[i];

                if (c >= '0' && c <= '9')
                        v = v * 16 + (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v = v * 16 + (c - 'a' + 10);
                else
                        return -1;
        }
        return v;
}

/* One "vvvv dddd cccc\tCLASS\tVENDOR\tDEVICE" line without its newline; false if malformed
 * or an ID seen before. */
static bool names_parse_line(struct pci_lib *lib, const char *line, size_t len)
{
        static const size_t sizes[] = {sizeof(((struct pci_info *)0)->class_name),
                                       sizeof(((struct pci_info *)0)->vendor_name),
                                       sizeof(((struct pci_info *)0)->device_name)};
        const char *field[3], *end = line + len;
        size_t field_len[3];
        int vendor, device, class;
        struct name_entry *e;

        if (len < NAMES_IDS_LEN || line[4] != ' ' || line[9] != ' ' || line[14] != '\t')
                return false;
        vendor = hex4(line);
        device = hex4(line + 5);
        class = hex4(line + 10);
        if (vendor < 0 || device < 0 || class < 0)
                return false;
        field[0] = line + NAMES_IDS_LEN;
        for (size_t i = 0; i < 3; i++) {
                const char *tab = memchr(field[i], '\t', (size_t)(end - field[i]));

                if ((i < 2) != (tab != NULL))
                        return false;
                field_len[i] = (size_t)((tab ? tab : end) - field[i]);
                if (!name_storable(field[i], field_len[i], sizes[i]))
                        return false;
                if (i < 2)
                        field[i + 1] = tab + 1;
        }
        /* pci_lib_class_name always gives a name ("class 0200" at worst) */
        if (field_len[0] == 0 ||
            names_find(lib, (uint16_t)vendor, (uint16_t)device, (uint16_t) class))
                return false;
        e = names_add(lib, (uint16_t)vendor, (uint16_t)device, (uint16_t) class);
        if (!e)
                return false;
        memcpy(e->names.class_name, field[0], field_len[0]);
        memcpy(e->names.vendor_name, field[1], field_len[1]);
        memcpy(e->names.device_name, field[2], field_len[2]);
        return true;
}

/* The key line, then entry lines; a file with any line out of place counts as no file. */
static bool names_parse(struct pci_lib *lib, const char *buf, size_t len)
{
        size_t key_len = strlen(lib->names_key);

        if (len < key_len || memcmp(buf, lib->names_key, key_len) != 0)
                return false;
        for (size_t at = key_len; at < len;) {
                const char *nl = memchr(buf + at, '\n', len - at);

                if (!nl || !names_parse_line(lib, buf + at, (size_t)(nl - (buf + at))))
                        return false;
                at = (size_t)(nl - buf) + 1;
        }
        return true;
}

/* Fills the session's names from the cache, or leaves them empty; never fails. */
static void names_file_load(struct pci_lib *lib)
{
        _cleanup_close_ int dirfd = -1, fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len;

        lib->names_file_tried = true;
        dirfd = names_dir_open(lib->ctx);
        if (dirfd < 0) {
                vfh_debug(lib->ctx, "pci names cache: no usable run dir %s: %s", lib->ctx->run_dir,
                          strerror(-dirfd));
                return;
        }
        lib->names_file_usable = true;
        names_key(lib);
        fd = openat(dirfd, NAMES_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                if (errno != ENOENT)
                        vfh_debug(lib->ctx, "pci names cache: cannot open it: %m");
                return;
        }
        if (fstat(fd, &st) < 0 || !names_file_trusted(&st) || st.st_size > NAMES_FILE_MAX) {
                vfh_debug(lib->ctx, "pci names cache: not a regular file of ours, writable by "
                                    "others or too large; ignored");
                return;
        }
        if (fd_read_all(fd, (size_t)st.st_size, NAMES_FILE_MAX, &buf, &len) < 0 ||
            !names_parse(lib, buf, len)) {
                names_clear(lib);
                vfh_debug(lib->ctx, "pci names cache: unreadable, stale or malformed; ignored");
        }
}

/* The key line and every entry the file can hold, within its size limit. */
static char *names_format(struct pci_lib *lib, size_t *ret_len)
{
        char *buf = malloc(NAMES_FILE_MAX);
        size_t len;

        if (!buf)
                return NULL;
        len = (size_t)snprintf(buf, NAMES_FILE_MAX, "%s", lib->names_key);
        for (size_t i = 0; i < NAME_BUCKETS; i++)
                for (const struct name_entry *e = lib->names[i]; e; e = e->next) {
                        const struct pci_info *p = &e->names;
                        int n;

                        if (!p->class_name[0] ||
                            !name_storable(p->class_name, strlen(p->class_name),
                                           sizeof(p->class_name)) ||
                            !name_storable(p->vendor_name, strlen(p->vendor_name),
                                           sizeof(p->vendor_name)) ||
                            !name_storable(p->device_name, strlen(p->device_name),
                                           sizeof(p->device_name)))
                                continue; /* asked of libpci again next time */
                        n = snprintf(buf + len, NAMES_FILE_MAX - len,
                                     "%04x %04x %04x\t%s\t%s\t%s\n", e->vendor, e->device, e->class,
                                     p->class_name, p->vendor_name, p->device_name);
                        if (n < 0 || (size_t)n >= NAMES_FILE_MAX - len)
                                goto full;
                        len += (size_t)n;
                }
full:
        *ret_len = len;
        return buf;
}

/* Writes the union of what the file held and what libpci answered, when libpci answered. A
 * reader sees the old file or the new one, never a part (rename); two writers: the last wins. */
static void names_file_save(struct pci_lib *lib)
{
        _cleanup_close_ int dirfd = -1;
        _cleanup_free_ char *text = NULL;
        char tmp[64];
        size_t len;
        int r;

        if (!lib->names_added || !lib->names_file_usable)
                return;
        dirfd = names_dir_open(lib->ctx);
        text = names_format(lib, &len);
        if (dirfd < 0 || !text)
                return;
        /* a name of its own: two listings may write at once, and the last rename wins */
        snprintf(tmp, sizeof(tmp), "." NAMES_FILE ".%ld.tmp", (long)getpid());
        r = file_replace_at(dirfd, NAMES_FILE, tmp, text, len, 0644, false);
        if (r < 0)
                vfh_debug(lib->ctx, "pci names cache: cannot write it: %s", strerror(-r));
}

int pci_lib_open(vfh_ctx *ctx, struct pci_lib **ret)
{
        _cleanup_free_ struct pci_lib *lib = calloc(1, sizeof(*lib));
        const char *root = strcmp(ctx->sysroot, "/") == 0 ? "" : ctx->sysroot;

        if (!lib)
                return -ENOMEM;
        lib->ctx = ctx;
        snprintf(lib->sysfs_path, sizeof(lib->sysfs_path), "%s/sys/bus/pci", root);
        current_ctx = ctx;
        lib->pacc = pci_alloc();
        if (!lib->pacc)
                return -ENOMEM;
        /* The noreturn in libpci's prototype is its default's promise, not a requirement we
         * can meet without longjmp; see the top comment. */
        lib->pacc->error = (pci_error_fn)(uintptr_t)pcilib_error;
        lib->pacc->warning = pcilib_warning;
        lib->pacc->debug = pcilib_debug;
        lib->pacc->method = PCI_ACCESS_SYS_BUS_PCI;
        pci_set_param(lib->pacc, "sysfs.path", lib->sysfs_path);
        pci_init(lib->pacc);
        *ret = TAKE_PTR(lib);
        return 0;
}

void pci_lib_close(struct pci_lib *lib)
{
        if (!lib)
                return;
        current_ctx = lib->ctx;
        names_file_save(lib);
        pci_cleanup(lib->pacc);
        names_clear(lib);
        free(lib);
}

/*
 * An ID missing from pci.ids is asked of udev's hwdb. Without hwdb.bin, libpci makes a new udev
 * context for every such ID and drops the previous one unfreed (five failed opens each, and a
 * leak that fails sanitizer builds). The first failure is the answer for the whole session.
 */
static void hwdb_settle(struct pci_lib *lib)
{
        if (lib->pacc->id_udev && !lib->pacc->id_udev_hwdb)
                pci_set_param(lib->pacc, "hwdb.disable", "1");
}

char *pci_lib_class_name(struct pci_lib *lib, uint32_t class, char *buf, size_t size)
{
        unsigned int base_sub = (class >> 8) & 0xffff;

        if (lib) {
                char *name;

                current_ctx = lib->ctx;
                name = pci_lookup_name(lib->pacc, buf, (int)size,
                                       PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS, base_sub);
                hwdb_settle(lib);
                if (name)
                        return buf;
        }
        snprintf(buf, size, "class %04x", base_sub);
        return buf;
}

static void lookup(struct pci_lib *lib, char *buf, size_t size, int flags, unsigned int vendor,
                   unsigned int device)
{
        if (!pci_lookup_name(lib->pacc, buf, (int)size, flags | PCI_LOOKUP_NO_NUMBERS, vendor,
                             device))
                buf[0] = '\0';
        hwdb_settle(lib);
}

static void copy_names(struct pci_info *dst, const struct pci_info *src)
{
        memcpy(dst->class_name, src->class_name, sizeof(dst->class_name));
        memcpy(dst->vendor_name, src->vendor_name, sizeof(dst->vendor_name));
        memcpy(dst->device_name, src->device_name, sizeof(dst->device_name));
}

static void lookup_names(struct pci_lib *lib, uint16_t vendor, uint16_t device, uint16_t class,
                         struct pci_info *ret)
{
        pci_lib_class_name(lib, (uint32_t) class << 8, ret->class_name, sizeof(ret->class_name));
        lookup(lib, ret->vendor_name, sizeof(ret->vendor_name), PCI_LOOKUP_VENDOR, vendor, 0);
        lookup(lib, ret->device_name, sizeof(ret->device_name), PCI_LOOKUP_DEVICE, vendor, device);
}

/* The names libpci gives for these IDs, looked up once per session, and across sessions
 * through the names cache. */
static void names_of(struct pci_lib *lib, uint16_t vendor, uint16_t device, uint16_t class,
                     struct pci_info *ret)
{
        struct name_entry *e;

        current_ctx = lib->ctx;
        if (!lib->names_file_tried)
                names_file_load(lib);
        e = names_find(lib, vendor, device, class);
        if (e) {
                copy_names(ret, &e->names);
                return;
        }
        lookup_names(lib, vendor, device, class, ret);
        lib->names_added = true;
        e = names_add(lib, vendor, device, class);
        if (e) /* else only the next lookup costs more */
                copy_names(&e->names, ret);
}

void pci_lib_names(struct pci_lib *lib, const struct pci_lib_ids *ids, struct pci_info *ret)
{
        *ret = (struct pci_info){0};
        names_of(lib, ids->vendor, ids->device, (uint16_t)(ids->class >> 8), ret);
}

/* libpci reads these files without asking; make sure they are there (see the top comment). */
static bool device_files_present(vfh_ctx *ctx, const char *name)
{
        static const char *const files[] = {"vendor", "device", "class", "config"};

        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                if (!sysfs_exists(ctx, "/sys/bus/pci/devices/%s/%s", name, files[i]))
                        return false;
        return true;
}

static bool has_flr(struct pci_dev *d)
{
        struct pci_cap *exp = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
        struct pci_cap *af = pci_find_cap(d, PCI_CAP_ID_AF, PCI_CAP_NORMAL);

        if (exp && (pci_read_long(d, exp->addr + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLRESET))
                return true;
        return af && (pci_read_byte(d, af->addr + PCI_AF_CAP) & PCI_AF_CAP_FLR);
}

/* Names and capabilities of a device libpci can read; ids, when given, are what sysfs already
 * said, so libpci opens only config space (it would read them from the same sysfs files). */
static int info_of(struct pci_lib *lib, const struct pci_addr *addr, const struct pci_lib_ids *ids,
                   struct pci_info *ret)
{
        struct pci_dev *d =
            pci_get_dev(lib->pacc, addr->domain, addr->bus, addr->slot, addr->function);

        if (!d)
                return -ENOMEM;
        if (ids) {
                d->vendor_id = ids->vendor;
                d->device_id = ids->device;
                d->device_class = (uint16_t)(ids->class >> 8);
                d->known_fields |= PCI_FILL_IDENT | PCI_FILL_CLASS;
        }
        pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
        names_of(lib, d->vendor_id, d->device_id, d->device_class, ret);
        ret->cap_sriov = pci_find_cap(d, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED) != NULL;
        ret->cap_acs = pci_find_cap(d, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED) != NULL;
        ret->cap_flr = has_flr(d);
        pci_free_dev(d);
        return 0;
}

int pci_lib_info(struct pci_lib *lib, const struct pci_addr *addr, struct pci_info *ret)
{
        char name[PCI_ADDR_STRLEN];

        *ret = (struct pci_info){0};
        current_ctx = lib->ctx;
        pci_addr_format(addr, name);
        if (!device_files_present(lib->ctx, name))
                return -ENODEV;
        return info_of(lib, addr, NULL, ret);
}

int pci_lib_info_ids(struct pci_lib *lib, const struct pci_addr *addr,
                     const struct pci_lib_ids *ids, struct pci_info *ret)
{
        *ret = (struct pci_info){0};
        if (!ids->config_present)
                return -ENODEV;
        current_ctx = lib->ctx;
        return info_of(lib, addr, ids, ret);
}

#ifdef VFH_TEST_BUILD
void pci_lib_set_ids_file(struct pci_lib *lib, const char *path)
{
        char *copy = strdup(path);

        if (copy)
                pci_set_name_list_path(lib->pacc, copy, 1);
}

bool pci_lib_ids_loaded(const struct pci_lib *lib)
{
        /* id_load_failed is set while libpci loads and cleared once it has */
        return lib->pacc->id_hash || lib->pacc->id_load_failed;
}
#endif
