# shellcheck shell=sh disable=SC2034 # the RIG_* constants are for the tests that source this
# Shared code for VM tests (tests/vm/t-*.sh). Sourced, never run.
#
# A VM test is ONE file that runs twice: on the host (ctest starts it) and in the guest.
#
#   #!/bin/sh
#   VM_MEM=2048          # optional, before sourcing: VM_MEM, VM_SMP, VM_TIMEOUT
#   . "${0%/*}/lib.sh"   # host: boots a VM running this same file, exits with its result
#   # --- from here on we are in the guest (root, real kernel, see README.md) ---
#   t_require_rig
#   t_ok "vfio-pci loads" modprobe vfio-pci
#   t_done
#
# Output is TAP-like ("ok N - ...", "not ok N - ...", "# diag"). Exit status: 0 all
# passed, 1 something failed, 77 skipped (ctest SKIP_RETURN_CODE). With CI=true a
# missing prerequisite (no VM, no IOMMU, no igb) is a failure, never a skip.

# ---------------------------------------------------------------------------------------
# Host side
# ---------------------------------------------------------------------------------------
if [ "${VFH_IN_VM:-0}" != 1 ]; then
	_vfh_here=$(cd "${0%/*}" && pwd)
	_vfh_test=$_vfh_here/${0##*/}
	_vfh_name=${0##*/}; _vfh_name=${_vfh_name%.sh}; _vfh_name=${_vfh_name#t-}
	_vfh_results=${VFH_VM_RESULTS:-${VFH_VM_DIR:-$(cd "$_vfh_here/../.." && pwd)/build/vm}/results}
	mkdir -p "$_vfh_results" 2>/dev/null
	echo started >"$_vfh_results/$_vfh_name" 2>/dev/null
	_vfh_t0=$(date +%s)
	# a test's own VM_* settings win; otherwise run-vm.sh's VFH_VM_* defaults apply
	"$_vfh_here/run-vm.sh" ${VM_MEM:+-m "$VM_MEM"} ${VM_SMP:+-s "$VM_SMP"} ${VM_TIMEOUT:+-t "$VM_TIMEOUT"} \
		-- /bin/sh "$_vfh_test"
	_vfh_rc=$?
	case $_vfh_rc in
	126)
		if [ "${CI:-}" = true ]; then
			echo "not ok - VM tier not set up and CI=true: failing instead of skipping" >&2
			_vfh_rc=1
		else
			echo "1..0 # SKIP VM tier not set up (run tests/vm/setup.sh as root)"
			_vfh_rc=77
		fi ;;
	124 | 125) echo "not ok - the VM did not complete (status $_vfh_rc)" >&2 ;;
	esac
	case $_vfh_rc in 0) _vfh_res=pass ;; 77) _vfh_res=skip ;; *) _vfh_res=fail ;; esac
	echo "$_vfh_res $_vfh_rc $(($(date +%s) - _vfh_t0))s" >"$_vfh_results/$_vfh_name" 2>/dev/null
	echo "# vm/$_vfh_name: $_vfh_res in $(($(date +%s) - _vfh_t0)) s"
	exit $_vfh_rc
fi

# ---------------------------------------------------------------------------------------
# Guest side: assertions
# ---------------------------------------------------------------------------------------
_t_n=0
_t_fail=0
VFH_SRC_DIR=${VFH_SRC_DIR:-$(cd "${0%/*}/../.." && pwd)}
VFH_VM_LIB=$VFH_SRC_DIR/tests/vm

t_diag() { printf '# %s\n' "$*"; }
t_pass() { _t_n=$((_t_n + 1)); printf 'ok %d - %s\n' "$_t_n" "$1"; }
t_fail() {
	_t_n=$((_t_n + 1)); _t_fail=$((_t_fail + 1))
	printf 'not ok %d - %s\n' "$_t_n" "$1"
	shift
	for _l in "$@"; do printf '#   %s\n' "$_l"; done
	return 1
}

