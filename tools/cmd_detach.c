/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl detach BDF / reattach BDF: move the device's whole IOMMU group to vfio-pci (or a
 * variant) and back, by hand. Journaled exactly like the hooks, under the owner "cli", and
 * under the same global lock, so the hooks see these groups as claimed until reattached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "group.h"

#define CLI_OWNER "cli"

static int load_cli_journal(struct cli *cli, struct journal **ret)
{
        int r = journal_load(cli->ctx, CLI_OWNER, ret);

        if (r == -ENOENT)
                r = journal_new(cli->ctx, JOURNAL_OWNER_CLI, CLI_OWNER, "vfiohookctl", ret);
        return r;
}

static size_t count_endpoints(const struct pci_group *grp)
{
        size_t n = 0;

        for (size_t i = 0; i < grp->n_members; i++)
                n += !pci_dev_is_bridge(&grp->members[i]);
        return n;
}

static int group_for(struct cli *cli, const char *command, const char *device,
                     struct pci_group *grp)
{
        struct pci_addr addr;
        int r;

        if (pci_addr_parse(device, &addr) < 0)
                return cli_usage_error(command, "'%s' is not a PCI address (0000:03:00.0)", device);
        r = group_of_device(cli->ctx, &addr, grp);
        return r < 0 ? cli_fail_lib(cli, r) : EXIT_OK;
}

int cmd_detach(struct cli *cli, int argc, char **argv)
{
        _cleanup_config_ struct vfh_config *cfg = NULL;
        _cleanup_journal_ struct journal *j = NULL;
        static struct pci_group grp;
        const char *device = NULL, *driver = NULL;
        struct group_opts opts;
        int r, lock = -1;

        r = cli_parse_device_args("detach", argc, argv, &device, NULL, &driver);
        if (r == EXIT_OK)
                r = cli_load_config(cli, &cfg);
        if (r == EXIT_OK)
                r = group_for(cli, "detach", device, &grp);
        if (r != EXIT_OK)
                return r;
        r = journal_lock(cli->ctx, &lock);
        if (r < 0)
                return cli_fail_lib(cli, r);
        r = load_cli_journal(cli, &j);
        opts = (struct group_opts){
            .device = device, .driver = driver, .config = cfg, .owner_id = CLI_OWNER};
        if (r >= 0)
                r = group_detach(cli->ctx, &grp, j, &opts);
        journal_unlock(lock);
        if (r < 0)
                return cli_fail_lib(cli, r);
        printf("%s: IOMMU group %d is on %s (%zu endpoint%s); undo with `vfiohookctl reattach "
               "%s`\n",
               device, grp.number, driver ? driver : "vfio-pci", count_endpoints(&grp),
               count_endpoints(&grp) == 1 ? "" : "s", device);
        return EXIT_OK;
}

int cmd_reattach(struct cli *cli, int argc, char **argv)
{
        _cleanup_config_ struct vfh_config *cfg = NULL;
        _cleanup_journal_ struct journal *j = NULL;
        static struct pci_group grp;
        const char *device = NULL;
        int r, lock = -1;

        r = cli_parse_device_args("reattach", argc, argv, &device, NULL, NULL);
        if (r == EXIT_OK)
                r = cli_load_config(cli, &cfg);
        if (r == EXIT_OK)
                r = group_for(cli, "reattach", device, &grp);
        if (r != EXIT_OK)
                return r;
        r = journal_lock(cli->ctx, &lock);
        if (r < 0)
                return cli_fail_lib(cli, r);
        r = load_cli_journal(cli, &j);
        if (r >= 0)
                r = group_reattach(cli->ctx, &grp, j);
        journal_unlock(lock);
        if (r < 0)
                return cli_fail_lib(cli, r);
        printf("%s: IOMMU group %d is back on its recorded drivers\n", device, grp.number);
        return EXIT_OK;
}
