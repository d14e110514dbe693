#!/usr/bin/env bash
# tests/e2e/httpd.sh — the HTTP appliance (apps/httpd) with real clients,
# over QEMU user networking: a free 127.0.0.1 port is forwarded to the
# guest's port 80 (tools/qemu.sh runs slirp with restrict=on, so nothing
# but that forward reaches the guest). Two boots on q35 with 2 CPUs.
#
# Boot A, `app=httpd httpd_max_conns=8 httpd_max_body=4096
# httpd_header_timeout_ms=2000 date=<host time>` (small limits for the
# hostile cases; no check here has more than a few connections open):
#   e2e.httpd.boot            "httpd: port 80 ..." shows those settings, and
#                             the "net:" line, within 60 s
#   e2e.httpd.curl.root       GET /: 200, the site's index.html byte for
#                             byte, Date (IMF-fixdate, within 2 min of the
#                             host's clock: date= was given), Server,
#                             Content-Length (= body), Content-Type
#                             text/html, Connection
#   e2e.httpd.curl.static     GET /style.css: 200, text/css, the file
#   e2e.httpd.curl.head       HEAD / (curl -I): 200 with GET's headers
#   e2e.httpd.head            HEAD / then GET /healthz on one connection:
#                             no body after HEAD's head (http_client.py)
#   e2e.httpd.curl.404        a missing file: 404
#   e2e.httpd.curl.etag-304   If-None-Match with the ETag of a first GET:
#                             304, no body
#   e2e.httpd.curl.healthz    "ok"
#   e2e.httpd.curl.status     /status: 200 HTML with no outside assets
#   e2e.httpd.curl.metrics    /metrics: 200, text/plain; version=0.0.4
#   e2e.httpd.metrics.parse   /metrics is strict Prometheus text format
#                             (http_client.py parse_prom)
#   e2e.httpd.metrics.families every kind of number the issue lists
#   e2e.httpd.metrics.moved   request counters (200, 404, 304, accepted,
#                             bytes) and the net lock's acquisitions and
#                             held time grew over the curl checks
#   e2e.httpd.pipeline        20 requests in one write, 20 responses in order
#   e2e.httpd.http10          HTTP/1.0 closes; with keep-alive it does not
#   e2e.httpd.hostile.*       400 (malformed request lines, NUL bytes,
#                             conflicting Content-Length, Transfer-Encoding
#                             with Content-Length), 405, 501, 404, 413, 414,
#                             431 (1,000 headers), a 100 KB request line,
#                             path escapes, 408 on the header timeout; after
#                             each, a new connection is served
#   e2e.httpd.allocs          10,000 keep-alive requests (files, 404, 304,
#                             HEAD, ranges, gzip, dates): the request-path
#                             allocation counter does not move
#   e2e.httpd.max-conns-503   8 connections held: the 9th gets 503 and a
#                             close; served again once they close
#   e2e.httpd.guest-alive     boot A still runs, no panic
# Boot B, no app= and no settings (the default app and its defaults):
#   e2e.httpd.load.boot       the boot line shows the defaults
#   e2e.httpd.slowloris       200 connections stalled in their heads (all
#                             held by the guest, per /metrics) while normal
#                             requests are answered within 2 s
#   e2e.httpd.wrk             wrk -t2 -c256 -d10s: no socket errors
#                             (connect, read, write, timeout: a response
#                             over wrk's 2 s), no non-2xx, and the guest
#                             had all 256 connections open at once (its
#                             /metrics, sampled each second: wrk does not
#                             count a connection that never got through)
#   e2e.httpd.ab              ab -n 20000 -c 50 (a connection per request):
#                             0 failed, all 2xx
#   e2e.httpd.load.alive      afterwards: /healthz answers, no panic, and the
#                             guest's open connections and live tasks come
#                             back to what they were before the load
#
# QEMU's slirp listens for a host forward with listen(fd, 1): a burst of
# connects (wrk's 256, ab's refills, slowloris) overflows that queue in
# the host's kernel, which drops them; the clients see connections that
# hang for seconds (wrk "timeout", ab stalls and failures) that never
# reached the guest. So QEMU runs with a small LD_PRELOAD shim (built here
# with cc, from tools/listen_backlog.c) that raises the backlog of its listen()
# calls to $WEFT_E2E_SLIRP_BACKLOG (default 1024; 0: no shim, slirp as it
# is). The guest is untouched; the boot results say which was used.
#
# Logs: $WEFT_TEST_LOGS/e2e.httpd.{a,b}.log (consoles), e2e.httpd.*.out
# (clients). Each guest has a tools/qemu.sh --timeout and is stopped by its
# process group as soon as its checks are done.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

