#!/usr/bin/env bash
# tests/e2e/proxy.sh — app=proxy, the reverse proxy, with curl in front and
# two real upstreams behind it (tests/e2e/upstream.py, Python's
# http.server), all in a private network namespace (weft-proxy-PID,
# deleted on every exit path): tap0 is 10.77.0.1, where the upstreams
# listen (ports 8081 and 8082) and curl runs; the guest is 10.77.0.2.
# (QEMU's user networking here is restrict=on: a guest cannot dial out.)
#
#   e2e.proxy.roundrobin  6 GET /who: A and B answer in turn (once both
#                         are up and each has answered once)
#   e2e.proxy.headers     the upstream sees X-Forwarded-For (the client's
#                         list plus 10.77.0.1) and Via: 1.1 weft, not the
#                         hop-by-hop fields (Connection, one it names,
#                         Keep-Alive, TE); the client sees Via too
#   e2e.proxy.keepalive   60 requests through the proxy open at most 2 new
#                         upstream connections per upstream (the pool)
#   e2e.proxy.stream      8 MiB POSTed with a length, and 8 MiB chunked,
#                         through the proxy to a streaming echo, come back
#                         byte for byte; 8 MiB streamed down chunked too
#   e2e.proxy.methods     HEAD keeps the upstream's length and sends no body;
#                         a body ended by the upstream's close is relayed
#   e2e.proxy.timeout     an upstream slower than proxy_timeout_ms: 504
#   e2e.proxy.badgateway  an upstream that closes without answering: 502;
#                         one that closes in mid-body (with a length, and
#                         chunked): the client's answer is cut off too
#                         (curl fails), never ended as if whole
#   e2e.proxy.health      B killed: requests go to A (no client sees an
#                         error), B is logged down; B back: logged up and
#                         in the rotation again
#   e2e.proxy.alldown     both killed: 502
#
# Needs root, iproute2, /dev/net/tun, curl and python3. Logs: $WEFT_TEST_LOGS/e2e.proxy.log (the guest),
# e2e.proxy.up-A.log, e2e.proxy.up-B.log.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.proxy
ALL=("$P.roundrobin" "$P.headers" "$P.keepalive" "$P.stream" "$P.methods" "$P.timeout"
	"$P.badgateway" "$P.health" "$P.alldown")
e2e_any_wanted "${ALL[@]}" || exit 0
if e2e_netns_missing || ! command -v curl >/dev/null; then
	e2e_fail_all "${E2E_NETNS_WHY:-no curl}" "${ALL[@]}"
	exit 0
fi
ns=weft-proxy-$$
if ! e2e_netns_up "$ns"; then
	e2e_fail_all "$E2E_NETNS_WHY" "${ALL[@]}"
	exit 0
fi
NS=(ip netns exec "$ns")
H=10.77.0.1 PA=8081 PB=8082
UP=$E2E_DIR/upstream.py
start_up() { # start_up NAME PORT VAR
	e2e_spawn "$3" "$E2E_LOGS/$P.up-$1.log" "${NS[@]}" python3 "$UP" "$1" "$H" "$2"
}
CURL_BIN=$(command -v curl)
curl() { "${NS[@]}" "$CURL_BIN" "$@"; }
wait_up() { # wait_up PORT: until it answers (10 s)
	local i
	for ((i = 0; i < 50; i++)); do
		curl -sf -m 2 "http://$H:$1/health" >/dev/null && return 0
		sleep 0.2
	done
	return 1
}
start_up A "$PA" UPA_PID
start_up B "$PB" UPB_PID
if ! wait_up "$PA" || ! wait_up "$PB"; then
	e2e_fail_all "the upstreams did not start (logs $E2E_LOGS/$P.up-*.log)" "${ALL[@]}"
	exit 0
fi

GUEST_LOG=$E2E_LOGS/$P.log
APPEND="app=proxy ip=10.77.0.2/24 gw=10.77.0.1 proxy_upstreams=$H:$PA,$H:$PB proxy_timeout_ms=1500"
APPEND+=" proxy_health_path=/health proxy_health_interval_ms=300 proxy_keepalive=8"
e2e_guest_start GUEST_PID "$GUEST_LOG" --machine q35 --smp 2 --timeout 400 \
	--append "$APPEND" --net tap:tap0
if ! e2e_wait_log "$GUEST_LOG" "$GUEST_PID" 60 '^proxy: port=80'; then
	e2e_show_tail "$P" "$GUEST_LOG"
	e2e_fail_all "the proxy did not start (log $GUEST_LOG)" "${ALL[@]}"
	exit 0
fi
U=http://10.77.0.2
CURL=(curl -s -m 30)

# Wait until the proxy answers at all (the first requests may race the boot).
for ((i = 0; i < 50; i++)); do
	"${CURL[@]}" -f "$U/who" >/dev/null && break
	sleep 0.2
done

