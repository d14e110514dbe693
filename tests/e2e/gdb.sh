#!/usr/bin/env bash
# tests/e2e/gdb.sh — make debug's pieces: the shipped kernel booted under
# QEMU's gdb stub (tools/qemu.sh --gdb, CPUs held at the start), gdb in
# batch mode with the kernel's symbols and tools/gdb/weft.py, as
# tools/debug.sh starts it.
#
#   e2e.gdb.tasks   app=echo: gdb continues the guest; once the console says
#                   "echo: listening", gdb is interrupted (SIGINT, as Ctrl-C
#                   does) and runs weft-tasks, which lists "weft-tasks: N
#                   tasks" with the app's main task waiting in accept, its
#                   stack down to echo_main, and the net-timers task
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
P=e2e.gdb

e2e_wanted "$P.tasks" || exit 0
if ! command -v gdb >/dev/null; then
	e2e_fail "$P.tasks" "no gdb (tools/setup.sh installs it)"
	exit 0
fi
LOG=$E2E_LOGS/$P.guest.log OUT=$E2E_LOGS/$P.gdb.log
port=$(e2e_free_ports 1)
e2e_spawn GPID "$LOG" env WEFT_GDB_PORT="$port" "$E2E_QEMU" --gdb --timeout 180 \
	--machine q35 --smp 2 --net user --kernel "$E2E_KERNEL" --append "app=echo"
e2e_spawn DPID "$OUT" timeout -k 5 170 gdb -q -batch -nx -ex "set pagination off" \
	-ex "set tcp connect-timeout 60" -ex "source $E2E_REPO/tools/gdb/weft.py" \
	-ex "target remote 127.0.0.1:$port" -ex continue -ex weft-tasks -ex kill "$E2E_KERNEL"
if ! e2e_wait_log "$LOG" "$GPID" 120 'echo: listening on port 7'; then
	e2e_fail "$P.tasks" "the guest did not reach \"echo: listening\" under gdb; log ends: $(e2e_log_tail "$LOG" 3 | e2e_oneline)"
	e2e_stop "$DPID"
	e2e_stop "$GPID"
	exit 0
fi
sleep 1
kill -INT "$DPID" 2>/dev/null
for ((i = 0; i < 300; i++)); do
	e2e_alive "$DPID" || break
	sleep 0.2
done
e2e_stop "$DPID"
e2e_stop "$GPID"
head=$(e2e_log_line "$OUT" '^weft-tasks: [0-9]+ tasks')
problems=()
[ -n "$head" ] || problems+=("no \"weft-tasks: N tasks\" line")
grep -qE '^task [0-9]+ "main" waiting \(accept\)' "$OUT" || problems+=("no main task waiting in accept")
grep -qE '^    #[0-9]+ 0x[0-9a-f]+ in echo_main at apps/echo/echo\.c:[0-9]+' "$OUT" ||
	problems+=("no echo_main frame in a stack")
grep -qE '^task [0-9]+ "net-timers" ' "$OUT" || problems+=("no net-timers task")
if [ ${#problems[@]} -gt 0 ]; then
	e2e_fail "$P.tasks" "$(printf '%s; ' "${problems[@]}")gdb said: $(tail -n 5 "$OUT" | e2e_oneline)"
else
	e2e_pass "$P.tasks" "$head, $(grep -c '^task ' "$OUT") listed with $(grep -c '^    #' "$OUT") frames"
fi
exit 0
