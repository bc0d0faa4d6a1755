#!/bin/sh
# Hostile input to the hook binaries themselves (issue 8 §4), called directly as libvirt calls
# them (`vfiohook NAME prepare begin -`, the domain XML on stdin) on the real kernel: every case
# must exit 1 with exactly one line on stderr naming the cause, and leave every driver,
# driver_override, sriov_numvfs, VF attribute and /dev/vfio node as it was. The same table runs
# through vfiohookctl in the unit tier (tests/unit/test_hostile.c).
# shellcheck disable=SC2034 # read by lib.sh
VM_MEM=1024 VM_TIMEOUT=400
. "${0%/*}/lib.sh"
t_require_rig

HQ=$VFH_BUILD_DIR/vfiohook-qemu-hook
[ -x "$HQ" ] || t_bail "$HQ not built"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
SRC=$VFH_SRC_DIR/tests/fixtures/xml/hostile

modprobe vfio-pci
pf=$(pci_netdev "$RIG_IGB0") || t_bail "no netdev on $RIG_IGB0"
t_ok "1 VF on $RIG_IGB0" sriov_enable "$RIG_IGB0" 1
ip link set "$pf" vf 0 mac 02:00:00:00:00:20
vf0=$(vf_addr "$RIG_IGB0" 0)
mkdir -p /etc/vfiohook /run/libvirt/network /run/vfiohook
chmod 700 /run/vfiohook