# Upstreams start up in the proxy's view; a health check that timed out on a
# busy host marks one down until the next one passes. Round robin is judged
# with both up: every "down" line of each followed by an "up" (10 s at most).
both_up() {
	local port downs ups
	for port in "$PA" "$PB"; do
		downs=$(grep -c "^proxy: upstream $H:$port down" <(tr -d '\r' <"$GUEST_LOG"))
		ups=$(grep -c "^proxy: upstream $H:$port up" <(tr -d '\r' <"$GUEST_LOG"))
		[ "$ups" -ge "$downs" ] || return 1
	done
}
# The first health checks (300 ms each here) may time out on the guest's
# first contact with the namespace (ARP, the first SYN): let three rounds
# pass before judging.
sleep 1
for ((i = 0; i < 50; i++)); do both_up && break; sleep 0.2; done
# Steady state first: until A and B have each answered (20 requests at most).
# (Right after boot the first requests meant for A have been seen going to B,
# the proxy's move to the next upstream after an error: BBBBBA.)
warm=""
for ((i = 0; i < 20; i++)); do
	warm+=$("${CURL[@]}" "$U/who")
	[[ $warm == *A* && $warm == *B* ]] && break
done

# ---- round robin ---------------------------------------------------------------
if e2e_wanted "$P.roundrobin"; then
	got=$(for i in 1 2 3 4 5 6; do "${CURL[@]}" "$U/who"; done | tr -d '\n')
	case $got in
	ABABAB | BABABA) e2e_pass "$P.roundrobin" "$got" ;;
	*) e2e_fail "$P.roundrobin" "answers in order: '$got', want ABABAB or BABABA" ;;
	esac
fi

# ---- forwarded fields ------------------------------------------------------------
if e2e_wanted "$P.headers"; then
	seen=$("${CURL[@]}" -D "$E2E_TMP/h.head" -H 'X-Forwarded-For: 192.0.2.9' \
		-H 'Connection: keep-alive, X-Drop-Me' -H 'X-Drop-Me: 1' -H 'Keep-Alive: timeout=5' \
		-H 'TE: trailers' -H 'X-Keep: 2' "$U/headers" | tr -d '\r')
	why=""
	grep -qx 'X-Forwarded-For: 192.0.2.9, 10.77.0.1' <<<"$seen" || why+="no X-Forwarded-For: 192.0.2.9, 10.77.0.1; "
	grep -qx 'Via: 1.1 weft' <<<"$seen" || why+="no Via: 1.1 weft; "
	grep -qx 'X-Keep: 2' <<<"$seen" || why+="X-Keep lost; "
	grep -qix 'host: 10.77.0.2' <<<"$seen" || why+="Host not the client's; "
	grep -qiE '^(x-drop-me|keep-alive|te|connection):' <<<"$seen" && why+="a hop-by-hop field reached the upstream; "
	grep -qi '^via: 1.1 weft' <(tr -d '\r' <"$E2E_TMP/h.head") || why+="no Via on the response; "
	if [ -z "$why" ]; then
		e2e_pass "$P.headers"
	else
		e2e_fail "$P.headers" "$why upstream saw: $seen"
	fi
fi

# ---- keep-alive pools -----------------------------------------------------------------
if e2e_wanted "$P.keepalive"; then
	a0=$(curl -s "http://$H:$PA/conns")
	b0=$(curl -s "http://$H:$PB/conns")
	urls=()
	for ((i = 0; i < 60; i++)); do urls+=("$U/who"); done
	n=$("${CURL[@]}" "${urls[@]}" | grep -c .)
	a1=$(curl -s "http://$H:$PA/conns")
	b1=$(curl -s "http://$H:$PB/conns")
	# Each read of /conns is a connection of its own (the first one counted).
	da=$((a1 - a0 - 1)) db=$((b1 - b0 - 1))
	if [ "$n" -eq 60 ] && [ "$da" -le 2 ] && [ "$db" -le 2 ]; then
		e2e_pass "$P.keepalive" "60 requests, $da new connections to A, $db to B"
	else
		e2e_fail "$P.keepalive" "$n answers of 60; new upstream connections: A $da, B $db (want <= 2 each)"
	fi
fi

# ---- streaming both ways -------------------------------------------------------------
if e2e_wanted "$P.stream"; then
	head -c 8388608 /dev/urandom >"$E2E_TMP/up.bin"
	python3 - "$E2E_TMP/down.bin" <<'PY'
