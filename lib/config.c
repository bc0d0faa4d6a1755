/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host configuration file: a strict `key = value` reader with `[pf NAME]` sections, and
 * the allow/deny policy it defines.
 *
 *   # devices the hooks may take (once set, nothing else may be taken)
 *   allow = 0000:03:00.0 8086:10c9
 *   deny = 0000:00:1f.2
 *   timeout_ms = 10000
 *   run_dir = /run/vfiohook
 *   network_dirs = /run/libvirt/network /etc/libvirt/qemu/networks
 *   force_host_critical = 0000:05:00.0
 *   [pf eth2]
 *   spoofchk = off
 *
 * Lists are separated by spaces or commas and repeated keys add to them. Unknown keys are
 * errors: a typo in a safety policy must not pass silently.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define CONFIG_MAX_BYTES (256 * 1024)

struct config_parser {
        vfh_ctx *ctx;
        const char *source;
        unsigned int line;
        struct vfh_config *cfg;
        struct config_pf *pf; /* the section being read, NULL in the global part */
};

static void pf_clear(struct config_pf *pf)
{
        for (size_t i = 0; i < pf->n; i++) {
                free(pf->keys[i]);
                free(pf->values[i]);
        }
        free(pf->keys);
        free(pf->values);
        free(pf->name);
}

void config_free(struct vfh_config *cfg)
{
        if (!cfg)
                return;
        free(cfg->allow);
        free(cfg->deny);
        free(cfg->force_host_critical);
        free(cfg->run_dir);
        for (size_t i = 0; i < cfg->n_network_dirs; i++)
                free(cfg->network_dirs[i]);
        free(cfg->network_dirs);
        for (size_t i = 0; i < cfg->n_pfs; i++)
                pf_clear(&cfg->pfs[i]);
        free(cfg->pfs);
        free(cfg);
}

_printf_(2, 3) static int parse_fail(struct config_parser *cp, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return vfh_errorf(cp->ctx, EINVAL, "%s:%u: %s", cp->source, cp->line, msg);
}

static char *trim(char *s)
{
        char *end;

        while (isspace((unsigned char)*s))
                s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
                *--end = '\0';
        return s;
}

/* "8086:10c9" (vendor:device, four hex digits each) or a PCI address. */
static int parse_match(const char *word, struct config_match *ret)
{
        unsigned int vendor, device;
        int consumed = 0;

        *ret = (struct config_match){0};
        if (strlen(word) == 9 && sscanf(word, "%4x:%4x%n", &vendor, &device, &consumed) == 2 &&
            consumed == 9 && strspn(word, "0123456789abcdefABCDEF:") == 9) {
                ret->by_id = true;
                ret->vendor = (uint16_t)vendor;
                ret->device = (uint16_t)device;
                return 0;
        }
        return pci_addr_parse(word, &ret->addr);
}

static int push(void **v, size_t *n, size_t size, const void *item)
{
        char *grown = realloc(*v, (*n + 1) * size);

        if (!grown)
                return -ENOMEM;
        memcpy(grown + *n * size, item, size);
        *v = grown;
        (*n)++;
        return 0;
}

