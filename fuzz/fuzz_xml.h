/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every XML fuzz target shares: one context whose network directories point at the
 * fixture networks (so <interface type='network'> lookups are hermetic), built on first use.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline vfh_ctx *fuzz_ctx(void)
{
        static vfh_ctx *ctx;

        if (ctx)
                return ctx;
        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, VFH_FUZZ_FIXTURES) < 0 ||
            vfh_ctx_add_network_dir(ctx, "/networks/run") < 0 ||
            vfh_ctx_add_network_dir(ctx, "/networks/etc") < 0)
                abort();
        return ctx;
}
