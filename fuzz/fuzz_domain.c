/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a domain (also resolving <interface type='network'> through the fixture
 * networks). It also holds the qemu hook front's scan to its promise (lib/start_scan.h): a
 * document the scan passes over has no <interface type='hostdev'> once parsed. */
#include "fuzz_xml.h"
#include "start_scan.h"

static bool has_vf_interface(const struct vfh_domain *dom)
{
        for (size_t i = 0; i < dom->n_interfaces; i++)
                if (dom->interfaces[i].type == VFH_INTERFACE_HOSTDEV)
                        return true;
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vfh_domain *parsed = NULL;

        if (vfh_domain_parse(fuzz_ctx(), (const char *)data, size, &parsed) >= 0) {
                if (!parsed)
                        abort(); /* success must hand back a model */
                if (has_vf_interface(parsed) && !start_may_have_work((const char *)data, size))
                        abort(); /* the front would skip a start that has work */
        }
        vfh_domain_free(parsed);
        return 0;
}
