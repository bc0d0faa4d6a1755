#!/bin/sh
# Prepares the host for the VM test tier: QEMU 10 (for the igb NIC with SR-IOV),
# libvirt, a Debian guest kernel unpacked (never installed), out-of-tree netdevsim
# and mtty modules, an uncompressed vmlinux and a busybox initramfs.
#
# Idempotent; every step leaves a stamp in the build dir and is skipped next time.
# Run as root.
#
# Environment:
#   VFH_VM_DIR      build dir for the VM tier (default: <repo>/build/vm)
#   VFH_LIBVIRT     main (bookworm, 9.0; default) | backports (bookworm-backports, 11.x)
#   VFH_SKIP_APT=1  skip apt entirely (packages already installed by other means)
#   VFH_NO_CAPS=1   do not pre-seed libvirt's QEMU capabilities cache
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vmdir=${VFH_VM_DIR:-$top/build/vm}
libvirt_src=${VFH_LIBVIRT:-main}
apt="apt-get -o DPkg::Lock::Timeout=900 -y -q"
bpo_file=/etc/apt/sources.list.d/vfiohook-backports.sources

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
t0=$(date +%s)

case $libvirt_src in
main|backports) ;;
*) die "VFH_LIBVIRT must be main or backports, not '$libvirt_src'" ;;
esac
[ "$(id -u)" = 0 ] || die "must run as root"
mkdir -p "$vmdir"
vmdir=$(cd "$vmdir" && pwd)

# --- 1. bookworm-backports: one new stanza copied from the main Debian stanza ----------
# The existing debian.sources stanza also lists bookworm-updates, and another one
# bookworm-security, so rewriting suites in place would invent suites that do not exist.
add_backports() {
	[ -f "$bpo_file" ] && return 0
	stanza=
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		stanza=$(awk '
			BEGIN { RS = ""; FS = "\n" }
			{
				hit = 0; types = uris = comps = sb = ""
				for (i = 1; i <= NF; i++) {
					line = $i
					if (line ~ /^[ \t]*#/) continue
					split(line, kv, ":")
					key = kv[1]; val = substr(line, length(key) + 2)
					gsub(/^[ \t]+|[ \t]+$/, "", val)
					if (key == "Suites") { n = split(val, s, /[ \t]+/); for (j = 1; j <= n; j++) if (s[j] == "bookworm") hit = 1 }
					else if (key == "Types") types = val
					else if (key == "URIs") uris = val
					else if (key == "Components") comps = val
					else if (key == "Signed-By") sb = val
				}
				if (hit && uris != "") {
					printf "Types: %s\nURIs: %s\nSuites: bookworm-backports\nComponents: %s\n", types, uris, comps
					if (sb != "") printf "Signed-By: %s\n", sb
					exit
				}
			}' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$stanza" ] && [ -f /etc/apt/sources.list ]; then
		# one-line format: deb [opts] URI SUITE COMPONENTS...
		stanza=$(awk '
			$1 == "deb" {
				i = 2; sb = ""
				if ($2 ~ /^\[/) {
					while (i <= NF) { o = $i; gsub(/[\[\]]/, "", o); if (o ~ /^signed-by=/) { sub(/^signed-by=/, "", o); sb = o }
						if ($i ~ /\]$/) { i++; break } ; i++ }
				}
				if ($(i + 1) != "bookworm") next
				comps = ""; for (j = i + 2; j <= NF; j++) comps = comps (comps == "" ? "" : " ") $j
				printf "Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: %s\n", $i, comps
				if (sb != "") printf "Signed-By: %s\n", sb
				exit
			}' /etc/apt/sources.list)
	fi
	[ -n "$stanza" ] || die "found no apt source for suite 'bookworm' to copy for bookworm-backports"
	say "adding $bpo_file"
	printf '# Added by vfiohook tests/vm/setup.sh (QEMU 10 with igb for the VM test tier)\n%s\n' "$stanza" >"$bpo_file"
	rm -f "$vmdir/.stamp-apt-update"
}

# --- 2. packages --------------------------------------------------------------------
host_pkgs="libxml2-utils busybox-static cpio kmod iproute2 pciutils jq xz-utils zstd build-essential bc flex bison libelf-dev"
# No libvirt-daemon-system: it pulls in systemd units, the default NAT network and
# polkit, none of which the guest uses; libvirtd runs as root with defaults.
libvirt_pkgs="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients"
libvirt_bpo_extra="libvirt-daemon-driver-network libvirt-daemon-driver-nodedev libvirt-daemon-log"

pkg_version() { dpkg-query -W -f '${db:Status-Status} ${Version}\n' "$1" 2>/dev/null | awk '$1 == "installed" { print $2 }'; }

packages_ok() {
	for p in $host_pkgs $libvirt_pkgs qemu-system-x86; do
		[ -n "$(pkg_version "$p")" ] || return 1
	done
	case $(pkg_version qemu-system-x86) in 1:10.*|1:1[1-9].*) ;; *) return 1 ;; esac
	lv=$(pkg_version libvirt-daemon)
	case $libvirt_src in
	backports) case $lv in *bpo*) ;; *) return 1 ;; esac ;;
	main) case $lv in *bpo*) return 1 ;; esac ;;
	esac
	return 0
}

