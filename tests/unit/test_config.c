/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host configuration: keys, lists, [pf] sections, strict errors, and the allow/deny rule. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "support.h"

static const char example[] = "# vfiohook host configuration\n"
                              "allow = 0000:03:00.0, 8086:10c9\n"
                              "allow = 04:00.1\n"
                              "deny = 0000:00:1f.2   # the SATA controller\n"
                              "timeout_ms = 2500\n"
                              "run_dir = /run/vfh-test\n"
                              "network_dirs = /a /b\n"
                              "force_host_critical = 0000:05:00.0\n"
                              "[pf eth2]\n"
                              "spoofchk = off\n"
                              "trust = on\n";

static struct pci_addr addr(const char *s)
{
        struct pci_addr a = {0};

        pci_addr_parse(s, &a);
        return a;
}

TEST(parses_every_key)
{
        vfh_ctx *ctx = NULL;
        struct vfh_config *cfg = NULL;

        vfh_ctx_new(&ctx);
        CHECK_INT(config_parse_buffer(ctx, "vfiohook.conf", example, strlen(example), &cfg), 0);
        if (!cfg)
                return;
        CHECK_INT(cfg->n_allow, 3);
        CHECK(cfg->allow[1].by_id && cfg->allow[1].vendor == 0x8086 &&
              cfg->allow[1].device == 0x10c9);
        CHECK_INT(cfg->n_deny, 1);
        CHECK_INT(cfg->timeout_ms, 2500);
        CHECK_STR(cfg->run_dir, "/run/vfh-test");
        CHECK_INT(cfg->n_network_dirs, 2);
        CHECK_STR(config_pf_get(cfg, "eth2", "spoofchk"), "off");
        CHECK_STR(config_pf_get(cfg, "eth2", "trust"), "on");
        CHECK(config_pf_get(cfg, "eth3", "trust") == NULL);
        CHECK_INT(config_apply(ctx, cfg), 0);
        CHECK_INT(vfh_ctx_get_timeout_ms(ctx), 2500);
        CHECK_STR(vfh_ctx_get_run_dir(ctx), "/run/vfh-test");
        config_free(cfg);
        vfh_ctx_unref(ctx);
}

TEST(allowlist_is_the_only_way_in_and_deny_wins)
{
        vfh_ctx *ctx = NULL;
        struct vfh_config *cfg = NULL;
        struct pci_addr a;
        char why[256];

        vfh_ctx_new(&ctx);
        CHECK_INT(config_parse_buffer(ctx, "x", example, strlen(example), &cfg), 0);
        if (!cfg)
                return;
        a = addr("0000:03:00.0");
        CHECK_INT(config_policy_check(cfg, &a, 0x8086, 0x10d3, why, sizeof(why)), 0);
        a = addr("0000:09:00.0");
        CHECK_INT(config_policy_check(cfg, &a, 0x8086, 0x10c9, why, sizeof(why)), 0);
        CHECK_INT(config_policy_check(cfg, &a, 0x8086, 0x10d3, why, sizeof(why)), -EPERM);
        CHECK_CONTAINS(why, "not in the allowlist");
        a = addr("0000:00:1f.2");
        CHECK_INT(config_policy_check(cfg, &a, 0x8086, 0x10c9, why, sizeof(why)), -EPERM);
        CHECK_CONTAINS(why, "deny = 0000:00:1f.2");
        a = addr("0000:05:00.0");
        CHECK(config_forces_host_critical(cfg, &a));
        a = addr("0000:03:00.0");
        CHECK(!config_forces_host_critical(cfg, &a));
        CHECK_INT(config_policy_check(NULL, &a, 1, 2, why, sizeof(why)), 0);
        config_free(cfg);
        vfh_ctx_unref(ctx);
}

