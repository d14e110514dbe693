#!/usr/bin/env bash
# tests/e2e/https.sh — HTTPS in the HTTP server end to end: app=httpd of the
# shipped image on q35 with 2 CPUs, booted with https_port=8443 and
# http_redirect=on tls_names=localhost httpd_header_timeout_ms=3000 (the
# handshake's deadline too); QEMU user networking forwards two free 127.0.0.1 ports to
# the guest's 80 and 8443. Clients: curl --cacert build/tls/localhost.crt,
# openssl s_client, Python's ssl (pipelining).
#
#   e2e.https.boot             "httpd: HTTPS listening on port 8443" within 60 s
#   e2e.https.get              GET / verified against the baked certificate:
#                              200, the site's index.html byte for byte, ALPN
#                              http/1.1 accepted
#   e2e.https.head             HEAD /: 200, Content-Length of index.html, no body
#   e2e.https.keep-alive       two URLs in one curl: "Re-using" the connection,
#                              both 200
#   e2e.https.pipelined        20 GETs in one TLS write (Python ssl): 20
#                              answers of 200, in order, on one connection
#   e2e.https.body-1mb         a 1 MB POST body (405 for the static site: the
#                              library reads and drops it all) and then a GET
#                              on the same connection: 405, then 200
#   e2e.https.handshake        s_client: TLSv1.2, an ECDHE AEAD suite, ALPN
#                              http/1.1, verified
#   e2e.https.resumption       -sess_out then -sess_in: "Reused", and
#                              weft_tls_resumptions_total +1 in /metrics
#   e2e.https.tls11-refused    a TLS 1.1-only and a 1.0-only client get no
#   e2e.https.tls10-refused    session; weft_tls_failures_total{reason=
#                              "version"} moves
#   e2e.https.renegotiation-refused  s_client's "R": "no renegotiation"
#   e2e.https.metrics          /metrics over HTTPS has the TLS families, and
#                              handshakes counted at least those made here
#   e2e.https.garbage          plain HTTP on the HTTPS port: closed, and
#                              failures{reason="not_tls"} counted
#   e2e.https.truncated        half a ClientHello then FIN: closed, eof counted
#   e2e.https.oversized        a record header of 65535 bytes: closed, counted
#   e2e.https.stalled          200 connections that send nothing: all closed
#                              by the handshake deadline, 200 timeouts counted
#   e2e.https.wrong-sni        -servername wrong.example: served (one
#                              certificate, as nginx's default server),
#                              weft_tls_sni_unknown_total +1, and the client's
#                              own hostname check fails
#   e2e.https.still-serving    after each hostile case a verified GET over
#                              HTTPS is still answered 200 (one result)
#   e2e.https.redirect         plain HTTP: 301, Location
#                              https://localhost:8443/a/b?x=1&y (curl)
#   e2e.https.testssl          testssl.sh (Debian's) --protocols --std
#                              --vulnerable --fast, its --jsonfile judged by
#                              testssl_verdict.py: nothing older than TLS
#                              1.2, no cipher but AEAD ones, no
#                              vulnerability flagged (the exceptions, each
#                              explained there, are named in the result)
#   e2e.https.guest-alive      no panic, the guest still runs
#   e2e.https.no-entropy       a CPU without RDRAND/RDSEED, no virtio-rng: the
#                              console says HTTPS did not start and why, and
#                              plain HTTP still serves /healthz
#   e2e.https.virtio-rng       the same CPU with -device virtio-rng-pci:
#                              seeded from virtio-rng, HTTPS listens
#   e2e.https.slots            a guest with tls_max_conns=2 (its own; header
#                              timeout 8 s): with both slots held by
#                              finished handshakes (tests/e2e/tls_hold.py),
#                              4 curls wait (weft_tls_slot_waits_total +4)
#                              and all get 200 once the slots are released;
#                              held again, a curl still waiting at its
#                              deadline is closed (no_slot +1, after about
#                              8 s), and after the release a GET is 200
# (tests/e2e/tls_raw.py makes the hostile streams.)
# The guests run until the script stops them (by PID); tools/qemu.sh
# --timeout is the safety net. Log: $WEFT_TEST_LOGS/e2e.https.log.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

