#!/usr/bin/env bash
# tests/e2e/echo.sh — the echo app over QEMU user networking.
#
# For each machine, q35 (virtio-net over PCI) and microvm (over MMIO), both
# with 2 CPUs: boot `app=echo`, forward a free 127.0.0.1 port to the guest's
# echo port 7 and another to its stats port 9 (nothing but these forwards
# reaches the guest: tools/qemu.sh runs slirp with restrict=on), wait for
# "echo: listening on port 7" and the "net: ADDR/PREFIX gw GW (dhcp|static)"
# line, then run tests/e2e/echo_client.py against it:
#
#   e2e.echo.M.boot         both lines within 60 s
#   e2e.echo.M.bulk-1       10 MB of seeded random data through 1 connection
#                           comes back unchanged (sha256)
#   e2e.echo.M.bulk-100     100 connections open at once (the stats port
#                           must count 100 open), 100 KB each (10 MB) sent
#                           on all of them together. They are opened one by
#                           one: QEMU's slirp listens on the host with a
#                           backlog of 1, and a burst of connects overflows
#                           it into SYN cookies and resets that are slirp's,
#                           not the guest's (netns.sh has the burst, on a tap)
#   e2e.echo.M.halfclose    100 KB, shutdown(SHUT_WR), all of it back, EOF
#   e2e.echo.M.reset        1 MB then RST mid-transfer: the server drops the
#                           connection and its task (stats port back to the
#                           baseline) and still serves a new connection
#   e2e.echo.M.noread       a client that never reads: the server's write
#                           deadline closes it, its task is gone (stats back
#                           to baseline within 20 s), a new connection echoes
# (20,000 connections in a row run on the tap in netns.sh, not here:
# through slirp their time is slirp's, which keeps each closed connection
# in TIME_WAIT for 10 s and slows down as thousands pile up.)
#   e2e.echo.M.guest-alive  afterwards the guest still runs, has not
#                           panicked, and answers (stats line, 64 KB echo)
# When QEMU itself aborts on libslirp 4.7.0's soread assertion (a client RST
# meeting slirp's full buffer; e2e_slirp_aborted in lib.sh), the machine's
# checks run once more and only that run's results count.
#
# The guest runs until the script stops it (by PID); tools/qemu.sh --timeout
# is the safety net. Logs: $WEFT_TEST_LOGS/e2e.echo.M.log.
# WEFT_E2E_STANDIN=1 runs the same checks against tests/e2e/standin_echo.py
# on 127.0.0.1 instead of a guest (to check this script and the client).
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

GUEST_TIMEOUT=420   # safety net for one guest; normally stopped long before
BOOT_WAIT=60

