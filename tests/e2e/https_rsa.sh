#!/usr/bin/env bash
# tests/e2e/https_rsa.sh — HTTPS with an RSA-2048 certificate, and a 1 MB
# file over HTTPS. An RSA-2048 pair for "localhost" is made here with
# openssl (PKCS#8 key) and baked in with `make TLS_CERT=... TLS_KEY=...`, as
# a user would, beside a site holding a 1 MiB file of random bytes
# (`make SITE=dir`). The kernel is built into a build directory of its own
# under the test's temporary directory (build/'s objects copied, its
# libraries linked, as tests/e2e/static.sh does), so build/weft is never
# touched. One boot, q35, 2 CPUs, `app=httpd https_port=8443
# tls_session_cache=0`, a free 127.0.0.1 port forwarded to 8443. Checks:
#   e2e.https_rsa.build         make with the RSA pair and the site: the
#                               certificate assembled, the kernel linked
#   e2e.https_rsa.boot          "httpd: HTTPS listening on port 8443 (RSA
#                               2048, ..." within 60 s
#   e2e.https_rsa.handshake     openssl s_client -verify_return_error
#                               against the RSA certificate: TLSv1.2, an
#                               ECDHE-RSA AEAD suite, a 2048-bit server
#                               key, verified, the GET answered 200
#   e2e.https_rsa.download-1mb  curl --cacert: GET /big.bin, 200, the
#                               1,048,576 bytes byte for byte
#   e2e.https_rsa.no-resumption tls_session_cache=0 (as nginx's
#                               ssl_session_cache off): the console says
#                               "no session resumption", and s_client
#                               -sess_in with the first handshake's
#                               session gets a new one ("New", not
#                               "Reused"), weft_tls_resumptions_total 0
#   e2e.https_rsa.guest-alive   no panic, the guest still runs
# Logs: $WEFT_TEST_LOGS/e2e.https_rsa.{make,guest}.log.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.https_rsa
GUEST_TIMEOUT=180
BOOT_WAIT=60
NAMES=(build boot handshake download-1mb no-resumption guest-alive)
all=()
for n in "${NAMES[@]}"; do all+=("$P.$n"); done
e2e_any_wanted "${all[@]}" || exit 0
if [ "$E2E_STANDIN" = 1 ]; then
	e2e_note "https_rsa.sh: no stand-in for the HTTP server; nothing to do"
	exit 0
fi
for c in openssl curl make; do
	command -v $c >/dev/null || { e2e_fail_all "$c missing" "${all[@]}"; exit 0; }
done

# ---- the pair and the site ----------------------------------------------------
CRT=$E2E_TMP/rsa.crt KEY=$E2E_TMP/rsa.key
if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KEY" -out "$CRT" -days 2 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	>"$E2E_TMP/openssl.out" 2>&1; then
	e2e_fail_all "openssl req: $(e2e_oneline <"$E2E_TMP/openssl.out")" "${all[@]}"
	exit 0
fi
SITE=$E2E_TMP/site
mkdir -p "$SITE"
printf '<!doctype html><title>rsa</title><p>index</p>\n' >"$SITE/index.html"
head -c 1048576 /dev/urandom >"$SITE/big.bin"

# ---- the build --------------------------------------------------------------
B=$E2E_TMP/build
MAKELOG=$E2E_LOGS/$P.make.log
: >"$MAKELOG"
mkdir -p "$B"
for d in newlib bearssl deps; do
	[ -e "$E2E_REPO/build/$d" ] && ln -s "$(realpath "$E2E_REPO/build/$d")" "$B/$d"
done
# build/'s objects and its patched lwIP tree, mtimes kept: only the
# certificate and the site are made anew, and the kernel relinked.
cp -a "$E2E_REPO/build/obj" "$E2E_REPO/build/lwip" "$E2E_REPO/build/lwip-patches.list" "$B/" 2>>"$MAKELOG"
rm -rf "$B/obj/gen/httpd"
if make --no-print-directory -C "$E2E_REPO" BUILD="$B" SITE="$SITE" TLS_CERT="$CRT" TLS_KEY="$KEY" \
	-o "$B/newlib/lib/libc.a" -o "$B/bearssl/kernel/lib/libbearssl.a" "$B/weft" >>"$MAKELOG" 2>&1 &&
	grep -q "AS .*baked.S ($CRT, $KEY)" "$MAKELOG"; then
	e2e_pass "$P.build" "$(grep -m1 '  SITE ' "$MAKELOG" | sed 's/^ *//'); certificate $(openssl x509 -in "$CRT" -noout -fingerprint -sha256 | cut -c1-40)..."
else
	e2e_fail "$P.build" "make failed: $(tail -n 5 "$MAKELOG" | e2e_oneline)"
	for n in "${NAMES[@]:1}"; do e2e_fail "$P.$n" "no kernel (see $P.build)"; done
	exit 0
