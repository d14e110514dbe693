#!/usr/bin/env bash
# tests/e2e/kv.sh — app=kv, the HTTP key-value store, with curl over QEMU
# user networking (a port forwarded to 127.0.0.1), 2 CPUs.
#
#   e2e.kv.crud       PUT /kv/a (201), GET (the bytes), PUT again (204),
#                     GET (the new bytes), DELETE (204), GET (404), DELETE
#                     (404); a 1 MiB binary value comes back byte for byte,
#                     also PUT chunked
#   e2e.kv.list       GET /kv/?prefix=user/ lists exactly the user/ keys,
#                     sorted; a percent-encoded prefix; no prefix: all keys
#   e2e.kv.limits     a value over kv_max_value: 413 (with a length, and
#                     chunked); PUTs until kv_max_bytes is reached: 507, and
#                     after a DELETE the PUT fits again
#   e2e.kv.methods    POST: 405 with Allow; PUT on /kv/: 405
#   e2e.kv.parallel   60 PUTs and GETs from 4 clients at once, on 2 CPUs:
#                     every GET answers its own value
#
# Needs curl. Log: $WEFT_TEST_LOGS/e2e.kv.log (the guest).
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.kv
ALL=("$P.crud" "$P.list" "$P.limits" "$P.methods" "$P.parallel")
e2e_any_wanted "${ALL[@]}" || exit 0
command -v curl >/dev/null || { e2e_fail_all "no curl" "${ALL[@]}"; exit 0; }

GUEST_LOG=$E2E_LOGS/$P.log
read -r HP <<<"$(e2e_free_ports 1)"
APPEND="app=kv kv_max_bytes=4194304 kv_max_value=1048576"
for _ in 1 2 3; do
	e2e_guest_start GUEST_PID "$GUEST_LOG" --machine q35 --smp 2 --timeout 600 \
		--append "$APPEND" --hostfwd "tcp:127.0.0.1:$HP-:80"
	rc=$?
	[ "$rc" -eq 3 ] || break
	read -r HP <<<"$(e2e_free_ports 1)"
done
if ! e2e_wait_log "$GUEST_LOG" "$GUEST_PID" 60 '^kv: port=80'; then
	e2e_show_tail "$P" "$GUEST_LOG"
	e2e_fail_all "app=kv did not start (log $GUEST_LOG)" "${ALL[@]}"
	exit 0
fi
U=http://127.0.0.1:$HP/kv
CURL=(curl -s -m 60)
code() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@"; }
for ((i = 0; i < 50; i++)); do
	[ "$(code "$U/")" = 200 ] && break
	sleep 0.2
done

if e2e_wanted "$P.crud"; then
	why=""
	c=$(code -X PUT --data-binary 'one' "$U/a"); [ "$c" = 201 ] || why+="PUT new: $c; "
	v=$("${CURL[@]}" "$U/a"); [ "$v" = one ] || why+="GET: '$v'; "
	c=$(code -X PUT --data-binary 'two' "$U/a"); [ "$c" = 204 ] || why+="PUT again: $c; "
	v=$("${CURL[@]}" "$U/a"); [ "$v" = two ] || why+="GET after replace: '$v'; "
	c=$(code -X DELETE "$U/a"); [ "$c" = 204 ] || why+="DELETE: $c; "
	c=$(code "$U/a"); [ "$c" = 404 ] || why+="GET after DELETE: $c; "
	c=$(code -X DELETE "$U/a"); [ "$c" = 404 ] || why+="DELETE again: $c; "
	head -c 1048576 /dev/urandom >"$E2E_TMP/v.bin"
	c=$(code -X PUT -H 'Expect:' --data-binary @"$E2E_TMP/v.bin" "$U/bin"); [ "$c" = 201 ] || why+="PUT 1 MiB: $c; "
	"${CURL[@]}" "$U/bin" -o "$E2E_TMP/got.bin"
	cmp -s "$E2E_TMP/v.bin" "$E2E_TMP/got.bin" || why+="the 1 MiB value came back different; "
	c=$(code -X PUT -H 'Transfer-Encoding: chunked' --data-binary @"$E2E_TMP/v.bin" "$U/bin2")
	[ "$c" = 201 ] || why+="PUT chunked: $c; "
	"${CURL[@]}" "$U/bin2" -o "$E2E_TMP/got2.bin"
	cmp -s "$E2E_TMP/v.bin" "$E2E_TMP/got2.bin" || why+="the chunked value came back different; "
	code -X DELETE "$U/bin" >/dev/null
	code -X DELETE "$U/bin2" >/dev/null
	if [ -z "$why" ]; then e2e_pass "$P.crud"; else e2e_fail "$P.crud" "$why"; fi
