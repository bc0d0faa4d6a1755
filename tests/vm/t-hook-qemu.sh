#!/bin/sh
# The qemu hook with the real libvirtd (issue 6, tests 1, 4, 5 and 6): our built hook is
# installed as /etc/libvirt/hooks/qemu.d/vfiohook next to a site's own hooks/qemu script,
# and guests are started and destroyed with virsh. Every assertion reads the kernel.
#   1  <hostdev managed='no'> on one endpoint of the bridge group: both endpoints on
#      vfio-pci while QEMU holds /dev/vfio/N, their own drivers afterwards
#   1b <hostdev managed='yes'> on the other endpoint: libvirt binds it, we bind only its
#      companion (libvirt alone refuses: "group N is not viable")
#   r  libvirtd restarts while a guest runs: our reconnect call passes and the guest lives on
#   5  a second domain needing the same group is refused and the refusal names the first
#   4  a denied device and a host-critical one: virsh start fails with our one line, and a
#      snapshot of every driver, driver_override and VF is unchanged
#   6  the hook SIGKILLed in the middle of prepare: libvirt's release call restores all
VM_MEM=2048
VM_TIMEOUT=600
. "${0%/*}/lib.sh"
t_require_rig
H=${VFH_BUILD_DIR:?}/vfiohook-qemu-hook
[ -x "$H" ] || t_bail "no qemu hook in $VFH_BUILD_DIR"
V=$VFH_BUILD_DIR/vfiohookctl
[ -x "$V" ] || t_bail "no vfiohookctl in $VFH_BUILD_DIR"

mkdir -p /etc/libvirt/hooks/qemu.d /etc/vfiohook
cp "$H" /etc/libvirt/hooks/qemu.d/vfiohook && chmod 755 /etc/libvirt/hooks/qemu.d/vfiohook
# a site's own script, which must keep working alongside ours
cat >/etc/libvirt/hooks/qemu <<'EOT'
#!/bin/sh
cat >/dev/null
echo "$1 $2" >>/run/site-hook.log
exit 0
EOT
chmod 755 /etc/libvirt/hooks/qemu
echo "deny = $RIG_MF0" >/etc/vfiohook/vfiohook.conf
t_ok "2 VFs on $RIG_IGB0 (part of the snapshot)" sriov_enable $RIG_IGB0 2

