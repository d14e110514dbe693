#!/usr/bin/env bash
# tools/deb-src.sh PACKAGE — make `apt-get source PACKAGE` work: when apt
# knows no source package of that name (a Debian install often has only
# `deb` entries), write /etc/apt/sources.list.d/weft-deb-src.sources with the
# Debian `deb` entries again, as `deb-src` (third-party repositories are not
# mirrored), and update apt's index. Exits 0 when the source package can be
# fetched, 1 (with a message) when not. Needs root only to add the entries.
# Used by tools/setup.sh (lwIP) and tools/insn/build.sh (QEMU's plugin
# header).
set -euo pipefail
me=deb-src.sh
say() { echo "$me: $*" >&2; }
die() { echo "$me: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 PACKAGE"
pkg=$1
apt-get source --print-uris "$pkg" >/dev/null 2>&1 && exit 0
[ "$(id -u)" -eq 0 ] || die "apt has no deb-src entry for $pkg; run as root to add Debian's"

out=/etc/apt/sources.list.d/weft-deb-src.sources
d822=/etc/apt/sources.list.d/debian.sources
if [ -f "$d822" ]; then
	# deb822: copy each stanza whose Types include deb, with Types replaced.
	awk 'BEGIN { RS = ""; ORS = "\n\n" }
	     {
	       n = split($0, L, "\n"); keep = 0; s = ""
	       for (i = 1; i <= n; i++) {
	         if (L[i] ~ /^Types:/) {
	           if (L[i] ~ /[ \t]deb([ \t]|$)/) keep = 1
	           L[i] = "Types: deb-src"
	         }
	         s = s L[i] (i < n ? "\n" : "")
	       }
	       if (keep) print s
	     }' "$d822" >"$out.tmp"
elif [ -f /etc/apt/sources.list ]; then
	# One-line format: each "deb [opts] URI SUITE COMPONENTS..." line of a
	# Debian archive becomes a stanza.
	awk '$1 == "deb" && $0 ~ /debian/ {
	       i = 2; signed = ""
	       if ($2 ~ /^\[/) {
	         for (; i <= NF; i++) {
	           if ($i ~ /^\[?signed-by=/) { signed = $i; sub(/^\[?signed-by=/, "", signed); sub(/\]$/, "", signed) }
	           if ($i ~ /\]$/) { i++; break }
	         }
	       }
	       printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i + 1)
	       for (j = i + 2; j <= NF; j++) printf " %s", $j
	       printf "\n"
	       if (signed != "") printf "Signed-By: %s\n", signed
	       printf "\n"
	     }' /etc/apt/sources.list >"$out.tmp"
else
	die "no Debian apt sources found to mirror as deb-src"
fi
[ -s "$out.tmp" ] || { rm -f "$out.tmp"; die "no Debian deb entries found to mirror as deb-src"; }
mv "$out.tmp" "$out"
say "added deb-src entries in $out"
# A failed index download (e.g. an unreachable third-party repository)
# should not stop us: the check below says if the package is missing.
DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 ||
	say "apt-get update reported errors (continuing)"
apt-get source --print-uris "$pkg" >/dev/null 2>&1 ||
	die "apt-get source cannot find $pkg even with deb-src entries"