fi

if e2e_wanted "$P.list"; then
	why=""
	for k in user/b user/a user/c admin/x 'sp ace/1'; do
		code -X PUT --data-binary v "$U/${k// /%20}" >/dev/null
	done
	l=$("${CURL[@]}" "$U/?prefix=user/" | tr '\n' ' ')
	[ "$l" = "user/a user/b user/c " ] || why+="prefix user/: '$l'; "
	l=$("${CURL[@]}" "$U/?prefix=sp%20ace" | tr '\n' ' ')
	[ "$l" = "sp ace/1 " ] || why+="prefix 'sp ace': '$l'; "
	l=$("${CURL[@]}" "$U/" | tr '\n' ' ')
	[ "$l" = "admin/x sp ace/1 user/a user/b user/c " ] || why+="all keys: '$l'; "
	l=$("${CURL[@]}" "$U/?prefix=zzz")
	[ -z "$l" ] || why+="prefix zzz: '$l'; "
	for k in user/b user/a user/c admin/x 'sp ace/1'; do code -X DELETE "$U/${k// /%20}" >/dev/null; done
	if [ -z "$why" ]; then e2e_pass "$P.list"; else e2e_fail "$P.list" "$why"; fi
fi

if e2e_wanted "$P.limits"; then
	why=""
	head -c 1048577 /dev/zero >"$E2E_TMP/big.bin"
	c=$(code -X PUT -H 'Expect:' --data-binary @"$E2E_TMP/big.bin" "$U/big"); [ "$c" = 413 ] || why+="too large: $c; "
	c=$(code -X PUT -H 'Transfer-Encoding: chunked' --data-binary @"$E2E_TMP/big.bin" "$U/big")
	[ "$c" = 413 ] || why+="too large, chunked: $c; "
	head -c 1000000 /dev/zero >"$E2E_TMP/m.bin"
	codes=""
	for i in 1 2 3 4 5; do codes+=$(code -X PUT -H 'Expect:' --data-binary @"$E2E_TMP/m.bin" "$U/m$i")" "; done
	[ "$codes" = "201 201 201 201 507 " ] || why+="filling 4 MiB with 1 MB values: '$codes'; "
	c=$(code -X DELETE "$U/m1"); [ "$c" = 204 ] || why+="DELETE m1: $c; "
	c=$(code -X PUT -H 'Expect:' --data-binary @"$E2E_TMP/m.bin" "$U/m5"); [ "$c" = 201 ] || why+="PUT after DELETE: $c; "
	for i in 2 3 4 5; do code -X DELETE "$U/m$i" >/dev/null; done
	if [ -z "$why" ]; then e2e_pass "$P.limits" "413 past 1 MiB, 507 past 4 MiB"; else e2e_fail "$P.limits" "$why"; fi
fi

if e2e_wanted "$P.methods"; then
	why=""
	h=$("${CURL[@]}" -i -X POST --data-binary x "$U/a" | tr -d '\r')
	grep -q '^HTTP/1.1 405' <<<"$h" && grep -qi '^allow: GET, HEAD, PUT, DELETE' <<<"$h" || why+="POST: $(head -1 <<<"$h"); "
	c=$(code -X PUT --data-binary x "$U/"); [ "$c" = 405 ] || why+="PUT /kv/: $c; "
	if [ -z "$why" ]; then e2e_pass "$P.methods"; else e2e_fail "$P.methods" "$why"; fi
fi

if e2e_wanted "$P.parallel"; then
	pids=()
	for w in 1 2 3 4; do
		(
			bad=0
			for i in $(seq 1 15); do
				curl -s -m 30 -o /dev/null -X PUT --data-binary "w$w-$i" "$U/p/$w/$i"
				[ "$(curl -s -m 30 "$U/p/$w/$i")" = "w$w-$i" ] || bad=$((bad + 1))
			done
			echo "$bad"
		) >"$E2E_TMP/par.$w" &
		pids+=("$!")
	done
	wait "${pids[@]}"	# not a bare wait: the guest is a child too
	bad=$(cat "$E2E_TMP"/par.* | paste -sd+ | bc)
	n=$("${CURL[@]}" "$U/?prefix=p/" | grep -c .)
	if [ "$bad" -eq 0 ] && [ "$n" -eq 60 ]; then e2e_pass "$P.parallel" "60 keys, 4 clients"; else
		e2e_fail "$P.parallel" "$bad wrong answers, $n keys listed (want 0, 60)"; fi
fi

e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"
if [ -n "$E2E_GONE" ]; then
	e2e_note "$E2E_GONE"
	e2e_show_tail "$P" "$GUEST_LOG"
fi
e2e_stop "$GUEST_PID"
exit 0
