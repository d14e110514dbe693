# bench/lib.sh — what bench/net.sh and bench/http.sh share (sourced, not
# run): the private network namespace and its tap device, guests booted
# on that tap (Weft through tools/qemu.sh, the Linux peer through
# bench/linux/run.sh, which calls tools/qemu.sh), waiting for a guest's
# first answer, and stopping guests.
#
# Network safety: the namespace is weft-bench-PID, made here and deleted
# on every exit path (with its tap device and everything running in it).
# Inside: tap0 = 10.79.0.1/24; the guest under test is always 10.79.0.2
# (one guest at a time, all on the same MAC: QEMU's default). Clients run
# in the namespace (bench_nsx); nothing is sent to any other address, and
# the host's own network is never touched.
#
# Namespace settings (they affect only the namespace):
#   net.ipv4.ip_local_port_range = 1024 65000: Linux's connect() slows
#     down sharply once half of the (default, 28k) ephemeral range is in
#     TIME_WAIT, which would distort numbers that open many connections.
#   net.ipv4.neigh.tap0.retrans_time_ms = 20: ARP probes 20 ms apart
#     instead of 1 s, so that a guest that has just come up is found within
#     20 ms; boot-to-first-response would otherwise be rounded up by up to
#     a second.
#   IPv6 off on tap0 (no router solicitations or DAD on the guest's link).

# shellcheck shell=bash disable=SC2034 # variables for the scripts that source this

BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_OUT=$BENCH_REPO/build/bench
BENCH_NS=weft-bench-$$
BENCH_TAP=tap0
BENCH_HOST_IP=10.79.0.1
BENCH_GUEST_IP=10.79.0.2
BENCH_PREFIX=24
BENCH_PIDS=()        # guest process groups still running
BENCH_NS_MADE=0
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench.XXXXXX")
BENCH_ME=${BENCH_ME:-bench}

bench_note() { echo "$BENCH_ME: $*" >&2; }
bench_die() { echo "$BENCH_ME: $*" >&2; exit 1; }
bench_now_ns() { date +%s%N; }
bench_nsx() { ip netns exec "$BENCH_NS" "$@"; }

# shellcheck disable=SC2317 # called by the EXIT trap
bench_cleanup() {
	set +e # every step runs, whatever the one before it did
	local p
	for p in "${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}"; do kill -TERM -- -"$p" 2>/dev/null; done
	for p in "${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}"; do wait "$p" 2>/dev/null; done
	if [ "$BENCH_NS_MADE" -eq 1 ]; then ip netns del "$BENCH_NS" 2>/dev/null; fi
	rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP

# bench_need_tools CMD:PACKAGE...: apt-get install the packages of missing
# commands (as root; else say what to install).
bench_need_tools() {
	local t missing=()
	for t in "$@"; do command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}"); done
	[ ${#missing[@]} -gt 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || bench_die "missing packages: ${missing[*]} (apt-get install them)"
	bench_note "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		bench_die "apt-get install ${missing[*]} failed"
}

# bench_ns_setup: the namespace, tap0 and the sysctls above.
bench_ns_setup() {
	[ "$(id -u)" -eq 0 ] || bench_die "needs root (network namespaces and tap devices)"
	[ -c /dev/net/tun ] || bench_die "no /dev/net/tun"
	ip netns add "$BENCH_NS" || bench_die "cannot create network namespace $BENCH_NS"
	BENCH_NS_MADE=1
	{
		bench_nsx ip link set lo up &&
			bench_nsx ip tuntap add dev "$BENCH_TAP" mode tap &&
			bench_nsx ip addr add "$BENCH_HOST_IP/$BENCH_PREFIX" dev "$BENCH_TAP" &&
			bench_nsx sysctl -qw "net.ipv6.conf.$BENCH_TAP.disable_ipv6=1" &&
			bench_nsx sysctl -qw net.ipv4.ip_local_port_range="1024 65000" &&
			bench_nsx sysctl -qw "net.ipv4.neigh.$BENCH_TAP.retrans_time_ms=20" &&
			bench_nsx ip link set "$BENCH_TAP" up
	} >&2 || bench_die "cannot set up $BENCH_TAP in namespace $BENCH_NS"
}

# bench_weft_image PAGE: build the bench image, the default apps with
# SITE= a directory holding only PAGE as index.html, into build/bench/weft/
# (the normal build/weft and its objects are left alone; newlib, BearSSL
# and lwIP's tree are shared); prints the kernel's path.
bench_weft_image() {
	local site=$BENCH_OUT/site
	mkdir -p "$site"
	find "$site" -mindepth 1 ! -name index.html -exec rm -rf {} + 2>/dev/null || true
	cmp -s "$1" "$site/index.html" || cp "$1" "$site/index.html"
	# Its own make (not the jobserver of a `make bench` above it, whose pipe
	# this script does not inherit).
	env -u MAKEFLAGS -u MFLAGS make -C "$BENCH_REPO" --no-print-directory -j"$(nproc)" \
		BUILD="$BENCH_OUT/weft" NEWLIB=build/newlib LWIP_DIR=build/deps/lwip BEARSSL=build/bearssl/kernel SITE="$site" all >&2 ||
		bench_die "building the bench image failed"
	[ -f "$BENCH_OUT/weft/weft" ] || bench_die "no $BENCH_OUT/weft/weft"
	echo "$BENCH_OUT/weft/weft"
}

# bench_accel KERNEL: the accelerator all guests of a run get.
# WEFT_ACCEL=kvm|tcg says; else the one tools/qemu.sh picks for the Weft
# KERNEL (auto: a KVM probe
# that must boot Weft cleanly; a PVM /dev/kvm fails it), found with one
# short test=none boot. The Linux peer is then given the same, explicitly
# (run.sh's own auto works the same way).
bench_accel() {
	case ${WEFT_ACCEL:-auto} in
	kvm | tcg) echo "$WEFT_ACCEL" ;;
	*)
		local a
		a=$("$BENCH_REPO/tools/qemu.sh" --machine q35 --timeout 60 --kernel "$1" \
			--append test=none 2>&1 >/dev/null </dev/null |
			sed -n 's/^qemu.sh: accel \([a-z]*\).*/\1/p' | head -n 1 || true)
		echo "${a:-tcg}"
		;;
	esac
}