install_packages() {
	if [ ! -f "$vmdir/.stamp-apt-update" ] || ! apt-cache policy qemu-system-x86 | grep -q bookworm-backports; then
		say "apt-get update"
		$apt update >&2
		touch "$vmdir/.stamp-apt-update"
	fi
	if [ "$libvirt_src" = backports ]; then
		lv_target="-t bookworm-backports"
	else
		# Pin libvirt explicitly to the bookworm version so a switch back from
		# backports downgrades it.
		lv_ver=$(apt-cache madison libvirt-daemon | awk -F"|" '$2 !~ /bpo/ && $3 ~ / bookworm\/main / { gsub(/ /, "", $2); print $2; exit }')
		[ -n "$lv_ver" ] || die "cannot find libvirt-daemon in bookworm main"
		lv_target=
	fi
	# A policy-rc.d that exits 101 keeps the package scripts from starting libvirtd,
	# virtlogd etc. on the host: only the guest runs them. Keep an existing one.
	prc=/usr/sbin/policy-rc.d prc_ours=
	if [ ! -e "$prc" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$prc"; chmod 755 "$prc"; prc_ours=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	rc=0
	$apt install --no-install-recommends $host_pkgs >&2 || rc=$?
	[ $rc = 0 ] && { $apt install --no-install-recommends -t bookworm-backports qemu-system-x86 qemu-utils >&2 || rc=$?; }
	if [ $rc = 0 ]; then
		if [ -n "$lv_target" ]; then
			$apt install --no-install-recommends $lv_target $libvirt_pkgs $libvirt_bpo_extra >&2 || rc=$?
		else
			# Coming back from backports: apt will not downgrade libvirt0 and friends
			# through '=' dependencies, so remove the backports libvirt packages first
			# (configuration files stay).
			bpo_installed=$(dpkg-query -W -f '${db:Status-Status} ${Package} ${Version}\n' 'libvirt*' 2>/dev/null |
				awk '$1 == "installed" && $3 ~ /bpo/ { print $2 }')
			if [ -n "$bpo_installed" ]; then
				say "removing backports libvirt packages:" $bpo_installed
				$apt remove $bpo_installed >&2 || rc=$?
			fi
			pins=
			for p in $libvirt_pkgs; do
				pins="$pins $p=$lv_ver"
			done
			$apt install --no-install-recommends --allow-downgrades $pins >&2 || rc=$?
		fi
	fi
	[ -n "$prc_ours" ] && rm -f "$prc"
	[ $rc = 0 ] || die "apt-get install failed"
}

if [ "${VFH_SKIP_APT:-0}" != 1 ]; then
	add_backports
	if packages_ok; then
		say "packages already installed"
	else
		install_packages
		packages_ok || die "packages still not as required after install (qemu-system-x86 must be 10.x; libvirt from $libvirt_src)"
	fi
fi
say "step packages done ($(($(date +%s) - t0)) s)"

# --- 3. guest kernel: the current bookworm ABI, unpacked into the build dir ---------------
# The ABI (6.1.0-N) is derived each time from what linux-image-amd64 depends on, because old
# ABIs leave the archive. Backports' 6.12 has priority 100, so this is bookworm's candidate.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
if [ -z "$kpkg" ]; then
	# offline: reuse what an earlier run unpacked
	[ -f "$vmdir/kernel.env" ] || die "cannot derive the guest kernel from linux-image-amd64 (apt lists missing?)"
	. "$vmdir/kernel.env"
	kpkg=linux-image-$VFH_KVER
	say "apt lists unavailable; keeping kernel $VFH_KVER"
fi
kver=${kpkg#linux-image-}
kdir=$vmdir/kernel-$kver
root=$kdir/root
debs=$kdir/debs

if [ ! -f "$kdir/.stamp-unpacked" ]; then
	kdeb_ver=$(apt-cache policy "$kpkg" | awk '$1 == "Candidate:" { print $2 }')
	[ -n "$kdeb_ver" ] && [ "$kdeb_ver" != "(none)" ] || die "no candidate version for $kpkg"
	hpkg=linux-headers-$kver
	# the headers' own linux-* dependencies: -common and linux-kbuild-6.1
	hdeps=$(apt-cache depends "$hpkg=$kdeb_ver" | awk '$1 == "Depends:" && $2 ~ /^linux-(headers|kbuild)-/ { print $2 }' | tr '\n' ' ')
	srcpkg=linux-source-${kver%%.0-*}
	say "downloading $kpkg $hpkg $hdeps $srcpkg ($kdeb_ver)"
	rm -rf "$kdir"; mkdir -p "$debs"
	pkgs="$kpkg=$kdeb_ver $hpkg=$kdeb_ver $srcpkg=$kdeb_ver"
	for d in $hdeps; do pkgs="$pkgs $d=$kdeb_ver"; done
	# apt-get download cannot drop to _apt in a root-only dir: download unsandboxed
	(cd "$debs" && apt-get -q -o APT::Sandbox::User=root download $pkgs >&2) || die "apt-get download failed"
	for f in "$debs"/*.deb; do
		case $f in */linux-source-*) dpkg -x "$f" "$kdir/src-deb" ;; *) dpkg -x "$f" "$root" ;; esac
	done
	# The arch headers' Makefile includes the -common tree by absolute path; point it at ours.
	hdir=$root/usr/src/linux-headers-$kver
	common=$(sed -n 's#^include /usr/src/\(linux-headers-[^/]*\)/Makefile$#\1#p' "$hdir/Makefile")
	[ -n "$common" ] || die "unexpected $hdir/Makefile"
	printf 'include %s/usr/src/%s/Makefile\n' "$root" "$common" >"$hdir/Makefile"
	tarball=$(ls "$kdir"/src-deb/usr/src/linux-source-*.tar.xz)
	topdir=$(basename "$tarball" .tar.xz)
	say "extracting netdevsim and mtty sources"
	mkdir -p "$kdir/src"
	tar -xJf "$tarball" -C "$kdir/src" "$topdir/drivers/net/netdevsim" "$topdir/samples/vfio-mdev/mtty.c"
	rm -rf "$kdir/src-deb" "$debs"
	printf 'VFH_KVER=%s\nVFH_KDEB_VER=%s\nVFH_KSRC=%s\n' "$kver" "$kdeb_ver" "$kdir/src/$topdir" >"$kdir/kernel.env"
	touch "$kdir/.stamp-unpacked"
