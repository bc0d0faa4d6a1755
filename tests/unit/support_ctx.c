/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "support.h"
#include "vfiohook.h"

vfh_ctx *test_ctx_at(const char *root)
{
        vfh_ctx *ctx = NULL;

        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, root) < 0 ||
            vfh_ctx_set_run_dir(ctx, "/run/vfiohook") < 0)
                abort();
        /* Generous: a loaded CI machine forks slowly under ASan, and only a hang may fail. */
        vfh_ctx_set_timeout_ms(ctx, 20000);
        return ctx;
}
