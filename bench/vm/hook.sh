#!/bin/sh
# Hook overhead, run in the VM tier's guest (real kernel, real vfio-pci and igb VFs):
#   tests/vm/run-vm.sh -m 2048 -t 900 sh bench/vm/hook.sh   (VFH_BUILD_DIR: a bench build)
# 1. Domains with 1, 4 and 8 managed='no' hostdevs (igb VFs, the multifunction pair, the bridge
#    group's endpoints): the probed qemu hook's prepare + start + release, against the
#    kernel's own unbind + probe of the same devices by the minimal sysfs writes, same run.
# 2. 8 domains on 8 disjoint groups: 8 prepare calls at once against 8 one after another, and
#    how long each call held the global lock.
# Under TCG only ratios and the probe's split (kernel vs own time) mean anything.
set -eu
VFH_SRC_DIR=$(cd "${0%/*}/../.." && pwd)
. "$VFH_SRC_DIR/tests/vm/lib.sh"
B=${VFH_BUILD_DIR:?set VFH_BUILD_DIR to a build dir with the bench targets}
H=$B/bench/bench-hook-qemu
REPORT=/tmp/bench-probe
REPS=${BENCH_REPS:-3}
[ -x "$H" ] || { echo "no $H" >&2; exit 1; }

modprobe vfio-pci
sriov_enable "$RIG_IGB0" 7 >/dev/null
wait_for 20 test -e "/sys/bus/pci/devices/$(vf_addr "$RIG_IGB0" 6)/driver"
VF() { vf_addr "$RIG_IGB0" "$1"; }

addr_xml() { # 0000:BB:SS.F -> address attributes
	_b=${1#*:}; _b=${_b%%:*}; _s=${1##*:}; _s=${_s%.*}
	echo "domain='0x0000' bus='0x$_b' slot='0x$_s' function='0x${1##*.}'"
}
# domain_xml NAME N DEVICES...: a domain with managed='no' hostdevs
domain_xml() {
	_n=$1 _u=$2; shift 2
	echo "<domain type='qemu'><name>$_n</name>"
	echo "<uuid>6d90be00-0000-4000-8000-0000000000$_u</uuid>"
	echo "<memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os><devices>"
	for _d in "$@"; do
		echo "<hostdev mode='subsystem' type='pci' managed='no'><source><address $(addr_xml "$_d")/></source></hostdev>"
	done
	echo "</devices></domain>"
}
now_us() { echo $(($(date +%s%N) / 1000)); }
# field NAME LINE
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# hook_cycle NAME XML: prepare, start, release, summed over the three calls; prints
# "wall inprocess kernel+child_wait own lock_hold sysfs_ops own_cpu fork_cpu netlink" (us)
hook_cycle() {
	: >$REPORT
	_t0=$(now_us)
	VFH_BENCH_REPORT=$REPORT "$H" "$1" prepare begin - <"$2"
	VFH_BENCH_REPORT=$REPORT "$H" "$1" start begin - <"$2"
	VFH_BENCH_REPORT=$REPORT "$H" "$1" release end - <"$2"
	_t1=$(now_us)
	awk -v wall=$((_t1 - _t0)) '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
		END { printf "%d %d %d %d %d %d %d %d %d\n", wall, s["wall_us"],
		      s["kernel_us"] + s["child_wait_us"], s["own_us"], s["lock_hold_us"],
		      s["sysfs_reads"] + s["sysfs_writes"], s["own_cpu_us"], s["fork_cpu_us"],
		      s["netlink_calls"] }' $REPORT
}

# The kernel's own work for the same devices: override, unbind, probe; and back.
kernel_cycle() {
	_t0=$(now_us)
	for _d in "$@"; do
		echo vfio-pci >"/sys/bus/pci/devices/$_d/driver_override"
		[ -e "/sys/bus/pci/devices/$_d/driver" ] && echo "$_d" >"/sys/bus/pci/devices/$_d/driver/unbind"
		echo "$_d" >/sys/bus/pci/drivers_probe
	done
	for _d in "$@"; do
		echo "$_d" >/sys/bus/pci/drivers/vfio-pci/unbind
		echo >"/sys/bus/pci/devices/$_d/driver_override"
		echo "$_d" >/sys/bus/pci/drivers_probe
	done
	echo $(($(now_us) - _t0))
}
# drivers of the devices, to prove each cycle put everything back
drivers_of() { for _d in "$@"; do printf '%s ' "$(pci_driver "$_d")"; done; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "# hook overhead: kernel $(uname -r), $REPS repetitions, medians"
for n in 1 4 8; do
	case $n in
	1) devs="$(VF 0)" ;;
	4) devs="$(VF 0) $(VF 1) $RIG_MF0 $RIG_MF1" ;;
	8) devs="$(VF 0) $(VF 1) $(VF 2) $(VF 3) $RIG_MF0 $RIG_MF1 $RIG_BR_E1000 $RIG_BR_VIRTIO" ;;
	esac
	# shellcheck disable=SC2086 # a list of addresses
	domain_xml "bench$n" "0$n" $devs >/tmp/bench$n.xml
	# shellcheck disable=SC2086
	before=$(drivers_of $devs)
	: >/tmp/hook$n.rows
	: >/tmp/kernel$n.rows
	r=0
	while [ $r -lt "$REPS" ]; do
		hook_cycle "bench$n" /tmp/bench$n.xml >>/tmp/hook$n.rows
		# shellcheck disable=SC2086
		[ "$(drivers_of $devs)" = "$before" ] || { echo "hook cycle left: $(drivers_of $devs)" >&2; exit 1; }
		# shellcheck disable=SC2086
		kernel_cycle $devs >>/tmp/kernel$n.rows
		# shellcheck disable=SC2086
		[ "$(drivers_of $devs)" = "$before" ] || { echo "kernel cycle left: $(drivers_of $devs)" >&2; exit 1; }
		r=$((r + 1))
	done
	hook_wall=$(cut -d' ' -f1 /tmp/hook$n.rows | median)
	inproc=$(cut -d' ' -f2 /tmp/hook$n.rows | median)
	kern=$(cut -d' ' -f3 /tmp/hook$n.rows | median)
	own=$(cut -d' ' -f4 /tmp/hook$n.rows | median)
	hold=$(cut -d' ' -f5 /tmp/hook$n.rows | median)
	ops=$(cut -d' ' -f6 /tmp/hook$n.rows | median)
	own_cpu=$(cut -d' ' -f7 /tmp/hook$n.rows | median)
	fork_cpu=$(cut -d' ' -f8 /tmp/hook$n.rows | median)
	nl=$(cut -d' ' -f9 /tmp/hook$n.rows | median)
	base=$(median </tmp/kernel$n.rows)
	echo "devices=$n hook_wall_us=$hook_wall hook_inprocess_us=$inproc hook_kernel_us=$kern" \
		"hook_own_us=$own hook_own_cpu_us=$own_cpu hook_fork_cpu_us=$fork_cpu" \
		"lock_hold_us=$hold sysfs_ops=$ops netlink_requests=$nl kernel_baseline_us=$base" \
		"hook_minus_kernel_us=$((hook_wall - base))" \
		"ratio=$(awk -v a="$hook_wall" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
	echo "  rows (wall inprocess kernel+child_wait own lock_hold sysfs_ops own_cpu fork_cpu" \
		"netlink): $(tr '\n' ';' </tmp/hook$n.rows)"
