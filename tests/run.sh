#!/usr/bin/env bash
# tests/run.sh [STAGE...] — the whole `make test` run (make builds build/weft
# and build/weft-test and runs tools/setup.sh first).
#
# Two kernels: the guest, million and panic stages boot the test kernel
# (build/weft-test: the shipped code plus tests/guest/); the boot and e2e
# stages boot what ships (build/weft), and the boot stage checks that it
# holds no test code.
#
# Stages, in order (name one or more to run only those):
#   host   host unit tests (tests/host/run.sh)                 host.*
#   lwip   lwIP's own unit suite (check) with Weft's options,
#          port and patches, on the host (tests/lwip/run.sh)    lwip.*
#   fuzz   fuzz targets, a short fixed number of runs         fuzz.*
#   guest  in-guest suites, test=all on q35, -smp 1 and -smp 4 guest.smpN.*
#   million a million tasks parked at once (6 GiB guest)      guest.million.*
#   panic  expected panics, from tests/guest/panic_cases.txt   panic.*
#   boot   every boot path: -kernel on pc/q35/microvm, the disk
#          images under SeaBIOS and OVMF, command-line words, a
#          baked app= naming no app (powers off, fail);
#          no test code in the shipped kernel                  boot.*
#   e2e    every executable tests/e2e/*.sh                     (their names)
#   docs   the deployment examples in docs/deploy/, read by their
#          own tools (tests/docs/deploy.sh); make help covers
#          every target (tests/docs/make_help.sh)              docs.*
#   kvm    the KVM lane: Weft under real KVM inside an outer
#          Linux guest under TCG (tests/kvm/stage.sh says what
#          runs there); `tests/run.sh kvm` runs it alone        kvm.*
#
# Output: one line per result on stdout, `PASS <name>[ (detail)]` or
# `FAIL <name>: <reason>`; for a failed guest run, the last 30 lines of its
# log on stderr. At the end: the time each stage took, `make test took N s`,
# and `N passed, N failed` alone on the last line. Exits 1 if anything failed.
# Every guest's console is kept in build/test/logs/NAME.log.
#
# Environment:
#   WEFT_TEST_FILTER   extended regex: only results whose names match are
#                      run/counted. A single-result check (panic.*, boot.*) is
#                      skipped when its name does not match; a run with many
#                      results (host tests, a guest run, an e2e script) runs,
#                      and only its matching lines count, unless the filter
#                      starts with another stage's name (e.g. "^boot\.img",
#                      "guest.smp4") and has no "|".
#   WEFT_GUEST_TESTS   the guest's test= selection (default all)
#   WEFT_KERNEL        the shipped kernel (default build/weft)
#   WEFT_TEST_KERNEL   the test kernel (default build/weft-test)
#   WEFT_ACCEL         auto|kvm|tcg, passed to tools/qemu.sh
#   WEFT_GUEST_TIMEOUT seconds for a test=all run (default 300)
#   WEFT_E2E_TIMEOUT   seconds for one e2e script (default 600)
# e2e scripts get WEFT_KERNEL, WEFT_TEST_KERNEL (for test-only apps, such
# as net.sh's app=nettest), WEFT_QEMU (tools/qemu.sh), WEFT_TEST_LOGS and
# WEFT_TEST_FILTER in their environment, and run from the repository root.

set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
repo=$(pwd)

KERNEL=${WEFT_KERNEL:-build/weft}
TEST_KERNEL=${WEFT_TEST_KERNEL:-build/weft-test}
QEMU=tools/qemu.sh
LOGS=build/test/logs
IMGDIR=build/test
FILTER=${WEFT_TEST_FILTER:-}
GUEST_TESTS=${WEFT_GUEST_TESTS:-all}
GUEST_TIMEOUT=${WEFT_GUEST_TIMEOUT:-300}
E2E_TIMEOUT=${WEFT_E2E_TIMEOUT:-600}
BOOT_TIMEOUT=60      # one -kernel boot: < 1 s on TCG
IMG_TIMEOUT=120      # one disk boot: < 1 s SeaBIOS, ~3 s OVMF on TCG
PANIC_TIMEOUT=60

t_start=$SECONDS
passed=0 failed=0
stage_times=()
mkdir -p "$LOGS"

