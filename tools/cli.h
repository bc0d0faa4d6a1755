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
int cmd_vf(struct cli *cli, int argc, char **argv);
