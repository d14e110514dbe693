#!/usr/bin/env bash
# build-newlib.sh — build newlib 3.3.0 as the C library of the Weft kernel.
#
# usage: tools/build-newlib.sh [OUTDIR]     (default: build/newlib in the repo)
# output: OUTDIR/include/ (headers), OUTDIR/lib/libc.a, OUTDIR/lib/libm.a
#
# Why these flags and options.  No x86_64-elf cross compiler exists, so the
# host gcc serves as CC_FOR_TARGET for newlib's top-level configure with
# --target=x86_64-elf, and only target-newlib is built (libgloss is deleted
# from the unpacked source: the kernel is the board support).  -nostdinc with
# -idirafter <gcc's include dir> keeps glibc's /usr/include out: newlib's
# headers come first, gcc supplies only stddef.h, stdarg.h, float.h and the
# like.  The code runs inside the kernel, so it is compiled like it:
# -ffreestanding; -fno-pic -fno-pie (image linked at 1 MiB, -mcmodel=small);
# -mno-red-zone (interrupts push onto the running stack); -fno-stack-protector
# (no TLS canary); -fno-omit-frame-pointer (panic backtraces walk %rbp); -O2
# -g.  SSE stays enabled in newlib (the kernel itself is -mgeneral-regs-only).
# -D__DYNAMIC_REENT__ turns every _REENT into a call to __getreent(), which the
# kernel implements to return the running task's struct _reent (errno, strtok,
# stdio state...); -DGETREENT_PROVIDED drops newlib's fallback __getreent, so
# forgetting it is a link error rather than a silently shared errno; and the
# installed newlib.h defines __DYNAMIC_REENT__ so that code built against these
# headers agrees with the library.  -DMALLOC_ALIGNMENT=16: malloc returns ABI
# (SSE) alignment.  --disable-newlib-supplied-syscalls: the kernel provides the
# syscalls that newlib's _write_r, _sbrk_r... wrappers call; for a target this
# generic newlib would name them write, sbrk..., and -UMISSING_SYSCALL_NAMES
# keeps the reserved names _write, _read, _sbrk, _close, _fstat, _lseek,
# _isatty, _kill, _getpid (plus _exit) so they cannot collide with program
# symbols.  --enable-newlib-retargetable-locking: malloc, stdio, atexit, env
# and tz lock through the kernel's __retarget_lock_* routines and static
# __lock___*_mutex objects (the kernel must define all of them, else the dummy
# lock.o in libc.a is linked and collides).  --enable-newlib-global-stdio-
# streams: stdin/stdout/stderr are three global FILEs shared by all tasks, not
# per-reent copies.  --enable-newlib-io-long-long, -io-c99-formats: %lld, %zu,
# %jd, %hhd in printf/scanf.  --disable-multilib: one flavour.  --disable-nls:
# no message catalogues.  -Wa,--noexecstack marks the .S objects (memcpy,
# memset, setjmp) so ld does not warn about an executable stack.  A stamp in
# OUTDIR records flags, options, compiler and tarball checksum; while it
# matches, the build is skipped.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build/newlib}
case $out in /*) ;; *) out=$repo/$out ;; esac
bdir=$out-build
log=$bdir.log
tarball=/usr/src/newlib/newlib-3.3.0.tar.xz
stamp=$out/.stamp

cflags='-O2 -g -ffreestanding -fno-pic -fno-pie -mno-red-zone'
cflags+=' -fno-stack-protector -fno-omit-frame-pointer'
cflags+=' -D__DYNAMIC_REENT__ -DGETREENT_PROVIDED -DMALLOC_ALIGNMENT=16'
cflags+=' -UMISSING_SYSCALL_NAMES -Wa,--noexecstack'
cc="gcc -nostdinc -idirafter $(gcc -print-file-name=include)"
opts=(
	--target=x86_64-elf
	--disable-multilib
	--disable-nls
	--disable-newlib-supplied-syscalls
	--enable-newlib-retargetable-locking
	--enable-newlib-global-stdio-streams
	--enable-newlib-io-long-long
	--enable-newlib-io-c99-formats
)

if [ ! -f "$tarball" ]; then
	echo "newlib: $tarball missing, installing newlib-source"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	apt() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"; }
	apt install newlib-source >/dev/null ||
		{ apt update >/dev/null && apt install newlib-source >/dev/null; } ||
		{ echo "newlib: cannot install newlib-source" >&2; exit 1; }
	[ -f "$tarball" ] || { echo "newlib: $tarball still missing" >&2; exit 1; }
fi

# Bump the first line when the post-install steps below change.
want="weft-newlib-stamp 1
tarball: $(sha256sum "$tarball" | cut -d' ' -f1)
compiler: $(gcc --version | head -1)
CC_FOR_TARGET: $cc
CFLAGS_FOR_TARGET: $cflags
configure: ${opts[*]}"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -f "$out/lib/libc.a" ] && [ -f "$out/lib/libm.a" ] &&
   [ -f "$out/include/newlib.h" ]; then
	echo "newlib: up to date in ${out#"$repo"/}"
	exit 0
fi

fail() {
	echo "newlib: FAILED: $*" >&2
	if [ -f "$log" ]; then
		echo "--- last lines of $log ---" >&2
		tail -n 30 "$log" >&2
		echo "--- first errors ---" >&2
		grep -m 5 -E 'error:|Error [0-9]' "$log" >&2 || true
	fi
	exit 1
}

echo "newlib: building 3.3.0 into ${out#"$repo"/} (log: ${log#"$repo"/})"
start=$(date +%s)
rm -rf "$out" "$bdir" "$log"
mkdir -p "$bdir/src" "$bdir/obj" "$out/lib"

tar -xJf "$tarball" -C "$bdir/src" --strip-components=1 ||
	fail "cannot unpack $tarball"
rm -rf "$bdir/src/libgloss"

# set -e does not reach into a subshell tested by ||, hence the &&s.
(
	cd "$bdir/obj" &&
	../src/configure "${opts[@]}" --prefix="$bdir/install" \
		CC_FOR_TARGET="$cc" CFLAGS_FOR_TARGET="$cflags" \
		AS_FOR_TARGET=as AR_FOR_TARGET=ar RANLIB_FOR_TARGET=ranlib \
		NM_FOR_TARGET=nm OBJDUMP_FOR_TARGET=objdump \
		LD_FOR_TARGET=ld STRIP_FOR_TARGET=strip &&
	make -j2 all-target-newlib &&
	make install-target-newlib
) >"$log" 2>&1 || fail "configure/make"

inst=$bdir/install/x86_64-elf
for f in lib/libc.a lib/libm.a include/newlib.h; do
	[ -f "$inst/$f" ] || fail "install tree lacks $f"
done
cp -a "$inst/include" "$out/include"
cp "$inst/lib/libc.a" "$inst/lib/libm.a" "$out/lib/"
cat >>"$out/include/newlib.h" <<'EOF'

/* Weft: libc.a was built with -D__DYNAMIC_REENT__; code that includes these
   headers must agree, so that _REENT, errno and stdio reach the running
   task's struct _reent through the kernel's __getreent(). */
