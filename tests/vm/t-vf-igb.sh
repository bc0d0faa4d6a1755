#!/bin/sh
# VF settings on real igb VFs: every attribute igb supports (MAC, VLAN/QoS, spoofchk, trust,
# max_tx_rate) is set with `vfiohookctl vf set`, read back independently with `ip -j -d link`,
# and restored from the saved originals to the exact previous state. What igb cannot do (link
# state, min_tx_rate, query_rss, 802.1ad) is refused naming the driver, and invalid values
# never reach the kernel.
. "${0%/*}/lib.sh"
t_require_rig
V=${VFH_BUILD_DIR:?}/vfiohookctl
[ -x "$V" ] || t_bail "no vfiohookctl in $VFH_BUILD_DIR"

pf=$RIG_IGB0
sriov_enable $pf 2 || t_bail "cannot create 2 VFs on $pf"
pfn=$(pci_netdev $pf)
vf1=$(vf_addr $pf 1)
saved=/tmp/vf-igb.saved

# vfstate N: VF N as the kernel reports it through iproute2, one canonical line.
vfstate() {
	ip -j -d link show dev "$pfn" | jq -r --argjson n "$1" '.[0].vfinfo_list[$n] |
		"mac=\(.address) vlan=\(.vlan_list[0].vlan // 0) qos=\(.vlan_list[0].qos // 0)" +
		" proto=\(.vlan_list[0].protocol // "802.1Q") spoofchk=\(.spoofchk) trust=\(.trust)" +
		" state=\(.link_state) min_tx=\(.rate.min_tx // 0) max_tx=\(.rate.max_tx // 0)"'
}
orig0=$(vfstate 0)
orig1=$(vfstate 1)
t_diag "VF 1 before: $orig1"
t_match "$orig1" "*spoofchk=true*" "igb VFs start with spoofchk on"

# --- everything igb supports at once, then restored from what set saved -------------------
t_ok "vf set: mac vlan qos spoofchk trust max_tx_rate (originals saved first)" \
	"$V" vf set "$pfn" 1 mac=02:11:22:33:44:55 vlan=42 qos=3 spoofchk=off trust=on \
	max_tx_rate=100 --save $saved
t_is "$(vfstate 1)" \
	"mac=02:11:22:33:44:55 vlan=42 qos=3 proto=802.1Q spoofchk=false trust=true state=auto min_tx=0 max_tx=100" \
	"ip link shows every new value on VF 1"
t_is "$(vfstate 0)" "$orig0" "VF 0 is untouched"
t_is "$(grep -c . $saved)" 7 "the saved file holds the 5 changed attributes (vlan as vlan+qos+proto)"
t_ok "vf set --restore" "$V" vf set "$pfn" 1 --restore $saved
t_is "$(vfstate 1)" "$orig1" "VF 1 is back to the exact original"

# --- each attribute on its own, by PF+index and by the VF's PCI address --------------------
for kv in mac=02:aa:bb:cc:dd:01 vlan=7 spoofchk=off trust=on max_tx_rate=10; do
	t_ok "vf set $vf1 $kv" "$V" vf set "$vf1" "$kv" --save $saved
	after=$(vfstate 1)
	t_ok "$kv changed VF 1 ($after)" test "$after" != "$orig1"
	t_ok "restore after $kv" "$V" vf set "$pfn" 1 --restore $saved
	t_is "$(vfstate 1)" "$orig1" "$kv restored exactly"
done

# --- while the VF is on vfio-pci, as during a guest: the PF still takes the settings ------
modprobe vfio-pci
echo vfio-pci >"$(pci_dev $vf1)/driver_override" && echo "$vf1" >"$(pci_dev $vf1)/driver/unbind" &&
	echo "$vf1" >/sys/bus/pci/drivers_probe
