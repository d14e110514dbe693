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
# A table, not a test: nothing here fails on a slow number.
set -euo pipefail
cd "$(dirname "$0")/.."
SMP=${SMP:-2}
out=build/bench
mkdir -p "$out"

(cd bench/go && GOFLAGS=-mod=mod go build -o ../../$out/rtbench .)

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
