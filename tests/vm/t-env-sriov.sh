#!/bin/sh
# VM environment: real igb SR-IOV VFs (PCI devices with groups) and netdevsim's many
# netlink-only VFs. vfiohook's VF code is tested against exactly these.
. "${0%/*}/lib.sh"
t_require_rig

pf=$RIG_IGB0
pfn=$(pci_netdev $pf)
t_ok "PF $pf has a netdev ($pfn)" test -n "$pfn"
t_is "$(cat "$(pci_dev $pf)"/sriov_totalvfs)" 7 "igb offers 7 VFs"
t_ok "create 4 VFs on $pfn" sriov_enable $pf 4
t_is "$(cat "$(pci_dev $pf)"/sriov_numvfs)" 4 "sriov_numvfs reads 4"
pfg=$(pci_group $pf)
i=0
while [ $i -lt 4 ]; do
	vf=$(vf_addr $pf $i)
	t_ok "virtfn$i -> $vf" test -n "$vf"
	t_is "$(readlink "$(pci_dev $vf)"/physfn | sed 's#.*/##')" "$pf" "$vf physfn points at the PF"
	t_is "$(pci_driver $vf)" igbvf "$vf is on igbvf"
	g=$(pci_group $vf)
	t_ok "$vf has its own group ($g, PF is $pfg)" sh -c "[ -n '$g' ] && [ '$g' != '$pfg' ] && [ \"\$(ls /sys/kernel/iommu_groups/$g/devices)\" = '$vf' ]"
	t_ok "$vf has a netdev" pci_netdev $vf
	i=$((i + 1))
done

vfjson() { ip -j link show dev "$1" | jq -c ".[0].vfinfo_list[$2]"; }
t_match "$(vfjson $pfn 0)" '*"spoofchk":true*' "igb VFs start with spoofchk on"
t_ok "ip link set vf 0 mac/vlan/spoofchk/trust" ip link set $pfn vf 0 mac 52:54:00:6d:90:02 vlan 10 spoofchk off trust on
j=$(vfjson $pfn 0)
t_match "$j" '*"address":"52:54:00:6d:90:02"*' "VF 0 MAC set"
t_match "$j" '*"vlan":10*' "VF 0 VLAN set"
t_match "$j" '*"spoofchk":false*' "VF 0 spoofchk off"
t_match "$j" '*"trust":true*' "VF 0 trust on"
t_ok "igb accepts an all-zero MAC when restoring" ip link set $pfn vf 0 mac 00:00:00:00:00:00 vlan 0 spoofchk on trust off
t_not "igb rejects min_tx_rate" ip link set $pfn vf 1 min_tx_rate 10
t_ok "igb accepts max_tx_rate" ip link set $pfn vf 1 max_tx_rate 100
t_ok "remove the VFs" sh -c "echo 0 > $(pci_dev $pf)/sriov_numvfs"

# netdevsim: many VFs for netlink only (not PCI devices)
t_ok "modprobe netdevsim" modprobe netdevsim
t_ok "new netdevsim device 10" sh -c 'echo "10 1" > /sys/bus/netdevsim/new_device'
wait_for 10 test -d /sys/bus/netdevsim/devices/netdevsim10/net
t_ok "raise max_vfs via debugfs" sh -c 'echo 128 > /sys/kernel/debug/netdevsim/netdevsim10/max_vfs'
t_ok "64 VFs" sh -c 'echo 64 > /sys/bus/netdevsim/devices/netdevsim10/sriov_numvfs'
nsn=$(ls /sys/bus/netdevsim/devices/netdevsim10/net | head -n 1)
t_ge "$(ip -j link show dev $nsn | jq '.[0].vfinfo_list | length')" 64 "netlink lists >= 64 VFs on $nsn"
t_match "$(vfjson $nsn 63)" '*"spoofchk":false*' "netdevsim VFs start with spoofchk off"
t_ok "netdevsim: link-state, min/max rate, query_rss on VF 63" \
	ip link set $nsn vf 63 state disable min_tx_rate 10 max_tx_rate 100 query_rss on trust on spoofchk on
j=$(vfjson $nsn 63)
t_match "$j" '*"link_state":"disable"*' "VF 63 link state"
t_match "$j" '*"min_tx":10*' "VF 63 min_tx_rate"
t_match "$j" '*"query_rss_en":true*' "VF 63 query_rss"
t_done
