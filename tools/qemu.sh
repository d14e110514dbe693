#!/usr/bin/env bash
# tools/qemu.sh — boot Weft in QEMU. The one place that knows QEMU's flags.
#
# usage: tools/qemu.sh [options] [-- extra qemu args]
#   --machine pc|q35|microvm   machine type (default q35)
#   --smp N                    CPUs (default 1)
#   --mem SIZE                 RAM (default 512M)
#   --kernel FILE              boot FILE directly (PVH entry)
#   --append "CMDLINE"         kernel command line (with --kernel)
#   --disk FILE                boot from this disk image (GRUB)
#   --format raw|qcow2         the disk's format (default: from the file name)
#   --firmware bios|uefi       SeaBIOS (default) or OVMF
#   --timeout SECS             kill QEMU after SECS (default 120; 0 = none)
#   --net user|none            network (default none)
#   --net tap:IFNAME           the NIC on an existing tap device; only inside a
#                              network namespace (run the script with
#                              `ip netns exec NS`), never in the host's own
#   --nic virtio|e1000|e1000e|rtl8139|default
#                              the NIC model (default virtio: virtio-net-pci, or
#                              virtio-net-device on microvm). e1000 (82540EM) and
#                              e1000e (82574L) are what QEMU gives pc and q35 by
#                              default; rtl8139 is one Weft has no driver for.
#                              default: QEMU's defaults as a user types them,
#                              `-nic user,...` (the machine's own default model)
#                              and a --disk on the machine's default interface
#                              (IDE/AHCI) instead of virtio-blk
#   --mmio-legacy              microvm: leave QEMU's virtio-mmio devices legacy
#                              (version 1, QEMU 7.2's default) instead of
#                              forcing version 2
#   --tap-offload on|off       on (default): QEMU and the tap exchange a
#                              virtio-net header, so the guest is offered
#                              checksum and segmentation offloads; off: plain
#                              frames, no offloads (for a tap whose other side
#                              is a userspace relay that cannot handle them)
#   --hostfwd tcp:127.0.0.1:HOSTPORT-:GUESTPORT   (repeatable; implies --net user;
#                              in the KVM lane's outer guest also 10.0.2.15)
#   --host-loopback            user networking without restrict=on, so the
#                              guest reaches the host's 127.0.0.1 as 10.0.2.2
#                              (a syslog listener of a test); only for guests
#                              told to send nowhere else
#   --accel auto|kvm|tcg       (default auto, or $WEFT_ACCEL)
#   --log FILE                 also write the console (and QEMU's messages) to FILE
#   --gdb                      gdb stub on 127.0.0.1:${WEFT_GDB_PORT:-1234}, CPUs
#                              stopped at start; no timeout unless --timeout
#   --qmp PATH                 QEMU's QMP monitor on the Unix socket PATH
#                              (tools/forward.py adds forwards through it)
#   --interactive              for `make run`: no timeout, the terminal is the
#                              serial console, Ctrl-C stops QEMU (Ctrl-A X too,
#                              Ctrl-A C for QEMU's monitor)
#
# Exit status (the guest reports through isa-debug-exit, see below):
#   0 pass (QEMU 1)   1 fail (QEMU 3)   2 panic (QEMU 5)   3 timeout
#   4 anything else (QEMU's own status is printed)
# WEFT_QEMU_VERBOSE=1 prints the QEMU command line on stderr.
# With --interactive the script becomes QEMU, so the status is QEMU's.
#
# Accelerator: auto uses KVM only when /dev/kvm is read-write AND a probe
# passed: the probe boots the kernel under KVM with test=none and must see a
# clean "0 passed, 0 failed" exit. /dev/kvm may be a paravirtual flavour
# (PVM) that runs only guests written for it, where an ordinary guest dies
# with "KVM internal error" or hangs, so its mere presence proves nothing.
# The verdict is cached in build/.kvm-probe per kernel sha256 (a new kernel
# probes again). Disk boots probe with build/weft. The choice is printed on
# stderr.
# shellcheck disable=SC2054 # commas inside QEMU option values are meant
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
me=qemu.sh
die() { echo "$me: $*" >&2; exit 4; }
note() { # stderr, and the log when there is one
	echo "$me: $*" >&2
	if [ -n "${log:-}" ]; then echo "$me: $*" >>"$log"; fi
}

machine=q35 smp=1 mem=512M kernel="" append="" have_append=0 disk="" format=""
firmware=bios timeout=120 have_timeout=0 net=none accel=${WEFT_ACCEL:-auto}
log="" gdb=0 interactive=0 tap_offload=on nic=virtio mmio_legacy=0 qmp=""
hostfwds=() extra=() restrict=on

