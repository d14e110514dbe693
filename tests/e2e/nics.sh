#!/usr/bin/env bash
# tests/e2e/nics.sh — the NICs a user meets (issue 13): the HTTP appliance
# over each of them, a machine with none Weft can drive, and the shipped
# disk image on QEMU's defaults. Everything over QEMU user networking
# (restrict=on): only a free 127.0.0.1 port forwarded to the guest's 80.
#
# For each NIC, a boot of the default app (httpd) with 2 CPUs:
#   e2e.nics.M.boot       the driver's line and "httpd: listening", and a
#                         DHCP address, within 60 s
#   e2e.nics.M.get        curl GET /: 200, the site's index.html byte for byte
#   e2e.nics.M.pipeline   20 requests in one write, 20 responses in order
#                         (http_client.py pipeline)
#   e2e.nics.M.upload-1mb a 1,000,000-byte request body (the default
#                         httpd_max_body is 1 MiB): read whole, answered
#                         (405), and the next GET served
#   e2e.nics.M.wrk        wrk -t2 -c200 -d5s (200 keep-alive connections):
#                         requests done, no socket errors, no non-2xx
# where M is
#   pc-e1000              -M pc, QEMU's e1000 (82540EM, INTx)
#   q35-e1000e            -M q35, QEMU's e1000e (82574L, MSI-X)
#   microvm-legacy        -M microvm with its virtio-mmio left legacy
#                         (version 1, QEMU 7.2's default)
# Machines with no NIC Weft drives:
#   e2e.nics.none         no NIC at all: "net: no supported network device
#                         ... saw none", "weft: no app started", and no
#                         "listening" line
#   e2e.nics.rtl8139      an RTL8139: the same, naming it (pci ... 10ec:8139
#                         class 02.00)
# The shipped image:
#   e2e.nics.qcow2-defaults.boot  tools/mkimage.sh's weft.qcow2 (make
#                         image's command line) booted as a user would,
#                         with QEMU's defaults on -M pc (the disk on IDE,
#                         plain -nic user: an e1000) comes up with its e1000
#   e2e.nics.qcow2-defaults  and GET / answers 200
#
# QEMU's slirp listens for a forward with a backlog of 1; as in httpd.sh,
# QEMU runs with the listen_backlog.c shim (e2e_backlog_shim) so that
# wrk's 200 connects are not dropped by the host's kernel.
# Logs: $WEFT_TEST_LOGS/e2e.nics.*.log (consoles) and .out (clients).
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.nics
H=127.0.0.1
GUEST_TIMEOUT=240
BOOT_WAIT=60
SITE=$E2E_REPO/apps/httpd/site
CLIENT=("${E2E_PYTHON:-python3}" "$E2E_DIR/http_client.py")
NET_RE='^net: [0-9.]+/[0-9]+ gw [0-9.]+ \(dhcp\)'

if [ "$E2E_STANDIN" = 1 ]; then
	e2e_note "nics.sh: no stand-in for the HTTP server; nothing to do"
	exit 0
fi

# start_guest LOG QEMU-ARGS...: tools/qemu.sh with a free port forwarded to
# 80 (retried when QEMU lost the port); sets GUEST_PID, PORT. With --disk in
# the arguments it boots that disk, else $E2E_KERNEL.
start_guest() {
	local log=$1 try rc
	shift
	local wrap=()
	[ -z "$E2E_SHIM" ] || wrap=(env "LD_PRELOAD=$E2E_SHIM${LD_PRELOAD:+ $LD_PRELOAD}")
	for ((try = 0; try < 3; try++)); do
		PORT=$(e2e_free_ports 1)
		if [[ " $* " == *" --disk "* ]]; then
			e2e_spawn GUEST_PID "$log" "${wrap[@]}" "$E2E_QEMU" --timeout "$GUEST_TIMEOUT" \
				--hostfwd "tcp:$H:$PORT-:80" "$@"
			rc=0
			sleep 1
			! grep -q 'Could not set up host forwarding' "$log" || { e2e_stop "$GUEST_PID"; rc=3; }
		else
			E2E_WRAP=("${wrap[@]+"${wrap[@]}"}")
			e2e_guest_start GUEST_PID "$log" --timeout "$GUEST_TIMEOUT" \
				--hostfwd "tcp:$H:$PORT-:80" "$@"
			rc=$?
			E2E_WRAP=()
		fi
		[ "$rc" -eq 3 ] || break
	done
	return "$rc"
}

