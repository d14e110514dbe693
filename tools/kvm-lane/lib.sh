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
#   lane_shutdown_watch      from now on, record every triple fault of a
#                            guest (KVM's shutdown exit, SVM exit 0x7f): where
#                            (the kvm_exit tracepoint) and, when run.sh found
#                            where kvm_amd keeps a vCPU's VMCB
#                            (LANE_SVM_VMCB_OFF), the guest's state in it at
#                            that exit (a kprobe on shutdown_interception,
#                            which then resets the vCPU): RIP, RSP, RFLAGS,
#                            CR0/2/3/4, EFER, IDTR, GDTR, TR, CS, SS, CPL,
#                            the interrupt shadow, exit_int_info (the event
#                            being delivered) and event_inj
#   lane_shutdown_say NAME   what lane_shutdown_watch recorded since it was
#                            called, a lane_say line each ("NAME: shutdown
#                            exit: ..." and "NAME: guest state: ...")
#   LANE_PAUSE_ARGS          QEMU options for a run whose triple fault is to
#                            be inspected: with tools/qemu.sh's -no-reboot a
#                            reset is a shutdown, and these make a shutdown
#                            pause the VM (memory kept) instead of ending
#                            QEMU; give the run a monitor on LANE_MON_PORT
#   lane_run_inspected NAME ARGS... [-- QEMU-ARGS...]  lane_run with all of
#                            the above: the watch, the VM paused at a
#                            reset (a monitor on LANE_MON_PORT) and
#                            lane_shutdown_inspect NAME beside it; $rc as
#                            lane_run sets it
#   lane_shutdown_inspect NAME  in the background beside such a run: once
#                            lane_shutdown_watch has seen a shutdown and the
#                            VM is paused, walk the guest's page tables in
#                            its memory (from the CR3 KVM held) for every
#                            address the CPU needed to deliver the event
#                            (RIP, RSP, CR2, the IDT's #PF and #DF gates,
#                            the GDT, the TSS and its IST stacks, the
#                            handlers the gates name), say what each maps
#                            to ("NAME: walk: ..."), give the verdict
#                            ("NAME: tables: every address mapped" or
#                            "NAME: tables: not mapped: ..."), and end QEMU
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

LANE_TRACE=/sys/kernel/tracing
# The VMCB's fields (AMD APM vol. 2, appendix B: control area, then the
# save area at 0x400), NAME:OFFSET:TYPE.
LANE_VMCB_FIELDS="rip:0x578:x64 rsp:0x5d8:x64 rflags:0x570:x64 cr0:0x558:x64 cr2:0x640:x64
	cr3:0x550:x64 cr4:0x548:x64 efer:0x4d0:x64 idt:0x488:x64 idtlim:0x484:x32 gdt:0x468:x64
	gdtlim:0x464:x32 tr:0x498:x64 trlim:0x494:x32 trsel:0x490:x16 cs:0x410:x16 ss:0x420:x16
	cpl:0x4cb:u8 intstate:0x68:x32 exitintinfo:0x88:x32 exitintinfoerr:0x8c:x32 eventinj:0xa8:x32"
