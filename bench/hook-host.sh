#!/bin/sh
# The qemu hook's own time on the host (docs/PERFORMANCE.md): prepare + start + release of an
# 8-device domain (bench/plan8.xml: two GPU+audio groups, two NICs, two USB controllers) on
# synthetic hosts whose kernel is the unit tier's model, one process per call as libvirt runs
# the hook. Prints the medians of the probe's figures per call and per cycle.
#   bench/hook-host.sh MODEL_BUILD_DIR [SIZES...]
# MODEL_BUILD_DIR is configured with -DCMAKE_C_FLAGS=-DVFH_TEST_BUILD=1 (the model's write hook)
# and without sanitizers. The sysroots go to tmpfs (BENCH_WORK, default /dev/shm/vfh-bench), as
# sysfs and /run are in memory on a real host. BENCH_RUNS cycles per size (default 7).
set -eu
B=$(cd "${1:?usage: bench/hook-host.sh MODEL_BUILD_DIR [SIZES...]}" && pwd)
shift
SIZES=${*:-128 1024}
HERE=$(cd "${0%/*}" && pwd)
RUNS=${BENCH_RUNS:-7}
WORK=${BENCH_WORK:-/dev/shm/vfh-bench}
MODEL=$B/bench/bench-hook-model
GEN=$B/bench/bench-gen-sysroot
for f in "$MODEL" "$GEN"; do
	[ -x "$f" ] || { echo "bench/hook-host.sh: $f is not built" >&2; exit 1; }
done
mkdir -p "$WORK"
REPORT=$WORK/probe.out

# med FIELD OP: the median of a probe field over the runs of one call (OP) or of the cycle
med() {
	awk -v f="$1" -v op="$2" '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) v = kv[2] }
		  if ($1 == op) print v
		  if (op == "cycle") { c[$2] += v; if ($1 == "release") print c[$2] } }' "$REPORT.all" |
		sort -n | awk '{ x[NR] = $1 } END { print x[int((NR + 1) / 2)] }'
}

echo "# hook on the host: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $RUNS cycles per size, medians in us"
printf '%-6s %-8s %9s %9s %9s %9s %9s %9s %9s %8s\n' size call wall own own_cpu fork_cpu \
	kernel child_wait lock_hold reads
for n in $SIZES; do
	root=$WORK/h$n
	rm -rf "$root"
	"$GEN" "$root" "$n" >/dev/null
	: >"$REPORT.all"
	r=0
	while [ $r -lt "$RUNS" ]; do
		for op in prepare start release; do
			: >"$REPORT"
			VFH_BENCH_REPORT=$REPORT "$MODEL" "$root" "$HERE/plan8.xml" $op
			echo "$op $r $(cat "$REPORT")" >>"$REPORT.all"
		done
		r=$((r + 1))
	done
	for op in prepare start release cycle; do
		printf '%-6s %-8s %9s %9s %9s %9s %9s %9s %9s %8s\n' "$n" $op "$(med wall_us $op)" \
			"$(med own_us $op)" "$(med own_cpu_us $op)" "$(med fork_cpu_us $op)" \
			"$(med kernel_us $op)" "$(med child_wait_us $op)" "$(med lock_hold_us $op)" \
			"$(med sysfs_reads $op)"
	done
done