# The QEMU options every guest of a run gets, Weft and Linux alike (the
# rest of the command line is tools/qemu.sh's, the same for both).
# bench_qemu_opts SMP LOG: sets BENCH_OPTS (LOG: the console).
# BENCH_MEM (default 512M) is the guest's RAM.
# BENCH_GUEST_TAP (default $BENCH_TAP) is the tap the guest's NIC is on and
# BENCH_TAP_OFFLOAD (on) its --tap-offload: bench/loss.sh puts the guests
# on a second tap behind tests/e2e/netem_relay.py, without offloads.
bench_qemu_opts() {
	BENCH_OPTS=(--machine q35 --smp "$1" --mem "${BENCH_MEM:-512M}" --accel "$BENCH_ACCEL"
		--net "tap:${BENCH_GUEST_TAP:-$BENCH_TAP}" --tap-offload "${BENCH_TAP_OFFLOAD:-on}"
		--timeout "${BENCH_GUEST_TIMEOUT:-600}" --log "$2")
}

# bench_start LOG CMD...: start CMD (a guest whose console goes to LOG)
# in the namespace, in a process group of its own. Sets BENCH_PID and
# BENCH_T0 (ns, taken just before the start: "QEMU start" for boot times).
bench_start() {
	rm -f "$1"
	shift
	BENCH_T0=$(bench_now_ns)
	setsid ip netns exec "$BENCH_NS" "$@" >/dev/null 2>&1 </dev/null &
	BENCH_PID=$!
	BENCH_PIDS+=("$BENCH_PID")
}

# bench_start_weft LOG SMP KERNEL APPEND
# bench_start_linux LOG SMP ROLE [APPEND] (APPEND: more of the peer's
#   command line, e.g. weft.upstream= for the nginx-proxy role)
# Both add BENCH_QEMU_EXTRA (an array, empty unless set: e.g. the
# instruction-count plugin's -plugin option) to QEMU's command line.
BENCH_QEMU_EXTRA=()
bench_start_weft() {
	bench_qemu_opts "$2" "$1"
	bench_start "$1" "$BENCH_REPO/tools/qemu.sh" "${BENCH_OPTS[@]}" --kernel "$3" \
		--append "$4 ip=$BENCH_GUEST_IP/$BENCH_PREFIX gw=$BENCH_HOST_IP" \
		-- "${BENCH_QEMU_EXTRA[@]+"${BENCH_QEMU_EXTRA[@]}"}"
}