# ---- results ----------------------------------------------------------------
wanted() { # wanted NAME: does the filter let NAME through?
	[ -z "$FILTER" ] || grep -qE -- "$FILTER" <<<"$1"
}
emit() { # emit PASS|FAIL NAME REST (REST: "", " (detail)" or ": reason")
	wanted "$2" || return 0
	echo "$1 $2$3"
	if [ "$1" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
pass() { emit PASS "$1" "${2:+ ($2)}"; }
fail() { emit FAIL "$1" ": $2"; }
forward() { # forward PREFIX FILE: re-emit FILE's PASS/FAIL lines, names prefixed
	local line st name rest n=0
	while IFS= read -r line; do
		[[ $line =~ ^(PASS|FAIL)\ ([^\ :]+)(.*)$ ]] || continue
		st=${BASH_REMATCH[1]} name=${BASH_REMATCH[2]} rest=${BASH_REMATCH[3]}
		emit "$st" "$1$name" "$rest"
		n=$((n + 1))
	done <"$2"
	return 0
}
count() { grep -cE "$1" "$2" 2>/dev/null || true; }
show_tail() { # show_tail NAME LOG: the end of a log, on stderr
	echo "---- last 30 lines of $2 ($1) ----" >&2
	tail -n 30 "$2" | sed 's/^/    /' >&2
	echo "----" >&2
}
status_name() { # tools/qemu.sh exit status in words
	case $1 in
	0) echo pass ;; 1) echo fail ;; 2) echo panic ;; 3) echo timeout ;;
	*) echo "QEMU error (qemu.sh status $1)" ;;
	esac
}
join() { # join ITEMS...: "a; b; c"
	local out=$1
	shift
	for x in "$@"; do out+="; $x"; done
	echo "$out"
}

# Skipping whole runs when the filter names another stage (see the header).
filter_stage=""
if [ -n "$FILTER" ] && [[ $FILTER != *"|"* ]]; then
	filter_stage=$(sed -nE 's/^\^?(host|lwip|guest|panic|boot|e2e|docs|kvm)([^a-z0-9_-].*)?$/\1/p' <<<"$FILTER")
fi
runs_stage() { [ -z "$filter_stage" ] || [ "$filter_stage" = "$1" ]; }

# qemu_run LOG ARGS...: tools/qemu.sh with its console and messages in LOG
# (carriage returns dropped); sets $rc to its status.
qemu_run() {
	local log=$1
	shift
	"$QEMU" "$@" </dev/null >"$log" 2>&1
	rc=$?
	sed -i 's/\r$//' "$log"
}

need_kernel() { # need_kernel NAME [KERNEL]
	local k=${2:-$KERNEL}
	[ -f "$k" ] && return 0
	fail "$1" "no kernel $k (run make first)"
	return 1
}

# run_suite NAME SCRIPT OUT [ERR]: run a script that prints PASS/FAIL lines
# (stdout to OUT, stderr to ERR, or left on ours), forward its results, and
# fail NAME.run if it exited non-zero without a FAIL line of its own.
run_suite() {
	local name=$1 script=$2 out=$3 err=${4:-} rc
	if [ -n "$err" ]; then "$script" >"$out" 2>"$err"; else "$script" >"$out"; fi
	rc=$?
	forward "" "$out"
	if [ "$rc" -ne 0 ] && [ "$(count '^FAIL ' "$out")" -eq 0 ]; then
		fail "$name.run" "$script exited with status $rc without a FAIL line${err:+ (see $err)}"
	fi
}

# ---- a. host unit tests -------------------------------------------------------
stage_host() {
	runs_stage host || return 0
	run_suite host tests/host/run.sh "$LOGS/host.out"
}

# ---- a1. lwIP's own unit suite, Weft's options and patches (tests/lwip/) ------
stage_lwip() {
	runs_stage lwip || return 0
	run_suite lwip tests/lwip/run.sh "$LOGS/lwip.out" "$LOGS/lwip.err"
}

# ---- a2. fuzz targets, a short fixed run each (make fuzz runs them long) -------
stage_fuzz() {
	runs_stage fuzz || return 0
	local f out rc name
	for f in tests/fuzz/run.sh; do
		[ -x "$f" ] || continue
		name=$(basename "$f" .sh)
		out=$LOGS/fuzz.$name.out
		"$f" >"$out" 2>"$LOGS/fuzz.$name.err"
		rc=$?
		forward "" "$out"
		if [ "$rc" -ne 0 ] && [ "$(count '^FAIL ' "$out")" -eq 0 ]; then
			fail fuzz.run "$f exited with status $rc (see $LOGS/fuzz.$name.err)"
		fi
	done
}

