#!/usr/bin/env bash
# tools/debug.sh KERNEL CMDLINE — what `make debug` runs.
#
# Boots KERNEL like make run (q35, WEFT_SMP CPUs, WEFT_MEM of RAM, user
# networking with tools/forward.py's forwards) but under QEMU's gdb stub
# with the CPUs held at the start (tools/qemu.sh --gdb, on 127.0.0.1 at the
# first free port from WEFT_GDB_PORT, default 1234), and starts gdb in the
# foreground with KERNEL's symbols, connected, and tools/gdb/weft.py loaded:
# `continue` starts the guest, Ctrl-C stops it, `weft-tasks` lists every
# task with its stack. The guest's console goes to the terminal too, and
# to a log whose path is printed. Quitting gdb stops QEMU.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 KERNEL CMDLINE" >&2; exit 2; }
kernel=$1 cmdline=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
command -v gdb >/dev/null || { echo "debug.sh: missing gdb (apt-get install gdb)" >&2; exit 2; }

port=$(python3 - "${WEFT_GDB_PORT:-1234}" <<'PY'
import socket, sys
start = int(sys.argv[1])
for port in range(start, min(start + 200, 65536)):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit("debug.sh: no free port in %d..%d" % (start, start + 199))
PY
)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-debug.XXXXXX")
log=$repo/build/debug-console.log
qemu_pid="" fwd_pid=""
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap
cleanup() {
	for p in $fwd_pid $qemu_pid; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# QEMU in a session of its own: gdb's Ctrl-C must interrupt the guest
# through the stub, not end QEMU.
WEFT_GDB_PORT=$port setsid "$repo/tools/qemu.sh" --gdb --machine q35 --smp "${WEFT_SMP:-2}" \
	--mem "${WEFT_MEM:-512M}" --net user --qmp "$tmp/qmp.sock" --log "$log" \
	--kernel "$kernel" --append "$cmdline" </dev/null &
qemu_pid=$!
python3 "$repo/tools/forward.py" --qmp "$tmp/qmp.sock" --log "$log" \
	--start "${WEFT_PORT:-8080}" </dev/null &
fwd_pid=$!

echo "debug.sh: console in $log; gdb: continue starts the guest, weft-tasks lists the tasks"
gdb -q -ex "set pagination off" -ex "set tcp connect-timeout 60" -ex "source $repo/tools/gdb/weft.py" \
	-ex "target remote 127.0.0.1:$port" "$kernel"
