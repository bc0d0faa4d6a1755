/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qemu hook's worker, installed as /usr/libexec/vfiohook/qemu-hook. libvirt runs the front
 * /etc/libvirt/hooks/qemu.d/vfiohook (hooks/front/qemu.c) as `vfiohook NAME OP SUBOP EXTRA`
 * with the domain XML on stdin (DESIGN.md §1); the front answers started and stopped and execs
 * this with the same argv and stdin for everything else. It handles every operation itself
 * too, so it can be run directly. It stays thin:
 * argv + stdin → one library call → exit status + at most one line on stderr.
 *
 *   prepare/begin, start/begin  txn_apply; a failure is rolled back, one stderr line, exit 1
 *   release/end                 txn_release_owner; failures are logged, exit 0
 *   reconnect/begin             txn_check; never fails (a failure would kill the guest)
 *   migrate, restore            stdout replaces the XML: echo stdin unchanged
 *   anything else               exit 0
 *
 * It never calls libvirt: libvirtd holds the domain while it waits for us.
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
#include "plan.h"
#include "txn.h"

#define HOOK_NAME "vfiohook"

struct hook {
        vfh_ctx *ctx;
        const char *domain; /* argv[1], for log lines until the XML is read */
        const char *op;
        bool quiet_stderr; /* prepare/start: stderr gets exactly one line, from main */
        char *xml;
        size_t len;
};

/* Every library message goes to syslog with the domain name; warnings also go to stderr,
 * which libvirt logs, except in prepare/start, where libvirt shows stderr to the user. */
static void log_message(void *data, int priority, const char *message)
{
        const struct hook *h = data;

        syslog(priority, "domain %s: %s: %s", h->domain, h->op, message);
        if (!h->quiet_stderr && priority <= LOG_WARNING)
                fprintf(stderr, HOOK_NAME ": %s: %s\n", h->domain, message);
}

/* migrate and restore: libvirt replaces the XML with our stdout, so it must be the input,
 * byte for byte, whatever its size. */