fi
. "$kdir/kernel.env"
hdir=$root/usr/src/linux-headers-$kver
moddir=$root/lib/modules/$kver
# an older ABI left behind by a kernel update is ~600 MB; drop it
for old in "$vmdir"/kernel-*; do
	[ -d "$old" ] && [ "$old" != "$kdir" ] && { say "removing old $old"; rm -rf "$old"; }
done

# --- 4. out-of-tree modules: netdevsim (not built in Debian) and the mtty mdev sample -------
if [ ! -f "$kdir/.stamp-modules" ]; then
	rm -rf "$kdir/oot"; mkdir -p "$kdir/oot/mtty"
	cp -r "$VFH_KSRC/drivers/net/netdevsim" "$kdir/oot/netdevsim"
	cp "$VFH_KSRC/samples/vfio-mdev/mtty.c" "$kdir/oot/mtty/"
	echo 'obj-m := mtty.o' >"$kdir/oot/mtty/Kbuild"
	say "building netdevsim.ko and mtty.ko"
	make -s -C "$hdir" M="$kdir/oot/netdevsim" CONFIG_NETDEVSIM=m -j"$(nproc)" modules >&2 2>"$kdir/oot/build.log" ||
		{ cat "$kdir/oot/build.log" >&2; die "building netdevsim failed"; }
	make -s -C "$hdir" M="$kdir/oot/mtty" -j"$(nproc)" modules >&2 2>>"$kdir/oot/build.log" ||
		{ cat "$kdir/oot/build.log" >&2; die "building mtty failed"; }
	mkdir -p "$moddir/updates"
	cp "$kdir/oot/netdevsim/netdevsim.ko" "$kdir/oot/mtty/mtty.ko" "$moddir/updates/"
	# the unpacked build symlink points at the host's /usr/src; keep it inside our tree
	ln -sfn "../../../usr/src/linux-headers-$kver" "$moddir/build"
	depmod -b "$root" "$kver" || die "depmod failed"
	touch "$kdir/.stamp-modules"