run_machine() {
	local m=$1 p="e2e.echo.$1"
	local names=("$p.boot" "$p.bulk-1" "$p.bulk-100" "$p.halfclose" "$p.reset"
		"$p.noread" "$p.guest-alive")
	e2e_any_wanted "${names[@]}" || return 0

	GUEST_LOG=$E2E_LOGS/$p.log
	GUEST_PID=""
	local echo_port stats_port try rc
	for ((try = 0; try < 3; try++)); do
		read -r echo_port stats_port <<<"$(e2e_free_ports 2)"
		if [ "$E2E_STANDIN" = 1 ]; then
			e2e_spawn GUEST_PID "$GUEST_LOG" "${E2E_CLIENT[0]}" "$E2E_DIR/standin_echo.py" \
				127.0.0.1 "$echo_port" "$stats_port"
			rc=0
		else
			e2e_guest_start GUEST_PID "$GUEST_LOG" --machine "$m" --smp 2 \
				--append "app=echo" --timeout "$GUEST_TIMEOUT" \
				--hostfwd "tcp:127.0.0.1:$echo_port-:7" \
				--hostfwd "tcp:127.0.0.1:$stats_port-:9"
			rc=$?
		fi
		[ "$rc" -eq 3 ] || break
		e2e_note "$p: a forwarded port was taken meanwhile; new ports"
	done
	if [ "$rc" -ne 0 ]; then
		e2e_fail "$p.boot" "could not start the guest: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
		e2e_stop "$GUEST_PID"
		return 0
	fi

	local listen_re='echo: listening on port 7([^0-9]|$)' net_re='^net: [0-9.]+/[0-9]+ gw [0-9.]+ \((dhcp|static)\)'
	[ "$E2E_STANDIN" != 1 ] || listen_re="echo: listening on port $echo_port"
	e2e_wait_log "$GUEST_LOG" "$GUEST_PID" "$BOOT_WAIT" "$listen_re" "$net_re"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		local why missing
		case $rc in
		2) e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"; why=$E2E_GONE ;;
		4) why="the guest said \"$E2E_GIVE_UP_LINE\"" ;;
		*) why="not within $BOOT_WAIT s" ;;
		esac
		missing=$(printf '"%s" and ' "${E2E_MISSING[@]}")
		e2e_fail "$p.boot" "no line matching ${missing% and }: $why; log $GUEST_LOG ends: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
		e2e_wanted "$p.boot" && e2e_show_tail "$p" "$GUEST_LOG"
		e2e_stop "$GUEST_PID"
		return 0
	fi
	e2e_pass "$p.boot" "$(e2e_log_line "$GUEST_LOG" "$net_re"), ready after ${E2E_WAITED} s"

	local h=127.0.0.1
	e2e_client "$p.bulk-1" 120 bulk "$h" "$echo_port" --bytes 10000000 --conns 1 --timeout 120
	e2e_client "$p.bulk-100" 120 bulk "$h" "$echo_port" --bytes 100000 --conns 100 --timeout 120 \
		--seed 2 --stagger --stats-port "$stats_port"
	e2e_client "$p.halfclose" 30 halfclose "$h" "$echo_port" --bytes 102400 --timeout 30
	e2e_client "$p.reset" 45 reset "$h" "$echo_port" --stats-port "$stats_port" --settle 20 --timeout 20
	e2e_client "$p.noread" 45 noread "$h" "$echo_port" --stats-port "$stats_port" --settle 20 --timeout 20

	if e2e_wanted "$p.guest-alive"; then
		local panic
		e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"
		panic=$(e2e_log_line "$GUEST_LOG" 'PANIC on cpu' || true)
		if [ -n "$E2E_GONE" ]; then
			e2e_fail "$p.guest-alive" "$E2E_GONE (log $GUEST_LOG)"
			e2e_show_tail "$p" "$GUEST_LOG"
		elif [ -n "$panic" ]; then
			e2e_fail "$p.guest-alive" "$panic (log $GUEST_LOG)"
			e2e_show_tail "$p" "$GUEST_LOG"
		else
			# still running: it must still answer, too
			e2e_client "$p.guest-alive" 20 alive "$h" "$echo_port" "$stats_port" --timeout 10
		fi
	fi
	e2e_stop "$GUEST_PID"
	GUEST_PID=""
}

t0=$SECONDS
for machine in q35 microvm; do
	t1=$SECONDS
	# One more run only when QEMU itself aborted in libslirp (see
	# e2e_slirp_aborted); that run's results are the ones that count.
	out=$(mktemp)
	run_machine "$machine" >"$out"
	log=$E2E_LOGS/e2e.echo.$machine.log
	if [ "$E2E_STANDIN" != 1 ] && e2e_slirp_aborted "$log"; then
		mv "$log" "$log.slirp-abort"
		e2e_note "echo.sh: $machine: QEMU aborted in libslirp's soread (log $log.slirp-abort); once more"
		run_machine "$machine" >"$out"
	fi
	cat "$out"
	rm -f "$out"
	e2e_note "echo.sh: $machine took $((SECONDS - t1)) s"
done
e2e_note "echo.sh took $((SECONDS - t0)) s"
exit 0
