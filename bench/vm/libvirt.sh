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
set -eu
VFH_SRC_DIR=$(cd "${0%/*}/../.." && pwd)
. "$VFH_SRC_DIR/tests/vm/lib.sh"
B=${VFH_BUILD_DIR:?set VFH_BUILD_DIR to a build dir}
REPS=${BENCH_REPS:-5}
[ -x "$B/vfiohook-qemu-hook" ] || { echo "no $B/vfiohook-qemu-hook" >&2; exit 1; }

# One wrapper as the installed hook: libvirt finds its hooks when it starts, so the hook stays
# installed and a flag file switches vfiohook off for libvirt's own runs. Both kinds of run pay
# for the wrapper's shell.
mkdir -p /etc/libvirt/hooks/qemu.d
cat >/etc/libvirt/hooks/qemu.d/vfiohook <<EOT
#!/bin/sh
if [ -e /run/bench-vfiohook-off ]; then cat >/dev/null; exit 0; fi
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
# run KIND DEVICE DRIVER N: one timed run of lvN (libvirt) or vhN (vfiohook), after a restart
run() {
	if [ "$1" = lv ]; then touch /run/bench-vfiohook-off; else rm -f /run/bench-vfiohook-off; fi
	libvirt_restart || { echo "libvirtd did not restart" >&2; return 1; }
	cycle "$1$4" "$2" "$3"
}

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
		if [ $((r % 2)) = 0 ]; then first=lv second=vh; else first=vh second=lv; fi
		a=$(run $first "$dev" "$before" $i) && b=$(run $second "$dev" "$before" $i) || break
		if [ $first = lv ]; then echo "$a $b"; else echo "$b $a"; fi >>/tmp/pairs
		r=$((r + 1))
	done
	if [ $r -lt "$REPS" ]; then
		echo "device=$dev driver=$before: no figure, a run did not put it back (above)"
		virsh destroy "lv$i" >/dev/null 2>&1 || true
		continue
	fi
	awk '{ print $1 }' /tmp/pairs >/tmp/lv.rows
	awk '{ print $2 }' /tmp/pairs >/tmp/vh.rows
	awk '{ printf "%.3f\n", $2 / $1 }' /tmp/pairs >/tmp/ratio.rows
	echo "device=$dev driver=$before managed_yes_ms=$(median </tmp/lv.rows)" \
		"managed_no_vfiohook_ms=$(median </tmp/vh.rows) ratio_of_medians=$(awk -v a="$(median </tmp/vh.rows)" -v b="$(median </tmp/lv.rows)" 'BEGIN { printf "%.2f", a / b }')" \
		"median_pair_ratio=$(median </tmp/ratio.rows) pair_ratios=$(sort -n /tmp/ratio.rows | tr '\n' ',')" \
		"pairs_yes_no=$(tr ' \n' '/,' </tmp/pairs)"
done
