/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl status: what vfiohook holds right now, from the journals: which domain or network
 * holds which groups, VFs, VF settings, VF counts and mdevs, whether its owner still runs
 * (else `recover` applies), and the devices on vfio-pci that no journal accounts for.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "doctor.h"
#include "journal.h"

/* Keys every record type has that the text form shows on its own. */
static bool is_identity_key(const char *key)
{
        return strcmp(key, "device") == 0 || strcmp(key, "pf") == 0 || strcmp(key, "vf") == 0;
}

static void print_fields(const struct journal_record *rec, bool skip_identity)
{
        for (size_t i = 0; i < rec->n_kv; i++)
                if (!skip_identity || !is_identity_key(rec->kv[i].key))
                        printf(" %s=%s", rec->kv[i].key, rec->kv[i].value);
}

static const char *get_or(const struct journal_record *rec, const char *key, const char *dflt)
{
        const char *v = journal_record_get(rec, key);

        return v && *v ? v : dflt;
}

static void print_record_text(const struct journal_record *rec)
{
        const char *state = rec->state == JOURNAL_DONE ? "" : " (intent: may be half done)";

        if (strcmp(rec->type, "bind") == 0)
                printf("  group %s: %s %s -> %s%s\n", get_or(rec, "group", "?"),
                       get_or(rec, "device", "?"), get_or(rec, "driver", "(no driver)"),
                       get_or(rec, "new_driver", "?"), state);
        else if (strcmp(rec->type, "vf") == 0) {
                printf("  VF %s (%s vf %s) saved:", get_or(rec, "device", "-"),
                       get_or(rec, "pf", "?"), get_or(rec, "vf", "?"));
                print_fields(rec, true);
                printf("%s\n", state);
        } else if (strcmp(rec->type, "numvfs") == 0)
                printf("  PF %s: VFs %s -> %s%s\n", get_or(rec, "device", "?"),
                       get_or(rec, "numvfs", "?"), get_or(rec, "new", "?"), state);
        else {
                printf("  %s:", rec->type);
                print_fields(rec, false);
                printf("%s\n", state);
        }
}

static void print_journal_text(vfh_ctx *ctx, const struct journal *j)
{
        bool running = journal_owner_running(ctx, j);

        printf("%s %s (%s): %s, %zu record%s\n", journal_owner_kind_name(j->kind), j->name, j->id,
               running ? "running" : "NOT RUNNING, run `vfiohookctl recover`", j->n_records,
               j->n_records == 1 ? "" : "s");
        for (size_t i = 0; i < j->n_records; i++)
                print_record_text(&j->records[i]);
}

static void print_journal_json(vfh_ctx *ctx, struct json *js, const struct journal *j)
{
        json_object_begin(js);
        json_kv_string(js, "kind", journal_owner_kind_name(j->kind));
        json_kv_string(js, "id", j->id);
        json_kv_string(js, "name", j->name);
        json_kv_bool(js, "running", journal_owner_running(ctx, j));
        json_key(js, "records");
        json_array_begin(js);
        for (size_t i = 0; i < j->n_records; i++) {
                const struct journal_record *rec = &j->records[i];

                json_object_begin(js);
                json_kv_uint(js, "seq", rec->seq);
                json_kv_string(js, "type", rec->type);
                json_kv_string(js, "state", rec->state == JOURNAL_DONE ? "done" : "intent");
                json_key(js, "fields");
                json_object_begin(js);
                for (size_t k = 0; k < rec->n_kv; k++)
                        json_kv_string(js, rec->kv[k].key, rec->kv[k].value);
                json_object_end(js);
                json_object_end(js);
        }
        json_array_end(js);
        json_object_end(js);
}

static void print_vfio_devices(struct json *js, const struct doctor_vfio_dev *devs, size_t n)
{
        bool header = false;

        if (js) {
                json_key(js, "vfio_devices");
                json_array_begin(js);
        }
        for (size_t i = 0; i < n; i++) {
                if (js) {
                        json_object_begin(js);
                        json_kv_string(js, "address", devs[i].address);
                        json_kv_string(js, "driver", devs[i].driver);
                        json_kv_string(js, "held_by", devs[i].held_by[0] ? devs[i].held_by : NULL);
                        json_object_end(js);
                } else if (!devs[i].held_by[0]) {
                        if (!header)
                                printf("on a VFIO driver, and no journal or running libvirt "
                                       "domain accounts for it:\n");
                        header = true;
                        printf("  %s (%s)\n", devs[i].address, devs[i].driver);
                }
        }
        if (js)
                json_array_end(js);
}

/* Every journal; one that cannot be read is reported and makes the exit status 1. */
static int print_journals(struct cli *cli, struct json *js, bool *any)
{
        char **ids = NULL;
        int r, failed = 0;

        if (!sysfs_exists(cli->ctx, "%s", vfh_ctx_get_run_dir(cli->ctx)))
                return 0; /* nothing ran since boot; listing would create the run dir */
        r = journal_list_ids(cli->ctx, &ids);
        if (r < 0)
                return cli_fail_lib(cli, r);
        for (char **id = ids; *id; id++) {
                _cleanup_journal_ struct journal *j = NULL;

                r = journal_load(cli->ctx, *id, &j);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        failed = cli_fail_lib(cli, r);
                        continue;
                }
                *any = true;
                if (js)
                        print_journal_json(cli->ctx, js, j);
                else
                        print_journal_text(cli->ctx, j);
        }
        journal_ids_free(ids);
        return failed;
}

static int parse_status_args(int argc, char **argv, bool *json)
{
        static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {}};
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c != 'j')
                        return cli_usage_error("status", "unknown option");
                *json = true;
        }
        if (optind != argc)
                return cli_usage_error("status", "takes no arguments");
        return EXIT_OK;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
        _cleanup_config_ struct vfh_config *cfg = NULL;
        _cleanup_free_ struct doctor_vfio_dev *devs = NULL;
        struct json j, *js = NULL;
        bool json = false, any = false;
        size_t n = 0;
        int r = parse_status_args(argc, argv, &json);

        if (r != EXIT_OK || (r = cli_load_config(cli, &cfg)) != EXIT_OK)
                return r;
        if (json) {
                js = &j;
                json_init(js, stdout);
                json_document_begin(js);
                json_kv_string(js, "kind", "status");
                json_kv_string(js, "run_dir", vfh_ctx_get_run_dir(cli->ctx));
                json_key(js, "owners");
                json_array_begin(js);
        }
        r = print_journals(cli, js, &any);
        if (js)
                json_array_end(js);
        else if (!any)
                printf("no journals in %s: vfiohook holds nothing\n",
                       vfh_ctx_get_run_dir(cli->ctx));
        if (doctor_vfio_devices(cli->ctx, &devs, &n) < 0)
                n = 0;
        print_vfio_devices(js, devs, n);
        if (js)
                json_document_end(js);
        return r;
}
