/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Messages are formatted where a failure is detected and handed to the caller's log callback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static void log_deliver(vfh_ctx *ctx, int priority, const char *message)
{
        if (ctx->log_fn && priority <= ctx->log_priority)
                ctx->log_fn(ctx->log_data, priority, message);
}

int vfh_errorf(vfh_ctx *ctx, int err, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(ctx->last_error, sizeof(ctx->last_error), fmt, ap);
        va_end(ap);
        log_deliver(ctx, LOG_ERR, ctx->last_error);
        err = abs(err);
        return err ? -err : -EIO;
}

void vfh_logf(vfh_ctx *ctx, int priority, const char *fmt, ...)
{
        char message[VFH_ERROR_MAX];
        va_list ap;

        if (!ctx->log_fn || priority > ctx->log_priority)
                return;
        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);
        log_deliver(ctx, priority, message);
}
