#!/bin/sh
# Crash at every step (issue 8 §1): the hook binaries are called directly, with argv and stdin
# as libvirt gives them (tests/fixtures/xml/libvirt-9.0), for a domain with a two-endpoint
# group (managed='no' on one endpoint of the bridge group), a plain <hostdev> VF with four
# settings from our metadata (mac, vlan, spoofchk, trust) and a pool VF. A clean cycle
# (qemu prepare, network port-created, qemu start, network port-deleted, qemu release) counts
# the operations that pass the sysfs and netlink seams in each call (VFH_FAULT_REPORT). Then,
# for every call and every operation N of it, the call is run with VFH_FAULT=any:N:fail and
# again with any:N:kill (and kill-after at each call's last operation), followed by what comes next on a real host: libvirt's release after a
# failed start, `vfiohookctl recover` after a failed release. After each point the host must be
# exactly as before: every driver, driver_override, sriov_numvfs, VF attribute and /dev/vfio
# node, and no journal left. Needs hooks built with VFH_TEST_BUILD (-DVFH_SANITIZE=ON): it takes
# them from VFH_SEAM_BUILD_DIR (tests/vm/CMakeLists.txt; the sanitizer build next to a release one).
# shellcheck disable=SC2034 # read by lib.sh
VM_MEM=2048 VM_TIMEOUT=880
. "${0%/*}/lib.sh"
t_require_rig

seams=${VFH_SEAM_BUILD_DIR:-$VFH_BUILD_DIR}
HQ=$seams/vfiohook-qemu-hook
HN=$seams/vfiohook-network-hook
CTL=$seams/vfiohookctl
for b in "$HQ" "$HN" "$CTL"; do [ -x "$b" ] || t_bail "$b not built"; done
# ASan: no leak report at exit (a killed hook has none to give anyway), abort on errors
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1

modprobe vfio-pci
pf=$(pci_netdev "$RIG_IGB0") || t_bail "no netdev on $RIG_IGB0"
t_ok "2 VFs on $RIG_IGB0" sriov_enable "$RIG_IGB0" 2
vf0=$(vf_addr "$RIG_IGB0" 0)
vf1=$(vf_addr "$RIG_IGB0" 1)
t_diag "PF $pf, plain hostdev VF $vf0, pool VF $vf1"
# An administrator's MAC on VF 0: an all-zero one cannot be restored on this kernel, because
# igbvf picks a random MAC when it probes a VF without one and the PF then reports that
# (lib/vf.h, vf_want_stable_mac). Restoring a real MAC is what this test can check.
t_ok "VF 0 has an administrator's MAC" ip link set "$pf" vf 0 mac 02:00:00:00:00:10

