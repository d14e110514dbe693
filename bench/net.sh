#!/usr/bin/env bash
# bench/net.sh — `make bench-net`: TCP echo throughput and round-trip
# latency of Weft (app=echo) beside the Linux peer (bench/linux/, role
# echo: Debian's kernel with a small epoll echo server), in the same run,
# under the same QEMU flags. A table, not a test: nothing fails on a slow
# number (the exit status is 1 only when a guest could not be measured).
#
# usage: bench/net.sh            (as root; WEFT_ACCEL=kvm|tcg to choose)
#   BENCH_SECONDS (5)  measured seconds of each measure
#   BENCH_ROUNDS (2)   boots of each guest, in ABBA order; the table shows
#                      the better run of each measure (a shared machine's
#                      noise only ever slows a run down)
#
# Each guest in turn, alone, on tap0 in a private network namespace
# (bench/lib.sh: 10.79.0.1 on the host side, the guest 10.79.0.2): q35,
# 1 vCPU, 512 MiB, virtio-net with the tap's offloads, the same accelerator
# for both (explicit; on this project's machines TCG, as the /dev/kvm is
# PVM and runs neither guest). The client is bench/echo_client.c, built
# here with gcc -O2, one epoll thread in the namespace:
#   tput 1, tput 64   every connection streams 16 KiB writes and reads the
#                     echo back concurrently (at most 256 KiB in flight per
#                     connection, every byte checked); MB/s = bytes echoed
#                     back per second (10^6 bytes; one direction), over
#                     BENCH_SECONDS after 2 s of warm-up
#   lat 1, lat 64     64-byte messages, one in flight per connection, round
#                     trip from write to the last byte read: p50 and p99 in
#                     µs over BENCH_SECONDS after 1 s of warm-up
# Also the time from QEMU's start to the first byte echoed (boot).
#
# Writes build/bench/net.txt (the table) and build/bench/net.dat (one line
# per measure and round, raw). Takes about 2 minutes under TCG.
set -euo pipefail
BENCH_ME=bench-net
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$BENCH_REPO"

SECONDS_MEASURED=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-2}
mkdir -p "$BENCH_OUT"
start_s=$(date +%s)

[ -f build/weft ] || bench_die "no build/weft (run make)"
bench_need_tools gcc:gcc ip:iproute2 python3:python3
gcc -O2 -Wall -Wextra -o "$BENCH_OUT/echo_client" bench/echo_client.c
client=$BENCH_OUT/echo_client
bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
BENCH_ACCEL=$(bench_accel build/weft)
bench_ns_setup
bench_note "namespace $BENCH_NS, accel $BENCH_ACCEL, q35, 1 vCPU; $SECONDS_MEASURED s per measure, $ROUNDS rounds"

declare -A R=()   # R[guest.measure] = "value(s)"
declare -A BOOT=()
status=0
: >"$BENCH_OUT/net.dat"

