/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every XML fuzz target shares: one context whose network directories point at the
 * fixture networks (so <interface type='network'> lookups are hermetic), built on first use,
 * and libxml2 handlers that crash: any message libxml2 would print instead of handing it to
 * the library is a bug (hooks own stderr), and the fuzzer reports it like any other crash.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libxml/globals.h>
#include <libxml/xmlerror.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_printed_generic(void *data, const char *fmt, ...)
{
        (void)data, (void)fmt;
        abort();
}

static inline void fuzz_printed_structured(void *data, xmlErrorPtr err)
{
        (void)data, (void)err;
        abort();
}

static inline vfh_ctx *fuzz_ctx(void)
{
        static vfh_ctx *ctx;

        if (ctx)
                return ctx;
        xmlSetGenericErrorFunc(NULL, fuzz_printed_generic);
        xmlSetStructuredErrorFunc(NULL, fuzz_printed_structured);
        if (vfh_ctx_new(&ctx) < 0 || vfh_ctx_set_sysroot(ctx, VFH_FUZZ_FIXTURES) < 0 ||
            vfh_ctx_add_network_dir(ctx, "/networks/run") < 0 ||
            vfh_ctx_add_network_dir(ctx, "/networks/etc") < 0)
                abort();
        return ctx;
}
