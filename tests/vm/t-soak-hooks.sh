#!/bin/sh
# Concurrency soak (issue 8 §2): four domains over two shared IOMMU groups, each with its own
# pool VF, started and stopped at the same time by four workers that call the hook binaries
# directly, in libvirt's order (qemu prepare, network port-created, qemu start; then network
# port-deleted, qemu release). Between start and stop a domain "runs": a live process is named
# in /run/libvirt/qemu/NAME.pid, as QEMU would be. Counted, and each must be zero:
#   double assignments  two domains of one group running at once (an atomic mkdir per group)
#   lost devices        a running domain whose devices are not on vfio-pci when it stops
#   stranded devices    anything not back on its driver at the end (full host snapshot)
#   journal leftovers   journals left in /run/vfiohook at the end
# Every hook call is bounded (timeout 60 s), and so is the whole soak (SOAK_SECONDS).
#   VFH_SOAK_CYCLES  cycles per domain (default 50: 200 in all)
# One vCPU: with two, multi-threaded TCG on a loaded host stalls the guest (RCU stalls, a
# nearly idle QEMU) until the timeout; the workers still interleave through preemption.
# shellcheck disable=SC2034 # read by lib.sh
VM_MEM=2048 VM_TIMEOUT=880
. "${0%/*}/lib.sh"
t_require_rig

HQ=$VFH_BUILD_DIR/vfiohook-qemu-hook
HN=$VFH_BUILD_DIR/vfiohook-network-hook
for b in "$HQ" "$HN"; do [ -x "$b" ] || t_bail "$b not built"; done
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
cycles=${VFH_SOAK_CYCLES:-50}
SOAK_SECONDS=780

modprobe vfio-pci
pf=$(pci_netdev "$RIG_IGB0") || t_bail "no netdev on $RIG_IGB0"
t_ok "4 VFs on $RIG_IGB0" sriov_enable "$RIG_IGB0" 4
for i in 0 1 2 3; do
	ip link set "$pf" vf $i mac "02:00:00:00:00:1$i" || t_bail "cannot set VF $i's MAC"
done

addr_xml() { # 0000:BB:SS.F -> address attributes
	_b=${1#*:}; _b=${_b%%:*}; _s=${1##*:}; _s=${_s%.*}
	echo "domain='0x0000' bus='0x$_b' slot='0x$_s' function='0x${1##*.}'"
}

W=/run/vfh-soak
mkdir -p $W /run/libvirt/network /run/libvirt/qemu
pool_addrs=
for i in 0 1 2 3; do pool_addrs="$pool_addrs<address type='pci' $(addr_xml "$(vf_addr "$RIG_IGB0" $i)")/>"; done
net_xml="<network><name>pool</name><uuid>6d90dd01-0000-4000-8000-0000000000ff</uuid>
  <metadata><vfh:pool xmlns:vfh='urn:x-vfiohook:1' spoofchk='off' trust='on'/></metadata>
  <forward mode='hostdev' managed='yes'><pf dev='$pf'/>$pool_addrs</forward></network>"
echo "<networkstatus>$net_xml</networkstatus>" >/run/libvirt/network/pool.xml

# domain N DEVICE VF: the documents of domain sN (the hostdev DEVICE, pool VF number VF)
domain() {
	_name=s$1 _dev=$2 _vf=$(vf_addr "$RIG_IGB0" "$3") _mac=52:54:00:6d:91:0$1
	_iface_net="<interface type='network'><mac address='$_mac'/><source network='pool'/></interface>"
	_iface_hd="<interface type='hostdev' managed='yes'><mac address='$_mac'/><driver name='vfio'/><source><address type='pci' $(addr_xml "$_vf")/></source></interface>"
	for _form in prepare start; do
		[ $_form = prepare ] && _iface=$_iface_net || _iface=$_iface_hd
		cat >$W/$_name.$_form.xml <<-EOT
			<domain type='qemu'>
			  <name>$_name</name>
			  <uuid>6d90dd01-0000-4000-8000-00000000000$1</uuid>
			  <memory unit='KiB'>65536</memory>
			  <vcpu placement='static'>1</vcpu>
			  <os><type arch='x86_64' machine='pc-i440fx-10.0'>hvm</type></os>
			  <devices>
			    <hostdev mode='subsystem' type='pci' managed='no'>
			      <source><address $(addr_xml "$_dev")/></source>
			    </hostdev>
			    $_iface
			  </devices>
			</domain>
		EOT
	done
	cat >$W/$_name.port.xml <<-EOT
		<hookData>$net_xml
		  <networkport>
		    <uuid>6d90dd01-0000-4000-8000-0000000000a$1</uuid>
		    <owner><name>$_name</name><uuid>6d90dd01-0000-4000-8000-00000000000$1</uuid></owner>
		    <mac address='$_mac'/>
		    <plug type='hostdev-pci' managed='yes'><address $(addr_xml "$_vf")/></plug>
		  </networkport>
		</hookData>
	EOT
}
# group A: the bridge group (s1 and s2 want one endpoint each); group B: the multifunction pair
domain 1 "$RIG_BR_E1000" 0
domain 2 "$RIG_BR_VIRTIO" 1
domain 3 "$RIG_MF0" 2
domain 4 "$RIG_MF1" 3
group_of() { case $1 in 1 | 2) echo A ;; *) echo B ;; esac; }
members_of() { case $1 in A) echo "$RIG_BR_E1000 $RIG_BR_VIRTIO" ;; B) echo "$RIG_MF0 $RIG_MF1" ;; esac; }

