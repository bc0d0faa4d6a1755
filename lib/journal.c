/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal: typed records of every host change, written before the change and marked after
 * it, in one small text file per owner under the run dir.
 *
 * Format (version 1; docs/journal.md has the long form). Every line ends with '\n':
 *
 *   vfiohook-journal version=1
 *   owner kind=domain id=1b4e28ba-2fa1-11d2-883f-0016d3cca427 name=guest1
 *   record 1 bind done device=0000:03:00.0 driver=e1000e override= new_driver=vfio-pci
 *   record 2 vf intent pf=0000:01:00.0 vf=3 attr=spoofchk old=on new=off
 *   end records=2 next=3
 *
 * - Values are percent-encoded: every byte that is not printable ASCII, and ' ', '%' and '=',
 *   is written as %XX (upper-case hex). So a line splits on single spaces and the first '='.
 * - Keys are [a-z0-9_]+; record types [a-z0-9_-]+; states "intent" or "done". Keys are
 *   unique within a line. Sequence numbers grow strictly and stay below next.
 * - The "end" line counts the records: a file cut short anywhere is refused, not half-read.
 * - kind is domain, network or cli; id is [A-Za-z0-9._-]+ not starting with '.', and is also
 *   the file name (ID.journal).
 *
 * Files are replaced atomically (temp name, fsync, rename, fsync of the directory), so a reader
 * sees the old journal or the new one, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

#define JOURNAL_MAX_RECORDS 4096
#define JOURNAL_MAX_KV      64
#define JOURNAL_SUFFIX      ".journal"

static const char *const kind_names[] = {
    [JOURNAL_OWNER_DOMAIN] = "domain",
    [JOURNAL_OWNER_NETWORK] = "network",
    [JOURNAL_OWNER_CLI] = "cli",
};

const char *journal_owner_kind_name(enum journal_owner_kind kind)
{
        return (size_t)kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : "unknown";
}

static bool id_is_valid(const char *id)
{
        size_t len = strlen(id);

        if (len == 0 || len >= JOURNAL_ID_MAX || id[0] == '.')
                return false;
        return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
               len;
}

static bool token_is(const char *s, const char *charset, size_t max)
{
        size_t len = strlen(s);

        return len > 0 && len < max && strspn(s, charset) == len;
}

static bool key_is_valid(const char *key)
{
        return token_is(key, "abcdefghijklmnopqrstuvwxyz0123456789_", 64);
}

static bool type_is_valid(const char *type)
{
        return token_is(type, "abcdefghijklmnopqrstuvwxyz0123456789_-", JOURNAL_TYPE_MAX);
}

/* ---- records in memory ---- */

static void record_clear(struct journal_record *rec)
{
        for (size_t i = 0; i < rec->n_kv; i++) {
                free(rec->kv[i].key);
                free(rec->kv[i].value);
        }
        free(rec->kv);
        rec->kv = NULL;
        rec->n_kv = 0;
}

void journal_free(struct journal *j)
{
        if (!j)
                return;
        for (size_t i = 0; i < j->n_records; i++)
                record_clear(&j->records[i]);
        free(j->records);
        if (j->dirfd >= 0)
                close(j->dirfd);
        free(j);
}

static int journal_alloc(enum journal_owner_kind kind, const char *id, const char *name,
                         struct journal **ret)
{
        struct journal *j;

        if ((size_t)kind >= ARRAY_SIZE(kind_names) || !id_is_valid(id) ||
            strlen(name) >= JOURNAL_NAME_MAX)
                return -EINVAL;
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        j->kind = kind;
        strcpy(j->id, id);
        strcpy(j->name, name);
        j->next_seq = 1;
        j->dirfd = -1;
        *ret = j;
        return 0;
}

int journal_new(vfh_ctx *ctx, enum journal_owner_kind kind, const char *id, const char *name,
                struct journal **ret)
{
        int r = journal_alloc(kind, id, name ? name : "", ret);

        if (r == -EINVAL)
                return vfh_errorf(ctx, r,
                                  "journal: owner id '%s' is not usable as a file name; use "
                                  "letters, digits, '.', '_' and '-' (a UUID)",
                                  id);
        return r;
}

/* Appends a record with an explicit sequence number (the parser's way in). */
static struct journal_record *append_seq(struct journal *j, const char *type, unsigned int seq)
{
        struct journal_record *recs, *rec;

        if (!type_is_valid(type) || j->n_records >= JOURNAL_MAX_RECORDS)
                return NULL;
        recs = realloc(j->records, (j->n_records + 1) * sizeof(*recs));
        if (!recs)
                return NULL;
        j->records = recs;
        rec = &recs[j->n_records++];
        *rec = (struct journal_record){.seq = seq, .state = JOURNAL_INTENT};
        strcpy(rec->type, type);
        return rec;
}

struct journal_record *journal_append(struct journal *j, const char *type)
{
        struct journal_record *rec = append_seq(j, type, j->next_seq);

