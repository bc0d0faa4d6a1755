/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any document, dispatched on its root element. */
#include "fuzz_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vfh_document *parsed = NULL;

        if (vfh_document_parse(fuzz_ctx(), (const char *)data, size, &parsed) >= 0 && !parsed)
                abort(); /* success must hand back a model */
        vfh_document_free(parsed);
        return 0;
}