GUEST_TIMEOUT=300 # safety net for one guest; normally stopped long before
BOOT_WAIT=60
HEADER_TIMEOUT_MS=2000
MAX_BODY=4096
MAX_CONNS=8
SLIRP_BACKLOG=${WEFT_E2E_SLIRP_BACKLOG:-1024}
CLIENT=("${E2E_PYTHON:-python3}" "$E2E_DIR/http_client.py")
SITE=$E2E_REPO/apps/httpd/site
P=e2e.httpd
H=127.0.0.1

if [ "$E2E_STANDIN" = 1 ]; then
	e2e_note "httpd.sh: no stand-in for the HTTP server; nothing to do"
	exit 0
fi

HOSTILE_NAMES=(hostile.400-request-line hostile.405-post hostile.501-unknown-method
	hostile.404-missing hostile.413-body-too-large hostile.414-uri-too-long
	hostile.431-1000-headers hostile.400-nul-request-line hostile.400-nul-header
	hostile.400-conflicting-content-length hostile.400-transfer-encoding-with-content-length
	hostile.414-100k-request-line hostile.keep-alive-after-404-405 hostile.path-escape
	hostile.408-header-timeout)
A_NAMES=(boot curl.root curl.static curl.head head curl.404 curl.etag-304 curl.healthz
	curl.status curl.metrics metrics.parse metrics.families metrics.moved pipeline
	http10 "${HOSTILE_NAMES[@]}" allocs max-conns-503 guest-alive)
B_NAMES=(load.boot slowloris wrk ab load.alive)

# ---- helpers -----------------------------------------------------------------

prefixed() { local n out=(); for n in "$@"; do out+=("$P.$n"); done; echo "${out[@]}"; }
# shellcheck disable=SC2046
any_wanted() { e2e_any_wanted $(prefixed "$@"); }
pass() { e2e_pass "$P.$1" "${2:-}"; }
fail() { e2e_fail "$P.$1" "$2"; }
join() { # join ITEMS...: "a; b; c"
	local joined=$1 x
	shift
	for x in "$@"; do joined+="; $x"; done
	echo "$joined"
}

# The LD_PRELOAD shim that widens slirp's listen queue (see the top).
SHIM=""
SHIM_NOTE="slirp's own listen backlog"
build_shim() {
	[ "$SLIRP_BACKLOG" != 0 ] || return 0
	local cc=${CC:-cc} so=$E2E_TMP/listen_backlog.so
	command -v "$cc" >/dev/null 2>&1 || cc=gcc
	if "$cc" -shared -fPIC -O2 -DMIN_BACKLOG="$SLIRP_BACKLOG" -o "$so" "$E2E_REPO/tools/listen_backlog.c" -ldl \
		>"$E2E_TMP/shim.err" 2>&1; then
		SHIM=$so
	else
		SHIM_NOTE="slirp's own listen backlog: the shim did not build ($(head -n 2 "$E2E_TMP/shim.err" | e2e_oneline))"
		e2e_note "httpd.sh: $SHIM_NOTE"
	fi
}

# boot NAME CMDLINE: start a guest (log $E2E_LOGS/$P.NAME.log) with a free
# port forwarded to its port 80; sets GUEST_PID GUEST_LOG PORT and BOOT_WHY
# (why it did not come up; empty when it did). Waits for the httpd and net
# lines.
boot() {
	local name=$1 cmdline=$2 try rc
	GUEST_LOG=$E2E_LOGS/$P.$name.log
	GUEST_PID="" BOOT_WHY=""
	E2E_WRAP=()
	[ -z "$SHIM" ] || E2E_WRAP=(env "LD_PRELOAD=$SHIM${LD_PRELOAD:+ $LD_PRELOAD}")
	for ((try = 0; try < 3; try++)); do
		PORT=$(e2e_free_ports 1)
		local args=(--machine q35 --smp 2 --timeout "$GUEST_TIMEOUT" --hostfwd "tcp:$H:$PORT-:80")
		[ -z "$cmdline" ] || args+=(--append "$cmdline")
		e2e_guest_start GUEST_PID "$GUEST_LOG" "${args[@]}"
		rc=$?
		[ "$rc" -eq 3 ] || break
		e2e_note "httpd.sh: port $PORT was taken meanwhile; another"
	done
	if [ "$rc" -ne 0 ]; then
		BOOT_WHY="could not start the guest: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
		return 1
	fi
	local net_re='^net: [0-9.]+/[0-9]+ gw [0-9.]+ \((dhcp|static)\)'
	e2e_wait_log "$GUEST_LOG" "$GUEST_PID" "$BOOT_WAIT" '^httpd: port 80 ' \
		'^httpd: listening on port 80' "$net_re"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		local why
		case $rc in
		2) e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"; why=$E2E_GONE ;;
		4) why="the guest said \"$E2E_GIVE_UP_LINE\"" ;;
		*) why="not within $BOOT_WAIT s" ;;
		esac
		BOOT_WHY="no line matching $(printf '"%s" ' "${E2E_MISSING[@]}"): $why; log $GUEST_LOG ends: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
		return 1
	fi
	BOOT_READY=$E2E_WAITED
	return 0
}

