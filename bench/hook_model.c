/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-hook-model SYSROOT DOMAIN.XML prepare|start|release: one qemu hook call's library path
 * (hooks/qemu.c: parse, config, txn_apply or txn_release_owner, every message to syslog at
 * LOG_DEBUG) against a synthetic host (bench-gen-sysroot) whose kernel is the unit tier's model
 * (tests/unit/kmodel.h). The hook itself has no --sysroot: this is the same work aimed at the
 * model, so its own time can be measured on the host rather than in a TCG guest.
 *
 * Linked with bench/probe.c, which prints the time split at exit; the model's work counts as
 * kernel time. The model's write hook exists only in a VFH_TEST_BUILD (docs/PERFORMANCE.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "internal.h"
#include "kmodel.h"
#include "model.h"
#include "plan.h"
#include "txn.h"

/* support_tmp.c shares test.h with the unit tests; nothing here fails a test. */
int test_failures;

void probe_model_enter(void);
void probe_model_leave(void);

#ifdef VFH_TEST_BUILD
static int timed_kmodel_write(const char *root, const char *path, const char *value)
{
        int r;

        probe_model_enter();
        r = kmodel_write(root, path, value);
        probe_model_leave();
        return r;
}
#endif

/* As the hook logs: every message to syslog. */
static void log_to_syslog(void *data, int priority, const char *message)
{
        syslog(priority, "domain %s: %s", (const char *)data, message);
}

static int load_config(vfh_ctx *ctx, struct vfh_config **cfg)
{
        int r = config_load(ctx, CONFIG_DEFAULT_PATH, false, cfg);

        return r < 0 ? r : config_apply(ctx, *cfg);
}

static int run(vfh_ctx *ctx, const char *xml, size_t len, const char *op)
{
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        _cleanup_config_ struct vfh_config *cfg = NULL;
        /* as hooks/qemu.c: release needs only the owner */
        unsigned int flags =
            strcmp(op, "release") == 0 ? VFH_PARSE_OWNER_ONLY : VFH_PARSE_NO_NETWORK_LOOKUP;
        int r = vfh_domain_parse_flags(ctx, xml, len, flags, &dom);

        if (r < 0)
                return r;
        r = load_config(ctx, &cfg);
        if (r < 0)
                return r;
        if (strcmp(op, "prepare") == 0)
                return txn_apply(ctx, dom, cfg, PLAN_PREPARE);
        if (strcmp(op, "start") == 0)
                return txn_apply(ctx, dom, cfg, PLAN_START);
        if (!txn_has_journal(ctx, plan_owner_id(dom)))
                return 0;
        return txn_release_owner(ctx, plan_owner_id(dom));
}

int main(int argc, char **argv)
{
        _cleanup_free_ char *xml = NULL;
        _cleanup_close_ int fd = -1;
        vfh_ctx *ctx = NULL;
        size_t len = 0;
        int r;

        if (argc != 4 || (strcmp(argv[3], "prepare") && strcmp(argv[3], "start") &&
                          strcmp(argv[3], "release"))) {
                fprintf(stderr,
                        "Usage: bench-hook-model SYSROOT DOMAIN.XML prepare|start|release\n");
                return 2;
        }
#ifdef VFH_TEST_BUILD
        sysfs_set_write_hook(timed_kmodel_write);
#else
        kmodel_install(); /* says that it needs a VFH_TEST_BUILD, and exits */
#endif
        openlog("vfiohook-bench", LOG_PID, LOG_DAEMON);
        fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        r = fd < 0 ? -errno : vfh_xml_read_fd(fd, &xml, &len);
        if (r >= 0)
                r = vfh_ctx_new(&ctx);
        if (r >= 0)
                r = vfh_ctx_set_sysroot(ctx, argv[1]);
        if (r >= 0) {
                vfh_ctx_set_log_fn(ctx, log_to_syslog, argv[2]);
                vfh_ctx_set_log_priority(ctx, LOG_DEBUG);
                r = run(ctx, xml, len, argv[3]);
        }
        if (r < 0)
                fprintf(stderr, "bench-hook-model: %s: %s\n", argv[3],
                        ctx && *vfh_ctx_last_error(ctx) ? vfh_ctx_last_error(ctx) : strerror(-r));
        vfh_ctx_unref(ctx);
        closelog();
        return r < 0 ? 1 : 0;
}