need_arg() { [ $# -ge 2 ] || die "$1 needs an argument"; }
while [ $# -gt 0 ]; do
	case $1 in
	--machine) need_arg "$@"; machine=$2; shift 2 ;;
	--smp) need_arg "$@"; smp=$2; shift 2 ;;
	--mem) need_arg "$@"; mem=$2; shift 2 ;;
	--kernel) need_arg "$@"; kernel=$2; shift 2 ;;
	--append) need_arg "$@"; append=$2; have_append=1; shift 2 ;;
	--disk) need_arg "$@"; disk=$2; shift 2 ;;
	--format) need_arg "$@"; format=$2; shift 2 ;;
	--firmware) need_arg "$@"; firmware=$2; shift 2 ;;
	--timeout) need_arg "$@"; timeout=$2; have_timeout=1; shift 2 ;;
	--hostfwd) need_arg "$@"; hostfwds+=("$2"); shift 2 ;;
	--host-loopback) restrict=off; net=user; shift ;;
	--net) need_arg "$@"; net=$2; shift 2 ;;
	--tap-offload) need_arg "$@"; tap_offload=$2; shift 2 ;;
	--nic) need_arg "$@"; nic=$2; shift 2 ;;
	--mmio-legacy) mmio_legacy=1; shift ;;
	--accel) need_arg "$@"; accel=$2; shift 2 ;;
	--log) need_arg "$@"; log=$2; shift 2 ;;
	--gdb) gdb=1; shift ;;
	--qmp) need_arg "$@"; qmp=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done

# ---- checking the options ---------------------------------------------------
case $machine in pc|q35|microvm) ;; *) die "--machine must be pc, q35 or microvm" ;; esac
case $firmware in bios|uefi) ;; *) die "--firmware must be bios or uefi" ;; esac
case $net in
user | none) ;;
tap:*)
	[[ ${net#tap:} =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "--net tap:IFNAME: bad interface name \"${net#tap:}\""
	;;
*) die "--net must be user, none or tap:IFNAME" ;;
esac
case $tap_offload in on|off) ;; *) die "--tap-offload must be on or off" ;; esac
case $nic in virtio|e1000|e1000e|rtl8139|default) ;; *) die "--nic must be virtio, e1000, e1000e, rtl8139 or default" ;; esac
if [ "$machine" = microvm ] && [ "$nic" != virtio ]; then die "microvm has no PCI: --nic virtio only"; fi
if [ "$mmio_legacy" -eq 1 ] && [ "$machine" != microvm ]; then die "--mmio-legacy is for --machine microvm"; fi
if [ "$nic" = default ] && [[ $net == tap:* ]]; then die "--nic default is for user networking"; fi
case $accel in auto|kvm|tcg) ;; *) die "--accel must be auto, kvm or tcg" ;; esac
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "--smp must be a positive number"
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"
if [ -n "$kernel" ] && [ -n "$disk" ]; then die "give --kernel or --disk, not both"; fi
if [ -z "$kernel" ] && [ -z "$disk" ]; then die "give --kernel FILE or --disk FILE"; fi
if [ -n "$kernel" ] && [ ! -f "$kernel" ]; then die "no kernel file $kernel"; fi
if [ -n "$disk" ] && [ ! -f "$disk" ]; then die "no disk file $disk"; fi
if [ "$have_append" -eq 1 ] && [ -z "$kernel" ]; then
	die "--append works with --kernel only (a disk image carries its command line)"
fi
if [ -n "$disk" ] && [ -z "$format" ]; then
	case $disk in *.qcow2) format=qcow2 ;; *) format=raw ;; esac
fi
if [ -n "$format" ]; then case $format in raw|qcow2) ;; *) die "--format must be raw or qcow2" ;; esac; fi
if [ "$machine" = microvm ]; then
	# microvm has no BIOS disk boot and no UEFI: its qboot firmware only
	# starts a -kernel.
	[ -n "$kernel" ] || die "microvm boots only --kernel"
	[ "$firmware" = bios ] || die "microvm has no UEFI firmware"
