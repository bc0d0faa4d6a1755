/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a network or networkstatus document. */
#include "fuzz_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vfh_network *parsed = NULL;

        if (vfh_network_parse(fuzz_ctx(), (const char *)data, size, &parsed) >= 0 && !parsed)
                abort(); /* success must hand back a model */
        vfh_network_free(parsed);
        return 0;
}
