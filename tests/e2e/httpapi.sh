#!/usr/bin/env bash
# tests/e2e/httpapi.sh — the HTTP library's handler API with a real client
# (curl), over QEMU user networking: the test kernel's app=httptest
# (tests/guest/app_httptest.c) on q35 with 2 CPUs, a free 127.0.0.1 port
# forwarded to its port 80.
#   e2e.httpapi.boot            "httptest: listening on port 80" within 60 s
#   e2e.httpapi.stream          GET /test/stream?n=50: 200, Transfer-Encoding
#                               chunked, no Content-Length, the 50 lines
#   e2e.httpapi.stream-http10   the same over HTTP/1.0: no chunked framing,
#                               Connection: close, the 50 lines
#   e2e.httpapi.stream-head     HEAD /test/stream: 200, no body
#   e2e.httpapi.post-length     POST /test/echo, 40 KB with Content-Length:
#                               echoed byte for byte, X-Body-Bytes 40000
#   e2e.httpapi.post-chunked    the same sent chunked (curl -H
#                               "Transfer-Encoding: chunked")
#   e2e.httpapi.post-too-large  70 KB (over max_body): 413
#   e2e.httpapi.keep-alive      POST with a body, then GET /healthz, a POST
#                               with a body the handler answers (405)
#                               without reading it, then GET /healthz: all
#                               on one connection (curl's num_connects)
#   e2e.httpapi.static-allocs   after those, /metrics has handler="static"
#                               allocations 0 with requests counted, and the
#                               echo and stream handlers counted too
# Logs: $WEFT_TEST_LOGS/e2e.httpapi.log (console), e2e.httpapi.*.out.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.httpapi
H=127.0.0.1
NAMES=(boot stream stream-http10 stream-head post-length post-chunked post-too-large
	keep-alive static-allocs)

if [ "$E2E_STANDIN" = 1 ]; then
	e2e_note "httpapi.sh: no stand-in for the HTTP server; nothing to do"
	exit 0
fi
# shellcheck disable=SC2046
e2e_any_wanted $(for n in "${NAMES[@]}"; do echo "$P.$n"; done) || exit 0

pass() { e2e_pass "$P.$1" "${2:-}"; }
fail() { e2e_fail "$P.$1" "$2"; }

LOG=$E2E_LOGS/$P.log
E2E_KERNEL=$E2E_TEST_KERNEL
for ((try = 0; try < 3; try++)); do
	PORT=$(e2e_free_ports 1)
	e2e_guest_start PID "$LOG" --machine q35 --smp 2 --timeout 200 \
		--hostfwd "tcp:$H:$PORT-:80" --append "app=httptest"
	rc=$?
	[ "$rc" -eq 3 ] || break
done
if [ "$rc" -ne 0 ] || ! e2e_wait_log "$LOG" "$PID" 60 '^httptest: listening on port 80'; then
	e2e_fail_all "the guest did not come up; log $LOG ends: $(e2e_log_tail "$LOG" 3 | e2e_oneline)" \
		$(for n in "${NAMES[@]}"; do echo "$P.$n"; done)
	e2e_show_tail "$P" "$LOG"
	exit 0
fi
pass boot "ready after $E2E_WAITED s"

URL=http://$H:$PORT
T=$E2E_TMP
CURL=(curl -sS --max-time 20)

# hdr FILE NAME: a header's value from a dumped head (last response)
hdr() { tr -d '\r' <"$1" | awk -v n="$2" 'BEGIN{IGNORECASE=1} index(tolower($0), tolower(n) ":")==1 {sub(/^[^:]*: */, ""); v=$0} END{print v}'; }
lines() { local i; for ((i = 1; i <= $1; i++)); do echo "line $i of $1"; done; }

lines 50 >"$T/want50"

