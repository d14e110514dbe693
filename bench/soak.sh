#!/usr/bin/env bash
# bench/soak.sh — `make soak`: connection churn, 200,000 short connections
# in a row, Weft (app=echo) beside the Linux peer (bench/linux/, role
# echo), in the same run, under the same QEMU flags. A table, not a test:
# it fails only when a connection fails or a guest could not be measured,
# never on a slow number.
#
# usage: bench/soak.sh            (as root; WEFT_ACCEL=kvm|tcg to choose)
#   SOAK_CONNS (200000)      connections per guest
#   SOAK_BLOCK (10000)       block size: the table compares the first and
#                            the last block (a stall, or accept slowing down
#                            as TIME_WAIT piles up, shows as a slower last)
#   BENCH_KERNEL (build/weft), BENCH_GUESTS ("weft linux")
#
# Each connection: connect, 64 bytes echoed, close by the client
# (tests/e2e/echo_client.py churn --no-judge), one after the other from one
# client in the namespace of bench/lib.sh (q35, 1 vCPU, the guest on tap0;
# the namespace's ephemeral port range is 1024-65000, so the client reuses
# ports whose pair may still be in TIME_WAIT on the server: the RFC 1122
# reopening of net/lwip/timewait.c is exercised).
#
# Writes build/bench/soak.txt (the table) and build/bench/soak.dat (raw:
# every block's time).
set -euo pipefail
BENCH_ME=soak
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$BENCH_REPO"

CONNS=${SOAK_CONNS:-200000}
BLOCK=${SOAK_BLOCK:-10000}
kernel=${BENCH_KERNEL:-build/weft}
mkdir -p "$BENCH_OUT"
start_s=$(date +%s)
[ -f "$kernel" ] || bench_die "no $kernel (run make)"
bench_need_tools ip:iproute2 python3:python3
bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
BENCH_ACCEL=$(bench_accel "$kernel")
bench_ns_setup
bench_note "namespace $BENCH_NS, accel $BENCH_ACCEL, q35, 1 vCPU; $CONNS connections, blocks of $BLOCK"

declare -A R=()
status=0
: >"$BENCH_OUT/soak.dat"
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
for g in ${BENCH_GUESTS:-weft linux}; do
	log=$BENCH_OUT/soak-$g.log
	if [ "$g" = weft ]; then
		bench_start_weft "$log" 1 "$kernel" "app=echo"
		ready_re='echo: listening on port 7([^0-9]|$)'
	else
		bench_start_linux "$log" 1 echo
		ready_re='linux-peer: ready echo'
	fi
	read -r first _ why < <(bench_first_answer echo 7 "$ready_re" "$log")
	if [ "$first" = - ]; then
		bench_note "$g: no echo: ${why//_/ } (console: $log)"
		status=1
	elif line=$(bench_nsx python3 tests/e2e/echo_client.py churn "$BENCH_GUEST_IP" 7 --count "$CONNS" \
		--block "$BLOCK" --no-judge --timeout $((CONNS / 20 + 600)) 2>"$BENCH_TMP/client.err"); then
		R[$g]=$line
		echo "$g $line" >>"$BENCH_OUT/soak.dat"
		bench_note "  $g: $line"
	else
		bench_note "  $g: FAILED: $(tr '\n' ' ' <"$BENCH_TMP/client.err")"
		status=1
	fi
	bench_stop
done

{
	echo "Churn: $CONNS connections in a row (connect, 64 B echoed, close), Weft vs Linux guest:" \
		"q35, 1 vCPU, accel $BENCH_ACCEL, host with $(nproc) CPUs"
	printf '%-32s %9s %9s\n' figure Weft Linux
	for f in first_s:"first $BLOCK (s)" last_s:"last $BLOCK (s)"; do
		k=${f%%:*}
		printf '%-32s %9s %9s\n' "${f#*:}" "$(field "${R[weft]:-}" "$k")" "$(field "${R[linux]:-}" "$k")"
	done
	rate() { sed -n 's/.*(\([0-9]*\)\/s).*/\1/p' <<<"$1"; }
	printf '%-32s %9s %9s\n' "connections/s overall" "$(rate "${R[weft]:-}")" "$(rate "${R[linux]:-}")"
} | tee "$BENCH_OUT/soak.txt"
bench_note "raw: $BENCH_OUT/soak.dat; consoles: $BENCH_OUT/soak-{weft,linux}.log; $(($(date +%s) - start_s)) s"
exit $status
