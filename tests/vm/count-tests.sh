#!/bin/sh
# Checks that every registered VM test really ran to a result, from the marker each
# t-*.sh writes (lib.sh) into <build>/tests/vm/results/<name>: "pass|skip|fail RC TIME".
#
#   tests/vm/count-tests.sh BUILD_DIR --reset   # before ctest: forget earlier results
#   ctest --test-dir BUILD_DIR -L vm -j2
#   tests/vm/count-tests.sh BUILD_DIR           # after: 0 only if all registered tests passed
#
# Registered means listed by `ctest -N -L vm` in BUILD_DIR. A test without a marker
# never started (or ctest killed it before it wrote one). Under CI=true a skip is a
# failure; otherwise skips are reported and allowed. Prints one line per test.
set -u
build=${1:?usage: count-tests.sh BUILD_DIR [--reset]}
results=$build/tests/vm/results

if [ "${2:-}" = --reset ]; then
	rm -rf "$results"
	exit 0
fi
names=$(ctest --test-dir "$build" -N -L vm | sed -n 's#^ *Test *\#[0-9]*: vm/##p')
registered=$(echo "$names" | grep -c .)
[ "$registered" -gt 0 ] || { echo "count-tests: no VM test registered in $build" >&2; exit 1; }

pass=0 skip=0 fail=0 missing=0
for n in $names; do
	r=$(cat "$results/$n" 2>/dev/null || echo missing)
	case $r in
	pass*) pass=$((pass + 1)) ;;
	skip*) skip=$((skip + 1)) ;;
	missing) missing=$((missing + 1)) ;;
	*) fail=$((fail + 1)) ;;  # fail, or "started": the test was killed mid-run
	esac
	printf '  vm/%-24s %s\n' "$n" "$r"
done
echo "count-tests: $registered registered, $pass passed, $skip skipped, $fail failed or unfinished, $missing never ran"
[ $fail = 0 ] && [ $missing = 0 ] || exit 1
if [ $skip != 0 ] && [ "${CI:-}" = true ]; then
	echo "count-tests: CI=true and $skip VM test(s) skipped" >&2
	exit 1
fi
exit 0
