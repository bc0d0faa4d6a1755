#!/bin/sh
# VM environment: the rig's IOMMU groups, /dev/vfio, vfio-pci binding and an mdev.
# Later tests rely on these facts; if one breaks, fix the rig before the code.
. "${0%/*}/lib.sh"
t_require_rig

t_ok "IOMMU groups exist" test -d /sys/kernel/iommu_groups/0
for a in $RIG_IGB0 $RIG_IGB1 $RIG_E1000E; do
	g=$(pci_group $a)
	t_is "$(group_members "$g")" "$a" "$a is alone in group $g"
done
g=$(pci_group $RIG_BRIDGE)
t_is "$(group_members "$g")" "$RIG_BRIDGE $RIG_BR_E1000 $RIG_BR_VIRTIO" "bridge group $g: bridge + e1000 + virtio-net"
t_is "$(cat "$(pci_dev $RIG_BRIDGE)"/class)" 0x060400 "the pcie-pci-bridge is class 0x0604"
t_is "$(pci_driver $RIG_BRIDGE)" "" "the bridge has no driver (shpchp fails on it)"
t_is "$(pci_driver $RIG_BR_E1000)" e1000 "e1000 behind the bridge is on e1000"
t_is "$(pci_driver $RIG_BR_VIRTIO)" virtio-pci "virtio-net behind the bridge is on virtio-pci"
g=$(pci_group $RIG_MF0)
t_is "$(group_members "$g")" "$RIG_MF0 $RIG_MF1" "multifunction group $g: both e1000e functions"
t_ok "the 9p root device has its own group" test -n "$(pci_group $RIG_9P_ROOT)"
t_ok "the ICH9 group exists (LPC, SATA, SMBus)" sh -c "[ \"\$(ls /sys/bus/pci/devices/0000:00:1f.0/iommu_group/devices | wc -l)\" = 3 ]"

t_ok "/dev/vfio/vfio is a character device" test -c /dev/vfio/vfio
t_is "$(stat -c '%t:%T' /dev/vfio/vfio)" "a:c4" "/dev/vfio/vfio is 10:196"
t_ok "modprobe vfio-pci" modprobe vfio-pci
for m in vfio vfio_iommu_type1 vfio_pci_core vfio_pci; do
	t_ok "module $m is loaded" test -d /sys/module/$m
done

# Bind one device to vfio-pci the way vfiohook does and back again.
a=$RIG_E1000E d=$(pci_dev $RIG_E1000E) g=$(pci_group $RIG_E1000E)
t_ok "driver_override := vfio-pci" sh -c "echo vfio-pci > $d/driver_override"
t_ok "unbind from e1000e" sh -c "echo $a > $d/driver/unbind"
t_ok "drivers_probe" sh -c "echo $a > /sys/bus/pci/drivers_probe"
t_is "$(pci_driver $a)" vfio-pci "$a is on vfio-pci"
t_ok "/dev/vfio/$g appeared" test -c /dev/vfio/$g
t_ok "unbind from vfio-pci" sh -c "echo $a > $d/driver/unbind"
t_ok "clear driver_override" sh -c "echo > $d/driver_override"
t_is "$(cat $d/driver_override)" "(null)" "a cleared driver_override reads (null)"
t_ok "drivers_probe again" sh -c "echo $a > /sys/bus/pci/drivers_probe"
t_is "$(pci_driver $a)" e1000e "$a is back on e1000e"
t_not "/dev/vfio/$g is gone" test -e /dev/vfio/$g

# mdev without a GPU: the mtty sample built by setup.sh
t_ok "modprobe mtty" modprobe mtty
t_ok "mtty parent in /sys/class/mdev_bus" test -d /sys/class/mdev_bus/mtty
types=/sys/class/mdev_bus/mtty/mdev_supported_types
t_is "$(ls $types | tr '\n' ' ')" "mtty-1 mtty-2 " "mtty types"
before=$(cat $types/mtty-1/available_instances)
u=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
t_ok "create mdev $u" sh -c "echo $u > $types/mtty-1/create"
t_ok "mdev has an IOMMU group" test -e /sys/bus/mdev/devices/$u/iommu_group
t_is "$(cat $types/mtty-1/available_instances)" "$((before - 1))" "available_instances decremented"
t_ok "remove mdev" sh -c "echo 1 > /sys/bus/mdev/devices/$u/remove"
t_not "mdev gone" test -e /sys/bus/mdev/devices/$u
t_done
