#!/usr/bin/env bash
# tests/e2e/accesslog.sh — the HTTP server's access log (httpd_access_log=,
# syslog=) with curl over QEMU user networking, 2 CPUs, three guests.
#
#   e2e.accesslog.clf      httpd_access_log=clf: one console line per
#                          request curl made (GET 200 with its size and
#                          user agent, HEAD 0 bytes, 404, a '"' in the user
#                          agent as \x22, a bad request as "-" 400), the
#                          lines counter in /metrics, and the static
#                          handler's allocation count still 0
#   e2e.accesslog.json     httpd_access_log=json: every line parses with
#                          Python's json and says what was asked
#   e2e.accesslog.syslog   syslog=10.0.2.2:PORT: RFC 5424 datagrams reach a
#                          Python UDP listener on the host's loopback (this
#                          guest runs with tools/qemu.sh --host-loopback:
#                          slirp without restrict=on; it sends nowhere else)
#   e2e.accesslog.flood    the same guest, httpd_access_log_rate=20: 400
#                          requests from ab are all answered 200, fewer lines
#                          arrive, and /metrics counts the drops
#
# Needs curl, ab, python3. Logs: $WEFT_TEST_LOGS/e2e.accesslog.*.log.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.accesslog
ALL=("$P.clf" "$P.json" "$P.syslog" "$P.flood")
e2e_any_wanted "${ALL[@]}" || exit 0
for t in curl ab python3; do
	command -v $t >/dev/null || { e2e_fail_all "no $t" "${ALL[@]}"; exit 0; }
done
CURL=(curl -s -m 30)

# boot NAME APPEND...: a guest serving on a free port; sets HP, GPID, GLOG.
# With QEMU_MORE=(--host-loopback) it reaches the host's loopback as
# 10.0.2.2 (tools/qemu.sh): only the syslog guest, told to send there.
QEMU_MORE=()
boot() {
	local name=$1 rc i
	shift
	GLOG=$E2E_LOGS/$P.$name.log
	read -r HP <<<"$(e2e_free_ports 1)"
	for _ in 1 2 3; do
		e2e_guest_start GPID "$GLOG" --machine q35 --smp 2 --timeout 300 \
			"${QEMU_MORE[@]+"${QEMU_MORE[@]}"}" --append "$*" --hostfwd "tcp:127.0.0.1:$HP-:80"
		rc=$?
		[ "$rc" -eq 3 ] || break
		read -r HP <<<"$(e2e_free_ports 1)"
	done
	e2e_wait_log "$GLOG" "$GPID" 60 '^httpd: listening' || return 1
	for ((i = 0; i < 50; i++)); do
		[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/healthz")" = 200 ] && return 0
		sleep 0.2
	done
	return 1
}
lines() { tr -d '\r' <"$GLOG" | grep -E "$1"; }
metric() { "${CURL[@]}" "http://127.0.0.1:$HP/metrics" | sed -n "s/^$1 //p"; }

if e2e_wanted "$P.clf"; then
	if ! boot clf httpd_access_log=clf httpd_access_log_rate=0; then
		e2e_fail "$P.clf" "the guest did not serve (log $GLOG)"
	else
		why=""
		U=http://127.0.0.1:$HP
		size=$("${CURL[@]}" -A 'weft-e2e/1' -o /dev/null -w '%{size_download}' "$U/")
		"${CURL[@]}" -A 'weft-e2e/2' -I -o /dev/null "$U/"
		"${CURL[@]}" -A 'weft-e2e/3' -o /dev/null "$U/nosuch?x=1"
		"${CURL[@]}" -A 'say "hi"' -o /dev/null "$U/"
		printf 'BAD\r\n\r\n' | python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.sendall(sys.stdin.buffer.read()); s.recv(4096)' "$HP"
		sleep 1
		d='\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\]'
		lines "^10\.0\.2\.2 - - $d \"GET / HTTP/1\.1\" 200 $size \"-\" \"weft-e2e/1\" [0-9]+\.[0-9]{6}$" >/dev/null ||
			why+="no line for GET / (200 $size); "
		lines "\"HEAD / HTTP/1\.1\" 200 0 \"-\" \"weft-e2e/2\"" >/dev/null || why+="no line for HEAD; "
		lines "\"GET /nosuch\?x=1 HTTP/1\.1\" 404 [0-9]+ \"-\" \"weft-e2e/3\"" >/dev/null || why+="no line for the 404; "
		lines '"say \\x22hi\\x22" ' >/dev/null || why+="the quote in the user agent not escaped; "
		lines '^10\.0\.2\.2 - - .* "-" 400 [0-9]+ "-" "-" ' >/dev/null || why+="no line for the bad request; "
		n=$(metric weft_http_access_log_lines_total)
		[ -n "$n" ] && [ "$n" -ge 5 ] || why+="lines_total '$n'; "
		a=$(metric 'weft_http_handler_allocs_total{handler="static"}')
		[ "$a" = 0 ] || why+="static allocs '$a' with the log on; "
		if [ -z "$why" ]; then e2e_pass "$P.clf" "$n lines"; else
			e2e_show_tail "$P.clf" "$GLOG"; e2e_fail "$P.clf" "$why"; fi
	fi
	e2e_stop "$GPID"