# ---- b. in-guest suites -------------------------------------------------------
guest_run() { # guest_run NCPUS [NAME MACHINE TESTS QEMU-ARGS...]
	local n=$1 name=${2:-guest.smp$1} machine=${3:-q35} tests=${4:-$GUEST_TESTS}
	shift $(($# < 4 ? $# : 4))
	local log=$LOGS/$name.log
	[[ $filter_stage != guest || ! $FILTER =~ smp[0-9] || $FILTER =~ smp$n([^0-9]|$) ]] ||
		return 0
	need_kernel "$name.run" "$TEST_KERNEL" || return 0
	qemu_run "$log" --machine "$machine" --smp "$n" --kernel "$TEST_KERNEL" \
		--append "test=$tests" --timeout "$GUEST_TIMEOUT" "$@"
	guest_check "$name" "$n" "$log" "$rc" "guest.smp$n"
}
# guest_check NAME NCPUS LOG STATUS [CPUS-NAME]: a suite run's results and
# its own verdicts (NAME.run; NAME.cpus-online when NAME is CPUS-NAME and
# NCPUS > 1), from its console LOG and tools/qemu.sh's STATUS.
guest_check() {
	local name=$1 n=$2 log=$3 rc=$4 cpus_name=${5:-}
	local lines=${log%.log}.results
	grep -E '^(PASS|FAIL) [^ ]' "$log" >"$lines"
	forward "$name." "$lines"
	local np nf total problems=()
	np=$(count '^PASS ' "$lines")
	nf=$(count '^FAIL ' "$lines")
	total=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || problems+=("$(status_name "$rc")")
	if [ -z "$total" ]; then
		problems+=("no \"N passed, N failed\" line")
	elif [ "$total" != "$np passed, $nf failed" ]; then
		problems+=("guest says \"$total\" but printed $np PASS and $nf FAIL lines")
	fi
	if [ "$rc" -eq 0 ] && [ "$nf" -gt 0 ]; then problems+=("exit status pass with FAIL lines"); fi
	if [ "$rc" -eq 1 ] && [ "$nf" -eq 0 ]; then problems+=("exit status fail without a FAIL line"); fi
	if grep -q 'PANIC on cpu' "$log"; then
		problems+=("$(grep -m1 'PANIC on cpu' "$log")")
	fi
	if [ ${#problems[@]} -gt 0 ]; then
		fail "$name.run" "$(join "${problems[@]}") (log $log)"
		wanted "$name.run" && show_tail "$name" "$log"
	else
		pass "$name.run" "$np tests"
	fi
	if [ "$n" -gt 1 ] && [ "$name" = "$cpus_name" ]; then
		if grep -q "^smp: $n CPUs online" "$log"; then
			pass "$name.cpus-online"
		else
			fail "$name.cpus-online" "no \"smp: $n CPUs online\" line ($(grep -m1 '^smp:' "$log" || echo 'no smp: line'))"
		fi
	fi
}
stage_guest() {
	runs_stage guest || return 0
	guest_run 1
	guest_run 4
	# The device suites again with a NIC: virtio-net over PCI (MSI-X) on
	# q35, over MMIO on microvm (version 2, and legacy version 1), and q35
	# with MSI-X off (INTx). net=off: the driver tests drive the device
	# themselves.
	guest_run 2 guest.net-q35 q35 "pci,virtio,vnet net=off" --net user
	guest_run 2 guest.net-microvm microvm "pci,virtio,vnet net=off" --net user
	guest_run 2 guest.net-microvm-legacy microvm "pci,virtio,vnet net=off" --net user --mmio-legacy
	guest_run 2 guest.net-q35-intx q35 "pci,virtio,vnet net=off" --net user -- -global virtio-net-pci.vectors=0
	# The poller's own duties (link state, resetting a broken device),
	# with the network stack owning the NIC, over PCI and over MMIO.
	guest_run 2 guest.net-poller-q35 q35 poller --net user
	guest_run 2 guest.net-poller-microvm microvm poller --net user
}

# A million tasks parked at once (issue: runtime). Its own run: it needs
# a 6 GiB guest. WEFT_SKIP_MILLION=1 leaves it out.
stage_million() {
	runs_stage million || return 0
	[ -z "${WEFT_SKIP_MILLION:-}" ] || return 0
	local name=guest.million log=$LOGS/guest.million.log
	wanted "$name.runtime.million_parked" || return 0
	need_kernel "$name.run" "$TEST_KERNEL" || return 0
	qemu_run "$log" --machine q35 --smp 2 --mem 6G --kernel "$TEST_KERNEL" \
		--append "test=runtime.million_parked" --timeout "$GUEST_TIMEOUT"
	local lines=$LOGS/$name.results
	grep -E '^(PASS|FAIL) [^ ]' "$log" >"$lines"
	forward "$name." "$lines"
	if [ "$rc" -ne 0 ] || [ "$(count '^PASS ' "$lines")" -ne 1 ]; then
		fail "$name.run" "$(status_name "$rc") (log $log)"
		show_tail "$name" "$log"
	fi
}

# ---- c. expected panics -----------------------------------------------------
stage_panic() {
	local table=tests/guest/panic_cases.txt test fn regex name log problems
	[ -f "$table" ] || { fail panic.table "missing $table"; return 0; }
	while IFS=$'\t' read -r test fn regex || [ -n "$test" ]; do
		case $test in '' | '#'*) continue ;; esac
		name=panic.$test
		wanted "$name" || continue
		if [ -z "$fn" ] || [ -z "$regex" ]; then
			fail "$name" "bad line in $table (want TEST<TAB>FUNCTION<TAB>REGEX)"
			continue
		fi
		need_kernel "$name" "$TEST_KERNEL" || continue
		log=$LOGS/$name.log
		qemu_run "$log" --machine q35 --smp 2 --kernel "$TEST_KERNEL" \
			--append "test=$test" --timeout "$PANIC_TIMEOUT"
		panic_check "$name" "$fn" "$regex" "$log" "$rc"
	done <"$table"
}

# panic_check NAME FUNCTION REGEX LOG STATUS: the run must have panicked
# with a backtrace naming FUNCTION, and LOG must match REGEX.
panic_check() {
	local name=$1 fn=$2 regex=$3 log=$4 rc=$5 problems=()
	if [ "$rc" -ne 2 ]; then
		local why
		why=$(grep -m1 -E '^FAIL ' "$log" | sed 's/^FAIL //')
		problems+=("status $(status_name "$rc"), want panic${why:+ (guest: $why)}")
	fi
	grep -q 'PANIC on cpu' "$log" || problems+=("no \"PANIC on cpu\" line")
	grep -q 'backtrace:' "$log" || problems+=("no \"backtrace:\" line")
	grep -qE "#[0-9]+ +0x[0-9a-fA-F]+ +$fn\+0x" "$log" ||
		problems+=("backtrace does not name $fn")
	grep -qE -- "$regex" "$log" || problems+=("no match for /$regex/")
	if [ ${#problems[@]} -gt 0 ]; then
		fail "$name" "$(join "${problems[@]}") (log $log)"
	else
		pass "$name"
	fi
}

# ---- d. boot paths ----------------------------------------------------------
# boot_check NAME BOOTED_BY CMDLINE QEMU-ARGS...: the boot must end in
# "0 passed, 0 failed" with status pass, say "weft: booted by BOOTED_BY" and
# echo CMDLINE exactly.
unknown_word_logs=()
boot_check() {
	local name=$1 by=$2 cmdline=$3 log=$LOGS/$1.log
	shift 3
	local t=$BOOT_TIMEOUT
	[[ " $* " != *" --disk "* ]] || t=$IMG_TIMEOUT
	qemu_run "$log" "$@" --timeout "$t"
	boot_verify "$name" "$by" "$cmdline" "$log" "$rc"
}
# boot_verify NAME BOOTED_BY CMDLINE LOG STATUS: boot_check's verdict on a
# boot that ran (its console LOG, tools/qemu.sh's STATUS).
boot_verify() {
	local name=$1 by=$2 cmdline=$3 log=$4 rc=$5 problems=() echoed
	[ "$rc" -eq 0 ] || problems+=("status $(status_name "$rc")")
	grep -q '^0 passed, 0 failed$' "$log" || problems+=("no \"0 passed, 0 failed\" line")
	grep -q "^weft: booted by $by" "$log" || problems+=("no \"weft: booted by $by\" line")
	echoed=$(sed -n 's/^weft: booted by .*, cmdline "\(.*\)"$/\1/p' "$log" | head -n 1)
	[ "$echoed" = "$cmdline" ] || problems+=("cmdline echoed as \"$echoed\", passed \"$cmdline\"")
	[[ $cmdline != *bootpath=* ]] || unknown_word_logs+=("$log")
	if [ ${#problems[@]} -gt 0 ]; then
		fail "$name" "$(join "${problems[@]}") (log $log)"
		show_tail "$name" "$log"
	else
		pass "$name"
	fi
}
# the boot must run when its own result or one derived from its log is wanted
boot_wanted() { wanted "$1" || wanted boot.cmdline-unknown-word; }

stage_boot() {
	local m name cmdline
	unknown_word_logs=()
	for m in pc q35 microvm; do
		name=boot.kernel-$m
		boot_wanted "$name" || continue
		need_kernel "$name" || continue
		cmdline="test=none bootpath=kernel-$m"
		boot_check "$name" pvh "$cmdline" --machine "$m" --smp 2 \
			--kernel "$KERNEL" --append "$cmdline"
	done

	# Disk images, all made by one mkimage run with this command line.
	cmdline="test=none bootpath=img"
	local imgs=(boot.img-seabios boot.img-ovmf boot.qcow2-seabios boot.gce-ovmf
		boot.gce-tar-format) any=0 n
	for n in "${imgs[@]}"; do boot_wanted "$n" && any=1; done
	if [ "$any" -eq 1 ] && need_kernel boot.mkimage; then
		local out=$LOGS/boot.mkimage.log gce=$IMGDIR/gce
		rm -rf "$gce" "$IMGDIR/weft.img" "$IMGDIR/weft.qcow2" "$IMGDIR/weft-gce.tar.gz"
		if tools/mkimage.sh "$KERNEL" "$IMGDIR" "$cmdline" >"$out" 2>&1; then
			pass boot.mkimage
		else
			fail boot.mkimage "tools/mkimage.sh failed: $(tail -n 1 "$out")"
		fi
		boot_wanted boot.img-seabios && boot_check boot.img-seabios "multiboot2" "$cmdline" \
			--machine pc --smp 2 --firmware bios --disk "$IMGDIR/weft.img" --format raw
		boot_wanted boot.img-ovmf && boot_check boot.img-ovmf "multiboot2" "$cmdline" \
			--machine q35 --smp 2 --firmware uefi --disk "$IMGDIR/weft.img" --format raw
		boot_wanted boot.qcow2-seabios && boot_check boot.qcow2-seabios "multiboot2" "$cmdline" \
			--machine q35 --smp 2 --firmware bios --disk "$IMGDIR/weft.qcow2" --format qcow2
		if boot_wanted boot.gce-ovmf || wanted boot.gce-tar-format; then
			gce_checks "$IMGDIR/weft-gce.tar.gz" "$gce" "$cmdline"
		fi
	fi

	# A disk image whose baked command line names no app: one console line
	# naming the apps there are, then the VM powers off with "fail".
	if wanted boot.img-nosuch && need_kernel boot.img-nosuch; then
		local dir=$IMGDIR/nosuch log=$LOGS/boot.img-nosuch.log problems=()
		rm -rf "$dir"
		if ! tools/mkimage.sh "$KERNEL" "$dir" "app=nosuch" >"$LOGS/boot.img-nosuch.mkimage.log" 2>&1; then
			problems+=("tools/mkimage.sh failed: $(tail -n 1 "$LOGS/boot.img-nosuch.mkimage.log")")
		else
			qemu_run "$log" --machine q35 --smp 2 --disk "$dir/weft.qcow2" --timeout "$IMG_TIMEOUT"
			[ "$rc" -eq 1 ] || problems+=("status $(status_name "$rc"), want fail")
			grep -qE '^weft: no app named "nosuch" in this image \(have:.* httpd.*\); powering off$' "$log" ||
				problems+=("no 'weft: no app named \"nosuch\" in this image (have: ...); powering off' line")
		fi
		rm -rf "$dir"
		if [ ${#problems[@]} -gt 0 ]; then
			fail boot.img-nosuch "$(join "${problems[@]}") (log $log)"
			show_tail boot.img-nosuch "$log"
		else
			pass boot.img-nosuch "$(grep -m1 '^weft: no app named' "$log")"
		fi
	fi

	if wanted boot.cmdline-unknown-word; then
		local l missing=()
		for l in "${unknown_word_logs[@]+"${unknown_word_logs[@]}"}"; do
			local w
			w=$(sed -n 's/^weft: booted by .*, cmdline ".*\(bootpath=[^ "]*\).*"$/\1/p' "$l" | head -n 1)
			grep -qF "cmdline: unknown word \"${w:-bootpath=}\" ignored" "$l" || missing+=("$l")
		done
		if [ ${#unknown_word_logs[@]} -eq 0 ]; then
			fail boot.cmdline-unknown-word "no boot with a bootpath= word ran"
		elif [ ${#missing[@]} -gt 0 ]; then
			fail boot.cmdline-unknown-word "no 'cmdline: unknown word \"bootpath=...\" ignored' in ${missing[*]}"
		else
			pass boot.cmdline-unknown-word "${#unknown_word_logs[@]} boots"
		fi
	fi

	if wanted boot.cmdline-malformed && need_kernel boot.cmdline-malformed; then
		local log=$LOGS/boot.cmdline-malformed.log problems=()
		qemu_run "$log" --machine q35 --kernel "$KERNEL" --append "test=none =5 port=abc" \
			--timeout "$BOOT_TIMEOUT"
		[ "$rc" -eq 0 ] || problems+=("status $(status_name "$rc")")
		grep -q 'malformed word "=5"' "$log" || problems+=("no 'malformed word \"=5\"' message")
		grep -q '^0 passed, 0 failed$' "$log" || problems+=("boot did not reach \"0 passed, 0 failed\"")
		if [ ${#problems[@]} -gt 0 ]; then
			fail boot.cmdline-malformed "$(join "${problems[@]}") (log $log)"
			show_tail boot.cmdline-malformed "$log"
		else
			pass boot.cmdline-malformed
		fi
	fi
	# ip= without its prefix is malformed (a silent /24 would be a guess):
	# a message, and DHCP instead.
	if wanted boot.cmdline-ip-needs-prefix && need_kernel boot.cmdline-ip-needs-prefix; then
		local log=$LOGS/boot.cmdline-ip-needs-prefix.log problems=()
		qemu_run "$log" --machine q35 --kernel "$KERNEL" --net user \
			--append "test=none ip=10.0.2.99 gw=10.0.2.2" --timeout "$BOOT_TIMEOUT"
		[ "$rc" -eq 0 ] || problems+=("status $(status_name "$rc")")
		grep -q 'net: cannot use ip=10.0.2.99 gw=10.0.2.2 (want ip=ADDR/PREFIX gw=ADDR: ip= needs its prefix length); using DHCP' "$log" ||
			problems+=("no \"ip= needs its prefix length ... using DHCP\" message")
		if [ ${#problems[@]} -gt 0 ]; then
			fail boot.cmdline-ip-needs-prefix "$(join "${problems[@]}") (log $log)"
			show_tail boot.cmdline-ip-needs-prefix "$log"
		else
			pass boot.cmdline-ip-needs-prefix
		fi
	fi
	mem_checks
	shipped_checks
}

# The network's pools are sized at boot from the memory (net/limits.c):
# one console line says the limits; a guest below the minimum says what it
# needs and powers off with "fail".
mem_checks() {
	local mem want name log problems line
	for mem in 512M 8M; do
		name=boot.mem-limits-${mem,,}
		wanted "$name" && need_kernel "$name" || continue
		log=$LOGS/$name.log problems=()
		qemu_run "$log" --machine q35 --mem "$mem" --kernel "$KERNEL" --append "test=none" \
			--timeout "$BOOT_TIMEOUT"
		[ "$rc" -eq 0 ] || problems+=("status $(status_name "$rc")")
		line=$(tr -d '\r' <"$log" | grep -m1 -E '^net: [0-9]+ MiB: up to ')
		# 512 MiB reaches the largest pools (lwipopts.h); 8 MiB holds the
		# 100 connections e2e.memory serves, and not many more.
		case $mem in
		512M) want='^net: 512 MiB: up to 10000 TCP connections \(12288 pcbs, 30000 segments\), 8192 receive buffers, 16[0-9]{3} KiB send heap; [0-9]+ KiB in all$' ;;
		8M) want='^net: 8 MiB: up to 1[0-4][0-9] TCP connections \([0-9]+ pcbs, [0-9]+ segments\), 64 receive buffers, 256 KiB send heap; [0-9]+ KiB in all$' ;;
		esac
		grep -qE "$want" <<<"$line" || problems+=("limits line \"$line\", want /$want/")
		if [ ${#problems[@]} -gt 0 ]; then
			fail "$name" "$(join "${problems[@]}") (log $log)"
			show_tail "$name" "$log"
		else
			pass "$name" "$line"
		fi
	done
	name=boot.mem-too-little
	if wanted "$name" && need_kernel "$name"; then
		log=$LOGS/$name.log problems=()
		qemu_run "$log" --machine q35 --mem 4M --kernel "$KERNEL" --append "test=none" \
			--timeout "$BOOT_TIMEOUT"
		[ "$rc" -eq 1 ] || problems+=("status $(status_name "$rc"), want fail")
		line=$(tr -d '\r' <"$log" | grep -m1 -E '^weft: needs ')
		grep -qE '^weft: needs [5-9] MiB, has 4 MiB$' <<<"$line" ||
			problems+=("no 'weft: needs N MiB, has 4 MiB' line (got \"$line\")")
		! grep -q '0 passed, 0 failed' "$log" || problems+=("it went on booting")
		if [ ${#problems[@]} -gt 0 ]; then
			fail "$name" "$(join "${problems[@]}") (log $log)"
			show_tail "$name" "$log"
		else
			pass "$name" "$line"
		fi
	fi
}

# What ships holds no test code: no ktests section and no ktest_* symbol
# (suites, their runner, the deliberate faults), and test= with anything
# but "none" fails with a message instead of running something.
shipped_checks() {
	if wanted boot.shipped-no-test-code && need_kernel boot.shipped-no-test-code; then
		local syms secs
		syms=$(nm "$KERNEL" | grep -ciE 'ktest' || true)
		secs=$(objdump -h "$KERNEL" | grep -ciE 'ktest' || true)
		if [ "$syms" -ne 0 ] || [ "$secs" -ne 0 ]; then
			fail boot.shipped-no-test-code "$KERNEL has $syms ktest symbols and $secs ktest sections"
		elif [ "$(nm "$TEST_KERNEL" 2>/dev/null | grep -c ' ktest_fail$' || true)" -eq 0 ]; then
			fail boot.shipped-no-test-code "the check cannot fail: $TEST_KERNEL has no ktest_fail either"
		else
			pass boot.shipped-no-test-code "$(stat -c %s "$KERNEL") bytes; test kernel $(stat -c %s "$TEST_KERNEL")"
		fi
	fi
	if wanted boot.shipped-refuses-tests && need_kernel boot.shipped-refuses-tests; then
		local log=$LOGS/boot.shipped-refuses-tests.log problems=()
		qemu_run "$log" --machine q35 --kernel "$KERNEL" --append "test=all" \
			--timeout "$BOOT_TIMEOUT"
		[ "$rc" -eq 1 ] || problems+=("status $(status_name "$rc"), want fail")
		grep -q '^FAIL all: this image holds no in-guest tests' "$log" ||
			problems+=("no \"FAIL all: this image holds no in-guest tests\" line")
		grep -q '^0 passed, 1 failed$' "$log" || problems+=("no \"0 passed, 1 failed\" line")
		if [ ${#problems[@]} -gt 0 ]; then
			fail boot.shipped-refuses-tests "$(join "${problems[@]}") (log $log)"
			show_tail boot.shipped-refuses-tests "$log"
		else
			pass boot.shipped-refuses-tests
		fi
	fi
}

# gce_checks TARGZ DIR CMDLINE: GCE's image format, then boot its disk.raw.
gce_checks() {
	local tgz=$1 dir=$2 cmdline=$3 problems=() list magic size
	if [ ! -f "$tgz" ]; then
		fail boot.gce-tar-format "no $tgz"
		fail boot.gce-ovmf "no $tgz"
		return 0
	fi
	# GCE: a gzipped GNU-format tar holding exactly one file, disk.raw,
	# whose size is a whole number of GiB.
	list=$(tar -tzf "$tgz" 2>&1)
	[ "$list" = disk.raw ] || problems+=("members: $(tr '\n' ' ' <<<"$list")")
	# GNU tar headers carry magic "ustar  \0" at offset 257 (POSIX: "ustar\0" "00").
	magic=$(gzip -dc "$tgz" | head -c 265 | tail -c 8 | od -An -c | tr -s ' ')
	[ "$magic" = " u s t a r \0" ] || problems+=("not a GNU tar (magic:$magic)")
	mkdir -p "$dir"
	if tar -xzf "$tgz" -C "$dir" 2>/dev/null && [ -f "$dir/disk.raw" ]; then
		size=$(stat -c %s "$dir/disk.raw")
		[ $((size % (1 << 30))) -eq 0 ] && [ "$size" -gt 0 ] ||
			problems+=("disk.raw is $size bytes, not whole GiB")
	else
		problems+=("cannot extract disk.raw")
	fi
	if [ ${#problems[@]} -gt 0 ]; then
		fail boot.gce-tar-format "$(join "${problems[@]}")"
	else
		pass boot.gce-tar-format "$((size >> 30)) GiB"
	fi
	if boot_wanted boot.gce-ovmf; then
		if [ -f "$dir/disk.raw" ]; then
			boot_check boot.gce-ovmf "multiboot2" "$cmdline" \
				--machine q35 --smp 2 --firmware uefi --disk "$dir/disk.raw" --format raw
		else
			fail boot.gce-ovmf "no disk.raw"
		fi
	fi
}

# ---- e. end-to-end scripts --------------------------------------------------
stage_e2e() {
	runs_stage e2e || return 0
	local f name out rc
	for f in tests/e2e/*.sh; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
		name=$(basename "$f" .sh)
		out=$LOGS/e2e.$name.out
		WEFT_KERNEL=$(realpath "$KERNEL") WEFT_TEST_KERNEL=$(realpath "$TEST_KERNEL") \
			WEFT_QEMU=$repo/$QEMU WEFT_TEST_LOGS=$repo/$LOGS WEFT_TEST_FILTER=$FILTER \
			timeout -k 10 "$E2E_TIMEOUT" "$f" </dev/null >"$out"
		rc=$?
		forward "" "$out"
		local nres nfail
		nres=$(count '^(PASS|FAIL) ' "$out")
		nfail=$(count '^FAIL ' "$out")
		if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
			local why="exited with status $rc without a FAIL line"
			[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || why="timed out after $E2E_TIMEOUT s"
			fail "e2e.$name" "$why (output $out)"
		elif [ "$rc" -eq 0 ] && [ "$nres" -eq 0 ] && [ -z "$FILTER" ]; then
			fail "e2e.$name" "printed no PASS/FAIL lines (output $out)"
		fi
	done
}

# ---- f. documentation that a tool can read ------------------------------------
stage_docs() {
	runs_stage docs || return 0
	run_suite docs tests/docs/deploy.sh "$LOGS/docs.out" "$LOGS/docs.err"
	run_suite docs.make-help tests/docs/make_help.sh "$LOGS/docs-make-help.out" "$LOGS/docs-make-help.err"
}

# ---- g. the KVM lane ------------------------------------------------------------
# shellcheck source=tests/kvm/stage.sh
. tests/kvm/stage.sh

# ---- main -------------------------------------------------------------------
all_stages=(host lwip fuzz guest million panic boot e2e docs kvm)
if [ $# -eq 0 ]; then set -- "${all_stages[@]}"; fi
for s in "$@"; do
	[[ " ${all_stages[*]} " == *" $s "* ]] ||
		{ echo "usage: $0 [${all_stages[*]}]..." >&2; exit 2; }
done
for s in "$@"; do
	t0=$SECONDS
	echo "== $s"
	"stage_$s"
	stage_times+=("$s $((SECONDS - t0)) s")
done
echo "== stage times: $(join "${stage_times[@]}")"
echo "make test took $((SECONDS - t_start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