/* Calls fn for every space- or comma-separated word of value. */
static int for_each_word(struct config_parser *cp, char *value,
                         int (*fn)(struct config_parser *cp, const char *key, const char *word),
                         const char *key)
{
        char *save = NULL;

        for (char *w = strtok_r(value, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                int r = fn(cp, key, w);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_match(struct config_parser *cp, const char *key, const char *word)
{
        struct config_match m;
        bool allow = strcmp(key, "allow") == 0;

        if (parse_match(word, &m) < 0)
                return parse_fail(cp,
                                  "%s: '%s' is neither a PCI address (0000:03:00.0) nor a "
                                  "vendor:device id (8086:10c9)",
                                  key, word);
        if (allow)
                return push((void **)&cp->cfg->allow, &cp->cfg->n_allow, sizeof(m), &m);
        return push((void **)&cp->cfg->deny, &cp->cfg->n_deny, sizeof(m), &m);
}

static int add_force(struct config_parser *cp, const char *key, const char *word)
{
        struct pci_addr a;

        if (pci_addr_parse(word, &a) < 0)
                return parse_fail(cp, "%s: '%s' is not a PCI address (0000:03:00.0)", key, word);
        return push((void **)&cp->cfg->force_host_critical, &cp->cfg->n_force, sizeof(a), &a);
}

static int add_network_dir(struct config_parser *cp, const char *key, const char *word)
{
        char *copy;

        if (word[0] != '/')
                return parse_fail(cp, "%s: '%s' is not an absolute path", key, word);
        copy = strdup(word);
        if (!copy)
                return -ENOMEM;
        if (push((void **)&cp->cfg->network_dirs, &cp->cfg->n_network_dirs, sizeof(copy), &copy) <
            0) {
                free(copy);
                return -ENOMEM;
        }
        return 0;
}

static int set_timeout(struct config_parser *cp, const char *value)
{
        unsigned long v;
        char *end;

        errno = 0;
        v = strtoul(value, &end, 10);
        if (errno || end == value || *end || v == 0 || v > 3600000 || value[0] == '-')
                return parse_fail(cp,
                                  "timeout_ms: '%s' is not a number of milliseconds between "
                                  "1 and 3600000",
                                  value);
        cp->cfg->timeout_ms = (unsigned int)v;
        return 0;
}

static int set_run_dir(struct config_parser *cp, const char *value)
{
        if (value[0] != '/' || strchr(value, ' '))
                return parse_fail(cp, "run_dir: '%s' is not an absolute path", value);
        free(cp->cfg->run_dir);
        cp->cfg->run_dir = strdup(value);
        return cp->cfg->run_dir ? 0 : -ENOMEM;
}

static int global_key(struct config_parser *cp, const char *key, char *value)
{
        if (strcmp(key, "allow") == 0 || strcmp(key, "deny") == 0)
                return for_each_word(cp, value, add_match, key);
        if (strcmp(key, "force_host_critical") == 0)
                return for_each_word(cp, value, add_force, key);
        if (strcmp(key, "network_dirs") == 0)
                return for_each_word(cp, value, add_network_dir, key);
        if (strcmp(key, "timeout_ms") == 0)
                return set_timeout(cp, value);
        if (strcmp(key, "run_dir") == 0)
                return set_run_dir(cp, value);
        return parse_fail(cp,
                          "unknown key '%s' (known: allow, deny, force_host_critical, "
                          "timeout_ms, run_dir, network_dirs, and [pf NAME] sections)",
                          key);
}

static int pf_key(struct config_parser *cp, const char *key, const char *value)
{
        struct config_pf *pf = cp->pf;
        char **keys, **values;

        for (size_t i = 0; i < pf->n; i++)
                if (strcmp(pf->keys[i], key) == 0)
                        return parse_fail(cp, "[pf %s]: '%s' is set twice", pf->name, key);
        keys = realloc(pf->keys, (pf->n + 1) * sizeof(char *));
        if (!keys)
                return -ENOMEM;
        pf->keys = keys;
        values = realloc(pf->values, (pf->n + 1) * sizeof(char *));
        if (!values)
                return -ENOMEM;
        pf->values = values;
        pf->keys[pf->n] = strdup(key);
        pf->values[pf->n] = strdup(value);
        if (!pf->keys[pf->n] || !pf->values[pf->n]) {
                free(pf->keys[pf->n]);
                free(pf->values[pf->n]);
                return -ENOMEM;
        }
        pf->n++;
        return 0;
}

static int open_section(struct config_parser *cp, char *line)
{
        size_t len = strlen(line);
        char *name;
        struct config_pf pf = {0};

        if (line[len - 1] != ']' || strncmp(line, "[pf ", 4) != 0)
                return parse_fail(cp, "'%s' is not a section header; write [pf NAME]", line);
        line[len - 1] = '\0';
        name = trim(line + 4);
        if (!*name || strpbrk(name, " \t/"))
                return parse_fail(cp, "[pf %s]: NAME must be one netdev name or PCI address", name);
        for (size_t i = 0; i < cp->cfg->n_pfs; i++)
                if (strcmp(cp->cfg->pfs[i].name, name) == 0)
                        return parse_fail(cp, "[pf %s] appears twice", name);
        pf.name = strdup(name);
        if (!pf.name || push((void **)&cp->cfg->pfs, &cp->cfg->n_pfs, sizeof(pf), &pf) < 0) {
                free(pf.name);
                return -ENOMEM;
        }
        cp->pf = &cp->cfg->pfs[cp->cfg->n_pfs - 1];
        return 0;
}

static bool key_is_word(const char *key)
{
        return *key && strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(key);
}

static int parse_line(struct config_parser *cp, char *raw)
{
        char *hash = strchr(raw, '#'), *line, *eq, *key, *value;

        if (hash)
                *hash = '\0';
        line = trim(raw);
        if (!*line)
                return 0;
        if (line[0] == '[')
                return open_section(cp, line);
        eq = strchr(line, '=');
        if (!eq)
                return parse_fail(cp, "'%s' is not `key = value`", line);
        *eq = '\0';
        key = trim(line);
        value = trim(eq + 1);
        if (!key_is_word(key))
                return parse_fail(cp, "'%s' is not a key (lower-case letters, digits, '_')", key);
        if (!*value)
                return parse_fail(cp, "%s: no value", key);
        return cp->pf ? pf_key(cp, key, value) : global_key(cp, key, value);
}

int config_parse_buffer(vfh_ctx *ctx, const char *source, const char *buf, size_t len,
                        struct vfh_config **ret)
{
        _cleanup_config_ struct vfh_config *cfg = calloc(1, sizeof(*cfg));
        struct config_parser cp = {.ctx = ctx, .source = source};
        const char *p = buf, *end = buf + len;

        if (!cfg)
                return -ENOMEM;
        cp.cfg = cfg;
        if (memchr(buf, '\0', len))
                return vfh_errorf(ctx, EINVAL, "%s: contains a NUL byte; is it a text file?",
                                  source);
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                _cleanup_free_ char *line = strndup(p, n);
                int r;

                if (!line)
                        return -ENOMEM;
                cp.line++;
                r = parse_line(&cp, line);
                if (r < 0)
                        return r;
                p += n + 1;
        }
        *ret = TAKE_PTR(cfg);
        return 0;
}

/* The file is the device policy of a program that runs as root: whoever can write it decides
 * which devices guests get, so only its owner (root, or the caller) may (as sshd's StrictModes). */
static int check_trusted(vfh_ctx *ctx, int fd, const char *path)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return vfh_errorf(ctx, errno, "%s: cannot stat it: %m", path);
        if (!S_ISREG(st.st_mode))
                return vfh_errorf(ctx, EINVAL,
                                  "%s: not a regular file; the configuration must be one", path);
        if (st.st_uid != 0 && st.st_uid != geteuid())
                return vfh_errorf(ctx, EPERM,
                                  "%s: owned by uid %u; it is the device policy, so only root may "
                                  "own it: chown root:root %s",
                                  path, (unsigned)st.st_uid, path);
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return vfh_errorf(ctx, EPERM,
                                  "%s: writable by group or others (mode %04o); it is the device "
                                  "policy, so only its owner may write it: chmod go-w %s",
                                  path, (unsigned)(st.st_mode & 07777), path);
        return 0;
}

int config_load(vfh_ctx *ctx, const char *path, bool must_exist, struct vfh_config **ret)
{
        _cleanup_close_ int fd = sysfs_open(ctx, O_RDONLY, "%s", path);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        if (fd == -ENOENT && !must_exist)
                return config_parse_buffer(ctx, path, "", 0, ret);
        if (fd < 0)
                return vfh_errorf(ctx, fd, "%s: cannot open it: %s", path, strerror(-fd));
        r = check_trusted(ctx, fd, path);
        if (r < 0)
                return r;
        buf = malloc(CONFIG_MAX_BYTES);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, CONFIG_MAX_BYTES - len);

                if (n < 0)
                        return vfh_errorf(ctx, errno, "%s: cannot read it: %m", path);
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == CONFIG_MAX_BYTES)
                        return vfh_errorf(ctx, EFBIG, "%s: larger than %d bytes", path,
                                          CONFIG_MAX_BYTES);
        }
        return config_parse_buffer(ctx, path, buf, len, ret);
}

