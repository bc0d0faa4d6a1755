#!/bin/sh
# XML model against a real libvirtd: the documents libvirt itself writes (live network status
# file, network config, dumpxml of a domain whose metadata was set through the API under a
# prefix of libvirt's choosing) parse, and what vfiohookctl parse reports matches the kernel's
# own view (the PF's virtfn links) and the settings we put in.
VM_MEM=2048
VM_TIMEOUT=450
. "${0%/*}/lib.sh"
t_require_rig
V=${VFH_BUILD_DIR:?}/vfiohookctl
[ -x "$V" ] || t_bail "no vfiohookctl in $VFH_BUILD_DIR"
command -v jq >/dev/null || t_skip_all "jq missing"

t_ok "2 VFs on the pool PF $RIG_IGB0" sriov_enable $RIG_IGB0 2
t_ok "1 VF on $RIG_IGB1" sriov_enable $RIG_IGB1 1
pf=$(pci_netdev $RIG_IGB0)
vf0=$(vf_addr $RIG_IGB0 0) vf1=$(vf_addr $RIG_IGB0 1) hd=$(vf_addr $RIG_IGB1 0)

libvirt_start || { tail -n 20 /var/log/libvirt/libvirtd.log; t_bail "libvirtd did not start"; }
virsh() { command virsh -q -c qemu:///system "$@"; }

cat >/tmp/pool.xml <<EOT
<network>
  <name>xpool</name>
  <metadata>
    <vfh:pool xmlns:vfh="urn:x-vfiohook:1" numvfs="2" spoofchk="off" trust="on"/>
  </metadata>
  <forward mode='hostdev' managed='yes'><pf dev='$pf'/></forward>
</network>
EOT
t_ok "net-define a pool with vfh:pool metadata" virsh net-define /tmp/pool.xml
t_ok "net-start it" virsh net-start xpool

# the live status file libvirt wrote, as the hooks read it
live=/run/libvirt/network/xpool.xml
t_ok "libvirt wrote $live" test -f $live
j=$("$V" parse --xml $live --json 2>&1)
t_is "$?" 0 "parse of the live status file succeeds"
t_is "$(echo "$j" | jq -r .kind)" networkstatus "it is a <networkstatus>"
t_is "$(echo "$j" | jq -r '.network.pf | join(",")')" "$pf" "pool PF as the network names it"
t_is "$(echo "$j" | jq -r '.network.addresses | sort | join(" ")')" "$(printf '%s\n' $vf0 $vf1 | sort | tr '\n' ' ' | sed 's/ $//')" \
	"the pool's VF list is the PF's virtfn links"
t_is "$(echo "$j" | jq -c '[.network.pool.numvfs, .network.pool.settings.spoofchk, .network.pool.settings.trust]')" \
	'[2,false,true]' "vfh:pool metadata survived libvirt's rewrite"
t_is "$("$V" parse --xml /etc/libvirt/qemu/networks/xpool.xml --json | jq -r .kind)" network \
	"the config file parses as a <network>"

bus=${hd#*:}; bus=${bus%%:*}; slot=${hd##*:}; slot=${slot%.*}
cat >/tmp/x1.xml <<EOT
<domain type='qemu'>
  <name>x1</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0' bus='$((0x$bus))' slot='$((0x$slot))' function='${hd##*.}'/></source>
    </hostdev>
    <interface type='network'>
      <mac address='52:54:00:6d:90:42'/>
      <source network='xpool'/>
      <alias name='ua-pool0'/>
    </interface>
  </devices>
</domain>
EOT
t_ok "define a domain (decimal host address)" virsh define /tmp/x1.xml
# libvirt re-prefixes metadata with the key it is given: matching must go by namespace URI
t_ok "set our metadata through the API under the prefix 'other'" virsh metadata x1 \
	urn:x-vfiohook:1 --key other --set \
	'<vfiohook><interface alias="ua-pool0" spoofchk="off"/><hostdev address="'"$hd"'" vlan="7"/></vfiohook>'
virsh dumpxml --inactive x1 >/tmp/x1-dump.xml
t_file_has /tmp/x1-dump.xml '*<other:vfiohook xmlns:other="urn:x-vfiohook:1">*' "libvirt stored it as other:vfiohook"
j=$("$V" parse --network-dir /run/libvirt/network --xml /tmp/x1-dump.xml --json 2>&1)
t_is "$?" 0 "parse of virsh dumpxml succeeds"
t_is "$(echo "$j" | jq -r '.domain.hostdevs[0].address')" "$hd" "decimal bus/slot normalised to the VF's address"
t_is "$(echo "$j" | jq -r '.domain.hostdevs[0].settings.vlan')" 7 "vfh:hostdev matched by address"
t_is "$(echo "$j" | jq -r '.domain.interfaces[0].settings.spoofchk')" false "vfh:interface matched by alias"
t_is "$(echo "$j" | jq -r '.domain.interfaces[0].pool.pf')" "$pf" "the interface resolves to the pool's PF"
t_is "$(echo "$j" | jq -r '.domain.interfaces[0].mac')" 52:54:00:6d:90:42 "MAC as libvirt keeps it"
# Odd spellings (octal, decimal, managed='true', trunk='YES', a zero-padded VLAN id): our
# reading of the original must be libvirt's own, i.e. what it writes back after define.
cat >/tmp/odd.xml <<EOT
<domain type='qemu'>
  <name>odd</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='true'>
      <source><address domain='0' bus='010' slot='020' function='01'/></source>
    </hostdev>
    <interface type='hostdev' managed='Yes'>
      <mac address='52:54:00:6D:90:0B'/>
      <source><address type='pci' bus='2' slot='0x10' function='0'/></source>
      <vlan trunk='YES'><tag id='042'/></vlan>
    </interface>
  </devices>
</domain>
EOT
pick='[.domain.hostdevs[0].address, .domain.hostdevs[0].managed, .domain.interfaces[0].address,
  .domain.interfaces[0].managed, .domain.interfaces[0].mac, .domain.interfaces[0].vlan]'
ours=$("$V" parse --xml /tmp/odd.xml --json | jq -c "$pick")
t_ok "libvirt defines the odd spellings" virsh define /tmp/odd.xml
virsh dumpxml --inactive odd >/tmp/odd-libvirt.xml
theirs=$("$V" parse --xml /tmp/odd-libvirt.xml --json | jq -c "$pick")
t_is "$ours" "$theirs" "our reading of the odd spellings is libvirt's"
t_is "$ours" '["0000:08:10.1",false,"0000:02:10.0",false,"52:54:00:6d:90:0b",{"trunk":true,"tags":[{"id":42,"native_mode":null}]}]' \
	"and it is: bus 010 octal, managed only for 'yes', VLAN id decimal"
t_ok "net-destroy" virsh net-destroy xpool
t_done
