/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl sriov PF [N]: show or set the number of VFs of an SR-IOV PF safely (lib/sriov.h:
 * refused while a VF is assigned, through 0 when the kernel needs it, read back). The count is
 * the admin's choice, so it is not journaled: nothing undoes it. For a count that survives a
 * reboot, enable vfiohook-sriov@PF.service (see vfiohookctl(8)).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"
#include "journal.h"
#include "sriov.h"

struct sriov_args {
        const char *pf;
        bool set;
        unsigned int want;
        bool json;
};

static int parse_count(const char *s, unsigned int *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v > INT_MAX)
                return -EINVAL;
        *ret = (unsigned int)v;
        return 0;
}

static int parse_sriov_args(int argc, char **argv, struct sriov_args *a)
{
        static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {}};
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c != 'j')
                        return cli_usage_error("sriov", "unknown option");
                a->json = true;
        }
        if (optind >= argc || argc - optind > 2)
                return cli_usage_error("sriov", "needs a PF and at most one count");
        a->pf = argv[optind];
        if (argc - optind == 2) {
                if (parse_count(argv[optind + 1], &a->want) < 0)
                        return cli_usage_error("sriov", "'%s' is not a number of VFs",
                                               argv[optind + 1]);
                a->set = true;
        }
        return EXIT_OK;
}

static void print_state(const struct sriov_args *a, const char *addr, unsigned int numvfs,
                        unsigned int totalvfs)
{
        struct json j;

        if (!a->json) {
                printf("%s (%s): %u of %u VFs\n", a->pf, addr, numvfs, totalvfs);
                return;
        }
        json_init(&j, stdout);
        json_document_begin(&j);
        json_kv_string(&j, "kind", "sriov");
        json_kv_string(&j, "pf", a->pf);
        json_kv_string(&j, "address", addr);
        json_kv_uint(&j, "numvfs", numvfs);
        json_kv_uint(&j, "totalvfs", totalvfs);
        json_document_end(&j);
}

int cmd_sriov(struct cli *cli, int argc, char **argv)
{
        _cleanup_config_ struct vfh_config *cfg = NULL;
        struct sriov_args a = {0};
        struct pci_addr pf;
        char addr[PCI_ADDR_STRLEN];
        unsigned int numvfs, totalvfs;
        int r = parse_sriov_args(argc, argv, &a), lock = -1;

        if (r != EXIT_OK || (r = cli_load_config(cli, &cfg)) != EXIT_OK)
                return r;
        r = sriov_pf_resolve(cli->ctx, a.pf, &pf);
        if (r < 0)
                return cli_fail_lib(cli, r);
        pci_addr_format(&pf, addr);
        if (a.set) {
                /* The hooks' lock: no guest start or pool change runs while VFs come and go. */
                r = journal_lock(cli->ctx, &lock);
                if (r >= 0)
                        r = sriov_set_numvfs(cli->ctx, &pf, a.want, NULL);
                journal_unlock(lock);
                if (r < 0)
                        return cli_fail_lib(cli, r);
        }
        r = sriov_read(cli->ctx, &pf, &numvfs, &totalvfs);
        if (r < 0)
                return cli_fail_lib(cli, r);
        print_state(&a, addr, numvfs, totalvfs);
        return EXIT_OK;
}