field() { # field LINE NAME: NAME=value from a client's line, or ""
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}
better() { # better A B: is A > B (numbers; B may be "")
	[ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'
}
measure() { # measure GUEST KEY MODE CONNS WARMUP: one client run; keeps the best
	local g=$1 key=$2 line by
	if line=$(bench_nsx "$client" "$3" "$BENCH_GUEST_IP" 7 "$4" "$5" "$SECONDS_MEASURED" 2>"$BENCH_TMP/client.err"); then
		echo "$round $g $key $line" >>"$BENCH_OUT/net.dat"
		# The better run: more MB/s, or more round trips per second (the
		# inverse of the mean latency; its p50 and p99 come with it).
		if [ "$3" = tput ]; then by=mbps; else by=rate; fi
		if better "$(field "$line" $by)" "$(field "${R[$g.$key]:-}" $by)"; then R[$g.$key]=$line; fi
		bench_note "  $g $key: $line"
	else
		bench_note "  $g $key: FAILED: $(tr '\n' ' ' <"$BENCH_TMP/client.err")"
		status=1
	fi
}

# Rounds in ABBA order (Weft, Linux, Linux, Weft, ...): a load that comes
# and goes on the shared machine falls on both about evenly.
order=()
for ((round = 1; round <= ROUNDS; round++)); do
	if ((round % 2)); then order+=("$round:weft" "$round:linux"); else order+=("$round:linux" "$round:weft"); fi
done
for rg in "${order[@]}"; do
	round=${rg%%:*} g=${rg#*:}
	log=$BENCH_OUT/net-$g-$round.log
	if [ "$g" = weft ]; then
		bench_start_weft "$log" 1 build/weft "app=echo"
		ready_re='echo: listening on port 7([^0-9]|$)'
	else
		bench_start_linux "$log" 1 echo
		ready_re='linux-peer: ready echo'
	fi
	read -r first ready why < <(bench_first_answer echo 7 "$ready_re" "$log")
	if [ "$first" = - ]; then
		bench_note "$g: no echo from $BENCH_GUEST_IP:7: ${why//_/ } (console: $log)"
		bench_log_tail "$log"
		status=1
		bench_stop
		continue
	fi
	if [ -z "${BOOT[$g]:-}" ] || [ "$first" -lt "${BOOT[$g]}" ]; then BOOT[$g]=$first; fi
	bench_note "$g (round $round): first echo ${first} ms after QEMU's start (console line at ${ready} ms)"
	measure "$g" tput1 tput 1 2
	measure "$g" tput64 tput 64 2
	measure "$g" lat1 lat 1 1
	measure "$g" lat64 lat 64 1
	bench_stop
done

# ---- the table ------------------------------------------------------------------
best() { field "${R[$1]:-}" "$2"; } # best GUEST.KEY NAME
python3 - "$BENCH_ACCEL" "$SECONDS_MEASURED" \
	"$(best weft.tput1 mbps)" "$(best linux.tput1 mbps)" \
	"$(best weft.tput64 mbps)" "$(best linux.tput64 mbps)" \
	"$(best weft.lat1 p50_us)" "$(best linux.lat1 p50_us)" \
	"$(best weft.lat1 p99_us)" "$(best linux.lat1 p99_us)" \
	"$(best weft.lat64 p50_us)" "$(best linux.lat64 p50_us)" \
	"$(best weft.lat64 p99_us)" "$(best linux.lat64 p99_us)" \
	"$(best weft.lat1 rate)" "$(best linux.lat1 rate)" \
	"$(best weft.lat64 rate)" "$(best linux.lat64 rate)" \
	"${BOOT[weft]:-}" "${BOOT[linux]:-}" "$ROUNDS" <<'EOF' | tee "$BENCH_OUT/net.txt"
import os, sys
accel, secs, rounds = sys.argv[1], sys.argv[2], sys.argv[-1]
v = sys.argv[3:-1]
rows = [("echo throughput, 1 conn", "MB/s", "higher"),
        ("echo throughput, 64 conns", "MB/s", "higher"),
        ("64 B round trip, 1 conn, p50", "us", "lower"),
        ("64 B round trip, 1 conn, p99", "us", "lower"),
        ("64 B round trip, 64 conns, p50", "us", "lower"),
        ("64 B round trip, 64 conns, p99", "us", "lower"),
        ("64 B round trips/s, 1 conn", "msg/s", "higher"),
        ("64 B round trips/s, 64 conns", "msg/s", "higher"),
        ("QEMU start to first echo", "ms", "lower")]
def num(s):
    try:
        return float(s)
    except ValueError:
        return None
def fmt(x):
    if x is None:
        return "-"
    return f"{x:.1f}" if x < 1000 else f"{x:.0f}"
print(f"TCP echo, Weft vs Linux guest: q35, 1 vCPU, accel {accel}, tap in a private netns;"
      f" {secs} s per measure, best of {rounds} runs, host with {os.cpu_count()} CPUs")
print(f"{'measure':32} {'unit':6} {'Weft':>9} {'Linux':>9} {'Weft/Linux':>11}  better")
for i, (name, unit, better) in enumerate(rows):
    w, l = num(v[2 * i]), num(v[2 * i + 1])
    r = f"{w / l:.2f}x" if w is not None and l else "-"
    print(f"{name:32} {unit:6} {fmt(w):>9} {fmt(l):>9} {r:>11}  {better}")
EOF
bench_note "raw: $BENCH_OUT/net.dat; consoles: $BENCH_OUT/net-{weft,linux}-ROUND.log; $(($(date +%s) - start_s)) s"
exit $status
