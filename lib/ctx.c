/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library context: where the host is (sysroot), where state goes, and where messages go. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const default_network_dirs[] = {
    "/run/libvirt/network",
    "/etc/libvirt/qemu/networks",
};

static int replace_string(char **dst, const char *src)
{
        char *copy = strdup(src);

        if (!copy)
                return -ENOMEM;
        free(*dst);
        *dst = copy;
        return 0;
}

static int open_sysroot(const char *dir)
{
        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? negative_errno() : fd;
}

_public_ int vfh_ctx_new(vfh_ctx **ret)
{
        _cleanup_free_ vfh_ctx *ctx = calloc(1, sizeof(*ctx));
        int r;

        if (!ctx)
                return -ENOMEM;
        ctx->refcount = 1;
        ctx->sysroot_fd = -1;
        ctx->writer_fd = -1;
        ctx->timeout_ms = 10000;
        ctx->log_priority = LOG_INFO;
        for (size_t i = 0; i < ARRAY_SIZE(default_network_dirs); i++) {
                ctx->network_dirs[i] = strdup(default_network_dirs[i]);
                if (!ctx->network_dirs[i])
                        return vfh_ctx_unref(TAKE_PTR(ctx)), -ENOMEM;
                ctx->n_network_dirs++;
        }
        ctx->network_dirs_default = true;
        r = vfh_ctx_set_run_dir(ctx, "/run/vfiohook");
        if (r >= 0)
                r = vfh_ctx_set_sysroot(ctx, "/");
        if (r < 0)
                return vfh_ctx_unref(TAKE_PTR(ctx)), r;
        *ret = TAKE_PTR(ctx);
        return 0;
}

_public_ vfh_ctx *vfh_ctx_ref(vfh_ctx *ctx)
{
        if (ctx)
                ctx->refcount++;
        return ctx;
}

_public_ vfh_ctx *vfh_ctx_unref(vfh_ctx *ctx)
{
        if (!ctx || --ctx->refcount > 0)
                return NULL;
        sysfs_writer_stop(ctx);
        if (ctx->sysroot_fd >= 0)
                close(ctx->sysroot_fd);
        free(ctx->sysroot);
        free(ctx->run_dir);
        for (size_t i = 0; i < ctx->n_network_dirs; i++)
                free(ctx->network_dirs[i]);
        block_links_free(ctx->block_links);
        free(ctx);
        return NULL;
}

_public_ int vfh_ctx_set_sysroot(vfh_ctx *ctx, const char *dir)
{
        int fd, r;

        if (!dir || !*dir)
                return -EINVAL;
        fd = open_sysroot(dir);
        if (fd < 0)
                return vfh_errorf(ctx, fd,
                                  "sysroot %s: cannot open: %s; give an existing directory", dir,
                                  strerror(-fd));
        r = replace_string(&ctx->sysroot, dir);
        if (r < 0) {
                close(fd);
                return r;
        }
        sysfs_writer_stop(ctx); /* it writes under the old sysroot */
        if (ctx->sysroot_fd >= 0)
                close(ctx->sysroot_fd);
        ctx->sysroot_fd = fd;
        ctx->sysroot_short_batches = sysfs_fills_batches(fd);
        block_links_free(ctx->block_links); /* another host's disks */
        ctx->block_links = NULL;
        return 0;
}

_public_ const char *vfh_ctx_get_sysroot(const vfh_ctx *ctx)
{
        return ctx->sysroot;
}

_public_ int vfh_ctx_set_run_dir(vfh_ctx *ctx, const char *dir)
{
        if (!dir || dir[0] != '/')
                return vfh_errorf(ctx, EINVAL, "run directory '%s': not an absolute path",
                                  dir ? dir : "");
        return replace_string(&ctx->run_dir, dir);
}

_public_ const char *vfh_ctx_get_run_dir(const vfh_ctx *ctx)
{
        return ctx->run_dir;
}

_public_ int vfh_ctx_add_network_dir(vfh_ctx *ctx, const char *dir)
{
        char *copy;

        if (!dir || !*dir)
                return -EINVAL;
        if (ctx->network_dirs_default) {
                for (size_t i = 0; i < ctx->n_network_dirs; i++)
                        free(ctx->network_dirs[i]);
                ctx->n_network_dirs = 0;
                ctx->network_dirs_default = false;
        }
        if (ctx->n_network_dirs >= VFH_MAX_NETWORK_DIRS)
                return vfh_errorf(ctx, E2BIG, "network directory %s: at most %d may be given", dir,
                                  VFH_MAX_NETWORK_DIRS);
        copy = strdup(dir);
        if (!copy)
                return -ENOMEM;
        ctx->network_dirs[ctx->n_network_dirs++] = copy;
        return 0;
}

_public_ int vfh_ctx_set_timeout_ms(vfh_ctx *ctx, unsigned int timeout_ms)
{
        if (timeout_ms == 0)
                return vfh_errorf(ctx, EINVAL, "timeout_ms: must be greater than 0");
        ctx->timeout_ms = timeout_ms;
        return 0;
}

_public_ unsigned int vfh_ctx_get_timeout_ms(const vfh_ctx *ctx)
{
        return ctx->timeout_ms;
}

_public_ void vfh_ctx_set_log_fn(vfh_ctx *ctx, vfh_log_fn fn, void *data)
{
        ctx->log_fn = fn;
        ctx->log_data = data;
}

_public_ void vfh_ctx_set_log_priority(vfh_ctx *ctx, int priority)
{
        ctx->log_priority = priority;
}

_public_ int vfh_ctx_get_log_priority(const vfh_ctx *ctx)
{
        return ctx->log_priority;
}

_public_ const char *vfh_ctx_last_error(const vfh_ctx *ctx)
{
        return ctx->last_error;
}
