/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl plan: the dry run of the qemu hook. For a domain (an XML file, or a defined
 * domain through `virsh dumpxml`: the CLI may call libvirt, the hooks never) it prints what
 * prepare and start would do (devices and driver changes, VF settings current → new, mdevs)
 * and every refusal. It changes nothing: plan_build only reads sysfs and netlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "model.h"
#include "plan.h"

struct plan_args {
        const char *xml_path;
        const char *domain;
        bool json;
};

static int parse_args(int argc, char **argv, struct plan_args *a)
{
        static const struct option options[] = {
            {"xml", required_argument, NULL, 'x'},
            {"domain", required_argument, NULL, 'd'},
            {"json", no_argument, NULL, 'j'},
            {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c == 'x')
                        a->xml_path = optarg;
                else if (c == 'd')
                        a->domain = optarg;
                else if (c == 'j')
                        a->json = true;
                else
                        return cli_usage_error("plan", "unknown option");
        }
        if (optind < argc)
                return cli_usage_error("plan", "unexpected argument '%s'", argv[optind]);
        if (!a->xml_path == !a->domain)
                return cli_usage_error("plan", "give exactly one of --xml FILE and --domain NAME");
        if (a->domain && (!*a->domain || a->domain[0] == '-'))
                return cli_usage_error("plan", "'%s' is not a domain name", a->domain);
        return EXIT_OK;
}

/* ---- reading the domain ---- */

static int read_file(const char *path, char **xml, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return cli_fail("plan: cannot open %s: %m", path);
        if (vfh_xml_read_fd(fd, xml, len) < 0)
                return cli_fail("plan: cannot read %s: %m", path);
        return EXIT_OK;
}

/* The live XML of a running domain, else its definition: what prepare would be given. */
static int read_virsh(const char *domain, char **xml, size_t *len)
{
        int pipefd[2], status, r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return cli_fail("plan: pipe: %m");
        pid = fork();
        if (pid < 0)
                return cli_fail("plan: fork: %m");
        if (pid == 0) {
                dup2(pipefd[1], STDOUT_FILENO);
                execlp("virsh", "virsh", "-q", "-c", "qemu:///system", "dumpxml", "--", domain,
                       (char *)NULL);
                fprintf(stderr, "vfiohookctl: plan: cannot run virsh: %m\n");
                _exit(127);
        }
        close(pipefd[1]);
        r = vfh_xml_read_fd(pipefd[0], xml, len);
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return cli_fail("plan: `virsh dumpxml %s` failed; is the domain defined and "
                                "libvirtd running? (or use --xml FILE)",
                                domain);
        return EXIT_OK;
}

static int load_domain(struct cli *cli, const struct plan_args *a, struct vfh_domain **dom)
{
        _cleanup_free_ char *xml = NULL;
        size_t len = 0;
        int r =
            a->xml_path ? read_file(a->xml_path, &xml, &len) : read_virsh(a->domain, &xml, &len);

        if (r != EXIT_OK)
                return r;
        r = vfh_domain_parse(cli->ctx, xml, len, dom);
        if (r == -ENOENT) {
                /* As the hook does: a network we cannot read is not a pool of ours. */
                fprintf(stderr,
                        "vfiohookctl: plan: %s; its interfaces are taken as not from a "
                        "pool\n",
                        vfh_ctx_last_error(cli->ctx));
                r = vfh_domain_parse_flags(cli->ctx, xml, len, VFH_PARSE_NO_NETWORK_LOOKUP, dom);
        }
        return r < 0 ? cli_fail_lib(cli, r) : EXIT_OK;
}

/* ---- what a member and an mdev will undergo ---- */

static const char *member_action(const struct plan_member *m)
{
        if (m->bridge)
                return "bridge";
        if (m->by_libvirt)
                return "libvirt";
        return m->bind ? "bind" : "none";
}

static const char *member_story(const struct plan_member *m, const char *driver, char *buf,
                                size_t size)
{
        const char *now = m->driver_now[0] ? m->driver_now : "no driver";

        if (m->bridge)
                snprintf(buf, size, "bridge, left alone");
        else if (m->by_libvirt)
                snprintf(buf, size, "%s, libvirt binds it (managed='yes')", now);
        else if (m->bind)
                snprintf(buf, size, "%s -> %s", now, driver);
        else
                snprintf(buf, size, "already on %s", driver);
        return buf;
}

/* Calls fn for every attribute of want with its current and new value. */
typedef void (*setting_fn)(void *data, const char *key, const char *now, const char *want);

