#!/bin/sh
# The README demo (scripts/demo.sh) runs its guest half here, so it cannot rot unnoticed: it
# exits non-zero unless the kernel showed the job done (the pool's VFs created with spoofchk
# off and trust on, the guest's VF on vfio-pci and held by QEMU, everything back after).
# shellcheck disable=SC2034 # read by lib.sh
VM_MEM=2048 VM_TIMEOUT=600
. "${0%/*}/lib.sh"
t_require_rig
[ -x "$VFH_BUILD_DIR/vfiohook-network-hook" ] || t_bail "hooks not built in $VFH_BUILD_DIR"
out=$(sh "$VFH_SRC_DIR/scripts/demo.sh" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
t_is "$rc" 0 "scripts/demo.sh exits 0"
t_match "$out" "*demo: done.*" "the demo says every step happened"
t_is "$(printf '%s\n' "$out" | grep -c '\[ok\]')" 8 "all 8 kernel checks of the demo passed"
t_done