lane_shutdown_watch() {
	local t=$LANE_TRACE e=$LANE_TRACE/events/kvm/kvm_exit f a=""
	[ -d "$e" ] || return 1
	echo 0 >"$t/tracing_on"
	echo 'exit_reason == 127' >"$e/filter" && echo 1 >"$e/enable" || return 1
	if [ -n "${LANE_SVM_VMCB_OFF:-}" ] && [ ! -d "$t/events/kprobes/lane_shutdown" ]; then
		for f in $LANE_VMCB_FIELDS; do
			a+=" ${f%%:*}=+$(echo "$f" | cut -d: -f2)(+$LANE_SVM_VMCB_OFF(%di)):${f##*:}"
		done
		{ echo "p:lane_shutdown kvm_amd:shutdown_interception$a" >>"$t/kprobe_events" &&
			echo 1 >"$t/events/kprobes/lane_shutdown/enable"; } 2>/dev/null ||
			lane_say "lane_shutdown_watch: no kprobe on kvm_amd's shutdown_interception"
	fi
	echo >"$t/trace"
	echo 1 >"$t/tracing_on"
}
lane_shutdown_say() {
	local l
	grep ': kvm_exit: .*reason shutdown' "$LANE_TRACE/trace" 2>/dev/null | while read -r l; do
		lane_say "$1: shutdown exit: ${l#*kvm_exit: }"
	done
	grep ' lane_shutdown: ' "$LANE_TRACE/trace" 2>/dev/null | while read -r l; do
		l=${l#* lane_shutdown: }
		lane_say "$1: guest state: ${l#*) }"
	done
}

# ---- a triple fault's page walk (lane_shutdown_inspect) ----------------------
# Why: KVM's state at a shutdown exit says which event could not be
# delivered and CR2 says where the #PF was, but not whether the guest's
# own page tables lacked that address (a fault of the guest: its tables
# were wrong) or had it (a fault of the emulated AMD-V under it: nested
# paging in Debian 12's QEMU). Only the guest's memory tells, and it is
# gone once QEMU ends; with LANE_PAUSE_ARGS QEMU pauses at the shutdown,
# and the walk below reads the tables through the monitor (xp).
LANE_MON_PORT=4444
LANE_PAUSE_ARGS="-action shutdown=pause"
# One monitor connection for a walk's many reads: lane_mon_open, then
# lane_mon CMD REGEX sets mon_line to the first answer line matching REGEX
# ("" when none came within 3 s). Not from a $(...): a subshell does not
# have the coprocess's descriptors.
lane_mon_open() {
	coproc LANE_MON { nc 127.0.0.1 "$LANE_MON_PORT" 2>/dev/null; }
}
lane_mon() {
	local line
	mon_line=""
	echo "$1" >&"${LANE_MON[1]}" 2>/dev/null || return 1
	while IFS= read -r -t 3 line <&"${LANE_MON[0]}"; do
		line=${line//$'\r'/}
		[[ $line =~ $2 ]] && { mon_line=$line; return 0; }
	done
	return 1
}
lane_xpq() { # PA: sets xpq to the 8 bytes at guest-physical PA, as 0x...
	xpq=""
	lane_mon "xp /1gx $(printf '0x%x' $(($1)))" '^[0-9a-f]+: 0x[0-9a-f]+' || return 1
	xpq=${mon_line#*: }
	xpq=${xpq%% *}
}
# lane_walk CR3 VA: sets walk_pa (the physical address, or "" when not
# mapped) and walk_text (the entries on the way).
lane_walk() {
	local t=$(($1 & 0x000ffffffffff000)) va=$(($2)) l e
	walk_pa="" walk_text=""
	for l in 4 3 2 1; do
		lane_xpq $((t + ((va >> (12 + 9 * (l - 1))) & 511) * 8))
		e=$xpq
		[ -n "$e" ] || { walk_text+=" L$l=unreadable"; return 1; }
		walk_text+=" L$l=$e"
		(((e & 1) == 1)) || { walk_text+=" (not present)"; return 1; }
		if ((l == 3 || l == 2)) && (((e & 0x80) != 0)); then
			walk_pa=$(printf '0x%x' $(((e & 0x000ffffffffff000 & ~((1 << (12 + 9 * (l - 1))) - 1)) | (va & ((1 << (12 + 9 * (l - 1))) - 1)))))
			return 0
		fi
		t=$((e & 0x000ffffffffff000))
	done
	walk_pa=$(printf '0x%x' $((t | (va & 4095))))
}
lane_run_inspected() {
	local name=$1 a dd=0 insp r
	shift
	for a in "$@"; do [ "$a" != -- ] || dd=1; done
	[ "$dd" = 1 ] || set -- "$@" --
	lane_shutdown_watch
	lane_shutdown_inspect "$name" &
	insp=$!
	# shellcheck disable=SC2086 # LANE_PAUSE_ARGS is words
	lane_run "$name" "$@" -monitor "tcp:127.0.0.1:$LANE_MON_PORT,server,nowait" $LANE_PAUSE_ARGS
	r=$rc
	sleep 1
	kill "$insp" 2>/dev/null
	wait "$insp" 2>/dev/null
	rc=$r
}
lane_shutdown_inspect() {
	local name=$1 st="" i l f cr3 idt idtlim tr what va bad="" n=0 gate
	for ((i = 0; i < 1800; i++)); do
		grep -q ' lane_shutdown: ' "$LANE_TRACE/trace" 2>/dev/null && break
		sleep 0.2
	done
	((i < 1800)) || return 0
	lane_mon_open
	for ((i = 0; i < 20; i++)); do
		lane_mon "info status" 'VM status'
		st=$mon_line
		case $st in *"paused (shutdown)"*) break ;; esac
		sleep 0.5
	done
	case $st in *"paused (shutdown)"*) ;; *)
		lane_say "$name: walk: the VM did not pause at the shutdown (${st##*VM status: })"
		return 0 ;;
	esac
	l=$(grep -m1 ' lane_shutdown: ' "$LANE_TRACE/trace")
	cr3=$(lane_field cr3 "$l") idt=$(lane_field idt "$l") tr=$(lane_field tr "$l")
	what="rip:$(lane_field rip "$l") rsp:$(lane_field rsp "$l")"
	what+=" gdt:$(lane_field gdt "$l") tss:$tr"
	# CR2 only when set (0: no #PF since boot), the IDT's gates only within
	# its limit (beyond it the CPU reads nothing: a #GP), and the handlers
	# those gates name.
	(($(lane_field cr2 "$l") == 0)) || what+=" cr2:$(lane_field cr2 "$l")"
	idtlim=$(lane_field idtlim "$l")
	for gate in 14:#PF 8:#DF; do
		va=$((idt + ${gate%%:*} * 16))
		((${gate%%:*} * 16 + 15 <= idtlim)) || continue
		what+=" idt-${gate#*:}:$va"
		lane_walk "$cr3" "$va" && lane_gate_target "$walk_pa" && what+=" ${gate#*:}-handler:$gate_pc"
	done
	if lane_walk "$cr3" "$tr"; then
		for i in 1 2 3 4 5 6 7; do
			lane_xpq $((walk_pa + 0x24 + (i - 1) * 8))
			va=$xpq
			[ -z "$va" ] || (((va) == 0)) || what+=" ist$i:$((va - 8))"
		done
	fi
	for f in $what; do
		va=${f#*:}
		[ -n "$va" ] || continue
		n=$((n + 1))
		if lane_walk "$cr3" "$va"; then
			lane_say "$name: walk: ${f%%:*} $(printf '0x%x' $((va))) -> $walk_pa:$walk_text"
		else
			lane_say "$name: walk: ${f%%:*} $(printf '0x%x' $((va))) NOT MAPPED:$walk_text"
			bad+=" ${f%%:*}"
		fi
	done
	if [ -z "$bad" ]; then
		lane_say "$name: tables: every address mapped ($n walked from cr3 $cr3)"
	else
		lane_say "$name: tables: not mapped:$bad (from cr3 $cr3)"
	fi
	echo quit >&"${LANE_MON[1]}" 2>/dev/null
	sleep 0.5
	kill "$LANE_MON_PID" 2>/dev/null
	return 0
}
lane_field() { echo "$2" | sed -n "s/.* $1=\\(0x[0-9a-f]*\\).*/\\1/p"; }
lane_gate_target() { # PA of a 16-byte interrupt gate: sets gate_pc, its handler
	local lo hi
	gate_pc=""
	lane_xpq "$1" && lo=$xpq && lane_xpq $(($1 + 8)) && hi=$xpq || return 1
	gate_pc=$(printf '0x%x' $(((lo & 0xffff) | ((lo >> 32) & 0xffff0000) | ((hi & 0xffffffff) << 32))))
}
