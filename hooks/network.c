/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network hook, installed as /etc/libvirt/hooks/network.d/vfiohook. libvirt runs it as
 * `vfiohook NET OP SUBOP -` with <hookData> on stdin (DESIGN.md §1). It acts only on hostdev
 * pools that carry our <vfh:pool> metadata (lib/pool.h, docs/pools.md):
 *
 *   start/begin        pool_start; a failure is rolled back, one stderr line, exit 1
 *   port-created       pool_port_created (bookkeeping); failures logged, exit 0
 *   port-deleted       pool_port_deleted (bookkeeping); failures logged, exit 0
 *   stopped/end        pool_stopped; failures logged, exit 0
 *   anything else      exit 0
 *
 * It never calls libvirt: libvirtd holds the network while it waits for us.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "internal.h"
#include "model.h"
#include "pool.h"

#define HOOK_NAME "vfiohook"

struct hook {
        vfh_ctx *ctx;
        const char *network; /* argv[1] */
        const char *op;
        bool quiet_stderr; /* start: stderr gets exactly one line, from main */
        char *xml;
        size_t len;
};

/* Library messages go to syslog with the network name; warnings also to stderr (libvirt logs
 * it), except at start, where libvirt shows stderr to the user. */
static void log_message(void *data, int priority, const char *message)
{
        const struct hook *h = data;

        syslog(priority, "network %s: %s: %s", h->network, h->op, message);
        if (!h->quiet_stderr && priority <= LOG_WARNING)
                fprintf(stderr, HOOK_NAME ": network %s: %s\n", h->network, message);
}

static int load_config(struct hook *h)
{
        _cleanup_config_ struct vfh_config *cfg = NULL;
        int r = config_load(h->ctx, CONFIG_DEFAULT_PATH, false, &cfg);

        return r < 0 ? r : config_apply(h->ctx, cfg);
}

/* A network whose XML does not mention our namespace is none of our business, even when our
 * parser would refuse something in it. */
static bool mentions_us(const struct hook *h)
{
        return memmem(h->xml, h->len, VFH_METADATA_NS, strlen(VFH_METADATA_NS)) != NULL;
}

static int run(struct hook *h)
{
        _cleanup_(vfh_document_freep) struct vfh_document *doc = NULL;
        int r;

        if (strcmp(h->op, "start") != 0 && strcmp(h->op, "port-created") != 0 &&
            strcmp(h->op, "port-deleted") != 0 && strcmp(h->op, "stopped") != 0)
                return 0;
        if (!mentions_us(h))
                return 0; /* the fast path: most networks */
        r = vfh_document_parse(h->ctx, h->xml, h->len, &doc);
        if (r < 0)
                return r;
        if (doc->kind != VFH_DOC_HOOKDATA && doc->kind != VFH_DOC_NETWORK)
                return vfh_errorf(h->ctx, EINVAL,
                                  "network %s: stdin holds a %s document, not libvirt's "
                                  "<hookData>; is this hook installed under network.d?",
                                  h->network, vfh_document_kind_name(doc->kind));
        if (!pool_is_ours(doc->network))
                return 0;
        r = load_config(h);
        if (r < 0)
                return r;
        if (strcmp(h->op, "start") == 0)
                return pool_start(h->ctx, doc->network);
        if (strcmp(h->op, "port-created") == 0)
                return pool_port_created(h->ctx, doc->network, doc->networkport);
        if (strcmp(h->op, "port-deleted") == 0)
                return pool_port_deleted(h->ctx, doc->network, doc->networkport);
        return pool_stopped(h->ctx, doc->network);
}

int main(int argc, char **argv)
{
        struct hook h = {.network = argc > 1 ? argv[1] : "?", .op = argc > 2 ? argv[2] : ""};
        bool may_fail = strcmp(h.op, "start") == 0;
        int r;

        openlog(HOOK_NAME, LOG_PID, LOG_DAEMON);
        if (argc < 3)
                return 0; /* not libvirt's call: nothing to do, never break a start */
        h.quiet_stderr = may_fail;
        /* Read all of stdin whatever the op, so libvirt never writes into a closed pipe. */
        r = vfh_xml_read_fd(STDIN_FILENO, &h.xml, &h.len);
        if (r >= 0)
                r = vfh_ctx_new(&h.ctx);
        if (r >= 0) {
                vfh_ctx_set_log_fn(h.ctx, log_message, &h);
                vfh_ctx_set_log_priority(h.ctx, LOG_INFO);
                r = run(&h);
        }
        if (r < 0) {
                const char *msg = h.ctx ? vfh_ctx_last_error(h.ctx) : "";

                if (!*msg)
                        msg = strerror(-r);
                syslog(LOG_ERR, "network %s: %s failed: %s", h.network, h.op, msg);
                if (may_fail)
                        fprintf(stderr, HOOK_NAME ": %s\n", msg);
        }
        vfh_ctx_unref(h.ctx);
        free(h.xml);
        closelog();
        return r < 0 && may_fail ? 1 : 0;
}
