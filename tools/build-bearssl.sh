#!/usr/bin/env bash
# build-bearssl.sh — build BearSSL 0.6, Weft's TLS library (docs/DESIGN.md says
# why this one), from Debian's source package.
#
# usage: tools/build-bearssl.sh FLAVOUR [OUTDIR]
#   FLAVOUR  kernel  for the appliance: the kernel's ABI, newlib's headers
#            host    plain gcc -O1 -g, for host unit tests (any sanitizer in
#                    the test's own code links against it)
#            fuzz    clang with libFuzzer's coverage, ASan and UBSan, so the
#                    fuzzer sees and checks BearSSL's own code paths
#   OUTDIR   default build/bearssl/FLAVOUR; gets lib/libbearssl.a and
#            include/ (bearssl*.h) — the only paths the build uses
#
# The source is `apt-get source bearssl`, which tools/setup.sh unpacks into
# build/deps/bearssl (nothing of it is committed). BearSSL's own makefiles
# are not used: every src/**/*.c is compiled here with our flags, two at a
# time, into one archive. A stamp records flags (the checkout's own path
# written as `.`, so a copy made for another worktree is reused), compiler
# and the source's checksum; while it matches, nothing is rebuilt.
#
# The kernel flavour.  BearSSL needs nothing from a C library but memcpy,
# memmove, memset, memcmp and strlen (newlib's), and it never allocates:
# every context lives in memory the caller gives it.  Its configuration
# (src/config.h, set here with -D) turns off everything that would reach for
# an operating system: BR_USE_URANDOM=0, BR_USE_GETENTROPY=0 (no /dev/urandom,
# no getentropy: the kernel's entropy source seeds every engine explicitly),
# BR_RDRAND=0 (BearSSL's own RDRAND seeder is not used either; kernel/entropy.c
# owns RDRAND/RDSEED and mixes them with virtio-rng), BR_USE_UNIX_TIME=0 (no
# time(): the server validates no certificates; a client caller would set
# the time on its X.509 engine).  It is compiled like newlib, not like our
# kernel code: -mno-red-zone (interrupts push onto the running stack),
# -fno-pic -fno-pie, -fno-stack-protector, frame pointers for backtraces,
# newlib's headers before gcc's — but WITHOUT -mgeneral-regs-only, and with
# BR_AES_X86NI=1 and BR_SSE2=1: BearSSL selects AES-NI/PCLMULQDQ (AES-GCM),
# SSE2 (ChaCha20) per function with target attributes and only after CPUID
# says the CPU has them.  That is safe in Weft because vector state is never
# lost: a voluntary task switch is a function call (the SysV ABI makes every
# XMM register caller-saved), a preemptive switch saves and restores the
# whole x87/SSE state with fxsave/fxrstor (runtime/sched.c, sched_preempt_check),
# and interrupt handlers are kernel code built -mgeneral-regs-only, so they
# never touch an XMM register of the task they interrupt.  Nothing here may
# use AVX: CR4.OSXSAVE stays off (AVX would fault) and fxsave saves no YMM
# state; the baseline x86-64 target (SSE2) and BearSSL's target("sse2,
# ssse3,sse4.1,aes,pclmul") stay below that.  -O2 without -ffreestanding, so
# gcc may inline the many small fixed-size memcpy calls of the record layer.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
flavour=${1:-}
src=$repo/build/deps/bearssl
out=${2:-$repo/build/bearssl/$flavour}
case $out in /*) ;; *) out=$repo/$out ;; esac

newlib=$repo/build/newlib
config='-DBR_USE_URANDOM=0 -DBR_USE_GETENTROPY=0 -DBR_RDRAND=0'
config+=' -DBR_USE_UNIX_TIME=0 -DBR_USE_WIN32_RAND=0 -DBR_USE_WIN32_TIME=0'
config+=' -DBR_64=1 -DBR_AES_X86NI=1 -DBR_SSE2=1'
case $flavour in
kernel)
	cc=gcc
	cflags="-std=gnu99 -O2 -g -fno-pic -fno-pie -mno-red-zone"
	cflags+=" -fno-stack-protector -fno-omit-frame-pointer"
	cflags+=" -fno-asynchronous-unwind-tables -fcf-protection=none"
	cflags+=" -nostdinc -isystem $newlib/include -isystem $(gcc -print-file-name=include)"
	cflags+=" -D__DYNAMIC_REENT__"
	;;
host)
	cc=gcc
	cflags="-std=gnu99 -O1 -g -fno-omit-frame-pointer"
	;;
fuzz)
	cc=clang
	cflags="-std=gnu99 -O1 -g -fno-omit-frame-pointer"
	cflags+=" -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
	;;
*)
	echo "usage: $0 kernel|host|fuzz [OUTDIR]" >&2
	exit 2
	;;
esac
cflags+=" $config"

say() { echo "bearssl: $*"; }
die() { echo "bearssl: $*" >&2; exit 1; }

if [ ! -f "$src/src/ssl/ssl_engine.c" ] || [ ! -f "$src/inc/bearssl.h" ]; then
	die "source missing in ${src#"$repo"/} (run tools/setup.sh)"
fi
if [ "$flavour" = kernel ] && [ ! -f "$newlib/include/newlib.h" ]; then
	die "newlib headers missing in ${newlib#"$repo"/} (make newlib)"
fi

sum=$(cd "$src" && find src inc -type f -name '*.[ch]' -print0 | sort -z |
	xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
want="weft-bearssl-stamp 1
flavour: $flavour
source: $sum
compiler: $($cc --version | head -1)
cflags: ${cflags//"$repo"/.}"
stamp=$out/.stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$out/lib/libbearssl.a" ]; then
	exit 0
fi

say "building $flavour into ${out#"$repo"/}"
start=$(date +%s)
rm -rf "$out"
mkdir -p "$out/obj" "$out/lib" "$out/include"
log=$out/build.log

# One object per source, named by its path (BearSSL's names are unique,
# but the path keeps that from mattering).
export cc cflags src out
# shellcheck disable=SC2016 # expanded by the inner sh, from the exports
if ! (cd "$src" && find src -name '*.c' | sort) |
	xargs -P 2 -I{} sh -c \
		'o="$out/obj/$(echo "{}" | tr / _).o"; $cc $cflags -I"$src/inc" -I"$src/src" -c "$src/{}" -o "$o" || exit 255' \
		>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "compile failed (log: ${log#"$repo"/})"
fi
ar rcs "$out/lib/libbearssl.a" "$out"/obj/*.o || die "ar failed"
cp "$src"/inc/*.h "$out/include/"
rm -rf "$out/obj"

# What the kernel flavour may need from outside: newlib's string functions
# and nothing else (no time, no file, no allocation).
if [ "$flavour" = kernel ]; then
	undef=$(nm -u "$out/lib/libbearssl.a" | awk 'NF == 2 { print $2 }' | sort -u)
	defined=$(nm --defined-only "$out/lib/libbearssl.a" | awk 'NF == 3 { print $3 }' | sort -u)
	extra=$(comm -23 <(echo "$undef") <(echo "$defined") |
		grep -vxE 'memcpy|memmove|memset|memcmp|strlen' || true)
	[ -z "$extra" ] || die "kernel flavour needs unexpected symbols: $(tr '\n' ' ' <<<"$extra")"
fi

printf '%s\n' "$want" >"$stamp"
say "$flavour done in $(( $(date +%s) - start ))s ($(du -k "$out/lib/libbearssl.a" | cut -f1) KiB archive)"
