# shellcheck shell=bash
# tools/kvm-lane/lib.sh — for jobs running inside the KVM lane's outer
# guest (source it from the job; tools/kvm-lane/run.sh puts it at
# /weft/tools/kvm-lane/lib.sh). The job runs in /weft with bash.
#
#   lane_run NAME ARGS...    tools/qemu.sh --accel kvm ARGS (give it a
#                            --timeout: every inner run has one), its console
#                            framed on the data port as NAME; sets $rc to
#                            tools/qemu.sh's status. A note on the console.
#   lane_start NAME CMD...   CMD in the background (a server: e.g.
#                            tools/qemu.sh --accel kvm ..., or the Linux peer's
#                            bench/linux/run.sh); sets LANE_PID; lane_stop
#                            ends it (its process group) and writes its
#                            console to the data port as NAME
#   lane_wait_line NAME REGEX SECS   wait until NAME's console has REGEX
#   lane_wait_host PORT SECS wait (at most SECS) until the host connects to
#                            PORT through the outer QEMU's forward and closes
#   lane_kvm_stats NAME [DIR]  KVM's counters (debugfs: DIR, default the
#                            one VM running now, /sys/kernel/debug/kvm/PID-FD;
#                            the top-level sums drop a VM when it ends) on the
#                            data port as "@@lane stat NAME COUNTER VALUE"
#   lane_say TEXT            a line on the console and the data port
#
# The data port is /dev/ttyS1 (the host keeps it in a file); an inner
# run's console is written there live, so a hung run still leaves its log.
# Runs are framed one at a time: lane_start's server writes into a file,
# copied to the data port by lane_stop.

exec 3>/dev/ttyS1
# shellcheck source=/dev/null
[ ! -f /weft/env ] || . /weft/env
LANE_TMP=/tmp/lane
mkdir -p "$LANE_TMP"

lane_say() { echo "kvm-lane: $*"; echo "@@lane note $*" >&3; }

lane_run() {
	local name=$1 t0=$SECONDS
	shift
	echo "@@lane begin $name" >&3
	/weft/tools/qemu.sh --accel kvm "$@" </dev/null >&3 2>&1
	rc=$?
	echo "@@lane end $name $rc $((SECONDS - t0))" >&3
	echo "kvm-lane: $name: status $rc, $((SECONDS - t0)) s"
}

LANE_PID="" LANE_NAME="" LANE_T0=0
lane_start() {
	LANE_NAME=$1 LANE_T0=$SECONDS
	shift
	setsid "$@" </dev/null >"$LANE_TMP/$LANE_NAME.log" 2>&1 &
	LANE_PID=$!
}
lane_stop() {
	local i
	[ -n "$LANE_PID" ] || return 0
	kill -TERM -- "-$LANE_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$LANE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$LANE_PID" 2>/dev/null
	wait "$LANE_PID" 2>/dev/null
	rc=$?
	{
		echo "@@lane begin $LANE_NAME"
		cat "$LANE_TMP/$LANE_NAME.log"
		echo "@@lane end $LANE_NAME $rc $((SECONDS - LANE_T0))"
	} >&3
	echo "kvm-lane: $LANE_NAME: stopped, status $rc, $((SECONDS - LANE_T0)) s"
	LANE_PID=""
}
lane_wait_line() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		grep -qE -- "$2" "$LANE_TMP/$1.log" 2>/dev/null && return 0
		kill -0 "$LANE_PID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
lane_wait_host() {
	timeout "$2" nc -l -p "$1" </dev/null >/dev/null 2>&1
}

lane_vm_dir() { # the debugfs directory of the (one) VM running now
	local d
	for d in /sys/kernel/debug/kvm/*-*; do [ -d "$d" ] && echo "$d" && return 0; done
	return 1
}
lane_kvm_stats() {
	local f dir=${2:-$(lane_vm_dir)}
	[ -n "$dir" ] || return 1
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		echo "@@lane stat $1 ${f##*/} $(cat "$f")"
	done >&3
}
