/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whether the qemu hook's start/begin could have anything to do for a domain, decided without
 * libxml2 so that the libc-only front (hooks/front/qemu.c) can skip starting the worker.
 *
 * At start the planner looks only at <interface type='hostdev'> (plan_build: hostdevs, mdevs
 * and pool bookkeeping are prepare's), and libvirt hands pool interfaces to start already
 * rewritten to that type (docs/hooks.md). A document in which "hostdev" occurs only as the name
 * of <hostdev> elements (ours in <metadata> too) and in the aliases libvirt gives them ('hostdev0')
 * therefore has nothing for start.
 *
 * This is a scan, not a parser, and it errs one way only: whatever it cannot rule out ("hostdev"
 * anywhere else, in any case; a character reference or a DTD that could spell it; a document
 * that is not plain ASCII-compatible XML without a declaration) answers true, and the worker
 * decides with the real parse. libvirt's own documents are none of those.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

bool start_may_have_work(const char *xml, size_t len);