# t_ok DESC CMD [ARG...]: passes when CMD exits 0; shows CMD's output when it does not.
t_ok() {
	_d=$1; shift
	if _o=$("$@" 2>&1); then t_pass "$_d"; else t_fail "$_d" "command: $*" "exit status $?" "$_o"; fi
}
# t_not DESC CMD [ARG...]: passes when CMD exits non-zero.
t_not() {
	_d=$1; shift
	if _o=$("$@" 2>&1); then t_fail "$_d" "command unexpectedly succeeded: $*" "$_o"; else t_pass "$_d"; fi
}
# t_is GOT WANT DESC
t_is() {
	if [ "$1" = "$2" ]; then t_pass "$3"; else t_fail "$3" "got:      '$1'" "expected: '$2'"; fi
}
# t_match GOT GLOB DESC (shell pattern, e.g. '*vfio-pci*')
t_match() {
	# shellcheck disable=SC2254
	case $1 in $2) t_pass "$3" ;; *) t_fail "$3" "got:      '$1'" "expected: match of '$2'" ;; esac
}
# t_ge GOT MIN DESC (integers)
t_ge() {
	if [ "${1:-0}" -ge "$2" ] 2>/dev/null; then t_pass "$3"; else t_fail "$3" "got: '$1'" "expected: >= $2"; fi
}
# t_file_has FILE GLOB DESC: some line of FILE matches GLOB
t_file_has() {
	while IFS= read -r _l; do
		# shellcheck disable=SC2254
		case $_l in $2) t_pass "$3"; return 0 ;; esac
	done <"$1"
	t_fail "$3" "no line of $1 matches '$2'"
}

# t_skip_all REASON: the test cannot run here. Skip (77), or fail under CI=true.
t_skip_all() {
	if [ "${CI:-}" = true ]; then
		t_fail "prerequisite: $1 (CI=true: failing instead of skipping)"
		t_done
	fi
	printf '1..0 # SKIP %s\n' "$1"
	exit 77
}
# t_bail REASON: a failure that makes the rest of the test meaningless.
t_bail() {
	t_fail "$1"
	printf 'Bail out! %s\n' "$1"
	t_done
}
t_done() {
	printf '1..%d\n' "$_t_n"
	[ "$_t_fail" = 0 ] && [ "$_t_n" -gt 0 ] && exit 0
	[ "$_t_n" = 0 ] && printf '# no assertions ran\n'
	exit 1
}

# ---------------------------------------------------------------------------------------
# Guest side: the rig (run-vm.sh fixes the topology, so the addresses are stable)
# ---------------------------------------------------------------------------------------
RIG_IGB0=0000:01:00.0        # igb PF (82576, 8086:10c9), own group, up to 7 VFs
RIG_IGB1=0000:02:00.0        # second igb PF
RIG_E1000E=0000:03:00.0      # e1000e on its own root port, own group
RIG_BRIDGE=0000:04:00.0      # pcie-pci-bridge (class 0x0604, no driver)
RIG_BR_E1000=0000:05:01.0    # e1000 behind the bridge  } the bridge group:
RIG_BR_VIRTIO=0000:05:02.0   # virtio-net behind it      } bridge + both endpoints
RIG_MF0=0000:06:00.0         # multifunction e1000e pair in one group
RIG_MF1=0000:06:00.1
RIG_9P_ROOT=0000:00:02.0     # carries the guest's / : must never be detached
RIG_9P_IO=0000:00:03.0       # carries the test's input and output