int config_apply(vfh_ctx *ctx, const struct vfh_config *cfg)
{
        int r = 0;

        if (cfg->timeout_ms)
                r = vfh_ctx_set_timeout_ms(ctx, cfg->timeout_ms);
        if (r >= 0 && cfg->run_dir)
                r = vfh_ctx_set_run_dir(ctx, cfg->run_dir);
        for (size_t i = 0; r >= 0 && i < cfg->n_network_dirs; i++)
                r = vfh_ctx_add_network_dir(ctx, cfg->network_dirs[i]);
        return r;
}

static bool matches(const struct config_match *m, const struct pci_addr *addr, uint16_t vendor,
                    uint16_t device)
{
        if (m->by_id)
                return m->vendor == vendor && m->device == device;
        return pci_addr_equal(&m->addr, addr);
}

static const struct config_match *find_match(const struct config_match *list, size_t n,
                                             const struct pci_addr *addr, uint16_t vendor,
                                             uint16_t device)
{
        for (size_t i = 0; i < n; i++)
                if (matches(&list[i], addr, vendor, device))
                        return &list[i];
        return NULL;
}

static void describe_match(const struct config_match *m, char *buf, size_t size)
{
        char a[PCI_ADDR_STRLEN];

        if (m->by_id)
                snprintf(buf, size, "%04x:%04x", m->vendor, m->device);
        else
                snprintf(buf, size, "%s", pci_addr_format(&m->addr, a));
}

