#!/bin/sh
# Prints the uncompressed ELF vmlinux contained in a bzImage/vmlinuz.
# Same method as the kernel's scripts/extract-vmlinux: find each compression magic,
# try to decompress from there, keep the first result that is an ELF file.
set -u
img=${1:?usage: extract-vmlinux.sh VMLINUZ > vmlinux}
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT

is_elf() { [ "$(head -c 4 "$1" | tr -d '\177')" = ELF ] && [ "$(head -c 1 "$1" | od -An -tu1 | tr -d ' ')" = 127 ]; }

# $1 magic (printf escapes), $2 a marker string that cannot occur, $3 decompressor
try() {
	# Turn each magic into a line start so grep -b reports its byte offset.
	for pos in $(tr "$1\n$2" "\n$2=" <"$img" | grep -abo "^$2"); do
		pos=${pos%%:*}
		tail -c+"$pos" "$img" | $3 >"$tmp" 2>/dev/null
		if is_elf "$tmp"; then cat "$tmp"; exit 0; fi
	done
}

try '\3757zXZ\000' abcde 'xz -dc'
try '\050\265\057\375' xxx 'zstd -dc'
try '\037\213\010' xy 'gzip -dc'
echo "extract-vmlinux: no compressed ELF kernel found in $img" >&2
exit 1
