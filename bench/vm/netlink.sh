#!/bin/sh
# Netlink benchmark, run in the VM tier's guest (netdevsim implements every VF attribute):
#   tests/vm/run-vm.sh -t 900 sh bench/vm/netlink.sh      (VFH_BUILD_DIR: a bench build)
# For a PF with 64 and 128 VFs: the round trips and time of reading every VF's state
# (`vfiohookctl vf show`), against iproute2's `ip -d link show` in the same run; then 4
# attributes set on 64 VFs, one process per VF, against `ip link set ... vf N`. Under TCG
# only the ratios mean anything; the round trips are exact.
set -eu
B=${VFH_BUILD_DIR:?set VFH_BUILD_DIR to a build dir with the bench targets}
V=$B/bench/bench-vfiohookctl # probed: counters and the kernel/own split
P=$B/vfiohookctl              # the product: timed
T=$B/bench/bench-timeit
REPORT=/tmp/bench-probe
RUNS=${BENCH_RUNS:-10}

[ -x "$V" ] && [ -x "$T" ] || { echo "no bench binaries in $B/bench" >&2; exit 1; }
modprobe netdevsim
echo "11 1" >/sys/bus/netdevsim/new_device
i=0
while [ ! -d /sys/bus/netdevsim/devices/netdevsim11/net ] && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
echo 128 >/sys/kernel/debug/netdevsim/netdevsim11/max_vfs
pf=$(ls /sys/bus/netdevsim/devices/netdevsim11/net | head -n 1)
ip link set "$pf" up

# probe FIELD: one field of the probe's last report line
probe() { tail -n 1 $REPORT | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# median ms of a bench-timeit line
median() { sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "# netlink benchmark: kernel $(uname -r), PF $pf (netdevsim), $RUNS runs each"
for n in 64 128; do
	echo 0 >/sys/bus/netdevsim/devices/netdevsim11/sriov_numvfs
	echo $n >/sys/bus/netdevsim/devices/netdevsim11/sriov_numvfs
	: >$REPORT
	VFH_BENCH_REPORT=$REPORT "$V" vf show "$pf" --json >/tmp/show.json
	got=$(jq '.vfs | length' /tmp/show.json)
	[ "$got" = $n ] || { echo "vf show listed $got VFs, expected $n" >&2; exit 1; }
	calls=$(probe netlink_calls)
	sends=$(strace -f -c -e trace=sendto,recvfrom "$P" vf show "$pf" --json 2>&1 >/dev/null |
		awk '$NF == "sendto" { print $4 }')
	ours=$("$T" -n "$RUNS" -l "vf show $n VFs" -- "$P" vf show "$pf" --json)
	theirs=$("$T" -n "$RUNS" -l "ip -d link show $n VFs" -- ip -d link show dev "$pf")
	echo "$ours"
	echo "$theirs"
	echo "vf-dump vfs=$n netlink_requests=$calls sendto_syscalls=$sends" \
		"ratio_vs_iproute2=$(ratio "$(echo "$ours" | median)" "$(echo "$theirs" | median)")"
	VFH_BENCH_REPORT=$REPORT "$V" vf show "$pf" --json >/dev/null
	echo "vf-dump vfs=$n probe: $(tail -n 1 $REPORT)"
done

# 4 attributes on each of 64 VFs, one process per VF as a hook or an admin would run it.
echo 0 >/sys/bus/netdevsim/devices/netdevsim11/sriov_numvfs
echo 64 >/sys/bus/netdevsim/devices/netdevsim11/sriov_numvfs
ms() { echo $(($(date +%s%N) / 1000000)); }
set_ours() {
	v=0
	while [ $v -lt 64 ]; do
		VFH_BENCH_REPORT=$REPORT "${VF_SET_BIN:-$P}" vf set "$pf" $v spoofchk="$1" \
			trust="$2" state="$3" max_tx_rate="$4" >/dev/null
		v=$((v + 1))
	done
}
set_ip() {
	v=0
	while [ $v -lt 64 ]; do
		ip link set "$pf" vf $v spoofchk "$1" trust "$2" state "$3" max_tx_rate "$4"
		v=$((v + 1))
	done
}
: >$REPORT
t0=$(ms); set_ours off on enable 100; ours1=$(($(ms) - t0))
t0=$(ms); set_ip on off auto 0; ip1=$(($(ms) - t0))
t0=$(ms); set_ours off on enable 200; ours2=$(($(ms) - t0))
t0=$(ms); set_ip on off auto 0; ip2=$(($(ms) - t0))
check=$(ip -j -d link show dev "$pf" | jq '[.[0].vfinfo_list[] | select(.spoofchk == true and
	.trust == false and .link_state == "auto")] | length')
[ "$check" = 64 ] || { echo "ip link set left $check of 64 VFs as set" >&2; exit 1; }
VF_SET_BIN=$V set_ours off on enable 100
check=$(ip -j -d link show dev "$pf" | jq '[.[0].vfinfo_list[] | select(.spoofchk == false and
	.trust == true and .link_state == "enable" and .rate.max_tx == 100)] | length')
[ "$check" = 64 ] || { echo "vf set left $check of 64 VFs as set" >&2; exit 1; }
requests=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^netlink_calls=/) { sub(/.*=/, "", $i); s += $i; n++ } }
	END { printf "%.1f", s / n }' $REPORT)
echo "vf-set 64 VFs x 4 attributes: ours ${ours1} ms, ${ours2} ms; ip link ${ip1} ms, ${ip2} ms;" \
	"netlink requests per VF $requests; ratio $(ratio $((ours1 + ours2)) $((ip1 + ip2)))"
echo "vf-set one probe line: $(tail -n 1 $REPORT)"