bench_start_linux() {
	bench_qemu_opts "$2" "$1"
	bench_start "$1" "$BENCH_REPO/bench/linux/run.sh" "$3" "${BENCH_OPTS[@]}" \
		--append "weft.ip=$BENCH_GUEST_IP/$BENCH_PREFIX weft.gw=$BENCH_HOST_IP${4:+ $4}" \
		-- "${BENCH_QEMU_EXTRA[@]+"${BENCH_QEMU_EXTRA[@]}"}"
}

# bench_stop: stop the running guest (its whole process group) and forget
# the guest's MAC: the next guest has the same address and MAC, and a
# neighbour entry left over from this one must not decide for it.
bench_stop() {
	kill -TERM -- -"$BENCH_PID" 2>/dev/null || true
	wait "$BENCH_PID" 2>/dev/null || true
	local p keep=()
	for p in "${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}"; do [ "$p" = "$BENCH_PID" ] || keep+=("$p"); done
	BENCH_PIDS=("${keep[@]+"${keep[@]}"}")
	ip -n "$BENCH_NS" neigh flush dev "$BENCH_TAP" 2>/dev/null || true
	return 0
}

# bench_first_answer PROTO PORT READY_RE LOG: after bench_start, poll the
# guest until it answers right, and print "FIRST_MS READY_MS WHY": the
# time from BENCH_T0 to the first right answer and to the first console
# line matching READY_RE ("-" for never), and why not ("-" when it
# answered). PROTO echo: 1 byte sent comes back; http: "GET /" gets
# "HTTP/1.1 200" (http:PATH: "GET PATH" does). An attempt starts every
# 20 ms, each in a thread of one small process (a refused or unanswered one does not hold up the next,
# and polling takes little CPU from the guest). Gives up after 120 s, when
# QEMU is gone, or on a console line that says the guest failed.
bench_first_answer() {
	bench_nsx python3 - "$BENCH_T0" "$4" "$BENCH_GUEST_IP" "$2" "$1" "$BENCH_PID" "$3" <<'EOF'
import os, re, socket, sys, threading, time
t0, log, host, port, proto, pid, ready_re = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
    int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), re.compile(sys.argv[7]))
fail_re = re.compile(r"linux-peer: failed|PANIC|panic:|KVM internal error")
ms = lambda: (time.time_ns() - t0) // 1000000
first, lock = [], threading.Lock()
def attempt():
    ok = False
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.settimeout(2)
            if proto == "echo":
                s.sendall(b"x")
                ok = s.recv(1) == b"x"
            else:
                path = proto.partition(":")[2] or "/"
                s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                ok = s.recv(12) == b"HTTP/1.1 200"
    except OSError:
        pass
    if ok:
        t = ms()
        with lock:
            if not first:
                first.append(t)
def scan():
    try:
        with open(log, errors="replace") as f:
            lines = f.read().replace("\r", "").split("\n")[:-1]
    except OSError:
        return None, None
    ready = bad = None
    for l in lines:
        if ready is None and ready_re.search(l):
            ready = True
        if bad is None and fail_re.search(l):
            bad = l.strip()
    return ready, bad
ready_ms, why, done_at = None, "", None
while ms() < 120000:
    ready, bad = scan()
    if ready and ready_ms is None:
        ready_ms = ms()
    if bad:
        why = bad
        break
    try:
        os.kill(pid, 0)
    except OSError:
        why = "QEMU exited"
        break
    if first and done_at is None:
        done_at = ms()
    # Answered: wait (a little) for the console line too.
    if done_at is not None and (ready_ms is not None or ms() - done_at > 3000):
        break
    if not first:
        threading.Thread(target=attempt, daemon=True).start()
    time.sleep(0.02)
if not first and not why:
    why = "no answer in 120 s"
print(first[0] if first else "-", ready_ms if ready_ms is not None else "-",
      why.replace(" ", "_") or "-")
sys.stdout.flush()
os._exit(0)
EOF
}

# bench_log_tail LOG: its last lines, for a failure message
bench_log_tail() { tail -n "${2:-5}" "$1" 2>/dev/null | tr -d '\r' | sed 's/^/    /' >&2; }
