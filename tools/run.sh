#!/usr/bin/env bash
# tools/run.sh KERNEL CMDLINE — what `make run` runs.
#
# Boots the appliance on q35 (WEFT_SMP CPUs, default 2; WEFT_MEM of RAM,
# default 512M) with user networking. The terminal is the serial console;
# Ctrl-C stops QEMU. QEMU's flags live in tools/qemu.sh.
#
# Forwarding follows the guest: its net layer says "net: listening on TCP
# port N" for each listener, and tools/forward.py (reading the console's
# copy in a scratch directory) adds a forward from 127.0.0.1 to N through
# QEMU's QMP monitor: from the same port when N >= 1024 and it is free,
# else from the first free port at or above WEFT_PORT (default 8080). It
# prints "serving on http://127.0.0.1:PORT/" once the guest answers there
# (https://localhost:PORT/ for a TLS port, with the curl --cacert line for
# WEFT_TLS_CERT, the certificate baked in: make run passes it).
#
# QEMU's user networking listens for a forward with a backlog of 1, so a
# burst of connections (ab -c 50) stalls in the host's kernel; QEMU runs
# with tools/listen_backlog.c preloaded (built into build/), as the e2e
# tests do, which raises it to 1024.
#
# Exit status: 0 when QEMU was stopped (Ctrl-C) or the guest powered off
# cleanly; 1 when the guest stopped with an error (app=nosuch, a failed
# test=), after printing its last console line; 2 on a panic; else QEMU's
# own status.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 KERNEL CMDLINE" >&2; exit 2; }
kernel=$1 cmdline=$2
repo=$(cd "$(dirname "$0")/.." && pwd)

shim=$repo/build/listen_backlog.so
if [ ! -f "$shim" ] || [ "$repo/tools/listen_backlog.c" -nt "$shim" ]; then
	mkdir -p "$(dirname "$shim")"
	gcc -shared -fPIC -O2 -DMIN_BACKLOG=1024 -o "$shim" "$repo/tools/listen_backlog.c" -ldl ||
		{ echo "run.sh: cannot build tools/listen_backlog.c" >&2; exit 2; }
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-run.XXXXXX")
fwd_pid=""
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap
cleanup() {
	if [ -n "$fwd_pid" ]; then
		kill "$fwd_pid" 2>/dev/null || true
		wait "$fwd_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# A background job of this (non-interactive) shell ignores SIGINT, so the
# user's Ctrl-C reaches QEMU and not the forwarder.
python3 "$repo/tools/forward.py" --qmp "$tmp/qmp.sock" --log "$tmp/console.log" \
	--start "${WEFT_PORT:-8080}" --cacert "${WEFT_TLS_CERT:-}" &
fwd_pid=$!

echo "run.sh: booting $kernel with \"$cmdline\"; a forward follows each port the guest listens on"
set +e
LD_PRELOAD=$shim "$repo/tools/qemu.sh" --interactive --machine q35 --smp "${WEFT_SMP:-2}" \
	--mem "${WEFT_MEM:-512M}" --net user --qmp "$tmp/qmp.sock" --log "$tmp/console.log" \
	--kernel "$kernel" --append "$cmdline"
rc=$?
set -e

# The guest's last whole line: a line the power-off cut short (another CPU
# had printed "n" of "net: ..." when the exit device stopped QEMU) ends
# the log without its newline, and is not the one to show.
cut='$!b'
[ "$(tail -c 1 "$tmp/console.log" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 0a ] || cut='$d'
last=$(tr -d '\r' <"$tmp/console.log" 2>/dev/null | sed "$cut" | grep -v '^[[:space:]]*$' | tail -n 1 || true)
# The guest's reason, when it gave one: another CPU may print a line (the
# address DHCP gave) after it and before the power-off.
why=$(tr -d '\r' <"$tmp/console.log" 2>/dev/null | sed "$cut" | grep -E 'powering off|^weft: needs [0-9]+ MiB|PANIC' | tail -n 1 || true)
[ -z "$why" ] || last=$why
# That cut line is also what the terminal shows last: end it, so that
# run.sh's own message starts a line of its own.
[ "$cut" != '$d' ] || echo
case $rc in
0 | 1) exit 0 ;; # stopped by Ctrl-C / Ctrl-A X, or the guest's "pass"
3)
	echo "run.sh: the appliance stopped with an error: $last" >&2
	exit 1
	;;
5)
	echo "run.sh: the appliance panicked (the report is above)" >&2
	exit 2
	;;
*)
	echo "run.sh: QEMU exited with status $rc" >&2
	exit "$rc"
	;;
esac
