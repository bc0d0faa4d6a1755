#!/bin/sh
# Group engine on the real kernel: the multifunction e1000e pair shares a group, so both
# functions move together, and a group with only one of them on vfio-pci is reported as not
# viable.
. "${0%/*}/lib.sh"
t_require_rig
V=${VFH_BUILD_DIR:?}/vfiohookctl
[ -x "$V" ] || t_bail "no vfiohookctl in $VFH_BUILD_DIR"

g=$(pci_group $RIG_MF0)
t_is "$(pci_driver $RIG_MF0):$(pci_driver $RIG_MF1)" e1000e:e1000e "before: both on e1000e"

# Driver models are checked before any change: a non-VFIO driver, and a variant that this
# kernel does not have.
out=$("$V" detach $RIG_MF1 --driver e1000e 2>&1)
t_match "$out" "*driver model 'e1000e': not a VFIO driver*" "--driver e1000e is refused"
out=$("$V" detach $RIG_MF1 --driver mlx5_vfio_pci 2>&1)
t_match "$out" "*modprobe mlx5_vfio_pci: failed*" "an absent variant driver is refused"
t_is "$(pci_driver $RIG_MF0):$(pci_driver $RIG_MF1)" e1000e:e1000e "refusals changed nothing"
t_is "$(cat $(pci_dev $RIG_MF1)/driver_override)" "(null)" "driver_override was never written"

t_ok "detach $RIG_MF1" "$V" detach $RIG_MF1
t_is "$(pci_driver $RIG_MF0):$(pci_driver $RIG_MF1)" vfio-pci:vfio-pci "during: both on vfio-pci"
t_ok "during: /dev/vfio/$g is a character device" test -c /dev/vfio/$g
t_ok "reattach $RIG_MF0" "$V" reattach $RIG_MF0
t_is "$(pci_driver $RIG_MF0):$(pci_driver $RIG_MF1)" e1000e:e1000e "after: both back on e1000e"
t_not "after: /dev/vfio/$g is gone" test -e /dev/vfio/$g

# Half a group on vfio-pci (done by hand, as libvirt's managed path would): not viable.
modprobe vfio-pci
d=$(pci_dev $RIG_MF0)
echo vfio-pci >$d/driver_override && echo $RIG_MF0 >$d/driver/unbind && echo $RIG_MF0 >/sys/bus/pci/drivers_probe
t_is "$(pci_driver $RIG_MF0)" vfio-pci "by hand: only function 0 on vfio-pci"
t_is "$("$V" list --json | jq -r ".groups[] | select(.group == $g) | .viable")" false \
	"list --json: the half-detached group is not viable"
echo $RIG_MF0 >$d/driver/unbind; echo >$d/driver_override; echo $RIG_MF0 >/sys/bus/pci/drivers_probe
t_is "$(pci_driver $RIG_MF0)" e1000e "by hand: function 0 back on e1000e"
t_done
