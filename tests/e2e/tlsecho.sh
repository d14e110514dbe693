#!/usr/bin/env bash
# tests/e2e/tlsecho.sh — TLS connections end to end: app=tlsecho (a TLS echo
# server over net/tls/) on q35 with 2 CPUs, QEMU user networking forwarding
# one free 127.0.0.1 port to the guest's 443, and Debian's openssl s_client
# and raw sockets (tests/e2e/tls_raw.py) as clients. The guest is booted
# with tls_names=localhost and tlsecho_handshake_ms=3000.
#
#   e2e.tls.boot            "tlsecho: listening on port 443" within 60 s
#   e2e.tls.handshake       verified against the baked certificate: TLSv1.2,
#                           an ECDHE AEAD suite (GCM or ChaCha20-Poly1305),
#                           ALPN http/1.1, and the server's view (INFO) agrees
#   e2e.tls.resumption      -sess_out then -sess_in: "Reused", and the
#                           server counts one resumption more
#   e2e.tls.tls11-refused   a TLS 1.1-only client (SECLEVEL=0 so that it
#   e2e.tls.tls10-refused   really offers it) gets no session; the server
#                           counts a version failure for each
#   e2e.tls.renegotiation-refused  s_client's "R": the client reports "no
#                           renegotiation"
#   e2e.tls.garbage         plain HTTP on the TLS port: closed, not_tls counted
#   e2e.tls.truncated       half a ClientHello then FIN: closed, eof counted
#   e2e.tls.oversized       a record header of 65535 bytes: closed, counted
#   e2e.tls.stalled         200 connections that send nothing: all closed by
#                           the handshake deadline, 200 timeouts counted
#   e2e.tls.wrong-sni       -servername wrong.example: served (one
#                           certificate, as nginx's default server), counted
#                           as sni_unknown, and the client's own hostname
#                           check fails
#   e2e.tls.still-serving   after each hostile case a good handshake and echo
#                           work (one result: the count of good ones)
#   e2e.tls.guest-alive     no panic, the guest still runs
#   e2e.tls.no-entropy      a CPU without RDRAND/RDSEED (-cpu max,-rdrand,
#                           -rdseed) and no virtio-rng: tlsecho does not
#                           start and the console says why
#   e2e.tls.virtio-rng      the same CPU with -device virtio-rng-pci: seeded
#                           from virtio-rng, tlsecho listens
# The guest runs until the script stops it (by PID); tools/qemu.sh --timeout
# is the safety net. Log: $WEFT_TEST_LOGS/e2e.tls.log.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

GUEST_TIMEOUT=420
BOOT_WAIT=60
CA=${WEFT_TLS_CA:-$E2E_REPO/build/tls/localhost.crt}
SEEDS=$E2E_REPO/tests/fuzz/seeds/tls
p=e2e.tls
names=("$p.boot" "$p.handshake" "$p.resumption" "$p.tls11-refused" "$p.tls10-refused"
	"$p.renegotiation-refused" "$p.garbage" "$p.truncated" "$p.oversized" "$p.stalled"
	"$p.wrong-sni" "$p.still-serving" "$p.guest-alive" "$p.no-entropy" "$p.virtio-rng")
e2e_any_wanted "${names[@]}" || exit 0
command -v openssl >/dev/null || { e2e_fail_all "openssl missing" "${names[@]}"; exit 0; }
[ -f "$CA" ] || { e2e_fail_all "no certificate $CA (make builds it)" "${names[@]}"; exit 0; }

GUEST_LOG=$E2E_LOGS/$p.log
GUEST_PID=""
for ((try = 0; try < 3; try++)); do
	port=$(e2e_free_ports 1)
	e2e_guest_start GUEST_PID "$GUEST_LOG" --machine q35 --smp 2 --timeout "$GUEST_TIMEOUT" \
		--append "app=tlsecho tls_names=localhost tlsecho_handshake_ms=3000" \
		--hostfwd "tcp:127.0.0.1:$port-:443"
	rc=$?
	[ "$rc" -eq 3 ] || break
done
if [ "$rc" -ne 0 ] || ! e2e_wait_log "$GUEST_LOG" "$GUEST_PID" "$BOOT_WAIT" \
	'tlsecho: listening on port 443' '^net: [0-9.]+/[0-9]+'; then
	e2e_fail_all "guest did not come up: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)" "${names[@]}"
	e2e_stop "$GUEST_PID"
	exit 0