fi

if e2e_wanted "$P.json"; then
	if ! boot json httpd_access_log=json httpd_access_log_rate=0; then
		e2e_fail "$P.json" "the guest did not serve (log $GLOG)"
	else
		U=http://127.0.0.1:$HP
		"${CURL[@]}" -A 'json "q" \ e2e' -o /dev/null "$U/"
		"${CURL[@]}" -o /dev/null "$U/nosuch"
		sleep 1
		lines '^\{"time"' >"$E2E_TMP/json.log"
		why=$(python3 - "$E2E_TMP/json.log" <<-'EOF'
		import json, sys
		recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
		ok = [r for r in recs if r["uri"] == "/" and r["status"] == 200
		      and r["user_agent"] == 'json "q" \\ e2e' and r["bytes"] > 0
		      and r["method"] == "GET" and r["protocol"] == "HTTP/1.1"
		      and r["peer"] == "10.0.2.2" and r["time"].endswith("Z")]
		nf = [r for r in recs if r["uri"] == "/nosuch" and r["status"] == 404]
		if not ok: print("no GET / line with the user agent")
		if not nf: print("no 404 line")
		EOF
		) || why+=" (python failed)"
		n=$(wc -l <"$E2E_TMP/json.log")
		if [ -z "$why" ]; then e2e_pass "$P.json" "$n lines parsed"; else
			e2e_show_tail "$P.json" "$GLOG"; e2e_fail "$P.json" "$why"; fi
	fi
	e2e_stop "$GPID"
fi

if e2e_wanted "$P.syslog" || e2e_wanted "$P.flood"; then
	read -r SP <<<"$(e2e_free_ports 1)"
	SYSLOG_OUT=$E2E_TMP/syslog.txt
	e2e_spawn LPID "$E2E_LOGS/$P.listener.log" python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "a") as f:
    while True:
        d = s.recv(65535)
        f.write(d.decode("utf-8", "replace") + "\n"); f.flush()' "$SP" "$SYSLOG_OUT"
	QEMU_MORE=(--host-loopback)
	if ! boot syslog httpd_access_log=clf httpd_access_log_rate=20 "syslog=10.0.2.2:$SP"; then
		e2e_fail "$P.syslog" "the guest did not serve (log $GLOG)"
		e2e_fail "$P.flood" "the guest did not serve (log $GLOG)"
	else
		U=http://127.0.0.1:$HP
		sleep 1.1 # a fresh second for the rate
		"${CURL[@]}" -A 'weft-syslog' -o /dev/null "$U/"
		sleep 1
		if e2e_wanted "$P.syslog"; then
			re='^<190>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z weft weft - access - 10\.0\.2\.2 - - \[.*\] "GET / HTTP/1\.1" 200 [0-9]+ "-" "weft-syslog" '
			if grep -qE "$re" "$SYSLOG_OUT" 2>/dev/null; then
				e2e_pass "$P.syslog"
			else
				e2e_fail "$P.syslog" "no RFC 5424 line for GET / (got: $(head -c 300 "$SYSLOG_OUT" 2>/dev/null | e2e_oneline))"
			fi
		fi
		if e2e_wanted "$P.flood"; then
			why=""
			before=$(wc -l <"$SYSLOG_OUT")
			ab -q -k -n 400 -c 8 "$U/" >"$E2E_TMP/ab.txt" 2>&1
			grep -q '^Complete requests: *400$' "$E2E_TMP/ab.txt" || why+="ab: not 400 complete; "
			grep -q '^Failed requests: *0$' "$E2E_TMP/ab.txt" || why+="ab: failed requests; "
			grep -q '^Non-2xx' "$E2E_TMP/ab.txt" && why+="ab: non-2xx answers; "
			sleep 1
			got=$(( $(wc -l <"$SYSLOG_OUT") - before ))
			dr=$(metric weft_http_access_log_dropped_total)
			rl=$(metric weft_http_access_log_rate_limited_total)
			[ "$got" -lt 400 ] || why+="$got lines for 400 requests at 20/s; "
			[ -n "$dr" ] && [ "$dr" -gt 0 ] || why+="dropped_total '$dr'; "
			[ "$rl" = "$dr" ] || why+="rate_limited '$rl' != dropped '$dr'; "
			if [ -z "$why" ]; then e2e_pass "$P.flood" "400 answered, $got lines, $dr dropped"; else
				e2e_fail "$P.flood" "$why"; fi
		fi
	fi
	e2e_stop "$GPID"
	e2e_stop "$LPID"
fi
