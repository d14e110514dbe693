#!/usr/bin/env bash
# tests/e2e/net.sh — Go's net on Weft, end to end: dual stack, SLAAC,
# DHCP's and RA's DNS servers, dial to the namespace's own hosts over IPv4
# and IPv6 and by name, the dial errors, UDP, a blocked read cancelled
# from another task, and curl -6 to the HTTP server.
#
# The script makes a namespace weft-net-PID and deletes it on every exit
# path; nothing here touches the host's own network. Inside: tap0 =
# 10.77.0.1/24 and fd77::1/64; dnsmasq on tap0 only, serving DHCP
# (10.77.0.50-99), router advertisements for fd77::/64 (SLAAC, ra-only)
# and DNS for weft.test (peer.weft.test = 10.77.0.1 and fd77::1,
# v4.weft.test = 10.77.0.1; other names NXDOMAIN); tests/e2e/netpeer.py,
# the peers (TCP echo on 7, a silent server on 9, a full accept queue on
# 10, UDP echo on 7, on both families). All traffic stays between the
# namespace's addresses and the guest.
#
# Guest 1, the shipped kernel (app=httpd, DHCP and SLAAC):
#   e2e.net.slaac        "net: fd77::5054:ff:fe12:3456/64 (slaac)" (EUI-64 of
#                        the MAC) and the link-local line
#   e2e.net.dns-servers  a "net: dns ..." line naming the namespace's dnsmasq
#   e2e.net.curl6        curl -6 to the SLAAC address: 200, the same page as
#                        over IPv4
#   e2e.net.metrics      /metrics (over IPv6) lists the addresses in their
#                        text form: weft_net_address_info for the DHCP, SLAAC
#                        and link-local ones, weft_dns_server_info
# Guest 2, the test kernel (app=nettest, tests/guest/app_nettest.c; it is
# test code, so it is not in build/weft):
#   e2e.net.dial4        10.77.0.1:7: connected, echoed, the peer logged it
#   e2e.net.dial6        [fd77::1]:7 from the guest's SLAAC address
#   e2e.net.dial-name    peer.weft.test:7 (IPv6 first: the guest has a
#                        global address) and v4.weft.test:7 (IPv4 only)
#   e2e.net.resolve      peer.weft.test resolves to fd77::1 and 10.77.0.1
#   e2e.net.nxdomain     a dial to nope.weft.test: "no such host"
#   e2e.net.refused      port 11, both families: "connection refused", at once
#   e2e.net.timeout      port 10 (Linux drops the SYNs): "timed out" after
#                        the 3 s deadline
#   e2e.net.unreachable  10.77.0.200 (nobody answers ARP): "no route to host"
#   e2e.net.udp-echo     a datagram to 10.77.0.1:7 and [fd77::1]:7 comes back
#                        from there
#   e2e.net.cancel       a read blocked on the silent server, closed from
#                        another task after 500 ms: "use of closed
#                        connection" then, not before
#
# Needs root, iproute2, /dev/net/tun, dnsmasq, python3 and curl
# (tools/setup.sh installs them). Logs: $WEFT_TEST_LOGS/e2e.net.*.log.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

GUEST_TIMEOUT=120
BOOT_WAIT=60
P=e2e.net
SLAAC_ADDR=fd77::5054:ff:fe12:3456	# EUI-64 of QEMU's default MAC 52:54:00:12:34:56
G1=("$P.slaac" "$P.dns-servers" "$P.curl6" "$P.metrics")
G2=("$P.dial4" "$P.dial6" "$P.dial-name" "$P.resolve" "$P.nxdomain" "$P.refused"
	"$P.timeout" "$P.unreachable" "$P.udp-echo" "$P.cancel")
ALL=("${G1[@]}" "${G2[@]}")
e2e_any_wanted "${ALL[@]}" || exit 0

if e2e_netns_missing; then
	e2e_fail_all "$E2E_NETNS_WHY" "${ALL[@]}"
	exit 0
fi
ns=weft-net-$$
if ! e2e_netns_up "$ns"; then
	e2e_fail_all "$E2E_NETNS_WHY" "${ALL[@]}"
	exit 0