t_is "$(pci_driver $vf1)" vfio-pci "VF 1 is on vfio-pci"
t_ok "vf set on a VF bound to vfio-pci" "$V" vf set "$vf1" spoofchk=off trust=on --save $saved
t_match "$(vfstate 1)" "*spoofchk=false trust=true*" "ip link shows the change"
t_ok "restore while on vfio-pci" "$V" vf set "$vf1" --restore $saved
t_is "$(vfstate 1)" "$orig1" "VF 1 is back to the exact original"
echo "$vf1" >"$(pci_dev $vf1)/driver/unbind" && echo >"$(pci_dev $vf1)/driver_override" &&
	echo "$vf1" >/sys/bus/pci/drivers_probe
t_is "$(pci_driver $vf1)" igbvf "VF 1 is back on igbvf"
# igbvf, probing with an all-zero MAC, picks a random one and the PF adopts it: a kernel
# change, not ours, so the checks below start from the state after the probe.
orig1=$(vfstate 1)
t_diag "VF 1 after igbvf probed again: $orig1"

# --- what igb does not support: refused, naming the driver, nothing changed ---------------
for kv in state=disable min_tx_rate=10 query_rss=on "vlan=5 proto=802.1ad"; do
	# shellcheck disable=SC2086 # $kv may hold two key=value words
	out=$("$V" vf set "$pfn" 1 $kv 2>&1)
	t_is "$?" 1 "igb refuses $kv"
	t_match "$out" "*igb driver of $pfn*" "the refusal of $kv names the driver"
	t_diag "$out"
done
t_is "$(vfstate 1)" "$orig1" "refusals left VF 1 unchanged"

# --- a set that fails half-way is rolled back --------------------------------------------
out=$("$V" vf set "$pfn" 1 trust=on state=disable 2>&1)
t_is "$?" 1 "trust=on state=disable fails on state"
t_is "$(vfstate 1)" "$orig1" "the trust change before it was rolled back"

# --- invalid values: refused before any change -------------------------------------------
for kv in vlan=4096 "vlan=1 qos=8" mac=01:00:5e:00:00:01 mac=00:00:00:00:00:00 \
	mac=ff:ff:ff:ff:ff:ff max_tx_rate=100000 "min_tx_rate=20 max_tx_rate=10"; do
	# shellcheck disable=SC2086
	out=$("$V" vf set "$pfn" 1 $kv 2>&1)
	t_is "$?" 1 "invalid $kv is refused: ${out#vfiohookctl: }"
done
t_is "$(vfstate 1)" "$orig1" "invalid values left VF 1 unchanged"

# --- vf show --json agrees with the kernel -----------------------------------------------
json=$("$V" vf show "$pfn" --json)
t_is "$(echo "$json" | jq '.vfs | length')" 2 "vf show --json lists both VFs"
t_is "$(echo "$json" | jq -r '.vfs[1].address')" "$vf1" "VF 1's PCI address"
t_is "$(echo "$json" | jq -r '.vfs[] | "\(.mac) \(.spoofchk) \(.trust)"' | tr '\n' ' ')" \
	"$(ip -j -d link show dev "$pfn" | jq -r '.[0].vfinfo_list[] | "\(.address) \(.spoofchk) \(.trust)"' | tr '\n' ' ')" \
	"mac, spoofchk and trust match ip link"
t_is "$(echo "$json" | jq -r '.vfs[0].query_rss')" null "igb cannot report query_rss: null"

# --- not a VF, unknown PF ------------------------------------------------------------------
out=$("$V" vf set $pf trust=on 2>&1)
t_is "$?" 1 "the PF's own address is refused"
t_match "$out" "*not an SR-IOV virtual function*" "and the message says why"
out=$("$V" vf show eth99 2>&1)
t_is "$?" 1 "an unknown PF is refused"

# --- PF down: igb needs link for a rate, and the message says what to do ------------------
ip link set "$pfn" down
out=$("$V" vf set "$pfn" 1 max_tx_rate=100 2>&1)
t_is "$?" 1 "max_tx_rate on a VF of a down PF is refused"
t_match "$out" "*bring $pfn up first: ip link set $pfn up*" "the message names the PF and the fix"
t_diag "$out"
ip link set "$pfn" up
t_is "$(vfstate 1)" "$orig1" "VF 1 unchanged"
t_done
