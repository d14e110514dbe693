#!/usr/bin/env bash
# tests/e2e/makerun.sh — `make run` as a first-time user meets it: what
# tools/run.sh does (make run runs it on build/weft) and what the running
# appliance reports about itself.
#
#   e2e.run.port            CMDLINE="app=httpd port=P" (P a free port, with
#                           malformed and unknown words): run.sh says
#                           "serving on http://127.0.0.1:P/" (the guest's
#                           port forwarded from the same number) and
#                           GET /healthz through it answers ok
#   e2e.run.https           the same run: the HTTPS port (443) forwarded from
#                           the first free port H at or above WEFT_PORT,
#                           "serving on https://localhost:H/" and the line
#                           "curl --cacert build/tls/localhost.crt ..." run.sh
#                           prints, and that curl answers /healthz ok
#   e2e.run.backlog         the forward's listening socket has a backlog of
#                           1024 (ss; slirp's own is 1, where ab stalls for
#                           seconds), and ab -n 2000 -c 50 through it
#                           completes with no failed request and no ab
#                           timeout
#   e2e.run.cmdline-errors  the boot says how many words were malformed or
#                           unknown, and /metrics has weft_cmdline_errors_total
#                           counting those and the unusable values (ip=
#                           without its prefix, a number that is none)
#   e2e.run.version         the banner's "weft: version V", /metrics'
#                           weft_build_info{version="V"}, and V is git
#                           describe's (a commit of this repository, maybe
#                           after a tag, maybe -dirty)
#   e2e.run.echo            CMDLINE="app=echo": the guest's port 7 is
#                           forwarded from the first free port at or above
#                           WEFT_PORT, run.sh says "serving on 127.0.0.1:H
#                           (TCP, the guest's port 7", and bytes come back
#   e2e.run.nosuch          CMDLINE="app=nosuch": the guest names the apps it
#                           has and powers off; run.sh prints that line as its
#                           error and exits 1
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
P=e2e.run
H=127.0.0.1
RUN=$E2E_REPO/tools/run.sh

# start_run NAME CMDLINE: tools/run.sh in the background, its output in
# $E2E_LOGS/$P.NAME.log; RPID gets its PID, LOG the log's path.
start_run() {
	LOG=$E2E_LOGS/$P.$1.log
	e2e_spawn RPID "$LOG" env WEFT_SMP=2 WEFT_TLS_CERT="$CA" "$RUN" "$E2E_KERNEL" "$2"
}
CA=${WEFT_TLS_CA:-$E2E_REPO/build/tls/localhost.crt}

