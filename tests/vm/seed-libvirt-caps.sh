#!/bin/sh
# Guest side of setup.sh's last step: start libvirtd once so it probes QEMU, and hand
# the capabilities cache back (lib.sh libvirt_start does that when none is cached yet).
# run-vm.sh stores it in <vm dir>/libvirt-caps/, and later libvirtd starts in ~4 s, not ~10 s.
. "${0%/*}/lib.sh"
libvirt_start || { tail -n 20 /var/log/libvirt/libvirtd.log >&2; exit 1; }
ls /vfh-io/libvirt-caps/*/ >/dev/null 2>&1 || { echo "no capabilities to hand back" >&2; exit 1; }
