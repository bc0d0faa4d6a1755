#!/bin/sh
# The network hook with the real libvirtd (issue 6, test 3): a hostdev pool (<pf dev>) whose
# <vfh:pool> asks for 4 VFs, spoofchk off and trust on. `virsh net-start` creates the VFs and
# sets the policy on every one, a guest gets one of them (on vfio-pci, its group held by
# QEMU), and net-destroy removes the VFs again (remove_on_stop='yes'); net-destroy under a
# running guest leaves its VF alone, and `vfiohookctl recover` finishes after it. A pool without
# remove_on_stop keeps its VFs but gets spoofchk and trust back; a pool asking for a count
# the PF does not have is refused with our one line, and changes nothing; a hostdev network
# without our metadata is not touched. Every assertion reads the kernel.
# shellcheck disable=SC2034 # read by lib.sh
VM_MEM=2048 VM_TIMEOUT=700
. "${0%/*}/lib.sh"
t_require_rig

hook_net=$VFH_BUILD_DIR/vfiohook-network-hook
hook_qemu=$VFH_BUILD_DIR/vfiohook-qemu-hook
[ -x "$hook_net" ] || t_bail "$hook_net not built (cmake --build $VFH_BUILD_DIR)"
mkdir -p /etc/libvirt/hooks/qemu.d /etc/libvirt/hooks/network.d
cp "$hook_net" /etc/libvirt/hooks/network.d/vfiohook
if [ -x "$hook_qemu" ]; then
	cp "$hook_qemu" /etc/libvirt/hooks/qemu.d/vfiohook
else
	t_diag "no qemu hook built: the guest runs with the network hook only"
fi

pf=$(pci_netdev "$RIG_IGB0") || t_bail "no netdev on $RIG_IGB0"
pfdev=$(pci_dev "$RIG_IGB0")
t_ok "$pf up (igbvf needs its PF up)" ip link set "$pf" up
t_is "$(cat "$pfdev/sriov_numvfs")" 0 "$pf starts with no VFs"
modprobe vfio-pci

