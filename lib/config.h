/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host configuration, /etc/vfiohook/vfiohook.conf: `key = value` lines, `#` comments,
 * and `[pf NAME]` sections. Devices may be allowed or denied by address or vendor:device;
 * once an allowlist is set it is the only way in. Nothing overrides a host-critical refusal
 * but `force_host_critical = ADDRESS`.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "internal.h"

#define CONFIG_DEFAULT_PATH "/etc/vfiohook/vfiohook.conf"

struct config_match {
        bool by_id; /* vendor:device, else address */
        struct pci_addr addr;
        uint16_t vendor;
        uint16_t device;
};

struct config_pf {
        char *name; /* netdev name or PCI address, as written */
        char **keys;
        char **values;
        size_t n;
};

struct vfh_config {
        struct config_match *allow;
        size_t n_allow;
        struct config_match *deny;
        size_t n_deny;
        struct pci_addr *force_host_critical;
        size_t n_force;
        unsigned int timeout_ms; /* 0: not set */
        char *run_dir;
        char **network_dirs;
        size_t n_network_dirs;
        struct config_pf *pfs;
        size_t n_pfs;
};

/* Parses the text; errors name the source and line ("vfiohook.conf:7: …"). */
int config_parse_buffer(vfh_ctx *ctx, const char *source, const char *buf, size_t len,
                        struct vfh_config **ret);
/* Reads path through the sysroot seam. An absent file gives an empty config unless
 * must_exist. */
int config_load(vfh_ctx *ctx, const char *path, bool must_exist, struct vfh_config **ret);
void config_free(struct vfh_config *cfg);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vfh_config *, config_free)
#define _cleanup_config_ _cleanup_(config_freep)

/* Puts timeout_ms, run_dir and network_dirs on the context. */
int config_apply(vfh_ctx *ctx, const struct vfh_config *cfg);

/* 0 when the policy lets the device in; -EPERM with the reason in buf (not the ctx error). */
int config_policy_check(const struct vfh_config *cfg, const struct pci_addr *addr, uint16_t vendor,
                        uint16_t device, char *buf, size_t size);
bool config_forces_host_critical(const struct vfh_config *cfg, const struct pci_addr *addr);

/* A [pf NAME] default ("spoofchk", …); NULL when not set. */
const char *config_pf_get(const struct vfh_config *cfg, const char *pf, const char *key);
