#!/bin/sh
# libvirt contract, part 2: who restores what (DESIGN.md §1 "libvirt's own behaviour to
# coexist with" and §5 "Who owns what"), on the real libvirtd:
#  - a managed hostdev that is already on vfio-pci at prepare is neither unbound by
#    libvirt nor given back to its host driver after the guest;
#  - libvirt overwrites the MAC and VLAN a prepare hook set on an <interface type='hostdev'>
#    VF, leaves spoofchk and trust alone, and after the guest restores only MAC and VLAN,
#    to the values it saved at start, AFTER the prepare hooks ran.
# The recorded hook calls are saved to <vm dir>/contract-ownership/.
# shellcheck disable=SC2034 # read by lib.sh
VM_MEM=2048 VM_TIMEOUT=400
. "${0%/*}/lib.sh"
t_require_rig

t_ok "2 VFs on $RIG_IGB1" sriov_enable $RIG_IGB1 2
pf=$(pci_netdev $RIG_IGB1)
hd=$(vf_addr $RIG_IGB1 0)    # <hostdev managed='yes'>, put on vfio-pci by hand first
ifhd=$(vf_addr $RIG_IGB1 1)  # <interface type='hostdev' managed='yes'>, VF 1 of $pf
mac=52:54:00:6d:90:02 hookmac=52:54:00:aa:aa:aa
vf1() { ip -j link show dev "$pf" | jq -r ".[0].vfinfo_list[1] | $1"; }

t_ok "VF 1 starts with spoofchk on, trust off, no VLAN" ip link set "$pf" vf 1 vlan 0 spoofchk on trust off
mac_before=$(vf1 .address)
netmac_before=$(cat "/sys/bus/pci/devices/$ifhd/net/"*/address 2>/dev/null)
t_diag "VF 1 before: admin MAC $mac_before, netdev MAC $netmac_before"
modprobe vfio-pci
t_ok "bind $hd to vfio-pci by hand" sh -c "echo vfio-pci > $(pci_dev "$hd")/driver_override &&
	echo $hd > $(pci_dev "$hd")/driver/unbind && echo $hd > /sys/bus/pci/drivers_probe"
t_is "$(pci_driver "$hd")" vfio-pci "$hd is on vfio-pci before the start"

hooklog_install || t_bail "cannot install the logging hook"
cat >/etc/libvirt/hooks/qemu.d/10-vfh-set <<EOT
#!/bin/sh
cat >/dev/null
[ "\$1 \$2" = "t3 prepare" ] || exit 0
exec ip link set $pf vf 1 mac $hookmac vlan 42 spoofchk off trust on
EOT
chmod 755 /etc/libvirt/hooks/qemu.d/10-vfh-set
libvirt_start || { tail -n 20 /var/log/libvirt/libvirtd.log; t_bail "libvirtd did not start"; }
lver=$(libvirtd --version | sed 's/.* //')
t_diag "libvirt $lver"
virsh() { command virsh -q -c qemu:///system "$@"; }

addr_xml() {
	_b=${1#*:}; _b=${_b%%:*}; _s=${1##*:}; _s=${_s%.*}
	echo "domain='0x0000' bus='0x$_b' slot='0x$_s' function='0x${1##*.}'"
}
cat >/tmp/t3.xml <<EOT
<domain type='qemu'>
  <name>t3</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address $(addr_xml "$hd")/></source>
    </hostdev>
    <interface type='hostdev' managed='yes'>
      <mac address='$mac'/>
      <source><address type='pci' $(addr_xml "$ifhd")/></source>
    </interface>
    <memballoon model='none'/>
  </devices>
</domain>
EOT
t_ok "define t3" virsh define /tmp/t3.xml
t_ok "start t3" virsh start t3
t_is "$(pci_driver "$hd")" vfio-pci "$hd on vfio-pci while t3 runs"
ls -l /run/libvirt/hostdevmgr >$HOOKLOG/hostdevmgr.ls 2>&1
for f in /run/libvirt/hostdevmgr/*; do [ -f "$f" ] && { echo "== $f"; cat "$f"; echo; }; done >$HOOKLOG/hostdevmgr.files 2>&1
t_ok "libvirt saved VF state under /run/libvirt/hostdevmgr" test -s $HOOKLOG/hostdevmgr.files
t_diag "hostdevmgr: $(ls /run/libvirt/hostdevmgr 2>/dev/null | tr '\n' ' ')"
t_ok "destroy t3" virsh destroy t3
cp /tmp/t3.xml $HOOKLOG/
printf 'libvirt %s\nkernel %s\n' "$lver" "$(uname -r)" >$HOOKLOG/versions
printf 'hostdev %s (pre-bound to vfio-pci)\nifhostdev %s %s vf 1 %s\nhook_sets mac %s vlan 42 spoofchk off trust on\n' \
	"$hd" "$ifhd" "$pf" "$mac" "$hookmac" >$HOOKLOG/devices
vfh_save contract-ownership $HOOKLOG/.

cd $HOOKLOG || t_bail "no hook log"
t_is "$(cat ./*.what | tr '\n' ',' | sed 's/,$//')" "qemu prepare,qemu start,qemu started,qemu stopped,qemu release" "qemu hook order"

# --- a managed device already on vfio-pci ---------------------------------------------
f=$(hooklog_call . "qemu prepare") && t_is "$(hooklog_driver "$f" "$hd")" vfio-pci "prepare: $hd is on vfio-pci (by us)"
f=$(hooklog_call . "qemu release") && t_is "$(hooklog_driver "$f" "$hd")" vfio-pci \
	"release: libvirt did not give the pre-bound $hd back to a host driver"
t_is "$(pci_driver "$hd")" vfio-pci "after the guest $hd is still on vfio-pci: restoring it is ours"
f=$(hooklog_call . "qemu release") && t_is "$(hooklog_driver "$f" "$ifhd")" igbvf "release: libvirt rebound $ifhd, which it had detached itself"

# --- VF attributes: libvirt owns MAC and VLAN, we own spoofchk and trust -----------------
f=$(hooklog_call . "qemu start") && {
	t_is "$(hooklog_vf "$f" "$pf" 1 .address)" "$mac" "start: libvirt replaced the MAC the prepare hook set"
	t_is "$(hooklog_vf "$f" "$pf" 1 '.vlan_list[0].vlan // 0')" 0 "start: libvirt replaced the VLAN the prepare hook set"
	t_is "$(hooklog_vf "$f" "$pf" 1 .spoofchk)" false "start: spoofchk the hook set is left alone"
	t_is "$(hooklog_vf "$f" "$pf" 1 .trust)" true "start: trust the hook set is left alone"
}
t_is "$(vf1 .spoofchk)" false "after the guest: libvirt did not restore spoofchk"
t_is "$(vf1 .trust)" true "after the guest: libvirt did not restore trust"
# libvirt saves the VF's state at start, i.e. AFTER the prepare hooks: what a prepare
# hook sets becomes what libvirt "restores". A VLAN set at prepare outlives the guest.
t_file_has hostdevmgr.files '*"vlanTag": 42*' "libvirt saved the VLAN the prepare hook set (state saved after prepare)"
t_file_has hostdevmgr.files "*\"adminMac\": \"$hookmac\"*" "libvirt saved the admin MAC the prepare hook set"
t_is "$(vf1 '.vlan_list[0].vlan // 0')" 42 "after the guest: libvirt restored the VLAN to the hook's 42, not to the original 0"
mac_after=$(vf1 .address)
t_is "$mac_after" "$netmac_before" "after the guest: the admin MAC is the VF netdev's old MAC (libvirt's saved \"mac\"), not the original $mac_before"
t_done