done

# --- 8 hook calls on 8 disjoint groups: all at once, and one after another -------------------
par_devs="$(VF 0) $(VF 1) $(VF 2) $(VF 3) $(VF 4) $(VF 5) $RIG_MF0 $RIG_BR_E1000"
i=0
for d in $par_devs; do
	domain_xml "par$i" "1$i" "$d" >/tmp/par$i.xml
	i=$((i + 1))
done
# shellcheck disable=SC2086
before=$(drivers_of $par_devs)
phase() { # OP SUB MODE(seq|par) -> wall us; probe lines in $REPORT
	: >$REPORT
	_t0=$(now_us)
	for _i in 0 1 2 3 4 5 6 7; do
		if [ "$3" = par ]; then
			VFH_BENCH_REPORT=$REPORT "$H" "par$_i" "$1" "$2" - </tmp/par$_i.xml &
		else
			VFH_BENCH_REPORT=$REPORT "$H" "par$_i" "$1" "$2" - </tmp/par$_i.xml
		fi
	done
	wait
	echo $(($(now_us) - _t0))
}
summary() { # the probe lines of one phase: sums and max of the lock figures
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2]
		if (kv[1] == "lock_hold_us" && kv[2] > mh) mh = kv[2]
		if (kv[1] == "lock_wait_us" && kv[2] > mw) mw = kv[2]
		if (kv[1] == "wall_us" && kv[2] > mx) mx = kv[2] } }
		END { printf "calls=%d sum_wall_us=%d max_call_us=%d sum_lock_hold_us=%d max_lock_hold_us=%d sum_lock_wait_us=%d max_lock_wait_us=%d",
		      NR, s["wall_us"], mx, s["lock_hold_us"], mh, s["lock_wait_us"], mw }' $REPORT
}
r=0
while [ $r -lt "$REPS" ]; do
	for mode in seq par; do
		w=$(phase prepare begin $mode)
		echo "parallel mode=$mode op=prepare wall_us=$w $(summary)"
		w=$(phase release end $mode)
		echo "parallel mode=$mode op=release wall_us=$w $(summary)"
		# shellcheck disable=SC2086
		[ "$(drivers_of $par_devs)" = "$before" ] || { echo "$mode left: $(drivers_of $par_devs)" >&2; exit 1; }
	done
	r=$((r + 1))
done
