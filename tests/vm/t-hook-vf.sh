#!/bin/sh
# The qemu hook with the real libvirtd (issue 6, test 2, and the mdev of deliverable 4).
#   2  <interface type='hostdev'> VF with a MAC and our metadata spoofchk=off trust=on:
#      ip link shows all three while the guest runs; afterwards spoofchk and trust are back
#      (ours to restore), and MAC/VLAN are libvirt's (we neither set nor restore them)
#   p  a pool VF (<interface type='network'> on a hostdev network with <vfh:pool spoofchk='off'>):
#      libvirt allocates it after prepare, so start/begin applies the pool's spoofchk and the
#      domain's trust (matched by MAC); release restores both
#   m  <hostdev type='mdev'> on the mtty sample driver: the mdev we create exists while the
#      guest runs and QEMU holds its group; after the guest it is gone, while an mdev that
#      existed before is left alone
VM_MEM=2048
VM_TIMEOUT=600
. "${0%/*}/lib.sh"
t_require_rig
H=${VFH_BUILD_DIR:?}/vfiohook-qemu-hook
[ -x "$H" ] || t_bail "no qemu hook in $VFH_BUILD_DIR"
mkdir -p /etc/libvirt/hooks/qemu.d
cp "$H" /etc/libvirt/hooks/qemu.d/vfiohook && chmod 755 /etc/libvirt/hooks/qemu.d/vfiohook

t_ok "2 VFs on $RIG_IGB1" sriov_enable $RIG_IGB1 2
t_ok "2 VFs on $RIG_IGB0 (the pool)" sriov_enable $RIG_IGB0 2
pf=$(pci_netdev $RIG_IGB1)
pf0=$(pci_netdev $RIG_IGB0)
vf=$(vf_addr $RIG_IGB1 1)
t_ok "mtty loads" modprobe mtty

