/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * doctor: the devices. SR-IOV PFs, which groups can go to a guest and why the others cannot,
 * why several devices share a group (no ACS on their path), devices on vfio-pci that nobody
 * accounts for, and journals whose owner is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"
#include "group.h"
#include "journal.h"
#include "xml_util.h"

#define LIBVIRT_QEMU_RUN "/run/libvirt/qemu"

/* A growing list of "ADDRESS OWNER" strings: who accounts for a device on vfio-pci. */
struct claims {
        char **dev;
        char **owner;
        size_t n;
};

static void claims_clear(struct claims *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->dev[i]);
                free(c->owner[i]);
        }
        free(c->dev);
        free(c->owner);
        *c = (struct claims){0};
}

static int claims_add(struct claims *c, const char *dev, const char *owner)
{
        char **d = realloc(c->dev, (c->n + 1) * sizeof(*d)), **o;

        if (!d)
                return -ENOMEM;
        c->dev = d;
        o = realloc(c->owner, (c->n + 1) * sizeof(*o));
        if (!o)
                return -ENOMEM;
        c->owner = o;
        c->dev[c->n] = strdup(dev);
        c->owner[c->n] = strdup(owner);
        if (!c->dev[c->n] || !c->owner[c->n]) {
                free(c->dev[c->n]);
                free(c->owner[c->n]);
                return -ENOMEM;
        }
        c->n++;
        return 0;
}

static const char *claims_find(const struct claims *c, const char *dev)
{
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->dev[i], dev) == 0)
                        return c->owner[i];
        return NULL;
}

/* ---- SR-IOV ---- */

static void check_pf(const struct pci_dev *d, struct doctor_report *report)
{
        char net[PCI_IFNAME_MAX + 8] = "";
        char fix[160];

        if (d->n_netdevs)
                snprintf(net, sizeof(net), ", %s", d->netdevs[0]);
        if (!d->driver[0]) {
                doctor_add(report, "sriov", d->name, DOCTOR_WARN,
                           "bind the PF to its network driver; VFs need it",
                           "SR-IOV PF without a driver: %u of %u VFs enabled", d->sriov_numvfs,
                           d->sriov_totalvfs);
                return;
        }
        snprintf(fix, sizeof(fix),
                 "vfiohookctl sriov %s N, or a hostdev pool network whose "
                 "<vfh:pool numvfs='N'/> asks for them",
                 d->n_netdevs ? d->netdevs[0] : d->name);
        doctor_add(report, "sriov", d->name, DOCTOR_INFO, d->sriov_numvfs ? NULL : fix,
                   "SR-IOV PF (%s%s): %u of %u VFs enabled", d->driver, net, d->sriov_numvfs,
                   d->sriov_totalvfs);
}

static void check_sriov(vfh_ctx *ctx, struct doctor_report *report)
{
        _cleanup_free_ struct pci_addr *all = NULL;
        size_t n = 0;

        if (pci_list_all(ctx, &all, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                struct pci_dev d;

                if (pci_dev_load(ctx, &all[i], &d) == 0 && d.has_sriov && !d.is_vf)
                        check_pf(&d, report);
        }
}

/* ---- groups ---- */

static size_t count_endpoints(const struct pci_group *grp)
{
        size_t n = 0;

        for (size_t i = 0; i < grp->n_members; i++)
                n += !pci_dev_is_bridge(&grp->members[i]);
        return n;
}

/* "0000:03:00.0 (e1000e), 0000:03:00.1 (no driver)" */
static void describe_members(const struct pci_group *grp, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < grp->n_members && len < size; i++) {
                const struct pci_dev *d = &grp->members[i];

                len += (size_t)snprintf(buf + len, size - len, "%s%s (%s)", i ? ", " : "", d->name,
                                        pci_dev_is_bridge(d) ? "bridge"
                                        : d->driver[0]       ? d->driver
                                                             : "no driver");
        }
}

static void check_group(vfh_ctx *ctx, const struct doctor_opts *opts, const struct pci_group *grp,
                        struct doctor_report *report)
{
        struct group_opts gopts = {.config = opts->config};
        char subject[32], members[384], why[256];

