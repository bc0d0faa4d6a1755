/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mediated devices (mdev) the guest asks for through vfh:mdev: created at prepare through the
 * parent's mdev_supported_types/TYPE/create, removed at release only when we created them.
 */
#pragma once

#include <stdbool.h>

#include "journal.h"
#include "model.h"

#define MDEV_JOURNAL_TYPE "mdev"

/* /sys/bus/mdev/devices/UUID exists. */
bool mdev_exists(vfh_ctx *ctx, const char *uuid);
/* The parent is under /sys/class/mdev_bus/ and offers the type with available_instances > 0.
 * 0, or -errno with one line naming the mdev, the parent and the type. */
int mdev_check(vfh_ctx *ctx, const char *uuid, const char *parent, const char *type);
/* Journals the intent, writes the UUID to create, verifies the device appeared, journals it
 * done. */
int mdev_create(vfh_ctx *ctx, struct journal *j, const char *uuid, const char *parent,
                const char *type);
/* Undoes one "mdev" record: writes 1 to /sys/bus/mdev/devices/UUID/remove (gone already: 0). */
int mdev_record_restore(vfh_ctx *ctx, const struct journal_record *rec);