fi
# Network safety: the guest is reached only through 127.0.0.1 forwards.
# The one exception is inside the KVM lane's outer guest (its init sets
# WEFT_KVM_LANE=1; tools/kvm-lane/): there 10.0.2.15 is the outer guest's
# own address on its outer QEMU's private user network, the only way in
# from the host's 127.0.0.1 forward, so an inner forward may bind it.
fwd_addrs='127\.0\.0\.1'
[ "${WEFT_KVM_LANE:-0}" != 1 ] || fwd_addrs='(127\.0\.0\.1|10\.0\.2\.15)'
for f in "${hostfwds[@]+"${hostfwds[@]}"}"; do
	[[ $f =~ ^tcp:$fwd_addrs:[0-9]{1,5}-:[0-9]{1,5}$ ]] ||
		die "--hostfwd must look like tcp:127.0.0.1:HOSTPORT-:GUESTPORT (got $f)"
done
if [ ${#hostfwds[@]} -gt 0 ]; then
	[[ $net != tap:* ]] || die "--hostfwd is for user networking, not --net $net"
	net=user
fi
# Network safety: a tap device only inside a network namespace that a test
# made with `ip netns add` (and will delete), never in the host's own: this
# process must be in a named namespace (`ip netns identify`), and not in
# PID 1's where that can be read (a sandbox may hide it).
if [[ $net == tap:* ]]; then
	ns_name=$(ip netns identify "$$" 2>/dev/null || true)
	[ -n "$ns_name" ] ||
		die "--net $net: refusing a tap device outside a named network namespace; run inside one the test created (ip netns exec NS $me ...)"
	init_ns=$(readlink /proc/1/ns/net 2>/dev/null || true)
	if [ -n "$init_ns" ] && [ "$init_ns" = "$(readlink /proc/self/ns/net)" ]; then
		die "--net $net: namespace $ns_name is the host's own network namespace"
	fi
fi
ovmf=/usr/share/ovmf/OVMF.fd
if [ "$firmware" = uefi ] && [ ! -f "$ovmf" ]; then die "missing $ovmf (install package ovmf)"; fi
command -v qemu-system-x86_64 >/dev/null || die "missing qemu-system-x86_64 (run tools/setup.sh)"

# ---- accelerator ------------------------------------------------------------
tcg_args=(
	# Multi-threaded TCG: one host thread per guest CPU, so -smp N is real
	# parallelism (default for x86 guests on x86 hosts; said explicitly).
	-accel tcg,thread=multi
	# Every feature TCG can emulate (x2APIC, TSC-deadline, NX, 1 GiB pages...),
	# on all three machines.
	-cpu max
)
kvm_args=(-accel kvm -cpu host)

probe_file=$repo/build/.kvm-probe
kvm_probe() { # kvm_probe KERNEL: 0 if KVM boots it cleanly; cached per sha256
	local k=$1 sum verdict out rc pid i
	sum=$(sha256sum "$k" | cut -d' ' -f1)
	verdict=$(awk -v s="$sum" '$1 == s { v = $2 } END { print v }' "$probe_file" 2>/dev/null || true)
	if [ -z "$verdict" ]; then
		out=$(mktemp "${TMPDIR:-/tmp}/weft-kvm-probe.XXXXXX")
		# The same flags as a real run, minus devices the probe does not need.
		timeout -k 2 20 qemu-system-x86_64 -M q35 "${kvm_args[@]}" -m 256M -smp 1 \
			-nodefaults -no-user-config -display none -no-reboot -serial stdio \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
			-kernel "$k" -append test=none </dev/null >"$out" 2>&1 &
		pid=$!
		# A failing KVM usually reports "KVM internal error" at once and then
		# sits there: stop it early instead of waiting out the 20 s.
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			if grep -q 'KVM internal error\|failed to initialize kvm\|Could not access KVM' "$out"; then
				kill "$pid" 2>/dev/null || true
				break
			fi
			sleep 0.1
		done
		rc=0
		wait "$pid" || rc=$?
		if [ "$rc" -eq 1 ] && grep -q '^0 passed, 0 failed' "$out"; then
			verdict=pass
		else
			verdict=fail
		fi
		rm -f "$out"
		mkdir -p "$(dirname "$probe_file")"
		# Keep the last few verdicts; write atomically (parallel runs).
		local tmp
		tmp=$(mktemp "$probe_file.XXXXXX")
		{ tail -n 15 "$probe_file" 2>/dev/null || true; echo "$sum $verdict"; } >"$tmp"
		mv -f "$tmp" "$probe_file"
	fi
	[ "$verdict" = pass ]
}

accel_why=""
if [ "$accel" = auto ]; then
	accel=tcg
	probe_kernel=${kernel:-$repo/build/weft}
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		accel_why="no usable /dev/kvm"
	elif [ ! -f "$probe_kernel" ]; then
		accel_why="no kernel to probe KVM with"
	elif kvm_probe "$probe_kernel"; then
		accel=kvm accel_why="KVM probe passed"
	else
		accel_why="KVM probe failed, see build/.kvm-probe"
	fi
else
	accel_why="asked for"
fi
if [ "$accel" = kvm ]; then accel_args=("${kvm_args[@]}"); else accel_args=("${tcg_args[@]}"); fi

# ---- the command ------------------------------------------------------------
case $machine in
pc) machine_args=(-M pc) ;;       # i440FX + PIIX: the oldest PC, legacy everything
q35) machine_args=(-M q35) ;;     # ICH9 + PCIe: what clouds look like
# microvm: no PCI, no firmware tables beyond ACPI; virtio over MMIO. acpi=on
# so that the guest finds the MADT (all CPUs) and the DSDT's virtio-mmio
# devices (the default "auto" means on for x86, but say it).
# virtio-mmio devices are made modern (version 2; QEMU 7.2 makes them
# legacy, version 1, by default). Weft's transport speaks both, and
# --mmio-legacy leaves QEMU's default.
microvm)
	machine_args=(-M microvm,acpi=on)
	[ "$mmio_legacy" -eq 1 ] || machine_args+=(-global virtio-mmio.force-legacy=false)
	;;