        snprintf(subject, sizeof(subject), "group %d", grp->number);
        describe_members(grp, members, sizeof(members));
        if (group_is_viable(ctx, grp, why, sizeof(why))) {
                doctor_add(report, "groups", subject, DOCTOR_OK, NULL,
                           "viable now, every endpoint is on a VFIO driver or unbound: %s",
                           members);
                return;
        }
        if (group_check(ctx, grp, &gopts, NULL) == 0)
                doctor_add(report, "groups", subject, DOCTOR_OK, NULL,
                           "can be passed through; the hooks detach it when a guest starts "
                           "(not viable now: %s): %s",
                           why, members);
        else
                doctor_add(report, "groups", subject, DOCTOR_INFO, NULL,
                           "cannot be passed through: %s", vfh_ctx_last_error(ctx));
}

/* The PCI devices above name in the topology ("0000:00:1c.0" …), from its sysfs link. */
static size_t upstream_of(vfh_ctx *ctx, const char *name, struct pci_addr *up, size_t max)
{
        char target[PATH_MAX], *save = NULL;
        size_t n = 0;

        if (sysfs_readlink(ctx, target, sizeof(target), "/sys/bus/pci/devices/%s", name) < 0)
                return 0;
        for (char *comp = strtok_r(target, "/", &save); comp && n < max;
             comp = strtok_r(NULL, "/", &save)) {
                struct pci_addr a;

                if (strcmp(comp, name) != 0 && strlen(comp) == PCI_ADDR_STRLEN - 4 &&
                    pci_addr_parse(comp, &a) == 0)
                        up[n++] = a;
        }
        return n;
}

/* Bridges on the members' paths that have no ACS capability, as "0000:00:1c.0 0000:…". */
static void bridges_without_acs(vfh_ctx *ctx, struct pci_lib *lib, const struct pci_group *grp,
                                char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < grp->n_members; i++) {
                struct pci_addr up[16];
                size_t n = upstream_of(ctx, grp->members[i].name, up, ARRAY_SIZE(up));

                for (size_t k = 0; k < n && len < size; k++) {
                        struct pci_info info = {0};
                        char a[PCI_ADDR_STRLEN];

                        pci_addr_format(&up[k], a);
                        if (strstr(buf, a) ||
                            (lib && pci_lib_info(lib, &up[k], &info) == 0 && info.cap_acs))
                                continue;
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "", a);
                }
        }
}

static void check_acs(vfh_ctx *ctx, struct pci_lib *lib, const struct pci_group *grp,
                      struct doctor_report *report)
{
        char subject[32], members[384], bridges[256];

        if (count_endpoints(grp) < 2)
                return;
        snprintf(subject, sizeof(subject), "group %d", grp->number);
        describe_members(grp, members, sizeof(members));
        bridges_without_acs(ctx, lib, grp, bridges, sizeof(bridges));
        doctor_add(report, "acs", subject, DOCTOR_INFO,
                   "pass the whole group to one guest, or move the card to a slot whose root "
                   "port has ACS (lspci -vv: 'Access Control Services')",
                   "%zu devices share this group and go to a guest together: %s; %s%s",
                   count_endpoints(grp), members,
                   bridges[0] ? "no ACS on their path at " : "functions of one device without ACS",
                   bridges);
}

static void check_groups(vfh_ctx *ctx, const struct doctor_opts *opts, struct doctor_report *report)
{
        _cleanup_pci_lib_ struct pci_lib *lib = NULL;
        _cleanup_free_ int *numbers = NULL;
        static struct pci_group grp; /* 64 members: too big for the stack */
        size_t n = 0;

        if (group_list_numbers(ctx, &numbers, &n) < 0)
                return;
        if (pci_lib_open(ctx, &lib) < 0)
                lib = NULL;
        for (size_t i = 0; i < n; i++) {
                if (group_load(ctx, numbers[i], &grp) < 0 || count_endpoints(&grp) == 0)
                        continue;
                check_group(ctx, opts, &grp, report);
                check_acs(ctx, lib, &grp, report);
        }
}

/* ---- who accounts for devices on vfio-pci ---- */

static bool is_vfio_driver(const char *driver)
{
        size_t len = strlen(driver);

        return strcmp(driver, "vfio-pci") == 0 ||
               (len > 9 && (strcmp(driver + len - 9, "_vfio_pci") == 0 ||
                            strcmp(driver + len - 9, "-vfio-pci") == 0));
}

