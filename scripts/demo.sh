#!/bin/sh
# The sandbox demo (README command 1). On a Debian 12 machine, as root, with no IOMMU
# hardware needed:
#   1. installs the build packages (scripts/install-deps.sh) and the VM tier
#      (tests/vm/setup.sh: QEMU 10, libvirt, a Debian kernel; skipped when done);
#   2. builds vfiohook's hooks and CLI into build/ (VFH_BUILD_DIR to use another);
#   3. boots the VM tier's guest (a real kernel with an emulated Intel IOMMU and igb SR-IOV
#      NICs), installs the hooks into a real libvirtd there, defines a hostdev pool whose
#      vfiohook metadata asks for 4 VFs with spoofchk off and trust on, starts a guest that
#      takes a VF from the pool, stops it, stops the pool, and prints what the kernel showed
#      before, while the guest ran and after.
# Exit status: 0 when the kernel showed the job done (VFs created with the policy, the
# guest's VF on vfio-pci and held by QEMU, everything back afterwards), 1 otherwise.
# Environment: VFH_BUILD_DIR (default <repo>/build), VFH_SKIP_APT=1 (no package steps),
# VFH_DEMO_TIMEOUT (guest time limit in seconds, default 600).
set -eu

# ---------------------------------------------------------------------------------------
# Host side: set up, build, boot
# ---------------------------------------------------------------------------------------
if [ "${VFH_IN_VM:-0}" != 1 ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	build=${VFH_BUILD_DIR:-$top/build}
	[ -t 1 ] && export VFH_DEMO_COLOR=1
	say() { printf '\n%s== %s%s\n' "${VFH_DEMO_COLOR:+$(printf '\033[1m')}" "$*" "${VFH_DEMO_COLOR:+$(printf '\033[0m')}"; }
	[ "$(id -u)" = 0 ] || { echo "demo: run as root (it installs packages and boots a VM)" >&2; exit 1; }
	case $build in /tmp/* | /run/*) echo "demo: $build: the guest cannot see /tmp or /run; pick another VFH_BUILD_DIR" >&2; exit 1 ;; esac
	if [ "${VFH_SKIP_APT:-0}" != 1 ]; then
		say "1/4 packages (Debian archive; nothing when already installed)"
		"$top/scripts/install-deps.sh"
	fi
	say "2/4 VM tier: QEMU, libvirt, guest kernel (skipped when done)"
	"$top/tests/vm/setup.sh"
	say "3/4 build into $build"
	mkdir -p "$build"
	if ! { [ -f "$build/CMakeCache.txt" ] ||
		cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo; } >"$build/demo-build.log" 2>&1 ||
		! cmake --build "$build" -j"$(nproc)" --target hook-network hook-qemu vfiohookctl \
			>>"$build/demo-build.log" 2>&1; then
		tail -n 30 "$build/demo-build.log"
		echo "demo: the build failed (whole log: $build/demo-build.log)" >&2
		exit 1
	fi
	say "4/4 the sandbox VM (a few minutes under TCG)"
	VFH_BUILD_DIR=$build VFH_SRC_DIR=$top exec "$top/tests/vm/run-vm.sh" -m 2048 \
		-t "${VFH_DEMO_TIMEOUT:-600}" -- /bin/sh "$top/scripts/demo.sh"
fi

# ---------------------------------------------------------------------------------------
# Guest side: the real kernel and libvirtd
# ---------------------------------------------------------------------------------------
set +eu
. "$VFH_SRC_DIR/tests/vm/lib.sh"
on=${VFH_DEMO_COLOR:+$(printf '\033[1m')} off=${VFH_DEMO_COLOR:+$(printf '\033[0m')}
bold() { printf '\n%s%s%s\n' "$on" "$*" "$off"; }
step() { printf '\n%s== %s%s\n' "$on" "$*" "$off"; }
fail=0
expect() { # WHAT GOT WANT
	if [ "$2" = "$3" ]; then printf '  [ok]   %s\n' "$1"; else printf '  [FAIL] %s: kernel shows %s, expected %s\n' "$1" "$2" "$3"; fail=1; fi
}
onoff() { case $1 in true) echo on ;; false) echo off ;; *) echo - ;; esac; }

[ -d /sys/kernel/iommu_groups/0 ] || { echo "demo: the guest has no IOMMU"; exit 1; }
pf=$(pci_netdev "$RIG_IGB0") || { echo "demo: no igb PF at $RIG_IGB0"; exit 1; }
pfdev=$(pci_dev "$RIG_IGB0")
ip link set "$pf" up
modprobe vfio-pci
mkdir -p /etc/libvirt/hooks/network.d /etc/libvirt/hooks/qemu.d
cp "$VFH_BUILD_DIR/vfiohook-network-hook" /etc/libvirt/hooks/network.d/vfiohook &&
	cp "$VFH_BUILD_DIR/vfiohook-qemu-hook" /etc/libvirt/hooks/qemu.d/vfiohook ||
	{ echo "demo: the hooks are not built in $VFH_BUILD_DIR"; exit 1; }
libvirt_start || { echo "demo: libvirtd did not start"; tail -n 20 /var/log/libvirt/libvirtd.log; exit 1; }
virsh() { command virsh -q -c qemu:///system "$@"; }

# holds PID GROUP: the process has /dev/vfio/GROUP open
holds() { [ -n "$(find "/proc/$1/fd" -lname "/dev/vfio/$2" 2>/dev/null)" ]; }

# The kernel's view: the PF, then one row per VF (PCI driver, and what `ip link` says).
table() {
	printf '  %-22s %-9s %-12s %-17s %-8s %-5s %s\n' DEVICE PCI-ADDR DRIVER MAC SPOOFCHK TRUST "IN USE BY"
	printf '  %-22s %-9s %-12s %-17s %-8s %-5s %s\n' "$pf (PF)" "${RIG_IGB0#0000:}" \
		"$(pci_driver "$RIG_IGB0")" "$(cat /sys/class/net/"$pf"/address)" "" "" \
		"sriov_numvfs=$(cat "$pfdev/sriov_numvfs")"
	ip -j -d link show dev "$pf" |
		jq -r '.[0].vfinfo_list[]? | "\(.vf) \(.address) \(.spoofchk) \(.trust)"' |
		while read -r n mac sp tr; do
			a=$(vf_addr "$RIG_IGB0" "$n"); d=$(pci_driver "$a"); user=host
			if [ "$d" = vfio-pci ]; then
				g=$(pci_group "$a")
				user="guest: QEMU holds /dev/vfio/$g"
				for p in /run/libvirt/qemu/*.pid; do
					[ -f "$p" ] && holds "$(cat "$p")" "$g" &&
						user="guest $(basename "$p" .pid): QEMU holds /dev/vfio/$g"
				done
			fi
			printf '  %-22s %-9s %-12s %-17s %-8s %-5s %s\n' "VF $n of $pf" "${a#0000:}" \
				"${d:-none}" "$mac" "$(onoff "$sp")" "$(onoff "$tr")" "$user"
		done
}
vfs() { ip -j -d link show dev "$pf" | jq -r "[.[0].vfinfo_list[]? | $1 | tostring] | join(\",\")"; }

bold "vfiohook demo: a hostdev pool on a real kernel ($(uname -r)) with libvirt $(libvirtd --version | sed 's/.* //')"
echo "IOMMU groups: $(ls /sys/kernel/iommu_groups | wc -l); hooks installed:"
ls -l /etc/libvirt/hooks/qemu.d/vfiohook /etc/libvirt/hooks/network.d/vfiohook | sed 's/^/  /'

cat >/tmp/pool.xml <<EOT
<network>
  <name>pool</name>
  <uuid>6d90dd01-0000-4000-8000-000000000001</uuid>
  <metadata>
    <vfh:pool xmlns:vfh='urn:x-vfiohook:1' numvfs='4' spoofchk='off' trust='on' remove_on_stop='yes'/>
  </metadata>
  <forward mode='hostdev' managed='yes'><pf dev='$pf'/></forward>
</network>
EOT
mac=52:54:00:6d:90:77
cat >/tmp/demo.xml <<EOT
<domain type='qemu'>
  <name>demo</name>
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
step "The pool network (virsh net-define /tmp/pool.xml)"
sed 's/^/  /' /tmp/pool.xml
step "The guest's interface: a VF from that pool (virsh define /tmp/demo.xml)"
sed -n '/<interface/,/<\/interface>/p' /tmp/demo.xml
virsh net-define /tmp/pool.xml >/dev/null && virsh define /tmp/demo.xml >/dev/null || fail=1

step "BEFORE: the PF has no VFs"
table
before_numvfs=$(cat "$pfdev/sriov_numvfs")

step "virsh net-start pool   (the network hook creates the VFs and sets the pool's policy)"
virsh net-start pool || fail=1
table
expect "4 VFs created" "$(cat "$pfdev/sriov_numvfs")" 4
expect "spoofchk off on every VF" "$(vfs .spoofchk)" false,false,false,false
expect "trust on on every VF" "$(vfs .trust)" true,true,true,true

step "virsh start demo   (libvirt takes a VF from the pool; the qemu hook applies the policy)"
virsh start demo || fail=1
idx=$(ip -j link show dev "$pf" | jq -r --arg m "$mac" '.[0].vfinfo_list | map(.address) | index($m)')
vf=$(vf_addr "$RIG_IGB0" "$idx" 2>/dev/null)
bold "WHILE THE GUEST RUNS"
table
echo "  /dev/vfio: $(ls /dev/vfio | tr '\n' ' ')"
expect "the guest's VF ($vf) is on vfio-pci" "$(pci_driver "$vf")" vfio-pci
pid=$(cat /run/libvirt/qemu/demo.pid 2>/dev/null)
held=no
holds "$pid" "$(pci_group "$vf")" && held=yes
expect "QEMU (pid $pid) holds /dev/vfio/$(pci_group "$vf")" $held yes
expect "spoofchk off on the guest's VF" "$(vfs .spoofchk | cut -d, -f$((idx + 1)))" false
if [ -x "$VFH_BUILD_DIR/vfiohookctl" ] && "$VFH_BUILD_DIR/vfiohookctl" status >/tmp/status.txt 2>&1; then
	bold "vfiohookctl status"
	sed 's/^/  /' /tmp/status.txt
fi

step "virsh destroy demo   (the qemu hook's release restores what it changed)"
virsh destroy demo >/dev/null || fail=1
table
expect "the VF is back on igbvf" "$(pci_driver "$vf")" igbvf

step "virsh net-destroy pool   (the network hook undoes the policy and removes its VFs)"
virsh net-destroy pool >/dev/null || fail=1
bold "AFTER"
table
expect "sriov_numvfs back to $before_numvfs" "$(cat "$pfdev/sriov_numvfs")" "$before_numvfs"

if [ $fail = 0 ]; then
	bold "demo: done. The kernel showed every step above."
else
	bold "demo: something did not happen (see [FAIL] above; libvirtd log tail below)"
	tail -n 15 /var/log/libvirt/libvirtd.log
fi
exit $fail