static void expect_error(const char *text, const char *message)
{
        vfh_ctx *ctx = NULL;
        struct vfh_config *cfg = NULL;

        vfh_ctx_new(&ctx);
        CHECK_INT(config_parse_buffer(ctx, "vfiohook.conf", text, strlen(text), &cfg), -EINVAL);
        CHECK(cfg == NULL);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx), message);
        vfh_ctx_unref(ctx);
}

TEST(errors_name_the_line)
{
        expect_error("\n\nalow = 0000:03:00.0\n", "vfiohook.conf:3: unknown key 'alow'");
        expect_error("allow = 0000:03:00\n", "vfiohook.conf:1: allow: '0000:03:00' is neither");
        expect_error("timeout_ms = 0\n", "timeout_ms: '0'");
        expect_error("timeout_ms = 10s\n", "timeout_ms: '10s'");
        expect_error("run_dir = run\n", "not an absolute path");
        expect_error("[pf eth0]\na = 1\na = 2\n", "'a' is set twice");
        expect_error("[eth0]\n", "write [pf NAME]");
        expect_error("deny\n", "is not `key = value`");
        expect_error("force_host_critical = 8086:10c9\n", "is not a PCI address");
}

TEST(absent_default_file_is_empty_but_explicit_must_exist)
{
        const char *root = test_tmpdir();
        vfh_ctx *ctx = NULL;
        struct vfh_config *cfg = NULL;

        vfh_ctx_new(&ctx);
        vfh_ctx_set_sysroot(ctx, root);
        CHECK_INT(config_load(ctx, CONFIG_DEFAULT_PATH, false, &cfg), 0);
        CHECK(cfg && cfg->n_allow == 0);
        config_free(cfg);
        cfg = NULL;
        CHECK_INT(config_load(ctx, CONFIG_DEFAULT_PATH, true, &cfg), -ENOENT);
        test_write_file(root, "etc/vfiohook/vfiohook.conf", "deny = 8086:10c9\n");
        CHECK_INT(config_load(ctx, CONFIG_DEFAULT_PATH, true, &cfg), 0);
        CHECK(cfg && cfg->n_deny == 1);
        config_free(cfg);
        vfh_ctx_unref(ctx);
}

/* Whoever can write the policy of a root program decides what guests get: refuse it. */
TEST(configuration_others_can_write_is_refused)
{
        const char *root = test_tmpdir();
        struct vfh_config *cfg = NULL;
        vfh_ctx *ctx = test_ctx_at(root);
        char path[4096];

        test_write_file(root, "etc/vfiohook/vfiohook.conf", "allow = 8086:10c9\n");
        snprintf(path, sizeof(path), "%s/etc/vfiohook/vfiohook.conf", root);
        CHECK_INT(chmod(path, 0666), 0);
        CHECK_INT(config_load(ctx, CONFIG_DEFAULT_PATH, false, &cfg), -EPERM);
        CHECK(!cfg);
        CHECK_CONTAINS(vfh_ctx_last_error(ctx),
                       "/etc/vfiohook/vfiohook.conf: writable by group or others (mode 0666)");
        CHECK_INT(chmod(path, 0620), 0);
        CHECK_INT(config_load(ctx, CONFIG_DEFAULT_PATH, false, &cfg), -EPERM);
        CHECK_INT(chmod(path, 0600), 0);
        CHECK_INT(config_load(ctx, CONFIG_DEFAULT_PATH, false, &cfg), 0);
        CHECK(cfg && cfg->n_allow == 1);
        config_free(cfg);
        cfg = NULL;
        if (geteuid() == 0) { /* only root can give a file away; CI runs as root */
                CHECK_INT(chown(path, 65534, 0), 0);
                CHECK_INT(config_load(ctx, CONFIG_DEFAULT_PATH, false, &cfg), -EPERM);
                CHECK_CONTAINS(vfh_ctx_last_error(ctx), "owned by uid 65534");
        }
        test_mkdir(root, "etc/vfiohook/dir.conf");
        CHECK_INT(config_load(ctx, "/etc/vfiohook/dir.conf", true, &cfg), -EINVAL);
        vfh_ctx_unref(ctx);
}
