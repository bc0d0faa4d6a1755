/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs the vfiohookctl of the build under test, as the CLI tests need it. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "support.h"

int test_vfiohookctl(const char *root, const char *args, char *out, size_t size)
{
        char cmd[PATH_MAX * 2];
        const char *build = getenv("VFH_BUILD_DIR");
        size_t n;
        FILE *p;
        int status;

        snprintf(cmd, sizeof(cmd), "%s/vfiohookctl --sysroot %s --run-dir /run/vfiohook %s",
                 build ? build : ".", root, args);
        p = popen(cmd, "r");
        if (!p)
                return -1;
        n = fread(out, 1, size - 1, p);
        out[n] = '\0';
        status = pclose(p);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