/* The PCI hostdevs of one running domain, from libvirt's status file. */
static int claims_from_status(vfh_ctx *ctx, const char *file, struct claims *c)
{
        static const char *const expr =
            "//domain/devices/hostdev[@type='pci']/source/address | "
            "//domain/devices/interface[@type='hostdev']/source/address";
        _cleanup_(xml_doc_freep) struct xml_doc *d = NULL;
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObject *o = NULL;
        _cleanup_close_ int fd = sysfs_open(ctx, O_RDONLY, LIBVIRT_QEMU_RUN "/%s", file);
        _cleanup_free_ char *xml = NULL;
        char owner[JOURNAL_NAME_MAX + 32];
        size_t len = 0;
        int r;

        if (fd < 0)
                return fd;
        if ((r = vfh_xml_read_fd(fd, &xml, &len)) < 0 ||
            (r = xml_doc_read(ctx, "libvirt domain status", xml, len, &d)) < 0 ||
            (r = xml_find(d, xmlDocGetRootElement(d->doc), expr, &o)) < 0)
                return r;
        snprintf(owner, sizeof(owner), "libvirt domain '%.*s'", (int)(strlen(file) - 4), file);
        for (int i = 0; i < xml_count(o); i++) {
                struct pci_addr a;
                char name[PCI_ADDR_STRLEN];

                if (xml_pci_address(d, xml_item(o, i), &a) == 0 &&
                    (r = claims_add(c, pci_addr_format(&a, name), owner)) < 0)
                        return r;
        }
        return 0;
}

static int claims_from_libvirt(vfh_ctx *ctx, struct claims *c)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        if (sysfs_opendir(ctx, &d, LIBVIRT_QEMU_RUN) < 0)
                return 0; /* libvirt never ran a guest since boot */
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);

                if (len <= 4 || strcmp(de->d_name + len - 4, ".xml") != 0)
                        continue;
                r = claims_from_status(ctx, de->d_name, c);
                if (r == -ENOMEM)
                        return r; /* an unreadable status file only loses its claims */
        }
        return 0;
}

/* ---- journals ---- */

static int claims_from_journal(const struct journal *j, struct claims *c)
{
        char owner[JOURNAL_NAME_MAX + 48];

        snprintf(owner, sizeof(owner), "the journal of %s '%s'", journal_owner_kind_name(j->kind),
                 j->name);
        for (size_t i = 0; i < j->n_records; i++) {
                const struct journal_record *rec = &j->records[i];
                /* A pool's port records name the VF a guest got by address, not as a claim
                 * (the qemu hook must not be refused the VF its pool handed out). */
                const char *dev =
                    journal_record_get(rec, strcmp(rec->type, "port") == 0 ? "address" : "device");
                int r;

                if (dev && (r = claims_add(c, dev, owner)) < 0)
                        return r;
        }
        return 0;
}

static void report_journal(vfh_ctx *ctx, const struct journal *j, struct doctor_report *report)
{
        char subject[JOURNAL_ID_MAX + 16], fix[JOURNAL_NAME_MAX + 64];
        const char *kind = journal_owner_kind_name(j->kind);

        snprintf(subject, sizeof(subject), "%s.journal", j->id);
        if (journal_owner_running(ctx, j)) {
                doctor_add(report, "journals", subject, DOCTOR_OK, NULL,
                           "%s '%s' is running and holds %zu records", kind, j->name, j->n_records);
                return;
        }
        snprintf(fix, sizeof(fix), "vfiohookctl recover --domain '%s'", j->name);
        doctor_add(report, "journals", subject, DOCTOR_WARN, fix,
                   "stale: %s '%s' is not running, yet its journal still holds %zu changes to "
                   "undo",
                   kind, j->name, j->n_records);
}