fi

# ---- the namespace's hosts ------------------------------------------------------
dnsmasq_log=$E2E_LOGS/$P.dnsmasq.log peer_log=$E2E_LOGS/$P.peer.log dnsmasq_pid="" peer_pid=""
e2e_spawn dnsmasq_pid "$dnsmasq_log" ip netns exec "$ns" dnsmasq --no-daemon \
	--conf-file=/dev/null --interface=tap0 --bind-dynamic --except-interface=lo \
	--no-resolv --no-hosts --local=/weft.test/ \
	--host-record=peer.weft.test,10.77.0.1,fd77::1 --host-record=v4.weft.test,10.77.0.1 \
	--dhcp-range=10.77.0.50,10.77.0.99,255.255.255.0,1h --dhcp-range=fd77::,ra-only,64,1h \
	--enable-ra --dhcp-authoritative --dhcp-leasefile="$E2E_TMP/dnsmasq.leases" \
	--pid-file="$E2E_TMP/dnsmasq.pid" --log-dhcp --log-queries --log-facility=-
e2e_spawn peer_pid "$peer_log" ip netns exec "$ns" "${E2E_PYTHON:-python3}" \
	"$E2E_DIR/netpeer.py"
if ! e2e_wait_log "$dnsmasq_log" "$dnsmasq_pid" 10 'IPv6 router advertisement enabled'; then
	e2e_fail_all "dnsmasq did not start: $(e2e_log_tail "$dnsmasq_log" 3 | e2e_oneline)" "${ALL[@]}"
	exit 0
fi
if ! e2e_wait_log "$peer_log" "$peer_pid" 15 '^netpeer: ready'; then
	e2e_fail_all "netpeer.py did not start: $(e2e_log_tail "$peer_log" 3 | e2e_oneline)" "${ALL[@]}"
	exit 0
fi

# boot NAME KERNEL APPEND REGEX...: a guest on tap0 (console in
# $E2E_LOGS/NAME.log), waited for until every REGEX is in its log; sets
# GUEST_PID GUEST_LOG, or boot_why and returns 1.
boot() {
	local name=$1 kernel=$2 append=$3 rc
	shift 3
	GUEST_LOG=$E2E_LOGS/$name.log boot_why=""
	local saved=$E2E_KERNEL
	E2E_KERNEL=$kernel
	e2e_guest_start GUEST_PID "$GUEST_LOG" --machine q35 --smp 2 --timeout "$GUEST_TIMEOUT" \
		--append "$append" --net tap:tap0
	rc=$?
	E2E_KERNEL=$saved
	[ "$rc" -eq 0 ] || { boot_why="could not start the guest: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"; return 1; }
	e2e_wait_log "$GUEST_LOG" "$GUEST_PID" "$BOOT_WAIT" "$@"
	rc=$?
	[ "$rc" -eq 0 ] && return 0
	case $rc in
	2) e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"; boot_why=$E2E_GONE ;;
	4) boot_why="the guest said \"$E2E_GIVE_UP_LINE\"" ;;
	*) boot_why="not within $BOOT_WAIT s" ;;
	esac
	boot_why="no \"${E2E_MISSING[0]}\": $boot_why; log $GUEST_LOG ends: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
	e2e_show_tail "$name" "$GUEST_LOG"
	return 1
}

line() { e2e_log_line "$GUEST_LOG" "$1"; }