if e2e_any_wanted "$P.port" "$P.https" "$P.backlog" "$P.cmdline-errors" "$P.version"; then
	port=$(e2e_free_ports 1)
	# two malformed or unknown words (reported at boot) and two unusable
	# values (ip= without its prefix: DHCP instead; a number that is none)
	start_run port "app=httpd port=$port =5 nosuch_key=1 ip=10.0.2.15 httpd_max_conns=lots"
	url="http://$H:$port"
	if ! e2e_wait_log "$LOG" "$RPID" 120 "serving on $url/"; then
		why="no \"serving on $url/\" line; log ends: $(e2e_log_tail "$LOG" 4 | e2e_oneline)"
		e2e_fail_all "$why" "$P.port" "$P.https" "$P.backlog" "$P.cmdline-errors" "$P.version"
		e2e_show_tail "$P.port" "$LOG"
	else
		body=$(curl -sS --max-time 10 "$url/healthz" 2>&1)
		if [ "$body" = ok ]; then
			e2e_pass "$P.port" "$(e2e_log_line "$LOG" 'serving on'); /healthz: ok after $E2E_WAITED s"
		else
			e2e_fail "$P.port" "GET $url/healthz gave \"$body\""
		fi

		if e2e_wanted "$P.https"; then
			if e2e_wait_log "$LOG" "$RPID" 60 'serving on https://localhost:[0-9]+/' \
				"curl --cacert $CA https://localhost:[0-9]+/"; then
				cl=$(e2e_log_line "$LOG" 'curl --cacert')
				hs=$(sed -n 's|.*https://localhost:\([0-9]*\)/.*|\1|p' <<<"$cl")
				body=$(curl -sS --max-time 10 --cacert "$CA" --resolve "localhost:$hs:$H" \
					"https://localhost:$hs/healthz" 2>&1)
				if [ "$body" = ok ]; then e2e_pass "$P.https" "${cl#*run: }: /healthz ok"
				else e2e_fail "$P.https" "$cl gave \"$body\""; fi
			else
				e2e_fail "$P.https" "missing ${E2E_MISSING[*]}: $(grep -a 'serving' "$LOG" | e2e_oneline)"
			fi
		fi

		if e2e_wanted "$P.backlog"; then
			# the backlog the forward's listening socket has (ss: Send-Q)
			backlog=$(ss -ltnH "sport = :$port" 2>/dev/null | awk '{print $3; exit}')
			out=$E2E_TMP/ab.out
			e2e_run 120 "$out" "$out" ab -q -s 20 -n 2000 -c 50 "$url/"
			rc=$?
			done_n=$(sed -n 's/^Complete requests: *//p' "$out")
			failed_n=$(sed -n 's/^Failed requests: *//p' "$out")
			if [ "${backlog:-0}" -lt 1024 ] 2>/dev/null || [ -z "$backlog" ]; then
				e2e_fail "$P.backlog" "the forward listens with a backlog of \"$backlog\" (ss Send-Q), want 1024"
			elif [ "$rc" -ne 0 ] || [ "${done_n:-0}" != 2000 ] || [ "${failed_n:-1}" != 0 ]; then
				e2e_fail "$P.backlog" "ab status $rc, complete ${done_n:-?}, failed ${failed_n:-?}: $(tail -n 3 "$out" | e2e_oneline)"
			else
				e2e_pass "$P.backlog" "listen backlog $backlog; 2000 requests, 50 concurrent, 0 failed"
			fi
		fi

		metrics=$(curl -sS --max-time 10 "$url/metrics" 2>&1 | tr -d '\r')
		if e2e_wanted "$P.cmdline-errors"; then
			summary=$(e2e_log_line "$LOG" '^cmdline: [0-9]+ words? malformed or unknown')
			n=$(sed -n 's/^weft_cmdline_errors_total \([0-9]*\)$/\1/p' <<<"$metrics")
			if [[ $summary != "cmdline: 2 words malformed or unknown"* ]]; then
				e2e_fail "$P.cmdline-errors" "boot summary \"$summary\", want 2 words"
			elif ! grep -qF 'cmdline: httpd_max_conns=lots is not a number' "$LOG"; then
				e2e_fail "$P.cmdline-errors" "no message for httpd_max_conns=lots"
			elif ! grep -qF 'net: cannot use ip=10.0.2.15 gw= (want ip=ADDR/PREFIX gw=ADDR: ip= needs its prefix length); using DHCP' "$LOG"; then
				e2e_fail "$P.cmdline-errors" "no message for ip= without its prefix"
			elif [ "$n" != 4 ]; then
				e2e_fail "$P.cmdline-errors" "weft_cmdline_errors_total is \"$n\", want 4 (=5, nosuch_key=1, ip=10.0.2.15, httpd_max_conns=lots)"
			else
				e2e_pass "$P.cmdline-errors" "$summary; weft_cmdline_errors_total $n"
			fi
		fi
		if e2e_wanted "$P.version"; then
			banner=$(e2e_log_line "$LOG" '^weft: version ' | sed 's/^weft: version //')
			info=$(sed -n 's/^weft_build_info{version="\([^"]*\)"} 1$/\1/p' <<<"$metrics")
			# git describe's commit: the whole of --always' answer, or
			# what follows -g after a tag
			v=${banner%-dirty} commit=${banner%-dirty}
			[[ $v != *-g* ]] || commit=${v##*-g}
			if [ -z "$banner" ]; then
				e2e_fail "$P.version" "no \"weft: version\" line at boot"
			elif [ "$info" != "$banner" ]; then
				e2e_fail "$P.version" "weft_build_info says \"$info\", the banner \"$banner\""
			elif git -C "$E2E_REPO" rev-parse --git-dir >/dev/null 2>&1 &&
				! git -C "$E2E_REPO" cat-file -e "$commit^{commit}" 2>/dev/null; then
				e2e_fail "$P.version" "version \"$banner\" names no commit of this repository"
			else
				e2e_pass "$P.version" "weft: version $banner; weft_build_info{version=\"$info\"}"
			fi
		fi
	fi
	e2e_stop "$RPID"
fi

if e2e_wanted "$P.echo"; then
	start=$(e2e_free_ports 1)
	LOG=$E2E_LOGS/$P.echo.log
	e2e_spawn RPID "$LOG" env WEFT_PORT="$start" "$RUN" "$E2E_KERNEL" "app=echo"
	if ! e2e_wait_log "$LOG" "$RPID" 120 "serving on $H:[0-9]+ \\(TCP, the guest's port 7;"; then
		e2e_fail "$P.echo" "no \"serving on $H:N (TCP, the guest's port 7\" line; log ends: $(e2e_log_tail "$LOG" 4 | e2e_oneline)"
		e2e_show_tail "$P.echo" "$LOG"
	else
		line=$(e2e_log_line "$LOG" "the guest's port 7;")
		hp=$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' <<<"$line")
		got=$(timeout 20 python3 - "$hp" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
msg = b"weft echo through make run\n"
s.sendall(msg)
buf = b""
while len(buf) < len(msg):
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf.decode(errors="replace").strip())
EOF
		)
		if [ "$hp" -lt "$start" ]; then
			e2e_fail "$P.echo" "host port $hp is below WEFT_PORT=$start"
		elif [ "$got" != "weft echo through make run" ]; then
			e2e_fail "$P.echo" "echo through 127.0.0.1:$hp gave \"$got\""
		else
			e2e_pass "$P.echo" "$line; echoed"
		fi
	fi
	e2e_stop "$RPID"
fi

if e2e_wanted "$P.nosuch"; then
	LOG=$E2E_LOGS/$P.nosuch.log
	e2e_run 120 "$LOG" "$LOG" "$RUN" "$E2E_KERNEL" "app=nosuch"
	rc=$?
	err=$(e2e_log_line "$LOG" '^run.sh: the appliance stopped with an error: ')
	want='run.sh: the appliance stopped with an error: weft: no app named "nosuch" in this image (have: '
	if [ "$rc" -ne 1 ]; then
		e2e_fail "$P.nosuch" "run.sh exited with $rc, want 1; log ends: $(e2e_log_tail "$LOG" 3 | e2e_oneline)"
	elif [[ $err != "$want"*httpd*"); powering off" ]]; then
		e2e_fail "$P.nosuch" "error line \"$err\""
	else
		e2e_pass "$P.nosuch" "exit 1; $err"
	fi
fi
exit 0
