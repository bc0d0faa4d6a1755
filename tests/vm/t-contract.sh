#!/bin/sh
# libvirt contract: what the real libvirtd passes to qemu and network hooks, and when,
# checked against DESIGN.md §1. A logging hook records every call (argv, stdin, the
# environment, the PCI drivers of the igb PFs' VFs and `ip -j link`) while we run
#   net-start pool; start t1; destroy t1; net-destroy pool
# with a pool interface, an <interface type='hostdev'> and a managed <hostdev>.
# The recorded calls are saved to <vm dir>/contract/ (later replayed into our hooks).
VM_MEM=2048
VM_TIMEOUT=450
. "${0%/*}/lib.sh"
t_require_rig
command -v xmllint >/dev/null || t_skip_all "xmllint missing (libxml2-utils)"

log=$HOOKLOG
hooklog_install || t_bail "cannot install the logging hook"

# pool: 4 VFs on igb0; explicit devices: 2 VFs on igb1
t_ok "4 VFs on the pool PF $RIG_IGB0" sriov_enable $RIG_IGB0 4
t_ok "2 VFs on $RIG_IGB1" sriov_enable $RIG_IGB1 2
poolpf=$(pci_netdev $RIG_IGB0)
hd=$(vf_addr $RIG_IGB1 0)    # <hostdev managed='yes'>
ifhd=$(vf_addr $RIG_IGB1 1)  # <interface type='hostdev' managed='yes'>
poolvfs=$(for i in 0 1 2 3; do vf_addr $RIG_IGB0 $i; done | tr '\n' ' ')
mac_ifhd=52:54:00:6d:90:02 mac_pool=52:54:00:6d:90:03