# ---- guest 1: the shipped HTTP server, dual stack ----------------------------------
V4_RE='^net: 10\.77\.0\.[0-9]+/24 gw 10\.77\.0\.1 \(dhcp\)'
SLAAC_RE="^net: $SLAAC_ADDR/64 \\(slaac\\)"
if e2e_any_wanted "${G1[@]}"; then
	if ! boot "$P.httpd" "$E2E_KERNEL" "app=httpd" "$V4_RE" "$SLAAC_RE" 'httpd: listening'; then
		e2e_fail_all "$boot_why" "${G1[@]}"
	else
		ll=$(line '^net: fe80::5054:ff:fe12:3456/64 \(link-local\)')
		if [ -n "$ll" ]; then
			e2e_pass "$P.slaac" "$(line "$SLAAC_RE"); $ll"
		else
			e2e_fail "$P.slaac" "no link-local line (log $GUEST_LOG)"
		fi
		# DHCP names 10.77.0.1; dnsmasq's RA (RDNSS) its link-local address,
		# on the NIC (zone 2), in the same slot: the later one shows
		e2e_wait_log "$GUEST_LOG" "$GUEST_PID" 10 '^net: dns ' >/dev/null
		dns=$(line '^net: dns ')
		if [[ $dns =~ ^net:\ dns(\ (10\.77\.0\.1|fd77::1|fe80::[0-9a-f:]+%2))+$ ]]; then
			e2e_pass "$P.dns-servers" "$dns"
		else
			e2e_fail "$P.dns-servers" "want \"net: dns\" naming 10.77.0.1 or dnsmasq's IPv6 address, got \"$dns\""
		fi
		v4=$(sed -nE 's/^net: (10\.77\.0\.[0-9]+)\/24.*/\1/p' <(tr -d '\r' <"$GUEST_LOG") | head -n 1)
		b6=$E2E_TMP/body6 b4=$E2E_TMP/body4
		code6=$(ip netns exec "$ns" curl -6 -sS -g -m 10 -o "$b6" -w '%{http_code}' \
			"http://[$SLAAC_ADDR]/" 2>"$E2E_TMP/curl6.err")
		code4=$(ip netns exec "$ns" curl -4 -sS -m 10 -o "$b4" -w '%{http_code}' \
			"http://$v4/" 2>/dev/null)
		if [ "$code6" = 200 ] && [ "$code4" = 200 ] && cmp -s "$b6" "$b4" && [ -s "$b6" ]; then
			e2e_pass "$P.curl6" "curl -6 http://[$SLAAC_ADDR]/: 200, $(stat -c %s "$b6") bytes, as over IPv4"
		else
			e2e_fail "$P.curl6" "curl -6: $code6 $(e2e_oneline <"$E2E_TMP/curl6.err"), curl -4 $v4: $code4"
		fi
		m=$(ip netns exec "$ns" curl -6 -sS -g -m 10 "http://[$SLAAC_ADDR]/metrics" 2>&1)
		want=("weft_net_address_info{address=\"$v4/24\",origin=\"dhcp\"} 1"
			"weft_net_address_info{address=\"$SLAAC_ADDR/64\",origin=\"slaac\"} 1"
			"weft_net_address_info{address=\"fe80::5054:ff:fe12:3456%2/64\",origin=\"link-local\"} 1")
		missing=()
		for w in "${want[@]}"; do grep -qxF "$w" <<<"$m" || missing+=("$w"); done
		grep -q '^weft_dns_server_info{address="' <<<"$m" || missing+=("weft_dns_server_info")
		if [ ${#missing[@]} -eq 0 ]; then
			e2e_pass "$P.metrics" "$(grep -c '_info{' <<<"$m") address samples"
		else
			e2e_fail "$P.metrics" "missing: ${missing[*]}"
		fi
	fi
	e2e_stop "$GUEST_PID"
fi

# ---- guest 2: the test kernel's client ---------------------------------------------------
if e2e_any_wanted "${G2[@]}"; then
	append="app=nettest nettest_wait6=1 nettest_timeout_ms=3000"
	append+=" nettest_resolve=peer.weft.test"
	for d in 10.77.0.1:7 "[fd77::1]:7" peer.weft.test:7 v4.weft.test:7 nope.weft.test:7 \
		10.77.0.1:11 "[fd77::1]:11" 10.77.0.1:10 10.77.0.200:7; do
		append+=" nettest_dial=$d"
	done
	append+=" nettest_udp=10.77.0.1:7 nettest_udp=[fd77::1]:7 nettest_cancel=10.77.0.1:9"
	if ! boot "$P.nettest" "$E2E_TEST_KERNEL" "$append" '^nettest: done'; then
		e2e_fail_all "$boot_why" "${G2[@]}"
	else
		res() { tr -d '\r' <"$GUEST_LOG" | grep -m1 -F "nettest: $1 $2: "; }
		ok_dial() { # ok_dial NAME TARGET PEER: the dial's line says ok, peer PEER, echo
			local l
			l=$(res dial "$2")
			if [[ $l == *": ok local "*" peer $3 echo weft-e2e" ]]; then
				echo "$l"
				return 0
			fi
			echo "want ok with peer $3 and the echo, got \"$l\""
			return 1
		}
		if why=$(ok_dial x 10.77.0.1:7 10.77.0.1:7) &&
			grep -qE '^netpeer: tcp 7 from (::ffff:)?10\.77\.0\.[0-9]+$' "$peer_log"; then
			e2e_pass "$P.dial4" "$why"
		else
			e2e_fail "$P.dial4" "$why (or no \"tcp 7 from 10.77.0.x\" in $peer_log)"
		fi
		if why=$(ok_dial x "[fd77::1]:7" "[fd77::1]:7") && [[ $why == *"local [$SLAAC_ADDR]:"* ]]; then
			e2e_pass "$P.dial6" "$why"
		else
			e2e_fail "$P.dial6" "$why (from [$SLAAC_ADDR])"
		fi
		if a=$(ok_dial x peer.weft.test:7 "[fd77::1]:7") && b=$(ok_dial x v4.weft.test:7 10.77.0.1:7); then
			e2e_pass "$P.dial-name" "$a; $b"
		else
			e2e_fail "$P.dial-name" "$a; ${b:-}"
		fi
		l=$(res resolve peer.weft.test)
		if [[ $l == *": fd77::1 10.77.0.1" ]] && grep -q 'query\[AAAA\] peer.weft.test' "$dnsmasq_log"; then
			e2e_pass "$P.resolve" "$l"
		else
			e2e_fail "$P.resolve" "want \"fd77::1 10.77.0.1\" (AAAA asked of dnsmasq), got \"$l\""
		fi
		l=$(res dial nope.weft.test:7)
		if [[ $l == *"error -2 (no such host)"* ]]; then
			e2e_pass "$P.nxdomain" "$l"
		else
			e2e_fail "$P.nxdomain" "want \"no such host\", got \"$l\""
		fi
		a=$(res dial 10.77.0.1:11) b=$(res dial "[fd77::1]:11")
		if [[ $a =~ \(connection\ refused\)\ after\ [0-9]{1,3}\ ms$ ]] &&
			[[ $b =~ \(connection\ refused\)\ after\ [0-9]{1,3}\ ms$ ]]; then
			e2e_pass "$P.refused" "$a; $b"
		else
			e2e_fail "$P.refused" "want \"connection refused\" within a second, got \"$a\"; \"$b\""
		fi
		l=$(res dial 10.77.0.1:10)
		if [[ $l =~ \(timed\ out\)\ after\ (3[0-9]{3})\ ms$ ]]; then
			e2e_pass "$P.timeout" "$l"
		else
			e2e_fail "$P.timeout" "want \"timed out\" after the 3 s deadline, got \"$l\""
		fi
		l=$(res dial 10.77.0.200:7)
		if [[ $l == *"(no route to host) after "* ]]; then
			e2e_pass "$P.unreachable" "$l"
		else
			e2e_fail "$P.unreachable" "want \"no route to host\", got \"$l\""
		fi
		a=$(res udp 10.77.0.1:7) b=$(res udp "[fd77::1]:7")
		if [[ $a == *": ok from 10.77.0.1:7 echo weft-udp" ]] &&
			[[ $b == *": ok from [fd77::1]:7 echo weft-udp" ]]; then
			e2e_pass "$P.udp-echo" "$a; $b"
		else
			e2e_fail "$P.udp-echo" "got \"$a\"; \"$b\""
		fi
		l=$(res cancel 10.77.0.1:9)
		if [[ $l =~ blocked\ read\ -9\ \(use\ of\ closed\ connection\)\ after\ (4[5-9][0-9]|[5-9][0-9]{2})\ ms$ ]]; then
			e2e_pass "$P.cancel" "$l"
		else
			e2e_fail "$P.cancel" "want a blocked read ended by the close after ~500 ms, got \"$l\""
		fi
	fi
	e2e_stop "$GUEST_PID"
fi
exit 0
