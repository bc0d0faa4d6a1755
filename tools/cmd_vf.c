/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiohookctl vf: show every VF of a PF, or set some of one VF's attributes with the ip-link(8)
 * key names. `set --save FILE` writes the original values (the same key=value fields the hooks
 * journal) before changing anything, and `set --restore FILE` puts them back through the
 * library's restore path, so an admin (and the VM tests) can undo a change exactly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vf.h"

/* --- show --------------------------------------------------------------------------------- */

static const char *value_or_null(const struct vf_settings *s, unsigned int attr, char *buf,
                                 size_t size)
{
        return (s->mask & attr) ? vf_settings_value(s, attr, buf, size) : NULL;
}

static void json_toggle(struct json *j, const char *key, const struct vf_settings *s,
                        unsigned int attr, bool value)
{
        if (s->mask & attr)
                json_kv_bool(j, key, value);
        else
                json_kv_null(j, key);
}

static void json_vf(struct json *j, unsigned int index, const struct vf_ref *ref,
                    const struct vf_settings *s)
{
        char buf[64], addr[PCI_ADDR_STRLEN];

        json_object_begin(j);
        json_kv_uint(j, "vf", index);
        json_kv_string(j, "address", ref->has_addr ? pci_addr_format(&ref->addr, addr) : NULL);
        json_kv_string(j, "mac", value_or_null(s, VF_ATTR_MAC, buf, sizeof(buf)));
        if (s->mask & VF_ATTR_VLAN) {
                json_kv_uint(j, "vlan", s->vlan);
                json_kv_uint(j, "qos", s->qos);
                json_kv_string(j, "proto", s->proto == VF_VLAN_PROTO_8021AD ? "802.1ad" : "802.1Q");
        } else {
                json_kv_null(j, "vlan");
                json_kv_null(j, "qos");
                json_kv_null(j, "proto");
        }
        json_toggle(j, "spoofchk", s, VF_ATTR_SPOOFCHK, s->spoofchk);
        json_toggle(j, "trust", s, VF_ATTR_TRUST, s->trust);
        json_kv_string(j, "state", value_or_null(s, VF_ATTR_LINK_STATE, buf, sizeof(buf)));
        if (s->mask & VF_ATTR_MIN_TX_RATE)
                json_kv_uint(j, "min_tx_rate", s->min_tx_rate);
        else
                json_kv_null(j, "min_tx_rate");
        if (s->mask & VF_ATTR_MAX_TX_RATE)
                json_kv_uint(j, "max_tx_rate", s->max_tx_rate);
        else
                json_kv_null(j, "max_tx_rate");
        json_toggle(j, "query_rss", s, VF_ATTR_QUERY_RSS, s->query_rss);
        json_object_end(j);
}

static void text_vf(unsigned int index, const struct vf_ref *ref, const struct vf_settings *s)
{
        static const unsigned int shown[] = {
            VF_ATTR_MAC,         VF_ATTR_SPOOFCHK,    VF_ATTR_TRUST,    VF_ATTR_LINK_STATE,
            VF_ATTR_MIN_TX_RATE, VF_ATTR_MAX_TX_RATE, VF_ATTR_QUERY_RSS};
        char buf[64], addr[PCI_ADDR_STRLEN];

        printf("vf %u %s", index, ref->has_addr ? pci_addr_format(&ref->addr, addr) : "-");
        for (size_t i = 0; i < ARRAY_SIZE(shown); i++) {
                const char *v = value_or_null(s, shown[i], buf, sizeof(buf));

                printf(" %s %s", vf_attr_name(shown[i]), v ? v : "-");
                if (shown[i] == VF_ATTR_MAC && (s->mask & VF_ATTR_VLAN))
                        printf(" vlan %u qos %u proto %s", s->vlan, s->qos,
                               s->proto == VF_VLAN_PROTO_8021AD ? "802.1ad" : "802.1Q");
        }
        putchar('\n');
}

