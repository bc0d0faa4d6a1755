#!/bin/sh
# Group engine on the real kernel: the bridge group (pcie-pci-bridge + e1000 + virtio-net).
# Detaching one endpoint takes both endpoints to vfio-pci and leaves the bridge alone.
. "${0%/*}/lib.sh"
t_require_rig
V=${VFH_BUILD_DIR:?}/vfiohookctl
[ -x "$V" ] || t_bail "no vfiohookctl in $VFH_BUILD_DIR"

g=$(pci_group $RIG_BR_E1000)
t_is "$(pci_driver $RIG_BR_E1000):$(pci_driver $RIG_BR_VIRTIO):$(pci_driver $RIG_BRIDGE)" \
	"e1000:virtio-pci:" "before: e1000, virtio-pci, bridge without driver"
t_not "before: no /dev/vfio/$g" test -e /dev/vfio/$g

t_ok "detach $RIG_BR_E1000 --driver vfio-pci (the whole group)" "$V" detach $RIG_BR_E1000 --driver vfio-pci
t_is "$(pci_driver $RIG_BR_E1000)" vfio-pci "during: e1000 endpoint is on vfio-pci"
t_is "$(pci_driver $RIG_BR_VIRTIO)" vfio-pci "during: virtio-net endpoint is on vfio-pci"
t_is "$(pci_driver $RIG_BRIDGE)" "" "during: the bridge stays without a driver"
t_ok "during: /dev/vfio/$g is a character device" test -c /dev/vfio/$g

t_ok "reattach $RIG_BR_VIRTIO (the whole group)" "$V" reattach $RIG_BR_VIRTIO
t_is "$(pci_driver $RIG_BR_E1000)" e1000 "after: e1000 is back"
t_is "$(pci_driver $RIG_BR_VIRTIO)" virtio-pci "after: virtio-net is back on virtio-pci"
t_is "$(pci_driver $RIG_BRIDGE)" "" "after: the bridge still has no driver"
t_not "after: /dev/vfio/$g is gone" test -e /dev/vfio/$g
t_done
