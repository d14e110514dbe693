#!/usr/bin/env bash
# bench/profile.sh — `make profile`: where Weft's guest instructions go under
# a chosen load, as a flat profile by kernel function.
#
# usage: bench/profile.sh     (as root: the load runs over a tap in a private
#                              network namespace, as `make bench`)
#   PROFILE_LOAD     http-keepalive (default): wrk keep-alive GET / of the
#                    612-byte bench page; http-close: the same with
#                    "Connection: close", a new connection per request;
#                    https-close: that over HTTPS (the image's baked
#                    certificate, ECDSA P-256 unless built with another),
#                    tls_session_cache=0, so each is a full handshake;
#                    echo: echo round trips of 64 bytes (bench/echo_client
#                    lat, one message in flight per connection)
#   PROFILE_CLIENTS  connections (8)
#   PROFILE_SECONDS  length of the profiled window (10)
#   PROFILE_SMP      vCPUs (1)
#   PROFILE_TOP      functions listed (30)
#
# How: Weft (the bench image of `make bench`, serving bench/linux/index.html;
# app=echo for the echo load) boots under QEMU's TCG with the instruction-
# count plugin in mode=pc (tools/insn/insn.c), which counts, per translated
# block, how often it ran. After a warm-up of 2 s of the same load, the
# harness has the plugin write its block table, runs the load for
# PROFILE_SECONDS, and has it write the table again
# (tools/insn/lib.sh); tools/insn/profile.py gives each block's
# instructions (length x executions, the difference of the two tables) to
# the function of the ELF that holds the block's address (the kernel's
# symbols, as in its .ksyms), and prints function, instructions, % of the
# window and instructions per operation (requests or round trips, as the
# client counted them; the window's fixed costs, such as wrk connecting,
# are spread over them, which the per-request figure of `make bench` does
# not include).
#
# Only a flat profile: QEMU 7.2's plugin API cannot read the guest's
# registers, so no frame-pointer walk is possible from the plugin and there
# are no folded stacks (a sampling profiler inside the guest would give
# them). Counts are exact for the block table; they do not depend on the
# emulator's speed, only on what the guest executed.
#
# Writes build/bench/profile-LOAD.{txt,md} (the profile), profile-LOAD.log
# (the console) and the two raw block tables, profile-LOAD.{before,after}.
set -euo pipefail
BENCH_ME=profile
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tools/insn/lib.sh
. "$(dirname "$0")/../tools/insn/lib.sh"
cd "$BENCH_REPO"

LOAD=${PROFILE_LOAD:-http-keepalive}
CLIENTS=${PROFILE_CLIENTS:-8}
SECONDS_=${PROFILE_SECONDS:-10}
SMP=${PROFILE_SMP:-1}
TOP=${PROFILE_TOP:-30}
case $LOAD in
http-keepalive | http-close) app=httpd port=80 unit=request ;;
https-close) app=httpd port=80 unit=handshake ;;
echo) app=echo port=7 unit="round trip" ;;
*) bench_die "PROFILE_LOAD must be http-keepalive, http-close, https-close or echo (got $LOAD)" ;;
esac
[[ $CLIENTS =~ ^[1-9][0-9]*$ && $SECONDS_ =~ ^[1-9][0-9]*$ && $SMP =~ ^[1-9][0-9]*$ ]] ||
	bench_die "PROFILE_CLIENTS, PROFILE_SECONDS and PROFILE_SMP must be positive numbers"
bench_need_tools wrk:wrk ip:iproute2 python3:python3 gcc:gcc nm:binutils
mkdir -p "$BENCH_OUT"

weft=$(bench_weft_image "${LINUX_PEER_PAGE:-bench/linux/index.html}")
gcc -O2 -Wall -Wextra -o "$BENCH_OUT/echo_client" bench/echo_client.c
insn_setup "$BENCH_TMP/insn" mode=pc || bench_die "the instruction-count plugin did not build"
BENCH_QEMU_EXTRA=("${INSN_QEMU_ARGS[@]}")
BENCH_ACCEL=tcg
bench_ns_setup

cat >"$BENCH_TMP/report.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK requests=%d errors=%d\n", summary.requests,
		e.connect + e.read + e.write + e.status + e.timeout))
end
EOF
# load SECONDS: run the load; print the operations the client counted
load() {
	local out
	case $LOAD in
	http-* | https-*)
		local hdr=() url=http://$BENCH_GUEST_IP/
		[ "$LOAD" = http-keepalive ] || hdr=(-H "Connection: close")
		[ "$LOAD" != https-close ] || url=https://$BENCH_GUEST_IP/
		out=$(bench_nsx wrk -t1 -c"$CLIENTS" -d"$1s" --timeout 10s "${hdr[@]+"${hdr[@]}"}" \
			-s "$BENCH_TMP/report.lua" "$url" 2>&1) || true
		sed -n 's/^WRK requests=\([0-9]*\) errors=0$/\1/p' <<<"$out" | grep . ||
			{ bench_note "wrk: $(tr '\n' ' ' <<<"$out")"; return 1; }
		;;
	echo)
		out=$(bench_nsx "$BENCH_OUT/echo_client" lat "$BENCH_GUEST_IP" 7 "$CLIENTS" 0 "$1" 64 2>&1) || true
		sed -n 's/^lat .* msgs=\([0-9]*\) .*/\1/p' <<<"$out" | grep . ||
			{ bench_note "echo_client: $(tr '\n' ' ' <<<"$out")"; return 1; }
		;;
	esac
}

log=$BENCH_OUT/profile-$LOAD.log
bench_start_weft "$log" "$SMP" "$weft" "app=$app httpd_max_requests=1000000 tls_session_cache=0"
proto=http ready_re='httpd: port 80([^0-9]|$)'
[ "$app" = httpd ] || proto=echo ready_re='echo: listening on port 7([^0-9]|$)'
read -r first _ why < <(bench_first_answer "$proto" "$port" "$ready_re" "$log")
[ "$first" != - ] || { bench_log_tail "$log"; bench_die "no answer from the guest: ${why//_/ }"; }
bench_note "Weft answers ($first ms under the plugin); warming up, then $SECONDS_ s of $LOAD, $CLIENTS clients, $SMP vCPU"
load 2 >/dev/null || bench_die "the warm-up load failed"
before=$BENCH_OUT/profile-$LOAD.before after=$BENCH_OUT/profile-$LOAD.after
insn_dump "$before" || bench_die "the plugin did not write its table"
ops=$(load "$SECONDS_") || bench_die "the load failed"
insn_dump "$after" || bench_die "the plugin did not write its table"
bench_stop

title="Weft, $LOAD, $CLIENTS clients, $SMP vCPU: guest instructions by function over $ops ${unit}s ($SECONDS_ s under the plugin; make profile PROFILE_LOAD=$LOAD)"
tools/insn/profile.py "$weft" "$after" "$before" --ops "$ops" --unit "${unit// /-}" --top "$TOP" \
	--title "$title" --md "$BENCH_OUT/profile-$LOAD.md" | tee "$BENCH_OUT/profile-$LOAD.txt"
bench_note "wrote $BENCH_OUT/profile-$LOAD.{txt,md}"