        if (rec)
                j->next_seq++;
        return rec;
}

int journal_record_set(struct journal_record *rec, const char *key, const char *value)
{
        struct journal_kv *kv;
        char *v;

        if (!key_is_valid(key))
                return -EINVAL;
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < rec->n_kv; i++)
                if (strcmp(rec->kv[i].key, key) == 0) {
                        free(rec->kv[i].value);
                        rec->kv[i].value = v;
                        return 0;
                }
        if (rec->n_kv >= JOURNAL_MAX_KV) {
                free(v);
                return -E2BIG;
        }
        kv = realloc(rec->kv, (rec->n_kv + 1) * sizeof(*kv));
        if (!kv) {
                free(v);
                return -ENOMEM;
        }
        rec->kv = kv;
        kv[rec->n_kv].key = strdup(key);
        if (!kv[rec->n_kv].key) {
                free(v);
                return -ENOMEM;
        }
        kv[rec->n_kv++].value = v;
        return 0;
}

const char *journal_record_get(const struct journal_record *rec, const char *key)
{
        for (size_t i = 0; i < rec->n_kv; i++)
                if (strcmp(rec->kv[i].key, key) == 0)
                        return rec->kv[i].value;
        return NULL;
}

void journal_drop(struct journal *j, size_t i)
{
        if (i >= j->n_records)
                return;
        record_clear(&j->records[i]);
        memmove(&j->records[i], &j->records[i + 1], (j->n_records - i - 1) * sizeof(j->records[0]));
        j->n_records--;
}

/* ---- the text form ---- */

static bool needs_escape(unsigned char c)
{
        return c <= ' ' || c >= 0x7f || c == '%' || c == '=';
}

/*
 * The text is built in one growing buffer: through stdio (a memstream, fputc per byte of
 * every value) formatting was a sixth of a prepare's own work, and a transaction writes its
 * journal once per change.
 */
struct text {
        char *p;
        size_t len, size;
        bool failed;
};

static char *text_room(struct text *t, size_t n)
{
        if (t->failed)
                return NULL;
        if (t->len + n + 1 > t->size) {
                size_t size = t->size ? t->size : 1024;
                char *p;

                while (t->len + n + 1 > size)
                        size *= 2;
                p = realloc(t->p, size);
                if (!p) {
                        t->failed = true;
                        return NULL;
                }
                t->p = p;
                t->size = size;
        }
        return t->p + t->len;
}

static void put_bytes(struct text *t, const char *s, size_t n)
{
        char *at = text_room(t, n);

        if (!at)
                return;
        memcpy(at, s, n);
        t->len += n;
        t->p[t->len] = '\0';
}

static void put_str(struct text *t, const char *s)
{
        put_bytes(t, s, strlen(s));
}

static void put_uint(struct text *t, size_t v)
{
        char digits[24];
        size_t i = sizeof(digits);

        do
                digits[--i] = (char)('0' + v % 10);
        while ((v /= 10) > 0);
        put_bytes(t, digits + i, sizeof(digits) - i);
}

static void put_escaped(struct text *t, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t n = strlen(s);
        char *at = text_room(t, 3 * n);

        if (!at)
                return;
        for (const unsigned char *c = (const unsigned char *)s; *c; c++)
                if (needs_escape(*c)) {
                        *at++ = '%';
                        *at++ = hex[*c >> 4];
                        *at++ = hex[*c & 15];
                } else
                        *at++ = (char)*c;
        *at = '\0';
        t->len = (size_t)(at - t->p);
}

static void put_kv(struct text *t, const char *key, const char *value)
{
        put_str(t, " ");
        put_str(t, key);
        put_str(t, "=");
        put_escaped(t, value);
}

int journal_format(const struct journal *j, char **ret)
{
        struct text t = {0};

        put_str(&t, "vfiohook-journal version=");
        put_uint(&t, JOURNAL_VERSION);
        put_str(&t, "\nowner");
        put_kv(&t, "kind", journal_owner_kind_name(j->kind));
        put_kv(&t, "id", j->id);
        put_kv(&t, "name", j->name);
        put_str(&t, "\n");
        for (size_t i = 0; i < j->n_records; i++) {
                const struct journal_record *rec = &j->records[i];

                put_str(&t, "record ");
                put_uint(&t, rec->seq);
                put_str(&t, " ");
                put_str(&t, rec->type);
                put_str(&t, rec->state == JOURNAL_DONE ? " done" : " intent");
                for (size_t k = 0; k < rec->n_kv; k++)
                        put_kv(&t, rec->kv[k].key, rec->kv[k].value);
                put_str(&t, "\n");
        }
        put_str(&t, "end records=");
        put_uint(&t, j->n_records);
        put_str(&t, " next=");
        put_uint(&t, j->next_seq);
        put_str(&t, "\n");
        if (t.failed) {
                free(t.p);
                return -ENOMEM;
        }
        *ret = t.p;
        return 0;
}

