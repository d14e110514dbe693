# shellcheck shell=bash
# shellcheck disable=SC2034 # E2E_* variables are set here for the scripts
# tests/e2e/lib.sh — shared by the end-to-end scripts (source it; not a test).
#
# Results: e2e_pass NAME [DETAIL] / e2e_fail NAME REASON print the runner's
# `PASS name (detail)` / `FAIL name: reason` lines on stdout, for names the
# filter ($WEFT_TEST_FILTER, an extended regex) lets through. Everything
# else (progress, log tails) goes to stderr.
#
# Processes: e2e_spawn starts a command in the background in a session of
# its own (setsid), so that e2e_stop PID can signal exactly that process
# group (TERM, then KILL after 5 s): QEMU under tools/qemu.sh is three
# processes (the script, timeout --foreground, qemu; tee too). Only
# processes started here are ever signalled, by their own group id. The
# EXIT trap stops everything still running and then runs the cleanup hooks
# (e2e_on_exit), on every exit path; INT/TERM/HUP exit through it.
#
# Guests: e2e_guest_start VAR LOG QEMU-ARGS... boots $WEFT_KERNEL through
# $WEFT_QEMU in the background (prefix the command with E2E_WRAP, e.g.
# `ip netns exec NS`), e2e_wait_log waits (bounded) for lines in its log.
#
# Environment (set by tests/run.sh): WEFT_KERNEL, WEFT_QEMU, WEFT_TEST_LOGS,
# WEFT_TEST_FILTER. WEFT_E2E_STANDIN=1: no guest; the scripts that support it
# run tests/e2e/standin_echo.py on the host instead, to check the test
# plumbing itself.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO=$(cd "$E2E_DIR/../.." && pwd)
E2E_QEMU=${WEFT_QEMU:-$E2E_REPO/tools/qemu.sh}
E2E_KERNEL=${WEFT_KERNEL:-$E2E_REPO/build/weft}
E2E_LOGS=${WEFT_TEST_LOGS:-$E2E_REPO/build/test/logs}
E2E_FILTER=${WEFT_TEST_FILTER:-}
E2E_STANDIN=${WEFT_E2E_STANDIN:-0}
E2E_CLIENT=("${E2E_PYTHON:-python3}" "$E2E_DIR/echo_client.py")
E2E_WRAP=()        # prefix for spawned guests, e.g. (ip netns exec NS)
E2E_WRAP_CLIENT=() # prefix for the client, likewise
E2E_PIDS=()        # spawned process groups still to stop
E2E_HOOKS=()       # cleanup commands (eval'd, last registered first)
declare -A E2E_STATUS=() # exit status of reaped guests, by PID
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/weft-e2e.XXXXXX")
mkdir -p "$E2E_LOGS"

e2e_note() { echo "e2e: $*" >&2; }

# ---- results ----------------------------------------------------------------
e2e_wanted() { # e2e_wanted NAME: does the filter let NAME through?
	[ -z "$E2E_FILTER" ] || grep -qE -- "$E2E_FILTER" <<<"$1"
}
e2e_any_wanted() { # e2e_any_wanted NAME...: is any of them wanted?
	local n
	for n in "$@"; do e2e_wanted "$n" && return 0; done
	return 1
}
e2e_oneline() { # newlines and carriage returns to " | ", squeezed
	tr -d '\r' | tr '\n' '\v' | sed 's/\v*$//; s/\v\+/ | /g'
}
e2e_pass() { # e2e_pass NAME [DETAIL]
	e2e_wanted "$1" || return 0
	if [ -n "${2:-}" ]; then
		echo "PASS $1 ($(printf '%s' "$2" | e2e_oneline))"
	else
		echo "PASS $1"
	fi
}
e2e_fail() { # e2e_fail NAME REASON
	e2e_wanted "$1" || return 0
	echo "FAIL $1: $(printf '%s' "$2" | e2e_oneline)"
}
e2e_fail_all() { # e2e_fail_all REASON NAME...: the same failure for each name
	local why=$1 n
	shift
	for n in "$@"; do e2e_fail "$n" "$why"; done
}

# e2e_slirp_aborted LOG: true when QEMU died on libslirp 4.7.0's assertion in
# soread (Debian 12's libslirp0). slirp_pollfds_poll calls soread for POLLHUP
# and POLLERR too, which poll reports whether asked for or not, so a host
# client's RST that arrives while slirp's buffer toward the guest (so_snd) is
# full makes soread find no room and abort QEMU. A busy host makes the guest
# fall behind and the buffer full; the abort is QEMU's, not a guest verdict.
e2e_slirp_aborted() { grep -q "soread: Assertion .buf_len != 0. failed" "$1" 2>/dev/null; }

