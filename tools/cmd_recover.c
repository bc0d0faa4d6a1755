/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl recover: undo the journals whose owner is gone. A libvirtd or hook crash (or a
 * SIGKILLed hook) can leave a domain's devices on vfio-pci and its VF settings changed with
 * nobody left to call release; recover replays those journals newest first, as release would.
 *
 * "Running" is decided as the hooks decide it (journal_owner_running: the owner lock, QEMU's
 * pid file, the network's status file), so recover works while libvirtd is down. The replay
 * itself is lib/recover.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "journal.h"
#include "recover.h"

struct recover_opts {
        const char *name; /* NULL: every stale journal */
        bool dry_run;
        bool matched;   /* a journal had that name */
        size_t n_stale; /* journals recovered, or shown with --dry-run */
};

static bool journal_matches(const struct journal *j, const char *name)
{
        return !name || strcmp(j->name, name) == 0 || strcmp(j->id, name) == 0;
}

static void print_plan(const struct journal *j)
{
        printf("%s %s (%s): would undo %zu record%s, newest first:\n",
               journal_owner_kind_name(j->kind), j->name, j->id, j->n_records,
               j->n_records == 1 ? "" : "s");
        for (size_t i = j->n_records; i-- > 0;) {
                const struct journal_record *rec = &j->records[i];

                printf("  record %u %s %s", rec->seq, rec->type,
                       rec->state == JOURNAL_DONE ? "done" : "intent");
                for (size_t k = 0; k < rec->n_kv; k++)
                        printf(" %s=%s", rec->kv[k].key, rec->kv[k].value);
                printf("\n");
        }
}

static int recover_one(struct cli *cli, const struct journal *seen)
{
        size_t n = seen->n_records;
        int r = recover_owner(cli->ctx, seen);

        if (r < 0)
                return cli_fail_lib(cli, r);
        printf("%s %s (%s): undid %zu record%s\n", journal_owner_kind_name(seen->kind), seen->name,
               seen->id, n, n == 1 ? "" : "s");
        return EXIT_OK;
}

/* Judges one journal, and recovers it when its owner is gone. */
static int consider(struct cli *cli, struct recover_opts *o, const char *id)
{
        _cleanup_journal_ struct journal *j = NULL;
        int r = journal_load(cli->ctx, id, &j);

        if (r == -ENOENT)
                return EXIT_OK;
        if (r < 0)
                return cli_fail_lib(cli, r);
        if (!journal_matches(j, o->name))
                return EXIT_OK;
        o->matched = true;
        switch (recover_judge(cli->ctx, j)) {
        case RECOVER_CLI:
                if (o->name)
                        return cli_fail("journal %s: devices detached by `vfiohookctl detach` "
                                        "stay claimed until `vfiohookctl reattach BDF`",
                                        j->id);
                return EXIT_OK;
        case RECOVER_RUNNING:
                if (o->name)
                        return cli_fail("%s %s is running: its journal belongs to it; stop it "
                                        "(its release hook restores everything), or wait for "
                                        "the hook that holds it",
                                        journal_owner_kind_name(j->kind), j->name);
                return EXIT_OK;
        case RECOVER_STALE:
                break;
        }
        o->n_stale++;
        if (o->dry_run) {
                print_plan(j);
                return EXIT_OK;
        }
        return recover_one(cli, j);
}

static int parse_recover_args(int argc, char **argv, struct recover_opts *o)
{
        static const struct option options[] = {
            {"domain", required_argument, NULL, 'd'},
            {"dry-run", no_argument, NULL, 'n'},
            {},
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c == 'd')
                        o->name = optarg;
                else if (c == 'n')
                        o->dry_run = true;
                else
                        return cli_usage_error("recover", "unknown option");
        }
        if (optind != argc)
                return cli_usage_error("recover", "takes no arguments");
        if (o->name && !*o->name)
                return cli_usage_error("recover", "--domain needs a name");
        return EXIT_OK;
}

int cmd_recover(struct cli *cli, int argc, char **argv)
{
        _cleanup_config_ struct vfh_config *cfg = NULL;
        struct recover_opts o = {0};
        char **ids = NULL;
        int r = parse_recover_args(argc, argv, &o), failed = EXIT_OK;

        if (r != EXIT_OK || (r = cli_load_config(cli, &cfg)) != EXIT_OK)
                return r;
        if (sysfs_exists(cli->ctx, "%s", vfh_ctx_get_run_dir(cli->ctx))) {
                r = journal_list_ids(cli->ctx, &ids);
                if (r < 0)
                        return cli_fail_lib(cli, r);
                for (char **id = ids; *id; id++)
                        if (consider(cli, &o, *id) != EXIT_OK)
                                failed = EXIT_FAILED;
                journal_ids_free(ids);
        }
        if (o.name && !o.matched)
                return cli_fail("no journal for '%s' in %s: vfiohook holds nothing for it", o.name,
                                vfh_ctx_get_run_dir(cli->ctx));
        if (!o.n_stale && failed == EXIT_OK)
                printf("nothing to recover in %s: no journal of a stopped owner\n",
                       vfh_ctx_get_run_dir(cli->ctx));
        return failed;
}