libvirt_start || { tail -n 20 /var/log/libvirt/libvirtd.log; t_bail "libvirtd did not start"; }
t_diag "libvirt $(libvirtd --version | sed 's/.* //')"
virsh() { command virsh -q -c qemu:///system "$@"; }

addr_xml() { # 0000:BB:SS.F -> address attributes
	_b=${1#*:}; _b=${_b%%:*}; _s=${1##*:}; _s=${_s%.*}
	echo "domain='0x0000' bus='0x$_b' slot='0x$_s' function='0x${1##*.}'"
}
define() { # NAME UUID-SUFFIX METADATA DEVICES
	cat >/tmp/$1.xml <<-EOT
		<domain type='qemu'>
		  <name>$1</name>
		  <uuid>6d90ac01-0000-4000-8000-0000000000$2</uuid>
		  <metadata><vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'>$3</vfh:vfiohook></metadata>
		  <memory unit='MiB'>64</memory>
		  <vcpu>1</vcpu>
		  <os><type arch='x86_64'>hvm</type></os>
		  <features><acpi/></features>
		  <devices>
		    <emulator>/usr/bin/qemu-system-x86_64</emulator>
		    $4
		    <memballoon model='none'/>
		  </devices>
		</domain>
	EOT
	virsh define /tmp/$1.xml
}
vfinfo() { ip -j -d link show "$pf" | jq -r ".[0].vfinfo_list[1] | $1"; }
holds_group() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q " /dev/vfio/$2\$"; }

# --- 2: <interface type='hostdev'> with our spoofchk/trust ------------------------------
mac=52:54:00:6d:90:12
spoof0=$(vfinfo .spoofchk) trust0=$(vfinfo .trust) mac0=$(vfinfo .address)
t_is "$spoof0:$trust0" "true:false" "before: igb's defaults, spoofchk on and trust off"
t_ok "define v1 (<interface type='hostdev'> $vf, mac $mac, spoofchk=off trust=on)" define v1 01 \
	"<vfh:interface mac='$mac' spoofchk='off' trust='on'/>" \
	"<interface type='hostdev' managed='yes'><mac address='$mac'/><source><address type='pci' $(addr_xml $vf)/></source></interface>"
t_ok "start v1" virsh start v1
pid=$(cat /run/libvirt/qemu/v1.pid 2>/dev/null)
t_is "$(vfinfo .address):$(vfinfo .spoofchk):$(vfinfo .trust)" "$mac:false:true" \
	"v1 runs: ip link shows the MAC (libvirt's), spoofchk off and trust on (ours)"
t_is "$(pci_driver $vf)" vfio-pci "v1 runs: the VF is on vfio-pci"
t_ok "v1 runs: QEMU holds /dev/vfio/$(pci_group $vf)" holds_group "$pid" "$(pci_group $vf)"
t_ok "destroy v1" virsh destroy v1
t_is "$(vfinfo .spoofchk):$(vfinfo .trust)" "$spoof0:$trust0" "after v1: spoofchk and trust restored"
t_is "$(pci_driver $vf)" igbvf "after v1: the VF is back on igbvf (libvirt's reattach)"
t_diag "VF MAC before $mac0, after $(vfinfo .address) (libvirt restores it, we leave it)"
t_not "after v1: the MAC is not left at the guest's $mac" test "$(vfinfo .address)" = "$mac"

# --- p: a pool VF, known only at start ---------------------------------------------------
pmac=52:54:00:6d:90:13
# [spoofchk, trust] of the pool PF's VF that has MAC $1, or of every VF without one
pool_vf() {
	ip -j -d link show "$pf0" | jq -c --arg m "${1:-}" \
		'[.[0].vfinfo_list[] | select($m == "" or .address == $m) | [.spoofchk, .trust]]'
}
cat >/tmp/vpool.xml <<EOT
<network>
  <name>vpool</name>
  <metadata><vfh:pool xmlns:vfh='urn:x-vfiohook:1' spoofchk='off'/></metadata>
  <forward mode='hostdev' managed='yes'><pf dev='$pf0'/></forward>
</network>
EOT
t_ok "net-define vpool (<vfh:pool spoofchk='off'>, pf $pf0)" virsh net-define /tmp/vpool.xml
t_ok "net-start vpool" virsh net-start vpool
pool0=$(pool_vf)
t_is "$pool0" "[[true,false],[true,false]]" "before p1: every pool VF has spoofchk on, trust off"
t_ok "define p1 (pool interface, mac $pmac, vfh:interface trust=on)" define p1 03 \
	"<vfh:interface mac='$pmac' trust='on'/>" \
	"<interface type='network'><mac address='$pmac'/><source network='vpool'/></interface>"
t_ok "start p1" virsh start p1
t_is "$(pool_vf $pmac)" "[[false,true]]" \
	"p1 runs: the VF libvirt gave it (MAC $pmac) has the pool's spoofchk off and the domain's trust on"
t_ok "destroy p1" virsh destroy p1
t_is "$(pool_vf)" "$pool0" "after p1: every pool VF is back to spoofchk on, trust off"
t_ok "net-destroy vpool" virsh net-destroy vpool

# --- m: mdevs on mtty -------------------------------------------------------------------
ours=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
theirs=83b8f4f2-509f-382f-3c1e-e6bfe0fa1002
types=/sys/class/mdev_bus/mtty/mdev_supported_types
t_ok "an mdev made by someone else ($theirs)" sh -c "echo $theirs > $types/mtty-1/create"
mdev_xml() { echo "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$1'/></source></hostdev>"; }
t_ok "define m1 (mdev $ours from vfh:mdev, and the existing $theirs)" define m1 02 \
	"<vfh:mdev uuid='$ours' parent='mtty' type='mtty-2'/><vfh:mdev uuid='$theirs' parent='mtty' type='mtty-1'/>" \
	"$(mdev_xml $ours) $(mdev_xml $theirs)"
t_not "before m1: no $ours" test -e /sys/bus/mdev/devices/$ours
t_ok "start m1" virsh start m1
pid=$(cat /run/libvirt/qemu/m1.pid 2>/dev/null)
t_ok "m1 runs: /sys/bus/mdev/devices/$ours exists" test -e /sys/bus/mdev/devices/$ours
mg=$(readlink /sys/bus/mdev/devices/$ours/iommu_group) && mg=${mg##*/}
t_ok "m1 runs: QEMU holds /dev/vfio/$mg of our mdev" holds_group "$pid" "$mg"
t_ok "destroy m1" virsh destroy m1
t_not "after m1: our mdev is removed" test -e /sys/bus/mdev/devices/$ours
t_ok "after m1: the other mdev stays" test -e /sys/bus/mdev/devices/$theirs
t_done
