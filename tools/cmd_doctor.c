/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl doctor: is this host ready for VFIO passthrough with vfiohook? One line per
 * finding with its verdict, and the fix under every problem. Changes nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "doctor.h"

static void print_text(const struct doctor_report *report, const size_t counts[])
{
        for (size_t i = 0; i < report->n_items; i++) {
                const struct doctor_item *it = &report->items[i];

                printf("[%s] %s", doctor_status_name(it->status), it->check);
                if (it->subject[0])
                        printf(" %s", it->subject);
                printf(": %s\n", it->message);
                if (it->fix[0] && it->status != DOCTOR_OK)
                        printf("       fix: %s\n", it->fix);
        }
        printf("\nverdict: %s (%zu failed, %zu warnings, %zu notes, %zu ok)\n",
               doctor_status_name(report->verdict), counts[DOCTOR_FAIL], counts[DOCTOR_WARN],
               counts[DOCTOR_INFO], counts[DOCTOR_OK]);
}

static void print_json(const struct doctor_report *report, const size_t counts[])
{
        struct json j;

        json_init(&j, stdout);
        json_document_begin(&j);
        json_kv_string(&j, "kind", "doctor");
        json_kv_string(&j, "verdict", doctor_status_name(report->verdict));
        json_key(&j, "counts");
        json_object_begin(&j);
        for (int s = DOCTOR_OK; s <= DOCTOR_FAIL; s++)
                json_kv_uint(&j, doctor_status_name(s), counts[s]);
        json_object_end(&j);
        json_key(&j, "items");
        json_array_begin(&j);
        for (size_t i = 0; i < report->n_items; i++) {
                const struct doctor_item *it = &report->items[i];

                json_object_begin(&j);
                json_kv_string(&j, "check", it->check);
                json_kv_string(&j, "subject", it->subject[0] ? it->subject : NULL);
                json_kv_string(&j, "status", doctor_status_name(it->status));
                json_kv_string(&j, "message", it->message);
                json_kv_string(&j, "fix", it->fix[0] ? it->fix : NULL);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_document_end(&j);
}

static int parse_doctor_args(int argc, char **argv, bool *json)
{
        static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {}};
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c != 'j')
                        return cli_usage_error("doctor", "unknown option");
                *json = true;
        }
        if (optind != argc)
                return cli_usage_error("doctor", "takes no arguments");
        return EXIT_OK;
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
        _cleanup_config_ struct vfh_config *cfg = NULL;
        struct doctor_report report = {0};
        struct doctor_opts opts = {0};
        size_t counts[DOCTOR_FAIL + 1] = {0};
        bool json = false;
        int r = parse_doctor_args(argc, argv, &json);

        if (r != EXIT_OK)
                return r;
        r = cli_load_config(cli, &cfg);
        if (r != EXIT_OK)
                return r;
        opts.config = cfg;
        r = doctor_run(cli->ctx, &opts, &report);
        if (r < 0)
                return cli_fail_lib(cli, r);
        for (size_t i = 0; i < report.n_items; i++)
                counts[report.items[i].status]++;
        if (json)
                print_json(&report, counts);
        else
                print_text(&report, counts);
        r = report.verdict == DOCTOR_FAIL ? EXIT_FAILED : EXIT_OK;
        doctor_report_clear(&report);
        return r;
}
