/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Streaming JSON writer: commas, indentation and string escaping in one place. */
#include "json.h"

void json_init(struct json *j, FILE *out)
{
        *j = (struct json){.out = out};
}

static void indent(struct json *j)
{
        fputc('\n', j->out);
        for (int i = 0; i < j->depth; i++)
                fputs("  ", j->out);
}

/* Separates this value from the previous one, unless it follows its key. */
static void value_prefix(struct json *j)
{
        if (j->after_key) {
                j->after_key = false;
                return;
        }
        if (j->depth == 0)
                return;
        if (j->has_items[j->depth])
                fputc(',', j->out);
        j->has_items[j->depth] = true;
        indent(j);
}

static void open_container(struct json *j, char c)
{
        value_prefix(j);
        fputc(c, j->out);
        if (j->depth + 1 < JSON_MAX_DEPTH)
                j->depth++;
        j->has_items[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
        bool had_items = j->has_items[j->depth];

        if (j->depth > 0)
                j->depth--;
        if (had_items)
                indent(j);
        fputc(c, j->out);
        if (j->depth == 0)
                fputc('\n', j->out);
}

void json_object_begin(struct json *j)
{
        open_container(j, '{');
}

void json_object_end(struct json *j)
{
        close_container(j, '}');
}

void json_array_begin(struct json *j)
{
        open_container(j, '[');
}

void json_array_end(struct json *j)
{
        close_container(j, ']');
}

static void write_escaped(FILE *out, const char *s)
{
        fputc('"', out);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"':
                        fputs("\\\"", out);
                        break;
                case '\\':
                        fputs("\\\\", out);
                        break;
                case '\n':
                        fputs("\\n", out);
                        break;
                case '\t':
                        fputs("\\t", out);
                        break;
                default:
                        if (*p < 0x20)
                                fprintf(out, "\\u%04x", *p);
                        else
                                fputc(*p, out);
                }
        }
        fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
        value_prefix(j);
        write_escaped(j->out, key);
        fputs(": ", j->out);
        j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
        value_prefix(j);
        if (s)
                write_escaped(j->out, s);
        else
                fputs("null", j->out);
}

void json_int(struct json *j, long long v)
{
        value_prefix(j);
        fprintf(j->out, "%lld", v);
}

void json_uint(struct json *j, unsigned long long v)
{
        value_prefix(j);
        fprintf(j->out, "%llu", v);
}

void json_bool(struct json *j, bool v)
{
        value_prefix(j);
        fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j)
{
        value_prefix(j);
        fputs("null", j->out);
}

void json_document_begin(struct json *j)
{
        json_object_begin(j);
        json_kv_int(j, "version", 1);
}

void json_document_end(struct json *j)
{
        json_object_end(j);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
        json_key(j, key);
        json_string(j, s);
}

void json_kv_int(struct json *j, const char *key, long long v)
{
        json_key(j, key);
        json_int(j, v);
}

void json_kv_uint(struct json *j, const char *key, unsigned long long v)
{
        json_key(j, key);
        json_uint(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
        json_key(j, key);
        json_bool(j, v);
}

void json_kv_null(struct json *j, const char *key)
{
        json_key(j, key);
        json_null(j);
}