esac

args=(
	qemu-system-x86_64
	"${machine_args[@]}"
	"${accel_args[@]}"
	-m "$mem"
	-smp "$smp"
	# No default devices (VGA, NIC, parallel port, floppy/CD, monitor) and no
	# host config files: the VM has only what is listed here. OVMF and GRUB
	# are happy without a display; their consoles go to the serial port.
	-nodefaults -no-user-config
	-display none
	# A reset or triple fault ends QEMU instead of rebooting in a loop.
	-no-reboot
	# The guest's "exit" device: a write of V to port 0xf4 ends QEMU with
	# status (V << 1) | 1, so 1 = pass, 3 = fail, 5 = panic (0 is QEMU's own
	# clean exit and never a guest verdict).
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
)

if [ "$interactive" -eq 1 ]; then
	# The terminal is COM1 multiplexed with QEMU's monitor (Ctrl-A C); with
	# signal=on (the default) Ctrl-C is SIGINT for QEMU, which stops cleanly
	# and restores the terminal. logfile= copies the console to --log.
	cons=stdio,id=con0,mux=on,signal=on
	[ -z "$log" ] || cons+=",logfile=$log"
	args+=(-chardev "$cons" -serial chardev:con0 -mon chardev=con0,mode=readline)
else
	# COM1 on stdout; the script tees it into --log.
	args+=(-serial stdio)
fi

if [ -n "$kernel" ]; then
	# QEMU's -kernel loads an ELF with a PVH note through its PVH path (on
	# SeaBIOS, OVMF-less pc/q35 and microvm's qboot alike).
	args+=(-kernel "$kernel")
	[ "$have_append" -eq 0 ] || args+=(-append "$append")
fi

if [ -n "$disk" ]; then
	# virtio-blk-pci: both SeaBIOS and OVMF boot from it, and it is what a
	# cloud VM has. (microvm was refused above: qboot boots no disk.)
	if [ "$nic" = default ]; then
		args+=(-drive "file=$disk,format=$format")   # the machine's default: IDE/AHCI
	else
		args+=(-drive "file=$disk,format=$format,if=virtio")
	fi
fi

# UEFI: OVMF as a single flash image loaded with -bios (read-only, no NVRAM
# variables to keep; boots the removable path EFI/BOOT/BOOTX64.EFI).
[ "$firmware" = bios ] || args+=(-bios "$ovmf")

nic_args() { # the NIC on netdev n0: virtio over MMIO on microvm, PCI elsewhere
	if [ "$nic" != virtio ]; then
		args+=(-device "$nic,netdev=n0,romfile=")
	elif [ "$machine" = microvm ]; then
		args+=(-device virtio-net-device,netdev=n0)   # virtio-mmio
	else
		# romfile= (none): the NIC's iPXE option ROM is for booting from the
		# network, which Weft never does; without it QEMU runs where the ROM
		# files are not installed (the KVM lane's outer guest has none).
		args+=(-device virtio-net-pci,netdev=n0,romfile=)
	fi
}
if [ "$net" = user ]; then
	# User networking (slirp): no host setup, no root. restrict=on cuts the
	# guest off from the host and the outside world; only the 127.0.0.1
	# forwards below reach it. --host-loopback (restrict=off) lets the guest
	# send to the host's loopback as 10.0.2.2, for a test's listener.
	netdev=user,id=n0,restrict=$restrict
	for f in "${hostfwds[@]+"${hostfwds[@]}"}"; do netdev+=",hostfwd=$f"; done
	if [ "$nic" = default ]; then
		args+=(-nic "$netdev")   # -nic: the machine's default model, as a user gets it
	else
		args+=(-netdev "$netdev")
		nic_args
	fi