addr_xml() { # 0000:BB:SS.F -> address attributes
	_b=${1#*:}; _b=${_b%%:*}; _s=${1##*:}; _s=${_s%.*}
	echo "domain='0x0000' bus='0x$_b' slot='0x$_s' function='0x${1##*.}'"
}

# --- the documents libvirt would hand over -------------------------------------------------
W=/run/vfh-fault
mkdir -p $W /run/libvirt/network /run/libvirt/qemu
uuid=6d90cc01-0000-4000-8000-000000000001
net_xml="<network><name>pool</name><uuid>6d90cc01-0000-4000-8000-0000000000ff</uuid>
  <metadata><vfh:pool xmlns:vfh='urn:x-vfiohook:1' spoofchk='off' trust='on'/></metadata>
  <forward mode='hostdev' managed='yes'><pf dev='$pf'/>
    <address type='pci' $(addr_xml "$vf1")/>
  </forward></network>"
echo "<networkstatus>$net_xml</networkstatus>" >/run/libvirt/network/pool.xml
domain() { # INTERFACE-XML: the domain with the pool interface in the given form
	cat <<-EOT
		<domain type='qemu'>
		  <name>f1</name>
		  <uuid>$uuid</uuid>
		  <metadata>
		    <vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'>
		      <vfh:hostdev address='$vf0' mac='02:11:22:33:44:55' vlan='42' spoofchk='off' trust='on'/>
		    </vfh:vfiohook>
		  </metadata>
		  <memory unit='KiB'>65536</memory>
		  <vcpu placement='static'>1</vcpu>
		  <os><type arch='x86_64' machine='pc-i440fx-10.0'>hvm</type></os>
		  <devices>
		    <emulator>/usr/bin/qemu-system-x86_64</emulator>
		    <hostdev mode='subsystem' type='pci' managed='no'>
		      <source><address $(addr_xml "$RIG_BR_E1000")/></source>
		    </hostdev>
		    <hostdev mode='subsystem' type='pci' managed='no'>
		      <source><address $(addr_xml "$vf0")/></source>
		    </hostdev>
		    $1
		    <memballoon model='none'/>
		  </devices>
		</domain>
	EOT
}
# prepare and release see the pool interface as configured; start sees it rewritten
domain "<interface type='network'><mac address='52:54:00:6d:90:41'/><source network='pool'/></interface>" >$W/prepare.xml
cp $W/prepare.xml $W/release.xml
domain "<interface type='hostdev' managed='yes'><mac address='52:54:00:6d:90:41'/><driver name='vfio'/>
      <source><address type='pci' $(addr_xml "$vf1")/></source></interface>" >$W/start.xml
port_xml() {
	cat <<-EOT
		<hookData>$net_xml
		  <networkport>
		    <uuid>6d90cc01-0000-4000-8000-0000000000aa</uuid>
		    <owner><name>f1</name><uuid>$uuid</uuid></owner>
		    <mac address='52:54:00:6d:90:41'/>
		    <plug type='hostdev-pci' managed='yes'><address $(addr_xml "$vf1")/></plug>
		  </networkport>
		</hookData>
	EOT
}
port_xml >$W/port.xml

# call PHASE: one hook call exactly as libvirt makes it
call() {
	case $1 in
	prepare) "$HQ" f1 prepare begin - <$W/prepare.xml ;;
	port-created) "$HN" pool port-created begin - <$W/port.xml ;;
	start) "$HQ" f1 start begin - <$W/start.xml ;;
	port-deleted) "$HN" pool port-deleted begin - <$W/port.xml ;;
	release) "$HQ" f1 release end - <$W/release.xml ;;
	esac
}
PHASES="prepare port-created start port-deleted release"

# Every PCI driver and driver_override, sriov_numvfs, every VF as its PF reports it, /dev/vfio:
# few execs, because each costs 0.1-0.3 s under TCG.
snapshot() {
	find /sys/bus/pci/devices/*/driver -maxdepth 0 -printf '%p %l\n' | sed 's#.*devices/##; s# .*/# #'
	grep -H '' /sys/bus/pci/devices/*/driver_override /sys/bus/pci/devices/*/sriov_numvfs
	ip -j -d link show | jq -c '.[] | select(.vfinfo_list) | [.ifname, .vfinfo_list]'
	ls /dev/vfio
}
journals() { ls /run/vfiohook 2>/dev/null | grep -c '\.journal$'; }
vf_field() { ip -j -d link show dev "$pf" | jq -r ".[0].vfinfo_list[$1].$2"; }

before=$(snapshot)
printf '%s\n' "$before" >$W/before

# --- the clean cycle: does what it should, and counts ---------------------------------------
total=0
for p in $PHASES; do
	rm -f $W/report
	t0=$(date +%s%N)
	if VFH_FAULT_REPORT=$W/report call $p >$W/out 2>&1; then
		t_pass "clean $p ($((($(date +%s%N) - t0) / 1000000)) ms)"
	else
		t_fail "clean $p" "$(cat $W/out)"
	fi
	n=$(sed -n 's/^counts .* any=//p' $W/report 2>/dev/null | tail -n 1)
	[ -n "$n" ] || t_bail "no counts from the $p call: hooks built without VFH_TEST_BUILD? (-DVFH_SANITIZE=ON)"
	eval "count_$(echo $p | tr - _)=$n"
	total=$((total + n))
	t_diag "$p: $(grep '^counts' $W/report)"
	if [ $p = start ]; then
		t_is "$(pci_driver $RIG_BR_E1000):$(pci_driver $RIG_BR_VIRTIO):$(pci_driver $RIG_BRIDGE)" \
			"vfio-pci:vfio-pci:" "after start: both endpoints of the bridge group on vfio-pci"
		t_is "$(pci_driver "$vf0")" vfio-pci "after start: the plain hostdev VF on vfio-pci"
		t_is "$(vf_field 0 address):$(vf_field 0 vlan_list[0].vlan):$(vf_field 0 spoofchk):$(vf_field 0 trust)" \
			"02:11:22:33:44:55:42:false:true" "after start: VF 0 has its four settings"
		t_is "$(vf_field 1 spoofchk):$(vf_field 1 trust)" "false:true" "after start: the pool VF has the pool's policy"
	fi
