#!/bin/bash
# Installs the build into a scratch DESTDIR with prefix /usr and checks the documented layout
# (vfiohookctl(8) FILES): the hooks at their absolute paths whatever the prefix, a site's own
# /etc/libvirt/hooks/qemu untouched, the config installed only when absent, a second install
# harmless, the installed CLI reading the installed config, the man pages clean under groff,
# and the uninstall script removing everything but the config.
#   check-install.sh BUILD_DIR SRC_DIR
set -uo pipefail

build=$1 src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
failed=0
fail() {
  echo "FAIL: $*" >&2
  failed=1
}
ok() { echo "ok: $*"; }

install_once() {
  DESTDIR=$dest cmake --install "$build" --prefix /usr >"$dest.log" 2>&1 || {
    cat "$dest.log" >&2
    fail "cmake --install failed"
  }
  rm -f "$dest.log"
}

# a site's own hook, which must survive
mkdir -p "$dest/etc/libvirt/hooks"
printf '#!/bin/sh\nexit 0\n' >"$dest/etc/libvirt/hooks/qemu"
chmod 755 "$dest/etc/libvirt/hooks/qemu"
site_sum=$(sha256sum <"$dest/etc/libvirt/hooks/qemu")

install_once
expected=(
  etc/libvirt/hooks/qemu.d/vfiohook
  etc/libvirt/hooks/network.d/vfiohook
  usr/libexec/vfiohook/qemu-hook
  etc/vfiohook/vfiohook.conf
  usr/sbin/vfiohookctl
  usr/include/vfiohook.h
  usr/lib/systemd/system/vfiohook-recover.service
  usr/lib/systemd/system/vfiohook-sriov@.service
  usr/share/bash-completion/completions/vfiohookctl
  usr/share/man/man8/vfiohookctl.8
)
for f in "${expected[@]}"; do
  [ -e "$dest/$f" ] && ok "$f" || fail "$f is not installed"
done
for m in man7/vfiohook.7 man5/vfiohook.conf.5 man5/vfiohook-metadata.5; do
  if [ -e "$src/contrib/man/${m#*/}" ]; then
    [ -e "$dest/usr/share/man/$m" ] && ok "usr/share/man/$m" || fail "usr/share/man/$m is not installed"
  fi
done
for f in etc/libvirt/hooks/qemu.d/vfiohook etc/libvirt/hooks/network.d/vfiohook \
  usr/libexec/vfiohook/qemu-hook usr/sbin/vfiohookctl; do
  [ -x "$dest/$f" ] || fail "$f is not executable"
done
ls "$dest"/usr/lib*/libvfiohook.so.0 >/dev/null 2>&1 && ok "libvfiohook.so.0" || fail "no libvfiohook.so.0"
ls "$dest"/usr/lib*/pkgconfig/vfiohook.pc >/dev/null 2>&1 && ok "vfiohook.pc" || fail "no vfiohook.pc"
# the hooks link our library statically: libvirtd's environment has no library path for it
for h in etc/libvirt/hooks/network.d/vfiohook usr/libexec/vfiohook/qemu-hook; do
  if ldd "$dest/$h" 2>/dev/null | grep -q libvfiohook; then
    fail "/$h needs libvfiohook.so at run time"
  fi
done
# the qemu hook libvirt runs is the libc-only front, and it execs the installed worker
front_libs=$(ldd "$dest/etc/libvirt/hooks/qemu.d/vfiohook" 2>/dev/null | grep -cE 'libxml2|libnl|libpci')
[ "$front_libs" = 0 ] && ok "the qemu hook front maps none of the library's dependencies" ||
  fail "the qemu hook front links libxml2, libnl or libpci"
grep -qa "^/usr/libexec/vfiohook/qemu-hook\$" <(strings "$dest/etc/libvirt/hooks/qemu.d/vfiohook") &&
  ok "the qemu hook front execs /usr/libexec/vfiohook/qemu-hook" ||
  fail "the qemu hook front does not name /usr/libexec/vfiohook/qemu-hook"
[ "$(sha256sum <"$dest/etc/libvirt/hooks/qemu")" = "$site_sum" ] && ok "the site's hooks/qemu is untouched" ||
  fail "the site's /etc/libvirt/hooks/qemu changed"
grep -q "ExecStart=/usr/sbin/vfiohookctl recover" "$dest/usr/lib/systemd/system/vfiohook-recover.service" &&
  ok "the recover unit runs the installed CLI" || fail "the recover unit does not name /usr/sbin/vfiohookctl"
grep -q "^# /etc/vfiohook/vfiohook.conf" "$dest/etc/vfiohook/vfiohook.conf" || fail "the config is not the example"

# the installed CLI parses the installed example (every line commented, yet it must parse)
if "$build/vfiohookctl" --config "$dest/etc/vfiohook/vfiohook.conf" --run-dir "$dest/run/vfiohook" \
  status >/dev/null; then
  ok "the example config parses"
else
  fail "vfiohookctl rejects the example config"
fi
if bash -n "$dest/usr/share/bash-completion/completions/vfiohookctl"; then
  ok "bash completion parses"
else
  fail "bash completion has a syntax error"
fi

# the admin's config survives a reinstall; a second install changes nothing else
echo "deny = 0000:00:1f.2" >>"$dest/etc/vfiohook/vfiohook.conf"
conf_sum=$(sha256sum <"$dest/etc/vfiohook/vfiohook.conf")
before=$(cd "$dest" && find . | sort)
install_once
[ "$(sha256sum <"$dest/etc/vfiohook/vfiohook.conf")" = "$conf_sum" ] && ok "reinstall keeps the edited config" ||
  fail "reinstall replaced the admin's config"
[ "$(cd "$dest" && find . | sort)" = "$before" ] && ok "installing twice gives the same tree" ||
  fail "a second install changed the tree"

# man pages: no groff warnings
if command -v groff >/dev/null; then
  for page in "$src"/contrib/man/*.[1-8]; do
    warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 "$page" 2>&1 >/dev/null)
    [ -z "$warnings" ] && ok "man ${page##*/} is clean" || fail "man ${page##*/}: $warnings"
  done
else
  echo "note: groff not installed; man page check skipped"
fi

# uninstall: everything from the manifest but the config
DESTDIR=$dest cmake -DMANIFEST="$build/install_manifest.txt" -P "$src/contrib/uninstall.cmake" >/dev/null ||
  fail "uninstall failed"
left=$(cd "$dest" && find . -type f | sort)
want=$(printf '%s\n' ./etc/libvirt/hooks/qemu ./etc/vfiohook/vfiohook.conf)
[ "$left" = "$want" ] && ok "uninstall leaves only the site's hook and the config" ||
  fail "after uninstall: $(echo "$left" | tr '\n' ' ')"
exit $failed
