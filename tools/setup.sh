#!/usr/bin/env bash
# tools/setup.sh — install what building and testing Weft needs.
#
# usage: tools/setup.sh            (make run / make test call it first)
#
# Idempotent, and fast (well under 2 s) when everything is present: the
# package check is one dpkg-query call (apt itself is slow to start), lwIP is
# only fetched when its source tree is missing, and tools/build-newlib.sh
# skips its build while its stamp matches. Steps, one line of output each:
#   1. Debian packages: install the missing ones with apt-get (one update
#      first); --no-install-recommends keeps the set to what is named here.
#   2. lwIP 2.1.3 source: `apt-get source lwip` into build/deps, linked as
#      build/deps/lwip. apt-get source needs deb-src entries; when there are
#      none, tools/deb-src.sh adds a weft-deb-src.sources file mirroring the
#      Debian `deb` entries (third-party repositories are not mirrored).
#   3. BearSSL 0.6 source: `apt-get source bearssl`, linked as build/deps/bearssl
#      (the same way).
#   4. newlib 3.3.0 built for the kernel (tools/build-newlib.sh, cached).
#   5. BearSSL built three ways: for the kernel, the host tests and the fuzz
#      targets (tools/build-bearssl.sh, cached).
# Needs root to install anything; without root it names what is missing and
# exits 1.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

say() { echo "setup: $*"; }
die() { echo "setup: $*" >&2; exit 1; }

# What each package is for (see docs/DESIGN.md, "Dependencies"):
packages=(
	build-essential             # gcc, make, binutils
	qemu-system-x86 qemu-utils  # run and test; qemu-img for images
	grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools fdisk  # disk images
	ovmf                        # UEFI firmware for boot tests
	newlib-source               # the kernel's C library, built by build-newlib.sh
	dpkg-dev                    # dpkg-source, which apt-get source unpacks with
	python3                     # small helpers (free port probe, tools/forward.py)
	gdb                         # make debug, tools/gdb/weft.py, e2e.gdb
	openssl                     # TLS: the generated localhost certificate (net/tls.mk), e2e s_client
	testssl.sh                  # e2e.https: protocols, ciphers and vulnerabilities, parsed
	curl wrk apache2-utils nghttp2-client   # real clients for end-to-end tests
	clang                       # fuzz targets (libFuzzer)
	check pkg-config            # lwIP's own unit suite (tests/lwip/run.sh): libcheck, its flags
	libclang-rt-14-dev          # libFuzzer's runtime (only a Recommends of clang)
	qemu-user                   # bench: Go's runtime under the same TCG as the guest
	iproute2 dnsmasq-base       # tap devices in a test network namespace
	iputils-ping                # e2e: ping the guest over a tap
	hping3                      # e2e.netns.synflood, make bench-synflood: a SYN flood inside the namespace
	bind9-dnsutils              # e2e: dig against app=dns
	golang-go                   # the Go peer for benchmarks
	gnuplot-nox                 # benchmark plots
	shellcheck yamllint python3-yaml golang-github-hashicorp-hcl-v2-dev  # docs/deploy checks
	chromium python3-websocket  # e2e: /status in a headless browser (DevTools protocol)
)

is_root() { [ "$(id -u)" -eq 0 ]; }
apt_updated=0
apt_update() {
	[ "$apt_updated" -eq 1 ] && return 0
	# A failed index download (e.g. an unreachable third-party repository)
	# should not stop us: the install below says if a package is missing.
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 ||
		say "apt-get update reported errors (continuing)"
	apt_updated=1
}

# ---- 1. packages ------------------------------------------------------------
missing=()
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)
for p in "${packages[@]}"; do
	grep -qx "$p install ok installed" <<<"$installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	say "packages: all ${#packages[@]} present"
else
	is_root || die "missing packages: ${missing[*]} (run tools/setup.sh as root, or apt-get install them)"
	say "packages: installing ${missing[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null || die "apt-get install failed: ${missing[*]}"
fi

# ---- 2. lwIP source ---------------------------------------------------------
deps=build/deps
lwip=$deps/lwip
lwip_version() { # prints MAJOR.MINOR.REVISION from init.h
	local h=$1/src/include/lwip/init.h
	[ -f "$h" ] || return 1
	awk '$1 == "#define" && $2 == "LWIP_VERSION_MAJOR"    { ma = $3 }
	     $1 == "#define" && $2 == "LWIP_VERSION_MINOR"    { mi = $3 }
	     $1 == "#define" && $2 == "LWIP_VERSION_REVISION" { re = $3 }
	     END { gsub(/[^0-9]/, "", ma); gsub(/[^0-9]/, "", mi); gsub(/[^0-9]/, "", re)
	           print ma "." mi "." re }' "$h"
}

# fetch_source PKG DIRGLOB LINK FILE: `apt-get source PKG` into LINK-src,
# with LINK a symlink to the unpacked DIRGLOB directory; only when LINK/FILE
# is missing.
fetch_source() {
	local pkg=$1 glob=$2 link=$3 file=$4 dir
	[ -f "$link/$file" ] && return 0
	is_root || die "missing $pkg source in $link (run tools/setup.sh as root)"
	mkdir -p "$deps"
	"$repo/tools/deb-src.sh" "$pkg" || exit 1
	say "$pkg: fetching with apt-get source"
	rm -rf "$link-src"
	mkdir -p "$link-src"
	(cd "$link-src" && apt-get source -q "$pkg" >apt-source.log 2>&1) ||
		die "apt-get source $pkg failed (see $link-src/apt-source.log)"
	dir=$(find "$link-src" -mindepth 1 -maxdepth 1 -type d -name "$glob" | head -n 1)
	[ -n "$dir" ] || die "apt-get source $pkg unpacked no $glob directory"
	rm -rf "$link"
	ln -s "$(basename "$link")-src/$(basename "$dir")" "$link"
	[ -f "$link/$file" ] || die "$dir has no $file"
}

fetch_source lwip 'lwip-2.1.3*' "$lwip" src/core/tcp.c
v=$(lwip_version "$lwip") || die "$lwip has no src/include/lwip/init.h"
[ "$v" = 2.1.3 ] || die "$lwip is lwIP $v, want 2.1.3"
say "lwip: $v in $lwip"

# ---- 3. BearSSL source ------------------------------------------------------
bearssl=$deps/bearssl
fetch_source bearssl 'bearssl-0.6*' "$bearssl" src/ssl/ssl_engine.c
head -n 1 "$bearssl/debian/changelog" 2>/dev/null | grep -q '^bearssl (0\.6' ||
	die "$bearssl is not BearSSL 0.6 (see its debian/changelog)"
say "bearssl: 0.6 in $bearssl"

# ---- 4. newlib --------------------------------------------------------------
tools/build-newlib.sh build/newlib

# ---- 5. BearSSL for the kernel, the host tests and the fuzz targets ----------
for f in kernel host fuzz; do
	tools/build-bearssl.sh "$f"
done
say "bearssl: built for kernel, host and fuzz in build/bearssl"