#ifndef __DYNAMIC_REENT__
#define __DYNAMIC_REENT__
#endif
EOF

# The library must be what the kernel glue expects: per-task reent through
# __getreent, locks through __retarget_lock_*, and the usual entry points.
syms=$(nm "$out/lib/libc.a" 2>/dev/null) || fail "nm libc.a"
has() { grep -Eq "^ *[0-9a-f]* *$1 $2\$" <<<"$syms"; }
has U __getreent || fail "__getreent not referenced (no __DYNAMIC_REENT__?)"
if has T __getreent; then
	fail "libc.a defines __getreent (GETREENT_PROVIDED lost)"
fi
has U _write || fail "_write not referenced (MISSING_SYSCALL_NAMES?)"
has U __retarget_lock_acquire_recursive ||
	fail "__retarget_lock_acquire_recursive not referenced"
for f in malloc free printf vsnprintf strtoul memcpy; do
	has T "$f" || fail "libc.a lacks $f"
done
msyms=$(nm "$out/lib/libm.a" 2>/dev/null) || fail "nm libm.a"
grep -Eq ' T sqrt$' <<<"$msyms" || fail "libm.a lacks sqrt"

printf '%s\n' "$want" >"$stamp"
mv "$log" "$out/build.log"
rm -rf "$bdir"
echo "newlib: done in $(( $(date +%s) - start ))s"
