#!/usr/bin/env bash
# tests/e2e/netns.sh — the echo app on a tap device in a private network
# namespace: DHCP, ping, 10 MB echo, and 2 MB echo under loss and
# reordering.
#
# The script makes a namespace weft-e2e-PID and deletes it on every exit
# path (with everything in it); nothing here touches the host's own network.
# Inside: tap0 = 10.77.0.1/24, dnsmasq serving DHCP on tap0 only
# (10.77.0.50-99, no DNS), and the guest (q35, 2 CPUs, `app=echo`, no ip=:
# DHCP) on tap0 through tools/qemu.sh --net tap:tap0. All traffic stays
# between 10.77.0.1 and the guest.
#
#   e2e.netns.dhcp      the guest prints "net: 10.77.0.5x/24 gw 10.77.0.1
#                       (dhcp)" and dnsmasq's log shows DHCPACK for it
#   e2e.netns.ping      5 ICMP echo requests from the namespace, 5 replies
#   e2e.netns.echo-10mb 10 MB of random data echoed intact (sha256)
#   e2e.netns.bulk-100  100 connections opened in one burst (100 SYNs at
#                       once), 100 KB each echoed intact
#   e2e.netns.burst-1000  a flash crowd: 1,000 connects issued at once (in
#                       ~50 ms), each echoes a byte, all close (every third
#                       by RST), and a new connection right after echoes;
#                       the server's stats must count all 1,000 accepted
#                       (the detail has the figures: when the last connect
#                       completed, SYNs retransmitted; make bench-burst
#                       puts them beside Linux)
#   e2e.netns.churn-20000  20,000 connections in a row (connect, 64 bytes
#                       echoed, close) all succeed; the detail has the time
#                       of every block of 1,000 (first and last: a stall
#                       shows; not judged, benchmarks are not tests: the
#                       200,000 of make soak put them beside Linux)
#   e2e.netns.concurrent-10000  10,000 connections held open at once, a
#                       line echoed on each
#   e2e.netns.synflood  hping3 floods port 7 with SYNs (-i u200: about
#                       3,300-3,700/s sent on this machine; a full queue
#                       evicts its oldest half-open pcb in constant time,
#                       net/lwip/patches/0005, where the first form of the
#                       patch, which walked every active pcb per SYN, fell
#                       behind under TCG at this pace; from
#                       10.77.0.200, an address of the namespace's subnet
#                       nobody holds: the SYN-ACKs wait for an ARP answer
#                       that never comes, nothing leaves tap0) until the SYN
#                       queue is full, then for 5 s a legitimate client
#                       connects every 100 ms: every one echoed without a SYN
#                       retransmission, half-open connections never above
#                       the queue's 8,192 (make bench-synflood: beside Linux)
#   e2e.netns.no-leak   after all of the above, once the clients are gone:
#                       tasks, connections, live pcbs and the pools a
#                       connection holds (PBUF_POOL, PBUF, TCP_SEG, the heap,
#                       RX_SMALL) back at their values after boot, within
#                       60 s (half-open pcbs of the flood go after 20 s)
#   e2e.netns.echo-2mb-netem  2 MB echoed under 5% loss, 5 ms +- 5 ms delay
#                       and 25% (50% correlated) reordering (10 MB at
#                       three loss rates, beside Linux: make bench-loss):
#       on a second guest (static ip=10.77.0.2/24 gw=10.77.0.1, write
#       deadline 60 s: retransmission timeouts are not a client that stopped
#       reading):
#       - kernel netem when the kernel has it: `tc qdisc add dev tap0 root
#         netem loss 5% delay 5ms 5ms reorder 25% 50%` (host-to-guest only,
#         as netem on tap0's egress is), the guest on tap0;
#       - otherwise (this project's machines: CONFIG_NET_SCH_NETEM is not
#         set) the same model in userspace, tests/e2e/netem_relay.py, in both
#         directions: the guest on tap1, which the relay joins to tap0.
#       The detail says which ran.
#       WEFT_E2E_NETEM=kernel makes a missing netem a FAIL instead;
#       WEFT_E2E_NETEM=userspace always uses the relay.
#
# Needs root, iproute2 (ip, tc), /dev/net/tun and dnsmasq (tools/setup.sh
# installs them); without them every result is a FAIL that says why. ping(8)
# is used when present, else echo_client.py's ICMP ping.
# Logs: $WEFT_TEST_LOGS/e2e.netns.{log,dnsmasq.log,netem.log,relay.log}.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