static void each_setting(const struct plan_device *d, setting_fn fn, void *data)
{
        for (unsigned int bit = 1; bit <= VF_ATTR_QUERY_RSS; bit <<= 1) {
                char now[64], want[64];

                if (!(d->vf_want.mask & bit))
                        continue;
                fn(data, vf_attr_name(bit),
                   (d->vf_now.mask & bit) ? vf_settings_value(&d->vf_now, bit, now, sizeof(now))
                                          : NULL,
                   vf_settings_value(&d->vf_want, bit, want, sizeof(want)));
        }
}

/* ---- text ---- */

static void text_setting(void *data, const char *key, const char *now, const char *want)
{
        printf("      %s: %s -> %s%s\n", key, now ? now : "unknown", want,
               now && strcmp(now, want) == 0 ? " (unchanged)" : "");
        (void)data;
}

static void text_device(const struct plan_device *d)
{
        char buf[256], vf[128];

        printf("  %s: <%s managed='%s'> (line %u), IOMMU group %d, driver %s\n", d->name,
               d->source == PLAN_SOURCE_HOSTDEV ? "hostdev" : "interface type='hostdev'",
               d->managed ? "yes" : "no", d->line, d->group, d->driver);
        for (size_t i = 0; i < d->n_members; i++)
                printf("    %s: %s\n", d->members[i].name,
                       member_story(&d->members[i], d->driver, buf, sizeof(buf)));
        if (!d->is_vf)
                return;
        printf("    %s settings%s%s:%s\n", vf_ref_format(&d->vf, vf, sizeof(vf)),
               d->vf_settings_from ? " from " : "", d->vf_settings_from ? d->vf_settings_from : "",
               d->vf_want.mask ? "" : " none");
        each_setting(d, text_setting, NULL);
}

/* start plans the explicit interfaces again (finding them done); the text shows what is new. */
static bool in_plan(const struct plan *p, const char *device)
{
        for (size_t i = 0; p && i < p->n_devices; i++)
                if (strcmp(p->devices[i].name, device) == 0)
                        return true;
        return false;
}

static void text_phase(const struct plan *p, const struct plan *earlier)
{
        size_t shown = 0;

        printf("%s:\n", plan_phase_name(p->phase));
        for (size_t i = 0; i < p->n_devices; i++)
                if (!in_plan(earlier, p->devices[i].name)) {
                        text_device(&p->devices[i]);
                        shown++;
                }
        if (!shown && !p->n_mdevs && !p->n_pending)
                printf("  nothing %s\n", earlier ? "more: pool VFs are planned when libvirt has "
                                                   "allocated them"
                                                 : "to do");
        for (size_t i = 0; i < p->n_mdevs; i++)
                printf("  mdev %s (parent %s, type %s): %s\n", p->mdevs[i].uuid, p->mdevs[i].parent,
                       p->mdevs[i].type,
                       p->mdevs[i].exists ? "exists, left alone" : "create, remove at release");
        for (size_t i = 0; i < p->n_pending; i++)
                printf("  pool VF from network %s%s%s: libvirt allocates it; start applies "
                       "its settings\n",
                       p->pending[i].network, p->pending[i].mac[0] ? ", mac " : "",
                       p->pending[i].mac);
        for (size_t i = 0; i < p->n_refusals; i++)
                if (!in_plan(earlier, p->refusals[i].device))
                        printf("  REFUSED: %s\n", p->refusals[i].reason);
}

/* ---- JSON ---- */

static void json_setting(void *data, const char *key, const char *now, const char *want)
{
        struct json *j = data;

        json_object_begin(j);
        json_kv_string(j, "key", key);
        json_kv_string(j, "current", now);
        json_kv_string(j, "new", want);
        json_object_end(j);
}