libvirt_start || { tail -n 20 /var/log/libvirt/libvirtd.log; t_bail "libvirtd did not start"; }
t_diag "libvirt $(libvirtd --version | sed 's/.* //')"
virsh() { command virsh -q -c qemu:///system "$@"; }

addr_xml() { # 0000:BB:SS.F -> address attributes
	_b=${1#*:}; _b=${_b%%:*}; _s=${1##*:}; _s=${_s%.*}
	echo "domain='0x0000' bus='0x$_b' slot='0x$_s' function='0x${1##*.}'"
}
hostdev_xml() { # ADDR MANAGED
	echo "<hostdev mode='subsystem' type='pci' managed='$2'><source><address $(addr_xml "$1")/></source></hostdev>"
}
define() { # NAME UUID-SUFFIX DEVICES...
	_n=$1 _u=$2; shift 2
	cat >/tmp/$_n.xml <<-EOT
		<domain type='qemu'>
		  <name>$_n</name>
		  <uuid>6d90ab01-0000-4000-8000-0000000000$_u</uuid>
		  <memory unit='MiB'>64</memory>
		  <vcpu>1</vcpu>
		  <os><type arch='x86_64'>hvm</type></os>
		  <features><acpi/></features>
		  <devices>
		    <emulator>/usr/bin/qemu-system-x86_64</emulator>
		    $*
		    <memballoon model='none'/>
		  </devices>
		</domain>
	EOT
	virsh define /tmp/$_n.xml
}
# Every PCI device's driver and driver_override, and every VF as the PF reports it: three
# execs, because each one costs 0.1-0.3 s under TCG.
snapshot() {
	find /sys/bus/pci/devices/*/driver -maxdepth 0 -printf '%p %l\n' | sed 's#.*devices/##; s# .*/# #'
	grep -H '' /sys/bus/pci/devices/*/driver_override
	ip -j -d link show | jq -c '.[] | select(.vfinfo_list) | [.ifname, .vfinfo_list]'
}
holds_group() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q " /dev/vfio/$2\$"; }
# the line libvirt shows after "unexpected exit status 1: "
hook_lines() { printf '%s\n' "$1" | sed -n '/exit status 1: /,$p'; }

# --- 1: managed='no' on one endpoint of the bridge group --------------------------------
g=$(pci_group $RIG_BR_E1000)
t_ok "define d1 (<hostdev managed='no'> $RIG_BR_E1000)" define d1 01 "$(hostdev_xml $RIG_BR_E1000 no)"
t_ok "start d1" virsh start d1
pid=$(cat /run/libvirt/qemu/d1.pid 2>/dev/null)
t_is "$(pci_driver $RIG_BR_E1000):$(pci_driver $RIG_BR_VIRTIO):$(pci_driver $RIG_BRIDGE)" \
	"vfio-pci:vfio-pci:" "d1 runs: both endpoints on vfio-pci, the bridge left alone"
t_ok "d1 runs: QEMU ($pid) holds /dev/vfio/$g" holds_group "$pid" "$g"

# --- 5: a second domain needing the same group ------------------------------------------
t_ok "define d5 (<hostdev managed='no'> $RIG_BR_VIRTIO, same group)" define d5 05 "$(hostdev_xml $RIG_BR_VIRTIO no)"
before=$(snapshot)
err=$(virsh start d5 2>&1) && t_fail "start d5 should be refused" || t_pass "start d5 is refused"
t_match "$err" "*exit status 1: vfiohook: *in use by running domain 'd1'*" "the refusal names d1"
t_is "$(hook_lines "$err" | wc -l)" 1 "the refusal is one line"
t_diag "virsh: $(hook_lines "$err")"
t_is "$(snapshot)" "$before" "nothing changed on the host"
t_ok "d1 still holds /dev/vfio/$g" holds_group "$pid" "$g"

# libvirtd restarts while d1 runs: reconnect/begin must never fail (it would kill the guest)
lpid=$(cat /run/libvirtd.pid)
kill "$lpid" && wait_for 30 sh -c "! kill -0 $lpid" || t_bail "libvirtd did not stop"
libvirtd -d && wait_for 120 libvirt_alive_and_answering || t_bail "libvirtd did not come back"
t_file_has /run/site-hook.log "d1 reconnect" "libvirtd ran the reconnect hook"
t_is "$(virsh domstate d1)" running "d1 survived libvirtd's restart and our reconnect"
t_ok "d1 still holds /dev/vfio/$g after the reconnect" holds_group "$pid" "$g"

t_ok "destroy d1" virsh destroy d1
t_is "$(pci_driver $RIG_BR_E1000):$(pci_driver $RIG_BR_VIRTIO):$(pci_driver $RIG_BRIDGE)" \
	"e1000:virtio-pci:" "after d1: e1000 and virtio-pci are back, the bridge still driverless"
t_is "$(cat $(pci_dev $RIG_BR_E1000)/driver_override):$(cat $(pci_dev $RIG_BR_VIRTIO)/driver_override)" \
	"(null):(null)" "after d1: driver_override cleared"
t_not "after d1: /dev/vfio/$g is gone" test -e /dev/vfio/$g
t_is "$(grep '^d1 ' /run/site-hook.log | tr '\n' ',')" \
	"d1 prepare,d1 start,d1 started,d1 reconnect,d1 stopped,d1 release," \
	"the site's own hooks/qemu saw every call"

# --- 1b: managed='yes': the companion is ours, the device libvirt's ---------------------
t_ok "define d2 (<hostdev managed='yes'> $RIG_BR_VIRTIO)" define d2 02 "$(hostdev_xml $RIG_BR_VIRTIO yes)"
t_ok "start d2" virsh start d2
pid=$(cat /run/libvirt/qemu/d2.pid 2>/dev/null)
t_is "$(pci_driver $RIG_BR_E1000):$(pci_driver $RIG_BR_VIRTIO)" "vfio-pci:vfio-pci" \
	"d2 runs: the companion (ours) and the device (libvirt's) on vfio-pci"
t_ok "d2 runs: QEMU ($pid) holds /dev/vfio/$g" holds_group "$pid" "$g"
t_ok "destroy d2" virsh destroy d2
t_is "$(pci_driver $RIG_BR_E1000):$(pci_driver $RIG_BR_VIRTIO)" "e1000:virtio-pci" \
	"after d2: both endpoints back on their drivers"
t_is "$(cat $(pci_dev $RIG_BR_E1000)/driver_override):$(cat $(pci_dev $RIG_BR_VIRTIO)/driver_override)" \
	"(null):(null)" "after d2: driver_override cleared"

# --- 1c: the configuration became writable by others while d2 ran -------------------------
t_ok "start d2 again" virsh start d2
chmod 666 /etc/vfiohook/vfiohook.conf
t_ok "destroy d2 (the configuration is now writable by others)" virsh destroy d2
t_is "$(pci_driver $RIG_BR_E1000):$(pci_driver $RIG_BR_VIRTIO)" "e1000:virtio-pci" \
	"release fell back to the defaults: both endpoints back on their drivers"
t_is "$(ls /run/vfiohook 2>/dev/null | grep -c '\.journal$')" 0 "d2's journal was released"
before=$(snapshot)
err=$(virsh start d2 2>&1) && t_fail "start d2 should be refused" || t_pass "start d2 is refused"
t_match "$err" "*exit status 1: vfiohook: */etc/vfiohook/vfiohook.conf: writable by group or others (mode 0666)*chmod go-w*" \
	"the refusal names the file, its mode and the fix"
t_is "$(hook_lines "$err" | wc -l)" 1 "the refusal is one line"
t_is "$(snapshot)" "$before" "nothing changed on the host"
chmod 644 /etc/vfiohook/vfiohook.conf

# --- 4: a denied device and a host-critical device --------------------------------------
before=$(snapshot)
t_ok "define d4 (e1000e, then the denied $RIG_MF0)" define d4 04 \
	"$(hostdev_xml $RIG_E1000E no)" "$(hostdev_xml $RIG_MF0 no)"
err=$(virsh start d4 2>&1) && t_fail "start d4 should be refused" || t_pass "start d4 is refused"
t_match "$err" "*exit status 1: vfiohook: *$RIG_MF0*denied by 'deny = $RIG_MF0'*" "the refusal names the device and the deny line"
t_is "$(hook_lines "$err" | wc -l)" 1 "the refusal is one line"
t_diag "virsh: $(hook_lines "$err")"
t_is "$(snapshot)" "$before" "nothing changed (not even the e1000e listed first)"
out=$("$V" plan --domain d4 2>&1)
t_is "$?" 1 "vfiohookctl plan --domain d4 (virsh dumpxml) refuses too"
t_match "$out" "*$RIG_E1000E: e1000e -> vfio-pci*REFUSED: $RIG_MF0: *denied*" \
	"the dry run shows the e1000e's planned move and the refusal"
t_is "$(snapshot)" "$before" "the dry run changed nothing"

t_ok "define d4c (<hostdev managed='yes'> the 9p root device)" define d4c 14 "$(hostdev_xml $RIG_9P_ROOT yes)"
err=$(virsh start d4c 2>&1) && t_fail "start d4c should be refused" || t_pass "start d4c is refused"
t_match "$err" "*exit status 1: vfiohook: *$RIG_9P_ROOT*host-critical*" "the refusal says host-critical"
t_is "$(hook_lines "$err" | wc -l)" 1 "the refusal is one line"
t_diag "virsh: $(hook_lines "$err")"
t_is "$(snapshot)" "$before" "nothing changed; the root filesystem's device stays"

# --- 6: the hook killed in the middle of prepare ----------------------------------------
# A wrapper runs the real hook for d6's prepare, SIGKILLs it as soon as the first device
# (the e1000e) is on vfio-pci, while the bridge group is still to come, and fails the call.
mv /etc/libvirt/hooks/qemu.d/vfiohook /run/vfiohook-qemu
cat >/etc/libvirt/hooks/qemu.d/vfiohook <<'EOT'
#!/bin/sh
real=/run/vfiohook-qemu
[ "$1 $2" = "d6 prepare" ] || exec "$real" "$@"
exec 3<&0
"$real" "$@" <&3 &
pid=$!
while [ ! -e /sys/bus/pci/drivers/vfio-pci/0000:03:00.0 ] && kill -0 $pid 2>/dev/null; do :; done
kill -9 $pid
for d in 0000:03:00.0 0000:05:01.0 0000:05:02.0; do
	[ -e /sys/bus/pci/drivers/vfio-pci/$d ] && echo "$d vfio-pci" || echo "$d not yet"
done >/run/kill-state
echo "vfh-test: hook killed during prepare" >&2
exit 1
EOT
chmod 755 /etc/libvirt/hooks/qemu.d/vfiohook
before=$(snapshot)
t_ok "define d6 (e1000e, then the bridge group)" define d6 06 \
	"$(hostdev_xml $RIG_E1000E no)" "$(hostdev_xml $RIG_BR_E1000 no)"
err=$(virsh start d6 2>&1) && t_fail "start d6 should fail" || t_pass "start d6 fails (hook killed)"
t_match "$err" "*vfh-test: hook killed during prepare*" "libvirt reports the killed prepare"
t_file_has /run/kill-state "0000:03:00.0 vfio-pci" "the kill came after the e1000e moved"
t_diag "at the kill: $(tr '\n' ';' </run/kill-state)"
t_is "$(grep '^d6 ' /run/site-hook.log | tr '\n' ',')" "d6 prepare,d6 stopped,d6 release," \
	"libvirt ran stopped and release after the failed prepare"
t_is "$(pci_driver $RIG_E1000E):$(pci_driver $RIG_BR_E1000):$(pci_driver $RIG_BR_VIRTIO)" \
	"e1000e:e1000:virtio-pci" "after release: every device on its own driver"
t_is "$(snapshot)" "$before" "after release: the host is exactly as before"
t_done
