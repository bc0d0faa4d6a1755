/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The planner (lib/plan.h). It reads sysfs and netlink only: every refusal is found here,
 * before the transaction changes anything, and the dry run shows the same plan.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdev.h"
#include "plan.h"
#include "pool.h"

#define DEFAULT_VFIO "vfio-pci"

struct planner {
        vfh_ctx *ctx;
        const struct vfh_domain *dom;
        const struct vfh_config *cfg;
        struct plan *plan;
        /* managed='yes' devices of the whole domain: libvirt binds them, never we */
        struct pci_addr *by_libvirt;
        size_t n_by_libvirt;
};

const char *plan_phase_name(enum plan_phase phase)
{
        return phase == PLAN_PREPARE ? "prepare" : "start";
}

const char *plan_owner_id(const struct vfh_domain *dom)
{
        return dom->has_uuid ? dom->uuid : dom->name;
}

static bool interface_is_pool(const struct vfh_interface *iface)
{
        return iface->type == VFH_INTERFACE_NETWORK &&
               (!iface->network || vfh_network_is_hostdev_pool(iface->network));
}

bool plan_domain_is_passthrough_free(const struct vfh_domain *dom)
{
        for (size_t i = 0; i < dom->n_hostdevs; i++)
                if (dom->hostdevs[i].type == VFH_HOSTDEV_PCI ||
                    (dom->hostdevs[i].type == VFH_HOSTDEV_MDEV && dom->hostdevs[i].mdev))
                        return false;
        for (size_t i = 0; i < dom->n_interfaces; i++) {
                const struct vfh_interface *iface = &dom->interfaces[i];

                if (iface->type == VFH_INTERFACE_HOSTDEV ||
                    (iface->type == VFH_INTERFACE_NETWORK && iface->network &&
                     vfh_network_is_hostdev_pool(iface->network)))
                        return false;
        }
        return true;
}

/* ---- growing arrays ---- */

static void *grow(void *array, size_t *n, size_t size)
{
        char *p = realloc(array, (*n + 1) * size);

        if (!p)
                return NULL;
        memset(p + *n * size, 0, size);
        (*n)++;
        return p;
}

#define APPEND(array, n)                                                                           \
        ({                                                                                         \
                __typeof__(array) _a_ = grow((array), &(n), sizeof(*(array)));                     \
                if (_a_)                                                                           \
                        (array) = _a_;                                                             \
                _a_ ? &(array)[(n)-1] : NULL;                                                      \
        })

_printf_(3, 4) static int refuse(struct planner *p, const char *device, const char *fmt, ...)
{
        struct plan_refusal *ref = APPEND(p->plan->refusals, p->plan->n_refusals);
        va_list ap;

        if (!ref)
                return -ENOMEM;
        snprintf(ref->device, sizeof(ref->device), "%s", device);
        va_start(ap, fmt);
        vsnprintf(ref->reason, sizeof(ref->reason), fmt, ap);
        va_end(ap);
        vfh_logf(p->ctx, LOG_NOTICE, "domain %s: refused: %s", p->plan->domain, ref->reason);
        return 0;
}

/* The library's message for a failed check becomes the refusal. */
static int refuse_with_error(struct planner *p, const char *device)
{
        return refuse(p, device, "%s", vfh_ctx_last_error(p->ctx));
}

/* ---- VF settings: [pf] config < pool metadata < domain metadata ---- */

static void overlay(struct vf_settings *base, const struct vf_settings *over)
{
        unsigned int m = over->mask;

        if (m & VF_ATTR_MAC)
                base->mac = over->mac;
        if (m & VF_ATTR_VLAN) {
                base->vlan = over->vlan;
                base->qos = over->qos;
                base->proto = over->proto;
        }
        if (m & VF_ATTR_SPOOFCHK)
                base->spoofchk = over->spoofchk;
        if (m & VF_ATTR_TRUST)
                base->trust = over->trust;
        if (m & VF_ATTR_LINK_STATE)
                base->link_state = over->link_state;
        if (m & VF_ATTR_MIN_TX_RATE)
                base->min_tx_rate = over->min_tx_rate;
        if (m & VF_ATTR_MAX_TX_RATE)
                base->max_tx_rate = over->max_tx_rate;
        if (m & VF_ATTR_QUERY_RSS)
                base->query_rss = over->query_rss;
        base->mask |= m;
}

static const struct config_pf *config_pf_section(const struct vfh_config *cfg,
                                                 const struct vf_ref *vf)
{
        char addr[PCI_ADDR_STRLEN];

        if (!cfg)
                return NULL;
        if (vf->has_pf_addr)
                pci_addr_format(&vf->pf_addr, addr);
        for (size_t i = 0; i < cfg->n_pfs; i++)
                if (strcmp(cfg->pfs[i].name, vf->pf_netdev) == 0 ||
                    (vf->has_pf_addr && strcmp(cfg->pfs[i].name, addr) == 0))
                        return &cfg->pfs[i];
        return NULL;
}

