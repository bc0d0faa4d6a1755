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
/* REL resolved under the source tree ($VFH_SRC_DIR). Returns a static buffer. */
const char *test_src_path(const char *rel);