import sys
block = bytes((i * 7 + 3) % 251 for i in range(65536))
open(sys.argv[1], "wb").write(block * 128)
PY
	why=""
	"${CURL[@]}" -m 300 -H 'Expect:' --data-binary @"$E2E_TMP/up.bin" "$U/echo" -o "$E2E_TMP/echo1.bin"
	cmp -s "$E2E_TMP/up.bin" "$E2E_TMP/echo1.bin" ||
		why+="POST with a length came back different ($(stat -c %s "$E2E_TMP/echo1.bin" 2>/dev/null) bytes); "
	"${CURL[@]}" -m 300 -H 'Transfer-Encoding: chunked' --data-binary @"$E2E_TMP/up.bin" "$U/echo" \
		-o "$E2E_TMP/echo2.bin"
	cmp -s "$E2E_TMP/up.bin" "$E2E_TMP/echo2.bin" ||
		why+="chunked POST came back different ($(stat -c %s "$E2E_TMP/echo2.bin" 2>/dev/null) bytes); "
	"${CURL[@]}" -m 300 "$U/stream?n=8388608" -o "$E2E_TMP/down2.bin"
	cmp -s "$E2E_TMP/down.bin" "$E2E_TMP/down2.bin" ||
		why+="the 8 MiB download differs ($(stat -c %s "$E2E_TMP/down2.bin" 2>/dev/null) bytes); "
	if [ -z "$why" ]; then
		e2e_pass "$P.stream" "8 MiB up and back with a length, 8 MiB chunked, 8 MiB down, identical"
	else
		e2e_fail "$P.stream" "$why"
	fi
fi

# ---- HEAD, close-delimited bodies --------------------------------------------------------
if e2e_wanted "$P.methods"; then
	why=""
	h=$("${CURL[@]}" -I "$U/anything" | tr -d '\r')
	grep -qix 'content-length: 1234' <<<"$h" || why+="HEAD lost the length ($h); "
	b=$("${CURL[@]}" "$U/close")
	[ "$b" = "until the close" ] || why+="close-delimited body: '$b'; "
	c=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$U/nope")
	[ "$c" = 404 ] || why+="the upstream's 404 came back as $c; "
	if [ -z "$why" ]; then e2e_pass "$P.methods"; else e2e_fail "$P.methods" "$why"; fi
fi

# ---- failures ----------------------------------------------------------------------------
code() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@"; }
if e2e_wanted "$P.timeout"; then
	c=$(code "$U/slow?ms=4000")
	if [ "$c" = 504 ]; then e2e_pass "$P.timeout" "4 s upstream, 1.5 s limit: 504"; else
		e2e_fail "$P.timeout" "status $c, want 504"; fi
fi
if e2e_wanted "$P.badgateway"; then
	why=""
	c=$(code "$U/reset")
	[ "$c" = 502 ] || why+="closed without answering: status $c, want 502; "
	for cut in cut cutchunked; do
		"${CURL[@]}" -o /dev/null "$U/$cut"
		rc=$?
		[ "$rc" -ne 0 ] || why+="/$cut: curl saw a whole answer; "
	done
	if [ -z "$why" ]; then e2e_pass "$P.badgateway" "502; bodies cut mid-way reach the client cut"; else
		e2e_fail "$P.badgateway" "$why"; fi
fi

if e2e_wanted "$P.health" || e2e_wanted "$P.alldown"; then
	e2e_stop "$UPB_PID"
	why=""
	got=$(for i in 1 2 3 4 5 6; do "${CURL[@]}" -w '%{http_code} ' "$U/who"; done | tr '\n' ' ')
	[ "$got" = "A 200 A 200 A 200 A 200 A 200 A 200 " ] || why+="with B killed: '$got'; "
	e2e_wait_log "$GUEST_LOG" "$GUEST_PID" 10 "^proxy: upstream $H:$PB down" ||
		why+="B never logged down; "
	n0=$(grep -c "^proxy: upstream $H:$PB up" <(tr -d '\r' <"$GUEST_LOG"))
	start_up B "$PB" UPB_PID
	wait_up "$PB" || why+="B did not restart; "
	for ((i = 0; i < 50; i++)); do
		n1=$(grep -c "^proxy: upstream $H:$PB up" <(tr -d '\r' <"$GUEST_LOG"))
		[ "$n1" -gt "$n0" ] && break
		sleep 0.2
	done
	[ "$n1" -gt "$n0" ] || why+="B never logged up again; "
	got=$(for i in 1 2 3 4; do "${CURL[@]}" "$U/who"; done | tr -d '\n')
	grep -q B <<<"$got" && grep -q A <<<"$got" || why+="B not back in the rotation: '$got'; "
	if [ -z "$why" ]; then e2e_pass "$P.health" "down logged, A alone answered, up logged, $got"; else
		e2e_fail "$P.health" "$why"; fi

	e2e_stop "$UPA_PID"
	e2e_stop "$UPB_PID"
	codes=$(for i in 1 2 3; do code "$U/who"; echo; done | tr '\n' ' ')
	if [ "$codes" = "502 502 502 " ]; then e2e_pass "$P.alldown"; else
		e2e_fail "$P.alldown" "statuses '$codes', want 502 each"; fi
fi

e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"
if [ -n "$E2E_GONE" ]; then
	e2e_note "$E2E_GONE"
	e2e_show_tail "$P" "$GUEST_LOG"
fi
e2e_stop "$GUEST_PID"
exit 0
