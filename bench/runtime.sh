#!/usr/bin/env bash
# bench/runtime.sh — `make bench-runtime`: the runtime's micro-benchmarks in
# the guest (tests/guest/bench_runtime.c) beside the same measures on Go's
# runtime (bench/go/rtbench.go), in the same run, on the same machine. The
# benchmarks are in-guest suites, so they boot the test kernel
# (build/weft-test); the shipped build/weft holds no tests.
#
# Go runs twice: natively on the host, and under qemu-x86_64, QEMU's
# user-mode TCG, which translates Go's instructions with the same engine
# that runs the guest when there is no KVM. The first column pair is the
# comparison the targets speak of when the guest has KVM; the second is
# the fair one when it does not (both sides emulated).
#
# Then guest instructions per operation, on one CPU: what a KVM guest pays
# in CPU, and the like-for-like comparison that TCG timings are not
# (system-mode TCG pays for a soft MMU that user mode does not). The same
# plugin (tools/insn/) counts Weft in qemu-system-x86_64 (-smp 1) and Go in
# qemu-x86_64 (GOMAXPROCS=1). Each of yield, chan_pingpong, mutex_handoff
# and spawn_exit runs alone in a run of its own (a boot with test=bench.X;
# rtbench X), and an empty run (test=none; rtbench none) is subtracted:
#   instructions per op = (count(run with X) - count(empty run)) / ops
# where ops is the operations the run performed, as the benchmark prints
# it ("BENCH ops.X"; spawn_exit's warm-up round counts: 400,000 tasks).
# Start-up and exit cancel. INSN_REPS (5) pairs of runs each; the table has
# their median and spread ((max - min) / median). spawn_exit varies most,
# on both sides: how many new tasks pile up before the spawner is
# preempted depends on when the timer fires, which is wall time, not
# instructions. Go's figure leaves out
# what the Linux kernel does in Go's system calls (not guest code under
# qemu-x86_64); on one P these loops make few.
#
# usage: bench/runtime.sh    SMP (2): CPUs of the timed runs;
#   BENCH_PARTS ("timed insn"): the timed runs and/or the instruction counts
# Writes build/bench/{weft,go-native,go-tcg}.txt (timed), runtime-insn.dat
# (every count), runtime-insn.txt and runtime-insn.md (the table).
# A table, not a test: nothing here fails on a slow number.
set -euo pipefail
cd "$(dirname "$0")/.."
SMP=${SMP:-2}
PARTS=" ${BENCH_PARTS:-timed insn} "
INSN_REPS=${INSN_REPS:-5}
out=build/bench
mkdir -p "$out"

(cd bench/go && GOFLAGS=-mod=mod go build -o ../../$out/rtbench .)

# ---- timed runs (wall clock) -------------------------------------------------------
if [[ $PARTS == *" timed "* ]]; then
guest() { # guest MEM TESTS: BENCH lines of one boot
	tools/qemu.sh --machine q35 --smp "$SMP" --mem "$1" --timeout 900 \
		--kernel build/weft-test --append "test=$2" 2>"$out/qemu.err" |
		tr -d '\r' | tee -a "$out/guest.log" | grep '^BENCH' || true
}
: >"$out/guest.log"
accel=$(tools/qemu.sh --machine q35 --kernel build/weft-test --append test=none 2>&1 >/dev/null |
	sed -n 's/^qemu.sh: accel \([a-z]*\).*/\1/p' | head -1)
{
	# Each in a fresh guest where it matters: idle bytes count pages, so
	# nothing may have warmed the caches; a million tasks need room.
	guest 1G bench.idle_task_bytes
	guest 1G bench.spawn_exit,bench.yield,bench.chan_pingpong,bench.mutex_handoff,bench.sleep_lateness
	guest 8G bench.million_spawn
} >"$out/weft.txt"
GOMAXPROCS=$SMP "$out/rtbench" >"$out/go-native.txt"
if command -v qemu-x86_64 >/dev/null; then
	GOMAXPROCS=$SMP qemu-x86_64 "$out/rtbench" >"$out/go-tcg.txt"
else
	: >"$out/go-tcg.txt"
fi

python3 - "$out" "$accel" "$SMP" <<'PY'
import sys
out, accel, smp = sys.argv[1], sys.argv[2] or "?", sys.argv[3]
def load(name):
    d = {}
    for line in open(f"{out}/{name}"):
        _, k, v, unit = line.split()
        d[k] = (int(v), unit)
    return d
w, g, gt = load("weft.txt"), load("go-native.txt"), load("go-tcg.txt")
targets = {"spawn_exit": "<= 0.25x Go", "yield": "<= 0.5x Go", "chan_pingpong": "<= 0.5x Go",
           "idle_task": "<= 4608 bytes"}
rows = ["spawn_exit", "yield", "chan_pingpong", "mutex_handoff", "sleep10ms_late_median",
        "sleep10ms_late_worst", "idle_task", "million_spawn"]
def ratio(a, b):
    return f"{a[0]/b[0]:.2f}x" if a and b and b[0] else "-"