fi
e2e_pass "$p.boot" "${E2E_WAITED}s"

OUT=$E2E_TMP/out
# s_client SECS STDIN-LINES ARGS...: openssl s_client against the guest,
# stdin the given lines; output (both streams) in $OUT. -ign_eof: it reads
# until the server closes (tlsecho closes after INFO and STATS), or a
# failure ends it.
s_client() {
	local secs=$1 lines=$2
	shift 2
	printf '%b' "$lines" |
		timeout "$secs" openssl s_client -ign_eof -connect "127.0.0.1:$port" -CAfile "$CA" "$@" \
			>"$OUT" 2>&1
}
# stat NAME: that counter from the server's STATS line.
stats_line=""
stat() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$stats_line"; }
get_stats() {
	s_client 20 'STATS\n' -servername localhost
	stats_line=$(grep -m1 '^handshakes ' "$OUT")
}
good=0 bad=""
# good_after CASE: a verified handshake and an answer still work.
good_after() {
	s_client 20 'INFO\n' -servername localhost -verify_return_error
	if grep -q '^version 0303 ' "$OUT" && grep -q 'Verify return code: 0' "$OUT"; then
		good=$((good + 1))
	else
		bad+=" after-$1"
	fi
}
# delta NAME BEFORE: the counter now minus BEFORE.
delta() { echo $(($(stat "$1") - $2)); }

# ---- the good path ----
s_client 30 'INFO\n' -servername localhost -alpn http/1.1 -verify_return_error
proto=$(sed -n 's/^ *Protocol *: *//p' "$OUT" | head -1)
cipher=$(sed -n 's/^ *Cipher *: *//p' "$OUT" | head -1)
alpn=$(sed -n 's/^ALPN protocol: *//p' "$OUT" | head -1)
if [ "$proto" = TLSv1.2 ] && [[ $cipher =~ ^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$ ]] &&
	[ "$alpn" = http/1.1 ] && grep -q 'Verify return code: 0' "$OUT" &&
	grep -q '^version 0303 .*alpn http/1.1 sni localhost' "$OUT"; then
	e2e_pass "$p.handshake" "$proto $cipher, ALPN $alpn"
else
	e2e_fail "$p.handshake" "protocol '$proto' cipher '$cipher' alpn '$alpn': $(grep -iE 'error|verify' "$OUT" | head -3)"
fi

get_stats
r0=$(stat resumptions)
s_client 30 'INFO\n' -servername localhost -sess_out "$E2E_TMP/sess"
first=$(grep -cE '^New, TLSv1.2' "$OUT")
s_client 30 'INFO\n' -servername localhost -sess_in "$E2E_TMP/sess"
if [ "$first" = 1 ] && grep -q '^Reused, TLSv1.2' "$OUT" && grep -q 'resumed 1' "$OUT"; then
	get_stats
	d=$(delta resumptions "${r0:-0}")
	if [ "$d" -eq 1 ]; then e2e_pass "$p.resumption" "Reused; resumptions +1"
	else e2e_fail "$p.resumption" "server counted $d resumptions, want 1"; fi
else
	e2e_fail "$p.resumption" "$(grep -E '^(New|Reused)|resumed' "$OUT" | e2e_oneline)"
fi

# ---- old protocols ----
for v in 11 10; do
	get_stats
	f0=$(stat fail_version)
	flag=-tls1_1
	[ "$v" = 10 ] && flag=-tls1
	s_client 20 '' $flag -cipher 'DEFAULT:@SECLEVEL=0'
	if grep -qE '^New, TLSv1\.[0-2], Cipher is [A-Z]' "$OUT"; then
		e2e_fail "$p.tls$v-refused" "a session was made: $(grep '^New' "$OUT")"
		continue
	fi
	get_stats
	d=$(delta fail_version "${f0:-0}")
	if [ "$d" -ge 1 ]; then e2e_pass "$p.tls$v-refused" "fail_version +$d"
	else e2e_fail "$p.tls$v-refused" "refused, but fail_version moved by $d: $(grep -m1 error "$OUT")"; fi
	good_after "tls$v"
