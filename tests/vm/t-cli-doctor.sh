#!/bin/sh
# vfiohookctl doctor on a real kernel and a real libvirtd: what it reports matches what the
# kernel says (groups, DMAR and IRQ remapping lines, modules, /dev/vfio, SR-IOV), it finds a
# device bound to vfio-pci by hand, and it tells whether the running libvirtd can see our
# hooks (libvirt looks for hooks only when it starts). Expected values come from the kernel.
VM_MEM=2048
VM_TIMEOUT=600
. "${0%/*}/lib.sh"
t_require_rig
V=${VFH_BUILD_DIR:?}/vfiohookctl
H=$VFH_BUILD_DIR/vfiohook-qemu-hook
N=$VFH_BUILD_DIR/vfiohook-network-hook
[ -x "$V" ] && [ -x "$H" ] && [ -x "$N" ] || t_bail "no vfiohookctl or hooks in $VFH_BUILD_DIR"

# item CHECK SUBJECT: "STATUS MESSAGE" of doctor's item (SUBJECT "" = none)
item() {
	printf '%s' "$out" | jq -r --arg c "$1" --arg s "$2" \
		'.items[] | select(.check == $c and (.subject // "") == $s) | "\(.status) \(.message)"'
}
fix() {
	printf '%s' "$out" | jq -r --arg c "$1" --arg s "$2" \
		'.items[] | select(.check == $c and (.subject // "") == $s) | .fix'
}
doctor() { out=$("$V" doctor --json); rc=$?; }

# --- the kernel's side, before anything is installed
t0=$(date +%s%N)
doctor
t_diag "doctor took $((($(date +%s%N) - t0) / 1000000)) ms (TCG guest)"
t_is "$rc" 1 "doctor exits 1 while the hooks are not installed"
t_is "$(printf '%s' "$out" | jq -r .verdict)" fail "verdict fail"
t_match "$(item iommu '')" "ok IOMMU on: $(ls /sys/kernel/iommu_groups | wc -l) IOMMU groups; IOMMU units: $(ls /sys/class/iommu | tr '\n' ' ' | sed 's/ $//')" \
	"iommu: the kernel's group count and IOMMU units"
dmar=$(dmesg | sed -n 's/^\[[^]]*\] //p' | grep -m1 '^DMAR: IOMMU enabled')
t_ok "the kernel log has '$dmar'" test -n "$dmar"
t_is "$(item kernel_log /dev/kmsg)" "ok the kernel log says: $dmar" "kernel_log quotes that line"
ir=$(dmesg | sed -n 's/^\[[^]]*\] //p' | grep -m1 'Enabled IRQ remapping')
t_ok "the kernel log has '$ir' (intremap=on)" test -n "$ir"
t_is "$(item interrupt_remapping '')" "ok on: $ir" "interrupt_remapping: on, as the kernel says"
t_match "$(item kernel_cmdline /proc/cmdline)" "ok intel_iommu=on amd_iommu=(unset) iommu=pt*" \
	"kernel_cmdline reads /proc/cmdline"
for m in vfio vfio_pci vfio_iommu_type1; do
	if [ -d /sys/module/$m ]; then want="ok $m is loaded"; else want="info $m is installed but not loaded*"; fi
	t_match "$(item vfio_modules $m)" "$want" "vfio_modules $m: $(test -d /sys/module/$m && echo loaded || echo not loaded) in /sys/module"
done
t_is "$(item dev_vfio /dev/vfio/vfio | cut -d';' -f1)" "ok mode $(printf '%04o' 0$(stat -c %a /dev/vfio/vfio))" \
	"dev_vfio: the mode stat(1) shows"
t_match "$(item hooks /etc/libvirt/hooks/qemu.d/vfiohook)" "fail the qemu hook is not installed*" \
	"hooks: qemu hook missing"
t_match "$(item libvirt_version /usr/sbin/libvirtd)" "ok libvirtd (libvirt) $(libvirtd --version | sed 's/.* //')*" \
	"libvirt_version: libvirtd's own --version"
