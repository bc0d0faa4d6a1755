/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfiohook: the public API.
 *
 * Every function returns 0 (or a non-negative count) on success and a negative errno on
 * failure. The library never prints and never exits: the message of the last failure is kept
 * on the context (vfh_ctx_last_error) and handed to the log callback when one is set.
 */
#ifndef VFIOHOOK_H
#define VFIOHOOK_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vfh_ctx vfh_ctx;

/* Priorities follow syslog(3): LOG_ERR = 3, LOG_WARNING = 4, LOG_INFO = 6, LOG_DEBUG = 7. */
typedef void (*vfh_log_fn)(void *data, int priority, const char *message);

int vfh_ctx_new(vfh_ctx **ret);
vfh_ctx *vfh_ctx_ref(vfh_ctx *ctx);
vfh_ctx *vfh_ctx_unref(vfh_ctx *ctx);

/* Every path the library reads or writes (/sys, /dev, /proc, /run, /etc) is resolved under the
 * sysroot. Default "/". */
int vfh_ctx_set_sysroot(vfh_ctx *ctx, const char *dir);
const char *vfh_ctx_get_sysroot(const vfh_ctx *ctx);

/* Journal and lock directory. Default /run/vfiohook. */
int vfh_ctx_set_run_dir(vfh_ctx *ctx, const char *dir);
const char *vfh_ctx_get_run_dir(const vfh_ctx *ctx);

/* Directories searched, in order, for NAME.xml when a domain names a libvirt network. The
 * first call replaces the defaults (/run/libvirt/network, then /etc/libvirt/qemu/networks). */
int vfh_ctx_add_network_dir(vfh_ctx *ctx, const char *dir);

/* Deadline for each sysfs write that can block in a driver (unbind, drivers_probe). */
int vfh_ctx_set_timeout_ms(vfh_ctx *ctx, unsigned int timeout_ms);
unsigned int vfh_ctx_get_timeout_ms(const vfh_ctx *ctx);

void vfh_ctx_set_log_fn(vfh_ctx *ctx, vfh_log_fn fn, void *data);
void vfh_ctx_set_log_priority(vfh_ctx *ctx, int priority);
int vfh_ctx_get_log_priority(const vfh_ctx *ctx);

/* One line: the device, the step, the cause and what to do. Empty when nothing failed. */
const char *vfh_ctx_last_error(const vfh_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif
