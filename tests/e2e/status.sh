#!/usr/bin/env bash
# tests/e2e/status.sh — the /status page in headless Chromium, driven over
# the DevTools protocol by status_page.py, against one guest (2 CPUs, a
# malformed command-line word so the page has an error to show):
#
#   e2e.status.render    every chart drawn with its legend and value, the
#                        version, uptime and command-line errors (1) in the
#                        header, the totals and pools tables, history points
#   e2e.status.updates   after 200s and 404s the totals and the 4xx rate
#                        move and new points arrive; the screenshot
#                        $WEFT_TEST_LOGS/e2e.status/status.png is taken then
#   e2e.status.reload    a reload keeps the points (the appliance's ring)
#   e2e.status.console   no exception or console error throughout
#
# Needs chromium and Debian's python3 with python3-websocket (tools/setup.sh
# installs both). Logs: $WEFT_TEST_LOGS/e2e.status.log, e2e.status/.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.status
ALL=("$P.render" "$P.updates" "$P.reload" "$P.console")
e2e_any_wanted "${ALL[@]}" || exit 0
PY=/usr/bin/python3	# Debian's, where python3-websocket is
command -v chromium >/dev/null || { e2e_fail_all "no chromium (tools/setup.sh installs it)" "${ALL[@]}"; exit 0; }
"$PY" -c 'import websocket' 2>/dev/null || { e2e_fail_all "no python3-websocket for $PY" "${ALL[@]}"; exit 0; }

GLOG=$E2E_LOGS/$P.log
OUT=$E2E_LOGS/$P
for _ in 1 2 3; do
	read -r HP <<<"$(e2e_free_ports 1)"
	e2e_guest_start GPID "$GLOG" --machine q35 --smp 2 --timeout 180 \
		--append "app=httpd https_port=0 httpd_max_conns=abc" --hostfwd "tcp:127.0.0.1:$HP-:80"
	[ $? -eq 3 ] || break
done
if ! e2e_wait_log "$GLOG" "$GPID" 60 '^httpd: listening'; then
	e2e_guest_gone "$GPID" "$GLOG"
	e2e_fail_all "the guest did not start serving${E2E_GONE:+ ($E2E_GONE)}" "${ALL[@]}"
	exit 0
fi
# a few seconds of history before the page opens
for ((i = 0; i < 25; i++)); do
	curl -s -m 5 -o /dev/null "http://127.0.0.1:$HP/healthz"
	sleep 0.1
done
e2e_run 60 "$E2E_TMP/page.out" "$E2E_TMP/page.err" "$PY" "$E2E_DIR/status_page.py" \
	--url "http://127.0.0.1:$HP" --out "$OUT" --cmdline-errors 1
for n in "${ALL[@]}"; do
	line=$(grep -m1 -E "^(PASS|FAIL) ${n}[ :]" "$E2E_TMP/page.out")
	case $line in
	"PASS $n ("*) e2e_pass "$n" "$(sed -E "s/^PASS $n \((.*)\)$/\1/" <<<"$line")" ;;
	"FAIL $n: "*) e2e_fail "$n" "${line#"FAIL $n: "}" ;;
	*) e2e_fail "$n" "no result from status_page.py: $(grep -m1 'FAIL e2e.status.driver' "$E2E_TMP/page.out" || tail -n 2 "$E2E_TMP/page.err" | e2e_oneline)" ;;
	esac
done
e2e_stop "$GPID"