static void json_device(struct json *j, const struct plan_device *d)
{
        json_object_begin(j);
        json_kv_string(j, "address", d->name);
        json_kv_string(j, "source", d->source == PLAN_SOURCE_HOSTDEV ? "hostdev" : "interface");
        json_kv_bool(j, "managed", d->managed);
        json_kv_uint(j, "line", d->line);
        json_kv_string(j, "driver", d->driver);
        if (d->group >= 0)
                json_kv_int(j, "iommu_group", d->group);
        else
                json_kv_null(j, "iommu_group");
        json_key(j, "members");
        json_array_begin(j);
        for (size_t i = 0; i < d->n_members; i++) {
                json_object_begin(j);
                json_kv_string(j, "address", d->members[i].name);
                json_kv_string(j, "driver",
                               d->members[i].driver_now[0] ? d->members[i].driver_now : NULL);
                json_kv_string(j, "action", member_action(&d->members[i]));
                json_object_end(j);
        }
        json_array_end(j);
        json_key(j, "vf");
        if (!d->is_vf) {
                json_null(j);
        } else {
                json_object_begin(j);
                json_kv_string(j, "pf", d->vf.pf_netdev);
                json_kv_uint(j, "index", d->vf.index);
                json_kv_string(j, "from", d->vf_settings_from);
                json_key(j, "settings");
                json_array_begin(j);
                each_setting(d, json_setting, j);
                json_array_end(j);
                json_object_end(j);
        }
        json_object_end(j);
}

static void json_phase(struct json *j, const struct plan *p)
{
        json_object_begin(j);
        json_kv_string(j, "phase", plan_phase_name(p->phase));
        json_key(j, "devices");
        json_array_begin(j);
        for (size_t i = 0; i < p->n_devices; i++)
                json_device(j, &p->devices[i]);
        json_array_end(j);
        json_key(j, "mdevs");
        json_array_begin(j);
        for (size_t i = 0; i < p->n_mdevs; i++) {
                json_object_begin(j);
                json_kv_string(j, "uuid", p->mdevs[i].uuid);
                json_kv_string(j, "parent", p->mdevs[i].parent);
                json_kv_string(j, "type", p->mdevs[i].type);
                json_kv_string(j, "action", p->mdevs[i].exists ? "exists" : "create");
                json_object_end(j);
        }
        json_array_end(j);
        json_key(j, "pool_vfs");
        json_array_begin(j);
        for (size_t i = 0; i < p->n_pending; i++) {
                json_object_begin(j);
                json_kv_string(j, "network", p->pending[i].network);
                json_kv_string(j, "mac", p->pending[i].mac[0] ? p->pending[i].mac : NULL);
                json_object_end(j);
        }
        json_array_end(j);
        json_key(j, "refusals");
        json_array_begin(j);
        for (size_t i = 0; i < p->n_refusals; i++) {
                json_object_begin(j);
                json_kv_string(j, "device", p->refusals[i].device);
                json_kv_string(j, "reason", p->refusals[i].reason);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

static void print_plans(const struct vfh_domain *dom, struct plan *const plans[2], bool json,
                        bool refused)
{
        struct json j;

        if (!json) {
                printf("domain %s (%s)\n", dom->name ? dom->name : "-",
                       dom->has_uuid ? dom->uuid : "no uuid");
                text_phase(plans[0], NULL);
                text_phase(plans[1], plans[0]);
                printf("%s\n", refused ? "verdict: refused; prepare would change nothing"
                                       : "verdict: would start");
                return;
        }
        json_init(&j, stdout);
        json_document_begin(&j);
        json_kv_string(&j, "kind", "plan");
        json_kv_string(&j, "domain", dom->name);
        json_kv_string(&j, "uuid", dom->has_uuid ? dom->uuid : NULL);
        json_kv_bool(&j, "refused", refused);
        json_key(&j, "phases");
        json_array_begin(&j);
        for (size_t i = 0; i < 2; i++)
                json_phase(&j, plans[i]);
        json_array_end(&j);
        json_document_end(&j);
}

int cmd_plan(struct cli *cli, int argc, char **argv)
{
        _cleanup_(vfh_domain_freep) struct vfh_domain *dom = NULL;
        _cleanup_config_ struct vfh_config *cfg = NULL;
        _cleanup_plan_ struct plan *prepare = NULL;
        _cleanup_plan_ struct plan *start = NULL;
        struct plan_args a = {0};
        int r;

        r = parse_args(argc, argv, &a);
        if (r == EXIT_OK)
                r = load_domain(cli, &a, &dom);
        if (r == EXIT_OK)
                r = cli_load_config(cli, &cfg);
        if (r != EXIT_OK)
                return r;
        r = plan_build(cli->ctx, dom, cfg, PLAN_PREPARE, &prepare);
        if (r >= 0)
                r = plan_build(cli->ctx, dom, cfg, PLAN_START, &start);
        if (r < 0)
                return cli_fail_lib(cli, r);
        print_plans(dom, (struct plan *const[2]){prepare, start}, a.json,
                    prepare->n_refusals || start->n_refusals);
        return prepare->n_refusals || start->n_refusals ? EXIT_FAILED : EXIT_OK;
}
