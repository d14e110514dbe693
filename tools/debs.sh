# shellcheck shell=bash
# tools/debs.sh — Debian binary packages as files, without installing them
# (sourced, not run). Shared by the guests the project builds from Debian's
# packages: bench/linux/build.sh (the Linux peer) and tools/kvm-lane/build.sh
# (the KVM lane's outer guest).
#
# Set before sourcing:
#   DEBS_CACHE   where downloaded .debs are kept (shared: build/debs)
#   DEBS_PKGS    where they are unpacked, one directory per .deb
#   DEBS_ME      the name in messages
#
# Functions:
#   debs_install PKG...      apt-get install the missing ones (root), for tools
#                            and libraries the build itself needs
#   debs_candidate PKG       the version apt would install, or ""
#   debs_fetch PKG           download its candidate into DEBS_CACHE (once);
#                            prints the .deb's path
#   debs_unpack DEB          dpkg-deb -x into DEBS_PKGS/NAME_VERSION (once);
#                            prints the directory
#   debs_kernel_pkg          the package linux-image-amd64 depends on today
#   debs_modules MODDIR NAME...  sets DEBS_MODS to NAME and every module they
#                            need (.modinfo depends=), each after what it
#                            needs; DEBS_MOD_SEEN[name]=1 for each
#   debs_modpath MODDIR NAME the module's file
#   debs_prune MODDIR        delete every module not in DEBS_MOD_SEEN (an
#                            unpacked kernel is 400 MB, nearly all modules)
#   debs_mod_copy FILE OUT   the module as a plain .ko (busybox insmod)
#   debs_extract_vmlinux BZIMAGE OUT   the ELF kernel inside a bzImage
#   debs_copy_with_libs ROOT FILE...   FILE and the libraries ldd names (and
#                            the dynamic loader) into ROOT at the same paths
#
# The .debs are fetched with `apt-get download` and unpacked with
# `dpkg-deb -x`, not installed: installing linux-image would run
# initramfs-tools and write /boot, and installing nginx would start it on
# the host where no policy-rc.d forbids that. The files are the same.

: "${DEBS_CACHE:?}" "${DEBS_PKGS:?}" "${DEBS_ME:=debs}"
mkdir -p "$DEBS_CACHE" "$DEBS_PKGS"

debs_die() { echo "$DEBS_ME: $*" >&2; exit 1; }
debs_note() { echo "$DEBS_ME: $*" >&2; }