static int config_pf_settings(struct planner *p, const struct vf_ref *vf, struct vf_settings *ret)
{
        const struct config_pf *sec = config_pf_section(p->cfg, vf);

        *ret = (struct vf_settings){0};
        for (size_t k = 0; sec && k < sec->n; k++) {
                int r = vf_settings_parse_field(p->ctx, ret, sec->keys[k], sec->values[k]);

                if (r < 0)
                        return r;
        }
        return 0;
}

struct vf_sources {
        const struct vfh_vf_settings *domain; /* our metadata for the device, or NULL */
        const struct vfh_vf_settings *pool;   /* the pool's defaults, when it is a pool VF */
        bool libvirt_owns_mac_vlan;           /* an <interface>: libvirt sets MAC and VLAN */
};

static int want_vf_settings(struct planner *p, struct plan_device *d, const struct vf_sources *src)
{
        struct vf_settings layer;
        const char *from = NULL;
        int r;

        r = config_pf_settings(p, &d->vf, &d->vf_want);
        if (r < 0)
                return refuse_with_error(p, d->name);
        if (d->vf_want.mask)
                from = "[pf] config";
        if (src->pool) {
                vf_settings_from_meta(src->pool, &layer);
                overlay(&d->vf_want, &layer);
                from = layer.mask ? "pool metadata" : from;
        }
        if (src->domain) {
                vf_settings_from_meta(src->domain, &layer);
                overlay(&d->vf_want, &layer);
                from = layer.mask ? "domain metadata" : from;
        }
        if (src->libvirt_owns_mac_vlan)
                d->vf_want.mask &= ~VF_ATTRS_LIBVIRT_OWNS;
        else if ((r = vf_want_stable_mac(p->ctx, &d->vf, p->plan->uuid, true, &d->vf_want)) < 0)
                return refuse_with_error(p, d->name);
        else if (r > 0 && !from)
                from = "stable MAC";
        d->vf_settings_from = from;
        if (d->vf_want.mask && vf_settings_validate(p->ctx, &d->vf, &d->vf_want) < 0)
                return refuse_with_error(p, d->name);
        return 0;
}

static bool wants_anything(const struct vf_sources *src)
{
        struct vf_settings s = {0};

        if (src->domain)
                vf_settings_from_meta(src->domain, &s);
        if (!s.mask && src->pool)
                vf_settings_from_meta(src->pool, &s);
        return s.mask != 0;
}

/* A VF whose PF has no netdev (a GPU or NVMe VF, a PF on vfio-pci) cannot take settings; that
 * is only a problem when settings were asked for. */
static int plan_vf(struct planner *p, struct plan_device *d, const struct vf_sources *src)
{
        int r = vf_resolve(p->ctx, &d->addr, &d->vf);

        if (r < 0) {
                if (!wants_anything(src))
                        return 0;
                return refuse_with_error(p, d->name);
        }
        d->is_vf = true;
        r = vf_read(p->ctx, &d->vf, &d->vf_now);
        if (r < 0)
                return refuse_with_error(p, d->name);
        return want_vf_settings(p, d, src);
}

/* ---- groups ---- */

static bool left_to_libvirt(const struct planner *p, const struct pci_addr *addr)
{
        for (size_t i = 0; i < p->n_by_libvirt; i++)
                if (pci_addr_equal(&p->by_libvirt[i], addr))
                        return true;
        return false;
}

static int plan_members(struct planner *p, struct plan_device *d, const struct pci_group *grp)
{
        d->members = calloc(grp->n_members, sizeof(*d->members));
        if (!d->members)
                return -ENOMEM;
        d->n_members = grp->n_members;
        for (size_t i = 0; i < grp->n_members; i++) {
                const struct pci_dev *dev = &grp->members[i];
                struct plan_member *m = &d->members[i];

                snprintf(m->name, sizeof(m->name), "%s", dev->name);
                snprintf(m->driver_now, sizeof(m->driver_now), "%s", dev->driver);
                m->bridge = pci_dev_is_bridge(dev);
                m->by_libvirt = !m->bridge && left_to_libvirt(p, &dev->addr);
                m->bind = !m->bridge && !m->by_libvirt && strcmp(dev->driver, d->driver) != 0;
        }
        return 0;
}

/* Planning changes nothing: a group an earlier device of the plan read (a GPU and its audio
 * function) is copied, not read again, and so is the device itself, read just before. */
