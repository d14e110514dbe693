#!/usr/bin/env bash
# bench/conns.sh — `make bench-conns`: the cost of a request when many
# connections are open, Weft (app=echo) beside the Linux peer
# (bench/linux/, role echo), in the same run, under the same QEMU flags.
# A table, not a test: nothing fails on a slow number (the exit status is
# 1 only when a guest could not be measured).
#
# usage: bench/conns.sh            (as root; WEFT_ACCEL=kvm|tcg to choose)
#   BENCH_CONNS_STEPS ("100 1000 10000 100000")  open connections per step
#   BENCH_GUESTS ("weft linux")  which guests
#   BENCH_CONNS_MEM (4G)         guest memory
#   BENCH_CONNS_KERNEL           a Weft kernel to measure instead of the
#                                one built here (before/after comparisons)
#
# Each guest in turn, alone, on tap0 in a private network namespace
# (bench/lib.sh): q35, 1 vCPU, BENCH_CONNS_MEM, with the instruction-count
# plugin (tools/insn) loaded. The client is bench/conns_client.py, in the
# namespace: at each step it opens connections until N are open at once,
# counts the guest's instructions per second while all N are idle, then
# sends one 32-byte line through every one of the N connections (32 at a
# time) and checks each echo. Figures per step:
#   us/req      serve time / N (TCG wall clock: a sanity check)
#   insns/req   guest instructions over the serve window / N (they include
#               what the guest's timers cost during the window)
#   idle insn/s guest instructions per second with the N connections idle
#
# 100,000 connections need more than one source address (a source
# address has ~64,000 ports) and more than one client process (a process
# may hold 20,000 descriptors here): the namespace's tap0 gets
# 10.79.0.11-.14 beside 10.79.0.1, and the client's worker processes
# (15,000 connections each) take them in turn; and a Weft with pools for
# them: this script builds its own kernel into build/bench/conns/
# (make CDEFS: MEMP_NUM_TCP_PCB of 130,000 and net/limits.c's cap
# NET_MAX_CONNS of 103,984; the normal build's 12,288 pcbs hold 10,000
# connections), in a guest of BENCH_CONNS_MEM, which the boot-time sizing
# turns into about one connection per 32 KiB. The Linux peer's init
# allows 262,144 descriptors.
#
# Writes build/bench/conns.txt (the table) and build/bench/conns.dat
# (the client's lines, per guest).
set -euo pipefail
BENCH_ME=bench-conns
# shellcheck shell=bash source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tools/insn/lib.sh
. "$BENCH_REPO/tools/insn/lib.sh"
cd "$BENCH_REPO"

read -ra STEPS <<<"${BENCH_CONNS_STEPS:-100 1000 10000 100000}"
MEM=${BENCH_CONNS_MEM:-4G}
POOL=130000
SRCS=(10.79.0.1 10.79.0.11 10.79.0.12 10.79.0.13 10.79.0.14)
mkdir -p "$BENCH_OUT"
start_s=$(date +%s)

bench_need_tools ip:iproute2 python3:python3
kbuild=$BENCH_OUT/conns
if [ -n "${BENCH_CONNS_KERNEL:-}" ]; then # another Weft kernel (a before/after comparison)
	kernel=$BENCH_CONNS_KERNEL
else
env -u MAKEFLAGS -u MFLAGS make -C "$BENCH_REPO" --no-print-directory -j"$(nproc)" \
	BUILD="$kbuild" NEWLIB=build/newlib BEARSSL=build/bearssl/kernel LWIP_DIR=build/deps/lwip \
	CDEFS="-DMEMP_NUM_TCP_PCB=$POOL -DNET_MAX_CONNS=$((POOL * 4 / 5 - 16))" "$kbuild/weft" >&2 ||
	bench_die "building the bench kernel failed"
kernel=$kbuild/weft
fi
bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
BENCH_ACCEL=$(bench_accel "$kernel")
bench_ns_setup
for ip in "${SRCS[@]:1}"; do bench_nsx ip addr add "$ip/$BENCH_PREFIX" dev "$BENCH_TAP"; done
bench_note "namespace $BENCH_NS, accel $BENCH_ACCEL, q35, 1 vCPU, $MEM; steps ${STEPS[*]}"

# The options every guest gets (bench_qemu_opts with more memory).
conns_opts() {
	bench_qemu_opts 1 "$1"
	local i
	for i in "${!BENCH_OPTS[@]}"; do [ "${BENCH_OPTS[$i]}" != 512M ] || BENCH_OPTS[i]=$MEM; done
	BENCH_OPTS+=(--timeout 3000)
}

declare -A R=()
status=0
: >"$BENCH_OUT/conns.dat"
for g in ${BENCH_GUESTS:-weft linux}; do
	log=$BENCH_OUT/conns-$g.log
	insn_setup "$BENCH_TMP/insn-$g" || bench_die "cannot build the instruction plugin (tools/insn)"
	conns_opts "$log"
	if [ "$g" = weft ]; then
		bench_start "$log" tools/qemu.sh "${BENCH_OPTS[@]}" --kernel "$kernel" \
			--append "app=echo echo_idle_timeout_ms=36000000 ip=$BENCH_GUEST_IP/$BENCH_PREFIX gw=$BENCH_HOST_IP" \
			-- "${INSN_QEMU_ARGS[@]}"
		ready_re='echo: listening on port 7([^0-9]|$)'
	else
		bench_start "$log" bench/linux/run.sh echo "${BENCH_OPTS[@]}" \
			--append "weft.ip=$BENCH_GUEST_IP/$BENCH_PREFIX weft.gw=$BENCH_HOST_IP" -- "${INSN_QEMU_ARGS[@]}"
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
	steps=$(IFS=,; echo "${STEPS[*]}") srcs=$(IFS=,; echo "${SRCS[*]}")
	while read -r line; do
		echo "$g $line" >>"$BENCH_OUT/conns.dat"
		bench_note "  $g: $line"
		n=$(sed -n 's/.* n=\([0-9]*\).*/\1/p' <<<"$line")
		R[$g.$n]=$line
	done < <(bench_nsx python3 bench/conns_client.py "$BENCH_GUEST_IP" 7 \
		--steps "$steps" --srcs "$srcs" --insn-dir "$INSN_DIR" --timeout 1200 \
		2>"$BENCH_OUT/conns-client-$g.err" || echo "FAILED $(tr '\n' ' ' <"$BENCH_OUT/conns-client-$g.err")")
	grep -q "^$g FAILED" "$BENCH_OUT/conns.dat" && status=1
	bench_stop
done

# ---- the table ------------------------------------------------------------------
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
{
	echo "Requests with N idle connections open, Weft vs Linux guest: q35, 1 vCPU, $MEM, accel $BENCH_ACCEL," \
		"tap in a private netns, instruction-count plugin loaded; host with $(nproc) CPUs"
	echo
	echo "| open | Weft us/req | Linux us/req | Weft insns/req | Linux insns/req | Weft idle insn/s | Linux idle insn/s |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	for n in "${STEPS[@]}"; do
		w=${R[weft.$n]:-} l=${R[linux.$n]:-}
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" \
			"$(field "$w" us_per_req)" "$(field "$l" us_per_req)" \
			"$(field "$w" insn_per_req)" "$(field "$l" insn_per_req)" \
			"$(field "$w" idle_insn_s)" "$(field "$l" idle_insn_s)"
	done
} | tee "$BENCH_OUT/conns.txt"
bench_note "raw: $BENCH_OUT/conns.dat; consoles: $BENCH_OUT/conns-{weft,linux}.log; $(($(date +%s) - start_s)) s"
exit $status