static int echo_stdin(void)
{
        char buf[65536];
        int r;

        for (;;) {
                ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                r = fd_write_all(STDOUT_FILENO, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
}

static int load_config(struct hook *h, struct vfh_config **cfg)
{
        int r = config_load(h->ctx, CONFIG_DEFAULT_PATH, false, cfg);

        return r < 0 ? r : config_apply(h->ctx, *cfg);
}

static int parse_domain(struct hook *h, unsigned int flags, struct vfh_domain **dom)
{
        return vfh_domain_parse_flags(h->ctx, h->xml, h->len, flags, dom);
}

static bool has_network_interface(const struct vfh_domain *dom)
{
        for (size_t i = 0; i < dom->n_interfaces; i++)
                if (dom->interfaces[i].type == VFH_INTERFACE_NETWORK)
                        return true;
        return false;
}

/* Only prepare reads the networks of <interface type='network'> (a pool's metadata): at start
 * the pool VFs arrive rewritten with their address. A network file we cannot find is
 * libvirt's problem to report, not a reason for us to fail the guest. */
static int parse_for(struct hook *h, enum plan_phase phase, struct vfh_domain **ret)
{
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        int r = parse_domain(h, VFH_PARSE_NO_NETWORK_LOOKUP, &dom);

        if (r < 0 || phase != PLAN_PREPARE || !has_network_interface(dom)) {
                *ret = TAKE_PTR(dom);
                return r;
        }
        r = parse_domain(h, 0, ret);
        if (r == -ENOENT) {
                syslog(LOG_WARNING, "domain %s: %s; its interfaces are taken as not from a pool",
                       h->domain, vfh_ctx_last_error(h->ctx));
                *ret = TAKE_PTR(dom);
                return 0;
        }
        return r;
}

static int apply(struct hook *h, enum plan_phase phase)
{
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        _cleanup_config_ struct vfh_config *cfg = NULL;
        int r = parse_for(h, phase, &dom);

        if (r < 0)
                return r;
        if (plan_domain_is_passthrough_free(dom))
                return 0; /* most guests: nothing planned, nothing touched */
        r = load_config(h, &cfg);
        return r < 0 ? r : txn_apply(h->ctx, dom, cfg, phase);
}

static const char *owner_of(struct hook *h, struct vfh_domain **dom)
{
        if (parse_domain(h, VFH_PARSE_OWNER_ONLY, dom) < 0)
                return NULL;
        return plan_owner_id(*dom);
}

/* The journal says what to undo; the configuration only says where journals live and how long
 * to wait. One that became unusable while the guest ran (edited, or made writable by others)
 * must not strand the guest's devices: a journal found with the defaults is released. */
static int release(struct hook *h)
{
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        _cleanup_config_ struct vfh_config *cfg = NULL;
        const char *id = owner_of(h, &dom);
        int r;

        if (!id)
                return -EINVAL;
        r = load_config(h, &cfg);
        if (!txn_has_journal(h->ctx, id))
                return r < 0 ? r : 0; /* nothing of ours: most guests */
        if (r < 0)
                syslog(LOG_WARNING, "domain %s: release: %s; releasing with the default settings",
                       h->domain, vfh_ctx_last_error(h->ctx));
        r = txn_release_owner(h->ctx, id);
        if (r >= 0)
                syslog(LOG_INFO, "domain %s: release: everything restored", h->domain);
        return r;
}

static int reconnect(struct hook *h)
{
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        _cleanup_config_ struct vfh_config *cfg = NULL;
        const char *id = owner_of(h, &dom);
        int r;

        if (!id)
                return -EINVAL;
        r = load_config(h, &cfg);
        if (r >= 0 && txn_has_journal(h->ctx, id))
                r = txn_check(h->ctx, id);
        return r;
}

static int run(struct hook *h)
{
        const char *op = h->op;

        if (strcmp(op, "prepare") == 0)
                return apply(h, PLAN_PREPARE);
        if (strcmp(op, "start") == 0)
                return apply(h, PLAN_START);
        if (strcmp(op, "release") == 0)
                return release(h);
        if (strcmp(op, "reconnect") == 0)
                return reconnect(h);
        if (strcmp(op, "started") == 0)
                syslog(LOG_INFO, "domain %s: started", h->domain);
        return 0; /* stopped: libvirt has not reattached its devices yet; release restores */
}

static bool op_may_fail(const char *op)
{
        return strcmp(op, "prepare") == 0 || strcmp(op, "start") == 0;
}

int main(int argc, char **argv)
{
        struct hook h = {.domain = argc > 1 ? argv[1] : "?", .op = argc > 2 ? argv[2] : ""};
        int r;

        openlog(HOOK_NAME, LOG_PID, LOG_DAEMON);
        if (argc < 3)
                return 0; /* not libvirt's call: nothing to do, never break a start */
        if (strcmp(h.op, "migrate") == 0 || strcmp(h.op, "restore") == 0)
                return echo_stdin() < 0 ? 1 : 0;
        h.quiet_stderr = op_may_fail(h.op);
        /* Read all of stdin whatever the op, so libvirt never writes into a closed pipe. */
        r = vfh_xml_read_fd(STDIN_FILENO, &h.xml, &h.len);
        if (r >= 0)
                r = vfh_ctx_new(&h.ctx);
        if (r >= 0) {
                vfh_ctx_set_log_fn(h.ctx, log_message, &h);
                /* syslog gets every step (each bind, each VF attribute); stderr only
                 * warnings, see log_message */
                vfh_ctx_set_log_priority(h.ctx, LOG_DEBUG);
                r = run(&h);
        }
        if (r < 0) {
                const char *msg = h.ctx ? vfh_ctx_last_error(h.ctx) : "";

                if (!*msg)
                        msg = strerror(-r);
                syslog(LOG_ERR, "domain %s: %s failed: %s", h.domain, h.op, msg);
                fprintf(stderr, HOOK_NAME ": %s\n", msg);
        }
        vfh_ctx_unref(h.ctx);
        free(h.xml);
        closelog();
        return r < 0 && op_may_fail(h.op) ? 1 : 0;
}
