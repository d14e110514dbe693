#!/usr/bin/env bash
# bench/linux/build.sh — build the Linux peer: the Linux guest that Weft's
# benchmarks (make bench-net, make bench) are measured against, made from
# Debian's packages at bench time. Nothing here is Weft, and no third-party
# source is kept in the repo: the kernel, busybox and nginx come as Debian
# binary packages, the Go server is built with Debian's golang-go.
#
# usage: bench/linux/build.sh        (idempotent; prints what it made)
#
# Makes, under build/bench/linux/:
#   vmlinuz              Debian's kernel (the package linux-image-amd64
#                        depends on now), as shipped in its /boot
#   vmlinux              the ELF kernel inside vmlinuz, for a direct PVH
#                        boot (run.sh's default: see there)
#   initramfs.cpio.gz    /init (bench/linux/init), busybox-static, the
#                        virtio-net modules, the echo server (echo.c), nginx
#                        with its shared libraries (nginx.conf), the Go
#                        net/http server (gohttp/), the page at /www/index.html
#   manifest.txt         package versions, module load order, sizes
#   debs/, pkgs/         the downloaded .debs and their unpacked trees (cache)
#
# The .debs are fetched with `apt-get download` and unpacked with
# `dpkg-deb -x`, not installed: installing linux-image would run
# initramfs-tools and write /boot, and installing nginx would start it on
# the host where no policy-rc.d forbids that. The files are the same.
# Tools it needs (cpio, gcc with static libc, golang-go, binutils) and
# nginx's shared libraries ARE installed (as root, apt-get install -y
# --no-install-recommends) when missing.
#
# The page: bench/linux/index.html (612 bytes, the size of nginx's stock
# welcome page), or the file named by $LINUX_PEER_PAGE; Weft's benchmark
# should serve the same bytes.
#
# Boot it with bench/linux/run.sh ROLE.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
src=$repo/bench/linux
out=$repo/build/bench/linux
page=${LINUX_PEER_PAGE:-$src/index.html}
me=linux-peer/build.sh
die() { echo "$me: $*" >&2; exit 1; }
note() { echo "$me: $*" >&2; }

mkdir -p "$out/debs" "$out/pkgs" "$out/bin"
[ -f "$page" ] || die "no page $page"

# ---- tools ------------------------------------------------------------------
apt_updated=0
apt_update_once() {
	[ "$apt_updated" -eq 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || die "apt's package lists are missing or stale; run apt-get update as root"
	note "apt-get update"
	apt-get update -qq >&2
	apt_updated=1
}
install_pkgs() { # install_pkgs PKG...: apt-get install the missing ones
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (apt-get install them as root)"
	note "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || {
		apt_update_once
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	}
}
install_pkgs cpio gcc libc6-dev binutils golang-go gzip

