#!/bin/sh
# Group engine on the real kernel: an igb VF goes to vfio-pci and back to igbvf, and its PF
# is refused while it has VFs (unbinding it would destroy them).
. "${0%/*}/lib.sh"
t_require_rig
V=${VFH_BUILD_DIR:?}/vfiohookctl
[ -x "$V" ] || t_bail "no vfiohookctl in $VFH_BUILD_DIR"

sriov_enable $RIG_IGB0 1 || t_bail "cannot create a VF on $RIG_IGB0"
vf=$(vf_addr $RIG_IGB0 0) g=$(pci_group $vf)
t_is "$(pci_driver $vf)" igbvf "before: VF $vf is on igbvf"

t_ok "detach VF $vf" "$V" detach $vf
t_is "$(pci_driver $vf)" vfio-pci "during: VF is on vfio-pci"
t_ok "during: /dev/vfio/$g is a character device" test -c /dev/vfio/$g
t_is "$("$V" list --json | jq -r ".groups[].devices[] | select(.address == \"$vf\") | \"\(.physfn) \(.vf_index)\"")" \
	"$RIG_IGB0 0" "list --json: VF 0 of its PF"
t_ok "reattach VF $vf" "$V" reattach $vf
t_is "$(pci_driver $vf)" igbvf "after: VF is back on igbvf"
t_not "after: /dev/vfio/$g is gone" test -e /dev/vfio/$g

out=$("$V" detach $RIG_IGB0 2>&1)
t_is "$?" 1 "detach of the PF with a VF enabled is refused"
t_match "$out" "*SR-IOV PF with 1 VFs enabled*" "the refusal says why"
t_is "$(pci_driver $RIG_IGB0)" igb "the PF stays on igb"
t_is "$(cat $(pci_dev $RIG_IGB0)/sriov_numvfs)" 1 "its VF still exists"
t_done
