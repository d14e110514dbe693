#!/usr/bin/env bash
# bench/synflood.sh — `make bench-synflood`: a SYN flood beside a
# legitimate client, Weft (app=echo) beside the Linux peer (bench/linux/,
# role echo), in the same run, under the same QEMU flags. A table, not a
# test: nothing fails on a slow number (the exit status is 1 only when a
# guest could not be measured).
#
# usage: bench/synflood.sh        (as root; WEFT_ACCEL=kvm|tcg to choose)
#   BENCH_FLOOD ("flood u1000")  hping3's pace per measure: "flood" is
#                                --flood (as fast as the host sends), uN
#                                one SYN every N us (-i uN)
#   BENCH_SECONDS (10)           the legitimate client's probing time
#   BENCH_KERNEL (build/weft), BENCH_GUESTS ("weft linux")
#
# Each guest in turn, alone, on tap0 in the namespace of bench/lib.sh
# (q35, 1 vCPU). hping3, in the namespace, sends SYNs to port 7 from
# 10.79.0.200, an address of the namespace's subnet that nobody holds (the
# guest's SYN-ACKs wait for an ARP answer that never comes and never leave
# tap0), each from a new source port: a new half-open connection. Then
# tests/e2e/echo_client.py synprobe, from 10.79.0.1: first (Weft, which has
# a stats port) until the SYN queue is full, then one connection every
# 100 ms for BENCH_SECONDS, 64 bytes echoed each. Figures:
#   SYNs sent/s     what hping3 sent (its count / the seconds it ran)
#   probes          connections the legitimate client made
#   SYN retrans     of them, how many needed a SYN retransmission (Linux
#                   resends a SYN after 1 s: those waited at least that)
#   connect med/max ms for the probes' connect()
#   half-open max   Weft: the SYN queue's length at its longest
#                   (weft_net_syn_half_open; the queue holds 8,192)
#   evicted         Weft: half-open connections dropped for newer SYNs
#                   during the probe (net/lwip/patches/0005)
# Linux answers a full queue with SYN cookies (tcp_syncookies=1, its
# default); it has no stats port, so its half-open figures are "-".
#
# Writes build/bench/synflood.txt (the table) and build/bench/synflood.dat.
set -euo pipefail
BENCH_ME=bench-synflood
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$BENCH_REPO"

read -ra FLOODS <<<"${BENCH_FLOOD:-flood u1000}"
SECS=${BENCH_SECONDS:-10}
kernel=${BENCH_KERNEL:-build/weft}
mkdir -p "$BENCH_OUT"
start_s=$(date +%s)
[ -f "$kernel" ] || bench_die "no $kernel (run make)"
bench_need_tools ip:iproute2 python3:python3 hping3:hping3
client=tests/e2e/echo_client.py
bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
BENCH_ACCEL=$(bench_accel "$kernel")
bench_ns_setup
FLOOD_SRC=10.79.0.200
bench_note "namespace $BENCH_NS, accel $BENCH_ACCEL, q35, 1 vCPU; floods ${FLOODS[*]} from $FLOOD_SRC; $SECS s of probes"

declare -A R=() P=()
status=0
: >"$BENCH_OUT/synflood.dat"
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
flood_pid=""
stop_flood() {
	[ -n "$flood_pid" ] || return 0
	# hping3 prints its count on SIGINT; timeout, its parent, started in
	# the background of a script, ignores SIGINT, so hping3 is told itself.
	# flood_pid is the subshell of bench_nsx; ip netns exec becomes timeout,
	# its child, and hping3 is timeout's child: found by PID, level by level.
	local t told=0
	for t in $(pgrep -P "$flood_pid" 2>/dev/null); do
		pkill -INT -P "$t" hping3 2>/dev/null && told=1
	done
	[ "$told" = 1 ] || pkill -INT -P "$flood_pid" hping3 2>/dev/null || kill -INT "$flood_pid" 2>/dev/null || true
	wait "$flood_pid" 2>/dev/null || true
	flood_pid=""
}
trap 'stop_flood; bench_cleanup' EXIT

