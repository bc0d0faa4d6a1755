#!/bin/sh
# Scale benchmark on synthetic hosts (docs/PERFORMANCE.md): for 128, 256, 512 and 1024 PCI
# functions (a quarter VFs), the wall time of `vfiohookctl list`, `list --json`, `plan` of an
# 8-device domain and `doctor`, and each one's sysfs reads from the library's own counters.
#   bench/run.sh BUILD_DIR [SIZES...]        (BUILD_DIR: configured with the bench targets)
# Environment: BENCH_RUNS (timed runs per figure, default 5), BENCH_PROCS and BENCH_FDS (the
# synthetic /proc: processes and open files each, default 300 and 24), BENCH_WORK (where the
# sysroots go, default BUILD_DIR/bench-sysroots).
set -eu
B=$(cd "${1:?usage: bench/run.sh BUILD_DIR [SIZES...]}" && pwd)
shift
SIZES=${*:-128 256 512 1024}
HERE=$(cd "${0%/*}" && pwd)
RUNS=${BENCH_RUNS:-5}
WORK=${BENCH_WORK:-$B/bench-sysroots}
GEN=$B/bench/bench-gen-sysroot
TIMEIT=$B/bench/bench-timeit
PROBED=$B/bench/bench-vfiohookctl
CTL=$B/vfiohookctl
for f in "$GEN" "$TIMEIT" "$PROBED" "$CTL"; do
	[ -x "$f" ] || { echo "bench/run.sh: $f is not built" >&2; exit 1; }
done
mkdir -p "$WORK"
REPORT=$WORK/probe.out

# probe_of CMD...: the probed binary's report line for one run
probe_of() {
	: >"$REPORT"
	VFH_BENCH_REPORT=$REPORT "$PROBED" "$@" >/dev/null || true
	cat "$REPORT"
}
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
median() { sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'; }

echo "# scale: $(uname -r), $(nproc) CPUs, $RUNS runs per figure, /proc: ${BENCH_PROCS:-300} processes x ${BENCH_FDS:-24} fds"
printf '%-6s %-10s %10s %10s %12s %12s %10s\n' size command median_ms min_ms sysfs_reads syscalls own_cpu_ms
for n in $SIZES; do
	root=$WORK/h$n
	rm -rf "$root"
	"$GEN" --procs "${BENCH_PROCS:-300}" --fds "${BENCH_FDS:-24}" "$root" "$n" >/dev/null
	for cmd in list list-json plan doctor; do
		case $cmd in
		list) set -- list ;;
		list-json) set -- list --json ;;
		plan) set -- plan --xml "$HERE/plan8.xml" ;;
		doctor) set -- doctor ;;
		esac
		# doctor exits 1 on a synthetic host (no hooks installed, no vfio module): time it anyway
		if [ $cmd = doctor ]; then
			t=$("$TIMEIT" -n "$RUNS" -w 1 -- sh -c '"$@" || [ $? = 1 ]' sh "$CTL" --sysroot "$root" "$@")
		else
			t=$("$TIMEIT" -n "$RUNS" -w 1 -- "$CTL" --sysroot "$root" "$@")
		fi
		p=$(probe_of --sysroot "$root" "$@")
		printf '%-6s %-10s %10s %10s %12s %12s %10s\n' "$n" "$cmd" "$(echo "$t" | median)" \
			"$(echo "$t" | sed -n 's/^min \([0-9.]*\) ms.*/\1/p')" "$(field sysfs_reads "$p")" \
			"$(field syscalls "$p")" "$(awk -v u="$(field own_cpu_us "$p")" 'BEGIN { printf "%.1f", u / 1000 }')"
	done
done