done

# ---- renegotiation ----
# s_client takes "R" as a command only without -ign_eof; stdin stays open
# for 3 s so that the renegotiation is tried before stdin's EOF ends it.
{ printf 'R\n'; sleep 3; } |
	timeout 20 openssl s_client -connect "127.0.0.1:$port" -CAfile "$CA" -servername localhost \
		>"$OUT" 2>&1
if grep -q 'RENEGOTIATING' "$OUT" && grep -qi 'no renegotiation' "$OUT"; then
	e2e_pass "$p.renegotiation-refused" "client: no renegotiation"
else
	e2e_fail "$p.renegotiation-refused" "$(grep -iE 'reneg|error' "$OUT" | e2e_oneline)"
fi
good_after renegotiation

# ---- hostile streams ----
raw_case() { # raw_case NAME COUNTER WANT MODE ARGS...
	local name=$1 counter=$2 want=$3 out
	shift 3
	get_stats
	local c0
	c0=$(stat "$counter")
	out=$(timeout 180 "${E2E_CLIENT[0]}" "$E2E_DIR/tls_raw.py" "$port" "$@" 2>&1) ||
		out=${out:-"tls_raw.py $* ended with status $? and said nothing"}
	get_stats
	local d
	d=$(delta "$counter" "${c0:-0}")
	if [[ $out == ok* ]] && [ "$d" -ge "$want" ]; then
		e2e_pass "$p.$name" "$out; $counter +$d"
	else
		e2e_fail "$p.$name" "$out; $counter +$d (want $want)"
	fi
	good_after "$name"
}
raw_case garbage fail_not_tls 1 garbage
raw_case truncated fail_eof 1 truncated "$SEEDS/openssl-default-hello.bin"
raw_case oversized fail_oversized 1 oversized
raw_case stalled fail_timeout 200 stall 200 30

# ---- SNI ----
get_stats
u0=$(stat sni_unknown)
s_client 20 'INFO\n' -servername wrong.example -verify_hostname wrong.example
served=$(grep -c '^New, TLSv1.2' "$OUT")
mismatch=$(grep -ci 'hostname mismatch' "$OUT")
get_stats
d=$(delta sni_unknown "${u0:-0}")
if [ "$served" = 1 ] && [ "$mismatch" -ge 1 ] && [ "$d" -eq 1 ]; then
	e2e_pass "$p.wrong-sni" "served; client: hostname mismatch; sni_unknown +1"
else
	e2e_fail "$p.wrong-sni" "served=$served mismatch=$mismatch sni_unknown +$d"
fi
good_after wrong-sni

if [ -z "$bad" ]; then e2e_pass "$p.still-serving" "$good good handshakes after hostile cases"
else e2e_fail "$p.still-serving" "failed after:$bad"; fi

e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"
if [ -z "$E2E_GONE" ] && ! grep -q 'PANIC' "$GUEST_LOG"; then
	e2e_pass "$p.guest-alive" "$stats_line"
else
	e2e_fail "$p.guest-alive" "${E2E_GONE:-panicked}: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
fi
e2e_stop "$GUEST_PID"

# ---- entropy sources (short boots, a NIC on user networking with nothing
# forwarded: the kernel starts an app only when it has a NIC) ----
# entropy_case NAME REGEX QEMU-ARGS...: boot app=tlsecho with QEMU-ARGS, wait
# for REGEX on the console.
entropy_case() {
	local name=$1 re=$2 epid="" log=$E2E_LOGS/$p.$1.log
	shift 2
	e2e_guest_start epid "$log" --machine q35 --net user --append app=tlsecho --timeout 60 -- "$@"
	if e2e_wait_log "$log" "$epid" 40 "$re"; then
		e2e_pass "$p.$name" "$(e2e_log_line "$log" '^entropy: (not )?seeded')"
	else
		e2e_fail "$p.$name" "no '$re': $(e2e_log_tail "$log" 3 | e2e_oneline)"
	fi
	e2e_stop "$epid"
}
entropy_case no-entropy 'tlsecho: not started: entropy: no entropy source' -cpu max,-rdrand,-rdseed
entropy_case virtio-rng 'tlsecho: listening on port 443' -cpu max,-rdrand,-rdseed -device virtio-rng-pci