pci_dev() { echo "/sys/bus/pci/devices/$1"; }
# pci_driver ADDR: name of the bound driver, empty when none
pci_driver() { _l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) && echo "${_l##*/}"; }
# pci_group ADDR: IOMMU group number
pci_group() { _l=$(readlink "/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null) && echo "${_l##*/}"; }
# group_members N: sorted addresses in group N, space separated
group_members() { ls "/sys/kernel/iommu_groups/$1/devices" | tr '\n' ' ' | sed 's/ $//'; }
# pci_netdev ADDR: the netdev name of a PCI NIC (also for virtio, one level down)
pci_netdev() {
	for _n in "/sys/bus/pci/devices/$1"/net/* "/sys/bus/pci/devices/$1"/virtio*/net/*; do
		[ -e "$_n" ] && { echo "${_n##*/}"; return 0; }
	done
	return 1
}
# vf_addr PF N: PCI address of VF N of PF
vf_addr() { _l=$(readlink "/sys/bus/pci/devices/$1/virtfn$2" 2>/dev/null) && echo "${_l##*/}"; }

# wait_for SECONDS CMD [ARG...]: poll CMD every 0.2 s until it succeeds (wall clock:
# under TCG one poll of a dynamic binary can itself take a second)
wait_for() {
	_end=$(($(date +%s) + $1)); shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -lt $_end ] || return 1
		sleep 0.2
	done
}

# t_require_rig: the rig must have an IOMMU and igb; otherwise skip (fail under CI).
t_require_rig() {
	[ -d /sys/kernel/iommu_groups/0 ] || t_skip_all "no IOMMU groups in the guest (intel-iommu missing?)"
	[ "$(cat "/sys/bus/pci/devices/$RIG_IGB0/vendor" 2>/dev/null):$(cat "/sys/bus/pci/devices/$RIG_IGB0/device" 2>/dev/null)" = 0x8086:0x10c9 ] ||
		t_skip_all "no igb at $RIG_IGB0 (QEMU without igb?)"
	[ "$(pci_driver "$RIG_IGB0")" = igb ] || t_skip_all "igb driver not bound to $RIG_IGB0"
}

# sriov_enable PF N: bring the PF up (igbvf needs it: "PF still in reset state"),
# create N VFs, wait until each VF has its driver and netdev.
sriov_enable() {
	_pfn=$(pci_netdev "$1") || return 1
	ip link set "$_pfn" up || return 1
	echo "$2" >"/sys/bus/pci/devices/$1/sriov_numvfs" || return 1
	_i=0
	while [ $_i -lt "$2" ]; do
		_vf=$(vf_addr "$1" $_i) || return 1
		wait_for 10 pci_netdev "$_vf" || return 1
		_i=$((_i + 1))
	done
}

# ---------------------------------------------------------------------------------------
# Guest side: libvirt
# ---------------------------------------------------------------------------------------
# The guest root is a tmpfs overlay, so /etc/libvirt, /var/lib/libvirt, /var/log,
# /var/cache are writable and throw-away. QEMU runs as root with no security driver.
VFH_VM_DIR_GUEST=${VFH_VM_DIR:-$VFH_SRC_DIR/build/vm}

# libvirt_start: configure and start virtlogd + libvirtd, wait until virsh answers.
# Uses (and on first use fills) the QEMU capabilities cache in the build dir.
libvirt_start() {
	mkdir -p /etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt/qemu /run/libvirt \
		/etc/libvirt/hooks/qemu.d /etc/libvirt/hooks/network.d || return 1
	cat >/etc/libvirt/qemu.conf <<-EOT
		security_driver = "none"
		user = "root"
		group = "root"
		dynamic_ownership = 0
		remember_owner = 0
		cgroup_controllers = [ ]
		stdio_handler = "file"
	EOT
	cat >/etc/libvirt/libvirtd.conf <<-EOT
		unix_sock_group = "root"
		auth_unix_rw = "none"
		auth_unix_ro = "none"
		log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
	EOT
	# libvirtd re-probes silently when the cache does not match the binaries, so key
	# our copy by libvirt version, QEMU binary mtime and libvirtd ctime (reinstalls)
	_key=$(libvirtd --version | sed 's/.* //')-$(stat -c %Y /usr/bin/qemu-system-x86_64)-$(stat -c %Z /usr/sbin/libvirtd)
	_caps=$VFH_VM_DIR_GUEST/libvirt-caps/$_key
	if [ -d "$_caps" ]; then
		mkdir -p /var/cache/libvirt/qemu/capabilities
		cp "$_caps"/*.xml /var/cache/libvirt/qemu/capabilities/ 2>/dev/null
	fi
	# Debian's libvirt resolves its built-in default user before reading qemu.conf
	grep -q '^libvirt-qemu:' /etc/passwd ||
		echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >>/etc/passwd
	grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >>/etc/group
	grep -q '^kvm:' /etc/group || echo 'kvm:x:64056:' >>/etc/group
	grep -q '^libvirt:' /etc/group || echo 'libvirt:x:64057:' >>/etc/group
	virtlogd -d || return 1
	libvirtd -d || return 1
	wait_for 120 libvirt_alive_and_answering || return 1
	# hand the probed capabilities back to the host build dir (the io share is the only
	# writable path to the host; run-vm.sh copies them from there)
	if [ ! -d "$_caps" ] && [ -w /vfh-io ]; then
		mkdir -p "/vfh-io/libvirt-caps/$_key" &&
			cp /var/cache/libvirt/qemu/capabilities/*.xml "/vfh-io/libvirt-caps/$_key/" 2>/dev/null
	fi
	return 0
}

libvirt_alive_and_answering() {
	# stop polling early when libvirtd died during start-up
	[ -f /run/libvirtd.pid ] && ! kill -0 "$(cat /run/libvirtd.pid)" 2>/dev/null && { _end=0; return 1; }
	virsh -c qemu:///system version
}

# hooklog_install: a qemu.d/ and network.d/ hook that records every call in
# $HOOKLOG/NN.{what,argv,stdin.xml,env,drivers,links.json}: "qemu prepare", argv[0..],
# the XML, the environment, `ls -l` of the igb VFs' driver links and `ip -j link`.
# Install it before libvirt_start. Execs are costly under TCG, so the counter and the
# lock use only shell builtins (noclobber).
HOOKLOG=/run/vfh-hooklog
hooklog_install() {
	mkdir -p $HOOKLOG /etc/libvirt/hooks/qemu.d /etc/libvirt/hooks/network.d || return 1
	cat >/etc/libvirt/hooks/00-vfh-log <<-'EOT'
		#!/bin/sh
		log=/run/vfh-hooklog
		case $0 in */qemu.d/*) h=qemu ;; */network.d/*) h=network ;; *) h=unknown ;; esac
		n=1
		while ! (set -C; : >"$log/$(printf %02d $n).what") 2>/dev/null; do n=$((n + 1)); done
		f=$log/$(printf %02d $n)
		printf '%s %s\n' "$h" "$2" >"$f.what"
		for a in "$0" "$@"; do printf '%s\n' "$a"; done >"$f.argv"
		cat >"$f.stdin.xml"
		export -p >"$f.env"
		ls -l /sys/bus/pci/devices/0000:01:*/driver /sys/bus/pci/devices/0000:02:*/driver >"$f.drivers" 2>&1
		ip -j link show >"$f.links.json" 2>&1
		exit 0
	EOT
	chmod 755 /etc/libvirt/hooks/00-vfh-log &&
		ln -sf ../00-vfh-log /etc/libvirt/hooks/qemu.d/00-vfh-log &&
		ln -sf ../00-vfh-log /etc/libvirt/hooks/network.d/00-vfh-log
}
# hooklog_call DIR "qemu prepare": path prefix (DIR/NN) of the first such call
hooklog_call() {
	for _f in "$1"/*.what; do [ "$(cat "$_f")" = "$2" ] && { echo "${_f%.what}"; return 0; }; done
	return 1
}
# hooklog_driver PREFIX ADDR: the driver ADDR had when call PREFIX ran
hooklog_driver() { sed -n "s#.*/devices/$2/driver -> .*/##p" "$1.drivers"; }
# hooklog_vf PREFIX PFNAME N KEY: jq KEY (e.g. .address, .spoofchk) of VF N of PFNAME
hooklog_vf() {
	jq -r --arg pf "$2" ".[] | select(.ifname == \$pf) | .vfinfo_list[$3] | $4" "$1.links.json"
}

# vfh_save NAME FILE...: copy files out of the guest (whose writes vanish at power-off)
# into the io share; run-vm.sh then replaces <vm dir>/NAME on the host with them.
vfh_save() {
	_dst=/vfh-io/out/$1; shift
	mkdir -p "$_dst" && cp -r "$@" "$_dst/"
}
