#!/bin/busybox sh
# Stage 1 (the initramfs /init): load virtio + 9p + overlay, mount the host's root
# (read-only 9p share "vfhroot") under a tmpfs-backed overlay, mount the read-write
# 9p share "vfhio" at /vfh-io, and switch_root into stage 2 (tests/vm/guest-init.sh,
# named in /vfh-io/env). Everything here is a busybox applet: no dynamic execs.
/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
	echo "vfh-stage1: $*" >/dev/console
	poweroff -f
}

while read -r m; do
	insmod "/modules/$m" || fail "insmod $m failed"
done </modules/order

mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose vfhroot /lower || fail "mounting the 9p root failed"
mount -t tmpfs -o mode=755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || fail "overlay mount failed"
mkdir -p /newroot/vfh-io
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none vfhio /newroot/vfh-io || fail "mounting the io share failed"
. /newroot/vfh-io/env
[ -f "/newroot$VFH_STAGE2" ] || fail "stage 2 script $VFH_STAGE2 not visible in the guest"
mount --move /dev /newroot/dev
mount --move /sys /newroot/sys
mount --move /proc /newroot/proc
exec switch_root /newroot /bin/busybox sh "$VFH_STAGE2"