GUEST_TIMEOUT=480  # safety net for one guest
BOOT_WAIT=60       # boot, link, DHCP
NETEM_ARGS=(loss 5% delay 5ms 5ms reorder 25% 50%)
NETEM_MODE=${WEFT_E2E_NETEM:-auto}
# Under 5% loss a sender can wait out several retransmission timeouts in a
# row (they double): the echo server's write deadline (5 s by default) must
# not mistake that for a client that stopped reading.
NETEM_WRITE_TIMEOUT_MS=60000

N_DHCP=e2e.netns.dhcp N_PING=e2e.netns.ping N_ECHO=e2e.netns.echo-10mb
N_NETEM=e2e.netns.echo-2mb-netem N_BULK100=e2e.netns.bulk-100
N_CHURN=e2e.netns.churn-20000 N_HOLD=e2e.netns.concurrent-10000 N_BURST=e2e.netns.burst-1000
N_FLOOD=e2e.netns.synflood N_LEAK=e2e.netns.no-leak
ALL=("$N_DHCP" "$N_PING" "$N_ECHO" "$N_BULK100" "$N_BURST" "$N_CHURN" "$N_HOLD" "$N_FLOOD" "$N_LEAK" "$N_NETEM")
FIRST_GUEST=("$N_PING" "$N_ECHO" "$N_BULK100" "$N_BURST" "$N_CHURN" "$N_HOLD" "$N_FLOOD" "$N_LEAK")
e2e_any_wanted "${ALL[@]}" || exit 0

# ---- what the machine must have -------------------------------------------------
missing=()
[ "$(id -u)" -eq 0 ] || missing+=("not root (namespaces and tap devices need root)")
command -v ip >/dev/null || missing+=("no ip(8) (package iproute2)")
command -v dnsmasq >/dev/null || missing+=("no dnsmasq (package dnsmasq-base)")
[ -c /dev/net/tun ] || missing+=("no /dev/net/tun")
[ -f "$E2E_KERNEL" ] || missing+=("no kernel $E2E_KERNEL (run make first)")
if [ ${#missing[@]} -gt 0 ]; then
	e2e_fail_all "$(IFS=';'; echo "${missing[*]}")" "${ALL[@]}"
	exit 0
fi

ns=weft-e2e-$$
nsx() { ip netns exec "$ns" "$@"; }
if ! err=$(ip netns add "$ns" 2>&1); then
	e2e_fail_all "cannot create a network namespace: $err" "${ALL[@]}"
	exit 0
fi
# Deleting the namespace deletes its tap devices; the processes in it are
# stopped first (e2e_cleanup stops every spawned group before the hooks).
e2e_on_exit "ip netns del $ns 2>/dev/null"
if ! err=$({
	nsx ip link set lo up &&
		nsx ip tuntap add dev tap0 mode tap &&
		nsx ip addr add 10.77.0.1/24 dev tap0 &&
		nsx sysctl -qw net.ipv6.conf.tap0.disable_ipv6=1 &&
		nsx sysctl -qw net.ipv4.ip_local_port_range="1024 65000" &&
		nsx ip link set tap0 up
} 2>&1); then
	e2e_fail_all "cannot set up tap0 in namespace $ns: $err" "${ALL[@]}"
	exit 0
fi
# The wide port range is for the client side of churn-20000: the client
# closes first, so each connection leaves a TIME_WAIT socket in this
# namespace, and Linux's connect() turns slow once half of its ephemeral
# range is in TIME_WAIT (about 14,000 of the default 28,232) — that would
# be measured as a guest stall.
E2E_WRAP=(ip netns exec "$ns")
E2E_WRAP_CLIENT=(ip netns exec "$ns")

# ---- DHCP server ----------------------------------------------------------------
dnsmasq_log=$E2E_LOGS/e2e.netns.dnsmasq.log dnsmasq_pid=""
e2e_spawn dnsmasq_pid "$dnsmasq_log" ip netns exec "$ns" dnsmasq --no-daemon \
	--conf-file=/dev/null --port=0 --interface=tap0 --bind-interfaces \
	--except-interface=lo --dhcp-range=10.77.0.50,10.77.0.99,255.255.255.0,1h \
	--dhcp-authoritative --dhcp-leasefile="$E2E_TMP/dnsmasq.leases" \
	--pid-file="$E2E_TMP/dnsmasq.pid" --log-dhcp --log-facility=-
if ! e2e_wait_log "$dnsmasq_log" "$dnsmasq_pid" 10 'DHCP, sockets bound exclusively to interface tap0'; then
	e2e_fail_all "dnsmasq did not start: $(e2e_log_tail "$dnsmasq_log" 3 | e2e_oneline)" "${ALL[@]}"
	exit 0
fi

# ---- the guest --------------------------------------------------------------------
LISTEN_RE='echo: listening on port 7([^0-9]|$)'
NET_RE='^net: [0-9.]+/[0-9]+ gw [0-9.]+ \((dhcp|static)\)'

# boot_guest NAME LOG QEMU-ARGS...: boot, wait for the echo and net lines;
# sets GUEST_PID/GUEST_LOG; on failure sets boot_why and returns 1.
boot_guest() {
	local name=$1 log=$2 rc
	shift 2
	GUEST_LOG=$log
	boot_why=""
	e2e_guest_start GUEST_PID "$log" --machine q35 --smp 2 --timeout "$GUEST_TIMEOUT" "$@" ||
		{ boot_why="could not start the guest: $(e2e_log_tail "$log" 3 | e2e_oneline)"; return 1; }
	e2e_wait_log "$log" "$GUEST_PID" "$BOOT_WAIT" "$LISTEN_RE" "$NET_RE"
	rc=$?
	[ "$rc" -eq 0 ] && return 0
	case $rc in
	2) e2e_guest_gone "$GUEST_PID" "$log"; boot_why=$E2E_GONE ;;
	4) boot_why="the guest said \"$E2E_GIVE_UP_LINE\"" ;;
	*) boot_why="not within $BOOT_WAIT s" ;;
	esac
	local missing
	missing=$(printf '"%s" and ' "${E2E_MISSING[@]}")
	boot_why="no line matching ${missing% and }: $boot_why; log $log ends: $(e2e_log_tail "$log" 3 | e2e_oneline)"
	e2e_show_tail "$name" "$log"
	return 1
}