libvirt_start || { tail -n 20 /var/log/libvirt/libvirtd.log; t_bail "libvirtd did not start"; }
t_diag "libvirt $(libvirtd --version | sed 's/.* //')"
virsh() { command virsh -q -c qemu:///system "$@"; }

# vfs KEY: KEY of every VF of the PF, comma separated, from the kernel
vfs() { ip -j -d link show dev "$pf" | jq -r "[.[0].vfinfo_list[]? | $1 | tostring] | join(\",\")"; }
virtfns() { ls -d "$pfdev"/virtfn* 2>/dev/null | wc -l; }

pool_xml() { # NAME UUID POOL-ATTRIBUTES (empty: no metadata)
	echo "<network><name>$1</name><uuid>$2</uuid>"
	[ -n "$3" ] && echo "<metadata><vfh:pool xmlns:vfh='urn:x-vfiohook:1' $3/></metadata>"
	echo "<forward mode='hostdev' managed='yes'><pf dev='$pf'/></forward></network>"
}

# --- 1. pool with numvfs=4, spoofchk off, trust on, remove_on_stop -----------------------
pool_xml pool 6d90bb01-0000-4000-8000-000000000001 \
	"numvfs='4' spoofchk='off' trust='on' remove_on_stop='yes'" >/tmp/pool.xml
t_ok "net-define pool" virsh net-define /tmp/pool.xml
t0=$(date +%s%N)
t_ok "net-start pool" virsh net-start pool
t_diag "net-start with the hook creating 4 VFs and setting 8 attributes: $((($(date +%s%N) - t0) / 1000000)) ms"
t_is "$(cat "$pfdev/sriov_numvfs")" 4 "net-start: sriov_numvfs is 4"
t_is "$(virtfns)" 4 "net-start: 4 virtfn links"
t_is "$(vfs .spoofchk)" "false,false,false,false" "net-start: spoofchk off on every VF"
t_is "$(vfs .trust)" "true,true,true,true" "net-start: trust on on every VF"
t_is "$(xmllint --xpath 'count(//forward/address)' /run/libvirt/network/pool.xml 2>/dev/null)" 4 \
	"libvirt's pool holds the 4 VFs"

mac=52:54:00:6d:90:31
cat >/tmp/g1.xml <<EOT
<domain type='qemu'>
  <name>g1</name>
  <uuid>6d90bb01-0000-4000-8000-0000000000a1</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='network'>
      <mac address='$mac'/>
      <source network='pool'/>
    </interface>
    <memballoon model='none'/>
  </devices>
</domain>
EOT
t_ok "define g1" virsh define /tmp/g1.xml
if t_ok "start g1" virsh start g1; then
	idx=$(ip -j link show dev "$pf" | jq -r --arg m "$mac" '.[0].vfinfo_list | map(.address) | index($m)')
	vf=$(vf_addr "$RIG_IGB0" "$idx")
	grp=$(pci_group "$vf")
	pid=$(cat /run/libvirt/qemu/g1.pid 2>/dev/null)
	t_diag "g1 got VF $idx ($vf, group $grp), QEMU pid $pid"
	t_is "$(pci_driver "$vf")" vfio-pci "g1 running: its VF is on vfio-pci"
	t_ok "g1 running: QEMU holds /dev/vfio/$grp" sh -c "ls -l /proc/$pid/fd | grep -q ' /dev/vfio/$grp\$'"
	t_is "$(vfs ".spoofchk" | cut -d, -f$((idx + 1)))" false "g1 running: spoofchk off on its VF"
	t_is "$(vfs ".trust" | cut -d, -f$((idx + 1)))" true "g1 running: trust on on its VF"
	t_ok "destroy g1" virsh destroy g1
	t_is "$(pci_driver "$vf")" igbvf "after g1: its VF is back on igbvf"
	t_is "$(vfs .spoofchk)" "false,false,false,false" "after g1: the pool's spoofchk stays while the pool runs"
fi
t0=$(date +%s%N)
t_ok "net-destroy pool" virsh net-destroy pool
t_diag "net-destroy with the hook restoring 8 attributes and removing 4 VFs: $((($(date +%s%N) - t0) / 1000000)) ms"
t_is "$(cat "$pfdev/sriov_numvfs")" 0 "net-destroy: the VFs we created are gone (remove_on_stop)"
t_is "$(virtfns)" 0 "net-destroy: no virtfn links"

# --- 1b. net-destroy while a guest still holds a VF: that VF keeps the pool's policy and the
# VFs stay; after the guest, `vfiohookctl recover` finishes what stopped could not ----------
t_ok "net-start pool again" virsh net-start pool
if t_ok "start g1 again" virsh start g1; then
	idx=$(ip -j link show dev "$pf" | jq -r --arg m "$mac" '.[0].vfinfo_list | map(.address) | index($m)')
	vf=$(vf_addr "$RIG_IGB0" "$idx")
	if virsh net-destroy pool 2>/tmp/nd.err; then
		t_is "$(pci_driver "$vf")" vfio-pci "net-destroy under g1: its VF stays with the guest"
		t_is "$(cat "$pfdev/sriov_numvfs")" 4 "net-destroy under g1: no VF removed while one is assigned"
		t_is "$(vfs ".spoofchk" | cut -d, -f$((idx + 1)))" false "net-destroy under g1: its VF keeps the pool's spoofchk"
		t_is "$(vfs .spoofchk | tr -cd t | wc -c)" 3 "net-destroy under g1: the 3 other VFs got spoofchk back"
		t_ok "destroy g1" virsh destroy g1
		t_is "$(pci_driver "$vf")" igbvf "after g1: its VF is back on igbvf"
		if [ -x "$VFH_BUILD_DIR/vfiohookctl" ]; then
			t_ok "vfiohookctl recover" "$VFH_BUILD_DIR/vfiohookctl" recover
			t_is "$(cat "$pfdev/sriov_numvfs")" 0 "recover: the pool's VFs are gone (remove_on_stop)"
		else
			t_diag "no vfiohookctl built: removing the VFs by hand"
			echo 0 >"$pfdev/sriov_numvfs"
		fi
	else
		t_diag "libvirt refuses net-destroy while a guest uses the pool: $(cat /tmp/nd.err)"
		t_ok "destroy g1" virsh destroy g1
		t_ok "net-destroy pool" virsh net-destroy pool
		t_is "$(cat "$pfdev/sriov_numvfs")" 0 "net-destroy: the VFs we created are gone"
	fi
fi
t_ok "net-undefine pool" virsh net-undefine pool

# --- 2. without remove_on_stop: the VFs stay, the policy goes ------------------------------
pool_xml keep 6d90bb01-0000-4000-8000-000000000002 "numvfs='2' spoofchk='off' trust='on'" >/tmp/keep.xml
t_ok "net-define keep" virsh net-define /tmp/keep.xml
t_ok "net-start keep" virsh net-start keep
t_is "$(vfs .spoofchk):$(vfs .trust)" "false,false:true,true" "net-start keep: 2 VFs, spoofchk off, trust on"
t_ok "net-destroy keep" virsh net-destroy keep
t_is "$(cat "$pfdev/sriov_numvfs")" 2 "net-destroy keep: the 2 VFs stay"
t_is "$(vfs .spoofchk):$(vfs .trust)" "true,true:false,false" "net-destroy keep: spoofchk and trust restored"

# --- 3. a count the PF does not have: refused, nothing changes -----------------------------
pool_xml bad 6d90bb01-0000-4000-8000-000000000003 "numvfs='4' spoofchk='off'" >/tmp/bad.xml
t_ok "net-define bad" virsh net-define /tmp/bad.xml
t_not "net-start bad fails" sh -c 'virsh -q -c qemu:///system net-start bad 2>/tmp/bad.err'
t_diag "virsh: $(cat /tmp/bad.err)"
t_file_has /tmp/bad.err "*PF $pf has 2 VFs but*only from 0*" "net-start bad: our one-line reason reaches virsh"
t_is "$(cat "$pfdev/sriov_numvfs"):$(vfs .spoofchk)" "2:true,true" "net-start bad: VF count and spoofchk unchanged"

# --- 4. a hostdev network without our metadata is none of our business --------------------
t_ok "spoofchk off on VF 0 by hand" ip link set "$pf" vf 0 spoofchk off
pool_xml plain 6d90bb01-0000-4000-8000-000000000004 "" >/tmp/plain.xml
t_ok "net-define plain" virsh net-define /tmp/plain.xml
t0=$(date +%s%N)
t_ok "net-start plain" virsh net-start plain
t_diag "net-start of a network that is not ours: $((($(date +%s%N) - t0) / 1000000)) ms"
t_ok "net-destroy plain" virsh net-destroy plain
t_is "$(cat "$pfdev/sriov_numvfs"):$(vfs .spoofchk)" "2:false,true" "plain network: VFs untouched"
t_done