fi

# --- 5. uncompressed ELF vmlinux: PVH boot skips 7 s of in-guest xz under TCG --------------
if [ ! -s "$kdir/vmlinux" ]; then
	say "extracting vmlinux"
	sh "$here/extract-vmlinux.sh" "$root/boot/vmlinuz-$kver" >"$kdir/vmlinux.tmp" || die "extract-vmlinux failed"
	mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
fi

# --- 6. initramfs: static busybox + the modules needed to reach the 9p root -----------------
initrd_mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p overlay"
initrd_sum=$(cat "$0" "$here/initramfs-init.sh" /bin/busybox "$moddir/modules.dep" | md5sum | cut -d' ' -f1)
if [ "$(cat "$kdir/.stamp-initramfs" 2>/dev/null)" != "$initrd_sum" ]; then
	say "building initramfs"
	ir=$kdir/initramfs.d
	rm -rf "$ir"; mkdir -p "$ir/bin" "$ir/modules"
	cp /bin/busybox "$ir/bin/busybox"
	cp "$here/initramfs-init.sh" "$ir/init"; chmod 755 "$ir/init"
	: >"$ir/modules/order"
	for m in $initrd_mods; do
		# modules.dep spells names with - or _ as built; compare with _ only
		path=$(awk -F: -v m="$m" '{ n = split($1, p, "/"); f = p[n]; sub(/\.ko(\.[a-z]+)?$/, "", f); gsub(/-/, "_", f); if (f == m) { print $1; exit } }' "$moddir/modules.dep")
		if [ -z "$path" ]; then
			tr - _ <"$moddir/modules.builtin" | grep -q "/$m.ko\$" || die "module $m not found"
			continue
		fi
		cp "$moddir/$path" "$ir/modules/"
		echo "${path##*/}" >>"$ir/modules/order"
	done
	(cd "$ir" && find . | cpio -o -H newc --quiet) >"$kdir/initramfs.cpio.tmp"
	mv "$kdir/initramfs.cpio.tmp" "$kdir/initramfs.cpio"
	echo "$initrd_sum" >"$kdir/.stamp-initramfs"
fi

# --- 7. what run-vm.sh reads ------------------------------------------------------------
cat >"$vmdir/kernel.env.tmp" <<EOT
VFH_KVER=$kver
VFH_KDEB_VER=$VFH_KDEB_VER
VFH_VMLINUX=$kdir/vmlinux
VFH_INITRD=$kdir/initramfs.cpio
VFH_MODDIR=$moddir
VFH_LIBVIRT_SRC=$libvirt_src
EOT
mv "$vmdir/kernel.env.tmp" "$vmdir/kernel.env"
say "kernel $kver ready ($(($(date +%s) - t0)) s)"

# --- 8. libvirt's QEMU capabilities cache, probed once in a guest --------------------------
if [ "${VFH_NO_CAPS:-0}" != 1 ] && command -v libvirtd >/dev/null; then
	key=$(libvirtd --version | sed 's/.* //')-$(stat -c %Y /usr/bin/qemu-system-x86_64)-$(stat -c %Z /usr/sbin/libvirtd)
	# a reinstall changes libvirtd's ctime, so caches under other keys are dead
	for old in "$vmdir"/libvirt-caps/*; do
		[ -d "$old" ] && [ "${old##*/}" != "$key" ] && rm -rf "$old"
	done
	if [ ! -d "$vmdir/libvirt-caps/$key" ]; then
		say "probing QEMU capabilities with libvirtd $key in a guest (once)"
		VFH_VM_DIR=$vmdir "$here/run-vm.sh" -m 2048 -t 300 -- /bin/sh "$here/seed-libvirt-caps.sh" >&2 ||
			say "warning: could not pre-seed the capabilities cache; libvirt tests will start libvirtd slower"
	fi
fi
say "done ($(($(date +%s) - t0)) s)"
