#!/bin/sh
# VF settings at scale on netdevsim, which implements every VF attribute: 64 VFs answer in one
# large RTM_GETLINK reply that `vf show --json` must hold whole, and all 64 VFs get every
# attribute (including link state, min_tx_rate, query_rss and 802.1ad) set and then restored,
# each checked against `ip -j -d link`.
. "${0%/*}/lib.sh"
V=${VFH_BUILD_DIR:?}/vfiohookctl
[ -x "$V" ] || t_bail "no vfiohookctl in $VFH_BUILD_DIR"
N=64

modprobe netdevsim 2>/dev/null || t_skip_all "no netdevsim module (tests/vm/setup.sh builds it)"
echo "10 1" >/sys/bus/netdevsim/new_device || t_bail "cannot create netdevsim device 10"
wait_for 10 test -d /sys/bus/netdevsim/devices/netdevsim10/net || t_bail "netdevsim10 has no netdev"
echo 128 >/sys/kernel/debug/netdevsim/netdevsim10/max_vfs || t_bail "cannot raise max_vfs"
echo $N >/sys/bus/netdevsim/devices/netdevsim10/sriov_numvfs || t_bail "cannot create $N VFs"
pfn=$(ls /sys/bus/netdevsim/devices/netdevsim10/net | head -n 1)
dir=/tmp/vf-nsim
mkdir -p $dir

# kernel: every VF as iproute2 reports it, one canonical line each
kernel_vfs() {
	ip -j -d link show dev "$pfn" | jq -r '.[0].vfinfo_list[] |
		"\(.vf) mac=\(.address) vlan=\(.vlan_list[0].vlan // 0) qos=\(.vlan_list[0].qos // 0)" +
		" proto=\(.vlan_list[0].protocol // "802.1Q") spoofchk=\(.spoofchk) trust=\(.trust)" +
		" state=\(.link_state) min_tx=\(.rate.min_tx // 0) max_tx=\(.rate.max_tx // 0)" +
		" query_rss=\(.query_rss_en)"'
}
# ours: the same line from vf show --json
our_vfs() {
	"$V" vf show "$pfn" --json | jq -r '.vfs[] |
		"\(.vf) mac=\(.mac) vlan=\(.vlan) qos=\(.qos) proto=\(.proto) spoofchk=\(.spoofchk)" +
		" trust=\(.trust) state=\(.state) min_tx=\(.min_tx_rate) max_tx=\(.max_tx_rate)" +
		" query_rss=\(.query_rss)"'
}

before=$(kernel_vfs)
t_is "$(echo "$before" | grep -c .)" $N "the kernel reports $N VFs on $pfn"
t_is "$("$V" vf show "$pfn" --json | jq '.num_vfs, (.vfs | length)' | tr '\n' ' ')" "$N $N " \
	"vf show --json holds all $N VFs from one reply"
t_is "$(our_vfs)" "$before" "every attribute of every VF matches ip link"

# --- set every attribute on every VF, originals saved first ------------------------------
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
failed=
i=0
while [ $i -lt $N ]; do
	mac=$(printf '02:00:00:00:01:%02x' $i)
	"$V" vf set "$pfn" $i mac=$mac vlan=$((100 + i)) qos=$((i % 8)) proto=802.1ad \
		spoofchk=on trust=on state=disable min_tx_rate=10 max_tx_rate=$((100 + i)) \
		query_rss=on --save $dir/$i >$dir/$i.out 2>&1 || failed="$failed $i"
	i=$((i + 1))
done
t_is "$failed" "" "vf set succeeded on all $N VFs"
t_diag "vf set of every attribute on $N VFs: $(($(ms) - t0)) ms under TCG (one process per VF)"
want=$(i=0; while [ $i -lt $N ]; do
	printf '%d mac=02:00:00:00:01:%02x vlan=%d qos=%d proto=802.1ad spoofchk=true trust=true state=disable min_tx=10 max_tx=%d query_rss=true\n' \
		$i $i $((100 + i)) $((i % 8)) $((100 + i))
	i=$((i + 1))
done)
t_is "$(kernel_vfs)" "$want" "ip link shows every attribute set on every VF"
t_is "$(cat $dir/5.out | grep -c ' -> ')" 8 "vf set reports the 8 attributes it changed on VF 5"

# --- restore all, newest first, from the saved originals ---------------------------------
t0=$(ms)
failed=
i=$((N - 1))
while [ $i -ge 0 ]; do
	"$V" vf set "$pfn" $i --restore $dir/$i >/dev/null 2>&1 || failed="$failed $i"
	i=$((i - 1))
done
t_is "$failed" "" "vf set --restore succeeded on all $N VFs"
t_diag "vf set --restore on $N VFs: $(($(ms) - t0)) ms"
t0=$(ms)
for i in 1 2 3 4 5 6 7 8 9 10; do "$V" vf show "$pfn" --json >/dev/null; done
t_diag "vf show --json of $N VFs: $((($(ms) - t0) / 10)) ms per run"
t_is "$(kernel_vfs)" "$before" "all $N VFs are back to their exact originals"

# --- one attribute alone leaves the others, rates keep each other -------------------------
t_ok "max_tx_rate=500 on VF 63" "$V" vf set "$pfn" 63 max_tx_rate=500
t_ok "min_tx_rate=50 on VF 63" "$V" vf set "$pfn" 63 min_tx_rate=50
t_match "$(kernel_vfs | sed -n 64p)" "*min_tx=50 max_tx=500*" "setting min_tx_rate kept max_tx_rate"
out=$("$V" vf set "$pfn" 63 min_tx_rate=600 2>&1)
t_is "$?" 1 "min_tx_rate above the current max_tx_rate is refused"
t_match "$out" "*min_tx_rate 600 would be above max_tx_rate 500*" "and says so"
out=$("$V" vf set "$pfn" 64 trust=on 2>&1)
t_is "$?" 1 "VF 64 does not exist"
t_match "$out" "*$pfn has $N VFs*" "and the message counts them"
t_done
