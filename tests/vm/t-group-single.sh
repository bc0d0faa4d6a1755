#!/bin/sh
# Group engine on the real kernel: a single-device group (the e1000e on its own root port)
# goes to vfio-pci and back with `vfiohookctl detach/reattach`, and `vfiohookctl list` shows
# exactly the kernel's IOMMU groups. Every assertion reads the kernel, not vfiohook.
. "${0%/*}/lib.sh"
t_require_rig
V=${VFH_BUILD_DIR:?}/vfiohookctl
[ -x "$V" ] || t_bail "no vfiohookctl in $VFH_BUILD_DIR"

a=$RIG_E1000E g=$(pci_group $RIG_E1000E)
t_is "$(pci_driver $a)" e1000e "before: $a is on e1000e"
t_not "before: no /dev/vfio/$g" test -e /dev/vfio/$g

# list --json against /sys/kernel/iommu_groups: same groups, same members, in order.
want=$(for n in $(ls /sys/kernel/iommu_groups | sort -n); do echo "$n $(group_members $n)"; done)
got=$("$V" list --json | jq -r '.groups[] | "\(.group) \([.devices[].address] | join(" "))"')
t_is "$got" "$want" "list --json shows the kernel's groups and members"
t_match "$("$V" list)" "*group $g
  $a \[8086:10d3\] Ethernet controller: *(driver e1000e*" "list shows $a on e1000e in group $g"
t_is "$("$V" list --json | jq -r ".groups[] | select(.group == $g) | .devices[0].driver")" e1000e \
	"list --json names the driver"

t_ok "check $a says it can be detached" "$V" check $a
t0=$(date +%s%N)
t_ok "detach $a" "$V" detach $a
t_diag "detach took $((($(date +%s%N) - t0) / 1000000)) ms (TCG guest; vfio-pci is loaded by this first detach)"
t_is "$(pci_driver $a)" vfio-pci "during: $a is on vfio-pci"
t_ok "during: /dev/vfio/$g is a character device" test -c /dev/vfio/$g
t_file_has /run/vfiohook/cli.journal "record * bind done device=$a group=$g driver=e1000e*" \
	"the journal records the original driver"
t_is "$("$V" list --json | jq -r ".groups[] | select(.group == $g) | .viable")" true \
	"list --json: group $g is viable"

t0=$(date +%s%N)
t_ok "reattach $a" "$V" reattach $a
t_diag "reattach took $((($(date +%s%N) - t0) / 1000000)) ms"
t_is "$(pci_driver $a)" e1000e "after: $a is back on e1000e"
t_not "after: /dev/vfio/$g is gone" test -e /dev/vfio/$g
t_is "$(cat $(pci_dev $a)/driver_override)" "(null)" "after: driver_override is cleared"
t_not "after: the CLI journal is gone" test -e /run/vfiohook/cli.journal
t_not "reattach again: nothing recorded, refused" "$V" reattach $a
t_done