snapshot() {
	find /sys/bus/pci/devices/*/driver -maxdepth 0 -printf '%p %l\n' | sed 's#.*devices/##; s# .*/# #'
	grep -H '' /sys/bus/pci/devices/*/driver_override /sys/bus/pci/devices/*/sriov_numvfs
	ip -j -d link show | jq -c '.[] | select(.vfinfo_list) | [.ifname, .vfinfo_list]'
	ls /dev/vfio
}
before=$(snapshot)
printf '%s\n' "$before" >$W/before

hook() { timeout 60 "$@" 2>>$W/hook-errors || echo "$* -> $?" >>$W/hook-status; }
# worker N: cycles of domain sN; one line per event in $W/events
worker() {
	_n=$1 _name=s$1 _g=$(group_of "$1") _end=$(($(date +%s) + SOAK_SECONDS))
	_c=0
	while [ $_c -lt "$cycles" ] && [ "$(date +%s)" -lt $_end ]; do
		_c=$((_c + 1))
		if timeout 60 "$HQ" $_name prepare begin - <$W/$_name.prepare.xml 2>$W/$_name.err &&
			hook "$HN" pool port-created begin - <$W/$_name.port.xml &&
			timeout 60 "$HQ" $_name start begin - <$W/$_name.start.xml 2>$W/$_name.err; then
			sleep 1000 &
			_qemu=$!
			echo $_qemu >/run/libvirt/qemu/$_name.pid
			if mkdir $W/running-$_g 2>/dev/null; then
				echo "start $_name" >>$W/events
			else
				echo "double $_name $(cat $W/owner-$_g 2>/dev/null)" >>$W/events
			fi
			echo $_name >$W/owner-$_g
			sleep 0.$((_c % 5))
			for _d in $(members_of "$_g"); do
				[ "$(pci_driver "$_d")" = vfio-pci ] || echo "lost $_name $_d $(pci_driver "$_d")" >>$W/events
			done
			rm -f $W/owner-$_g
			rmdir $W/running-$_g 2>/dev/null
			kill $_qemu
			wait $_qemu 2>/dev/null
			rm -f /run/libvirt/qemu/$_name.pid
		else
			echo "refused $_name $(head -n 1 $W/$_name.err)" >>$W/events
		fi
		hook "$HN" pool port-deleted begin - <$W/$_name.port.xml
		hook "$HQ" $_name release end - <$W/$_name.prepare.xml
	done
}

t0=$(date +%s)
for n in 1 2 3 4; do worker $n & done
wait
secs=$(($(date +%s) - t0))

count() { grep -c "^$1 " $W/events 2>/dev/null; }
started=$(count start) refused=$(count refused) double=$(count double) lost=$(count lost)
t_diag "$((started + refused + double)) cycles in $secs s: $started started, $refused refused (group busy), $double double assignments, $lost lost devices"
grep '^refused' $W/events | sed 's/^refused s[0-9] //' | sort | uniq -c | sort -rn | head -n 5 |
	while IFS= read -r l; do t_diag "refusal: $l"; done
[ -s $W/hook-status ] && t_diag "release/port calls with a non-zero status: $(wc -l <$W/hook-status)"
t_ge "$((started + refused + double))" $((4 * cycles)) "every worker ran its $cycles cycles within ${SOAK_SECONDS} s"
t_ge "$started" $((cycles / 2)) "domains really started ($started)"
t_is "$double" 0 "no double assignment"
grep '^double\|^lost' $W/events | head -n 5 | while IFS= read -r l; do t_diag "$l"; done
t_is "$lost" 0 "no running domain lost its devices"
now=$(snapshot)
t_is "$now" "$before" "no device stranded: the host is as before"
[ "$now" = "$before" ] || printf '%s\n' "$now" | diff $W/before - | head -n 20 | while IFS= read -r l; do t_diag "$l"; done
t_is "$(ls /run/vfiohook 2>/dev/null | grep -c '\.journal$')" 0 "no journal left"
t_done
