#!/bin/busybox sh
# Stage 2 (runs as PID 1 on the overlay root): finish the mounts, expose the unpacked
# guest kernel's modules, create static /dev nodes, preload the NIC drivers, run the
# command from /vfh-io/cmd and write its stdout, stderr and exit status back to the
# io share, then power off. Written for busybox ash: under TCG every exec of a dynamic
# binary costs 0.1-0.3 s, so everything up to the command is a static busybox applet.
bb=/bin/busybox
. /vfh-io/env
io=/vfh-io

$bb mkdir -p /dev/pts /dev/shm /run /tmp /sys/fs/cgroup /sys/kernel/debug /sys/kernel/security
$bb mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
$bb mount -t tmpfs -o mode=1777 tmpfs /dev/shm
$bb mount -t tmpfs -o mode=755 tmpfs /run
$bb mount -t tmpfs -o mode=1777 tmpfs /tmp
$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup
$bb mount -t debugfs debugfs /sys/kernel/debug
$bb mount -t securityfs securityfs /sys/kernel/security
$bb mkdir -p "/lib/modules/$VFH_KVER"
$bb mount --bind "$VFH_MODDIR" "/lib/modules/$VFH_KVER"
$bb mkdir -p /run/lock /var/run
$bb hostname vfhvm
$bb ip link set lo up

# Static nodes (as kmod static-nodes would): opening one autoloads its module.
# Without /dev/vfio/vfio libvirt says the host does not support PCI passthrough.
while read -r mod name dev; do
	case $mod in '#'* | '') continue ;; esac
	case $name in */*) $bb mkdir -p "/dev/${name%/*}" ;; esac
	[ -e "/dev/$name" ] && continue
	t=${dev%%[0-9]*}; mm=${dev#?}
	$bb mknod -m 600 "/dev/$name" "$t" "${mm%:*}" "${mm#*:}"
done <"/lib/modules/$VFH_KVER/modules.devname"
$bb chmod 666 /dev/vfio/vfio 2>/dev/null

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=${TERM:-vt100} LANG=C.UTF-8
/sbin/modprobe -a igb igbvf e1000e e1000 virtio_net configfs
$bb mount -t configfs configfs /sys/kernel/config

cd "${VFH_CWD:-/}" 2>/dev/null || cd /
if [ "${VFH_SHELL:-0}" = 1 ]; then
	echo "vfh: interactive shell on the serial console; 'exit' or Ctrl-D powers the VM off" >/dev/console
	$bb setsid $bb cttyhack /bin/sh -i
	echo $? >"$io/rc"
else
	/bin/sh "$io/cmd" >"$io/stdout" 2>"$io/stderr" </dev/null
	echo $? >"$io/rc.tmp"
	$bb mv "$io/rc.tmp" "$io/rc"
fi
$bb sync
$bb poweroff -f
