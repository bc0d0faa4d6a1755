#!/bin/sh
# vfiohook against libvirt's own managed path, run in the VM tier's guest with libvirtd:
#   tests/vm/run-vm.sh -m 2048 -t 1500 sh -c "BENCH_REPS=N sh bench/vm/libvirt.sh"
# (VFH_BUILD_DIR: a build dir not under /tmp). The same device, in pairs of runs: one with
# <hostdev managed='yes'> and our hook switched off (libvirt detaches and reattaches it), one
# with <hostdev managed='no'> and vfiohook doing it, each timed as `virsh start` + `virsh
# destroy` until the device is back on its driver. The order within a pair alternates and
# libvirtd is restarted (untimed) before every run, so both kinds of run see the same daemon
# state and the same drift of a shared TCG host; the figure is the median of the pairs' ratios.
# Under TCG only ratios mean anything.
# VFH_BUILD_DIR_OLD (optional): a second build of vfiohook, run as a third kind in every round
# (rounds rotate the order of the three), for a before/after in one sitting.
set -eu
VFH_SRC_DIR=$(cd "${0%/*}/../.." && pwd)
. "$VFH_SRC_DIR/tests/vm/lib.sh"
B=${VFH_BUILD_DIR:?set VFH_BUILD_DIR to a build dir}
REPS=${BENCH_REPS:-5}
OLD=${VFH_BUILD_DIR_OLD:-}
for _b in "$B" ${OLD:+"$OLD"}; do
	[ -x "$_b/vfiohook-qemu-hook" ] || { echo "no $_b/vfiohook-qemu-hook" >&2; exit 1; }
done

# One wrapper as the installed hook: libvirt finds its hooks when it starts, so the hook stays
# installed and a flag file switches vfiohook off for libvirt's own runs. Both kinds of run pay
# for the wrapper's shell.
mkdir -p /etc/libvirt/hooks/qemu.d
cat >/etc/libvirt/hooks/qemu.d/vfiohook <<EOT
#!/bin/sh
if [ -e /run/bench-vfiohook-off ]; then cat >/dev/null; exit 0; fi
if [ -e /run/bench-vfiohook-old ]; then exec $OLD/vfiohook-qemu-hook "\$@"; fi
exec $B/vfiohook-qemu-hook "\$@"
EOT
chmod 755 /etc/libvirt/hooks/qemu.d/vfiohook
modprobe vfio-pci
sriov_enable "$RIG_IGB0" 1 >/dev/null
libvirt_start || { tail -n 20 /var/log/libvirt/libvirtd.log; exit 1; }
virsh() { command virsh -q -c qemu:///system "$@"; }

addr_xml() { # 0000:BB:SS.F -> address attributes
	_b=${1#*:}; _b=${_b%%:*}; _s=${1##*:}; _s=${_s%.*}
	echo "domain='0x0000' bus='0x$_b' slot='0x$_s' function='0x${1##*.}'"
}
define() { # NAME UUID-SUFFIX DEVICE MANAGED
	cat >/tmp/$1.xml <<-EOT
		<domain type='qemu'>
		  <name>$1</name>
		  <uuid>6d90bf00-0000-4000-8000-0000000000$2</uuid>
		  <memory unit='MiB'>64</memory>
		  <vcpu>1</vcpu>
		  <os><type arch='x86_64'>hvm</type></os>
		  <features><acpi/></features>
		  <devices>
		    <emulator>/usr/bin/qemu-system-x86_64</emulator>
		    <hostdev mode='subsystem' type='pci' managed='$4'><source><address $(addr_xml "$3")/></source></hostdev>
		    <memballoon model='none'/>
		  </devices>
		</domain>
	EOT
	virsh define /tmp/$1.xml >/dev/null
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
driver_is() { [ "$(pci_driver "$1")" = "$2" ]; }
# cycle NAME DEVICE DRIVER: start + destroy, until DEVICE is back on DRIVER (libvirt may
# reattach a managed device after destroy returns), in ms
cycle() {
	_t0=$(now_ms)
	virsh start "$1" >/dev/null
	virsh destroy "$1" >/dev/null
	if ! wait_for 30 driver_is "$2" "$3"; then
		echo "$2 is still on $(pci_driver "$2") 30 s after $1 was destroyed" \
			"(driver_override $(cat "/sys/bus/pci/devices/$2/driver_override"))" >&2
		grep -E " (error|warning) " /var/log/libvirt/libvirtd.log | tail -n 5 >&2
		return 1
	fi
	echo $(($(now_ms) - _t0))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# A fresh libvirtd for every run: once libvirtd 9.0 has run a device in a managed='no' domain,
# a later managed='yes' domain left it on vfio-pci (driver_override vfio-pci) after destroy,
# for 30 s and more (presumably its list of inactive host devices keeps the managed='no'
# state); a restart forgets it, and pairs can then alternate their order.
libvirt_restart() {
	_pid=$(cat /run/libvirtd.pid)
	kill "$_pid" && wait_for 30 sh -c "! kill -0 $_pid" || return 1
	libvirtd -d && wait_for 120 libvirt_alive_and_answering
}
# run KIND DEVICE DRIVER N: one timed run of lvN (libvirt), vhN (vfiohook) or, as vhN with the
# old build, vo; after a restart
run() {
	rm -f /run/bench-vfiohook-off /run/bench-vfiohook-old
	case $1 in
	lv) touch /run/bench-vfiohook-off ;;
	vo) touch /run/bench-vfiohook-old ;;
	esac
	libvirt_restart || { echo "libvirtd did not restart" >&2; return 1; }
	cycle "$(echo "$1" | sed 's/vo/vh/')$4" "$2" "$3"
}
# order R: the kinds of round R, rotated so that each kind goes first, second and last equally
order() {
	if [ -z "$OLD" ]; then
		if [ $(($1 % 2)) = 0 ]; then echo lv vh; else echo vh lv; fi
		return
	fi
	case $(($1 % 3)) in
	0) echo lv vh vo ;;
	1) echo vh vo lv ;;
	2) echo vo lv vh ;;
	esac
}
column() { awk -v k="$1" '{ print $k }' /tmp/pairs; }
ratios() { awk -v a="$1" -v b="$2" '{ printf "%.3f\n", $a / $b }' /tmp/pairs; }