t_is "$(item sriov $RIG_IGB0)" "info SR-IOV PF (igb, $(pci_netdev $RIG_IGB0)): $(cat $(pci_dev $RIG_IGB0)/sriov_numvfs) of $(cat $(pci_dev $RIG_IGB0)/sriov_totalvfs) VFs enabled" \
	"sriov: the PF's counts from sysfs"
gb=$(pci_group $RIG_BRIDGE)
t_match "$(item acs "group $gb")" "info 2 devices share this group*" "acs: the bridge group $gb ($(group_members $gb)) is explained"
t_match "$(item groups "group $(pci_group $RIG_E1000E)")" "ok can be passed through*" \
	"groups: the e1000e's own group can be passed through"

# --- a device bound to vfio-pci by hand: nobody accounts for it
a=$RIG_E1000E
modprobe vfio-pci
echo vfio-pci >"$(pci_dev $a)/driver_override"
echo $a >"$(pci_dev $a)/driver/unbind"
echo $a >/sys/bus/pci/drivers_probe
t_is "$(pci_driver $a)" vfio-pci "$a bound to vfio-pci by hand"
doctor
t_match "$(item vfio_devices $a)" "warn on vfio-pci, but no vfiohook journal*" "doctor flags $a"
t_match "$("$V" status)" "*accounts for it:
  $a (vfio-pci)*" "status lists $a as unaccounted"
echo $a >/sys/bus/pci/drivers/vfio-pci/unbind
echo >"$(pci_dev $a)/driver_override"
echo $a >/sys/bus/pci/drivers_probe

# --- libvirtd started before the hooks existed does not run them
libvirt_start || t_bail "libvirtd did not start"
sleep 1.2 # ctime and the daemon's start time compare in whole seconds
mkdir -p /etc/libvirt/hooks/qemu.d /etc/libvirt/hooks/network.d
install -m 755 "$H" /etc/libvirt/hooks/qemu.d/vfiohook
install -m 755 "$N" /etc/libvirt/hooks/network.d/vfiohook
pid=$(cat /run/libvirtd.pid)
doctor
# the build dir's qemu hook is a front for the build dir's worker; an installed one needs
# /usr/libexec/vfiohook/qemu-hook, which is not there yet
t_match "$(item hooks /usr/libexec/vfiohook/qemu-hook)" "fail the qemu hook's worker cannot run*" \
	"hooks: the installed front's worker is missing"
install -D -m 755 "$VFH_BUILD_DIR/vfiohook-qemu-worker" /usr/libexec/vfiohook/qemu-hook
t_match "$(item hooks /etc/libvirt/hooks/qemu.d/vfiohook)" "warn libvirtd (pid $pid) started before any qemu hook existed*" \
	"hooks: libvirtd $pid started before the hook appeared"
t_match "$(fix hooks /etc/libvirt/hooks/qemu.d/vfiohook)" "systemctl restart libvirtd*" "the fix restarts libvirtd"

kill "$pid"
wait_for 30 sh -c "! kill -0 $pid"
libvirtd -d
wait_for 120 libvirt_alive_and_answering || t_bail "libvirtd did not restart"
pid=$(cat /run/libvirtd.pid)
doctor
t_is "$(item hooks /etc/libvirt/hooks/qemu.d/vfiohook)" "ok installed and executable; libvirtd (pid $pid) runs it" \
	"hooks: after the restart, libvirtd $pid runs the qemu hook"
t_is "$(item hooks /etc/libvirt/hooks/network.d/vfiohook)" "ok installed and executable; libvirtd (pid $pid) runs it" \
	"hooks: and the network hook"
t_match "$(item hooks /usr/libexec/vfiohook/qemu-hook)" "ok installed and executable*" \
	"hooks: the worker, once installed"
t_match "$(item qemu_conf /etc/libvirt/qemu.conf)" "ok cgroup_device_acl is not set*" "qemu_conf read"
t_is "$rc" 0 "doctor exits 0 on the ready rig"
t_match "$("$V" doctor)" "*
verdict: * (0 failed, *" "text report ends with the verdict"
t_done
