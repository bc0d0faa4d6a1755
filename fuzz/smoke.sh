#!/bin/bash
# Fuzz smoke run for CI: each target runs for a bounded time from a corpus seeded with the
# fixtures and examples (XML), fuzz/corpus/journal, and the netlink recordings. Any crash, leak,
# sanitizer report or timeout fails the run.
#   fuzz/smoke.sh BUILD_DIR [SECONDS_PER_TARGET]
set -uo pipefail

build=$(cd "$1" && pwd) || exit 1
seconds=${2:-15}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

seed() {
  local corpus=$1
  shift
  mkdir -p "$corpus"
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$corpus/$(echo "$f" | tr / _)"
  done
}

for target in domain network networkport document journal netlink; do
  bin=$build/fuzz/fuzz_$target
  if [ ! -x "$bin" ]; then
    echo "fuzz smoke: $bin missing (configure with CC=clang -DVFH_FUZZ=ON)" >&2
    exit 1
  fi
  corpus=$work/$target
  case $target in
  domain) seed "$corpus" "$top"/tests/fixtures/xml/domain/*.xml "$top"/tests/fixtures/xml/hostile/*.xml "$top"/tests/fixtures/xml/libvirt-*/qemu-*.xml "$top"/examples/domain-*.xml ;;
  network) seed "$corpus" "$top"/tests/fixtures/xml/network/pool-*.xml "$top"/tests/fixtures/xml/network/networkstatus.xml "$top"/tests/fixtures/xml/networks/*/*.xml "$top"/examples/sriov-pool.xml ;;
  networkport) seed "$corpus" "$top"/tests/fixtures/xml/network/networkport.xml "$top"/tests/fixtures/xml/network/hookdata-port.xml ;;
  document) seed "$corpus" "$top"/tests/fixtures/xml/*/*.xml "$top"/tests/fixtures/xml/networks/*/*.xml "$top"/examples/*.xml ;;
  journal) seed "$corpus" "$top"/fuzz/corpus/journal/* ;;
  netlink) python3 "$top/fuzz/netlink-seeds.py" "$corpus" || exit 1 ;;
  esac
  dict=()
  case $target in
  journal | netlink) ;;
  *) dict=(-dict="$top/fuzz/xml.dict") ;;
  esac
  echo "fuzz smoke: $target for ${seconds}s ($(ls "$corpus" | wc -l) seeds)"
  (cd "$work" && ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 "${dict[@]}" -print_final_stats=1 \
    "$corpus" >"$work/$target.log" 2>&1)
  rc=$?
  if ((rc != 0)); then
    echo "fuzz smoke: $target FAILED (exit $rc); its log:" >&2
    tail -50 "$work/$target.log" >&2
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$work/$target.log" | sed 's/^/  /'
  fi
done
exit $status