done
t_is "$(snapshot)" "$before" "after the clean cycle the host is as before"
t_is "$(journals)" 0 "after the clean cycle no journal is left"
t_ge "$total" 20 "the cycle passes the seams at least 20 times (counted $total)"

# --- every point ---------------------------------------------------------------------------
# after PHASE: what runs next on a real host when PHASE failed or died
recover_after() {
	if [ "$1" = release ]; then
		"$CTL" recover >>$W/recover.out 2>&1
	else
		for q in port-deleted release; do call $q >>$W/recover.out 2>&1; done
	fi
}
tried=0 restored=0 leftovers=0 t_loop=$(date +%s)
# point PHASE N ACTION: the earlier calls clean, PHASE with the fault, then the recovery
point() {
	p=$1 n=$2 action=$3
	for q in $PHASES; do
		[ $q = $p ] && break
		call $q >/dev/null 2>&1
	done
	rm -f $W/report
	VFH_FAULT=any:$n:$action VFH_FAULT_REPORT=$W/report call $p >$W/out 2>&1
	rc=$?
	fired=$(grep -c '^fire ' $W/report 2>/dev/null)
	: >$W/recover.out
	recover_after $p
	if [ "${fired:-0}" -ge 1 ]; then
		tried=$((tried + 1))
	else
		t_fail "$p $action at $n: the fault did not fire" "$(cat $W/out)"
	fi
	now=$(snapshot)
	if [ "$now" = "$before" ]; then
		restored=$((restored + 1))
	else
		t_fail "$p $action at $n (rc $rc, $(sed -n 's/^fire //p' $W/report)): host not restored" \
			"$(printf '%s\n' "$now" | diff $W/before - | grep '^[<>]' | head -n 8)" \
			"hook: $(head -c 300 $W/out)" "recovery: $(head -c 300 $W/recover.out)"
		"$CTL" recover >/dev/null 2>&1 # keep later points meaningful
		[ "$(snapshot)" = "$before" ] || t_bail "the host cannot be brought back; stopping"
	fi
	[ "$(journals)" = 0 ] || { leftovers=$((leftovers + 1)); rm -f /run/vfiohook/*.journal; }
}

# fail and kill (before the operation) at every point; kill-after at the last point of each
# call, where the change is made but the call cannot record it (elsewhere kill-after N is
# kill N+1). VFH_FAULT_ACTIONS narrows the loop when debugging (e.g. "kill").
actions=${VFH_FAULT_ACTIONS-fail kill}
n_actions=$(echo $actions | wc -w)
expected=$((n_actions * total))
for action in $actions; do
	for p in $PHASES; do
		eval "n_max=\$count_$(echo $p | tr - _)"
		n=1
		while [ "$n" -le "$n_max" ]; do
			point $p $n $action
			n=$((n + 1))
		done
	done
done
if [ -n "$actions" ]; then
	for p in $PHASES; do
		eval "n_max=\$count_$(echo $p | tr - _)"
		[ "$n_max" -gt 0 ] || continue
		expected=$((expected + 1))
		point $p "$n_max" kill-after
	done
fi
secs=$(($(date +%s) - t_loop))
t_diag "fault points: $tried tried of $expected counted ($total operations x $actions, plus kill-after at the last of each call), $restored restored, $leftovers with a journal left, in $secs s"
t_is "$tried" "$expected" "every counted point was tried"
t_is "$restored" "$tried" "every point restored the host (100 %)"
t_is "$leftovers" 0 "no journal left after any point"
t_done