for f in "${FLOODS[@]}"; do
	if [ "$f" = flood ]; then pace=(--flood); else pace=(-i "$f"); fi
	for g in ${BENCH_GUESTS:-weft linux}; do
		log=$BENCH_OUT/synflood-$g-$f.log hlog=$BENCH_OUT/synflood-hping3-$g-$f.log
		if [ "$g" = weft ]; then
			bench_start_weft "$log" 1 "$kernel" "app=echo"
			ready_re='echo: listening on port 7([^0-9]|$)'
			stats=(--stats-port 9 --half-open-max 8192 --fill-timeout 60)
		else
			bench_start_linux "$log" 1 echo
			ready_re='linux-peer: ready echo'
			stats=()
		fi
		read -r first _ why < <(bench_first_answer echo 7 "$ready_re" "$log")
		if [ "$first" = - ]; then
			bench_note "$g: no echo from $BENCH_GUEST_IP:7: ${why//_/ } (console: $log)"
			status=1
			bench_stop
			continue
		fi
		t0=$(date +%s.%N)
		bench_nsx timeout -s INT $((SECS + 90)) hping3 -S -p 7 -a "$FLOOD_SRC" "${pace[@]}" -q \
			"$BENCH_GUEST_IP" >"$hlog" 2>&1 &
		flood_pid=$!
		[ "$g" = weft ] || sleep 3 # no stats port: give the flood a head start
		if line=$(bench_nsx python3 "$client" synprobe "$BENCH_GUEST_IP" 7 "${stats[@]}" \
			--seconds "$SECS" --no-judge --timeout $((SECS + 80)) 2>"$BENCH_TMP/client.err"); then
			:
		else
			line="FAILED: $(tr '\n' ' ' <"$BENCH_TMP/client.err")"
			status=1
		fi
		stop_flood
		secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
		sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$hlog")
		P[$g.$f]=$(awk -v n="${sent:-0}" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
		R[$g.$f]=$line
		echo "$g $f sent=${sent:-?} secs=$secs $line" >>"$BENCH_OUT/synflood.dat"
		bench_note "  $g, $f: hping3 sent ${sent:-?} SYNs in $secs s; $line"
		bench_stop
	done
done

{
	echo "SYN flood (hping3 -S from one spoofed address of the namespace) beside a legitimate client," \
		"Weft vs Linux guest: q35, 1 vCPU, accel $BENCH_ACCEL, host with $(nproc) CPUs"
	printf '%-8s %-24s %9s %9s\n' pace figure Weft Linux
	for f in "${FLOODS[@]}"; do
		printf '%-8s %-24s %9s %9s\n' "$f" "SYNs sent/s" "${P[weft.$f]:--}" "${P[linux.$f]:--}"
		for k in probes:"probes (connections)" retrans:"SYN retransmitted" median_ms:"connect median (ms)" \
			max_ms:"connect max (ms)" half_open_max:"half-open max" evicted:"evicted (in probe)"; do
			key=${k%%:*} name=${k#*:}
			if [ "$key" = probes ]; then
				w=$(sed -n 's/^synprobe: \([0-9]*\) connections.*/\1/p' <<<"${R[weft.$f]:-}")
				l=$(sed -n 's/^synprobe: \([0-9]*\) connections.*/\1/p' <<<"${R[linux.$f]:-}")
			else
				w=$(field "${R[weft.$f]:-}" "$key") l=$(field "${R[linux.$f]:-}" "$key")
			fi
			[ "$l" != -1 ] || l=-
			[ "$key" != half_open_max ] || [ "$l" != 0 ] || l=-
			printf '%-8s %-24s %9s %9s\n' "$f" "$name" "${w:--}" "${l:--}"
		done
	done
} | tee "$BENCH_OUT/synflood.txt"
bench_note "raw: $BENCH_OUT/synflood.dat; consoles and hping3 logs: $BENCH_OUT/synflood-*.log; $(($(date +%s) - start_s)) s"
exit $status
