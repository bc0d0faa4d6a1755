/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl check BDF: could the device's IOMMU group be given to a guest now? Every member
 * is judged (host-critical, policy, SR-IOV, driverctl, claims) and explained; nothing changes.
 * Also home of cli_load_config, shared by the commands that apply policy.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "group.h"

/* The default config is optional and read under the sysroot; --config FILE is a path on this
 * machine and must exist. A --run-dir given on the command line wins over run_dir. */
int cli_load_config(struct cli *cli, struct vfh_config **ret)
{
        char run_dir[4096];
        int r;

        snprintf(run_dir, sizeof(run_dir), "%s", vfh_ctx_get_run_dir(cli->ctx));
        if (cli->config_explicit) {
                _cleanup_fclose_ FILE *f = fopen(cli->config_path, "re");
                char buf[256 * 1024];
                size_t n;

                if (!f)
                        return cli_fail("%s: cannot open it: %m", cli->config_path);
                n = fread(buf, 1, sizeof(buf), f);
                r = config_parse_buffer(cli->ctx, cli->config_path, buf, n, ret);
        } else
                r = config_load(cli->ctx, CONFIG_DEFAULT_PATH, false, ret);
        if (r < 0)
                return cli_fail_lib(cli, r);
        r = config_apply(cli->ctx, *ret);
        if (r < 0)
                return cli_fail_lib(cli, r);
        if (strcmp(run_dir, "/run/vfiohook") != 0)
                vfh_ctx_set_run_dir(cli->ctx, run_dir);
        return EXIT_OK;
}

/* Parses "BDF [--json] [--driver MODEL]"; returns EXIT_OK or the usage error's code. */
int cli_parse_device_args(const char *command, int argc, char **argv, const char **device,
                          bool *json, const char **driver)
{
        static const struct option options[] = {
            {"json", no_argument, NULL, 'j'},
            {"driver", required_argument, NULL, 'd'},
            {},
        };
        int c;

        /* 0, not 1: glibc then starts afresh and lets options follow the address (the global
         * parse stopped at the command name with "+"). */
        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c == 'j' && json)
                        *json = true;
                else if (c == 'd' && driver)
                        *driver = optarg;
                else
                        return cli_usage_error(command, "unknown option");
        }
        if (optind != argc - 1)
                return cli_usage_error(command, "expects exactly one PCI address");
        *device = argv[optind];
        return EXIT_OK;
}

static void print_text(struct pci_lib *lib, const char *device, const struct pci_group *grp,
                       const struct member_verdict *v, int r, const char *error)
{
        printf("%s: IOMMU group %d: %s\n", device, grp->number,
               r == 0 ? "can be detached" : "cannot be detached");
        for (size_t i = 0; i < grp->n_members; i++) {
                char desc[256];

                pci_dev_describe(lib, &grp->members[i], desc, sizeof(desc));
                printf("  %s (%s): %s\n", grp->members[i].name, desc,
                       v[i].bridge   ? "bridge, stays with the host"
                       : v[i].blocks ? v[i].reason
                                     : "ok");
        }
        if (r < 0)
                printf("%s\n", error);
}

static void print_json(struct pci_lib *lib, const char *device, const struct pci_group *grp,
                       const struct member_verdict *v, bool viable, int r, const char *error)
{
        struct json j;

        json_init(&j, stdout);
        json_document_begin(&j);
        json_kv_string(&j, "device", device);
        json_kv_int(&j, "group", grp->number);
        json_kv_bool(&j, "can_detach", r == 0);
        json_kv_bool(&j, "viable_now", viable);
        json_kv_string(&j, "error", r < 0 ? error : NULL);
        json_key(&j, "members");
        json_array_begin(&j);
        for (size_t i = 0; i < grp->n_members; i++) {
                char desc[256];

                json_object_begin(&j);
                json_kv_string(&j, "address", grp->members[i].name);
                json_kv_string(&j, "description",
                               pci_dev_describe(lib, &grp->members[i], desc, sizeof(desc)));
                json_kv_bool(&j, "bridge", v[i].bridge);
                json_kv_bool(&j, "blocks", v[i].blocks);
                json_kv_bool(&j, "host_critical", v[i].host_critical);
                json_kv_string(&j, "reason", v[i].blocks ? v[i].reason : NULL);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_document_end(&j);
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
        _cleanup_config_ struct vfh_config *cfg = NULL;
        _cleanup_pci_lib_ struct pci_lib *lib = NULL;
        static struct pci_group grp;
        static struct member_verdict verdicts[GROUP_MAX_MEMBERS];
        const char *device = NULL, *driver = NULL;
        char error[VFH_ERROR_MAX], why[256];
        struct group_opts opts = {0};
        struct pci_addr addr;
        bool json = false, viable;
        int r;

        r = cli_parse_device_args("check", argc, argv, &device, &json, &driver);
        if (r != EXIT_OK)
                return r;
        r = cli_load_config(cli, &cfg);
        if (r != EXIT_OK)
                return r;
        if (pci_addr_parse(device, &addr) < 0)
                return cli_usage_error("check", "'%s' is not a PCI address (0000:03:00.0)", device);
        r = group_of_device(cli->ctx, &addr, &grp);
        if (r < 0)
                return cli_fail_lib(cli, r);
        opts = (struct group_opts){
            .device = device, .driver = driver, .config = cfg, .owner_id = "cli"};
        r = group_check(cli->ctx, &grp, &opts, verdicts);
        snprintf(error, sizeof(error), "%s", vfh_ctx_last_error(cli->ctx));
        if (r < 0 && r != -EPERM)
                return cli_fail_lib(cli, r);
        viable = group_is_viable(cli->ctx, &grp, why, sizeof(why));
        pci_lib_open(cli->ctx, &lib);
        if (json)
                print_json(lib, device, &grp, verdicts, viable, r, error);
        else
                print_text(lib, device, &grp, verdicts, r, error);
        return r == 0 ? EXIT_OK : EXIT_FAILED;
}