struct parser {
        const char *p, *end;
        unsigned int line;
        char *err;
        size_t err_size;
};

_printf_(2, 3) static int parse_error(struct parser *ps, const char *fmt, ...)
{
        va_list ap;
        int n = snprintf(ps->err, ps->err_size, "line %u: ", ps->line);

        if (n >= 0 && (size_t)n < ps->err_size) {
                va_start(ap, fmt);
                vsnprintf(ps->err + n, ps->err_size - (size_t)n, fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

/* Copies the next line (without '\n') into a malloc'ed string; NULL at the end of input. */
static int next_line(struct parser *ps, char **ret)
{
        const char *nl;
        char *line;

        *ret = NULL;
        if (ps->p >= ps->end)
                return 0;
        ps->line++;
        nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
        if (!nl)
                return parse_error(ps, "the last line has no newline (the file was cut short)");
        if (memchr(ps->p, '\0', (size_t)(nl - ps->p)))
                return parse_error(ps, "NUL byte");
        line = strndup(ps->p, (size_t)(nl - ps->p));
        if (!line)
                return -ENOMEM;
        ps->p = nl + 1;
        *ret = line;
        return 1;
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decodes %XX escapes in place; refuses raw bytes that should have been escaped. */
static int unescape(struct parser *ps, char *s)
{
        char *out = s;

        for (const char *in = s; *in; in++) {
                if (*in == '%') {
                        int hi = hex_value(in[1]), lo = hi < 0 ? -1 : hex_value(in[2]);

                        if (hi < 0 || lo < 0)
                                return parse_error(ps, "bad escape in '%s'", s);
                        if (hi == 0 && lo == 0)
                                return parse_error(ps, "escaped NUL byte");
                        *out++ = (char)(hi * 16 + lo);
                        in += 2;
                } else if (needs_escape((unsigned char)*in))
                        return parse_error(ps, "byte 0x%02x must be escaped", (unsigned char)*in);
                else
                        *out++ = *in;
        }
        *out = '\0';
        return 0;
}

/* Splits "key=value", checks the key and decodes the value, all in place. */
static int split_kv(struct parser *ps, char *word, char **key, char **value)
{
        char *eq = strchr(word, '=');

        if (!eq)
                return parse_error(ps, "'%s' is not key=value", word);
        *eq = '\0';
        if (!key_is_valid(word))
                return parse_error(ps, "bad key '%s'", word);
        *key = word;
        *value = eq + 1;
        return unescape(ps, *value);
}

/* Fills words[] with the line's space-separated words (in place); empty words are errors. */
static int split_words(struct parser *ps, char *line, char **words, size_t max, size_t *n)
{
        *n = 0;
        for (char *w = line;;) {
                char *sp = strchr(w, ' ');

                if (*n >= max)
                        return parse_error(ps, "too many fields");
                if (sp)
                        *sp = '\0';
                if (!*w)
                        return parse_error(ps, "empty field (double or trailing space)");
                words[(*n)++] = w;
                if (!sp)
                        return 0;
                w = sp + 1;
        }
}

/* Parses "WORD k=v k=v …" where exactly the given keys appear, in order. */
static int parse_fixed(struct parser *ps, char *line, const char *word, const char *const *keys,
                       size_t n_keys, char **values)
{
        char *words[8];
        size_t n;
        int r = split_words(ps, line, words, ARRAY_SIZE(words), &n);

        if (r < 0)
                return r;
        if (n != n_keys + 1 || strcmp(words[0], word) != 0)
                return parse_error(ps, "expected a '%s' line with %zu fields", word, n_keys);
        for (size_t i = 0; i < n_keys; i++) {
                char *key;

                r = split_kv(ps, words[i + 1], &key, &values[i]);
                if (r < 0)
                        return r;
                if (strcmp(key, keys[i]) != 0)
                        return parse_error(ps, "expected key '%s', got '%s'", keys[i], key);
        }
        return 0;
}

static int parse_uint(const char *s, unsigned int max, unsigned int *ret)
{
        unsigned long v;
        char *end;

        if (!*s || *s < '0' || *s > '9' || (s[0] == '0' && s[1]))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = (unsigned int)v;
        return 0;
}

static int parse_header(struct parser *ps, char *line)
{
        static const char *const keys[] = {"version"};
        char *values[1];
        unsigned int version;
        int r = parse_fixed(ps, line, "vfiohook-journal", keys, 1, values);

        if (r < 0)
                return r;
        if (parse_uint(values[0], 1000000, &version) < 0)
                return parse_error(ps, "bad version '%s'", values[0]);
        if (version != JOURNAL_VERSION)
                return parse_error(ps,
                                   "version %u is not known to this vfiohook (it reads version %d)",
                                   version, JOURNAL_VERSION);
        return 0;
}

static int parse_owner(struct parser *ps, char *line, struct journal **ret)
{
        static const char *const keys[] = {"kind", "id", "name"};
        char *values[3];
        int r = parse_fixed(ps, line, "owner", keys, 3, values);

        if (r < 0)
                return r;
        for (size_t k = 0; k < ARRAY_SIZE(kind_names); k++)
                if (strcmp(values[0], kind_names[k]) == 0) {
                        r = journal_alloc((enum journal_owner_kind)k, values[1], values[2], ret);
                        if (r == -EINVAL)
                                return parse_error(ps, "bad owner id or name");
                        return r;
                }
        return parse_error(ps, "unknown owner kind '%s'", values[0]);
}

static int parse_state(const char *s, enum journal_state *ret)
{
        if (strcmp(s, "intent") == 0)
                *ret = JOURNAL_INTENT;
        else if (strcmp(s, "done") == 0)
                *ret = JOURNAL_DONE;
        else
                return -EINVAL;
        return 0;
}

static int parse_record(struct parser *ps, char *line, struct journal *j)
{
        char *words[4 + JOURNAL_MAX_KV];
        struct journal_record *rec;
        enum journal_state state;
        unsigned int seq;
        size_t n;
        int r = split_words(ps, line, words, ARRAY_SIZE(words), &n);

        if (r < 0)
                return r;
        if (n < 4)
                return parse_error(ps, "a record needs a number, a type and a state");
        if (parse_uint(words[1], UINT_MAX - 1, &seq) < 0 || seq == 0)
                return parse_error(ps, "bad record number '%s'", words[1]);
        if (j->n_records > 0 && seq <= j->records[j->n_records - 1].seq)
                return parse_error(ps, "record %u is out of order", seq);
        if (!type_is_valid(words[2]))
                return parse_error(ps, "bad record type '%s'", words[2]);
        if (parse_state(words[3], &state) < 0)
                return parse_error(ps, "bad record state '%s'", words[3]);
        rec = append_seq(j, words[2], seq);
        if (!rec)
                return j->n_records >= JOURNAL_MAX_RECORDS ? parse_error(ps, "too many records")
                                                           : -ENOMEM;
        rec->state = state;
        for (size_t i = 4; i < n; i++) {
                char *key, *value;

                r = split_kv(ps, words[i], &key, &value);
                if (r < 0)
                        return r;
                if (journal_record_get(rec, key))
                        return parse_error(ps, "duplicate key '%s'", key);
                r = journal_record_set(rec, key, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_end(struct parser *ps, char *line, struct journal *j)
{
        static const char *const keys[] = {"records", "next"};
        unsigned int count, next;
        char *values[2];
        int r = parse_fixed(ps, line, "end", keys, 2, values);

        if (r < 0)
                return r;
        if (parse_uint(values[0], JOURNAL_MAX_RECORDS, &count) < 0 || count != j->n_records)
                return parse_error(ps, "the end line counts %s records, the file has %zu",
                                   values[0], j->n_records);
        if (parse_uint(values[1], UINT_MAX, &next) < 0 || next == 0 ||
            (j->n_records > 0 && next <= j->records[j->n_records - 1].seq))
                return parse_error(ps, "bad next record number '%s'", values[1]);
        j->next_seq = next;
        return 0;
}

int journal_parse_buffer(const char *buf, size_t len, struct journal **ret, char *err,
                         size_t err_size)
{
        char dummy[1];
        struct parser ps = {
            .p = buf,
            .end = buf + len,
            .err = err && err_size ? err : dummy,
            .err_size = err && err_size ? err_size : sizeof(dummy),
        };
        _cleanup_journal_ struct journal *j = NULL;
        bool ended = false;
        int r;

        ps.err[0] = '\0';
        if (len > JOURNAL_MAX_BYTES)
                return parse_error(&ps, "larger than %d bytes", JOURNAL_MAX_BYTES);
        for (;;) {
                _cleanup_free_ char *line = NULL;

                r = next_line(&ps, &line);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (ended)
                        return parse_error(&ps, "text after the end line");
                if (ps.line == 1)
                        r = parse_header(&ps, line);
                else if (ps.line == 2)
                        r = parse_owner(&ps, line, &j);
                else if (strncmp(line, "record ", 7) == 0)
                        r = parse_record(&ps, line, j);
                else if (strncmp(line, "end ", 4) == 0) {
                        r = parse_end(&ps, line, j);
                        ended = true;
                } else
                        r = parse_error(&ps, "unknown line");
                if (r < 0)
                        return r;
        }
        if (!ended) {
                ps.line++;
                return parse_error(&ps, "no end line (the file was cut short)");
        }
        *ret = TAKE_PTR(j);
        return 0;
}

/* ---- files ---- */

/*
 * Opens the run dir and checks that nobody else could have planted it. A missing one is
 * created (0700) when create is set, else -ENOENT without a message. Opened first and made
 * only when missing: a hook call opens it a few dozen times and it is there all but once.
 */
static int open_run_dir_how(vfh_ctx *ctx, bool create)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        fd = sysfs_open(ctx, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, "%s", ctx->run_dir);
        if (fd == -ENOENT && !create)
                return -ENOENT;
        if (fd == -ENOENT) {
                r = sysfs_mkdir(ctx, 0700, "%s", ctx->run_dir);
                if (r < 0)
                        return vfh_errorf(ctx, r, "run directory %s: cannot create it: %s",
                                          ctx->run_dir, strerror(-r));
                fd = sysfs_open(ctx, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, "%s", ctx->run_dir);
        }
        if (fd == -ELOOP || fd == -ENOTDIR)
                return vfh_errorf(ctx, EPERM,
                                  "run directory %s: is a symlink or not a directory; refusing "
                                  "to use it (remove it, or point run_dir at a real directory)",
                                  ctx->run_dir);
        if (fd < 0)
                return vfh_errorf(ctx, fd, "run directory %s: cannot open it: %s", ctx->run_dir,
                                  strerror(-fd));
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_uid != geteuid() || (st.st_mode & 022))
                return vfh_errorf(ctx, EPERM,
                                  "run directory %s: owned by uid %u with mode %03o; it must "
                                  "belong to uid %u and be writable only by it (fix or remove "
                                  "it)",
                                  ctx->run_dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777),
                                  (unsigned)geteuid());
        return TAKE_FD(fd);
}

static int open_run_dir(vfh_ctx *ctx)
{
        return open_run_dir_how(ctx, true);
}

static void journal_file_name(const char *id, char *buf, size_t size)
{
        snprintf(buf, size, "%s" JOURNAL_SUFFIX, id);
}

static int load_at(vfh_ctx *ctx, int dirfd, const char *id, struct journal **ret)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        char name[JOURNAL_ID_MAX + 16], err[256];
        struct stat st;
        size_t len;
        int r;

        journal_file_name(id, name, sizeof(name));
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT)
                return -ENOENT;
        if (fd < 0)
                return vfh_errorf(ctx, errno, "journal %s/%s: cannot open it: %m", ctx->run_dir,
                                  name);
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
                return vfh_errorf(ctx, EPERM,
                                  "journal %s/%s: not a regular file owned by uid %u; refusing "
                                  "to trust it (inspect and remove it by hand)",
                                  ctx->run_dir, name, (unsigned)geteuid());
        /* a buffer of the journal's size, not a 1 MiB mapping (an mmap, its faults, a munmap) */
        r = fd_read_all(fd, (size_t)st.st_size, JOURNAL_MAX_BYTES, &buf, &len);
        if (r < 0)
                return vfh_errorf(ctx, r, "journal %s/%s: cannot read it: %s", ctx->run_dir, name,
                                  strerror(-r));
        r = journal_parse_buffer(buf, len, ret, err, sizeof(err));
        if (r == -EBADMSG)
                return vfh_errorf(ctx, r,
                                  "journal %s/%s: %s; nothing was changed (inspect the file; "
                                  "undo its records by hand, then remove it)",
                                  ctx->run_dir, name, err);
        if (r < 0)
                return r;
        if (strcmp((*ret)->id, id) != 0) {
                r = vfh_errorf(ctx, EBADMSG,
                               "journal %s/%s: names owner '%s' but the file is named for "
                               "'%s'; inspect it and remove it by hand",
                               ctx->run_dir, name, (*ret)->id, id);
                journal_free(TAKE_PTR(*ret));
                return r;
        }
        return 0;
}

int journal_load(vfh_ctx *ctx, const char *id, struct journal **ret)
{
        _cleanup_close_ int dirfd = -1;
        int r;

        if (!id_is_valid(id))
                return vfh_errorf(ctx, EINVAL, "journal: '%s' is not a valid owner id", id);
        dirfd = open_run_dir(ctx);
        if (dirfd < 0)
                return dirfd;
        r = load_at(ctx, dirfd, id, ret);
        if (r >= 0)
                (*ret)->dirfd = TAKE_FD(dirfd); /* its saves need not check the dir again */
        return r;
}

static int replace_file(int dirfd, const char *name, const char *text)
{
        char tmp[JOURNAL_ID_MAX + 32];

        snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
        return file_replace_at(dirfd, name, tmp, text, strlen(text), 0600, true);
}

int journal_save(vfh_ctx *ctx, struct journal *j)
{
        _cleanup_free_ char *text = NULL;
        char name[JOURNAL_ID_MAX + 16];
        int r;

        if (j->n_records == 0) {
                r = journal_remove(ctx, j->id);
                if (r >= 0)
                        j->unsaved = false;
                return r;
        }
        /* Checked once per journal: a transaction saves it many times under the lock. */
        if (j->dirfd < 0) {
                j->dirfd = open_run_dir(ctx);
                if (j->dirfd < 0)
                        return j->dirfd;
        }
        r = journal_format(j, &text);
        if (r < 0)
                return r;
        journal_file_name(j->id, name, sizeof(name));
        r = replace_file(j->dirfd, name, text);
        if (r < 0)
                return vfh_errorf(ctx, r,
                                  "journal %s/%s: cannot write it: %s; nothing more will be "
                                  "changed (free space in the run directory)",
                                  ctx->run_dir, name, strerror(-r));
        j->unsaved = false;
        return 0;
}

int journal_remove(vfh_ctx *ctx, const char *id)
{
        _cleanup_close_ int dirfd = -1;
        char name[JOURNAL_ID_MAX + 16];

        if (!id_is_valid(id))
                return -EINVAL;
        dirfd = open_run_dir(ctx);
        if (dirfd < 0)
                return dirfd;
        journal_file_name(id, name, sizeof(name));
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                return vfh_errorf(ctx, errno, "journal %s/%s: cannot remove it: %m", ctx->run_dir,
                                  name);
        return fsync(dirfd) < 0 ? negative_errno() : 0;
}

void journal_ids_free(char **ids)
{
        if (!ids)
                return;
        for (char **p = ids; *p; p++)
                free(*p);
        free(ids);
}

static int compare_strings(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The owner id when name is "ID.journal" with a valid ID, else NULL. */
static char *id_from_file_name(const char *name)
{
        size_t len = strlen(name), suffix = strlen(JOURNAL_SUFFIX);
        char *id;

        if (len <= suffix || strcmp(name + len - suffix, JOURNAL_SUFFIX) != 0)
                return NULL;
        id = strndup(name, len - suffix);
        if (id && !id_is_valid(id)) {
                free(id);
                return NULL;
        }
        return id;
}

struct id_list {
        char **ids; /* NULL-terminated */
        size_t n;
};

static int add_id(const char *name, unsigned char type, void *data)
{
        struct id_list *l = data;
        char *id = id_from_file_name(name), **grown;

        (void)type;
        if (!id)
                return 0;
        grown = realloc(l->ids, (l->n + 2) * sizeof(char *));
        if (!grown) {
                free(id);
                return -ENOMEM;
        }
        l->ids = grown;
        l->ids[l->n++] = id;
        l->ids[l->n] = NULL;
        return 0;
}

/* Listed with the seam's getdents walk, not a DIR (whose fdopendir costs an fstat, an fcntl
 * and a 32 KiB buffer): the claim checks list the run dir once per group member. */
int journal_list_ids(vfh_ctx *ctx, char ***ret)
{
        _cleanup_sysfs_dir_ struct sysfs_dir dir = {.fd = -1, .listable = true};
        struct id_list l = {.ids = calloc(1, sizeof(char *))};
        int r;

        if (!l.ids)
                return -ENOMEM;
        /* Listing is a read (doctor, list, check): a missing run dir holds no journal, and
         * stays missing. */
        dir.fd = open_run_dir_how(ctx, false);
        if (dir.fd == -ENOENT) {
                *ret = l.ids;
                return 0;
        }
        r = dir.fd < 0 ? dir.fd : sysfs_dir_each(ctx, &dir, add_id, &l);
        if (r < 0) {
                journal_ids_free(l.ids);
                return r;
        }
        qsort(l.ids, l.n, sizeof(char *), compare_strings);
        *ret = l.ids;
        return 0;
}

int journal_intent(vfh_ctx *ctx, struct journal *j, struct journal_record *rec)
{
        rec->state = JOURNAL_INTENT;
        return journal_save(ctx, j);
}

int journal_done(vfh_ctx *ctx, struct journal *j, struct journal_record *rec)
{
        rec->state = JOURNAL_DONE;
        if (j->batch) {
                j->unsaved = true;
                return 0;
        }
        return journal_save(ctx, j);
}

void journal_batch(struct journal *j)
{
        j->batch = true;
}

int journal_drop_undone(vfh_ctx *ctx, struct journal *j, size_t i)
{
        journal_drop(j, i);
        if (j->batch) {
                j->unsaved = true;
                return 0;
        }
        return journal_save(ctx, j);
}

int journal_commit(vfh_ctx *ctx, struct journal *j)
{
        return j->unsaved ? journal_save(ctx, j) : 0;
}

/* ---- the global lock ---- */

static long long monotonic_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A watch for journal_unlock's touch (IN_ACCESS) of the lock file open as fd, so that a
 * waiter wakes when the holder lets go instead of at its next poll. -1 when inotify is out of
 * instances or /proc is missing: the caller then only polls, as before.
 */
static int lock_watch(int fd)
{
        char path[64];
        int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

        if (ifd < 0)
                return -1;
        /* The very inode we opened: the path in the sysroot is not ours to rebuild. */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (inotify_add_watch(ifd, path, IN_ACCESS) < 0) {
                close(ifd);
                return -1;
        }
        return ifd;
}

/* Waits up to ms for an event on the watch (or just sleeps without one), then drains it. */
static void lock_wait(int ifd, int ms)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        if (ifd < 0) {
                nanosleep(&(struct timespec){.tv_nsec = (long)ms * 1000000}, NULL);
                return;
        }
        if (poll(&(struct pollfd){.fd = ifd, .events = POLLIN}, 1, ms) > 0)
                while (read(ifd, buf, sizeof(buf)) > 0)
                        ;
}

/*
 * Takes an exclusive flock on run_dir/NAME, waiting up to the context's timeout.
 *
 * A waiter used to poll from 1 ms up to every 16 ms and so lost up to 16 ms at each hand-off,
 * which made 8 calls at once slower than 8 in a row (docs/PERFORMANCE.md). Now it watches the
 * file before it tries again: journal_unlock touches it after its LOCK_UN, so either the retry
 * sees the lock free or the touch wakes the wait. The polls stay as the upper bound, for a
 * holder that died (the kernel drops its lock without a touch) or that runs an older vfiohook.
 */
static int lock_file(vfh_ctx *ctx, const char *name, int *ret_fd)
{
        _cleanup_close_ int dirfd = open_run_dir(ctx), fd = -1, ifd = -1;
        long long deadline;
        int pause_ms = 1;
        bool watched = false;

        if (dirfd < 0)
                return dirfd;
        fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return vfh_errorf(ctx, errno, "lock %s/%s: cannot open it: %m", ctx->run_dir, name);
        deadline = monotonic_ms() + ctx->timeout_ms;
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                long long left;

                if (errno != EWOULDBLOCK && errno != EINTR)
                        return vfh_errorf(ctx, errno, "lock %s/%s: %m", ctx->run_dir, name);
                if (!watched) {
                        /* The watch first, then the retry: a release between the failed try
                         * and the watch is seen by the retry, one after it by the watch. */
                        watched = true;
                        ifd = lock_watch(fd);
                        continue;
                }
                left = deadline - monotonic_ms();
                if (left <= 0)
                        return vfh_errorf(ctx, ETIMEDOUT,
                                          "lock %s/%s: another vfiohook run still holds it "
                                          "after %u ms; wait for it to finish, or find it with "
                                          "`fuser %s/%s`",
                                          ctx->run_dir, name, ctx->timeout_ms, ctx->run_dir, name);
                lock_wait(ifd, left < pause_ms ? (int)left : pause_ms);
                if (pause_ms < 16)
                        pause_ms *= 2;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int journal_lock(vfh_ctx *ctx, int *ret_fd)
{
        return lock_file(ctx, "lock", ret_fd);
}

int journal_hold(vfh_ctx *ctx, const char *id, int *ret_fd)
{
        char name[JOURNAL_ID_MAX + 8];

        if (!id_is_valid(id))
                return vfh_errorf(ctx, EINVAL, "journal: '%s' is not a valid owner id", id);
        snprintf(name, sizeof(name), "%s.lock", id);
        return lock_file(ctx, name, ret_fd);
}

/* Someone holds the owner lock: try it without waiting and without creating it. */
static bool owner_lock_held(vfh_ctx *ctx, const char *id)
{
        _cleanup_close_ int dirfd = open_run_dir(ctx), fd = -1;
        char name[JOURNAL_ID_MAX + 8];

        if (dirfd < 0)
                return false;
        snprintf(name, sizeof(name), "%s.lock", id);
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        if (flock(fd, LOCK_SH | LOCK_NB) < 0)
                return errno == EWOULDBLOCK;
        return false; /* closing fd drops our probe */
}

void journal_unlock(int fd)
{
        if (fd < 0)
                return;
        /* Unlock, then touch: the touch wakes lock_file's waiters, and it must come after the
         * lock is free. close() cannot be the signal: its IN_CLOSE_WRITE is sent before the
         * kernel drops the flock. Only the access time is set (an IN_ACCESS, which nothing
         * else sends for the empty lock file): its mtime stays, so a call that changed
         * nothing leaves the run dir as it found it. */
        flock(fd, LOCK_UN);
        futimens(fd, (const struct timespec[2]){{.tv_nsec = UTIME_NOW}, {.tv_nsec = UTIME_OMIT}});
        close(fd);
}

/* ---- ownership ---- */

static bool name_is_safe(const char *name)
{
        return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static bool domain_running(vfh_ctx *ctx, const char *name)
{
        unsigned long pid;

        if (!name_is_safe(name))
                return false;
        if (sysfs_read_ulong(ctx, &pid, "/run/libvirt/qemu/%s.pid", name) < 0 || pid == 0 ||
            pid > INT32_MAX)
                return false;
        return sysfs_exists(ctx, "/proc/%lu", pid);
}

bool journal_owner_running(vfh_ctx *ctx, const struct journal *j)
{
        if (owner_lock_held(ctx, j->id))
                return true;
        switch (j->kind) {
        case JOURNAL_OWNER_DOMAIN:
                return domain_running(ctx, j->name);
        case JOURNAL_OWNER_NETWORK:
                return name_is_safe(j->name) &&
                       sysfs_exists(ctx, "/run/libvirt/network/%s.xml", j->name);
        case JOURNAL_OWNER_CLI:
                return true;
        }
        return false;
}

static bool journal_mentions(const struct journal *j, const char *key, const char *value)
{
        for (size_t i = 0; i < j->n_records; i++) {
                const char *v = journal_record_get(&j->records[i], key);

                if (v && strcmp(v, value) == 0)
                        return true;
        }
        return false;
}

struct journal_claims {
        char *skip_id;      /* NULL: none */
        char **ids;         /* NULL until the first question */
        struct journal **j; /* per id: NULL until read, or when it was removed meanwhile */
        bool *gone;
        size_t n;
};

int journal_claims_new(const char *skip_id, struct journal_claims **ret)
{
        struct journal_claims *c = calloc(1, sizeof(*c));

        if (!c || (skip_id && !(c->skip_id = strdup(skip_id)))) {
                free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

void journal_claims_free(struct journal_claims *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++)
                journal_free(c->j[i]);
        free(c->j);
        free(c->gone);
        journal_ids_free(c->ids);
        free(c->skip_id);
        free(c);
}

static int claims_list(vfh_ctx *ctx, struct journal_claims *c)
{
        char **ids = NULL;
        size_t n = 0;
        int r = journal_list_ids(ctx, &ids);

        if (r < 0)
                return r;
        while (ids[n])
                n++;
        c->j = calloc(n + 1, sizeof(c->j[0]));
        c->gone = calloc(n + 1, sizeof(c->gone[0]));
        if (!c->j || !c->gone) {
                free(TAKE_PTR(c->j));
                free(TAKE_PTR(c->gone));
                journal_ids_free(ids);
                return -ENOMEM;
        }
        c->ids = ids;
        c->n = n;
        return 0;
}

/* 1 with the index of the claiming journal in *at. A journal that cannot be read is asked
 * again next time, as journal_find_claim would. */
static int claims_find(vfh_ctx *ctx, struct journal_claims *c, const char *key, const char *value,
                       size_t *at)
{
        int r = 0;

        if (!c->ids && (r = claims_list(ctx, c)) < 0)
                return r;
        for (size_t i = 0; i < c->n; i++) {
                if (c->gone[i] || (c->skip_id && strcmp(c->ids[i], c->skip_id) == 0))
                        continue;
                if (!c->j[i]) {
                        r = journal_load(ctx, c->ids[i], &c->j[i]);
                        c->gone[i] = r == -ENOENT; /* removed while we looked */
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                return r;
                }
                /* Running or not: libvirt runs no hook between prepare and QEMU's pid file,
                 * nor between QEMU's exit and release, so "not running" is no proof that
                 * the owner let go. Only its own release or `vfiohookctl recover` does. */
                if (journal_mentions(c->j[i], key, value)) {
                        *at = i;
                        return 1;
                }
        }
        return 0;
}

int journal_claims_find(vfh_ctx *ctx, struct journal_claims *c, const char *key, const char *value,
                        const struct journal **owner)
{
        size_t at;
        int r = claims_find(ctx, c, key, value, &at);

        if (r > 0)
                *owner = c->j[at];
        return r;
}

int journal_find_claim(vfh_ctx *ctx, const char *key, const char *value, const char *skip_id,
                       struct journal **owner)
{
        _cleanup_journal_claims_ struct journal_claims *c = NULL;
        size_t at;
        int r = journal_claims_new(skip_id, &c);

        if (r >= 0)
                r = claims_find(ctx, c, key, value, &at);
        if (r > 0)
                *owner = TAKE_PTR(c->j[at]);
        return r;
}

const char *journal_claim_describe(vfh_ctx *ctx, const struct journal *owner, char *buf,
                                   size_t size)
{
        const char *kind = journal_owner_kind_name(owner->kind);
        const char *name = owner->name[0] ? owner->name : owner->id;

        if (owner->kind == JOURNAL_OWNER_CLI)
                snprintf(buf, size, "`vfiohookctl detach` (journal %s)", owner->id);
        else if (journal_owner_running(ctx, owner))
                snprintf(buf, size, "running %s '%s' (journal %s)", kind, name, owner->id);
        else if (owner->kind == JOURNAL_OWNER_DOMAIN)
                snprintf(buf, size,
                         "%s '%s' (journal %s), which is starting or stopping, or stopped "
                         "without its release (if it is not running: vfiohookctl recover "
                         "--domain '%s')",
                         kind, name, owner->id, name);
        else
                snprintf(buf, size,
                         "%s '%s' (journal %s), which is not active (if it was destroyed "
                         "without its hook: vfiohookctl recover)",
                         kind, name, owner->id);
        return buf;
}