static int vf_show(struct cli *cli, const char *pf, bool json)
{
        struct vf_pf_state st;
        char driver[64];
        bool known_driver;
        struct json j;
        int r = vf_pf_read(cli->ctx, pf, &st);

        if (r < 0)
                return cli_fail_lib(cli, r);
        known_driver = vf_pf_driver(cli->ctx, pf, driver, sizeof(driver)) == 0;

        if (json) {
                json_init(&j, stdout);
                json_document_begin(&j);
                json_kv_string(&j, "pf", st.pf_netdev);
                json_kv_string(&j, "driver", known_driver ? driver : NULL);
                json_kv_bool(&j, "up", st.up);
                json_kv_uint(&j, "num_vfs", st.num_vfs);
                json_key(&j, "vfs");
                json_array_begin(&j);
        } else
                printf("%s: driver %s, %s, %u VFs\n", st.pf_netdev, driver, st.up ? "up" : "down",
                       st.num_vfs);
        for (unsigned int i = 0; i < st.num_vfs; i++) {
                struct vf_ref ref = {0};

                (void)vf_ref_from_netdev(cli->ctx, pf, i, &ref);
                if (json)
                        json_vf(&j, i, &ref, &st.vfs[i]);
                else
                        text_vf(i, &ref, &st.vfs[i]);
        }
        if (json) {
                json_array_end(&j);
                json_document_end(&j);
        }
        vf_pf_state_clear(&st);
        return EXIT_OK;
}

/* --- set ---------------------------------------------------------------------------------- */

static int write_field(void *data, const char *key, const char *value)
{
        return fprintf(data, "%s=%s\n", key, value) < 0 ? -EIO : 0;
}

static int save_originals(const char *path, const struct vf_settings *saved)
{
        _cleanup_fclose_ FILE *f = fopen(path, "we");

        if (!f)
                return cli_fail("vf set: cannot write %s: %s", path, strerror(errno));
        if (vf_settings_to_fields(saved, write_field, f) < 0 || fflush(f) != 0)
                return cli_fail("vf set: cannot write %s: %s", path, strerror(errno));
        return EXIT_OK;
}

/* One "key=value" into s; a malformed or unknown one is a usage error. */
static int add_field(struct cli *cli, struct vf_settings *s, const char *arg)
{
        _cleanup_free_ char *key = strdup(arg);
        char *eq = key ? strchr(key, '=') : NULL;

        if (!eq)
                return cli_usage_error("vf", "'%s' is not key=value", arg);
        *eq = '\0';
        if (vf_settings_parse_field(cli->ctx, s, key, eq + 1) < 0)
                return cli_usage_error("vf", "%s", vfh_ctx_last_error(cli->ctx));
        return EXIT_OK;
}

static int load_originals(struct cli *cli, const char *path, struct vf_settings *saved)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[256];

        if (!f)
                return cli_fail("vf set: cannot read %s: %s", path, strerror(errno));
        while (fgets(line, sizeof(line), f)) {
                int r;

                line[strcspn(line, "\r\n")] = '\0';
                if (!line[0] || line[0] == '#')
                        continue;
                if ((r = add_field(cli, saved, line)) != EXIT_OK)
                        return r;
        }
        return EXIT_OK;
}

static void print_changes(const struct vf_ref *ref, const struct vf_settings *from,
                          const struct vf_settings *to)
{
        char a[96], b[96];

        if (!from->mask)
                printf("%s vf %u: nothing to change\n", ref->pf_netdev, ref->index);
        for (unsigned int attr = 1; attr <= VF_ATTR_QUERY_RSS; attr <<= 1)
                if (from->mask & attr)
                        printf("%s vf %u: %s %s -> %s\n", ref->pf_netdev, ref->index,
                               vf_attr_name(attr), vf_settings_value(from, attr, a, sizeof(a)),
                               vf_settings_value(to, attr, b, sizeof(b)));
}

static int vf_restore(struct cli *cli, const struct vf_ref *ref, const char *path)
{
        struct vf_settings saved = {0};
        int r = load_originals(cli, path, &saved);

        if (r != EXIT_OK)
                return r;
        r = vf_settings_restore(cli->ctx, ref, &saved);
        if (r < 0)
                return cli_fail_lib(cli, r);
        for (unsigned int attr = 1; attr <= VF_ATTR_QUERY_RSS; attr <<= 1) {
                char v[96];

                if (saved.mask & attr)
                        printf("%s vf %u: %s restored to %s\n", ref->pf_netdev, ref->index,
                               vf_attr_name(attr), vf_settings_value(&saved, attr, v, sizeof(v)));
        }
        return EXIT_OK;
}

