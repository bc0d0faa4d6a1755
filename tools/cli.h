/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every vfiohookctl command shares: the context, global options and exit codes. */
#pragma once

#include <stdbool.h>

#include "vfiohook.h"
#include "json.h"

/* DESIGN.md §5: 0 ok, 1 refused or failed, 2 usage. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
};

struct cli {
        vfh_ctx *ctx;
        const char *config_path; /* NULL: the default, which may be absent */
        bool config_explicit;
};

struct cli_command {
        const char *name;
        int (*run)(struct cli *cli, int argc, char **argv);
        const char *usage;   /* arguments after the command name */
        const char *summary; /* one line for the overview */
};

/* Prints "vfiohookctl: MESSAGE" on stderr and returns EXIT_FAILED. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the library's last error (or strerror(-r)) and returns EXIT_FAILED. */
int cli_fail_lib(struct cli *cli, int r);
/* Prints "vfiohookctl CMD: MESSAGE", the command's usage, and returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True (and prints the usage) when argv holds -h or --help. */
bool cli_wants_help(const char *command, int argc, char **argv);

/* The commands, one file each (tools/cmd_NAME.c). */
int cmd_parse(struct cli *cli, int argc, char **argv);
int cmd_plan(struct cli *cli, int argc, char **argv);
int cmd_vf(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_detach(struct cli *cli, int argc, char **argv);
int cmd_reattach(struct cli *cli, int argc, char **argv);
int cmd_doctor(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_recover(struct cli *cli, int argc, char **argv);
int cmd_sriov(struct cli *cli, int argc, char **argv);

/* Shared by the commands that apply the host policy (tools/cmd_check.c). */
struct vfh_config;
/* Loads --config FILE (must exist) or the default (optional) and applies it to the context. */
int cli_load_config(struct cli *cli, struct vfh_config **ret);
/* "BDF [--json] [--driver MODEL]"; json/driver may be NULL when the command has no such option. */
int cli_parse_device_args(const char *command, int argc, char **argv, const char **device,
                          bool *json, const char **driver);
