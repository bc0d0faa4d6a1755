/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal test harness. Each test is a function registered with TEST(); a failed CHECK
 * records the failure and the test goes on, so one run reports every broken assertion.
 * The closing line is "N passed, N failed".
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
        const char *name;
        void (*fn)(void);
};

extern int test_failures;

#define TEST(name)                                                                                 \
        static void test_##name(void);                                                             \
        static const struct test_case test_case_##name                                             \
            __attribute__((used, section("vfh_tests"), aligned(sizeof(void *)))) = {#name,         \
                                                                                    test_##name};  \
        static void test_##name(void)

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
                        test_failures++;                                                           \
                }                                                                                  \
        } while (0)

#define CHECK_INT(a, b)                                                                            \
        do {                                                                                       \
                long long _a = (long long)(a), _b = (long long)(b);                                \
                if (_a != _b) {                                                                    \
                        fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__,    \
                                __LINE__, #a, _a, #b, _b);                                         \
                        test_failures++;                                                           \
                }                                                                                  \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
                        fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,      \
                                __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");             \
                        test_failures++;                                                           \
                }                                                                                  \
        } while (0)

/* True when haystack contains needle; for checking error messages. */
#define CHECK_CONTAINS(haystack, needle)                                                           \
        do {                                                                                       \
                const char *_h = (haystack), *_n = (needle);                                       \
                if (!_h || !strstr(_h, _n)) {                                                      \
                        fprintf(stderr, "  %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,     \
                                __LINE__, _h ? _h : "(null)", _n);                                 \
                        test_failures++;                                                           \
                }                                                                                  \
        } while (0)
