/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the unit tests: scratch directories and small file builders. */
#pragma once

#include "test.h"

/* A fresh directory, removed at exit. */
const char *test_tmpdir(void);
/* Writes ROOT/REL (parents created) with printf-formatted content. */
void test_write_file(const char *root, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void test_symlink(const char *root, const char *rel, const char *target);
void test_mkdir(const char *root, const char *rel);
/* A context on the sysroot ROOT, run dir /run/vfiohook under it, with a write deadline that
 * only a hang can miss. Aborts on failure. */
typedef struct vfh_ctx vfh_ctx;
vfh_ctx *test_ctx_at(const char *root);
/* Runs the build's vfiohookctl (VFH_BUILD_DIR) with --sysroot ROOT --run-dir /run/vfiohook and
 * ARGS; returns its exit status (-1 if it did not exit) and its stdout in OUT. */
int test_vfiohookctl(const char *root, const char *args, char *out, size_t size);
/* REL resolved under the source tree ($VFH_SRC_DIR). Returns a static buffer. */
const char *test_src_path(const char *rel);