int config_policy_check(const struct vfh_config *cfg, const struct pci_addr *addr, uint16_t vendor,
                        uint16_t device, char *buf, size_t size)
{
        const struct config_match *deny;
        char what[PCI_ADDR_STRLEN];

        if (!cfg)
                return 0;
        deny = find_match(cfg->deny, cfg->n_deny, addr, vendor, device);
        if (deny) {
                describe_match(deny, what, sizeof(what));
                snprintf(buf, size, "denied by 'deny = %s' in the host configuration", what);
                return -EPERM;
        }
        if (cfg->n_allow && !find_match(cfg->allow, cfg->n_allow, addr, vendor, device)) {
                snprintf(buf, size,
                         "not in the allowlist of the host configuration (add its address or "
                         "%04x:%04x to 'allow')",
                         vendor, device);
                return -EPERM;
        }
        return 0;
}

bool config_forces_host_critical(const struct vfh_config *cfg, const struct pci_addr *addr)
{
        if (!cfg)
                return false;
        for (size_t i = 0; i < cfg->n_force; i++)
                if (pci_addr_equal(&cfg->force_host_critical[i], addr))
                        return true;
        return false;
}

const char *config_pf_get(const struct vfh_config *cfg, const char *pf, const char *key)
{
        if (!cfg)
                return NULL;
        for (size_t i = 0; i < cfg->n_pfs; i++) {
                if (strcmp(cfg->pfs[i].name, pf) != 0)
                        continue;
                for (size_t k = 0; k < cfg->pfs[i].n; k++)
                        if (strcmp(cfg->pfs[i].keys[k], key) == 0)
                                return cfg->pfs[i].values[k];
        }
        return NULL;
}
