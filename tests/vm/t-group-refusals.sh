#!/bin/sh
# Host-critical refusals on the real kernel, before any write: a NIC given an IP address in
# this test, and the virtio-9p device that carries the guest's root filesystem.
. "${0%/*}/lib.sh"
t_require_rig
V=${VFH_BUILD_DIR:?}/vfiohookctl
[ -x "$V" ] || t_bail "no vfiohookctl in $VFH_BUILD_DIR"

a=$RIG_IGB1 g=$(pci_group $RIG_IGB1)
n=$(pci_netdev $a) || t_bail "no netdev on $a"
ip link set "$n" up && ip addr add 10.99.0.2/24 dev "$n" || t_bail "cannot give $n an address"
out=$("$V" detach $a 2>&1)
t_is "$?" 1 "detach of $a ($n has 10.99.0.2/24) is refused"
t_match "$out" "*host-critical ($n has the IPv4 route 10.99.0.0/24)*" "the refusal names the route"
t_is "$(pci_driver $a)" igb "$a stays on igb"
t_is "$(cat $(pci_dev $a)/driver_override)" "(null)" "driver_override was never written"
t_not "no /dev/vfio/$g" test -e /dev/vfio/$g
t_not "check agrees" "$V" check $a
ip addr flush dev "$n"
ip link set "$n" down
t_ok "without the address, check passes" "$V" check $a

r=$RIG_9P_ROOT
before=$(pci_driver $r)
t_is "$before" virtio-pci "the 9p root device is on virtio-pci"
out=$("$V" detach $r 2>&1)
t_is "$?" 1 "detach of the 9p root device is refused"
t_match "$out" "*host-critical (its 9p share 'vfhroot' *" "the refusal names the root share"
t_is "$(pci_driver $r)" virtio-pci "the 9p root device stays on virtio-pci"
io=$RIG_9P_IO
out=$("$V" detach $io 2>&1)
t_is "$?" 1 "detach of the 9p io device is refused"
t_match "$out" "*its 9p share 'vfhio' is mounted on /vfh-io*" "the refusal names the mount"
t_ok "the root filesystem still works" test -x /bin/sh
t_done
