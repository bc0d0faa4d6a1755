/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfiohookctl: the admin CLI. Global options, then one command from the table below. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cli.h"

/* Keep in the order the overview should show; the NULL entry ends the table. */
static const struct cli_command commands[] = {
    {"parse", cmd_parse, "--xml FILE [--network-dir DIR]... [--no-network-lookup] [--json]",
     "print the model vfiohook reads from a libvirt XML document"},
    {"plan", cmd_plan, "(--xml FILE | --domain NAME) [--json]",
     "dry run of the qemu hook: devices, driver changes, VF settings, mdevs, refusals"},
    {"list", cmd_list, "[--json]", "IOMMU groups, their devices and drivers, and /dev/vfio users"},
    {"check", cmd_check, "BDF [--driver MODEL] [--json]",
     "whether the device's IOMMU group could be detached, and why not"},
    {"detach", cmd_detach, "BDF [--driver MODEL]", "move the device's IOMMU group to vfio-pci"},
    {"reattach", cmd_reattach, "BDF", "return a detached IOMMU group to its recorded drivers"},
    {"vf", cmd_vf,
     "show PF [--json] | set {PF N|VF-ADDRESS} {key=value... [--save FILE]|--restore FILE}",
     "show or set SR-IOV VF settings (ip-link key names)"},
    {"sriov", cmd_sriov, "PF [N] [--json]",
     "show or safely set the number of VFs of an SR-IOV PF (netdev name or address)"},
    {"doctor", cmd_doctor, "[--json]",
     "check the host for passthrough and vfiohook: a verdict and a fix per problem"},
    {"status", cmd_status, "[--json]",
     "which domain or network holds which groups, VFs and settings, from the journals"},
    {"recover", cmd_recover, "[--domain NAME] [--dry-run]",
     "undo the journals of domains and networks that are no longer running"},
    {},
};

static const struct cli_command *find_command(const char *name)
{
        for (const struct cli_command *c = commands; c->name; c++)
                if (strcmp(c->name, name) == 0)
                        return c;
        return NULL;
}

static void print_overview(FILE *out)
{
        fputs(
            "Usage: vfiohookctl [--sysroot DIR] [--run-dir DIR] [--config FILE] [-v] COMMAND ...\n"
            "\nCommands:\n",
            out);
        for (const struct cli_command *c = commands; c->name; c++)
                fprintf(out, "  %-10s %s\n", c->name, c->summary);
        fputs("\n'vfiohookctl COMMAND --help' shows a command's options.\n"
              "Exit status: 0 ok, 1 refused or failed, 2 usage error.\n",
              out);
}

int cli_fail(const char *fmt, ...)
{
        va_list ap;

        fputs("vfiohookctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAILED;
}

int cli_fail_lib(struct cli *cli, int r)
{
        const char *msg = vfh_ctx_last_error(cli->ctx);

        return cli_fail("%s", msg && *msg ? msg : strerror(r < 0 ? -r : r));
}

static void print_command_usage(FILE *out, const struct cli_command *cmd)
{
        fprintf(out, "Usage: vfiohookctl %s %s\n%s\n", cmd->name, cmd->usage, cmd->summary);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
        const struct cli_command *cmd = find_command(command);
        va_list ap;

        fprintf(stderr, "vfiohookctl %s: ", command);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (cmd)
                print_command_usage(stderr, cmd);
        return EXIT_USAGE;
}

bool cli_wants_help(const char *command, int argc, char **argv)
{
        const struct cli_command *cmd = find_command(command);

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        break;
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        if (cmd)
                                print_command_usage(stdout, cmd);
                        return true;
                }
        }
        return false;
}

static void log_to_stderr(void *data, int priority, const char *message)
{
        (void)data;
        if (priority <= LOG_ERR)
                return; /* errors are printed once, by the command that gets them */
        fprintf(stderr, "vfiohookctl: %s\n", message);
}

enum { OPT_SYSROOT = 256, OPT_RUN_DIR, OPT_CONFIG, OPT_VERSION };

/* Returns the index of the command name in argv, or -1 with *exit_code set when main is done. */
static int parse_global_options(struct cli *cli, int argc, char **argv, int *exit_code)
{
        static const struct option options[] = {
            {"sysroot", required_argument, NULL, OPT_SYSROOT},
            {"run-dir", required_argument, NULL, OPT_RUN_DIR},
            {"config", required_argument, NULL, OPT_CONFIG},
            {"verbose", no_argument, NULL, 'v'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, OPT_VERSION},
            {},
        };
        int c, r = 0;

        /* '+': stop at the command name; its own options follow it. */
        while ((c = getopt_long(argc, argv, "+vh", options, NULL)) != -1) {
                switch (c) {
                case OPT_SYSROOT:
                        r = vfh_ctx_set_sysroot(cli->ctx, optarg);
                        break;
                case OPT_RUN_DIR:
                        r = vfh_ctx_set_run_dir(cli->ctx, optarg);
                        break;
                case OPT_CONFIG:
                        cli->config_path = optarg;
                        cli->config_explicit = true;
                        break;
                case 'v':
                        vfh_ctx_set_log_priority(cli->ctx, LOG_DEBUG);
                        break;
                case 'h':
                        print_overview(stdout);
                        *exit_code = EXIT_OK;
                        return -1;
                case OPT_VERSION:
                        printf("vfiohookctl %s\n", VFH_VERSION);
                        *exit_code = EXIT_OK;
                        return -1;
                default:
                        print_overview(stderr);
                        *exit_code = EXIT_USAGE;
                        return -1;
                }
                if (r < 0) {
                        cli_fail_lib(cli, r);
                        *exit_code = EXIT_USAGE;
                        return -1;
                }
        }
        if (optind >= argc) {
                print_overview(stderr);
                *exit_code = EXIT_USAGE;
                return -1;
        }
        return optind;
}

static int run_command(struct cli *cli, int argc, char **argv)
{
        const struct cli_command *cmd = find_command(argv[0]);

        if (!cmd) {
                fprintf(stderr, "vfiohookctl: unknown command '%s'\n", argv[0]);
                print_overview(stderr);
                return EXIT_USAGE;
        }
        if (cli_wants_help(cmd->name, argc, argv))
                return EXIT_OK;
        optind = 1;
        return cmd->run(cli, argc, argv);
}

int main(int argc, char **argv)
{
        struct cli cli = {.config_path = "/etc/vfiohook/vfiohook.conf"};
        int r, first, exit_code = EXIT_OK;

        r = vfh_ctx_new(&cli.ctx);
        if (r < 0)
                return cli_fail("cannot create context: %s", strerror(-r));
        vfh_ctx_set_log_fn(cli.ctx, log_to_stderr, NULL);
        vfh_ctx_set_log_priority(cli.ctx, LOG_WARNING);

        first = parse_global_options(&cli, argc, argv, &exit_code);
        if (first >= 0)
                exit_code = run_command(&cli, argc - first, argv + first);
        vfh_ctx_unref(cli.ctx);
        return exit_code;
}
