#!/usr/bin/env bash
# tools/kvm-lane/run.sh — one boot of the KVM lane's outer guest
# (tools/kvm-lane/build.sh) under TCG, running a job that starts Weft (or
# any guest) with tools/qemu.sh --accel kvm inside it: real KVM, on the
# AMD-V that TCG's -cpu max emulates.
#
# usage: tools/kvm-lane/run.sh --job FILE [options]
#   --job FILE          the job: a bash script run in /weft inside the outer
#                       guest (it sources tools/kvm-lane/lib.sh for lane_run
#                       and friends; see there)
#   --put SRC[:DEST]    also put SRC at /weft/DEST (default: its base name)
#                       in the per-run archive (repeatable): kernels, disk
#                       images, a shim
#   --logs DIR          where the inner runs' consoles land: DIR/NAME.log,
#                       with DIR/NAME.status (tools/qemu.sh's exit status)
#                       and DIR/NAME.secs; default build/kvm-lane/logs
#   --smp N             the outer guest's CPUs (default 2)
#   --mem SIZE          its memory (default 2G)
#   --timeout SECS      the whole outer boot (default 600)
#   --log FILE          the outer console (default DIR/outer.log)
#   --hostfwd tcp:127.0.0.1:HOSTPORT-:GUESTPORT   forward a host port to the
#                       outer guest (10.0.2.15); repeatable
#   --env NAME=VALUE    exported to the job (repeatable)
#   --stall SECS        stop the outer guest when neither its console nor the
#                       data port has grown for SECS (default 200; 0: never):
#                       the emulated AMD-V can hang the whole outer guest
#                       (see tests/kvm/stage.sh); give it more than the
#                       longest quiet inner run. A wedged outer guest is
#                       also stopped as soon as its kernel reports a CPU
#                       stuck for a minute or more ("watchdog: BUG: soft
#                       lockup - CPU#N stuck for 60s!"): its console then
#                       grows with those reports, so silence never comes
#   --append ARGS       more words for the outer kernel's command line
#                       (e.g. "loglevel=7" to see its messages: it boots
#                       "quiet")
#
# How: the cached initramfs (busybox, kvm_amd, QEMU...) gets a small newc
# archive appended with /weft/job, /weft/tools/{qemu.sh,kvm-lane/lib.sh},
# /weft/env and the --put files; Linux unpacks concatenated archives one
# over the other. The outer guest is started by tools/qemu.sh itself
# (--accel tcg: -cpu max; q35; user networking with restrict=on), with a
# second serial port, the data port, written to a file: each inner run's
# console goes there between "@@lane begin NAME" and "@@lane end NAME
# STATUS SECS" lines, and is split into DIR/NAME.log afterwards, so kernel
# messages on the console never mix into a test's log.
#
# Exit status: tools/qemu.sh's for the outer guest: 0 when the job exited
# 0, 1 when it exited non-zero, 3 on the timeout, 4 when the outer guest
# failed before the job (see its console); 6 when it stalled (--stall).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
lane=$repo/build/kvm-lane
me=kvm-lane/run.sh
die() { echo "$me: $*" >&2; exit 4; }

job="" logs=$lane/logs smp=2 mem=2G timeout=600 log="" puts=() fwds=() envs=() append="" stall=200
while [ $# -gt 0 ]; do
	case $1 in
	--job) job=$2; shift 2 ;;
	--put) puts+=("$2"); shift 2 ;;
	--logs) logs=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--hostfwd) fwds+=(--hostfwd "$2"); shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--append) append=" $2"; shift 2 ;;
	--stall) stall=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[ -n "$job" ] && [ -f "$job" ] || die "--job FILE: no job file \"$job\""
for f in "$lane/vmlinux" "$lane/initramfs.cpio"; do
	[ -f "$f" ] || die "no $f: run tools/kvm-lane/build.sh"
done
mkdir -p "$logs"
log=${log:-$logs/outer.log}