t0=$SECONDS
if ! boot_guest e2e.netns "$E2E_LOGS/e2e.netns.log" --append "app=echo" --net tap:tap0; then
	e2e_fail "$N_DHCP" "$boot_why"
	e2e_fail_all "the guest has no address (see $N_DHCP)" "${FIRST_GUEST[@]}"
	guest_ok=0
else
	guest_ok=1
fi

addr=""
if [ "$guest_ok" -eq 1 ]; then
	netline=$(e2e_log_line "$GUEST_LOG" "$NET_RE")
	read -r addr prefix gw kind <<<"$(sed -nE 's/^net: ([0-9.]+)\/([0-9]+) gw ([0-9.]+) \(([a-z]+)\).*/\1 \2 \3 \4/p' <<<"$netline")"
	problems=()
	[ "$kind" = dhcp ] || problems+=("configured by $kind, not DHCP")
	[[ $addr =~ ^10\.77\.0\.([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 50 ] &&
		[ "${BASH_REMATCH[1]}" -le 99 ] || problems+=("address $addr is not in dnsmasq's 10.77.0.50-99")
	[ "$prefix" = 24 ] || problems+=("prefix /$prefix, want /24")
	[ "$gw" = 10.77.0.1 ] || problems+=("gateway $gw, want 10.77.0.1")
	ack=$(e2e_log_line "$dnsmasq_log" "DHCPACK\(tap0\) $addr " | sed 's/.*\(DHCPACK\)/\1/; s/ *$//')
	[ -n "$ack" ] || problems+=("no \"DHCPACK(tap0) $addr\" in $dnsmasq_log")
	if [ ${#problems[@]} -gt 0 ]; then
		e2e_fail "$N_DHCP" "$(IFS=';'; echo "${problems[*]}") (guest: \"$netline\")"
	else
		e2e_pass "$N_DHCP" "$netline; dnsmasq: $ack; after ${E2E_WAITED} s"
	fi
	# Everything below needs an address to talk to.
	[[ $addr =~ ^10\.77\.0\.[0-9]+$ ]] || {
		e2e_fail_all "the guest printed no usable address (\"$netline\")" "${FIRST_GUEST[@]}"
		guest_ok=0
	}
fi

# The leak check's baseline: the guest as it is after boot.
baseline=$E2E_TMP/leak.baseline
if [ "$guest_ok" -eq 1 ] && e2e_wanted "$N_LEAK"; then
	nsx "${E2E_CLIENT[@]}" leakcheck "$addr" 9 --save "$baseline" >"$E2E_TMP/leak.save" 2>&1 ||
		e2e_note "leak baseline: $(e2e_oneline <"$E2E_TMP/leak.save")"
fi

if [ "$guest_ok" -eq 1 ] && e2e_wanted "$N_PING"; then
	if command -v ping >/dev/null; then
		e2e_run 20 "$E2E_TMP/ping.out" "$E2E_TMP/ping.out" ip netns exec "$ns" \
			ping -n -c 5 -i 0.2 -W 2 "$addr"
		rc=$?
		out=$(cat "$E2E_TMP/ping.out")
		if [ "$rc" -eq 0 ] && grep -q ' 5 received' <<<"$out"; then
			e2e_pass "$N_PING" "ping(8): $(grep -E 'received|rtt' <<<"$out" | e2e_oneline)"
		else
			e2e_fail "$N_PING" "ping(8): $(tail -n 3 <<<"$out" | e2e_oneline)"
		fi
	else
		e2e_client "$N_PING" 20 ping "$addr" --count 5
	fi
fi

if [ "$guest_ok" -eq 1 ]; then
	e2e_client "$N_ECHO" 60 bulk "$addr" 7 --bytes 10000000 --timeout 60
	e2e_client "$N_BULK100" 60 bulk "$addr" 7 --bytes 100000 --conns 100 --timeout 60 --seed 2
	e2e_client "$N_BURST" 90 burst "$addr" 7 --conns 1000 --stats-port 9 --timeout 80
fi

# The flood before the churn: its 8,192 half-open pcbs expire (20 s)
# while the churn runs, so the leak check at the end need not wait for them.
FLOOD_SRC=10.77.0.200
if [ "$guest_ok" -eq 1 ] && e2e_wanted "$N_FLOOD"; then
	if ! command -v hping3 >/dev/null; then
		e2e_fail "$N_FLOOD" "no hping3 (package hping3; tools/setup.sh installs it)"
	else
		hping_log=$E2E_LOGS/e2e.netns.hping3.log hping_pid=""
		e2e_spawn hping_pid "$hping_log" ip netns exec "$ns" \
			hping3 -S -p 7 -a "$FLOOD_SRC" -i u200 -q "$addr"
		flood_line=$E2E_TMP/flood.line
		e2e_client "$N_FLOOD" 60 synprobe "$addr" 7 --stats-port 9 --half-open-max 8192 \
			--fill-timeout 30 --seconds 5 --timeout 60 >"$flood_line"
		# hping3 prints what it sent when interrupted.
		kill -INT "$hping_pid" 2>/dev/null
		for ((i = 0; i < 30; i++)); do e2e_alive "$hping_pid" || break; sleep 0.1; done
		e2e_stop "$hping_pid"
		sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$hping_log")
		line=$(cat "$flood_line")
		case $line in
		"PASS "*")") echo "${line%)}; hping3 sent ${sent:-?} SYNs)" ;;
		*) [ -z "$line" ] || echo "$line [hping3 sent ${sent:-?} SYNs]" ;;
		esac
	fi
fi

if [ "$guest_ok" -eq 1 ]; then
	e2e_client "$N_CHURN" 150 churn "$addr" 7 --count 20000 --timeout 150 --no-judge
	e2e_client "$N_HOLD" 150 hold "$addr" 7 9 --count 10000 --timeout 150
fi

if [ "$guest_ok" -eq 1 ] && e2e_wanted "$N_LEAK"; then
	if [ -s "$baseline" ]; then
		e2e_client "$N_LEAK" 75 leakcheck "$addr" 9 --baseline "$baseline" --within 60
	else
		e2e_fail "$N_LEAK" "no baseline after boot: $(e2e_oneline <"$E2E_TMP/leak.save")"
	fi
fi

# ---- under loss and reordering -------------------------------------------------
netem_line=$E2E_TMP/netem.line
netem_bulk() { # netem_bulk ADDR: the 2 MB echo; its result line to $netem_line
	e2e_client "$N_NETEM" 240 bulk "$1" 7 --bytes 2000000 --timeout 240 --seed 3 \
		--connect-timeout 60 >"$netem_line"
}
netem_print() { # netem_print DETAIL: print the result line with DETAIL added
	local line
	line=$(cat "$netem_line" 2>/dev/null)
	case $line in
	"PASS "*")") echo "${line%)}; $1)" ;;
	"FAIL "*) echo "$line [$1]" ;;
	*) [ -z "$line" ] || echo "$line" ;;
	esac
}

