/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Creating and removing the mdevs of vfh:mdev. The kernel's interface (Documentation/driver-api/
 * vfio-mediated-device.rst): a parent registers under /sys/class/mdev_bus/PARENT and lists its
 * types under mdev_supported_types/; writing a UUID to TYPE/create makes the device
 * /sys/bus/mdev/devices/UUID, and writing 1 to its remove file destroys it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mdev.h"

#define MDEV_BUS    "/sys/class/mdev_bus"
#define MDEV_DEVICE "/sys/bus/mdev/devices/%s"

/* Parent and type become path components: no '/', no "..", nothing empty. */
static bool is_path_name(const char *s)
{
        return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
               strlen(s) < 128;
}

bool mdev_exists(vfh_ctx *ctx, const char *uuid)
{
        return sysfs_exists(ctx, MDEV_DEVICE, uuid);
}

int mdev_check(vfh_ctx *ctx, const char *uuid, const char *parent, const char *type)
{
        unsigned long available;
        int r;

        if (!is_path_name(parent) || !is_path_name(type))
                return vfh_errorf(ctx, EINVAL,
                                  "mdev %s: parent '%s' or type '%s' is not a plain name; write "
                                  "the name under " MDEV_BUS "/ and under its "
                                  "mdev_supported_types/ in <vfh:mdev>",
                                  uuid, parent ? parent : "", type ? type : "");
        if (!sysfs_exists(ctx, MDEV_BUS "/%s", parent))
                return vfh_errorf(ctx, ENODEV,
                                  "mdev %s: parent %s is not under " MDEV_BUS "/; load its "
                                  "driver or fix parent= in <vfh:mdev>",
                                  uuid, parent);
        if (!sysfs_exists(ctx, MDEV_BUS "/%s/mdev_supported_types/%s", parent, type))
                return vfh_errorf(ctx, ENOENT,
                                  "mdev %s: parent %s has no type %s; see its "
                                  "mdev_supported_types/ and fix type= in <vfh:mdev>",
                                  uuid, parent, type);
        r = sysfs_read_ulong(ctx, &available,
                             MDEV_BUS "/%s/mdev_supported_types/%s/available_instances", parent,
                             type);
        if (r >= 0 && available == 0)
                return vfh_errorf(ctx, ENOSPC,
                                  "mdev %s: parent %s has no free instance of type %s; remove "
                                  "an unused mdev of that type first",
                                  uuid, parent, type);
        return 0;
}

int mdev_create(vfh_ctx *ctx, struct journal *j, const char *uuid, const char *parent,
                const char *type)
{
        struct journal_record *rec;
        int r = mdev_check(ctx, uuid, parent, type);

        if (r < 0)
                return r;
        rec = journal_append(j, MDEV_JOURNAL_TYPE);
        if (!rec || journal_record_set(rec, "uuid", uuid) < 0 ||
            journal_record_set(rec, "parent", parent) < 0 ||
            journal_record_set(rec, "mdev_type", type) < 0)
                return vfh_errorf(ctx, ENOMEM, "mdev %s: journal: out of memory", uuid);
        r = journal_intent(ctx, j, rec);
        if (r < 0)
                return r;
        r = sysfs_write(ctx, uuid, MDEV_BUS "/%s/mdev_supported_types/%s/create", parent, type);
        if (r < 0)
                return vfh_errorf(ctx, r, "mdev %s: create (parent %s, type %s): %s; check dmesg",
                                  uuid, parent, type, strerror(-r));
        if (!mdev_exists(ctx, uuid))
                return vfh_errorf(ctx, EIO,
                                  "mdev %s: create (parent %s, type %s) succeeded but "
                                  "/sys/bus/mdev/devices/%s did not appear; check dmesg",
                                  uuid, parent, type, uuid);
        r = journal_done(ctx, j, &j->records[j->n_records - 1]);
        if (r >= 0)
                vfh_info(ctx, "mdev %s: created (parent %s, type %s)", uuid, parent, type);
        return r;
}

int mdev_record_restore(vfh_ctx *ctx, const struct journal_record *rec)
{
        const char *uuid = journal_record_get(rec, "uuid");
        int r;

        if (!is_path_name(uuid))
                return vfh_errorf(ctx, EBADMSG,
                                  "journal record %u (mdev): uuid is missing or malformed; remove "
                                  "the mdev by hand",
                                  rec->seq);
        if (!mdev_exists(ctx, uuid))
                return 0; /* an intent whose create never happened, or removed by hand */
        r = sysfs_write(ctx, "1", MDEV_DEVICE "/remove", uuid);
        if (r < 0)
                return vfh_errorf(ctx, r,
                                  "mdev %s: remove: %s; is a guest still using it? remove it by "
                                  "hand with `echo 1 > /sys/bus/mdev/devices/%s/remove`",
                                  uuid, strerror(-r), uuid);
        if (mdev_exists(ctx, uuid))
                return vfh_errorf(ctx, EBUSY,
                                  "mdev %s: remove was accepted but the device is still there; "
                                  "check dmesg",
                                  uuid);
        return 0;
}