tmp=$(mktemp -d "$lane/run.XXXXXX")
pid=""
trap '[ -z "$pid" ] || kill -TERM -- "-$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM INT HUP
w=$tmp/root/weft
mkdir -p "$w/tools/kvm-lane"
cp "$job" "$w/job"
cp "$repo/tools/qemu.sh" "$w/tools/qemu.sh"
cp "$repo/tools/kvm-lane/lib.sh" "$w/tools/kvm-lane/lib.sh"
for p in "${puts[@]+"${puts[@]}"}"; do
	s=${p%%:*} d=${p#*:}
	[ "$d" != "$p" ] || d=$(basename "$s")
	[ -f "$s" ] || die "--put $p: no file $s"
	mkdir -p "$(dirname "$w/$d")"
	cp "$s" "$w/$d"
done
# Where kvm_amd keeps a vCPU's VMCB pointer (struct vcpu_svm's vmcb, an
# offset that changes with the kernel's build): the load before the
# clear_page call in shutdown_interception. lib.sh's lane_shutdown_watch
# reads the guest's state there at a triple fault. Under pipefail the
# pipeline's status is objdump's SIGPIPE once awk has what it needs.
vmcb_off=""
kamd=$(find "$lane/pkgs" -path '*/kernel/arch/x86/kvm/kvm-amd.ko' 2>/dev/null | head -n 1)
if [ -n "$kamd" ] && command -v objdump >/dev/null; then
	vmcb_off=$(objdump -dr --no-show-raw-insn "$kamd" | awk '/<shutdown_interception>:/ { f = 1 } f && /^$/ { exit } f' |
		grep -B2 'R_X86_64_PLT32.clear_page' | sed -n 's/.*mov *\(0x[0-9a-f]*\)(%rbx),%rdi.*/\1/p' | head -n 1 ||
		true)	# awk stops reading early: objdump's SIGPIPE (141) is not an error
fi
{
	for e in "${envs[@]+"${envs[@]}"}"; do printf 'export %q\n' "$e"; done
	[ -z "$vmcb_off" ] || echo "export LANE_SVM_VMCB_OFF=$vmcb_off"
} >"$w/env"
(cd "$tmp/root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$tmp/job.cpio"
cat "$lane/initramfs.cpio" "$tmp/job.cpio" >"$tmp/initrd"

data=$logs/outer.data
: >"$data"
rc=0
setsid "$repo/tools/qemu.sh" --accel tcg --machine q35 --smp "$smp" --mem "$mem" \
	--kernel "$lane/vmlinux" --append "console=ttyS0 quiet panic=-1 mitigations=off$append" \
	--timeout "$timeout" --log "$log" --net user "${fwds[@]+"${fwds[@]}"}" \
	-- -initrd "$tmp/initrd" -chardev "file,id=lane,path=$data" -device isa-serial,chardev=lane \
	</dev/null >/dev/null 2>&1 &
pid=$!
stalled=0 wedged=""
if [ "$stall" -gt 0 ]; then
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		last=$(stat -c %Y "$data" "$log" 2>/dev/null | sort -n | tail -n 1)
		wedged=$(grep -m1 -aE 'soft lockup - CPU#[0-9]+ stuck for ([6-9][0-9]|[0-9]{3,})s' "$log" 2>/dev/null || true)
		if [ -n "$wedged" ] || { [ -n "$last" ] && [ $(($(date +%s) - last)) -gt "$stall" ]; }; then
			stalled=1
			kill -TERM -- "-$pid" 2>/dev/null
			sleep 5
			kill -KILL -- "-$pid" 2>/dev/null
			break
		fi
	done
fi
wait "$pid" || rc=$?
if [ "$stalled" -eq 1 ]; then
	if [ -n "$wedged" ]; then
		echo "kvm-lane: STALLED: the outer kernel says its CPUs are stuck (${wedged#*] }); the outer guest was stopped" >>"$log"
	else
		echo "kvm-lane: STALLED: no output for $stall s; the outer guest was stopped" >>"$log"
	fi
	rc=6
fi

# Split the data port into one log per inner run.
sed -i 's/\r$//' "$data" "$log"
awk -v dir="$logs" '
	/^@@lane begin / { name = $3; f = dir "/" name ".log"; printf "" > f; next }
	/^@@lane end / {
		print $4 > (dir "/" $3 ".status"); print $5 > (dir "/" $3 ".secs")
		close(dir "/" $3 ".status"); close(dir "/" $3 ".secs"); close(f); f = ""; next
	}
	f != "" { print > f }
' "$data"
exit "$rc"