if "${CURL[@]}" --http1.1 -D "$T/s.h" -o "$T/s.b" "$URL/test/stream?n=50" 2>"$T/s.err"; then
	why=()
	grep -q '^HTTP/1.1 200 ' "$T/s.h" || why+=("status $(head -n1 "$T/s.h" | tr -d '\r')")
	[ "$(hdr "$T/s.h" Transfer-Encoding)" = chunked ] || why+=("Transfer-Encoding \"$(hdr "$T/s.h" Transfer-Encoding)\"")
	[ -z "$(hdr "$T/s.h" Content-Length)" ] || why+=("a Content-Length")
	cmp -s "$T/s.b" "$T/want50" || why+=("the body is not the 50 lines ($(wc -c <"$T/s.b") bytes)")
	if [ ${#why[@]} -eq 0 ]; then pass stream "chunked, $(wc -c <"$T/s.b") bytes in 50 lines"
	else fail stream "$(IFS=';'; echo "${why[*]}")"; fi
else
	fail stream "curl: $(e2e_oneline <"$T/s.err")"
fi

if "${CURL[@]}" --http1.0 -D "$T/s0.h" -o "$T/s0.b" "$URL/test/stream?n=50" 2>"$T/s0.err"; then
	why=()
	grep -q '^HTTP/1.1 200 ' "$T/s0.h" || why+=("status $(head -n1 "$T/s0.h" | tr -d '\r')")
	[ -z "$(hdr "$T/s0.h" Transfer-Encoding)" ] || why+=("Transfer-Encoding on 1.0")
	[ "$(hdr "$T/s0.h" Connection)" = close ] || why+=("Connection \"$(hdr "$T/s0.h" Connection)\"")
	cmp -s "$T/s0.b" "$T/want50" || why+=("the body is not the 50 lines")
	if [ ${#why[@]} -eq 0 ]; then pass stream-http10 "close-delimited, $(wc -c <"$T/s0.b") bytes"
	else fail stream-http10 "$(IFS=';'; echo "${why[*]}")"; fi
else
	fail stream-http10 "curl: $(e2e_oneline <"$T/s0.err")"
fi

if "${CURL[@]}" -I -o "$T/sh.h" "$URL/test/stream" 2>"$T/sh.err"; then
	if grep -q '^HTTP/1.1 200 ' "$T/sh.h"; then pass stream-head "$(head -n1 "$T/sh.h" | tr -d '\r'), no body"
	else fail stream-head "status $(head -n1 "$T/sh.h" | tr -d '\r')"; fi
else
	fail stream-head "curl: $(e2e_oneline <"$T/sh.err")"
fi

head -c 40000 /dev/urandom >"$T/body40k"
if "${CURL[@]}" -D "$T/p.h" -o "$T/p.b" --data-binary @"$T/body40k" "$URL/test/echo" 2>"$T/p.err"; then
	if grep -q '^HTTP/1.1 200 ' "$T/p.h" && cmp -s "$T/p.b" "$T/body40k" && [ "$(hdr "$T/p.h" X-Body-Bytes)" = 40000 ]; then
		pass post-length "40000 bytes echoed"
	else
		fail post-length "$(head -n1 "$T/p.h" | tr -d '\r'), X-Body-Bytes \"$(hdr "$T/p.h" X-Body-Bytes)\", $(wc -c <"$T/p.b") bytes back"
	fi
else
	fail post-length "curl: $(e2e_oneline <"$T/p.err")"
fi

if "${CURL[@]}" -D "$T/c.h" -o "$T/c.b" -H "Transfer-Encoding: chunked" --data-binary @"$T/body40k" \
	"$URL/test/echo" 2>"$T/c.err"; then
	if grep -q '^HTTP/1.1 200 ' "$T/c.h" && cmp -s "$T/c.b" "$T/body40k" && [ "$(hdr "$T/c.h" X-Body-Bytes)" = 40000 ]; then
		pass post-chunked "40000 bytes sent chunked, echoed"
	else
		fail post-chunked "$(head -n1 "$T/c.h" | tr -d '\r'), X-Body-Bytes \"$(hdr "$T/c.h" X-Body-Bytes)\", $(wc -c <"$T/c.b") bytes back"
	fi
else
	fail post-chunked "curl: $(e2e_oneline <"$T/c.err")"
fi

head -c 70000 /dev/urandom >"$T/body70k"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' --data-binary @"$T/body70k" "$URL/test/echo" 2>"$T/t.err")
if [ "$code" = 413 ]; then pass post-too-large "413"
else fail post-too-large "status ${code:-none} ($(e2e_oneline <"$T/t.err"))"; fi

# One curl, four transfers: the later ones must reuse the connection.
if "${CURL[@]}" -o /dev/null -w '%{http_code} %{num_connects}\n' --data-binary @"$T/body40k" "$URL/test/echo" \
	--next -sS --max-time 20 -o /dev/null -w '%{http_code} %{num_connects}\n' "$URL/healthz" \
	--next -sS --max-time 20 -o /dev/null -w '%{http_code} %{num_connects}\n' --data-binary @"$T/body40k" "$URL/healthz" \
	--next -sS --max-time 20 -o /dev/null -w '%{http_code} %{num_connects}\n' "$URL/healthz" \
	>"$T/k.out" 2>"$T/k.err"; then
	got=$(tr '\n' ' ' <"$T/k.out")
	if [ "$got" = "200 1 200 0 405 0 200 0 " ]; then pass keep-alive "status and new connections per transfer: $got"
	else fail keep-alive "status and new connections per transfer: $got (want 200 1 200 0 405 0 200 0)"; fi
else
	fail keep-alive "curl: $(e2e_oneline <"$T/k.err")"
fi

for i in 1 2 3; do
	for u in / /style.css /missing; do "${CURL[@]}" -o /dev/null "$URL$u" 2>/dev/null; done
done
if "${CURL[@]}" -o "$T/m" "$URL/metrics" 2>"$T/m.err"; then
	val() { awk -v k="$1" '$1 == k {print $2}' "$T/m"; }
	sa=$(val 'weft_http_handler_allocs_total{handler="static"}')
	sr=$(val 'weft_http_handler_requests_total{handler="static"}')
	er=$(val 'weft_http_handler_requests_total{handler="echo"}')
	st=$(val 'weft_http_handler_requests_total{handler="stream"}')
	detail="static: $sr requests, $sa allocations; echo: $er requests; stream: $st requests"
	if [ "$sa" = 0 ] && [ "${sr:-0}" -ge 9 ] && [ "${er:-0}" -ge 3 ] && [ "${st:-0}" -ge 3 ]; then
		pass static-allocs "$detail"
	else
		fail static-allocs "$detail (want 0 allocations, >= 9, 3, 3 requests)"
	fi
else
	fail static-allocs "curl: $(e2e_oneline <"$T/m.err")"
fi

if e2e_log_line "$LOG" 'PANIC on cpu|http: bug' >/dev/null; then
	e2e_note "httpapi.sh: the guest panicked: $(e2e_log_line "$LOG" 'PANIC on cpu|http: bug')"
fi
e2e_stop "$PID"
exit 0
