#!/usr/bin/env bash
# tests/e2e/mempressure.sh — memory pressure: many connections sending large
# bodies at once to a guest whose heap cannot hold them (Weft issue 14).
#
#   e2e.mempressure.kv-flood   app=kv in a small guest (MEM, CONNS, SIZE
#                              below) over user networking: CONNS
#                              connections at once, each a PUT of a
#                              SIZE-byte body (tests/e2e/mempressure.py).
#                              Every connection ends in a complete 2xx, a
#                              503/507/413 with a body, or a reset, within
#                              20 s; the guest does not panic; /stats shows
#                              the heap ran out (heap_floor_hits and
#                              kv_nomem grew: the test fails if the
#                              pressure never happened); every 2xx value
#                              reads back byte for byte; after the load a
#                              PUT and GET are served and the gauges
#                              (tasks, connections, receive buffers,
#                              segments, keys, heap in use) are back to
#                              their values before it.
#
# Before the heap's floor (runtime/stack.c) this guest panicked at once:
# "stack: no memory to grow task N "http"'s stack" (the heap had taken the
# pages the connection tasks' stacks grow into).
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
P=e2e.mempressure
H=127.0.0.1
N=$P.kv-flood
MEM=${WEFT_E2E_MEMPRESSURE_MEM:-16M}
CONNS=${WEFT_E2E_MEMPRESSURE_CONNS:-200}
SIZE=${WEFT_E2E_MEMPRESSURE_SIZE:-1048576}
APPEND="app=kv kv_max_conns=64"

e2e_wanted "$N" || exit 0
command -v curl >/dev/null || { e2e_fail "$N" "no curl"; exit 0; }
e2e_backlog_shim
[ -z "$E2E_SHIM" ] || E2E_WRAP=(env "LD_PRELOAD=$E2E_SHIM${LD_PRELOAD:+ $LD_PRELOAD}")
LOG=$E2E_LOGS/$N.log
t0=$SECONDS
for ((try = 0; try < 3; try++)); do
	PORT=$(e2e_free_ports 1)
	e2e_guest_start GPID "$LOG" --machine q35 --mem "$MEM" --timeout 120 \
		--hostfwd "tcp:$H:$PORT-:80" --append "$APPEND"
	rc=$?
	[ "$rc" -eq 3 ] || break
done
if [ "$rc" -ne 0 ]; then
	e2e_fail "$N" "could not start the guest: $(e2e_log_tail "$LOG" 3 | e2e_oneline)"
	exit 0
fi
if ! e2e_wait_log "$LOG" "$GPID" 60 '^kv: port=80' '^net: listening on TCP port 80'; then
	e2e_guest_gone "$GPID" "$LOG"
	e2e_fail "$N" "app=kv did not start${E2E_GONE:+ ($E2E_GONE)}; log ends: $(e2e_log_tail "$LOG" 3 | e2e_oneline)"
	e2e_stop "$GPID"
	exit 0
fi
for ((i = 0; i < 50; i++)); do
	[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$H:$PORT/stats")" = 200 ] && break
	sleep 0.2
done
out=$E2E_TMP/mempressure.out
e2e_run 60 "$out" "$out" python3 "$E2E_DIR/mempressure.py" "$H" "$PORT" \
	--conns "$CONNS" --size "$SIZE" --within 20 --back-within 10 --json "$LOG.json"
crc=$?
cp "$out" "$LOG.client"
e2e_guest_gone "$GPID" "$LOG"
gone=$E2E_GONE
e2e_stop "$GPID"
panic=$(e2e_log_line "$LOG" 'PANIC on cpu' || true)
last=$(grep '^mempressure: conns ' "$out" | tail -n 1 | sed 's/^mempressure: //')
num() { sed -nE "s/.* $1 ([0-9]+).*/\1/p" <<<" $last"; }
if [ -n "$panic" ]; then
	e2e_fail "$N" "$panic"
elif [ -n "$gone" ]; then
	e2e_fail "$N" "$gone; client: $(tail -n 2 "$out" | e2e_oneline)"
elif [ "$crc" -ne 0 ]; then
	e2e_fail "$N" "$(tail -n 3 "$out" | e2e_oneline)"
elif [ -z "$last" ]; then
	e2e_fail "$N" "no summary from the client: $(tail -n 2 "$out" | e2e_oneline)"
elif [ "$(num heap_floor_hits)" -eq 0 ] || [ "$(num kv_nomem)" -eq 0 ]; then
	e2e_fail "$N" "the heap never ran out (no pressure, so nothing was tested): $last"
elif [ "$(num refused)" -eq 0 ]; then
	e2e_fail "$N" "no connection was refused with a reason: $last"
else
	e2e_pass "$N" "$MEM, $APPEND: $last; $((SECONDS - t0)) s"
fi
