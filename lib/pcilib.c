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
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct pci_lib {
        vfh_ctx *ctx;
        struct pci_access *pacc;
        char sysfs_path[4096];
        /* A listing names every device, and most share IDs. libpci asks udev's hwdb again for
         * every ID pci.ids lacks (without hwdb.bin, five failed opens each time). */
        struct name_entry *names[NAME_BUCKETS];
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
        pci_cleanup(lib->pacc);
        for (size_t i = 0; i < NAME_BUCKETS; i++)
                for (struct name_entry *e = lib->names[i], *next; e; e = next) {
                        next = e->next;
                        free(e);
                }
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

/* The names libpci gives for these IDs, looked up once per session. */
static void names_of(struct pci_lib *lib, uint16_t vendor, uint16_t device, uint16_t class,
                     struct pci_info *ret)
{
        struct name_entry **bucket =
            &lib->names[(vendor ^ device * 7u ^ class * 13u) % NAME_BUCKETS];
        struct name_entry *e;

        current_ctx = lib->ctx;
        for (e = *bucket; e; e = e->next)
                if (e->vendor == vendor && e->device == device && e->class == class) {
                        copy_names(ret, &e->names);
                        return;
                }
        lookup_names(lib, vendor, device, class, ret);
        e = malloc(sizeof(*e));
        if (!e)
                return; /* only the next lookup costs more */
        *e = (struct name_entry){
            .next = *bucket, .vendor = vendor, .device = device, .class = class};
        copy_names(&e->names, ret);
        *bucket = e;
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
