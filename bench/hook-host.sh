#!/bin/sh
# The qemu hook's own time on the host (docs/PERFORMANCE.md): prepare + start + release of an
# 8-device domain (bench/plan8.xml: two GPU+audio groups, two NICs, two USB controllers) on
# synthetic hosts whose kernel is the unit tier's model, one process per call as libvirt runs
# the hook. Prints the medians of the probe's figures per call and per cycle.
#   bench/hook-host.sh MODEL_BUILD_DIR [SIZES...]
# MODEL_BUILD_DIR is configured with -DCMAKE_C_FLAGS=-DVFH_TEST_BUILD=1 (the model's write hook)
# and without sanitizers. The sysroots go to tmpfs (BENCH_WORK, default /dev/shm/vfh-bench), as
# sysfs and /run are in memory on a real host. BENCH_RUNS cycles per size (default 7).
# VFH_BENCH_CLOCK=wall makes the probe time each call on the wall clock only (bench/probe.c):
# a lighter ruler, valid on a quiet host, for runs one after another.
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

echo "# hook on the host: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $RUNS cycles per size, medians in us, probe clock ${VFH_BENCH_CLOCK:-cpu}"
printf '%-6s %-8s %9s %9s %9s %9s %9s %9s %9s %8s %7s\n' size call wall own own_cpu fork_cpu \
	kernel child_wait lock_hold reads faults
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
		printf '%-6s %-8s %9s %9s %9s %9s %9s %9s %9s %8s %7s\n' "$n" $op "$(med wall_us $op)" \
			"$(med own_us $op)" "$(med own_cpu_us $op)" "$(med fork_cpu_us $op)" \
			"$(med kernel_us $op)" "$(med child_wait_us $op)" "$(med lock_hold_us $op)" \
			"$(med sysfs_reads $op)" "$(med page_faults $op)"
	done
done

# 8 calls on 8 disjoint groups, all at once and one after another (prepare, then release)
par_xml() { # N BUS SLOT FUNCTION
	cat <<-EOT
		<domain type='kvm'><name>par$1</name><uuid>6d90be00-0000-4000-8000-0000000001$1$1</uuid>
		<memory unit='MiB'>1024</memory><os><type arch='x86_64'>hvm</type></os><devices>
		<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000'
		 bus='$2' slot='$3' function='$4'/></source></hostdev></devices></domain>
	EOT
}
root=$WORK/h${SIZES%% *}
i=0
for a in "0x40 0x00 0x2" "0x40 0x00 0x4" "0x40 0x00 0x5" "0x40 0x01 0x2" "0x40 0x01 0x4" \
	"0x40 0x01 0x5" "0x40 0x02 0x2" "0x40 0x02 0x4"; do
	# shellcheck disable=SC2086 # three words
	par_xml $i $a >"$WORK/par$i.xml"
	i=$((i + 1))
done
phase() { # OP MODE -> wall us; the probe lines in $REPORT
	: >"$REPORT"
	_t0=$(date +%s%N)
	for _i in 0 1 2 3 4 5 6 7; do
		if [ "$2" = par ]; then
			VFH_BENCH_REPORT=$REPORT "$MODEL" "$root" "$WORK/par$_i.xml" "$1" &
		else
			VFH_BENCH_REPORT=$REPORT "$MODEL" "$root" "$WORK/par$_i.xml" "$1"
		fi
	done
	wait
	echo $((($(date +%s%N) - _t0) / 1000))
}
lock_summary() {
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2]
		if (kv[1] == "lock_hold_us" && kv[2] > mh) mh = kv[2]
		if (kv[1] == "lock_wait_us" && kv[2] > mw) mw = kv[2] } }
		END { printf "sum_call_us=%d sum_lock_hold_us=%d max_lock_hold_us=%d max_lock_wait_us=%d",
		      s["wall_us"], s["lock_hold_us"], mh, mw }' "$REPORT"
}
echo "# 8 calls on 8 disjoint groups of h${SIZES%% *}: wall of all 8, and the lock"
r=0
while [ $r -lt 3 ]; do
	for mode in seq par; do
		for op in prepare release; do
			w=$(phase $op $mode)
			echo "mode=$mode op=$op wall_us=$w $(lock_summary)"
		done
	done
	r=$((r + 1))
done
