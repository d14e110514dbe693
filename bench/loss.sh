#!/usr/bin/env bash
# bench/loss.sh — `make bench-loss`: goodput of one 10 MB echo under loss
# and reordering, Weft (app=echo) beside the Linux peer (bench/linux/, role
# echo), over the same relay, in the same run. A table, not a test: nothing
# fails on a slow number (the exit status is 1 only when a guest could not
# be measured).
#
# usage: bench/loss.sh            (as root; WEFT_ACCEL=kvm|tcg to choose)
#   BENCH_BYTES (10000000)  bytes echoed (sent, and read back concurrently)
#   BENCH_KERNEL (build/weft), BENCH_GUESTS ("weft linux")
#
# The namespace of bench/lib.sh, with the guest on a second tap (tap1,
# no address, no offloads) that tests/e2e/netem_relay.py joins to tap0,
# impairing both directions (the machines here have no sch_netem):
#   1% loss            --loss 1, 5 ms delay, no jitter (no reordering)
#   5% loss            --loss 5, 5 ms delay, no jitter
#   5% loss, reorder   --loss 5, 5 ms +- 5 ms, 25% (50% correlated) sent at
#                      once: netns.sh's echo-2mb-netem model
# A fresh relay (same seed) and a fresh guest for each measure; q35, 1 vCPU.
# The client is tests/e2e/echo_client.py's bulk; goodput = bytes echoed
# back intact / seconds from connect to the last byte (10^6 bytes/s).
# Weft's echo gets a 60 s write deadline, as in netns.sh (retransmission
# timeouts under loss are not a client that stopped reading).
#
# Writes build/bench/loss.txt (the table) and build/bench/loss.dat (raw).
set -euo pipefail
BENCH_ME=bench-loss
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$BENCH_REPO"

BYTES=${BENCH_BYTES:-10000000}
kernel=${BENCH_KERNEL:-build/weft}
mkdir -p "$BENCH_OUT"
start_s=$(date +%s)
[ -f "$kernel" ] || bench_die "no $kernel (run make)"
bench_need_tools ip:iproute2 python3:python3
client=tests/e2e/echo_client.py
bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
BENCH_ACCEL=$(bench_accel "$kernel")
bench_ns_setup
bench_nsx ip tuntap add dev tap1 mode tap &&
	bench_nsx sysctl -qw net.ipv6.conf.tap1.disable_ipv6=1 &&
	bench_nsx ip link set tap1 arp off &&
	bench_nsx ip link set tap1 up || bench_die "cannot set up tap1"
BENCH_GUEST_TAP=tap1 BENCH_TAP_OFFLOAD=off
bench_note "namespace $BENCH_NS, accel $BENCH_ACCEL, q35, 1 vCPU; $BYTES bytes per measure"

PROFILES=("1% loss:--loss 1 --delay-ms 5 --jitter-ms 0 --reorder 0"
	"5% loss:--loss 5 --delay-ms 5 --jitter-ms 0 --reorder 0"
	"5% loss, reorder:--loss 5 --delay-ms 5 --jitter-ms 5 --reorder 25 --reorder-corr 50")
declare -A R=()
status=0
: >"$BENCH_OUT/loss.dat"
relay_pid=""
stop_relay() {
	[ -n "$relay_pid" ] || return 0
	kill -TERM "$relay_pid" 2>/dev/null || true
	wait "$relay_pid" 2>/dev/null || true
	relay_pid=""
}
trap 'stop_relay; bench_cleanup' EXIT

for i in "${!PROFILES[@]}"; do
	name=${PROFILES[$i]%%:*} args=${PROFILES[$i]#*:}
	for g in ${BENCH_GUESTS:-weft linux}; do
		log=$BENCH_OUT/loss-$g-$i.log rlog=$BENCH_OUT/loss-relay-$g-$i.log
		# shellcheck disable=SC2086 # args are words
		bench_nsx python3 tests/e2e/netem_relay.py tap0 tap1 $args --seed 1 >"$rlog" 2>&1 &
		relay_pid=$!
		for _ in $(seq 50); do grep -q '^relay: ready' "$rlog" 2>/dev/null && break; sleep 0.2; done
		if [ "$g" = weft ]; then
			bench_start_weft "$log" 1 "$kernel" "app=echo echo_write_timeout_ms=60000"
			ready_re='echo: listening on port 7([^0-9]|$)'
		else
			bench_start_linux "$log" 1 echo
			ready_re='linux-peer: ready echo'
		fi
		read -r first _ why < <(bench_first_answer echo 7 "$ready_re" "$log")
		if [ "$first" = - ]; then
			bench_note "$g ($name): no echo: ${why//_/ } (console: $log)"
			status=1
		elif line=$(bench_nsx python3 "$client" bulk "$BENCH_GUEST_IP" 7 --bytes "$BYTES" --timeout 600 \
			--connect-timeout 60 --seed 3 2>"$BENCH_TMP/client.err"); then
			mbps=$(sed -n 's/.*, \([0-9.]*\) MB\/s.*/\1/p' <<<"$line")
			R[$g.$i]=$mbps
			echo "$g $i $line" >>"$BENCH_OUT/loss.dat"
			bench_note "  $g, $name: $line"
		else
			bench_note "  $g, $name: FAILED: $(tr '\n' ' ' <"$BENCH_TMP/client.err")"
			status=1
		fi
		bench_stop
		stop_relay
	done
done

{
	echo "Goodput of one $BYTES-byte echo under loss (tests/e2e/netem_relay.py, both directions)," \
		"Weft vs Linux guest: q35, 1 vCPU, accel $BENCH_ACCEL, host with $(nproc) CPUs"
	printf '%-20s %10s %10s %11s\n' impairment "Weft MB/s" "Linux MB/s" Weft/Linux
	for i in "${!PROFILES[@]}"; do
		w=${R[weft.$i]:-} l=${R[linux.$i]:-}
		r=$(awk -v w="$w" -v l="$l" 'BEGIN { if (w != "" && l > 0) printf "%.2fx", w / l; else print "-" }')
		printf '%-20s %10s %10s %11s\n' "${PROFILES[$i]%%:*}" "${w:--}" "${l:--}" "$r"
	done
} | tee "$BENCH_OUT/loss.txt"
bench_note "raw: $BENCH_OUT/loss.dat; consoles and relay logs: $BENCH_OUT/loss-*.log; $(($(date +%s) - start_s)) s"
exit $status
