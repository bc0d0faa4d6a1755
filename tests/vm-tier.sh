#!/bin/bash
# Runs the VM tier of a build directory and checks that every registered VM test really ran:
# a skipped or missing test is a failure under CI=true.
set -euo pipefail

build=${1:?usage: vm-tier.sh BUILD_DIR}
# Each VM runs with -smp 1 under TCG, so the cores are the parallelism.
jobs=${VFH_VM_JOBS:-$(nproc)}
# ctest resolves a relative --output-junit against the build dir, so make it absolute.
junit="$(cd "$build" && pwd)/vm-junit.xml"

registered=$(ctest --test-dir "$build" -N -L vm | sed -n 's/^Total Tests: *//p')
if [ "${registered:-0}" -eq 0 ]; then
  echo "vm-tier: no VM test is registered in $build" >&2
  exit 1
fi

rc=0
ctest --test-dir "$build" -L vm -j"$jobs" --output-on-failure --output-junit "$junit" || rc=$?

ran=$(grep -o '<testcase ' "$junit" | wc -l)
skipped=$(grep -c 'status="notrun"\|<skipped' "$junit" || true)
echo "vm-tier: $registered registered, $ran ran, $skipped skipped"
if [ "$ran" -ne "$registered" ]; then
  echo "vm-tier: fewer VM tests ran than are registered" >&2
  rc=1
fi
if [ "${CI:-}" = true ] && [ "$skipped" -ne 0 ]; then
  echo "vm-tier: under CI=true no VM test may be skipped" >&2
  rc=1
fi
exit $rc
