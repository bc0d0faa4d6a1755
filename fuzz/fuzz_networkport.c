/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a networkport document. */
#include "fuzz_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vfh_networkport *parsed = NULL;

        if (vfh_networkport_parse(fuzz_ctx(), (const char *)data, size, &parsed) >= 0 && !parsed)
                abort(); /* success must hand back a model */
        vfh_networkport_free(parsed);
        return 0;
}
