#!/bin/sh
# vfiohookctl status, recover and sriov on the real kernel. The qemu hook's prepare detaches
# a device for a domain whose QEMU never comes (libvirtd or the hook died): status says the
# owner is gone, recover --dry-run changes nothing, recover --domain puts the original driver
# back; a running owner's journal is left alone. sriov sets VF counts through 0 and refuses
# while a VF is on vfio-pci. Every assertion reads the kernel.
. "${0%/*}/lib.sh"
t_require_rig
V=${VFH_BUILD_DIR:?}/vfiohookctl
H=$VFH_BUILD_DIR/vfiohook-qemu-hook
[ -x "$V" ] && [ -x "$H" ] || t_bail "no vfiohookctl or qemu hook in $VFH_BUILD_DIR"

a=$RIG_E1000E g=$(pci_group $RIG_E1000E)
b=${a#*:}; b=${b%%:*}; s=${a##*:}; s=${s%.*}
cat >/tmp/gone.xml <<EOT
<domain type='qemu'>
  <name>gone</name>
  <uuid>6d90ab01-0000-4000-8000-00000000c11a</uuid>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x$b' slot='0x$s' function='0x${a##*.}'/></source>
    </hostdev>
  </devices>
</domain>
EOT
prepare() { "$H" gone prepare begin - </tmp/gone.xml; }
running() { "$V" status --json | jq -r '.owners[] | select(.name == "gone") | .running'; }

t_is "$(pci_driver $a)" e1000e "before: $a on e1000e"
t_ok "the qemu hook's prepare detaches $a for domain 'gone'" prepare
t_is "$(pci_driver $a)" vfio-pci "$a is on vfio-pci"
t_ok "/dev/vfio/$g exists" test -c /dev/vfio/$g
t_is "$(running)" false "status --json: 'gone' is not running (no QEMU, no hook)"
t_match "$("$V" status)" "*domain gone (*): NOT RUNNING*group $g: $a e1000e -> vfio-pci*" \
	"status names the group, the device and both drivers"
t_match "$("$V" recover --dry-run)" "*domain gone (*): would undo 1 record*bind done device=$a*" \
	"recover --dry-run shows the bind record"
t_is "$(pci_driver $a)" vfio-pci "--dry-run changed nothing"

# an owner that runs (QEMU's pid file names a live process) is not touched
mkdir -p /run/libvirt/qemu
sleep 600 &
echo $! >/run/libvirt/qemu/gone.pid
t_is "$(running)" true "with a live pid file 'gone' counts as running"
t_not "recover --domain gone refuses a running domain" "$V" recover --domain gone
t_ok "recover without --domain skips it" "$V" recover
t_is "$(pci_driver $a)" vfio-pci "$a is still on vfio-pci"
kill $! && rm /run/libvirt/qemu/gone.pid

t0=$(date +%s%N)
t_ok "recover --domain gone" "$V" recover --domain gone
t_diag "recover took $((($(date +%s%N) - t0) / 1000000)) ms (TCG guest)"
t_is "$(pci_driver $a)" e1000e "after: $a is back on e1000e"
t_not "after: /dev/vfio/$g is gone" test -e /dev/vfio/$g
t_is "$(cat $(pci_dev $a)/driver_override)" "(null)" "after: driver_override cleared"
t_is "$(ls /run/vfiohook/*.journal 2>/dev/null)" "" "after: no journal left"
t_match "$("$V" recover)" "nothing to recover*" "recover again: nothing to do"

# sriov: by netdev name and by address; through 0 between two counts; refused under a guest
pf=$RIG_IGB0 pfn=$(pci_netdev $RIG_IGB0)
ip link set "$pfn" up
numvfs() { cat "$(pci_dev $pf)/sriov_numvfs"; }
t_is "$("$V" sriov $pfn)" "$pfn ($pf): $(numvfs) of $(cat $(pci_dev $pf)/sriov_totalvfs) VFs" "sriov shows the counts"
t_ok "sriov $pfn 3" "$V" sriov $pfn 3
t_is "$(numvfs)" 3 "sysfs: 3 VFs"
t_ok "sriov $pf 2 (the kernel needs 0 in between)" "$V" sriov $pf 2
t_is "$(numvfs)" 2 "sysfs: 2 VFs"
vf=$(vf_addr $pf 1)
wait_for 10 pci_netdev "$vf"
echo vfio-pci >"$(pci_dev $vf)/driver_override"
echo $vf >"$(pci_dev $vf)/driver/unbind"
echo $vf >/sys/bus/pci/drivers_probe
t_is "$(pci_driver $vf)" vfio-pci "VF $vf on vfio-pci, as under a guest"
t_not "sriov $pfn 0 is refused while $vf is assigned" "$V" sriov $pfn 0
t_is "$(numvfs)" 2 "sysfs: still 2 VFs"
t_is "$("$V" sriov --json $pfn | jq -c '[.numvfs, .totalvfs]')" "[2,7]" "sriov --json"
echo $vf >/sys/bus/pci/drivers/vfio-pci/unbind
t_ok "sriov $pfn 0 once the VF is free" "$V" sriov $pfn 0
t_is "$(numvfs)" 0 "sysfs: 0 VFs"
t_done
