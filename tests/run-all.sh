#!/bin/bash
# The README's test command: installs what the tests need, builds, and runs every tier.
#   tests/run-all.sh            all tiers: format, unit (ASan+UBSan), fuzz smoke, VM
#   tests/run-all.sh unit       only the fast tiers (no VM)
#   tests/run-all.sh vm         only the VM tier
# With CI=true a VM test that cannot boot or finds no IOMMU/igb fails instead of skipping.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
what=${1:-all}
jobs=$(nproc)
status=0

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh
if [ "$what" != unit ] && [ -x tests/vm/setup.sh ]; then
  tests/vm/setup.sh
fi

if [ "$what" != vm ]; then
  step "format (clang-format)"
  mapfile -t sources < <(git ls-files '*.c' '*.h' 2>/dev/null || find include lib tools hooks tests fuzz bench -name '*.[ch]')
  clang-format --dry-run -Werror "${sources[@]}"

  step "build (release, -Werror)"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$jobs"

  step "build (ASan + UBSan)"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVFH_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"

  step "unit tier (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -L unit --output-on-failure -j"$jobs" || status=1

  if [ -f fuzz/CMakeLists.txt ]; then
    step "fuzz smoke (libFuzzer, clang)"
    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DVFH_FUZZ=ON -DVFH_TESTS=OFF >/dev/null
    cmake --build build-fuzz -j"$jobs"
    fuzz/smoke.sh build-fuzz || status=1
  fi
fi

if [ "$what" != unit ] && [ -f tests/vm/CMakeLists.txt ]; then
  step "VM tier (real kernel under QEMU)"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$jobs"
  # vm/fault-hooks runs the sanitizer build's hooks, which have the fault-injection seam
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVFH_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  tests/vm-tier.sh build || status=1
fi

if ((status)); then
  step "FAILED"
else
  step "all tiers passed"
fi
exit $status
