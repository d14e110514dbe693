#!/usr/bin/env bash
# tools/insn/build.sh — build the instruction-count plugin (tools/insn/insn.c)
# for the QEMU installed here, and check that QEMU loads it.
#
# usage: tools/insn/build.sh [OUTDIR]      (default build/insn)
# prints the plugin's path (OUTDIR/libinsn.so) on stdout; idempotent, and
# quick when nothing changed.
#
# The header. Debian's QEMU is built with plugin support but ships no
# qemu-plugin.h, so it is taken from Debian's qemu source package of the
# installed version: `apt-get source --download-only qemu=VERSION` (deb-src
# entries added by tools/deb-src.sh when there are none), then only
# include/qemu/qemu-plugin.h is extracted from the upstream tarball, with
# the hunks of any Debian patch (debian/patches/series) that touch it
# applied. The archives are deleted; the header is cached in
# build/qemu-plugin/VERSION/ (a QEMU upgrade fetches its own).
#
# The check, each time the plugin is built: loaded into qemu-x86_64, it must
# count tools/insn/spin.c's loops exactly: one thread running 2,000,000
# more instructions must add exactly that; four threads (the per-vCPU
# counters, as under -smp 4) running 8,000,000 more, that to within 0.01%
# (thread start and join vary by a few instructions). qemu-system-x86_64
# loads the same file; QEMU refuses a plugin built for another plugin API.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo/build/insn}
me=insn/build.sh
die() { echo "$me: $*" >&2; exit 1; }
note() { echo "$me: $*" >&2; }

command -v qemu-system-x86_64 >/dev/null || die "no qemu-system-x86_64 (run tools/setup.sh)"
ver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed (run tools/setup.sh)"
hdir=$repo/build/qemu-plugin/${ver//:/_}
hdr=$hdir/qemu-plugin.h

# diff_sections PATH <PATCH: the sections of a unified diff (git or plain)
# that change PATH: a "--- " line is a file header only when "+++ " follows.
diff_sections() {
	awk -v path="$1" '
	function is_ours(l) { return index(l, "/" path) || index(l, " " path) }
	/^(diff |Index: )/ { keep = 0; next }
	/^--- / {
		if ((getline nxt) <= 0) { if (keep) print; next }
		if (nxt ~ /^\+\+\+ /) { keep = is_ours(nxt); if (keep) { print; print nxt }; next }
		if (keep) { print; print nxt }
		next
	}
	keep'
}

fetch_header() {
	"$repo/tools/deb-src.sh" qemu || die "no source package for qemu"
	local tmp
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-qemu-src.XXXXXX")
	# shellcheck disable=SC2064 # expand now: tmp is local
	trap "rm -rf '$tmp'" EXIT
	note "fetching qemu $ver's source package for qemu-plugin.h (about 24 MB, kept only the header)"
	(cd "$tmp" && apt-get source -q --download-only "qemu=$ver" >apt.log 2>&1) ||
		(cd "$tmp" && apt-get source -q --download-only qemu >apt.log 2>&1) ||
		die "apt-get source --download-only qemu failed: $(tail -n 3 "$tmp/apt.log")"
	local orig deb
	orig=$(find "$tmp" -maxdepth 1 -name 'qemu_*.orig.tar.*' | head -n 1)
	deb=$(find "$tmp" -maxdepth 1 -name 'qemu_*.debian.tar.*' | head -n 1)
	[ -n "$orig" ] || die "no upstream tarball among $(ls "$tmp")"
	tar -xf "$orig" -C "$tmp" --wildcards --no-anchored 'include/qemu/qemu-plugin.h' ||
		die "$orig has no include/qemu/qemu-plugin.h"
	local h
	h=$(find "$tmp" -path '*/include/qemu/qemu-plugin.h' | head -n 1)
	[ -n "$h" ] || die "qemu-plugin.h not extracted"
	if [ -n "$deb" ]; then
		tar -xf "$deb" -C "$tmp" debian/patches
		local p
		while read -r p _; do
			case $p in '' | '#'*) continue ;; esac
			[ -f "$tmp/debian/patches/$p" ] || continue
			diff_sections include/qemu/qemu-plugin.h <"$tmp/debian/patches/$p" >"$tmp/one.diff"
			grep -q '^@@' "$tmp/one.diff" || continue
			note "applying Debian's $p to qemu-plugin.h"
			patch -s "$h" <"$tmp/one.diff" || die "debian/patches/$p does not apply to qemu-plugin.h"
		done <"$tmp/debian/patches/series"
	fi
	mkdir -p "$hdir"
	cp "$h" "$hdr.tmp"
	mv "$hdr.tmp" "$hdr"
	rm -rf "$tmp"
	trap - EXIT
}

[ -f "$hdr" ] || fetch_header
grep -q 'QEMU_PLUGIN_VERSION' "$hdr" || die "$hdr is not QEMU's plugin header"

# count SO THREADS ITERS: the plugin's total for one run of spin
count() {
	local f n
	f=$(mktemp "${TMPDIR:-/tmp}/weft-insn-check.XXXXXX")
	qemu-x86_64 -plugin "$1,out=$f" "$out/spin" "$2" "$3" 2>"$f.err" ||
		note "qemu-x86_64 with the plugin failed: $(head -n 3 "$f.err")"
	n=$(sed -n 's/^exit \([0-9]*\)$/\1/p' "$f")
	rm -f "$f" "$f.err"
	echo "${n:-0}"
}

check_counts() {
	local a b c d
	a=$(count "$1" 1 1000000) b=$(count "$1" 1 2000000)
	c=$(count "$1" 4 1000000) d=$(count "$1" 4 2000000)
	if [ "$a" -eq 0 ] || [ $((b - a)) -ne 2000000 ]; then
		note "check failed: 1 thread, 2,000,000 more instructions counted as $((b - a))"
		return 1
	fi
	local e=$((d - c - 8000000))
	if [ "${e#-}" -gt 800 ]; then
		note "check failed: 4 threads, 8,000,000 more instructions counted as $((d - c))"
		return 1
	fi
}

so=$out/libinsn.so
src=$repo/tools/insn/insn.c
mkdir -p "$out"
if [ ! -f "$so" ] || [ "$src" -nt "$so" ] || [ "$hdr" -nt "$so" ] || [ "$0" -nt "$so" ] ||
	[ "$repo/tools/insn/spin.c" -nt "$so" ]; then
	gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared \
		-fvisibility=hidden -pthread -I"$hdir" -o "$so.tmp" "$src" ||
		die "compiling $src failed"
	gcc -O2 -static -pthread -o "$out/spin" "$repo/tools/insn/spin.c" ||
		die "compiling tools/insn/spin.c failed"
	check_counts "$so.tmp" || { rm -f "$so.tmp"; exit 1; }
	mv "$so.tmp" "$so"
fi
echo "$so"