# A fresh guest for it (the first one may be worn out by the churn), with a
# static address: 10.77.0.2, and a long write deadline.
NETEM_APPEND="app=echo ip=10.77.0.2/24 gw=10.77.0.1 echo_write_timeout_ms=$NETEM_WRITE_TIMEOUT_MS"
if e2e_wanted "$N_NETEM"; then
	[ -z "${GUEST_PID:-}" ] || e2e_stop "$GUEST_PID"
	GUEST_PID=""
	kernel_netem=0 netem_why=""
	if [ "$NETEM_MODE" != userspace ]; then
		if ! command -v tc >/dev/null; then
			netem_why="no tc(8)"
		elif netem_why=$(nsx tc qdisc add dev tap0 root netem "${NETEM_ARGS[@]}" 2>&1); then
			kernel_netem=1
		else
			netem_why="tc qdisc add dev tap0 root netem ${NETEM_ARGS[*]}: $(e2e_oneline <<<"$netem_why")"
			if command -v modprobe >/dev/null && modprobe sch_netem 2>/dev/null &&
				nsx tc qdisc add dev tap0 root netem "${NETEM_ARGS[@]}" 2>/dev/null; then
				kernel_netem=1
			else
				netem_why+="; modprobe sch_netem failed"
			fi
		fi
	fi
	if [ "$kernel_netem" -eq 1 ]; then
		if boot_guest e2e.netns.netem "$E2E_LOGS/e2e.netns.netem.log" \
			--append "$NETEM_APPEND" --net tap:tap0; then
			netem_bulk 10.77.0.2
			netem_print "kernel netem ${NETEM_ARGS[*]} on tap0 (host to guest only)"
		else
			e2e_fail "$N_NETEM" "second guest (static 10.77.0.2): $boot_why"
		fi
		nsx tc qdisc del dev tap0 root 2>/dev/null
	elif [ "$NETEM_MODE" = kernel ]; then
		e2e_fail "$N_NETEM" "netem unavailable ($netem_why)"
	else
		relay_log=$E2E_LOGS/e2e.netns.relay.log relay_pid=""
		if ! err=$({
			nsx ip tuntap add dev tap1 mode tap &&
				nsx sysctl -qw net.ipv6.conf.tap1.disable_ipv6=1 &&
				nsx ip link set tap1 arp off &&
				nsx ip link set tap1 up
		} 2>&1); then
			e2e_fail "$N_NETEM" "cannot set up tap1 for the relay: $(e2e_oneline <<<"$err")"
		else
			e2e_spawn relay_pid "$relay_log" ip netns exec "$ns" "${E2E_CLIENT[0]}" \
				"$E2E_DIR/netem_relay.py" tap0 tap1 --loss 5 --delay-ms 5 --jitter-ms 5 \
				--reorder 25 --reorder-corr 50 --log-first 10
			if ! e2e_wait_log "$relay_log" "$relay_pid" 10 '^relay: ready'; then
				e2e_fail "$N_NETEM" "the relay did not start: $(e2e_log_tail "$relay_log" 3 | e2e_oneline)"
			elif ! boot_guest e2e.netns.netem "$E2E_LOGS/e2e.netns.netem.log" \
				--append "$NETEM_APPEND" --net tap:tap1 --tap-offload off; then
				e2e_fail "$N_NETEM" "second guest (static 10.77.0.2 behind the relay): $boot_why"
			else
				netem_bulk 10.77.0.2
			fi
			# The relay prints its counts as it stops: they go in the detail.
			e2e_stop "$relay_pid"
			counts=$(grep -m1 -E '^relay: to-guest [0-9]+ frames' "$relay_log" 2>/dev/null | sed 's/^relay: //')
			netem_print "userspace netem (tests/e2e/netem_relay.py) both ways, as ${NETEM_ARGS[*]}, since ${netem_why:-WEFT_E2E_NETEM=userspace}${counts:+; relay: $counts}"
		fi
	fi
fi

e2e_note "netns.sh took $((SECONDS - t0)) s"
exit 0