print(f"Weft runtime vs Go, {smp} CPUs; Weft under {accel}, Go native and Go under qemu-x86_64 (TCG)")
print(f"{'measure':24} {'unit':14} {'Weft':>9} {'Go':>9} {'ratio':>7} {'Go/TCG':>9} {'ratio':>7}  target (KVM)")
for k in rows:
    a, b, c = w.get(k), g.get(k), gt.get(k)
    unit = (a or b or (0, ""))[1]
    f = lambda x: str(x[0]) if x else "-"
    print(f"{k:24} {unit:14} {f(a):>9} {f(b):>9} {ratio(a, b):>7} {f(c):>9} {ratio(a, c):>7}  {targets.get(k, '')}")
PY
fi

# ---- instructions per operation ---------------------------------------------------
[[ $PARTS == *" insn "* ]] || exit 0
so=$(tools/insn/build.sh)
benches="yield chan_pingpong mutex_handoff spawn_exit"
dat=$out/runtime-insn.dat
: >"$out/insn-guest.log"
# count WHO NAME: one run under the plugin; prints "TOTAL OPS" (OPS from
# the run's "BENCH ops.NAME" line; 0 for the empty run)
count() {
	local f text total ops
	f=$(mktemp "${TMPDIR:-/tmp}/weft-insn.XXXXXX")
	if [ "$1" = weft ]; then
		local t=bench.$2
		[ "$2" != none ] || t=none
		text=$(tools/qemu.sh --machine q35 --smp 1 --mem 1G --accel tcg --timeout 900 \
			--kernel build/weft-test --append "test=$t" -- -plugin "$so,out=$f" 2>>"$out/qemu.err" |
			tr -d '\r' | tee -a "$out/insn-guest.log") || true
	else
		text=$(GOMAXPROCS=1 qemu-x86_64 -plugin "$so,out=$f" "$out/rtbench" "$2") || true
	fi
	total=$(sed -n 's/^exit \([0-9]*\)$/\1/p' "$f")
	rm -f "$f"
	ops=$(sed -n "s/^BENCH ops\\.$2 \\([0-9]*\\) .*/\\1/p" <<<"$text")
	[ "$2" != none ] || ops=0
	if [ -z "$total" ] || [ -z "$ops" ]; then
		echo "bench-runtime: $1 $2: no count" >&2
		return 1
	fi
	echo "$total $ops"
}
{
	echo "# bench/runtime.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): guest instructions, 1 CPU; Weft: qemu-system-x86_64 -smp 1, Go: qemu-x86_64 GOMAXPROCS=1"
	echo "# who bench rep total ops"
} >"$dat"
for ((rep = 1; rep <= INSN_REPS; rep++)); do
	for who in weft go; do
		for b in none $benches; do
			echo "$who $b $rep $(count "$who" "$b")" >>"$dat"
		done
	done
done

python3 - "$dat" "$benches" <<'PY' | tee "$out/runtime-insn.txt"
import collections, sys
dat, benches = sys.argv[1], sys.argv[2].split()
runs = collections.defaultdict(dict)
for line in open(dat):
    if line.startswith("#") or not line.strip():
        continue
    f = line.split()
    if len(f) == 5:
        runs[(f[0], f[1])][int(f[2])] = (int(f[3]), int(f[4]))
units = {"yield": "switch", "chan_pingpong": "round trip", "mutex_handoff": "hand-off",
         "spawn_exit": "spawn+exit"}
def per_op(who, b):
    """Per-rep figures: (run with b - the same rep's empty run) / ops."""
    empty, full = runs.get((who, "none"), {}), runs.get((who, b), {})
    return sorted((full[r][0] - empty[r][0]) / full[r][1] for r in full if r in empty and full[r][1])
def med(v):
    return v[len(v) // 2] if v else None
def spread(v):
    return f"{100 * (v[-1] - v[0]) / med(v):.1f}%" if v and med(v) else "-"
def f0(x):
    return "-" if x is None else f"{x:,.0f}"
hdr = ["operation", "Weft insns", "spread", "Go insns", "spread", "Weft/Go"]
rows = []
for b in benches:
    w, g = per_op("weft", b), per_op("go", b)
    r = f"{med(w) / med(g):.2f}x" if w and g else "-"
    rows.append([f"{b} (per {units[b]})", f0(med(w)), spread(w), f0(med(g)), spread(g), r])
title = ("Guest instructions per operation, 1 CPU: Weft in qemu-system-x86_64 -smp 1, Go in "
         "qemu-x86_64 GOMAXPROCS=1, the same plugin; each benchmark alone minus an empty run")
wd = [max(len(h), *(len(t[i]) for t in rows)) for i, h in enumerate(hdr)]
print(title)
print("  ".join(h.ljust(wd[0]) if i == 0 else h.rjust(wd[i]) for i, h in enumerate(hdr)))
for t in rows:
    print("  ".join(c.ljust(wd[0]) if i == 0 else c.rjust(wd[i]) for i, c in enumerate(t)))
reps = max((len(v) for v in runs.values()), default=0)
print(f"median of {reps} pairs of runs; spread = (max - min) / median")
with open(dat.replace(".dat", ".md"), "w") as md:
    md.write(f"{title}.\n\n| " + " | ".join(hdr) + " |\n|---|" + "---:|" * (len(hdr) - 1) + "\n")
    for t in rows:
        md.write("| " + " | ".join(t) + " |\n")
    md.write(f"\nMedian of {reps} pairs of runs; spread = (max - min) / median. "
             "Reproduce: `make bench-runtime` (`BENCH_PARTS=insn` for these counts only).\n")
PY
