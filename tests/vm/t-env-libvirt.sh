#!/bin/sh
# VM environment: a real libvirtd in the guest starts a type='qemu' domain with an igb
# VF as a managed hostdev, QEMU really opens /dev/vfio/N, and destroy gives it back.
VM_MEM=2048
VM_TIMEOUT=400
. "${0%/*}/lib.sh"
t_require_rig

pf=$RIG_IGB0
t_ok "create 2 VFs" sriov_enable $pf 2
vf=$(vf_addr $pf 0)
g=$(pci_group $vf)
t0=$(date +%s)
libvirt_start || { tail -n 20 /var/log/libvirt/libvirtd.log; t_bail "libvirtd did not start"; }
t_pass "libvirtd answers after $(($(date +%s) - t0)) s ($(virsh -c qemu:///system version | sed -n 's/^Using library: //p'))"

bus=${vf#*:}; bus=${bus%%:*}; slot=${vf##*:}; slot=${slot%.*}; fn=${vf##*.}
cat >/tmp/t1.xml <<EOT
<domain type='qemu'>
  <name>t1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x$bus' slot='0x$slot' function='0x$fn'/></source>
    </hostdev>
    <memballoon model='none'/>
  </devices>
</domain>
EOT
virsh() { command virsh -q -c qemu:///system "$@"; }
t_ok "define t1" virsh define /tmp/t1.xml
t0=$(date +%s)
t_ok "start t1 with VF $vf as managed hostdev" virsh start t1
t_diag "virsh start took $(($(date +%s) - t0)) s"
t_is "$(pci_driver $vf)" vfio-pci "libvirt moved $vf to vfio-pci"
pid=$(cat /run/libvirt/qemu/t1.pid 2>/dev/null)
t_ok "QEMU runs (pid $pid)" test -d "/proc/$pid"
t_ok "QEMU holds /dev/vfio/$g" sh -c "ls -l /proc/$pid/fd | grep -q ' /dev/vfio/$g\$'"
t_ok "destroy t1" virsh destroy t1
t_ok "$vf back on igbvf after destroy" wait_for 10 sh -c "[ \"\$(readlink $(pci_dev $vf)/driver)\" != \"\${0%%x}\" ] && readlink $(pci_dev $vf)/driver | grep -q /igbvf\$" x
t_not "QEMU is gone" test -d "/proc/$pid"
t_done