GUEST_TIMEOUT=420
BOOT_WAIT=60
CA=${WEFT_TLS_CA:-$E2E_REPO/build/tls/localhost.crt}
INDEX=$E2E_REPO/apps/httpd/site/index.html
SEEDS=$E2E_REPO/tests/fuzz/seeds/tls
p=e2e.https
names=("$p.boot" "$p.get" "$p.head" "$p.keep-alive" "$p.pipelined" "$p.body-1mb"
	"$p.handshake" "$p.resumption" "$p.tls11-refused" "$p.tls10-refused"
	"$p.renegotiation-refused" "$p.metrics" "$p.garbage" "$p.truncated" "$p.oversized"
	"$p.stalled" "$p.wrong-sni" "$p.still-serving" "$p.redirect" "$p.testssl" "$p.guest-alive"
	"$p.no-entropy" "$p.virtio-rng" "$p.slots")
e2e_any_wanted "${names[@]}" || exit 0
for c in openssl curl; do
	command -v $c >/dev/null || { e2e_fail_all "$c missing" "${names[@]}"; exit 0; }
done
[ -f "$CA" ] || { e2e_fail_all "no certificate $CA (make builds it)" "${names[@]}"; exit 0; }

GUEST_LOG=$E2E_LOGS/$p.log
GUEST_PID=""
for ((try = 0; try < 3; try++)); do
	read -r hport sport < <(e2e_free_ports 2)
	e2e_guest_start GUEST_PID "$GUEST_LOG" --machine q35 --smp 2 --timeout "$GUEST_TIMEOUT" \
		--append "app=httpd https_port=8443 http_redirect=on tls_names=localhost httpd_header_timeout_ms=3000" \
		--hostfwd "tcp:127.0.0.1:$hport-:80" --hostfwd "tcp:127.0.0.1:$sport-:8443"
	rc=$?
	[ "$rc" -eq 3 ] || break
done
if [ "$rc" -ne 0 ] || ! e2e_wait_log "$GUEST_LOG" "$GUEST_PID" "$BOOT_WAIT" \
	'httpd: HTTPS listening on port 8443' 'httpd: listening on port 80.*redirecting to HTTPS' \
	'^net: [0-9.]+/[0-9]+'; then
	e2e_fail_all "guest did not come up: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)" "${names[@]}"
	e2e_stop "$GUEST_PID"
	exit 0
fi
e2e_pass "$p.boot" "${E2E_WAITED}s"

URL=https://localhost:$sport
CURL=(curl -sS --max-time 20 --cacert "$CA" --resolve "localhost:$sport:127.0.0.1")
OUT=$E2E_TMP/out
BODY=$E2E_TMP/body

# ---- curl ----
code=$("${CURL[@]}" -v -o "$BODY" -w '%{http_code}' "$URL/" 2>"$OUT")
if [ "$code" = 200 ] && cmp -s "$BODY" "$INDEX" && grep -q 'ALPN: server accepted http/1.1' "$OUT"; then
	e2e_pass "$p.get" "200, $(wc -c <"$BODY") bytes = index.html, ALPN http/1.1"
else
	e2e_fail "$p.get" "status $code, $(wc -c <"$BODY" 2>/dev/null) bytes: $(grep -iE 'alpn|error' "$OUT" | e2e_oneline)"
fi

"${CURL[@]}" -I -o "$OUT" "$URL/" 2>&1
len=$(tr -d '\r' <"$OUT" | sed -n 's/^Content-Length: //Ip')
if head -1 "$OUT" | grep -q '^HTTP/1.1 200' && [ "$len" = "$(wc -c <"$INDEX")" ]; then
	e2e_pass "$p.head" "200, Content-Length $len"
else
	e2e_fail "$p.head" "$(tr -d '\r' <"$OUT" | e2e_oneline)"
fi

codes=$("${CURL[@]}" -v -o /dev/null -o /dev/null -w '%{http_code} ' "$URL/" "$URL/healthz" 2>"$OUT")
if [ "$codes" = "200 200 " ] && grep -q 'Re-using' "$OUT"; then
	e2e_pass "$p.keep-alive" "2 requests, one connection: $(grep -m1 Re-using "$OUT" | sed 's/^\* //')"
else
	e2e_fail "$p.keep-alive" "codes '$codes'; $(grep -ciE 'Re-using' "$OUT") re-use lines"
fi

