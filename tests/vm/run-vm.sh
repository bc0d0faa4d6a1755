#!/bin/sh
# Boots the VM-tier guest (a real Debian kernel with an emulated Intel IOMMU, igb SR-IOV
# NICs and useful IOMMU groups), runs ONE command inside it and returns that command's
# stdout, stderr and exit status as its own.
#
# usage: run-vm.sh [options] [--] COMMAND [ARG...]
#        run-vm.sh [options] --shell
#   -m, --mem MiB       guest memory (default $VFH_VM_MEM or 1024; libvirt tests want 2048)
#   -s, --smp N         guest CPUs (default $VFH_VM_SMP or 1: faster under TCG)
#   -t, --timeout SEC   kill the guest after SEC seconds (default $VFH_VM_TIMEOUT or 300)
#   -C, --cwd DIR       working directory of COMMAND in the guest (default: the current one)
#   --shell             interactive shell on the serial console instead of COMMAND
#                       (no timeout unless given; 'exit' powers off)
#   -v, --verbose       copy the guest console to stderr while it runs
# Environment: VFH_VM_DIR (build dir, default <repo>/build/vm), VFH_VM_ACCEL=tcg|kvm,
# VFH_VM_KEEP=1 (keep the run dir even on success). Variables named VFH_* and CI are
# passed on into the guest.
#
# The guest sees the host's / read-only (over 9p) under a tmpfs overlay, so everything on
# the host, including the build tree, is at the same path; its writes vanish at power-off.
#
# Exit status: COMMAND's; 124 when the guest timed out; 125 when the guest did not
# produce a result (boot failure, panic); 126 when the VM tier is not set up. On any
# non-zero status the run dir with console.log is kept and its path printed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vmdir=${VFH_VM_DIR:-$top/build/vm}
mem=${VFH_VM_MEM:-1024}
smp=${VFH_VM_SMP:-1}
timeout_s=${VFH_VM_TIMEOUT:-300}
timeout_given=
cwd=$(pwd)
shell=0
verbose=${VFH_VM_VERBOSE:-0}

die() { printf 'run-vm: %s\n' "$1" >&2; exit "${2:-125}"; }
usage() { sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit "$1"; }

while [ $# -gt 0 ]; do
	case $1 in
	-m | --mem) mem=$2; shift 2 ;;
	-s | --smp) smp=$2; shift 2 ;;
	-t | --timeout) timeout_s=$2; timeout_given=1; shift 2 ;;
	-C | --cwd) cwd=$2; shift 2 ;;
	--shell) shell=1; shift ;;
	-v | --verbose) verbose=1; shift ;;
	-h | --help) usage 0 ;;
	--) shift; break ;;
	-*) printf 'run-vm: unknown option %s\n' "$1" >&2; usage 2 ;;
	*) break ;;
	esac
done
[ $shell = 1 ] || [ $# -gt 0 ] || usage 2

# --- prerequisites (126: run tests/vm/setup.sh) ------------------------------------------
[ -f "$vmdir/kernel.env" ] || die "the VM tier is not set up: $vmdir/kernel.env missing (run tests/vm/setup.sh as root)" 126
. "$vmdir/kernel.env"
for f in "$VFH_VMLINUX" "$VFH_INITRD" "$VFH_MODDIR/modules.dep"; do
	[ -f "$f" ] || die "$f missing (run tests/vm/setup.sh as root)" 126
done
qemu=${VFH_QEMU:-/usr/bin/qemu-system-x86_64}
[ -x "$qemu" ] || die "$qemu missing (run tests/vm/setup.sh as root)" 126
case $("$qemu" --version | head -n 1) in
*"version "[1-9][0-9].*) ;;
*) die "$qemu is not QEMU >= 10 (no igb): run tests/vm/setup.sh as root" 126 ;;
esac

# The guest mounts fresh tmpfs on /tmp and /run: host paths there are invisible to it.
case ${VFH_BUILD_DIR:-} in
/tmp/* | /run/* | /tmp | /run)
	die "VFH_BUILD_DIR=$VFH_BUILD_DIR is not visible in the guest (fresh /tmp and /run there); use a build dir elsewhere" 2 ;;
esac
case $cwd in
/tmp/* | /run/* | /tmp | /run) echo "run-vm: warning: $cwd is not visible in the guest; the command runs in /" >&2 ;;
esac

accel=${VFH_VM_ACCEL:-}
if [ -z "$accel" ]; then
	# /dev/kvm may be kvm_pvm, under which a stock kernel hangs silently: KVM only when
	# a real kvm_intel/kvm_amd is loaded.
	if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then accel=kvm; else accel=tcg; fi
fi
case $accel in
tcg) accel_args="-accel tcg,thread=multi -cpu max" ;;
kvm) accel_args="-accel kvm -cpu host" ;;
*) die "VFH_VM_ACCEL must be tcg or kvm, not '$accel'" 2 ;;
esac

# --- the run dir, shared read-write with the guest ------------------------------------------
mkdir -p "$vmdir/runs" || exit 125
run=$(mktemp -d "$vmdir/runs/run.XXXXXX") || exit 125
chmod 755 "$run"

q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

{
	printf 'VFH_KVER=%s\nVFH_MODDIR=%s\nVFH_STAGE2=%s\nVFH_SHELL=%s\n' \
		"$(q "$VFH_KVER")" "$(q "$VFH_MODDIR")" "$(q "$here/guest-init.sh")" "$shell"
	printf 'VFH_CWD=%s\n' "$(q "$cwd")"
	printf 'export VFH_VM_DIR=%s VFH_SRC_DIR=%s\n' "$(q "$vmdir")" "$(q "${VFH_SRC_DIR:-$top}")"
	env | sed -n 's/^\(VFH_[A-Za-z0-9_]*\|CI\)=.*/\1/p' | while read -r v; do
		case $v in VFH_KVER | VFH_MODDIR | VFH_STAGE2 | VFH_SHELL | VFH_CWD | VFH_VM_DIR | VFH_SRC_DIR) continue ;; esac
		val=; eval "val=\${$v}"
		printf 'export %s=%s\n' "$v" "$(q "$val")"
	done
	printf 'export VFH_IN_VM=1\n'
} >"$run/env"
if [ $shell = 0 ]; then
	printf 'exec' >"$run/cmd"
	for a in "$@"; do printf ' %s' "$(q "$a")" >>"$run/cmd"; done
	printf '\n' >>"$run/cmd"