# wait_up NAME LOG REGEX...: the guest came up (every REGEX in LOG);
# reports NAME; false when it did not.
wait_up() {
	local name=$1 log=$2 rc why
	shift 2
	e2e_wait_log "$log" "$GUEST_PID" "$BOOT_WAIT" "$@"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		e2e_pass "$name" "$E2E_WAITED s"
		return 0
	fi
	case $rc in
	2) e2e_guest_gone "$GUEST_PID" "$log"; why=$E2E_GONE ;;
	4) why="the guest said \"$E2E_GIVE_UP_LINE\"" ;;
	*) why="not within $BOOT_WAIT s" ;;
	esac
	e2e_fail "$name" "no line matching $(printf '"%s" ' "${E2E_MISSING[@]}"): $why; log $log ends: $(e2e_log_tail "$log" 3 | e2e_oneline)"
	return 1
}

# serve M QEMU-ARGS...: the httpd over one NIC (see the top).
serve() {
	local which=$1 nic_re=$2
	shift 2
	local n=$P.$which log=$E2E_LOGS/$P.$which.log out=$E2E_LOGS/$P.$which
	local names=("$n.boot" "$n.get" "$n.pipeline" "$n.upload-1mb" "$n.wrk")
	e2e_any_wanted "${names[@]}" || return 0
	if ! start_guest "$log" "$@"; then
		e2e_fail_all "could not start the guest: $(e2e_log_tail "$log" 3 | e2e_oneline)" "${names[@]}"
		return
	fi
	if ! wait_up "$n.boot" "$log" "$nic_re" '^httpd: listening on port 80' "$NET_RE"; then
		e2e_fail_all "the guest did not come up (see $n.boot)" "${names[@]:1}"
		e2e_stop "$GUEST_PID"
		return
	fi
	local url=http://$H:$PORT code
	if e2e_wanted "$n.get"; then
		code=$(curl -sS -m 20 -o "$out.get.body" -w '%{http_code}' "$url/" 2>"$out.get.err")
		if [ "$code" = 200 ] && cmp -s "$out.get.body" "$SITE/index.html"; then
			e2e_pass "$n.get" "$(stat -c %s "$out.get.body") bytes"
		else
			e2e_fail "$n.get" "status ${code:-none}, body $(cmp "$out.get.body" "$SITE/index.html" 2>&1 | head -n 1)$(e2e_oneline <"$out.get.err")"
		fi
	fi
	if e2e_wanted "$n.pipeline"; then
		local line
		e2e_run 60 "$out.pipeline.out" "$out.pipeline.err" "${CLIENT[@]}" pipeline "$H" "$PORT" --count 20
		line=$(grep -m1 -E '^(PASS|FAIL) pipeline' "$out.pipeline.out")
		case $line in
		"PASS pipeline"*) line=${line#PASS pipeline (}; e2e_pass "$n.pipeline" "${line%)}" ;;
		"FAIL pipeline"*) e2e_fail "$n.pipeline" "${line#FAIL pipeline: }" ;;
		*) e2e_fail "$n.pipeline" "no result from http_client.py: $(tail -n 2 "$out.pipeline.err" | e2e_oneline)" ;;
		esac
	fi
	if e2e_wanted "$n.upload-1mb"; then
		local body=$E2E_TMP/1mb res next
		head -c 1000000 /dev/urandom >"$body"
		res=$(curl -sS -m 60 -o /dev/null -w '%{http_code} %{size_upload}' --data-binary "@$body" "$url/" 2>&1)
		next=$(curl -sS -m 20 -o /dev/null -w '%{http_code}' "$url/healthz" 2>&1)
		if [ "$res" = "405 1000000" ] && [ "$next" = 200 ]; then
			e2e_pass "$n.upload-1mb" "1000000 bytes sent, 405; /healthz 200 after"
		else
			e2e_fail "$n.upload-1mb" "upload: \"$res\" (want \"405 1000000\"), then /healthz \"$next\""
		fi
	fi
	if e2e_wanted "$n.wrk"; then
		if ! command -v wrk >/dev/null; then
			e2e_fail "$n.wrk" "no wrk (package wrk; tools/setup.sh installs it)"
		else
			e2e_run 40 "$out.wrk.out" "$out.wrk.out" wrk -t2 -c200 -d5s --timeout 5s "$url/"
			local reqs errs non2xx
			reqs=$(awk '/requests in/ {print $1; exit}' "$out.wrk.out")
			errs=$(grep -m1 'Socket errors' "$out.wrk.out")
			non2xx=$(grep -m1 'Non-2xx' "$out.wrk.out")
			if [ -n "$reqs" ] && [ "$reqs" -gt 0 ] && [ -z "$errs" ] && [ -z "$non2xx" ]; then
				e2e_pass "$n.wrk" "$reqs requests over 200 connections in 5 s"
			else
				local why="${reqs:-no} requests${errs:+; $errs}${non2xx:+; $non2xx}"
				! e2e_slirp_aborted "$log" || why+="; QEMU aborted in libslirp's soread"
				e2e_fail "$n.wrk" "$why"
			fi
		fi
	fi
	e2e_stop "$GUEST_PID"
}

