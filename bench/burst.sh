#!/usr/bin/env bash
# bench/burst.sh — `make bench-burst`: connect bursts (a flash crowd), Weft
# (app=echo) beside the Linux peer (bench/linux/, role echo), in the same
# run, under the same QEMU flags. A table, not a test: nothing fails on a
# slow number (the exit status is 1 only when a guest could not be
# measured).
#
# usage: bench/burst.sh            (as root; WEFT_ACCEL=kvm|tcg to choose)
#   BENCH_BURSTS ("1000 5000")  burst sizes
#   BENCH_KERNEL (build/weft)   the Weft kernel to measure
#   BENCH_GUESTS ("weft linux") which guests
#   BENCH_ROUNDS (1)            boots of each guest, in ABBA order; the
#                               table shows the better run of each figure
#
# Each guest in turn, alone, on tap0 in a private network namespace
# (bench/lib.sh): q35, 1 vCPU, 512 MiB. The client is
# tests/e2e/echo_client.py's `burst`, in the namespace: N non-blocking
# connects issued as fast as the host can (1,000 take ~30-50 ms), each
# connection echoes one byte, then all close, every third with RST, and a
# new connection echoes 68 bytes right after. Figures per burst size:
#   last connect   ms from the first connect() to the last connection
#                  established (a SYN dropped by the server waits for the
#                  client's retransmission: 1 s, then 3 s, ...)
#   SYN retrans    connections that waited for a SYN retransmission
#                  (connected 0.9 s or more after their connect())
#   request after  ms for the new connection's echo after the closes
#
# Writes build/bench/burst.txt (the table) and build/bench/burst.dat (one
# line per guest, size and round, raw).
set -euo pipefail
BENCH_ME=bench-burst
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$BENCH_REPO"

BURSTS=(${BENCH_BURSTS:-1000 5000})
ROUNDS=${BENCH_ROUNDS:-1}
mkdir -p "$BENCH_OUT"
start_s=$(date +%s)

kernel=${BENCH_KERNEL:-build/weft}
[ -f "$kernel" ] || bench_die "no $kernel (run make)"
bench_need_tools ip:iproute2 python3:python3
client=tests/e2e/echo_client.py
bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
BENCH_ACCEL=$(bench_accel "$kernel")
bench_ns_setup
bench_note "namespace $BENCH_NS, accel $BENCH_ACCEL, q35, 1 vCPU; bursts ${BURSTS[*]}; $ROUNDS rounds"

declare -A R=() # R[guest.size] = the client's best line
status=0
: >"$BENCH_OUT/burst.dat"

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
lower() { [ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

order=()
for ((round = 1; round <= ROUNDS; round++)); do
	if ((round % 2)); then gs=(weft linux); else gs=(linux weft); fi
	for g in "${gs[@]}"; do [[ " ${BENCH_GUESTS:-weft linux} " == *" $g "* ]] && order+=("$round:$g"); done
done
for rg in "${order[@]}"; do
	round=${rg%%:*} g=${rg#*:}
	log=$BENCH_OUT/burst-$g-$round.log
	if [ "$g" = weft ]; then
		bench_start_weft "$log" 1 "$kernel" "app=echo"
		ready_re='echo: listening on port 7([^0-9]|$)'
	else
		bench_start_linux "$log" 1 echo
		ready_re='linux-peer: ready echo'
	fi
	read -r first _ why < <(bench_first_answer echo 7 "$ready_re" "$log")
	if [ "$first" = - ]; then
		bench_note "$g: no echo from $BENCH_GUEST_IP:7: ${why//_/ } (console: $log)"
		bench_log_tail "$log"
		status=1
		bench_stop
		continue
	fi
	for n in "${BURSTS[@]}"; do
		sleep 2 # the previous burst's closes settle
		if line=$(bench_nsx python3 "$client" burst "$BENCH_GUEST_IP" 7 --conns "$n" --timeout 120 \
			2>"$BENCH_TMP/client.err"); then
			echo "$round $g $n $line" >>"$BENCH_OUT/burst.dat"
			if lower "$(field "$line" last_ms)" "$(field "${R[$g.$n]:-x last_ms=1e99}" last_ms)"; then
				R[$g.$n]=$line
			fi
			bench_note "  $g $n: $line"
		else
			bench_note "  $g $n: FAILED: $(tr '\n' ' ' <"$BENCH_TMP/client.err")"
			status=1
		fi
	done
	bench_stop
done

# ---- the table ------------------------------------------------------------------
{
	echo "Connect bursts, Weft vs Linux guest: q35, 1 vCPU, accel $BENCH_ACCEL, tap in a private netns;" \
		"best of $ROUNDS runs, host with $(nproc) CPUs"
	printf '%-8s %-22s %9s %9s\n' conns figure Weft Linux
	for n in "${BURSTS[@]}"; do
		for f in issued_ms:"connects issued (ms)" last_ms:"last connect (ms)" retrans:"SYN retransmitted" \
			after_ms:"request after (ms)"; do
			k=${f%%:*} name=${f#*:}
			w=$(field "${R[weft.$n]:-}" "$k") l=$(field "${R[linux.$n]:-}" "$k")
			printf '%-8s %-22s %9s %9s\n' "$n" "$name" "${w:--}" "${l:--}"
		done
	done
} | tee "$BENCH_OUT/burst.txt"
bench_note "raw: $BENCH_OUT/burst.dat; consoles: $BENCH_OUT/burst-{weft,linux}-ROUND.log; $(($(date +%s) - start_s)) s"
exit $status