addr_xml() { # 0000:BB:SS.F -> address attributes
	_b=${1#*:}; _b=${_b%%:*}; _s=${1##*:}; _s=${_s%.*}
	echo "domain='0x0000' bus='0x$_b' slot='0x$_s' function='0x${1##*.}'"
}
hostdev() { echo "<hostdev mode='subsystem' type='pci' managed='no'><source><address $1/></source></hostdev>"; }
# domain DEVICES [METADATA]: a domain for the prepare call
domain() {
	cat <<-EOT
		<domain type='qemu'>
		  <name>h1</name>
		  <uuid>6d90ee01-0000-4000-8000-000000000001</uuid>
		  <metadata>${2:-}</metadata>
		  <memory unit='KiB'>65536</memory>
		  <os><type arch='x86_64'>hvm</type></os>
		  <devices>$1</devices>
		</domain>
	EOT
}
W=/run/vfh-hostile
mkdir -p $W
domain "$(hostdev "$(addr_xml "$RIG_E1000E")")" >$W/e1000e.xml

snapshot() {
	find /sys/bus/pci/devices/*/driver -maxdepth 0 -printf '%p %l\n' | sed 's#.*devices/##; s# .*/# #'
	grep -H '' /sys/bus/pci/devices/*/driver_override /sys/bus/pci/devices/*/sriov_numvfs
	ip -j -d link show | jq -c '.[] | select(.vfinfo_list) | [.ifname, .vfinfo_list]'
	ls /dev/vfio
	ls -la --time-style=full-iso /run/vfiohook | grep -v '^total\|lock$\| \.$\| \.\.$'
}
before=$(snapshot)

# refused NAME XML-FILE GLOB: prepare with XML-FILE is refused with one line matching GLOB,
# and nothing changes
refused() {
	"$HQ" h1 prepare begin - <"$2" >$W/out 2>$W/err
	_rc=$?
	_line=$(head -n 1 $W/err)
	t_is "$_rc:$(wc -l <$W/err)" "1:1" "$1: exit 1, one line on stderr"
	t_match "$_line" "$3" "$1: the line says why"
	t_diag "$1: $_line"
	t_is "$(snapshot)" "$before" "$1: nothing changed"
	release_quietly
}
# what libvirt runs after a failed prepare: must not change anything either
release_quietly() { "$HQ" h1 release end - <$W/e1000e.xml >/dev/null 2>&1; }

refused xxe "$SRC/xxe.xml" "*<!DOCTYPE> refused*"
refused xxe-parameter "$SRC/xxe-parameter.xml" "*<!DOCTYPE> refused*"
refused billion-laughs "$SRC/billion-laughs.xml" "*<!DOCTYPE> refused*"
{
	printf "<domain type='qemu'><name>h1</name><!--"
	head -c 104857600 /dev/zero | tr '\0' a
	printf -- "--></domain>\n"
} >$W/huge.xml
refused 100-MB $W/huge.xml "*larger than the 1048576-byte limit*"
rm -f $W/huge.xml
{
	printf "<domain type='qemu'><name>h1</name><devices>"
	i=0; while [ $i -lt 10000 ]; do printf '<a>'; i=$((i + 1)); done
	i=0; while [ $i -lt 10000 ]; do printf '</a>'; i=$((i + 1)); done
	printf "</devices></domain>\n"
} >$W/deep.xml
refused 10000-deep $W/deep.xml "*nested deeper than 64*"
refused network-name-slash "$SRC/network-name-slash.xml" "*invalid network name*"
refused network-name-dotdot "$SRC/network-name-dotdot.xml" "*invalid network name*"
printf "<domain type='qemu'><name>h1</name><devices><interface type='network'><source network='pool\0/../x'/></interface></devices></domain>\n" >$W/nul.xml
refused network-name-nul $W/nul.xml "*malformed XML*"
domain "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x8'/></source></hostdev>" >$W/fn8.xml
refused bdf-out-of-range $W/fn8.xml "*function*"
domain "$(hostdev "$(addr_xml 0000:09:00.0)")" >$W/absent.xml
refused bdf-nonexistent $W/absent.xml "*0000:09:00.0*"
domain "$(hostdev "$(addr_xml "$RIG_9P_ROOT")")" >$W/root.xml
refused host-critical $W/root.xml "*$RIG_9P_ROOT*host-critical*"
echo "allow = $RIG_MF0" >/etc/vfiohook/vfiohook.conf
refused outside-allowlist $W/e1000e.xml "*$RIG_E1000E*allowlist*"
rm -f /etc/vfiohook/vfiohook.conf
domain "$(hostdev "$(addr_xml "$RIG_E1000E")")" \
	"<vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'><vfh:hostdev address='$RIG_E1000E' spoofchk='off'/></vfh:vfiohook>" >$W/nonvf.xml
refused vf-setting-on-non-vf $W/nonvf.xml "*$RIG_E1000E*"
domain "$(hostdev "$(addr_xml "$vf0")")" \
	"<vfh:vfiohook xmlns:vfh='urn:x-vfiohook:1'><vfh:hostdev address='$vf0' mac='01:00:5e:00:00:01'/></vfh:vfiohook>" >$W/mcast.xml
refused multicast-mac $W/mcast.xml "*01:00:5e:00:00:01*unicast*"

# another owner's journal, damaged: nobody can tell what it claims, so nothing is detached
J=/run/vfiohook/6d90ee01-0000-4000-8000-0000000000ff.journal
head="vfiohook-journal version=1
owner kind=domain id=6d90ee01-0000-4000-8000-0000000000ff name=other"
printf '%s\nrecord 1 bind done device=%%zz\nend records=1 next=2\n' "$head" >$J
before=$(snapshot)
refused journal-corrupted $W/e1000e.xml "*journal*bad escape*"
printf '%s\nrecord 1 bind done device=%s group=1 driver=e1000 override= new_driver=vfio-pci\n' "$head" "$RIG_BR_E1000" >$J
before=$(snapshot)
refused journal-truncated $W/e1000e.xml "*journal*cut short*"
printf '%s\nend records=0 next=1\n' "$head" >$J
chown 65534:65534 $J
before=$(snapshot)
refused journal-foreign-owner $W/e1000e.xml "*journal*not a regular file owned by uid 0*"
rm -f $J
before=$(snapshot)

mkdir -p /run/elsewhere && chmod 700 /run/elsewhere && ln -s /run/elsewhere /run/linked
echo "run_dir = /run/linked" >/etc/vfiohook/vfiohook.conf
refused state-dir-symlink $W/e1000e.xml "*run directory /run/linked*symlink*"
rm -f /etc/vfiohook/vfiohook.conf
t_done