# ---- processes --------------------------------------------------------------
# e2e_spawn VAR OUT CMD...: CMD in the background, in its own session and
# process group, stdout and stderr to OUT, stdin from /dev/null; VAR gets
# its PID (= its process group id).
e2e_spawn() {
	local __e2e_var=$1 __e2e_out=$2
	shift 2
	setsid "$@" </dev/null >"$__e2e_out" 2>&1 &
	E2E_PIDS+=("$!")
	printf -v "$__e2e_var" '%s' "$!"
}
e2e_alive() { kill -0 "$1" 2>/dev/null; }
# e2e_stop PID: TERM its process group, KILL it after 5 s, reap it.
e2e_stop() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	if e2e_alive "$pid"; then
		# The group id is the PID (setsid); fall back to the PID alone if
		# setsid had to fork (then $! was the short-lived parent).
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			e2e_alive "$pid" || break
			sleep 0.1
		done
		if e2e_alive "$pid"; then
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		fi
	fi
	if [ -z "${E2E_STATUS[$pid]:-}" ]; then
		wait "$pid" 2>/dev/null
		E2E_STATUS[$pid]=$?
	fi
	local left=() p
	for p in "${E2E_PIDS[@]+"${E2E_PIDS[@]}"}"; do [ "$p" = "$pid" ] || left+=("$p"); done
	E2E_PIDS=("${left[@]+"${left[@]}"}")
	return 0
}
# e2e_run SECS OUT ERR CMD...: CMD in the foreground as far as the script
# is concerned, but started like e2e_spawn and waited for with `wait`, so a
# TERM to the script (tests/run.sh's timeout) runs the EXIT trap at once
# instead of after CMD; killed (TERM, then KILL 5 s later) after SECS.
# Returns CMD's status (124 or 137 when it was killed).
e2e_run() {
	local secs=$1 out=$2 err=$3 pid rc
	shift 3
	if [ "$out" = "$err" ]; then
		setsid timeout -k 5 "$secs" "$@" </dev/null >"$out" 2>&1 &
	else
		setsid timeout -k 5 "$secs" "$@" </dev/null >"$out" 2>"$err" &
	fi
	pid=$!
	E2E_PIDS+=("$pid")
	wait "$pid"
	rc=$?
	E2E_STATUS[$pid]=$rc
	e2e_stop "$pid"   # forget it (and anything it left in its group)
	return "$rc"
}
e2e_on_exit() { E2E_HOOKS+=("$1"); } # e2e_on_exit 'COMMAND': run at exit
e2e_cleanup() {
	local i p
	trap - EXIT INT TERM HUP
	# All groups at once (tests/run.sh KILLs the script 10 s after its TERM).
	for p in "${E2E_PIDS[@]+"${E2E_PIDS[@]}"}"; do
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	done
	for ((i = 0; i < 50; i++)); do
		local any=0
		for p in "${E2E_PIDS[@]+"${E2E_PIDS[@]}"}"; do e2e_alive "$p" && any=1; done
		[ "$any" -eq 1 ] || break
		sleep 0.1
	done
	for p in "${E2E_PIDS[@]+"${E2E_PIDS[@]}"}"; do
		kill -KILL -- "-$p" 2>/dev/null || true
	done
	for ((i = ${#E2E_HOOKS[@]} - 1; i >= 0; i--)); do eval "${E2E_HOOKS[i]}" || true; done
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- ports --------------------------------------------------------------------
# e2e_free_ports N: N distinct TCP ports free on 127.0.0.1 right now (the
# kernel picks them; QEMU may still lose a race for one: see
# e2e_guest_start, which retries).
e2e_free_ports() {
	"${E2E_CLIENT[0]}" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# ---- logs ---------------------------------------------------------------------
e2e_log_tail() { # e2e_log_tail LOG [N]: its last N lines (default 30), no CRs
	tail -n "${2:-30}" "$1" 2>/dev/null | tr -d '\r'
}
e2e_show_tail() { # e2e_show_tail NAME LOG: the tail on stderr, as run.sh does
	{
		echo "---- last 30 lines of $2 ($1) ----"
		e2e_log_tail "$2" 30 | sed 's/^/    /'
		echo "----"
	} >&2
}
# e2e_wait_log LOG PID SECS REGEX...: wait until every REGEX (extended,
# matched per line, CRs ignored) is in LOG. Returns 0 when all are there,
# 1 after SECS seconds, 2 as soon as PID is gone, 4 as soon as a line
# matches $E2E_GIVE_UP (default: a panic, or the guest saying it has no such
# app; E2E_GIVE_UP_LINE gets that line). Sets E2E_WAITED to the seconds
# waited and E2E_MISSING to the regexes not found.
E2E_GIVE_UP='PANIC on cpu|no app named'
e2e_wait_log() {
	local log=$1 pid=$2 secs=$3 i re t0=$SECONDS
	shift 3
	E2E_GIVE_UP_LINE=""
	for ((i = 0; i <= secs * 5; i++)); do
		if [ -n "$E2E_GIVE_UP" ] &&
			E2E_GIVE_UP_LINE=$(e2e_log_line "$log" "$E2E_GIVE_UP"); then
			E2E_MISSING=("$@")
			E2E_WAITED=$((SECONDS - t0))
			return 4
		fi
		E2E_MISSING=()
		for re in "$@"; do
			tr -d '\r' 2>/dev/null <"$log" | grep -qE -- "$re" || E2E_MISSING+=("$re")
		done
		E2E_WAITED=$((SECONDS - t0))
		[ ${#E2E_MISSING[@]} -gt 0 ] || return 0
		e2e_alive "$pid" || return 2
		sleep 0.2
	done
	return 1
}
# e2e_log_line LOG REGEX: the first line of LOG matching REGEX, no CR.
e2e_log_line() { tr -d '\r' 2>/dev/null <"$1" | grep -m1 -E -- "$2"; }

# ---- guests -----------------------------------------------------------------
# e2e_guest_start VAR LOG QEMU-ARGS...: boot the kernel through tools/qemu.sh
# in the background (under ${E2E_WRAP[@]}), console and QEMU's messages in
# LOG; VAR gets the PID. When QEMU could not bind a forwarded port (another
# process took it between e2e_free_ports and QEMU), it says so at once: the
# caller should pick new ports and call again (status 3 then).
e2e_guest_start() {
	local __e2e_gvar=$1 log=$2 pid i
	shift 2
	[ -f "$E2E_KERNEL" ] || { echo "no kernel $E2E_KERNEL (run make first)" >"$log"; return 1; }
	e2e_spawn pid "$log" "${E2E_WRAP[@]+"${E2E_WRAP[@]}"}" "$E2E_QEMU" \
		--kernel "$E2E_KERNEL" "$@"
	printf -v "$__e2e_gvar" '%s' "$pid"
	# A lost hostfwd race shows within a second or two.
	for ((i = 0; i < 10; i++)); do
		grep -q 'host forwarding rule\|Could not set up host forwarding' "$log" 2>/dev/null && break
		e2e_alive "$pid" || break
		grep -q '^weft: ' "$log" 2>/dev/null && return 0
		sleep 0.2
	done
	if grep -q 'host forwarding rule\|Could not set up host forwarding' "$log" 2>/dev/null; then
		e2e_stop "$pid"
		return 3
	fi
	return 0
}
# e2e_guest_gone PID LOG: sets E2E_GONE to why a guest is not there any
# more, or to "" while it runs. (Not for $(...): `wait` must run in the
# shell that started the guest.)
e2e_guest_gone() {
	local pid=$1 log=$2 st
	E2E_GONE=""
	e2e_alive "$pid" && return 0
	if [ -n "${E2E_STATUS[$pid]:-}" ]; then
		st=${E2E_STATUS[$pid]}
	else
		wait "$pid" 2>/dev/null
		st=$?
		E2E_STATUS[$pid]=$st
	fi
	case $st in
	0) st="exited (pass)" ;; 1) st="exited (fail)" ;; 2) st="panicked" ;;
	3) st="timed out" ;; *) st="exited (qemu.sh status $st)" ;;
	esac
	local p
	p=$(e2e_log_line "$log" 'PANIC on cpu' || true)
	E2E_GONE="the guest $st${p:+: $p}"
}

# ---- clients ----------------------------------------------------------------
# e2e_client NAME SECS ARGS...: run echo_client.py ARGS (killed after SECS
# plus a margin: the client bounds itself first) and report NAME: PASS with
# the client's summary line, or FAIL with its message. GUEST_PID and
# GUEST_LOG (when set) add the guest's fate to a failure.
e2e_client() {
	local name=$1 secs=$2 out=$E2E_TMP/client.out err=$E2E_TMP/client.err rc why
	shift 2
	e2e_wanted "$name" || return 0
	local t0=$SECONDS
	e2e_run "$((secs + 15))" "$out" "$err" "${E2E_WRAP_CLIENT[@]+"${E2E_WRAP_CLIENT[@]}"}" \
		"${E2E_CLIENT[@]}" "$@"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		e2e_pass "$name" "$(tail -n 1 "$out"), $((SECONDS - t0)) s"
		return 0
	fi
	why=$(grep -m1 '^echo_client: ' "$err" | sed 's/^echo_client: //')
	[ -n "$why" ] || why=$(tail -n 3 "$err" | e2e_oneline)
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || why="client killed after $((secs + 15)) s${why:+; $why}"
	[ -n "$why" ] || why="client exited with status $rc"
	if [ -n "${GUEST_PID:-}" ]; then
		e2e_guest_gone "$GUEST_PID" "${GUEST_LOG:-/dev/null}"
		[ -z "$E2E_GONE" ] || why+=" ($E2E_GONE)"
	fi
	e2e_fail "$name" "$why"
	sed 's/^/    /' "$err" | tail -n 20 >&2
	return 1
}

# ---- a private network namespace with a dual-stack tap -----------------------
# e2e_netns_up NS: make namespace NS (deleted again at exit, with all in it)
# with lo up and tap0 = 10.77.0.1/24 and fd77::1/64 (no duplicate address
# detection, no router advertisements accepted), and set E2E_WRAP and
# E2E_WRAP_CLIENT to run in it. Returns 1 with E2E_NETNS_WHY set on failure.
# The checks of what the machine needs: e2e_netns_missing (sets E2E_NETNS_WHY).
E2E_TEST_KERNEL=${WEFT_TEST_KERNEL:-$E2E_REPO/build/weft-test}
e2e_netns_missing() {
	local m=()
	[ "$(id -u)" -eq 0 ] || m+=("not root (namespaces and tap devices need root)")
	command -v ip >/dev/null || m+=("no ip(8) (package iproute2)")
	command -v dnsmasq >/dev/null || m+=("no dnsmasq (package dnsmasq-base)")
	[ -c /dev/net/tun ] || m+=("no /dev/net/tun")
	E2E_NETNS_WHY=$(IFS=';'; echo "${m[*]}")
	[ ${#m[@]} -gt 0 ]
}
e2e_netns_up() {
	local ns=$1 err
	if ! err=$(ip netns add "$ns" 2>&1); then
		E2E_NETNS_WHY="cannot create a network namespace: $err"
		return 1
	fi
	e2e_on_exit "ip netns del $ns 2>/dev/null"
	if ! err=$({
		ip netns exec "$ns" ip link set lo up &&
			ip netns exec "$ns" ip tuntap add dev tap0 mode tap &&
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.tap0.disable_ipv6=0 &&
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.tap0.accept_ra=0 &&
			ip netns exec "$ns" ip addr add 10.77.0.1/24 dev tap0 &&
			ip netns exec "$ns" ip addr add fd77::1/64 dev tap0 nodad &&
			ip netns exec "$ns" ip link set tap0 up
	} 2>&1); then
		E2E_NETNS_WHY="cannot set up tap0 in namespace $ns: $err"
		return 1
	fi
	E2E_WRAP=(ip netns exec "$ns")
	E2E_WRAP_CLIENT=(ip netns exec "$ns")
}

# ---- slirp's listen backlog ----------------------------------------------------
# e2e_backlog_shim: build the LD_PRELOAD shim (listen_backlog.c) that raises
# the backlog of QEMU's listen() calls to $WEFT_E2E_SLIRP_BACKLOG (default
# 1024; 0: none): slirp listens for a host forward with a backlog of 1, and
# a burst of connects (wrk's) overflows it. Sets E2E_SHIM to the .so, or ""
# (with E2E_SHIM_NOTE saying why). httpd.sh has its own copy of this.
E2E_SHIM="" E2E_SHIM_NOTE="slirp's own listen backlog"
e2e_backlog_shim() {
	local backlog=${WEFT_E2E_SLIRP_BACKLOG:-1024} cc=${CC:-cc} so=$E2E_TMP/listen_backlog.so
	[ "$backlog" != 0 ] || return 0
	command -v "$cc" >/dev/null 2>&1 || cc=gcc
	if "$cc" -shared -fPIC -O2 -DMIN_BACKLOG="$backlog" -o "$so" "$E2E_DIR/listen_backlog.c" -ldl \
		>"$E2E_TMP/shim.err" 2>&1; then
		E2E_SHIM=$so E2E_SHIM_NOTE="listen backlog $backlog (shim)"
	else
		E2E_SHIM_NOTE="slirp's own listen backlog: the shim did not build ($(head -n 2 "$E2E_TMP/shim.err" | e2e_oneline))"
		e2e_note "$E2E_SHIM_NOTE"
	fi
}
