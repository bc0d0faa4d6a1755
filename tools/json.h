/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small streaming JSON writer for the CLI's --json output (DESIGN.md §5: one object with
 * "version": 1, snake_case keys, real booleans, null when unknown). Indented two spaces.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
        FILE *out;
        int depth;
        bool has_items[JSON_MAX_DEPTH];
        bool after_key;
};

void json_init(struct json *j, FILE *out);
/* Opens the top-level object and writes "version": 1. */
void json_document_begin(struct json *j);
void json_document_end(struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);

/* A NULL string is written as null. */
void json_string(struct json *j, const char *s);
void json_int(struct json *j, long long v);
void json_uint(struct json *j, unsigned long long v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, long long v);
void json_kv_uint(struct json *j, const char *key, unsigned long long v);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_null(struct json *j, const char *key);
