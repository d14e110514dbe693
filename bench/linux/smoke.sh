#!/usr/bin/env bash
# bench/linux/smoke.sh — check the Linux peer and time its boot: for each
# role, boot it over user networking with a 127.0.0.1 forward, time QEMU's
# start to the "linux-peer: ready" line and to the first right answer over
# TCP, then check it (echo: 1 MiB comes back the same; nginx, gohttp: the
# page comes back the same), and stop it by its process group. Also the
# example of how a benchmark drives bench/linux/run.sh.
#
# usage: bench/linux/smoke.sh [--accel tcg|kvm] [--smp N] [--boot pvh|bzimage] [ROLE...]
#   default: --accel tcg (or $WEFT_ACCEL when kvm|tcg), --smp 1, --boot pvh
#   (see run.sh), all roles
# Builds first (bench/linux/build.sh). Prints one line per role; exits 1
# when a role failed.
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$repo/build/bench/linux
case ${WEFT_ACCEL:-} in kvm | tcg) accel=$WEFT_ACCEL ;; *) accel=tcg ;; esac
smp=1 boot=${LINUX_PEER_BOOT:-pvh} roles=()
while [ $# -gt 0 ]; do
	case $1 in
	--accel) accel=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--boot) boot=$2; shift 2 ;;
	echo | nginx | gohttp) roles+=("$1"); shift ;;
	*) echo "smoke.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ ${#roles[@]} -gt 0 ] || roles=(echo nginx gohttp)

"$repo/bench/linux/build.sh" >&2 || exit 1
mkdir -p "$out/smoke"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/linux-peer-smoke.XXXXXX")
pids=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]+"${pids[@]}"}"; do kill -TERM -- -"$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now() { date +%s%N; }

# echo_check PORT BYTES: send BYTES random bytes, expect them back (10 s).
echo_check() {
	python3 - "$1" "$2" <<'EOF'
import os, socket, sys, threading
port, n = int(sys.argv[1]), int(sys.argv[2])
data = os.urandom(n)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
got = bytearray()
def reader():
    try:
        while len(got) < n:
            b = s.recv(65536)
            if not b:
                break
            got.extend(b)
    except OSError:
        pass
t = threading.Thread(target=reader)
t.start()
s.sendall(data)
t.join(10)
s.close()
sys.exit(0 if bytes(got) == data else 1)
EOF
}
http_check() { # http_check PORT: the page, byte for byte
	curl -s -m 5 -o "$tmp/page" "http://127.0.0.1:$1/" && cmp -s "$tmp/page" "$out/root/www/index.html"
}

# first_answer T0_NS LOG PORT ROLE PID: prints "READY_MS FIRST_MS WHY": the
# time from T0 to the ready line in LOG, and to the first right answer on
# 127.0.0.1:PORT ("-" for never), and why not. Slirp accepts on the host
# side before the guest listens, so only an answer counts: an attempt
# starts every 20 ms, each in its own thread (a refused or hung one does
# not hold up the next), all from one cheap process so that polling takes
# little CPU from the guest. Bounded: 120 s.
first_answer() {
	python3 - "$@" <<'EOF2'
import os, socket, sys, threading, time
t0, log, port, role, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
ms = lambda: (time.time_ns() - t0) // 1000000
first = []
lock = threading.Lock()
def attempt():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            if role == "echo":
                s.sendall(b"x")
                ok = s.recv(1) == b"x"
            else:
                s.sendall(b"GET / HTTP/1.1\r\nHost: peer\r\nConnection: close\r\n\r\n")
                ok = s.recv(12) == b"HTTP/1.1 200"
    except OSError:
        ok = False
    if ok:
        with lock:
            if not first:
                first.append(ms())
def logline():
    try:
        with open(log, errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    # Whole lines only: the console may have written half of one.
    for l in text.split("\n")[:-1]:
        if "linux-peer: " in l:
            return l.strip()
    return None
ready, why, done_at = None, "", None
while ms() < 120000:
    l = logline()
    if l and ready is None:
        if "linux-peer: ready" in l:
            ready = ms()
        else:
            why = l.split("linux-peer: ", 1)[1]
            break
    try:
        os.kill(pid, 0)
    except OSError:
        why = why or "QEMU exited"
        break
    if first and done_at is None:
        done_at = ms()
    if done_at is not None and (ready is not None or ms() - done_at > 5000):
        break
    if not first:
        threading.Thread(target=attempt, daemon=True).start()
    time.sleep(0.02)
if not first and not why:
    why = "no answer in 120 s"
print(ready if ready is not None else "-", first[0] if first else "-", why.replace(" ", "_") or "-")
EOF2
}

status=0
printf '%-7s %-5s %-4s %-8s %10s %16s  %s\n' role accel smp boot ready_ms first_answer_ms check
for role in "${roles[@]}"; do
	case $role in echo) gport=7 ;; *) gport=80 ;; esac
	port=$(free_port)
	log=$out/smoke/$role.log
	rm -f "$log" # no old ready line
	t0=$(now)
	setsid "$repo/bench/linux/run.sh" "$role" --accel "$accel" --smp "$smp" --boot "$boot" --timeout 120 \
		--hostfwd "tcp:127.0.0.1:$port-:$gport" --log "$log" >/dev/null 2>&1 </dev/null &
	pid=$!
	pids+=("$pid")
	read -r ready first why < <(first_answer "$t0" "$log" "$port" "$role" "$pid")
	[ "$ready" != - ] || ready=""
	[ "$first" != - ] || first=""
	check=FAIL
	if [ -n "$first" ]; then
		if [ "$role" = echo ]; then
			echo_check "$port" $((1 << 20)) && check="ok (1 MiB echoed)"
		else
			http_check "$port" && check="ok (page, $(stat -c %s "$tmp/page") bytes)"
		fi
	else
		check="FAIL: ${why//_/ }"
	fi
	case $check in ok*) ;; *) status=1 ;; esac
	printf '%-7s %-5s %-4s %-8s %10s %16s  %s\n' "$role" "$accel" "$smp" "$boot" "${ready:--}" "${first:--}" "$check"
	kill -TERM -- -"$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pids=()
done
sed -n 's/^\(vmlinuz\|initramfs\|image\) */\1: /p' "$out/manifest.txt"
exit $status