# ---- Debian's binary packages ----------------------------------------------
candidate() { # candidate PKG: the version apt would install, or ""
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' || true
}
fetch_deb() { # fetch_deb PKG: download PKG's candidate into debs/ (once); print its path
	local pkg=$1 ver f
	ver=$(candidate "$pkg")
	if [ -z "$ver" ]; then
		apt_update_once
		ver=$(candidate "$pkg")
	fi
	[ -n "$ver" ] || die "apt knows no package $pkg"
	for f in "$out/debs/${pkg}_"*.deb; do
		if [ -f "$f" ] && [ "$(dpkg-deb -f "$f" Package)" = "$pkg" ] &&
			[ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
			echo "$f"
			return 0
		fi
	done
	note "apt-get download $pkg=$ver"
	(cd "$out/debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
		die "apt-get download $pkg=$ver failed"
	for f in "$out/debs/${pkg}_"*.deb; do
		if [ -f "$f" ] && [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
			echo "$f"
			return 0
		fi
	done
	die "downloaded $pkg=$ver but cannot find its .deb"
}
unpack_deb() { # unpack_deb DEB: unpack into pkgs/NAME_VERSION (once); print the dir
	local deb=$1 dir
	dir=$out/pkgs/$(basename "$deb" .deb)
	if [ ! -f "$dir/.unpacked" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir"
		touch "$dir/.unpacked"
	fi
	echo "$dir"
}

# The kernel: whatever linux-image-amd64 (Debian's "current kernel"
# metapackage) depends on today.
kmeta_ver=$(candidate linux-image-amd64)
[ -n "$kmeta_ver" ] || { apt_update_once; kmeta_ver=$(candidate linux-image-amd64); }
[ -n "$kmeta_ver" ] || die "apt knows no linux-image-amd64"
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
[ -n "$kpkg" ] || die "cannot tell which kernel package linux-image-amd64 depends on"
kdeb=$(fetch_deb "$kpkg")
kdir=$(unpack_deb "$kdeb")
kver=${kpkg#linux-image-}                      # e.g. 6.1.0-56-amd64
kpkgver=$(dpkg-deb -f "$kdeb" Version)         # e.g. 6.1.192-2
[ -f "$kdir/boot/vmlinuz-$kver" ] || die "no boot/vmlinuz-$kver in $kdeb"
moddir=$kdir/lib/modules/$kver

bbdeb=$(fetch_deb busybox-static)
bbdir=$(unpack_deb "$bbdeb")
[ -x "$bbdir/bin/busybox" ] || die "no bin/busybox in $bbdeb"

ngdeb=$(fetch_deb nginx)
ngdir=$(unpack_deb "$ngdeb")
[ -x "$ngdir/usr/sbin/nginx" ] || die "no usr/sbin/nginx in $ngdeb"
# nginx's shared libraries come from the host's (Debian's) packages: the
# library packages nginx depends on, installed when missing.
mapfile -t nglibs < <(dpkg-deb -f "$ngdeb" Depends | tr ',' '\n' |
	sed 's/^ *//; s/ .*//; s/|.*//' | grep -E '^(lib|zlib)' || true)
install_pkgs "${nglibs[@]}"

# ---- our programs -----------------------------------------------------------
newer() { # newer OUT SRC...: true when OUT is missing or older than a SRC
	local o=$1 s
	shift
	[ -e "$o" ] || return 0
	for s in "$@"; do [ "$s" -nt "$o" ] && return 0; done
	return 1
}
if newer "$out/bin/echo-server" "$src/echo.c"; then
	gcc -static -O2 -pthread -Wall -Wextra -o "$out/bin/echo-server.tmp" "$src/echo.c"
	strip "$out/bin/echo-server.tmp"
	mv -f "$out/bin/echo-server.tmp" "$out/bin/echo-server"
fi
if newer "$out/bin/gohttp" "$src/gohttp/main.go" "$src/gohttp/go.mod"; then
	(cd "$src/gohttp" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOPROXY=off \
		go build -trimpath -ldflags='-s -w' -o "$out/bin/gohttp.tmp" .)
	mv -f "$out/bin/gohttp.tmp" "$out/bin/gohttp"
fi
gover=$(go version | awk '{print $3}')

# ---- modules: virtio-net over PCI (and MMIO), in dependency order ----------
modpath() { # modpath NAME: the module's file (name with - or _)
	local n=$1 f
	f=$(find "$moddir/kernel" \( -name "$n.ko*" -o -name "${n//_/-}.ko*" \) -print -quit)
	[ -n "$f" ] || die "no module $n in $kpkg"
	echo "$f"
}
moddeps() { # moddeps FILE: the modules it needs (its .modinfo depends=)
	local t
	t=$(mktemp)
	case $1 in
	*.ko.xz) xz -dc "$1" >"$t.ko" ;;
	*.ko.zst) zstd -qdc "$1" >"$t.ko" ;;
	*) cp "$1" "$t.ko" ;;
	esac
	objcopy -O binary --only-section=.modinfo "$t.ko" "$t"
	tr '\0' '\n' <"$t" | sed -n 's/^depends=//p' | tr ',' ' '
	rm -f "$t" "$t.ko"
}
mods=() # post-order: every module after what it needs
declare -A seen=()
visit() {
	local m=$1 d
	[ -z "${seen[$m]:-}" ] || return 0
	seen[$m]=1
	for d in $(moddeps "$(modpath "$m")"); do visit "$d"; done
	mods+=("$m")
}
# Which of these are built in differs between kernels: only .ko files count.
for m in virtio_net virtio_pci virtio_mmio; do
	if grep -q "^CONFIG_${m^^}=y" "$kdir/boot/config-$kver"; then
		continue
	fi
	visit "$m"
done
# The unpacked kernel keeps only these modules (the rest is 400 MB).
if [ ! -f "$kdir/.pruned" ]; then
	while read -r f; do
		b=$(basename "$f")
		b=${b%%.ko*}
		[ -n "${seen[$b]:-}" ] || [ -n "${seen[${b//-/_}]:-}" ] || rm -f "$f"
	done < <(find "$moddir" -name '*.ko*')
	find "$moddir" -type d -empty -delete
	touch "$kdir/.pruned"
fi

# ---- skip the rest when no input changed ------------------------------------
ldd_out=$(ldd "$ngdir/usr/sbin/nginx")
if grep -q 'not found' <<<"$ldd_out"; then die "nginx: $(grep 'not found' <<<"$ldd_out")"; fi
mapfile -t nglibfiles < <(awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' <<<"$ldd_out")
stamp=$( {
	echo "$kdeb $bbdeb $ngdeb ${mods[*]} $(id -u)"
	sha256sum "$0" "$src/init" "$src/nginx.conf" "$page" "$out/bin/echo-server" "$out/bin/gohttp" \
		"${nglibfiles[@]}" "$kdir/boot/vmlinuz-$kver" | cut -d' ' -f1
} | sha256sum | cut -d' ' -f1)
if [ -f "$out/initramfs.cpio.gz" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/vmlinux" ] && [ -f "$out/manifest.txt" ] &&
	[ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$me: $out/vmlinuz (unchanged)"
	echo "$me: $out/vmlinux (unchanged)"
	echo "$me: $out/initramfs.cpio.gz (unchanged)"
	sed 's/^/  /' "$out/manifest.txt"
	exit 0
fi
rm -f "$out/.stamp"

# ---- the initramfs tree -----------------------------------------------------
root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/nginx,dev,proc,sys,tmp,run,www,lib/modules} \
	"$root"/var/{log/nginx,lib/nginx}
chmod 1777 "$root/tmp"
cp "$src/init" "$root/init"
chmod 755 "$root/init"
cp "$bbdir/bin/busybox" "$root/bin/busybox"
while read -r a; do
	[ "$a" != bin/busybox ] || continue
	[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done < <("$bbdir/bin/busybox" --list-full)
for m in "${mods[@]}"; do
	f=$(modpath "$m")
	case $f in
	*.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;; # busybox insmod: plain .ko
	*.ko.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
	*) cp "$f" "$root/lib/modules/$m.ko" ;;
	esac
	echo "$m"
done >"$root/lib/modules/order"
cp "$out/bin/echo-server" "$root/usr/bin/echo-server"
cp "$out/bin/gohttp" "$root/usr/bin/gohttp"
cp "$ngdir/usr/sbin/nginx" "$root/usr/sbin/nginx"
cp "$src/nginx.conf" "$root/etc/nginx/nginx.conf"
# nginx's libraries and the dynamic loader, at the paths ldd gives.
for lib in "${nglibfiles[@]}"; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
cp "$page" "$root/www/index.html"
# The kernel gives /init the console as stdio only if /dev/console exists.
if [ "$(id -u)" -eq 0 ]; then mknod -m 600 "$root/dev/console" c 5 1; fi

# extract_vmlinux BZIMAGE OUT: the ELF kernel inside a bzImage (what the
# kernel's own scripts/extract-vmlinux does): try each compressed stream
# that starts where a known magic number is, keep the first that unpacks
# to an ELF file. The ELF has a PVH entry note, so QEMU -kernel loads it
# directly, the way it loads Weft, without the bzImage's decompressor.
extract_vmlinux() {
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

# ---- the archive: reproducible, replaced only when its bytes change ---------
find "$root" -exec touch -h -d @0 {} +
tmp=$out/initramfs.cpio.gz.tmp
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n >"$tmp"
if [ -f "$out/initramfs.cpio.gz" ] && cmp -s "$tmp" "$out/initramfs.cpio.gz"; then
	rm -f "$tmp"
	initrd_state=unchanged
else
	mv -f "$tmp" "$out/initramfs.cpio.gz"
	initrd_state=built
fi
if [ -f "$out/vmlinuz" ] && [ -f "$out/vmlinux" ] && cmp -s "$kdir/boot/vmlinuz-$kver" "$out/vmlinuz"; then
	kernel_state=unchanged
else
	cp "$kdir/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
	extract_vmlinux "$out/vmlinuz.tmp" "$out/vmlinux.tmp" || die "cannot find the ELF kernel inside vmlinuz-$kver"
	mv -f "$out/vmlinux.tmp" "$out/vmlinux"
	mv -f "$out/vmlinuz.tmp" "$out/vmlinuz"
	kernel_state=copied
fi

# ---- what was made ----------------------------------------------------------
size() { stat -c %s "$1"; }
ksize=$(size "$out/vmlinuz") isize=$(size "$out/initramfs.cpio.gz")
rsize=$(du -sb --apparent-size "$root" | cut -f1)
{
	echo "kernel        $kpkg $kpkgver (linux-image-amd64 $kmeta_ver), $kver"
	echo "busybox       busybox-static $(dpkg-deb -f "$bbdeb" Version)"
	echo "nginx         nginx $(dpkg-deb -f "$ngdeb" Version), libraries: ${nglibfiles[*]}"
	echo "gohttp        $gover, CGO_ENABLED=0"
	echo "echo-server   gcc $(gcc -dumpfullversion) -static -O2"
	echo "modules       ${mods[*]}"
	echo "page          $(size "$page") bytes, sha256 $(sha256sum "$page" | cut -c1-16)"
	echo "vmlinuz       $ksize bytes (bzImage; vmlinux, the ELF inside it: $(size "$out/vmlinux") bytes)"
	echo "initramfs     $isize bytes (cpio.gz; $rsize bytes unpacked)"
	echo "image         $((ksize + isize)) bytes (vmlinuz + initramfs)"
} >"$out/manifest.txt"
echo "$me: $out/vmlinuz ($kernel_state)"
echo "$me: $out/vmlinux ($kernel_state)"
echo "$me: $out/initramfs.cpio.gz ($initrd_state)"
sed 's/^/  /' "$out/manifest.txt"
echo "$stamp" >"$out/.stamp"