echo "# libvirt $(libvirtd --version | sed 's/.* //'), kernel $(uname -r), $REPS pairs per device, order alternating, libvirtd restarted before each run"
vf0=$(vf_addr "$RIG_IGB0" 0)
i=0
for dev in "$vf0" "$RIG_E1000E"; do
	i=$((i + 1))
	before=$(pci_driver "$dev")
	define "lv$i" "1$i" "$dev" yes
	define "vh$i" "2$i" "$dev" no
	: >/tmp/pairs
	r=0
	while [ $r -lt "$REPS" ]; do
		lv='' vh='' vo=0
		for kind in $(order $r); do
			t=$(run $kind "$dev" "$before" $i) || break 2
			eval "$kind=\$t"
		done
		echo "$lv $vh $vo" >>/tmp/pairs
		r=$((r + 1))
	done
	if [ $r -lt "$REPS" ]; then
		echo "device=$dev driver=$before: no figure, a run did not put it back (above)"
		virsh destroy "lv$i" >/dev/null 2>&1 || true
		continue
	fi
	lv_ms=$(column 1 | median) vh_ms=$(column 2 | median)
	echo "device=$dev driver=$before managed_yes_ms=$lv_ms" \
		"managed_no_vfiohook_ms=$vh_ms ratio_of_medians=$(awk -v a="$vh_ms" -v b="$lv_ms" 'BEGIN { printf "%.2f", a / b }')" \
		"median_pair_ratio=$(ratios 2 1 | median) pair_ratios=$(ratios 2 1 | sort -n | tr '\n' ',')" \
		"pairs_yes_no=$(awk '{ printf "%s/%s,", $1, $2 }' /tmp/pairs)"
	[ -z "$OLD" ] || echo "device=$dev old_build_ms=$(column 3 | median)" \
		"old_median_pair_ratio=$(ratios 3 1 | median) old_pair_ratios=$(ratios 3 1 | sort -n | tr '\n' ',')" \
		"new_over_old_median=$(ratios 2 3 | median) new_over_old=$(ratios 2 3 | sort -n | tr '\n' ',')" \
		"rounds_yes_new_old=$(awk '{ printf "%s/%s/%s,", $1, $2, $3 }' /tmp/pairs)"
done
