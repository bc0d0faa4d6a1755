/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a domain (also resolving <interface type='network'> through the fixture
 * networks). */
#include "fuzz_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vfh_domain *parsed = NULL;

        if (vfh_domain_parse(fuzz_ctx(), (const char *)data, size, &parsed) >= 0 && !parsed)
                abort(); /* success must hand back a model */
        vfh_domain_free(parsed);
        return 0;
}