# The backlog slirp's listening socket really has (ss shows it as Send-Q).
listen_backlog() {
	command -v ss >/dev/null 2>&1 || { echo "?"; return; }
	ss -ltnH "sport = :$PORT" 2>/dev/null | awk '{print $3; exit}'
}

# guest_fate: sets FATE to " (the guest ...)" when the guest is gone or
# panicked, else "". (Not in $(...): e2e_guest_gone may have to `wait`.)
guest_fate() {
	e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"
	local panic
	panic=$(e2e_log_line "$GUEST_LOG" 'PANIC on cpu|httpd?: bug' || true)
	FATE=""
	if [ -n "$E2E_GONE" ]; then
		FATE=" ($E2E_GONE; log $GUEST_LOG)"
	elif [ -n "$panic" ]; then
		FATE=" (guest: $panic)"
	fi
}

# py NAMES... -- ARGS...: http_client.py ARGS, bounded by PY_SECS (default
# 120); its PASS/FAIL lines are forwarded with the prefix; an expected name
# it did not report fails.
py() {
	local names=() secs=${PY_SECS:-120} out err rc n line reported=()
	while [ "$1" != -- ]; do names+=("$1"); shift; done
	shift
	any_wanted "${names[@]}" || return 0
	out=$E2E_LOGS/$P.$1.out err=$E2E_LOGS/$P.$1.err
	e2e_run "$secs" "$out" "$err" "${CLIENT[@]}" "$@"
	rc=$?
	while IFS= read -r line; do
		if [[ $line =~ ^PASS\ ([^ ]+)( \((.*)\))?$ ]]; then
			pass "${BASH_REMATCH[1]}" "${BASH_REMATCH[3]}"
			reported+=("${BASH_REMATCH[1]}")
		elif [[ $line =~ ^FAIL\ ([^ :]+):\ (.*)$ ]]; then
			local name=${BASH_REMATCH[1]} why=${BASH_REMATCH[2]}
			guest_fate
			fail "$name" "$why$FATE"
			reported+=("${BASH_REMATCH[1]}")
		fi
	done <"$out"
	for n in "${names[@]}"; do
		[[ " ${reported[*]-} " == *" $n "* ]] && continue
		local why
		why=$(tail -n 3 "$err" | e2e_oneline)
		[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || why="killed after $secs s${why:+; $why}"
		guest_fate
		fail "$n" "http_client.py $1 did not report it (status $rc${why:+: $why})$FATE"
	done
	[ ! -s "$err" ] || sed 's/^/    /' "$err" | tail -n 20 >&2
}

# curl_get NAME PATH [CURL-ARGS...]: fetch into $E2E_TMP/NAME.{hdr,body};
# sets CODE (HTTP status, 000 when curl failed) and CURL_ERR.
curl_get() {
	local name=$1 path=$2
	shift 2
	CODE=$(curl -sS --max-time 10 -D "$E2E_TMP/$name.hdr" -o "$E2E_TMP/$name.body" \
		-w '%{http_code}' "$@" "http://$H:$PORT$path" 2>"$E2E_TMP/$name.err")
	CURL_ERR=$(e2e_oneline <"$E2E_TMP/$name.err")
	[ -n "$CODE" ] || CODE=000
	[ -f "$E2E_TMP/$name.body" ] || : >"$E2E_TMP/$name.body"
	[ -f "$E2E_TMP/$name.hdr" ] || : >"$E2E_TMP/$name.hdr"
}
# hdr NAME FIELD: the value of FIELD in NAME's response head ("" if none)
hdr() { tr -d '\r' <"$E2E_TMP/$1.hdr" | sed -n "s/^$2:[ \t]*//Ip" | head -n 1; }
hdr_count() { tr -d '\r' <"$E2E_TMP/$1.hdr" | grep -ci "^$2:" || true; }
status_line() { tr -d '\r' <"$E2E_TMP/$1.hdr" | head -n 1; }
body_size() { wc -c <"$E2E_TMP/$1.body" | tr -d ' '; }

# need_headers NAME FIELD...: appends to PROBLEMS the fields missing or
# repeated in NAME's response.
need_headers() {
	local name=$1 f n
	shift
	for f in "$@"; do
		n=$(hdr_count "$name" "$f")
		[ "$n" -eq 1 ] || PROBLEMS+=("$n $f headers")
	done
}

# metric FILE NAME [LABELS]: a value from a saved /metrics ("" if absent)
metric() { "${CLIENT[@]}" value "$@" 2>/dev/null; }
# delta A B [LESS]: B - A - LESS, or "?" when either is unknown
delta() { if [ -n "$1" ] && [ -n "$2" ]; then echo $(($2 - $1 - ${3:-0})); else echo "?"; fi; }
# fetch_metrics FILE: save /metrics; false if it could not be had
fetch_metrics() { curl -sS --max-time 10 -o "$1" "http://$H:$PORT/metrics" 2>/dev/null; }

# ---- boot A: curl, metrics, pipelining, hostile input, allocations ------------

run_a() {
	any_wanted "${A_NAMES[@]}" || return 0
	local now cmdline
	now=$(date +%s)
	cmdline="app=httpd httpd_max_conns=$MAX_CONNS httpd_max_body=$MAX_BODY httpd_header_timeout_ms=$HEADER_TIMEOUT_MS date=$now"
	if ! boot a "$cmdline"; then
		fail boot "$BOOT_WHY"
		e2e_show_tail "$P.a" "$GUEST_LOG"
		local n
		for n in "${A_NAMES[@]:1}"; do fail "$n" "no guest (see $P.boot)"; done
		e2e_stop "$GUEST_PID"
		return 0
	fi
	local line want
	line=$(e2e_log_line "$GUEST_LOG" '^httpd: port 80 ')
	want="^httpd: port 80 max_conns $MAX_CONNS header_timeout_ms $HEADER_TIMEOUT_MS idle_timeout_ms [0-9]+ write_timeout_ms [0-9]+ max_requests [0-9]+ max_body $MAX_BODY date $now \(date=\)$"
	if grep -qE -- "$want" <<<"$line"; then
		pass boot "$line; $(e2e_log_line "$GUEST_LOG" '^net: '); ready after $BOOT_READY s; slirp listen backlog $(listen_backlog) ($SHIM_NOTE)"
	else
		fail boot "the settings line is \"$line\"; expected /$want/"
	fi

	local m0=$E2E_TMP/metrics0 m1=$E2E_TMP/metrics1 PROBLEMS
	fetch_metrics "$m0" || : >"$m0"

	# / : the site's index, with the headers every response has
	if any_wanted curl.root metrics.moved; then
		curl_get root /
		PROBLEMS=()
		[ "$CODE" = 200 ] || PROBLEMS+=("status $CODE${CURL_ERR:+ ($CURL_ERR)}")
		need_headers root Date Server Content-Length Content-Type Connection
		[[ $(hdr root Content-Type) == text/html* ]] || PROBLEMS+=("Content-Type \"$(hdr root Content-Type)\"")
		[ "$(hdr root Content-Length)" = "$(body_size root)" ] ||
			PROBLEMS+=("Content-Length $(hdr root Content-Length) but $(body_size root) body bytes")
		cmp -s "$E2E_TMP/root.body" "$SITE/index.html" || PROBLEMS+=("body differs from $SITE/index.html")
		local d t
		d=$(hdr root Date)
		if [[ $d =~ ^(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\ [0-9]{2}\ (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]] &&
			t=$(date -u -d "$d" +%s 2>/dev/null); then
			local skew=$((t - $(date +%s)))
			[ "${skew#-}" -le 120 ] || PROBLEMS+=("Date \"$d\" is $skew s off the host's clock (date=$now given)")
		else
			PROBLEMS+=("Date \"$d\" is not an IMF-fixdate")
		fi
		if [ ${#PROBLEMS[@]} -eq 0 ]; then
			pass curl.root "$(status_line root), $(body_size root) bytes = index.html; Server: $(hdr root Server); Date: $d; Connection: $(hdr root Connection)"
		else
			fail curl.root "$(join "${PROBLEMS[@]}")"
		fi
	fi

	if any_wanted curl.static metrics.moved; then
		curl_get css /style.css
		PROBLEMS=()
		[ "$CODE" = 200 ] || PROBLEMS+=("status $CODE${CURL_ERR:+ ($CURL_ERR)}")
		need_headers css Date Server Content-Length Content-Type Connection ETag
		[[ $(hdr css Content-Type) == text/css* ]] || PROBLEMS+=("Content-Type \"$(hdr css Content-Type)\"")
		cmp -s "$E2E_TMP/css.body" "$SITE/style.css" || PROBLEMS+=("body differs from $SITE/style.css")
		if [ ${#PROBLEMS[@]} -eq 0 ]; then
			pass curl.static "/style.css: $CODE, $(hdr css Content-Type), $(body_size css) bytes = the file"
		else
			fail curl.static "/style.css: $(join "${PROBLEMS[@]}")"
		fi
	fi

	if any_wanted curl.head metrics.moved; then
		curl_get get_root /
		curl_get head_root / -I
		PROBLEMS=()
		[ "$CODE" = 200 ] || PROBLEMS+=("status $CODE${CURL_ERR:+ ($CURL_ERR)}")
		need_headers head_root Date Server Content-Length Content-Type Connection
		local f
		for f in Content-Length Content-Type ETag Server; do
			[ "$(hdr head_root "$f")" = "$(hdr get_root "$f")" ] ||
				PROBLEMS+=("$f: HEAD \"$(hdr head_root "$f")\", GET \"$(hdr get_root "$f")\"")
		done
		if [ ${#PROBLEMS[@]} -eq 0 ]; then
			pass curl.head "HEAD /: $CODE, Content-Length $(hdr head_root Content-Length), same headers as GET"
		else
			fail curl.head "$(join "${PROBLEMS[@]}")"
		fi
	fi
	PY_SECS=30 py head -- head "$H" "$PORT" /

	if any_wanted curl.404 metrics.moved; then
		curl_get missing /no-such-page.html
		if [ "$CODE" = 404 ]; then
			pass curl.404 "$(status_line missing), $(body_size missing) bytes"
		else
			fail curl.404 "GET /no-such-page.html: status $CODE${CURL_ERR:+ ($CURL_ERR)}"
		fi
	fi

	if any_wanted curl.etag-304 metrics.moved; then
		local etag
		curl_get etag1 /style.css
		etag=$(hdr etag1 ETag)
		PROBLEMS=()
		if [ -z "$etag" ]; then
			PROBLEMS+=("the first GET /style.css ($CODE) has no ETag")
		else
			curl_get etag2 /style.css -H "If-None-Match: $etag"
			[ "$CODE" = 304 ] || PROBLEMS+=("with If-None-Match: $etag the status is $CODE${CURL_ERR:+ ($CURL_ERR)}")
			[ "$(body_size etag2)" = 0 ] || PROBLEMS+=("the 304 has a $(body_size etag2)-byte body")
			[ "$(hdr etag2 ETag)" = "$etag" ] || PROBLEMS+=("the 304's ETag is \"$(hdr etag2 ETag)\"")
			curl_get etag3 /style.css -H 'If-None-Match: "not-the-etag"'
			[ "$CODE" = 200 ] || PROBLEMS+=("with a different ETag the status is $CODE, not 200")
		fi
		if [ ${#PROBLEMS[@]} -eq 0 ]; then
			pass curl.etag-304 "ETag $etag; If-None-Match with it: 304, no body; with another: 200"
		else
			fail curl.etag-304 "$(join "${PROBLEMS[@]}")"
		fi
	fi

	if any_wanted curl.healthz metrics.moved; then
		curl_get healthz /healthz
		if [ "$CODE" = 200 ] && [ "$(cat "$E2E_TMP/healthz.body")" = ok ]; then
			pass curl.healthz "200 \"ok\""
		else
			fail curl.healthz "status $CODE, body \"$(head -c 100 "$E2E_TMP/healthz.body" | e2e_oneline)\"${CURL_ERR:+ ($CURL_ERR)}"
		fi
	fi

	if any_wanted curl.status metrics.moved; then
		curl_get status /status
		PROBLEMS=()
		[ "$CODE" = 200 ] || PROBLEMS+=("status $CODE${CURL_ERR:+ ($CURL_ERR)}")
		[[ $(hdr status Content-Type) == text/html* ]] || PROBLEMS+=("Content-Type \"$(hdr status Content-Type)\"")
		local outside
		outside=$(grep -oiE "(src|href|url)[=(][\"']?(https?:)?//[^\"' )]*" "$E2E_TMP/status.body" | head -n 3 | e2e_oneline)
		[ -z "$outside" ] || PROBLEMS+=("outside assets: $outside")
		if [ ${#PROBLEMS[@]} -eq 0 ]; then
			pass curl.status "200 $(hdr status Content-Type), $(body_size status) bytes, no outside assets"
		else
			fail curl.status "$(join "${PROBLEMS[@]}")"
		fi
	fi

	if any_wanted curl.metrics metrics.moved; then
		curl_get metrics /metrics
		if [ "$CODE" = 200 ] && [[ $(hdr metrics Content-Type) == "text/plain; version=0.0.4"* ]]; then
			pass curl.metrics "200, $(hdr metrics Content-Type), $(body_size metrics) bytes"
		else
			fail curl.metrics "status $CODE, Content-Type \"$(hdr metrics Content-Type)\"${CURL_ERR:+ ($CURL_ERR)}"
		fi
	fi

	if any_wanted metrics.parse metrics.families metrics.moved; then
		if fetch_metrics "$m1"; then
			cp "$m1" "$E2E_LOGS/$P.metrics.txt"
			PY_SECS=30 py metrics.parse metrics.families metrics.moved -- prom "$m1" --before "$m0"
		else
			local n
			for n in metrics.parse metrics.families metrics.moved; do
				guest_fate
				fail "$n" "GET /metrics failed$FATE"
			done
		fi
	fi

	PY_SECS=60 py pipeline -- pipeline "$H" "$PORT" --count 20
	PY_SECS=60 py http10 -- http10 "$H" "$PORT"
	PY_SECS=120 py "${HOSTILE_NAMES[@]}" -- hostile "$H" "$PORT" \
		--header-timeout "$(awk "BEGIN{print $HEADER_TIMEOUT_MS/1000}")"
	PY_SECS=120 py allocs -- allocs "$H" "$PORT" --requests 10000
	PY_SECS=60 py max-conns-503 -- maxconns "$H" "$PORT" --max "$MAX_CONNS"

	if e2e_wanted "$P.guest-alive"; then
		guest_fate
		if [ -z "$FATE" ] && curl -sS --max-time 10 "http://$H:$PORT/healthz" >/dev/null 2>&1; then
			pass guest-alive "still running and answering after boot A's checks, no panic"
		else
			fail guest-alive "${FATE:- /healthz does not answer}"
			e2e_show_tail "$P.a" "$GUEST_LOG"
		fi
	fi
	e2e_stop "$GUEST_PID"
	GUEST_PID=""
}

# ---- boot B: defaults, slowloris, wrk, ab ---------------------------------------

run_b() {
	any_wanted "${B_NAMES[@]}" || return 0
	if ! boot b ""; then
		fail load.boot "$BOOT_WHY"
		e2e_show_tail "$P.b" "$GUEST_LOG"
		local n
		for n in "${B_NAMES[@]:1}"; do fail "$n" "no guest (see $P.load.boot)"; done
		e2e_stop "$GUEST_PID"
		return 0
	fi
	local line want
	line=$(e2e_log_line "$GUEST_LOG" '^httpd: port 80 ')
	want='^httpd: port 80 max_conns 1024 header_timeout_ms 10000 idle_timeout_ms 60000 write_timeout_ms 10000 max_requests 1000 max_body 1048576 date [0-9]+ \(CMOS RTC\)$'
	if ! grep -q '^weft: starting app httpd' <(tr -d '\r' <"$GUEST_LOG"); then
		fail load.boot "no \"weft: starting app httpd\" line: without app= the default app is not httpd"
	elif grep -qE -- "$want" <<<"$line"; then
		pass load.boot "no app=: $line; ready after $BOOT_READY s; slirp listen backlog $(listen_backlog)"
	else
		fail load.boot "the defaults line is \"$line\"; expected /$want/"
	fi

	local base=$E2E_TMP/base tasks0 open0
	fetch_metrics "$base" || : >"$base"
	tasks0=$(metric "$base" weft_tasks_alive)
	open0=$(metric "$base" weft_http_connections_open)

	# All at once; 5 ms apart when slirp keeps its listen queue of 1.
	local stagger=0
	[ -n "$SHIM" ] || stagger=5
	PY_SECS=90 py slowloris -- slowloris "$H" "$PORT" --conns 200 --stagger-ms "$stagger" \
		--deadline 2 --header-timeout 10

	local pre=$E2E_TMP/pre post=$E2E_TMP/post acc0 acc1 ok0 ok1
	if e2e_wanted "$P.wrk"; then
		if ! command -v wrk >/dev/null 2>&1; then
			fail wrk "wrk is not installed (tools/setup.sh installs it)"
		else
			local out=$E2E_LOGS/$P.wrk.out rc t0=$SECONDS
			local watch=$E2E_LOGS/$P.wrk.watch.out watch_pid peak
			fetch_metrics "$pre" || : >"$pre"
			# The guest's open connections, once a second during the run:
			# all 256 of wrk's must get there (wrk does not count a
			# connection that never gets an answer as an error).
			e2e_spawn watch_pid "$watch" timeout 30 "${CLIENT[@]}" watch "$H" "$PORT" \
				weft_http_connections_open --every 1 --count 8
			e2e_run 60 "$out" "$out" wrk -t2 -c256 -d10s "http://$H:$PORT/"
			rc=$?
			local i
			for ((i = 0; i < 100; i++)); do e2e_alive "$watch_pid" || break; sleep 0.2; done
			e2e_stop "$watch_pid"
			peak=$(sed -nE 's/^max ([0-9]+):.*/\1/p' "$watch")
			fetch_metrics "$post" || : >"$post"
			PROBLEMS=()
			local reqs errs non2xx rps lat
			reqs=$(sed -nE 's/^ *([0-9]+) requests in .*/\1/p' "$out")
			errs=$(sed -nE 's/^ *Socket errors: (.*)$/\1/p' "$out")
			non2xx=$(sed -nE 's/^ *Non-2xx or 3xx responses: ([0-9]+).*/\1/p' "$out")
			rps=$(sed -nE 's/^Requests\/sec: *([0-9.]+).*/\1/p' "$out")
			lat=$(sed -nE 's/^ *Latency +([^ ]+) +([^ ]+) +([^ ]+).*/avg \1 max \3/p' "$out")
			[ "$rc" -eq 0 ] || PROBLEMS+=("wrk exited with status $rc: $(tail -n 2 "$out" | e2e_oneline)")
			[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || PROBLEMS+=("no requests completed")
			[ -z "$errs" ] || PROBLEMS+=("socket errors: $errs")
			[ -z "$non2xx" ] || PROBLEMS+=("$non2xx non-2xx/3xx responses")
			acc0=$(metric "$pre" weft_http_connections_accepted_total)
			acc1=$(metric "$post" weft_http_connections_accepted_total)
			ok0=$(metric "$pre" weft_http_requests_total 'code="200"')
			ok1=$(metric "$post" weft_http_requests_total 'code="200"')
			if [ -z "$acc0" ] || [ -z "$acc1" ]; then
				PROBLEMS+=("/metrics could not be read around the run")
			else
				# 256 connections plus the /metrics request after the run
				[ $((acc1 - acc0)) -ge 257 ] ||
					PROBLEMS+=("the guest accepted only $((acc1 - acc0 - 1)) connections, wrk opened 256")
				[ -z "$reqs" ] || [ -z "$ok0" ] || [ -z "$ok1" ] || [ $((ok1 - ok0)) -ge "$reqs" ] ||
					PROBLEMS+=("the guest counted $((ok1 - ok0)) 200s, wrk $reqs responses")
			fi
			# 256 and the request asking
			[ -n "$peak" ] && [ "$peak" -ge 257 ] ||
				PROBLEMS+=("the guest never had all 256 connections open at once (open, each second: $(sed 's/^max [^:]*: //' "$watch" | e2e_oneline))")
			local detail
			detail="${reqs:-no} requests in 10 s (${rps:-?}/s), latency ${lat:-?}; guest: $(delta "$acc0" "$acc1" 1) connections accepted, at most ${peak:-?} open (with the one asking); $((SECONDS - t0)) s"
			if [ ${#PROBLEMS[@]} -eq 0 ]; then
				pass wrk "$detail"
			else
				guest_fate
				fail wrk "$(join "${PROBLEMS[@]}") ($detail)$FATE"
				sed 's/^/    /' "$out" >&2
			fi
		fi
	fi

	if e2e_wanted "$P.ab"; then
		if ! command -v ab >/dev/null 2>&1; then
			fail ab "ab is not installed (apache2-utils; tools/setup.sh installs it)"
		else
			local out=$E2E_LOGS/$P.ab.out rc t0=$SECONDS
			fetch_metrics "$pre" || : >"$pre"
			e2e_run 150 "$out" "$out" ab -n 20000 -c 50 "http://$H:$PORT/"
			rc=$?
			fetch_metrics "$post" || : >"$post"
			PROBLEMS=()
			local complete failed non2xx rps taken
			complete=$(sed -nE 's/^Complete requests: *([0-9]+).*/\1/p' "$out")
			failed=$(sed -nE 's/^Failed requests: *([0-9]+).*/\1/p' "$out")
			non2xx=$(sed -nE 's/^Non-2xx responses: *([0-9]+).*/\1/p' "$out")
			rps=$(sed -nE 's/^Requests per second: *([0-9.]+).*/\1/p' "$out")
			taken=$(sed -nE 's/^Time taken for tests: *([0-9.]+).*/\1/p' "$out")
			[ "$rc" -eq 0 ] || PROBLEMS+=("ab exited with status $rc: $(grep -vE '^(Completed|Finished) ' "$out" | tail -n 2 | e2e_oneline)")
			[ "$complete" = 20000 ] || PROBLEMS+=("${complete:-no} complete requests")
			[ "$failed" = 0 ] || PROBLEMS+=("Failed requests: ${failed:-?} $(grep -A1 '^Failed requests' "$out" | tail -n 1 | e2e_oneline)")
			[ -z "$non2xx" ] || PROBLEMS+=("$non2xx non-2xx responses")
			acc0=$(metric "$pre" weft_http_connections_accepted_total)
			acc1=$(metric "$post" weft_http_connections_accepted_total)
			ok0=$(metric "$pre" weft_http_requests_total 'code="200"')
			ok1=$(metric "$post" weft_http_requests_total 'code="200"')
			local detail
			detail="20000 requests, 50 at a time, a connection each, in ${taken:-?} s (${rps:-?}/s); guest: $(delta "$acc0" "$acc1" 1) connections, $(delta "$ok0" "$ok1") 200s"
			if [ ${#PROBLEMS[@]} -eq 0 ]; then
				pass ab "$detail"
			else
				guest_fate
				fail ab "$(join "${PROBLEMS[@]}") ($detail)$FATE"
				grep -vE '^(Completed|Finished) ' "$out" | sed 's/^/    /' | tail -n 40 >&2
			fi
		fi
	fi

	if e2e_wanted "$P.load.alive"; then
		PROBLEMS=()
		local i open tasks t0=$SECONDS
		guest_fate
		if [ -n "$FATE" ]; then
			PROBLEMS+=("${FATE# }")
		elif [ "$(curl -sS --max-time 10 "http://$H:$PORT/healthz" 2>&1)" != ok ]; then
			PROBLEMS+=("/healthz does not answer \"ok\"")
		else
			# connections and tasks back to the pre-load baseline
			for ((i = 0; i < 40; i++)); do
				fetch_metrics "$post" || : >"$post"
				open=$(metric "$post" weft_http_connections_open)
				tasks=$(metric "$post" weft_tasks_alive)
				[ "$open" != "$open0" ] || [ "$tasks" != "$tasks0" ] || break
				sleep 0.5
			done
			[ "$open" = "$open0" ] || PROBLEMS+=("$open connections open 20 s after the load, $open0 before")
			[ "$tasks" = "$tasks0" ] || PROBLEMS+=("$tasks tasks alive 20 s after the load, $tasks0 before")
		fi
		if [ ${#PROBLEMS[@]} -eq 0 ]; then
			pass load.alive "/healthz ok, no panic; back to $open open connections and $tasks tasks after $((SECONDS - t0)) s"
		else
			fail load.alive "$(join "${PROBLEMS[@]}")"
			e2e_show_tail "$P.b" "$GUEST_LOG"
		fi
	fi
	e2e_stop "$GUEST_PID"
	GUEST_PID=""
}

t0=$SECONDS
build_shim
[ -z "$SHIM" ] || SHIM_NOTE="raised to $SLIRP_BACKLOG by an LD_PRELOAD shim on QEMU's listen()"
t1=$SECONDS
run_a
e2e_note "httpd.sh: boot A took $((SECONDS - t1)) s"
t1=$SECONDS
run_b
e2e_note "httpd.sh: boot B took $((SECONDS - t1)) s"
e2e_note "httpd.sh took $((SECONDS - t0)) s"
exit 0