fi

# --- the machine (see README.md for what each device is for) ----------------------------
set -- -machine q35,kernel-irqchip=split $accel_args -m "$mem" -smp "$smp" \
	-nodefaults -no-user-config -display none -no-reboot \
	-device intel-iommu,intremap=on,caching-mode=on \
	-kernel "$VFH_VMLINUX" -initrd "$VFH_INITRD" \
	-append "console=ttyS0,115200 panic=-1 intel_iommu=on iommu=pt loglevel=4 rdinit=/init" \
	-fsdev local,id=fsroot,path=/,readonly=on,security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=fsroot,mount_tag=vfhroot,bus=pcie.0,addr=0x2 \
	-fsdev local,id=fsio,path="$run",security_model=none \
	-device virtio-9p-pci,fsdev=fsio,mount_tag=vfhio,bus=pcie.0,addr=0x3 \
	-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x4 \
	-device igb,bus=rp1,id=igb0,mac=52:54:00:56:46:01 \
	-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x5 \
	-device igb,bus=rp2,id=igb1,mac=52:54:00:56:46:02 \
	-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x6 \
	-device e1000e,bus=rp3,id=e1000e0,mac=52:54:00:56:46:03 \
	-device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,addr=0x7 \
	-device pcie-pci-bridge,id=br1,bus=rp4 \
	-device e1000,bus=br1,addr=0x1,id=e1000b,mac=52:54:00:56:46:04 \
	-device virtio-net-pci,bus=br1,addr=0x2,id=vnetb,mac=52:54:00:56:46:05 \
	-device pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x8 \
	-device e1000e,bus=rp5,addr=0x0.0x0,multifunction=on,id=mf0,mac=52:54:00:56:46:06 \
	-device e1000e,bus=rp5,addr=0x0.0x1,id=mf1,mac=52:54:00:56:46:07

what="$*"
[ $shell = 0 ] && what=$(cat "$run/cmd" | sed 's/^exec //')

if [ $shell = 1 ]; then
	[ -n "$timeout_given" ] || timeout_s=0
	echo "run-vm: booting (serial console below; type 'exit' to power off)" >&2
	timeout -k 5 "$timeout_s" "$qemu" "$@" -chardev stdio,id=con,signal=off -serial chardev:con \
		2>"$run/qemu.err"
	qrc=$?
else
	if [ "$verbose" = 1 ]; then
		: >"$run/console.log"
		tail -f "$run/console.log" >&2 &
		tailpid=$!
	fi
	timeout -k 5 "$timeout_s" "$qemu" "$@" -chardev file,id=con,path="$run/console.log" -serial chardev:con \
		</dev/null 2>"$run/qemu.err"
	qrc=$?
	[ "$verbose" = 1 ] && kill "$tailpid" 2>/dev/null
fi

keep() {
	echo "run-vm: console log: $run/console.log" >&2
	if grep -v 'has no peer' "$run/qemu.err" | grep -q .; then
		echo "run-vm: qemu said:" >&2
		grep -v 'has no peer' "$run/qemu.err" | sed 's/^/  /' >&2
	fi
}

if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	[ -f "$run/stdout" ] && cat "$run/stdout"
	[ -f "$run/stderr" ] && cat "$run/stderr" >&2
	echo "run-vm: VM timed out after $timeout_s s running $what" >&2
	keep
	exit 124
fi
if [ ! -f "$run/rc" ]; then
	echo "run-vm: the VM produced no result (qemu exit status $qrc) running $what" >&2
	[ -f "$run/console.log" ] && tail -n 20 "$run/console.log" | sed 's/^/  console: /' >&2
	keep
	exit 125
fi
rc=$(cat "$run/rc")
# files the guest handed back: out/NAME -> <vm dir>/NAME, libvirt's probed QEMU
# capabilities -> <vm dir>/libvirt-caps/KEY (kept if already there)
if [ -d "$run/out" ]; then
	for d in "$run"/out/*; do
		[ -e "$d" ] || continue
		case ${d##*/} in
		kernel* | runs | results | libvirt-caps | .*)
			echo "run-vm: not saving guest output under reserved name ${d##*/}" >&2
			continue ;;
		esac
		rm -rf "${vmdir:?}/${d##*/}" && mv -T "$d" "$vmdir/${d##*/}"
	done
fi
if [ -d "$run/libvirt-caps" ]; then
	mkdir -p "$vmdir/libvirt-caps"
	for d in "$run"/libvirt-caps/*; do
		# two first runs in parallel may both hand back a cache: the first one wins
		[ -e "$d" ] && mv -T "$d" "$vmdir/libvirt-caps/${d##*/}" 2>/dev/null
	done
fi
[ -f "$run/stdout" ] && cat "$run/stdout"
[ -f "$run/stderr" ] && cat "$run/stderr" >&2
if { [ "$rc" != 0 ] && [ "$rc" != 77 ]; } || [ "${VFH_VM_KEEP:-0}" = 1 ]; then
	keep
else
	rm -rf "$run"
fi
exit "$rc"