libvirt_start || { tail -n 20 /var/log/libvirt/libvirtd.log; t_bail "libvirtd did not start"; }
lver=$(libvirtd --version | sed 's/.* //')
t_diag "libvirt $lver"
virsh() { command virsh -q -c qemu:///system "$@"; }

addr_xml() { # 0000:BB:SS.F -> address attributes
	_b=${1#*:}; _b=${_b%%:*}; _s=${1##*:}; _s=${_s%.*}
	echo "domain='0x0000' bus='0x$_b' slot='0x$_s' function='0x${1##*.}'"
}
cat >/tmp/pool.xml <<EOT
<network>
  <name>pool</name>
  <forward mode='hostdev' managed='yes'><pf dev='$poolpf'/></forward>
</network>
EOT
cat >/tmp/t1.xml <<EOT
<domain type='qemu'>
  <name>t1</name>
  <uuid>6d90aa01-0000-4000-8000-000000000001</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address $(addr_xml $hd)/></source>
    </hostdev>
    <interface type='hostdev' managed='yes'>
      <mac address='$mac_ifhd'/>
      <source><address type='pci' $(addr_xml $ifhd)/></source>
    </interface>
    <interface type='network'>
      <mac address='$mac_pool'/>
      <source network='pool'/>
    </interface>
    <memballoon model='none'/>
  </devices>
</domain>
EOT
t_ok "net-define pool" virsh net-define /tmp/pool.xml
t_ok "net-start pool" virsh net-start pool
t_ok "define t1" virsh define /tmp/t1.xml
t_ok "start t1" virsh start t1
pid=$(cat /run/libvirt/qemu/t1.pid 2>/dev/null)
t_ok "QEMU holds /dev/vfio/$(pci_group $hd) of the explicit hostdev" sh -c "ls -l /proc/$pid/fd | grep -q ' /dev/vfio/$(pci_group $hd)\$'"
cp /run/libvirt/network/pool.xml $log/live-pool.xml 2>/dev/null
t_ok "destroy t1" virsh destroy t1
t_ok "net-destroy pool" virsh net-destroy pool
cp /tmp/pool.xml /tmp/t1.xml $log/
printf 'libvirt %s\nqemu %s\nkernel %s\n' "$lver" "$(qemu-system-x86_64 --version | head -n 1)" "$(uname -r)" >$log/versions
printf 'hostdev %s\nifhostdev %s %s\npool_pf %s %s\npool_vfs %s\npool_mac %s\n' \
	"$hd" "$ifhd" "$mac_ifhd" "$RIG_IGB0" "$poolpf" "$poolvfs" "$mac_pool" >$log/devices
main=/run/vfh-hooklog-main
mv $log $main && mkdir $log

# --- scenario 2: prepare fails. DESIGN: libvirt shows our stderr, still runs stopped+release
cat >/etc/libvirt/hooks/qemu.d/10-vfh-fail <<'EOT'
#!/bin/sh
cat >/dev/null
[ "$1 $2" = "t2 prepare" ] || exit 0
echo "vfh-test: refusing t2" >&2
exit 1
EOT
chmod 755 /etc/libvirt/hooks/qemu.d/10-vfh-fail
sed -e 's#<name>t1</name>#<name>t2</name>#' -e '/<uuid>/d' -e '/<interface/,/<\/interface>/d' /tmp/t1.xml >/tmp/t2.xml
t_ok "define t2 (one managed hostdev $hd)" virsh define /tmp/t2.xml
err=$(virsh start t2 2>&1) && t_fail "start t2 should fail at prepare" || t_pass "start t2 fails when prepare exits 1"
t_match "$err" "*Hook script execution failed*vfh-test: refusing t2*" "virsh shows the hook's stderr"
t_diag "virsh: $(echo "$err" | tr "\\n" " ")"
t_is "$(cat $log/*.what | tr '\n' ',' | sed 's/,$//')" "qemu prepare,qemu stopped,qemu release" "after a failed prepare libvirt still runs stopped and release"
t_is "$(pci_driver $hd)" igbvf "$hd untouched by the failed start"
rm /etc/libvirt/hooks/qemu.d/10-vfh-fail
cp /tmp/t2.xml $log/
mv $log /run/vfh-hooklog-failed-prepare && mkdir $log

# --- scenario 3: VFs created by the network start hook join the pool (DESIGN §1)
t_ok "remove the pool PF's VFs" sh -c "echo 0 > $(pci_dev $RIG_IGB0)/sriov_numvfs"
cat >/etc/libvirt/hooks/network.d/10-vfh-grow <<EOT
#!/bin/sh
cat >/dev/null
[ "\$1 \$2" = "grow start" ] && echo 3 > $(pci_dev $RIG_IGB0)/sriov_numvfs
exit 0
EOT
chmod 755 /etc/libvirt/hooks/network.d/10-vfh-grow
sed 's#<name>pool</name>#<name>grow</name>#' /tmp/pool.xml >/tmp/grow.xml
t_ok "net-define grow (PF at 0 VFs)" virsh net-define /tmp/grow.xml
t_ok "net-start grow" virsh net-start grow
t_is "$(cat "$(pci_dev $RIG_IGB0)"/sriov_numvfs)" 3 "the start hook created 3 VFs"
t_is "$(xmllint --xpath 'count(//forward/address)' /run/libvirt/network/grow.xml 2>/dev/null)" 3 \
	"VFs created by the network start hook are in the pool"
cp /run/libvirt/network/grow.xml $log/live-grow.xml 2>/dev/null
t_ok "net-destroy grow" virsh net-destroy grow
cp /tmp/grow.xml $log/
mv $log /run/vfh-hooklog-grow

mkdir -p /run/vfh-contract && mv $main/* /run/vfh-contract/ &&
	mv /run/vfh-hooklog-failed-prepare /run/vfh-contract/failed-prepare &&
	mv /run/vfh-hooklog-grow /run/vfh-contract/grow
vfh_save contract /run/vfh-contract/.
vfh_save "contract-libvirt-$lver" /run/vfh-contract/.
cd /run/vfh-contract || t_bail "no hook log"

# --- call order ---------------------------------------------------------------------------
order=$(cat ./*.what | tr '\n' ',' | sed 's/,$//')
t_is "$order" "network start,network started,qemu prepare,network port-created,qemu start,qemu started,qemu stopped,network port-deleted,qemu release,network stopped" \
	"hook call order"
call() { hooklog_call . "$1"; }
for c in "network start" "network started" "qemu prepare" "network port-created" "qemu start" \
	"qemu started" "qemu stopped" "network port-deleted" "qemu release" "network stopped"; do
	f=$(call "$c") || { t_fail "no '$c' call recorded"; continue; }
	args=$(tail -n +2 "$f.argv" | tr '\n' ' ' | sed 's/ $//')
	obj=t1; case $c in network*) obj=pool ;; esac
	op=${c#* }; phase=begin
	case $op in stopped | release) phase=end ;; esac
	case $op in
	release) t_match "$args" "$obj $op $phase [-a-z]*" "argv of '$c': $args" ;;
	*) t_is "$args" "$obj $op $phase -" "argv of '$c'" ;;
	esac
done
t_diag "last argument of qemu release in libvirt $lver: '$(tail -n 1 "$(call "qemu release").argv")'"

# --- XML on stdin -------------------------------------------------------------------------
xp() { xmllint --xpath "$2" "$1.stdin.xml" 2>/dev/null; }
pool_if="//devices/interface[mac/@address='$mac_pool']"
f=$(call "qemu prepare") && {
	t_is "$(xp $f "string(name($pool_if/..))")" devices "prepare: pool interface present"
	t_is "$(xp $f "string($pool_if/@type)")" network "prepare: pool interface is type='network'"
	t_is "$(xp $f "string($pool_if/source/@network)")" pool "prepare: it names the network"
	t_is "$(xp $f "count($pool_if/source/address)")" 0 "prepare: no VF address for the pool interface"
	t_is "$(xp $f "count(//interface[@type='hostdev'][mac/@address='$mac_ifhd']/source/address)")" 1 "prepare: type='hostdev' interface has its address"
}
for c in "qemu start" "qemu started"; do
	f=$(call "$c") || continue
	t_is "$(xp $f "string($pool_if/@type)")" hostdev "$c: pool interface rewritten to type='hostdev'"
	t_is "$(xp $f "string($pool_if/@managed)")" yes "$c: rewritten interface has managed='yes'"
	t_is "$(xp $f "count($pool_if/source/@network)")" 0 "$c: network name not printed"
	b=$(xp $f "string($pool_if/source/address/@bus)"); s=$(xp $f "string($pool_if/source/address/@slot)"); fn=$(xp $f "string($pool_if/source/address/@function)")
	t_match "$b" "0x01" "$c: pool interface has a VF address on the pool PF's bus ($b:$s.$fn)"
	[ "$c" = "qemu start" ] && start_vf=$(printf '0000:%02x:%02x.%x' "$b" "$s" "$fn")
done
t_match " $poolvfs " "* $start_vf *" "the allocated VF $start_vf is one of the pool's VFs"
for c in "qemu stopped" "qemu release"; do
	f=$(call "$c") || continue
	t_is "$(xp $f "string($pool_if/@type)")" network "$c: pool interface is type='network' again"
	t_is "$(xp $f "count($pool_if/source/address)")" 0 "$c: no VF address"
	t_is "$(xp $f "count(/domain/@id)")" 0 "$c: no domain id (DESIGN: inactive format)"
	# DESIGN §1 calls this the inactive format; libvirt 9.0 still sends the device
	# aliases (live-only data), so parsers must not rely on their absence either way.
	t_diag "$c: $(xp $f "count(//devices/*/alias)") device <alias> elements present"
done
n=0
for f in ./*.stdin.xml; do
	[ "$(xmllint --xpath 'count(//actual)' "$f" 2>/dev/null)" = 0 ] || n=$((n + 1))
done
t_is "$n" 0 "no call passes an <actual> element"

f=$(call "network port-created") && {
	t_is "$(xp $f "name(/*)")" hookData "port-created: root is <hookData>"
	t_is "$(xp $f "count(/hookData/network/name[.='pool'])")" 1 "port-created: carries the network"
	t_is "$(xp $f "string(/hookData/networkport/owner/name)")" t1 "port-created: owner is the domain"
	t_is "$(xp $f "string(/hookData/networkport/owner/uuid)")" 6d90aa01-0000-4000-8000-000000000001 "port-created: owner uuid"
	t_is "$(xp $f "string(/hookData/networkport/mac/@address)")" $mac_pool "port-created: mac"
	t_is "$(xp $f "string(/hookData/networkport/plug/@type)")" hostdev-pci "port-created: plug type='hostdev-pci'"
	pb=$(xp $f "string(/hookData/networkport/plug/address/@bus)"); ps=$(xp $f "string(/hookData/networkport/plug/address/@slot)"); pf=$(xp $f "string(/hookData/networkport/plug/address/@function)")
	t_is "$(printf '0000:%02x:%02x.%x' "$pb" "$ps" "$pf" 2>/dev/null)" "$start_vf" "port-created: plug address is the VF qemu start shows"
}
f=$(call "network start") && t_is "$(xp $f "name(/hookData/*[1])")" network "network start: <hookData><network/>"

# --- what libvirt had done to the devices at each call ------------------------------------
drv() { hooklog_driver "$@"; }
managed="$hd $ifhd $start_vf"
for c in "qemu prepare:igbvf:before libvirt detaches managed devices" \
	"qemu start:vfio-pci:after libvirt detached them" \
	"qemu stopped:vfio-pci:before libvirt reattaches them" \
	"qemu release:igbvf:after libvirt's own reattach"; do
	name=${c%%:*} rest=${c#*:}; want=${rest%%:*} why=${rest#*:}
	f=$(call "$name") || continue
	got=
	for a in $managed; do got="$got $(drv $f $a)"; done
	t_is "$got" " $want $want $want" "$name runs $why (managed devices on $want)"
done
# MAC at start: libvirt set the VF MACs before running the start hook
f=$(call "qemu start") && {
	m=$(jq -r --arg pf "$poolpf" '.[] | select(.ifname == $pf) | .vfinfo_list[] | .address' "$f.links.json" 2>/dev/null | tr '\n' ' ')
	t_match " $m " "* $mac_pool *" "qemu start: libvirt already set the pool VF's MAC"
}
f=$(call "qemu prepare") && t_match "$(grep ' PATH=' "$f.env")" "*PATH=*" "hook environment recorded (PATH)"
t_done
