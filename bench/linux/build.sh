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
#                        with its shared libraries (nginx.conf; as a reverse
#                        proxy: nginx-proxy.conf; over HTTPS: nginx-tls.conf
#                        and bench/tls_certs.sh's pairs), the Go
#                        net/http server (gohttp/), the page at /www/index.html
#   manifest.txt         package versions, module load order, sizes
#   pkgs/                the unpacked .debs (cache; the .debs: build/debs/)
#
# The .debs are fetched with `apt-get download` (into build/debs, shared
# with the KVM lane) and unpacked with `dpkg-deb -x` (tools/debs.sh), not
# installed.
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

mkdir -p "$out/bin"
[ -f "$page" ] || die "no page $page"
DEBS_CACHE=$repo/build/debs DEBS_PKGS=$out/pkgs DEBS_ME=$me
# shellcheck source=tools/debs.sh
. "$repo/tools/debs.sh"
debs_install cpio gcc libc6-dev binutils golang-go gzip

# The kernel: whatever linux-image-amd64 (Debian's "current kernel"
# metapackage) depends on today.
kmeta_ver=$(debs_candidate linux-image-amd64)
kpkg=$(debs_kernel_pkg)
kdeb=$(debs_fetch "$kpkg")
kdir=$(debs_unpack "$kdeb")
kver=${kpkg#linux-image-}                      # e.g. 6.1.0-56-amd64
kpkgver=$(dpkg-deb -f "$kdeb" Version)         # e.g. 6.1.192-2
[ -f "$kdir/boot/vmlinuz-$kver" ] || die "no boot/vmlinuz-$kver in $kdeb"
moddir=$kdir/lib/modules/$kver

bbdeb=$(debs_fetch busybox-static)
bbdir=$(debs_unpack "$bbdeb")
[ -x "$bbdir/bin/busybox" ] || die "no bin/busybox in $bbdeb"

ngdeb=$(debs_fetch nginx)
ngdir=$(debs_unpack "$ngdeb")
[ -x "$ngdir/usr/sbin/nginx" ] || die "no usr/sbin/nginx in $ngdeb"
# nginx's shared libraries come from the host's (Debian's) packages: the
# library packages nginx depends on, installed when missing.
mapfile -t nglibs < <(dpkg-deb -f "$ngdeb" Depends | tr ',' '\n' |
	sed 's/^ *//; s/ .*//; s/|.*//' | grep -E '^(lib|zlib)' || true)
debs_install "${nglibs[@]}"

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
# Which of these are built in differs between kernels: only .ko files count.
want=()
for m in virtio_net virtio_pci virtio_mmio; do
	grep -q "^CONFIG_${m^^}=y" "$kdir/boot/config-$kver" || want+=("$m")
done
debs_modules "$moddir" "${want[@]}"
mods=("${DEBS_MODS[@]}")
# The unpacked kernel keeps only these modules (the rest is 400 MB).
debs_prune "$moddir"

# ---- skip the rest when no input changed ------------------------------------
tlsdir=$("$src/../tls_certs.sh") || die "bench/tls_certs.sh failed"
nglibs_out=$(debs_libs "$ngdir/usr/sbin/nginx")
mapfile -t nglibfiles <<<"$nglibs_out"
stamp=$( {
	echo "$kdeb $bbdeb $ngdeb ${mods[*]} $(id -u)"
	sha256sum "$0" "$src/init" "$src/nginx.conf" "$src/nginx-proxy.conf" "$src/nginx-tls.conf" \
		"$tlsdir"/ecdsa.crt "$tlsdir"/ecdsa.key "$tlsdir"/rsa.crt "$tlsdir"/rsa.key "$page" "$out/bin/echo-server" "$out/bin/gohttp" \
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
	debs_mod_copy "$(debs_modpath "$moddir" "$m")" "$root/lib/modules/$m.ko" # busybox insmod: plain .ko
	echo "$m"
done >"$root/lib/modules/order"
cp "$out/bin/echo-server" "$root/usr/bin/echo-server"
cp "$out/bin/gohttp" "$root/usr/bin/gohttp"
cp "$ngdir/usr/sbin/nginx" "$root/usr/sbin/nginx"
cp "$src/nginx.conf" "$root/etc/nginx/nginx.conf"
cp "$src/nginx-proxy.conf" "$root/etc/nginx/proxy.conf.in"
cp "$src/nginx-tls.conf" "$root/etc/nginx/tls.conf"
mkdir -p "$root/etc/nginx/tls"
cp "$tlsdir"/ecdsa.crt "$tlsdir"/ecdsa.key "$tlsdir"/rsa.crt "$tlsdir"/rsa.key "$root/etc/nginx/tls/"
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
	debs_extract_vmlinux "$out/vmlinuz.tmp" "$out/vmlinux.tmp" || die "cannot find the ELF kernel inside vmlinuz-$kver"
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