# 20 requests in one write; answers read until the server closes after the
# last (Connection: close on it).
out=$(timeout 30 "${E2E_CLIENT[0]}" - "$sport" "$CA" <<'EOF' 2>&1
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                    server_hostname="localhost")
reqs = b"".join(b"GET /healthz?%d HTTP/1.1\r\nHost: localhost\r\n%s\r\n"
                % (i, b"Connection: close\r\n" if i == 19 else b"") for i in range(20))
s.sendall(reqs)
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
n = data.count(b"HTTP/1.1 200 ")
print("ok" if n == 20 and data.count(b"HTTP/1.1 ") == 20 else "bad", n, "answers of 200,",
      len(data), "bytes, alpn", s.selected_alpn_protocol())
EOF
)
if [[ $out == ok* ]]; then e2e_pass "$p.pipelined" "${out#ok }"
else e2e_fail "$p.pipelined" "$out"; fi

head -c 1000000 /dev/urandom >"$E2E_TMP/1mb"
codes=$("${CURL[@]}" -v -o /dev/null -w '%{http_code} ' --data-binary @"$E2E_TMP/1mb" "$URL/" \
	--next -sS --max-time 20 --cacert "$CA" --resolve "localhost:$sport:127.0.0.1" -o /dev/null \
	-w '%{http_code} ' "$URL/" 2>"$OUT")
if [ "$codes" = "405 200 " ] && grep -q 'Re-using' "$OUT"; then
	e2e_pass "$p.body-1mb" "1000000-byte POST read whole (405), then 200 on the same connection"
else
	e2e_fail "$p.body-1mb" "codes '$codes'; $(grep -ciE 'Re-using' "$OUT") re-use lines"
fi

