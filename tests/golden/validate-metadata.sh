#!/bin/bash
# Checks our urn:x-vfiohook:1 metadata against xml-templates/vfiohook-metadata.rng:
#  - every block in examples/ and xml-templates/ (and the valid fixtures) validates, and every
#    example carries one;
#  - the fixtures that break the schema are rejected by it (so the schema really checks);
#  - with virt-xml-validate installed (libvirt-clients), every example is a valid libvirt
#    document as a whole.
#   validate-metadata.sh SRC_DIR
set -uo pipefail

src=$1
rng=$src/xml-templates/vfiohook-metadata.rng
ours="//*[namespace-uri()='urn:x-vfiohook:1' and namespace-uri(..)!='urn:x-vfiohook:1']"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
  echo "FAIL: $*" >&2
  failed=1
}

# Validates each of FILE's metadata blocks on its own; prints how many there were.
validate_blocks() {
  local file=$1 n i
  n=$(xmllint --xpath "count($ours)" "$file") || return 2
  for ((i = 1; i <= n; i++)); do
    xmllint --xpath "($ours)[$i]" "$file" >"$tmp/block.xml" || return 2
    xmllint --noout --relaxng "$rng" "$tmp/block.xml" 2>"$tmp/err" || {
      cat "$tmp/err" >&2
      return 1
    }
  done
  echo "$n"
}

xmllint --noout "$rng" || fail "$rng is not well-formed"

for f in "$src"/examples/*.xml "$src"/xml-templates/*.xml; do
  n=$(validate_blocks "$f") || {
    fail "$f: metadata does not validate against the schema"
    continue
  }
  if [[ $f == */examples/* ]] && ((n == 0)); then
    fail "$f: an example without vfiohook metadata"
  fi
  echo "ok: $f ($n block(s))"
done

for f in "$src"/tests/fixtures/xml/domain/*.xml "$src"/tests/fixtures/xml/network/*.xml; do
  validate_blocks "$f" >/dev/null || fail "$f: valid fixture rejected by the schema"
done

for name in invalid-mac unknown-element unknown-attribute bad-toggle mac-and-alias bad-address \
  mdev-parent; do
  f=$src/tests/fixtures/xml/hostile/metadata-$name.xml
  if validate_blocks "$f" >/dev/null 2>&1; then
    fail "$f: the schema accepts it"
  else
    echo "ok: schema rejects metadata-$name"
  fi
done

if command -v virt-xml-validate >/dev/null; then
  for f in "$src"/examples/*.xml; do
    virt-xml-validate "$f" >/dev/null 2>"$tmp/err" || {
      cat "$tmp/err" >&2
      fail "$f: virt-xml-validate rejects it"
    }
  done
  echo "ok: virt-xml-validate accepts every example"
elif [ "${CI:-}" = true ]; then
  fail "virt-xml-validate (libvirt-clients, scripts/install-deps.sh) is missing; CI must check the examples"
else
  echo "note: virt-xml-validate (libvirt-clients) not installed; whole-document check skipped"
fi
exit $failed
