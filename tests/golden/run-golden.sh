#!/bin/bash
# One golden CLI case: runs vfiohookctl with the case's arguments and compares exit status,
# stdout and stderr with tests/golden/expected/NAME.out. VFH_GOLDEN_UPDATE=1 rewrites the file.
#   run-golden.sh VFIOHOOKCTL SRC_DIR NAME [ARG...]
# Placeholders in ARGs:
#   @PARSE@          --sysroot <fixtures> parse --network-dir /networks/run --network-dir /networks/etc
#   @FIX@            the fixture directory tests/fixtures/xml (inside an argument)
#   @SRC@            the source tree (inside an argument)
#   @GEN:oversize@   a generated file one byte over the 1 MiB limit
#   @GEN:deep@       a generated domain nested 10000 elements deep
#   @GEN:attributes@ a generated domain whose root has 100000 attributes
#   @STDIN:REL@      feeds fixtures/REL on stdin
set -uo pipefail

ctl=$1 src=$2 name=$3
shift 3
fix=$src/tests/fixtures/xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen_oversize() {
  printf '<domain>\n<name>big</name>\n<!--'
  head -c $((1024 * 1024)) /dev/zero | tr '\0' 'x'
  printf -- '-->\n</domain>\n'
}

gen_deep() {
  printf '<domain>'
  for ((i = 0; i < 10000; i++)); do printf '<a>'; done
  for ((i = 0; i < 10000; i++)); do printf '</a>'; done
  printf '</domain>\n'
}

gen_attributes() {
  printf '<domain\n'
  for ((i = 0; i < 100000; i++)); do printf ' a%d=""' $i; done
  printf '>\n<name>wide</name>\n</domain>\n'
}

stdin=/dev/null
args=()
for a in "$@"; do
  case $a in
  @PARSE@) args+=(--sysroot "$fix" parse --network-dir /networks/run --network-dir /networks/etc) ;;
  @GEN:oversize@) gen_oversize >"$tmp/in.xml" && args+=("$tmp/in.xml") ;;
  @GEN:deep@) gen_deep >"$tmp/in.xml" && args+=("$tmp/in.xml") ;;
  @GEN:attributes@) gen_attributes >"$tmp/in.xml" && args+=("$tmp/in.xml") ;;
  @STDIN:*@) stdin=${a#@STDIN:} && stdin=$fix/${stdin%@} ;;
  *)
    a=${a//@FIX@/$fix}
    args+=("${a//@SRC@/$src}")
    ;;
  esac
done

"$ctl" "${args[@]}" <"$stdin" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
{
  echo "exit $rc"
  echo "--- stdout"
  cat "$tmp/stdout"
  echo "--- stderr"
  cat "$tmp/stderr"
} | sed -e "s#$tmp#@TMP@#g" -e "s#$src#@SRC@#g" >"$tmp/actual"

# Every --json answer must be one valid JSON object with "version": 1 and a "kind".
if [ $rc = 0 ] && [[ " ${args[*]} " == *" --json "* ]]; then
  if ! jq -e '.version == 1 and (.kind | type == "string")' "$tmp/stdout" >/dev/null; then
    echo "golden $name: --json output is not a version-1 JSON object with a kind" >&2
    exit 1
  fi
fi

expected=$src/tests/golden/expected/$name.out
if [ "${VFH_GOLDEN_UPDATE:-}" = 1 ]; then
  cp "$tmp/actual" "$expected"
fi
if ! diff -u "$expected" "$tmp/actual"; then
  echo "golden $name: output differs from tests/golden/expected/$name.out" >&2
  exit 1
fi
