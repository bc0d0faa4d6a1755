/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scratch trees for tests: made under $TMPDIR, removed when the test executable exits. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

static char *scratch_dirs[64];
static size_t n_scratch_dirs;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static void remove_scratch_dirs(void)
{
        for (size_t i = 0; i < n_scratch_dirs; i++) {
                nftw(scratch_dirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
                free(scratch_dirs[i]);
        }
}

const char *test_tmpdir(void)
{
        const char *base = getenv("TMPDIR");
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/vfh-test-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(path) || n_scratch_dirs >= sizeof(scratch_dirs) / sizeof(scratch_dirs[0])) {
                perror("mkdtemp");
                exit(1);
        }
        if (n_scratch_dirs == 0)
                atexit(remove_scratch_dirs);
        scratch_dirs[n_scratch_dirs] = strdup(path);
        return scratch_dirs[n_scratch_dirs++];
}

static void make_parents(char *path)
{
        for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
                *p = '\0';
                mkdir(path, 0755);
                *p = '/';
        }
}

void test_write_file(const char *root, const char *rel, const char *fmt, ...)
{
        char path[PATH_MAX];
        va_list ap;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        make_parents(path);
        f = fopen(path, "w");
        if (!f) {
                perror(path);
                exit(1);
        }
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fclose(f);
}

void test_symlink(const char *root, const char *rel, const char *target)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        make_parents(path);
        unlink(path);
        if (symlink(target, path) < 0) {
                perror(path);
                exit(1);
        }
}

void test_mkdir(const char *root, const char *rel)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s/", root, rel);
        make_parents(path);
}

const char *test_src_path(const char *rel)
{
        static char path[PATH_MAX];
        const char *src = getenv("VFH_SRC_DIR");

        snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
        return path;
}