# ---- openssl s_client ----
# s_client SECS ARGS...: an HTTP/1.1 GET (Connection: close) through
# s_client; both streams in $OUT.
REQ='GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
s_client() {
	local secs=$1
	shift
	printf '%b' "$REQ" |
		timeout "$secs" openssl s_client -ign_eof -connect "127.0.0.1:$sport" -CAfile "$CA" "$@" \
			>"$OUT" 2>&1
}
# metric NAME: its value in a fresh /metrics (0 when absent).
metric() {
	"${CURL[@]}" "$URL/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

s_client 30 -servername localhost -alpn http/1.1 -verify_return_error
proto=$(sed -n 's/^ *Protocol *: *//p' "$OUT" | head -1)
cipher=$(sed -n 's/^ *Cipher *: *//p' "$OUT" | head -1)
alpn=$(sed -n 's/^ALPN protocol: *//p' "$OUT" | head -1)
if [ "$proto" = TLSv1.2 ] && [[ $cipher =~ ^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$ ]] &&
	[ "$alpn" = http/1.1 ] && grep -q 'Verify return code: 0' "$OUT" && grep -q '^HTTP/1.1 200' "$OUT"; then
	e2e_pass "$p.handshake" "$proto $cipher, ALPN $alpn"
else
	e2e_fail "$p.handshake" "protocol '$proto' cipher '$cipher' alpn '$alpn': $(grep -iE 'error|verify|^HTTP' "$OUT" | head -3 | e2e_oneline)"
fi

r0=$(metric weft_tls_resumptions_total)
s_client 30 -servername localhost -sess_out "$E2E_TMP/sess"
first=$(grep -cE '^New, TLSv1.2' "$OUT")
s_client 30 -servername localhost -sess_in "$E2E_TMP/sess"
if [ "$first" = 1 ] && grep -q '^Reused, TLSv1.2' "$OUT" && grep -q '^HTTP/1.1 200' "$OUT"; then
	d=$(($(metric weft_tls_resumptions_total) - r0))
	if [ "$d" -eq 1 ]; then e2e_pass "$p.resumption" "Reused; weft_tls_resumptions_total +1"
	else e2e_fail "$p.resumption" "/metrics counted $d resumptions, want 1"; fi
else
	e2e_fail "$p.resumption" "$(grep -E '^(New|Reused)|^HTTP' "$OUT" | e2e_oneline)"
fi

VF='weft_tls_failures_total{reason="version"}'
for v in 11 10; do
	f0=$(metric "$VF")
	flag=-tls1_1
	[ "$v" = 10 ] && flag=-tls1
	s_client 20 $flag -cipher 'DEFAULT:@SECLEVEL=0'
	if grep -qE '^New, TLSv1\.[0-2], Cipher is [A-Z]' "$OUT"; then
		e2e_fail "$p.tls$v-refused" "a session was made: $(grep '^New' "$OUT")"
		continue
	fi
	d=$(($(metric "$VF") - f0))
	if [ "$d" -ge 1 ]; then e2e_pass "$p.tls$v-refused" "refused; failures{reason=\"version\"} +$d"
	else e2e_fail "$p.tls$v-refused" "refused, but the version failures moved by $d: $(grep -m1 error "$OUT")"; fi
done

# s_client takes "R" as a command only without -ign_eof; stdin stays open
# for 3 s so that the renegotiation is tried before stdin's EOF ends it.
{ printf 'R\n'; sleep 3; } |
	timeout 20 openssl s_client -connect "127.0.0.1:$sport" -CAfile "$CA" -servername localhost \
		>"$OUT" 2>&1
if grep -q 'RENEGOTIATING' "$OUT" && grep -qi 'no renegotiation' "$OUT"; then
	e2e_pass "$p.renegotiation-refused" "client: no renegotiation"
else
	e2e_fail "$p.renegotiation-refused" "$(grep -iE 'reneg|error' "$OUT" | e2e_oneline)"
fi

"${CURL[@]}" -o "$BODY" "$URL/metrics"
hs=$(awk '$1 == "weft_tls_handshakes_total" { print $2 }' "$BODY")
if grep -q '^# TYPE weft_tls_failures_total counter' "$BODY" &&
	grep -q '^weft_tls_failures_total{reason="timeout"} ' "$BODY" &&
	grep -q '^weft_tls_connections_open ' "$BODY" && [ "${hs:-0}" -ge 12 ]; then
	e2e_pass "$p.metrics" "weft_tls_handshakes_total $hs; $(grep -c '^weft_tls_failures_total{' "$BODY") failure reasons"
else
	e2e_fail "$p.metrics" "handshakes '${hs:-}': $(grep '^weft_tls' "$BODY" | e2e_oneline)"
fi

# ---- hostile streams, each followed by a good request ----
good=0 bad=""
good_after() { # good_after CASE: a verified GET over HTTPS still works
	if [ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL/healthz" 2>/dev/null)" = 200 ]; then
		good=$((good + 1))
	else
		bad+=" after-$1"
	fi
}
raw_case() { # raw_case NAME REASON WANT MODE ARGS...
	local name=$1 reason=$2 key="weft_tls_failures_total{reason=\"$2\"}" want=$3 out c0 d
	shift 3
	c0=$(metric "$key")
	out=$(timeout 180 "${E2E_CLIENT[0]}" "$E2E_DIR/tls_raw.py" "$sport" "$@" 2>&1) ||
		out=${out:-"tls_raw.py $* ended with status $? and said nothing"}
	d=$(($(metric "$key") - c0))
	if [[ $out == ok* ]] && [ "$d" -ge "$want" ]; then
		e2e_pass "$p.$name" "$out; $reason +$d"
	else
		e2e_fail "$p.$name" "$out; $reason +$d (want $want)"
	fi
	good_after "$name"
}
raw_case garbage not_tls 1 garbage
raw_case truncated eof 1 truncated "$SEEDS/openssl-default-hello.bin"
raw_case oversized oversized 1 oversized
raw_case stalled timeout 200 stall 200 30

u0=$(metric weft_tls_sni_unknown_total)
s_client 20 -servername wrong.example -verify_hostname wrong.example
served=$(grep -c '^New, TLSv1.2' "$OUT")
mismatch=$(grep -ci 'hostname mismatch' "$OUT")
d=$(($(metric weft_tls_sni_unknown_total) - u0))
if [ "$served" = 1 ] && [ "$mismatch" -ge 1 ] && [ "$d" -eq 1 ]; then
	e2e_pass "$p.wrong-sni" "served; client: hostname mismatch; sni_unknown +1"
else
	e2e_fail "$p.wrong-sni" "served=$served mismatch=$mismatch sni_unknown +$d"
fi
good_after wrong-sni
if [ -z "$bad" ]; then e2e_pass "$p.still-serving" "$good good GETs after hostile cases"
else e2e_fail "$p.still-serving" "failed after:$bad"; fi

# ---- plain HTTP: the redirect ----
"${CURL[@]}" -i -o "$OUT" "http://127.0.0.1:$hport/a/b?x=1&y" -H 'Host: localhost' 2>&1
loc=$(tr -d '\r' <"$OUT" | sed -n 's/^Location: //Ip')
if head -1 "$OUT" | grep -q '^HTTP/1.1 301' && [ "$loc" = 'https://localhost:8443/a/b?x=1&y' ]; then
	e2e_pass "$p.redirect" "301 Location $loc"
else
	e2e_fail "$p.redirect" "$(tr -d '\r' <"$OUT" | head -4 | e2e_oneline)"
fi

# ---- testssl.sh ----
# Only the checks judged, no DNS: it reaches 127.0.0.1:$sport alone.
# --fast: the cipher categories that Debian's OpenSSL can still offer are
# tried with openssl s_client, the others (export, NULL, RC4, ...) with
# testssl's own ClientHellos, as without it; testssl's handshakes in shell
# are what its time goes to (170 s without, on this shared 2-CPU host).
if e2e_wanted "$p.testssl"; then
	if command -v testssl >/dev/null; then
		rm -f "$E2E_TMP/testssl.json"
		t0=$SECONDS
		timeout 300 testssl --protocols --std --vulnerable --fast --warnings off --quiet \
			--nodns none --color 0 --jsonfile "$E2E_TMP/testssl.json" "127.0.0.1:$sport" \
			>"$E2E_LOGS/$p.testssl.log" 2>&1
		out=$("${E2E_CLIENT[0]}" "$E2E_DIR/testssl_verdict.py" "$E2E_TMP/testssl.json" 2>&1)
		if [[ $out == ok* ]]; then e2e_pass "$p.testssl" "${out#ok }; $((SECONDS - t0)) s"
		else e2e_fail "$p.testssl" "$out (see $p.testssl.log)"; fi
	else
		e2e_fail "$p.testssl" "testssl missing (tools/setup.sh installs testssl.sh)"
	fi
fi

e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"
if [ -z "$E2E_GONE" ] && ! grep -q 'PANIC' "$GUEST_LOG"; then
	e2e_pass "$p.guest-alive" "no panic"
else
	e2e_fail "$p.guest-alive" "${E2E_GONE:-panicked}: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
fi
e2e_stop "$GUEST_PID"

# ---- entropy sources (short boots) ----
# no-entropy: HTTPS does not start, and plain HTTP still serves.
if e2e_wanted "$p.no-entropy"; then
	log=$E2E_LOGS/$p.no-entropy.log epid=""
	for ((try = 0; try < 3; try++)); do
		read -r hport < <(e2e_free_ports 1)
		e2e_guest_start epid "$log" --machine q35 --append app=httpd --timeout 60 \
			--hostfwd "tcp:127.0.0.1:$hport-:80" -- -cpu max,-rdrand,-rdseed
		rc=$?
		[ "$rc" -eq 3 ] || break
	done
	if [ "$rc" -eq 0 ] && e2e_wait_log "$log" "$epid" 40 'httpd: HTTPS not started: entropy: no entropy source' \
		'httpd: listening on port 80'; then
		body=$(curl -sS --max-time 10 "http://127.0.0.1:$hport/healthz" 2>&1)
		if [ "$body" = ok ]; then
			e2e_pass "$p.no-entropy" "$(e2e_log_line "$log" 'HTTPS not started'); HTTP /healthz ok"
		else
			e2e_fail "$p.no-entropy" "HTTPS refused, but HTTP answered '$body'"
		fi
	else
		e2e_fail "$p.no-entropy" "missing ${E2E_MISSING[*]}: $(e2e_log_tail "$log" 3 | e2e_oneline)"
	fi
	e2e_stop "$epid"
fi
if e2e_wanted "$p.virtio-rng"; then
	log=$E2E_LOGS/$p.virtio-rng.log epid=""
	e2e_guest_start epid "$log" --machine q35 --net user --append app=httpd --timeout 60 -- \
		-cpu max,-rdrand,-rdseed -device virtio-rng-pci
	if e2e_wait_log "$log" "$epid" 40 'httpd: HTTPS listening on port 443'; then
		e2e_pass "$p.virtio-rng" "$(e2e_log_line "$log" '^entropy: (not )?seeded')"
	else
		e2e_fail "$p.virtio-rng" "no HTTPS: $(e2e_log_tail "$log" 3 | e2e_oneline)"
	fi
	e2e_stop "$epid"
fi
if e2e_wanted "$p.slots"; then
	log=$E2E_LOGS/$p.slots.log epid=""
	read -r hp sp < <(e2e_free_ports 2)
	e2e_guest_start epid "$log" --machine q35 --timeout 150 \
		--append "app=httpd tls_max_conns=2 httpd_header_timeout_ms=8000" \
		--hostfwd "tcp:127.0.0.1:$hp-:80" --hostfwd "tcp:127.0.0.1:$sp-:443"
	if e2e_wait_log "$log" "$epid" 40 'httpd: HTTPS listening on port 443 .*, 2 at once'; then
		slot_metric() { curl -s -m 10 "http://127.0.0.1:$hp/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'; }
		problems=() codes=$E2E_TMP/slots.codes line="" pids=() hold_pid="" dt="" n0="" n1=""
		: >"$codes"
		# 1: both slots held; 4 handshakes wait and are served after the release.
		coproc HOLD { python3 "$E2E_DIR/tls_hold.py" "$sp" 2; }
		# shellcheck disable=SC2153 # coproc sets HOLD_PID
		hold_pid=$HOLD_PID # bash unsets HOLD_PID once it ends
		read -r -t 30 line <&"${HOLD[0]}"
		if [ "$line" != "held 2" ]; then
			problems+=("could not hold 2 TLS connections: ${line:-no answer}")
		else
			w0=$(slot_metric weft_tls_slot_waits_total)
			for i in 1 2 3 4; do
				curl -sk -m 30 -o /dev/null -w '%{http_code}\n' "https://127.0.0.1:$sp/" >>"$codes" &
				pids+=($!)
			done
			for ((i = 0; i < 25; i++)); do
				w1=$(slot_metric weft_tls_slot_waits_total)
				[ $((w1 - w0)) -lt 4 ] || break
				sleep 0.2
			done
			echo >&"${HOLD[1]}"
			read -r -t 10 line <&"${HOLD[0]}"
			wait "${pids[@]}"
			[ $((w1 - w0)) -eq 4 ] || problems+=("slot waits +$((w1 - w0)) while both were held, not +4")
			[ "$(grep -c '^200$' "$codes")" = 4 ] || problems+=("codes after the release: $(sort "$codes" | uniq -c | e2e_oneline)")
		fi
		wait "$hold_pid" 2>/dev/null
		# 2: held again; a handshake still waiting at its deadline is closed.
		coproc HOLD { python3 "$E2E_DIR/tls_hold.py" "$sp" 2; }
		# shellcheck disable=SC2153 # coproc sets HOLD_PID
		hold_pid=$HOLD_PID # bash unsets HOLD_PID once it ends
		read -r -t 30 line <&"${HOLD[0]}"
		if [ "$line" != "held 2" ]; then
			problems+=("could not hold 2 TLS connections again: ${line:-no answer}")
		else
			n0=$(slot_metric 'weft_tls_failures_total{reason="no_slot"}')
			t0=$SECONDS
			c=$(curl -sk -m 30 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$sp/" 2>/dev/null)
			dt=$((SECONDS - t0))
			n1=$(slot_metric 'weft_tls_failures_total{reason="no_slot"}')
			echo >&"${HOLD[1]}"
			read -r -t 10 line <&"${HOLD[0]}"
			[ "$c" = 000 ] || problems+=("a handshake past the slots got $c")
			[ "$dt" -ge 6 ] && [ "$dt" -le 20 ] || problems+=("it was closed after $dt s, not at its 8 s deadline")
			[ $((n1 - n0)) -eq 1 ] || problems+=("no_slot +$((n1 - n0)), not +1")
			c2=$(curl -sk -m 20 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$sp/" 2>/dev/null)
			[ "$c2" = 200 ] || problems+=("after the release: $c2")
		fi
		wait "$hold_pid" 2>/dev/null
		if [ ${#problems[@]} -eq 0 ]; then
			e2e_pass "$p.slots" "4 waited while 2 were held, then 4 x 200; one past its deadline closed after $dt s (no_slot $n0 -> $n1); then 200"
		else
			e2e_fail "$p.slots" "$(printf "%s; " "${problems[@]}")(log $log)"
		fi
	else
		e2e_fail "$p.slots" "no HTTPS with 2 slots: $(e2e_log_tail "$log" 3 | e2e_oneline)"
	fi
	e2e_stop "$epid"
fi
