#!/usr/bin/env bash
# bench/linux/run.sh — boot the Linux peer (bench/linux/build.sh) through
# tools/qemu.sh, so that it gets exactly the machine, accelerator and NIC
# flags a Weft guest gets with the same options.
#
# usage: bench/linux/run.sh ROLE [tools/qemu.sh options...] [-- extra QEMU args]
#   ROLE               echo (TCP port 7), nginx, gohttp or nginx-proxy (port
#                      80; nginx-proxy needs --append weft.upstream=ADDR:PORT),
#                      nginx-tls (HTTPS: 443 ECDSA, 4443 RSA)
#   --append "ARGS"    added to the peer's command line, e.g.
#                      "weft.ip=10.0.0.2/24 weft.gw=10.0.0.1" (static address;
#                      without weft.ip the peer asks for one with DHCP, which
#                      is what user networking wants)
#   --boot pvh|bzimage pvh (default, or $LINUX_PEER_BOOT): QEMU loads vmlinux,
#                      the ELF inside Debian's vmlinuz, and enters it through
#                      its PVH note, as it enters Weft; bzimage: QEMU loads
#                      vmlinuz itself, which first decompresses the kernel
#                      (xz; about 3.5 s more under TCG)
#   anything else      passed to tools/qemu.sh as it is: --machine, --smp,
#                      --mem, --net, --hostfwd, --log, --accel, --timeout...
#                      (--kernel is the peer's own and cannot be given)
#
# The peer's command line is "console=ttyS0 quiet panic=-1 weft.role=ROLE"
# plus --append. It needs build/bench/linux/{vmlinux,vmlinuz,initramfs.cpio.gz}
# (run build.sh first; this script does not build).
#
# Accelerator: give --accel (or WEFT_ACCEL=kvm|tcg) the value the Weft guest
# of the same benchmark run got. When neither says, auto here means the
# accelerator tools/qemu.sh chooses for build/weft (found with one short
# test=none boot of it; the KVM verdict is cached): tools/qemu.sh's own auto
# would probe KVM by booting this Linux kernel, which never prints Weft's
# "0 passed, 0 failed", so it would always fall back to TCG. Without
# build/weft it is tcg. Debian's kernel does not run under a PVM /dev/kvm.
#
# Timeout: 300 s unless --timeout says otherwise (tools/qemu.sh kills QEMU
# then). The peer never exits by itself.
#
# How a benchmark uses it (the guest runs until it is stopped):
#   setsid bench/linux/run.sh nginx --smp 1 --accel "$accel" \
#       --hostfwd tcp:127.0.0.1:$port-:80 --log "$log" >/dev/null 2>&1 &
#   pid=$!
#   # wait, bounded, for the console line
#   #   linux-peer: ready ROLE IP
#   # (or "linux-peer: failed ROLE: WHY", after which the guest powers off)
#   ... measure against 127.0.0.1:$port (or IP, over a tap in a netns) ...
#   kill -TERM -- -"$pid"      # the whole process group: this script execs
#                              # tools/qemu.sh, which is itself several
#                              # processes (bash, timeout, qemu, tee)
# Over a tap device: `ip netns exec NS setsid bench/linux/run.sh ROLE
# --net tap:TAP --append "weft.ip=ADDR/PREFIX" ...` (tools/qemu.sh refuses a
# tap outside a named namespace).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$repo/build/bench/linux
me=linux-peer/run.sh
die() { echo "$me: $*" >&2; exit 4; }

[ $# -ge 1 ] || die "usage: $0 echo|nginx|gohttp|nginx-proxy|nginx-tls [tools/qemu.sh options...] [-- QEMU args]"
role=$1
shift
case $role in echo | nginx | gohttp | nginx-proxy | nginx-tls) ;; *) die "ROLE must be echo, nginx, gohttp, nginx-proxy or nginx-tls (got $role)" ;; esac
[ -f "$out/initramfs.cpio.gz" ] || die "no $out/initramfs.cpio.gz: run bench/linux/build.sh"

append="console=ttyS0 quiet panic=-1 weft.role=$role"
opts=() extra=() have_accel=0 have_timeout=0 boot=${LINUX_PEER_BOOT:-pvh}
while [ $# -gt 0 ]; do
	case $1 in
	--boot) [ $# -ge 2 ] || die "--boot needs an argument"; boot=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || die "--append needs an argument"; append+=" $2"; shift 2 ;;
	--kernel | --disk) die "$1: the peer boots its own kernel" ;;
	--accel) have_accel=1; opts+=("$1" "${2:-}"); shift; [ $# -eq 0 ] || shift ;;
	--timeout) have_timeout=1; opts+=("$1" "${2:-}"); shift; [ $# -eq 0 ] || shift ;;
	--) shift; extra=("$@"); break ;;
	*) opts+=("$1"); shift ;;
	esac
done

if [ "$have_accel" -eq 0 ]; then
	case ${WEFT_ACCEL:-auto} in
	kvm | tcg) accel=$WEFT_ACCEL ;;
	*)
		accel=tcg
		if [ -f "$repo/build/weft" ]; then
			a=$("$repo/tools/qemu.sh" --machine q35 --timeout 60 --kernel "$repo/build/weft" \
				--append test=none 2>&1 >/dev/null </dev/null |
				sed -n 's/^qemu.sh: accel \([a-z]*\).*/\1/p' | head -n 1 || true)
			[ -z "$a" ] || accel=$a
		fi
		;;
	esac
	opts+=(--accel "$accel")
fi
[ "$have_timeout" -eq 1 ] || opts+=(--timeout 300)
case $boot in
pvh) kernel=$out/vmlinux ;;
bzimage) kernel=$out/vmlinuz ;;
*) die "--boot must be pvh or bzimage" ;;
esac
[ -f "$kernel" ] || die "no $kernel: run bench/linux/build.sh"

exec "$repo/tools/qemu.sh" "${opts[@]}" --kernel "$kernel" --append "$append" \
	-- -initrd "$out/initramfs.cpio.gz" "${extra[@]+"${extra[@]}"}"