debs_apt_updated=0
debs_apt_update_once() {
	[ "$debs_apt_updated" -eq 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || debs_die "apt's package lists are missing or stale; run apt-get update as root"
	debs_note "apt-get update"
	apt-get update -qq >&2
	debs_apt_updated=1
}
debs_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || debs_die "missing packages: ${missing[*]} (apt-get install them as root)"
	debs_note "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || {
		debs_apt_update_once
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	}
}
debs_candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' || true
}
debs_fetch() {
	local pkg=$1 ver f
	ver=$(debs_candidate "$pkg")
	if [ -z "$ver" ]; then
		debs_apt_update_once
		ver=$(debs_candidate "$pkg")
	fi
	[ -n "$ver" ] || debs_die "apt knows no package $pkg"
	for f in "$DEBS_CACHE/${pkg}_"*.deb; do
		if [ -f "$f" ] && [ "$(dpkg-deb -f "$f" Package)" = "$pkg" ] &&
			[ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
			echo "$f"
			return 0
		fi
	done
	debs_note "apt-get download $pkg=$ver"
	(cd "$DEBS_CACHE" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
		debs_die "apt-get download $pkg=$ver failed"
	for f in "$DEBS_CACHE/${pkg}_"*.deb; do
		if [ -f "$f" ] && [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
			echo "$f"
			return 0
		fi
	done
	debs_die "downloaded $pkg=$ver but cannot find its .deb"
}
debs_unpack() {
	local deb=$1 dir
	dir=$DEBS_PKGS/$(basename "$deb" .deb)
	if [ ! -f "$dir/.unpacked" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir"
		touch "$dir/.unpacked"
	fi
	echo "$dir"
}
debs_kernel_pkg() {
	local meta kpkg
	meta=$(debs_candidate linux-image-amd64)
	[ -n "$meta" ] || { debs_apt_update_once; meta=$(debs_candidate linux-image-amd64); }
	[ -n "$meta" ] || debs_die "apt knows no linux-image-amd64"
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	[ -n "$kpkg" ] || debs_die "cannot tell which kernel package linux-image-amd64 depends on"
	echo "$kpkg"
}

# ---- kernel modules -----------------------------------------------------------
debs_modpath() {
	local f
	f=$(find "$1/kernel" \( -name "$2.ko*" -o -name "${2//_/-}.ko*" \) -print -quit)
	[ -n "$f" ] || debs_die "no module $2 in $1"
	echo "$f"
}
debs_mod_copy() {
	case $1 in
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}
debs_moddeps() { # debs_moddeps FILE: the modules it needs (its .modinfo depends=)
	local t
	t=$(mktemp)
	debs_mod_copy "$1" "$t.ko"
	objcopy -O binary --only-section=.modinfo "$t.ko" "$t"
	tr '\0' '\n' <"$t" | sed -n 's/^depends=//p' | tr ',' ' '
	rm -f "$t" "$t.ko"
}
DEBS_MODS=()
declare -A DEBS_MOD_SEEN=()
debs_visit() {
	local m=$1 d
	[ -z "${DEBS_MOD_SEEN[$m]:-}" ] || return 0
	DEBS_MOD_SEEN[$m]=1
	for d in $(debs_moddeps "$(debs_modpath "$2" "$m")"); do debs_visit "$d" "$2"; done
	DEBS_MODS+=("$m")
}
debs_modules() {
	local dir=$1 m
	shift
	for m in "$@"; do debs_visit "$m" "$dir"; done
}
debs_prune() {
	local f b
	[ ! -f "$1/.pruned" ] || return 0
	while read -r f; do
		b=$(basename "$f")
		b=${b%%.ko*}
		[ -n "${DEBS_MOD_SEEN[$b]:-}" ] || [ -n "${DEBS_MOD_SEEN[${b//-/_}]:-}" ] || rm -f "$f"
	done < <(find "$1" -name '*.ko*')
	find "$1" -type d -empty -delete
	touch "$1/.pruned"
}

# debs_extract_vmlinux BZIMAGE OUT: what the kernel's own
# scripts/extract-vmlinux does: try each compressed stream that starts
# where a known magic number is, keep the first that unpacks to an ELF
# file. The ELF has a PVH entry note, so QEMU -kernel loads it directly,
# the way it loads Weft, without the bzImage's decompressor.
debs_extract_vmlinux() {
	local in=$1 o=$2 magic tool off
	for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08' 'lz4:\x02\x21\x4c\x18'; do
		tool=${magic%%:*}
		command -v "$tool" >/dev/null || continue
		while read -r off; do
			tail -c +$((off + 1)) "$in" | "$tool" -dc >"$o" 2>/dev/null || true
			if [ "$(head -c 4 "$o" | od -An -c | tr -d ' ')" = '177ELF' ]; then return 0; fi
		done < <(LC_ALL=C grep -obUaP "${magic#*:}" "$in" | cut -d: -f1 | head -n 5)
	done
	rm -f "$o"
	return 1
}

# debs_libs FILE...: the shared libraries (and loader) ldd names, one a line
debs_libs() {
	local f out
	for f in "$@"; do
		out=$(ldd "$f" 2>&1 || true)
		if grep -q 'not found' <<<"$out"; then debs_die "$f: $(grep 'not found' <<<"$out" | head -n 3)"; fi
		awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' <<<"$out"
	done | sort -u
}
debs_copy_with_libs() {
	local root=$1 f
	shift
	for f in "$@" $(debs_libs "$@"); do
		mkdir -p "$root$(dirname "$f")"
		rm -f "$root$f" # never write through a link left there
		cp -L "$f" "$root$f"
	done
}