static int vf_set(struct cli *cli, const struct vf_ref *ref, char **fields, int n_fields,
                  const char *save_path)
{
        struct vf_settings want = {0}, saved;
        int r;

        for (int i = 0; i < n_fields; i++)
                if ((r = add_field(cli, &want, fields[i])) != EXIT_OK)
                        return r;
        /* The originals reach the file before the kernel sees any change, as in a hook. */
        if (save_path) {
                if (vf_settings_prepare(cli->ctx, ref, &want, &saved) < 0)
                        return cli_fail_lib(cli, -EINVAL);
                if ((r = save_originals(save_path, &saved)) != EXIT_OK)
                        return r;
        }
        r = vf_settings_apply(cli->ctx, ref, &want, &saved);
        if (r < 0)
                return cli_fail_lib(cli, r);
        print_changes(ref, &saved, &want);
        return EXIT_OK;
}

static int parse_index(const char *s, unsigned int *ret)
{
        char *end;
        unsigned long v;

        if (s[0] < '0' || s[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v > 65535)
                return -EINVAL;
        *ret = (unsigned int)v;
        return 0;
}

/* Which VF: "PF N" (netdev name and index) or the VF's own PCI address ("0000:01:10.2"; netdev
 * names cannot contain ':'). Returns how many positional arguments named it, or -exit code. */
static int parse_target(struct cli *cli, char **pos, int n, struct vf_ref *ref)
{
        struct pci_addr addr;
        unsigned int index;

        if (n >= 2 && pci_addr_parse(pos[1], &addr) == 0)
                return vf_resolve(cli->ctx, &addr, ref) < 0 ? -cli_fail_lib(cli, -ENODEV) : 1;
        if (n < 3)
                return -cli_usage_error("vf", "set needs PF N or a VF address");
        if (parse_index(pos[2], &index) < 0)
                return -cli_usage_error("vf", "'%s' is not a VF number", pos[2]);
        if (vf_ref_from_netdev(cli->ctx, pos[1], index, ref) < 0)
                return -cli_fail_lib(cli, -ENODEV);
        return 2;
}

/* vf show PF [--json] | vf set {PF N | VF-ADDRESS} key=value... [--save FILE]
 *                     | vf set {PF N | VF-ADDRESS} --restore FILE */
int cmd_vf(struct cli *cli, int argc, char **argv)
{
        char *pos[64] = {NULL};
        const char *save_path = NULL, *restore_path = NULL;
        bool json = false;
        int n = 0, used;
        struct vf_ref ref;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (strcmp(argv[i], "--save") == 0 && i + 1 < argc)
                        save_path = argv[++i];
                else if (strcmp(argv[i], "--restore") == 0 && i + 1 < argc)
                        restore_path = argv[++i];
                else if (argv[i][0] == '-')
                        return cli_usage_error("vf", "unknown option or missing argument: %s",
                                               argv[i]);
                else if (n < (int)ARRAY_SIZE(pos))
                        pos[n++] = argv[i];
                else
                        return cli_usage_error("vf", "too many arguments");
        }
        if (n == 2 && strcmp(pos[0], "show") == 0 && !save_path && !restore_path)
                return vf_show(cli, pos[1], json);
        if (n < 2 || strcmp(pos[0], "set") != 0 || json)
                return cli_usage_error("vf",
                                       "expected 'show PF [--json]' or 'set PF N key=value...'");
        used = parse_target(cli, pos, n, &ref);
        if (used < 0)
                return -used;
        if (restore_path && (save_path || n > 1 + used))
                return cli_usage_error("vf", "--restore FILE takes no key=value and no --save");
        if (restore_path)
                return vf_restore(cli, &ref, restore_path);
        if (n == 1 + used)
                return cli_usage_error("vf", "nothing to set: give key=value pairs");
        return vf_set(cli, &ref, pos + 1 + used, n - 1 - used, save_path);
}