elif [[ $net == tap:* ]]; then
	# An existing tap device (the test made it in its namespace, with
	# `ip tuntap add dev IFNAME mode tap`): no helper scripts, QEMU only
	# attaches to it. vnet_hdr=off makes QEMU compute checksums itself and
	# take offloads away from the guest.
	netdev=tap,id=n0,ifname=${net#tap:},script=no,downscript=no
	[ "$tap_offload" = on ] || netdev+=",vnet_hdr=off"
	args+=(-netdev "$netdev")
	nic_args
else
	args+=(-nic none)
fi

if [ "$gdb" -eq 1 ]; then
	# gdb stub on loopback only (-s would listen on every address); -S holds
	# the CPUs until gdb says continue.
	args+=(-gdb "tcp:127.0.0.1:${WEFT_GDB_PORT:-1234}" -S)
	[ "$have_timeout" -eq 1 ] || timeout=0
	note "gdb: target remote 127.0.0.1:${WEFT_GDB_PORT:-1234} (symbols: $kernel)"
fi

# QMP on a Unix socket (never TCP), for tools that drive this QEMU; it
# does not wait for a client.
[ -z "$qmp" ] || args+=(-qmp "unix:$qmp,server=on,wait=off")

args+=("${extra[@]+"${extra[@]}"}")

if [ -n "$log" ]; then
	mkdir -p "$(dirname "$log")"
	: >"$log"
fi
note "accel $accel ($accel_why), machine $machine, smp $smp"
# WEFT_QEMU_VERBOSE=1 shows the exact command.
[ "${WEFT_QEMU_VERBOSE:-0}" = 0 ] || note "running: ${args[*]}"

# ---- run --------------------------------------------------------------------
if [ "$interactive" -eq 1 ]; then
	for f in "${hostfwds[@]+"${hostfwds[@]}"}"; do
		f=${f#tcp:}
		note "forwarding http://${f%-:*}/ to the guest's port ${f##*-:}"
	done
	note "Ctrl-C (or Ctrl-A X) stops QEMU; Ctrl-A C toggles the monitor"
	# exec: QEMU owns the terminal and gets Ctrl-C's SIGINT directly.
	exec "${args[@]}"
fi

# timeout --foreground: QEMU stays in the terminal's process group (no
# SIGTTOU/SIGTTIN when run from a shell), and is KILLed 5 s after TERM if
# it hangs on the way out. stdin is /dev/null: a test run has no input, and
# a terminal is then never put in raw mode.
if [ "$timeout" -gt 0 ]; then
	runner=(timeout --foreground -k 5 "$timeout")
else
	runner=()
fi
# QEMU's stderr is kept too (in the log, or a scratch file): QEMU's own
# errors exit with status 1, the same as a guest "pass".
errf=$(mktemp "${TMPDIR:-/tmp}/weft-qemu-err.XXXXXX")
trap 'rm -f "$errf"' EXIT
set +e
if [ -n "$log" ]; then
	"${runner[@]+"${runner[@]}"}" "${args[@]}" </dev/null 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	cp "$log" "$errf"
else
	# stdout stays stdout (fd 3); stderr goes through tee.
	{ "${runner[@]+"${runner[@]}"}" "${args[@]}" </dev/null 2>&1 1>&3 3>&- |
		tee "$errf" >&2; } 3>&1
	rc=${PIPESTATUS[0]}
fi
set -e

# A QEMU error message ("qemu-system-x86_64: -foo: invalid option"), as
# opposed to a warning or the note that a signal stopped it.
if [ "$rc" -eq 1 ] && grep -v -e ': warning: ' -e ': terminating on signal' "$errf" |
	grep -q '^qemu-system-x86_64: '; then
	note "QEMU failed (status 1 with an error message, not a guest verdict)"
	exit 4
fi

case $rc in
1) exit 0 ;;
3) exit 1 ;;
5) exit 2 ;;
124 | 137)
	if [ "$timeout" -gt 0 ]; then
		note "TIMEOUT after $timeout s"
		exit 3
	fi
	note "QEMU exited with status $rc"
	exit 4
	;;
*)
	note "QEMU exited with status $rc (not a guest verdict)"
	exit 4
	;;
esac