fi

# ---- the guest ----------------------------------------------------------------
E2E_KERNEL=$B/weft
GUEST_LOG=$E2E_LOGS/$P.guest.log
GUEST_PID=""
for ((try = 0; try < 3; try++)); do
	sport=$(e2e_free_ports 1)
	e2e_guest_start GUEST_PID "$GUEST_LOG" --machine q35 --smp 2 --timeout "$GUEST_TIMEOUT" \
		--append "app=httpd https_port=8443 tls_names=localhost tls_session_cache=0" \
		--hostfwd "tcp:127.0.0.1:$sport-:8443"
	rc=$?
	[ "$rc" -eq 3 ] || break
done
if [ "$rc" -ne 0 ] || ! e2e_wait_log "$GUEST_LOG" "$GUEST_PID" "$BOOT_WAIT" \
	'httpd: HTTPS listening on port 8443 \(RSA 2048,' '^net: [0-9.]+/[0-9]+'; then
	e2e_fail "$P.boot" "no HTTPS with RSA 2048: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
	for n in "${NAMES[@]:2}"; do e2e_fail "$P.$n" "no guest (see $P.boot)"; done
	e2e_stop "$GUEST_PID"
	exit 0
fi
e2e_pass "$P.boot" "$(e2e_log_line "$GUEST_LOG" 'HTTPS listening')"

OUT=$E2E_TMP/out
printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
	timeout 30 openssl s_client -ign_eof -connect "127.0.0.1:$sport" -CAfile "$CRT" \
		-servername localhost -verify_return_error >"$OUT" 2>&1
proto=$(sed -n 's/^ *Protocol *: *//p' "$OUT" | head -1)
cipher=$(sed -n 's/^ *Cipher *: *//p' "$OUT" | head -1)
bits=$(sed -n 's/^Server public key is \([0-9]*\) bit.*/\1/p' "$OUT" | head -1)
if [ "$proto" = TLSv1.2 ] && [[ $cipher =~ ^ECDHE-RSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$ ]] &&
	[ "$bits" = 2048 ] && grep -q 'Verify return code: 0' "$OUT" && grep -q '^HTTP/1.1 200' "$OUT"; then
	e2e_pass "$P.handshake" "$proto $cipher, a $bits-bit RSA key, verified"
else
	e2e_fail "$P.handshake" "protocol '$proto' cipher '$cipher' key '$bits' bits: $(grep -iE 'error|verify|^HTTP' "$OUT" | head -3 | e2e_oneline)"
fi

BODY=$E2E_TMP/big.got
code=$(curl -sS --max-time 60 --cacert "$CRT" --resolve "localhost:$sport:127.0.0.1" \
	-o "$BODY" -w '%{http_code} %{size_download} %{speed_download}' "https://localhost:$sport/big.bin" 2>"$OUT")
read -r status size speed <<<"$code"
if [ "${status:-}" = 200 ] && cmp -s "$BODY" "$SITE/big.bin"; then
	e2e_pass "$P.download-1mb" "200, $size bytes = big.bin, $((${speed%.*} / 1024)) KiB/s"
else
	e2e_fail "$P.download-1mb" "status '${status:-}', $(wc -c <"$BODY" 2>/dev/null || echo 0) bytes: $(e2e_oneline <"$OUT")"
fi

SESS=$E2E_TMP/sess
s_new() { # s_new OPTS...: one GET through s_client; its New/Reused line
	printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
		timeout 30 openssl s_client -ign_eof -connect "127.0.0.1:$sport" -CAfile "$CRT" \
			-servername localhost "$@" 2>&1 | grep -E '^(New|Reused), ' | head -n 1
}
first=$(s_new -sess_out "$SESS")
second=$(s_new -sess_in "$SESS")
resumed=$(curl -s -m 10 --cacert "$CRT" --resolve "localhost:$sport:127.0.0.1" "https://localhost:$sport/metrics" |
	awk '$1 == "weft_tls_resumptions_total" { v = $2 } END { print v }')
if grep -q 'HTTPS listening on port 8443 (RSA 2048, .*, no session resumption)' "$GUEST_LOG" &&
	[[ $first == New,* && $second == New,* ]] && [ "$resumed" = 0 ]; then
	e2e_pass "$P.no-resumption" "the session offered again: ${second%%,*}; weft_tls_resumptions_total $resumed"
else
	e2e_fail "$P.no-resumption" "first '$first', again '$second', weft_tls_resumptions_total '$resumed'; $(e2e_log_line "$GUEST_LOG" 'HTTPS listening')"
fi

e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"
if [ -z "$E2E_GONE" ] && ! grep -q 'PANIC' "$GUEST_LOG"; then
	e2e_pass "$P.guest-alive" "no panic"
else
	e2e_fail "$P.guest-alive" "${E2E_GONE:-panicked}: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
fi
e2e_stop "$GUEST_PID"
