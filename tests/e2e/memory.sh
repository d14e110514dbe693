#!/usr/bin/env bash
# tests/e2e/memory.sh — the appliance in little memory (net/limits.c sizes
# the network's pools at boot from the memory there is).
#
#   e2e.memory.8m-100-keepalive   the shipped httpd in an 8 MiB guest (q35,
#                                 -kernel): its limits line says 8 MiB and
#                                 at least 100 TCP connections; 100
#                                 keep-alive connections held at once, 3
#                                 GETs on each (tests/e2e/keepalive_many.py),
#                                 all 300 answered 200, and the guest is
#                                 still up afterwards. 100 answers fill
#                                 the 256 KiB send heap: the detail
#                                 shows how many writes waited for
#                                 memory (weft_net_write_nomem_total) and
#                                 the small receive buffers' high water
#                                 (the requests held: net/rx_small.c)
# (Too little memory, and the limits line at the default 512 MiB, are
# boot-stage checks in tests/run.sh: boot.mem-*.)
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
P=e2e.memory
H=127.0.0.1
N=$P.8m-100-keepalive

e2e_wanted "$N" || exit 0
e2e_backlog_shim
[ -z "$E2E_SHIM" ] || E2E_WRAP=(env "LD_PRELOAD=$E2E_SHIM${LD_PRELOAD:+ $LD_PRELOAD}")
LOG=$E2E_LOGS/$N.log
for ((try = 0; try < 3; try++)); do
	PORT=$(e2e_free_ports 1)
	e2e_guest_start GPID "$LOG" --machine q35 --mem 8M --timeout 120 \
		--hostfwd "tcp:$H:$PORT-:80" --append "app=httpd"
	rc=$?
	[ "$rc" -eq 3 ] || break
done
if [ "$rc" -ne 0 ]; then
	e2e_fail "$N" "could not start the guest: $(e2e_log_tail "$LOG" 3 | e2e_oneline)"
	exit 0
fi
if ! e2e_wait_log "$LOG" "$GPID" 60 '^httpd: listening on port 80'; then
	e2e_guest_gone "$GPID" "$LOG"
	e2e_fail "$N" "no listening line${E2E_GONE:+ ($E2E_GONE)}; log ends: $(e2e_log_tail "$LOG" 3 | e2e_oneline)"
	e2e_stop "$GPID"
	exit 0
fi
limits=$(e2e_log_line "$LOG" '^net: [0-9]+ MiB: up to ')
conns=$(sed -nE 's/^net: 8 MiB: up to ([0-9]+) TCP connections.*/\1/p' <<<"$limits")
out=$E2E_TMP/keepalive.out
e2e_run 90 "$out" "$out" python3 "$E2E_DIR/keepalive_many.py" "$H" "$PORT" \
	--conns 100 --rounds 3 --timeout 60
crc=$?
metrics=$(curl -s -m 10 "http://$H:$PORT/metrics" 2>/dev/null |
	awk '$1 == "weft_net_write_nomem_total" { w = $2 } $1 == "weft_lwip_pool_max{pool=\"RX_SMALL\"}" { r = $2 }
		END { printf "%s writes waited for send memory, %s small receive buffers at most", w, r }')
e2e_guest_gone "$GPID" "$LOG"
gone=$E2E_GONE
e2e_stop "$GPID"
if [ -z "$conns" ]; then
	e2e_fail "$N" "no 'net: 8 MiB: up to N TCP connections' line (got \"$limits\")"
elif [ "$conns" -lt 100 ]; then
	e2e_fail "$N" "the limits line allows only $conns connections: \"$limits\""
elif [ "$crc" -ne 0 ]; then
	e2e_fail "$N" "$(tail -n 2 "$out" | e2e_oneline)${gone:+ ($gone)}"
elif [ -n "$gone" ]; then
	e2e_fail "$N" "$gone after the load"
else
	e2e_pass "$N" "$(tail -n 1 "$out"); $metrics; $limits"
fi