static int planned_group(struct planner *p, const struct pci_dev *dev, struct pci_group *grp)
{
        /* The device being planned is the last one, without a group yet. */
        for (size_t i = 0; i + 1 < p->plan->n_devices; i++) {
                const struct pci_group *seen = p->plan->devices[i].grp;

                if (seen && seen->number == dev->iommu_group) {
                        grp->number = seen->number;
                        grp->n_members = seen->n_members;
                        memcpy(grp->members, seen->members,
                               seen->n_members * sizeof(seen->members[0]));
                        return 0;
                }
        }
        return group_load_with(p->ctx, dev->iommu_group, dev, grp);
}

/* dev: the device itself, just read; its group is read once, here, and kept for the apply. */
static int plan_group(struct planner *p, struct plan_device *d, const struct pci_dev *dev)
{
        _cleanup_free_ struct pci_group *grp = malloc(sizeof(*grp));
        struct group_opts opts = {
            .device = d->name,
            .driver = d->driver,
            .config = p->cfg,
            .owner_id = p->plan->uuid[0] ? p->plan->uuid : p->plan->domain,
            .claims = p->plan->claims,
        };
        int r;

        if (!grp)
                return -ENOMEM;
        if (dev->iommu_group < 0)
                return refuse(p, d->name,
                              "%s: detach: the device has no IOMMU group; enable the IOMMU "
                              "(intel_iommu=on or amd_iommu=on) and reboot",
                              d->name);
        r = planned_group(p, dev, grp);
        if (r < 0)
                return refuse_with_error(p, d->name);
        d->group = grp->number;
        r = plan_members(p, d, grp);
        if (r < 0)
                return r;
        r = group_check(p->ctx, grp, &opts, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse_with_error(p, d->name);
        d->grp = TAKE_PTR(grp);
        return 0;
}

static int plan_pci(struct planner *p, enum plan_source source, const struct pci_addr *addr,
                    bool managed, const char *driver_model, unsigned int line,
                    const struct vf_sources *src)
{
        struct plan_device *d = APPEND(p->plan->devices, p->plan->n_devices);
        struct pci_dev dev;
        int r;

        if (!d)
                return -ENOMEM;
        d->source = source;
        d->addr = *addr;
        pci_addr_format(addr, d->name);
        d->managed = managed;
        d->line = line;
        d->group = -1;
        snprintf(d->driver, sizeof(d->driver), "%s", driver_model ? driver_model : DEFAULT_VFIO);
        if (pci_dev_load(p->ctx, addr, &dev) < 0)
                return refuse(p, d->name,
                              "%s: the domain XML (line %u) names a PCI device the host does "
                              "not have; fix the address",
                              d->name, line);
        r = plan_group(p, d, &dev);
        if (r < 0)
                return r;
        if (dev.is_vf)
                return plan_vf(p, d, src);
        /* Settings nobody can apply must not pass in silence: the user would get a guest
         * without the spoofchk or VLAN they asked for and no word about it. */
        if (src->domain && wants_anything(&(struct vf_sources){.domain = src->domain}))
                return refuse(p, d->name,
                              "%s: VF settings: the domain's vfiohook metadata sets VF "
                              "attributes, but the device is not an SR-IOV VF; remove them from "
                              "its vfiohook metadata",
                              d->name);
        return 0;
}

/* ---- the domain's devices ---- */

static int collect_by_libvirt(struct planner *p)
{
        const struct vfh_domain *dom = p->dom;

        for (size_t i = 0; i < dom->n_hostdevs; i++) {
                const struct vfh_hostdev *h = &dom->hostdevs[i];
                struct pci_addr *a;

                if (h->type != VFH_HOSTDEV_PCI || !h->has_address || !h->managed)
                        continue;
                if (!(a = APPEND(p->by_libvirt, p->n_by_libvirt)))
                        return -ENOMEM;
                *a = h->address;
        }
        for (size_t i = 0; i < dom->n_interfaces; i++) {
                const struct vfh_interface *iface = &dom->interfaces[i];
                struct pci_addr *a;

                if (iface->type != VFH_INTERFACE_HOSTDEV || !iface->has_address ||
                    !vfh_interface_is_managed(iface))
                        continue;
                if (!(a = APPEND(p->by_libvirt, p->n_by_libvirt)))
                        return -ENOMEM;
                *a = iface->address;
        }
        return 0;
}

static int plan_hostdevs(struct planner *p)
{
        for (size_t i = 0; i < p->dom->n_hostdevs; i++) {
                const struct vfh_hostdev *h = &p->dom->hostdevs[i];
                struct vf_sources src = {.domain = h->meta ? &h->meta->settings : NULL};
                int r;

                if (h->type != VFH_HOSTDEV_PCI || !h->has_address)
                        continue;
                r = plan_pci(p, PLAN_SOURCE_HOSTDEV, &h->address, h->managed, h->driver_model,
                             h->line, &src);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* At start libvirt no longer says which network a pool VF came from: the pools' own files
 * do (lib/pool.c). */
static const struct vfh_vf_settings *
pool_defaults(struct planner *p, const struct vfh_interface *iface, struct vfh_vf_settings *buf)
{
        char network[256], addr[PCI_ADDR_STRLEN];

        if (iface->network)
                return iface->network->has_pool ? &iface->network->pool.settings : NULL;
        if (pool_vf_settings(p->ctx, &iface->address, buf, network, sizeof(network)) < 0)
                return NULL;
        vfh_debug(p->ctx, "VF %s: pool defaults of network %s",
                  pci_addr_format(&iface->address, addr), network);
        return buf;
}

static int plan_interfaces(struct planner *p)
{
        for (size_t i = 0; i < p->dom->n_interfaces; i++) {
                const struct vfh_interface *iface = &p->dom->interfaces[i];
                struct vfh_vf_settings pool;
                struct vf_sources src = {
                    .domain = iface->meta ? &iface->meta->settings : NULL,
                    .libvirt_owns_mac_vlan = true,
                };
                int r;

                if (iface->type != VFH_INTERFACE_HOSTDEV || !iface->has_address)
                        continue;
                src.pool = pool_defaults(p, iface, &pool);
                r = plan_pci(p, PLAN_SOURCE_INTERFACE, &iface->address,
                             vfh_interface_is_managed(iface), iface->driver_model, iface->line,
                             &src);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_pending(struct planner *p)
{
        for (size_t i = 0; i < p->dom->n_interfaces; i++) {
                const struct vfh_interface *iface = &p->dom->interfaces[i];
                struct plan_pool_pending *pend;

                if (!interface_is_pool(iface) || !iface->source_network)
                        continue;
                if (!(pend = APPEND(p->plan->pending, p->plan->n_pending)))
                        return -ENOMEM;
                snprintf(pend->network, sizeof(pend->network), "%s", iface->source_network);
                if (iface->has_mac)
                        mac_addr_format(&iface->mac, pend->mac);
        }
        return 0;
}

static int plan_mdevs(struct planner *p)
{
        for (size_t i = 0; i < p->dom->n_hostdevs; i++) {
                const struct vfh_hostdev *h = &p->dom->hostdevs[i];
                const struct vfh_meta_mdev *meta = h->mdev;
                struct plan_mdev *m;

                if (h->type != VFH_HOSTDEV_MDEV || !meta)
                        continue;
                if (!(m = APPEND(p->plan->mdevs, p->plan->n_mdevs)))
                        return -ENOMEM;
                snprintf(m->uuid, sizeof(m->uuid), "%s", meta->uuid);
                snprintf(m->parent, sizeof(m->parent), "%s", meta->parent ? meta->parent : "");
                snprintf(m->type, sizeof(m->type), "%s", meta->type ? meta->type : "");
                m->exists = mdev_exists(p->ctx, m->uuid);
                if (!m->exists && mdev_check(p->ctx, m->uuid, meta->parent, meta->type) < 0 &&
                    refuse_with_error(p, m->uuid) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int plan_build(vfh_ctx *ctx, const struct vfh_domain *dom, const struct vfh_config *cfg,
               enum plan_phase phase, struct plan **ret)
{
        _cleanup_plan_ struct plan *plan = calloc(1, sizeof(*plan));
        struct planner p = {.ctx = ctx, .dom = dom, .cfg = cfg, .plan = plan};
        int r;

        *ret = NULL;
        if (!plan)
                return -ENOMEM;
        plan->phase = phase;
        snprintf(plan->domain, sizeof(plan->domain), "%s", dom->name ? dom->name : "");
        if (dom->has_uuid)
                snprintf(plan->uuid, sizeof(plan->uuid), "%s", dom->uuid);
        r = journal_claims_new(plan->uuid[0] ? plan->uuid : plan->domain, &plan->claims);
        if (r >= 0)
                r = collect_by_libvirt(&p);
        if (r >= 0 && phase == PLAN_PREPARE)
                r = plan_hostdevs(&p);
        if (r >= 0)
                r = plan_interfaces(&p);
        if (r >= 0 && phase == PLAN_PREPARE)
                r = plan_mdevs(&p);
        if (r >= 0 && phase == PLAN_PREPARE)
                r = plan_pending(&p);
        free(p.by_libvirt);
        if (r < 0)
                return r == -ENOMEM ? vfh_errorf(ctx, ENOMEM, "plan: out of memory") : r;
        *ret = TAKE_PTR(plan);
        return 0;
}

void plan_free(struct plan *plan)
{
        if (!plan)
                return;
        for (size_t i = 0; i < plan->n_devices; i++) {
                free(plan->devices[i].members);
                free(plan->devices[i].grp);
        }
        free(plan->devices);
        free(plan->mdevs);
        free(plan->pending);
        free(plan->refusals);
        journal_claims_free(plan->claims);
        free(plan);
}
