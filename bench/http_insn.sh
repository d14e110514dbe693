# bench/http_insn.sh — guest instructions per HTTP request (sourced by
# bench/http.sh and bench/profile.sh, after bench/lib.sh and
# tools/insn/lib.sh; not run).
#
# The method. The server runs in its own boot with the instruction-count
# plugin (tools/insn/insn.c) loaded into QEMU, and a FIFO through which the
# harness reads the guest's running instruction total at moments it picks
# (tools/insn/lib.sh). After a warm-up, a small and then a large load
# (BENCH_INSN_SMALL and BENCH_INSN_LARGE requests, keep-alive GET / from
# BENCH_INSN_CLIENTS connections) run back to back, the total read before,
# between and after:
#   instructions per request = (large window - small window) / (large - small requests)
# Everything a window pays once (wrk's connections opening and closing, the
# guest's work between the mark and the first request) cancels in the
# difference, and boot and idle never enter a window. What stays is the
# cost of the extra requests: what the guest's CPU executes per request,
# which a KVM guest pays too, whatever the emulator's speed. One thing in
# it does scale with time rather than requests: a guest's periodic timer
# (Linux: CONFIG_HZ=250 ticks while busy), paid at TCG's request rate, a
# few per cent of Linux's figure; a KVM host at higher rates pays less.
# BENCH_INSN_REPS pairs are measured in the same boot; the table shows
# their median and spread ((max - min) / median).
#
# The client: wrk, one thread, keep-alive, with a Lua script that stops
# the process once exactly N responses arrived (wrk's -d would otherwise
# run its whole duration: a stopped thread does not end the run). Up to
# CLIENTS-1 requests are then in flight and unanswered, which the guest
# still serves inside the window: a few requests each time, the same for
# both loads, so they cancel too.
#
# The request: GET BENCH_INSN_PATH (/) unless BENCH_INSN_LUA names a Lua
# file whose text goes before the counting script (bench/apps.sh: kv's PUT
# sets wrk.method and wrk.body there; bench/https.sh's handshakes add
# "Connection: close"), at BENCH_INSN_BASE (http://BENCH_GUEST_IP; an
# https:// one for HTTPS); any 2xx answer counts as right.
# shellcheck shell=bash

BENCH_INSN_CLIENTS=${BENCH_INSN_CLIENTS:-8}
BENCH_INSN_WARMUP=${BENCH_INSN_WARMUP:-500}
BENCH_INSN_SMALL=${BENCH_INSN_SMALL:-2000}
BENCH_INSN_LARGE=${BENCH_INSN_LARGE:-10000}
BENCH_INSN_REPS=${BENCH_INSN_REPS:-3}
BENCH_INSN_PATH=${BENCH_INSN_PATH:-/}
BENCH_INSN_LUA=${BENCH_INSN_LUA:-}

# bench_wrk_n N: exactly N keep-alive requests (GET BENCH_INSN_PATH, or
# BENCH_INSN_LUA's) answered 2xx, over BENCH_INSN_CLIENTS connections;
# prints N; fails (with a note) otherwise.
bench_wrk_n() {
	local lua=$BENCH_TMP/count.lua out
	{
		[ -z "$BENCH_INSN_LUA" ] || cat "$BENCH_INSN_LUA"
		cat <<'EOF'
-- stop after exactly args[1] responses; say how many were not 2xx
local limit, n, bad = 0, 0, 0
function init(args) limit = tonumber(args[1]) end
function response(status, headers, body)
	n = n + 1
	if status < 200 or status > 299 then bad = bad + 1 end
	if n >= limit then
		io.write(string.format("WRKN requests=%d non200=%d\n", n, bad))
		io.flush()
		os.exit(0)
	end
end
EOF
	} >"$lua"
	out=$(bench_nsx wrk -t1 -c"$BENCH_INSN_CLIENTS" -d600s --timeout 10s -s "$lua" \
		"${BENCH_INSN_BASE:-http://$BENCH_GUEST_IP}$BENCH_INSN_PATH" -- "$1" 2>&1 || true)
	if ! grep -q "^WRKN requests=$1 non200=0\$" <<<"$out"; then
		bench_note "wrk for $1 requests: $(grep -v '^ ' <<<"$out" | tr '\n' ' ')"
		return 1
	fi
	echo "$1"
}

# bench_insn_http: with a server under the plugin answering on
# BENCH_GUEST_IP, print BENCH_INSN_REPS lines "PER_REQUEST SMALL_INSNS
# LARGE_INSNS" (the two windows' instruction counts); fail when a load or
# a mark fails.
bench_insn_http() {
	local rep a b c
	bench_wrk_n "$BENCH_INSN_WARMUP" >/dev/null || return 1
	for ((rep = 0; rep < BENCH_INSN_REPS; rep++)); do
		a=$(insn_mark) || return 1
		bench_wrk_n "$BENCH_INSN_SMALL" >/dev/null || return 1
		b=$(insn_mark) || return 1
		bench_wrk_n "$BENCH_INSN_LARGE" >/dev/null || return 1
		c=$(insn_mark) || return 1
		echo "$(((c - b - (b - a)) / (BENCH_INSN_LARGE - BENCH_INSN_SMALL))) $((b - a)) $((c - b))"
	done
}