# deaf NAME SAW-REGEX QEMU-ARGS...: a machine with no NIC Weft drives.
deaf() {
	local name=$P.$1 saw=$2 log=$E2E_LOGS/$P.$1.log problems=()
	shift 2
	e2e_wanted "$name" || return 0
	e2e_guest_start GUEST_PID "$log" --machine pc --timeout 60 "$@" || {
		e2e_fail "$name" "could not start the guest"
		return
	}
	e2e_wait_log "$log" "$GUEST_PID" "$BOOT_WAIT" '^weft: no app started: no network device'
	local rc=$?
	e2e_stop "$GUEST_PID"
	[ "$rc" -eq 0 ] || problems+=("no \"weft: no app started\" line")
	grep -qE "^net: no supported network device \(drivers: [^)]*e1000[^)]*\); saw $saw" "$log" ||
		problems+=("no \"net: no supported network device ... saw $saw\" line ($(e2e_log_line "$log" '^net: ' || echo 'no net: line'))")
	! grep -q 'listening' "$log" || problems+=("it claims: $(e2e_log_line "$log" listening)")
	if [ ${#problems[@]} -gt 0 ]; then
		e2e_fail "$name" "$(printf '%s; ' "${problems[@]}")log $log"
	else
		e2e_pass "$name" "$(e2e_log_line "$log" '^net: no supported' | sed 's/.*); //')"
	fi
}

qcow2_defaults() {
	local name=$P.qcow2-defaults log=$E2E_LOGS/$P.qcow2-defaults.log dir=$E2E_TMP/img code
	e2e_wanted "$name" || return 0
	if ! tools/mkimage.sh "$E2E_KERNEL" "$dir" "app=httpd" >"$E2E_LOGS/$P.mkimage.out" 2>&1; then
		e2e_fail "$name" "tools/mkimage.sh failed: $(tail -n 1 "$E2E_LOGS/$P.mkimage.out")"
		return
	fi
	if ! start_guest "$log" --machine pc --smp 2 --nic default --disk "$dir/weft.qcow2"; then
		e2e_fail "$name" "could not start the guest: $(e2e_log_tail "$log" 3 | e2e_oneline)"
		return
	fi
	if wait_up "$name.boot" "$log" '^e1000@[0-9a-f:.]+: 82540EM' '^httpd: listening on port 80' "$NET_RE"; then
		code=$(curl -sS -m 20 -o /dev/null -w '%{http_code}' "http://$H:$PORT/" 2>&1)
		if [ "$code" = 200 ]; then
			e2e_pass "$name" "GET / 200 through QEMU's default e1000"
		else
			e2e_fail "$name" "GET / gave \"$code\""
		fi
	else
		e2e_fail "$name" "the image did not come up (see $name.boot)"
	fi
	e2e_stop "$GUEST_PID"
}

cd "$E2E_REPO" || exit 2
e2e_backlog_shim
serve pc-e1000 '^e1000@[0-9a-f:.]+: 82540EM, .* INTx' --machine pc --smp 2 --nic e1000
serve q35-e1000e '^e1000e@[0-9a-f:.]+: 82574L, .* MSI-X' --machine q35 --smp 2 --nic e1000e
serve microvm-legacy '^virtio-mmio@0x[0-9a-f]+: device type 1, .* legacy' --machine microvm --smp 2 --mmio-legacy
deaf none none
deaf rtl8139 'pci [0-9a-f:.]+ 10ec:8139 class 02\.00' --net user --nic rtl8139
qcow2_defaults
exit 0