static void check_journals(vfh_ctx *ctx, struct doctor_report *report)
{
        char **ids = NULL;

        /* Listing would create the run dir; doctor changes nothing. */
        if (!sysfs_exists(ctx, "%s", vfh_ctx_get_run_dir(ctx)))
                return;
        if (journal_list_ids(ctx, &ids) < 0) {
                doctor_add(report, "journals", vfh_ctx_get_run_dir(ctx), DOCTOR_FAIL,
                           "fix the run directory as the message says", "%s",
                           vfh_ctx_last_error(ctx));
                return;
        }
        for (char **id = ids; *id; id++) {
                _cleanup_journal_ struct journal *j = NULL;
                char subject[JOURNAL_ID_MAX + 16];
                int r = journal_load(ctx, *id, &j);

                snprintf(subject, sizeof(subject), "%s.journal", *id);
                if (r == -ENOENT)
                        continue; /* released while we looked */
                if (r < 0)
                        doctor_add(report, "journals", subject, DOCTOR_FAIL,
                                   "read it; once its devices are back where they belong, remove "
                                   "it: vfiohook never applies a journal it cannot fully read",
                                   "%s", vfh_ctx_last_error(ctx));
                else
                        report_journal(ctx, j, report);
        }
        journal_ids_free(ids);
}

/* Claims of every journal that can be read (doctor reports the others). */
static int claims_from_journals(vfh_ctx *ctx, struct claims *c)
{
        char **ids = NULL;
        int r = 0;

        if (!sysfs_exists(ctx, "%s", vfh_ctx_get_run_dir(ctx)) || journal_list_ids(ctx, &ids) < 0)
                return 0;
        for (char **id = ids; *id && r >= 0; id++) {
                _cleanup_journal_ struct journal *j = NULL;

                if (journal_load(ctx, *id, &j) == 0)
                        r = claims_from_journal(j, c);
        }
        journal_ids_free(ids);
        return r;
}

int doctor_vfio_devices(vfh_ctx *ctx, struct doctor_vfio_dev **ret, size_t *n_ret)
{
        _cleanup_free_ struct pci_addr *all = NULL;
        _cleanup_free_ struct doctor_vfio_dev *devs = NULL;
        struct claims c = {0};
        size_t n = 0, count = 0;
        int r = claims_from_journals(ctx, &c);

        if (r >= 0)
                r = claims_from_libvirt(ctx, &c);
        if (r >= 0 && pci_list_all(ctx, &all, &n) < 0)
                n = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                struct doctor_vfio_dev *grown;
                struct pci_dev d;
                const char *owner;

                if (pci_dev_load(ctx, &all[i], &d) < 0 || !is_vfio_driver(d.driver))
                        continue;
                grown = realloc(devs, (count + 1) * sizeof(*devs));
                if (!grown) {
                        r = -ENOMEM;
                        break;
                }
                devs = grown;
                owner = claims_find(&c, d.name);
                snprintf(devs[count].address, sizeof(devs[count].address), "%s", d.name);
                snprintf(devs[count].driver, sizeof(devs[count].driver), "%s", d.driver);
                snprintf(devs[count].held_by, sizeof(devs[count].held_by), "%s",
                         owner ? owner : "");
                count++;
        }
        claims_clear(&c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(devs);
        *n_ret = count;
        return 0;
}

static void check_vfio_devices(vfh_ctx *ctx, struct doctor_report *report)
{
        _cleanup_free_ struct doctor_vfio_dev *devs = NULL;
        size_t n = 0;

        if (doctor_vfio_devices(ctx, &devs, &n) < 0) {
                report->error = -ENOMEM;
                return;
        }
        for (size_t i = 0; i < n; i++) {
                if (devs[i].held_by[0])
                        doctor_add(report, "vfio_devices", devs[i].address, DOCTOR_OK, NULL,
                                   "on %s, held by %s", devs[i].driver, devs[i].held_by);
                else
                        doctor_add(report, "vfio_devices", devs[i].address, DOCTOR_WARN,
                                   "if nothing uses it: echo > driver_override, unbind it from "
                                   "vfio-pci and write it to /sys/bus/pci/drivers_probe",
                                   "on %s, but no vfiohook journal and no running libvirt domain "
                                   "accounts for it (hot-attached, <teaming> failover, or left "
                                   "by hand); vfiohook will not restore it",
                                   devs[i].driver);
        }
}

void doctor_check_devices(vfh_ctx *ctx, const struct doctor_opts *opts,
                          struct doctor_report *report)
{
        check_sriov(ctx, report);
        check_groups(ctx, opts, report);
}

void doctor_check_journals(vfh_ctx *ctx, struct doctor_report *report)
{
        check_journals(ctx, report);
        check_vfio_devices(ctx, report);
}
