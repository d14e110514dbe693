#!/usr/bin/env bash
# tools/kvm-lane/build.sh — build the KVM lane's outer guest: a Linux that
# runs under TCG (-cpu max emulates AMD-V with nested paging), loads
# kvm_amd, and runs Weft with tools/qemu.sh --accel kvm, i.e. under real
# KVM. Everything comes from Debian's packages; nothing here is Weft.
#
# usage: tools/kvm-lane/build.sh   (idempotent; about 1 s when unchanged;
#                                  KVM_LANE_REFRESH=1 asks apt for newer
#                                  packages, as it does once a day anyway)
#
# Makes, under build/kvm-lane/:
#   vmlinux          the ELF inside Debian's vmlinuz (linux-image-amd64's
#                    kernel), booted through its PVH note
#   initramfs.cpio   uncompressed newc (the kernel copies it instead of
#                    inflating 60 MB under TCG); it holds
#                      /init                     tools/kvm-lane/init
#                      busybox-static            the shell and the small tools
#                      /lib/modules/*.ko, order  kvm_amd (kvm, ccp,
#                                                irqbypass...), virtio_net,
#                                                virtio_pci, with what they need
#                                                (.modinfo depends=), in order
#                      qemu-system-x86_64        the host's, i.e. Debian's
#                                                qemu-system-x86 (setup.sh
#                                                installs it), with the
#                                                libraries ldd names
#                      firmware                  what that QEMU opens for the
#                                                lane's boots: SeaBIOS
#                                                (bios-256k.bin), qboot
#                                                (microvm), pvh.bin,
#                                                linuxboot_dma.bin,
#                                                kvmvapic.bin, OVMF.fd. No
#                                                option ROMs: tools/qemu.sh
#                                                gives the NIC romfile=
#                      bash, GNU timeout         what tools/qemu.sh needs
#                                                beyond busybox
#                      wrk                       the load generator of
#                                                make bench-kvm
#   manifest.txt     versions and sizes;  .stamp  the inputs' digest;
#                    .inputs  the .debs and modules it was made from
#   pkgs/            the unpacked .debs (the .debs: build/debs/, shared with
#                    bench/linux/build.sh)
#
# What runs in it (tools/qemu.sh, the Weft kernel, the job) is not in this
# archive: tools/kvm-lane/run.sh appends a small archive of its own per run
# (Linux unpacks concatenated archives), so a new Weft needs no rebuild here.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
src=$repo/tools/kvm-lane
out=$repo/build/kvm-lane
me=kvm-lane/build.sh
die() { echo "$me: $*" >&2; exit 1; }

DEBS_CACHE=$repo/build/debs DEBS_PKGS=$out/pkgs DEBS_ME=$me
# shellcheck source=tools/debs.sh
. "$repo/tools/debs.sh"
debs_install cpio binutils xz-utils qemu-system-x86 ovmf wrk coreutils bash

qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64 (tools/setup.sh installs it)"
progs=("$qemu" "$(command -v bash)" "$(command -v timeout)" "$(command -v wrk)")
firmware=(/usr/share/seabios/bios-256k.bin /usr/share/qemu/qboot.rom /usr/share/qemu/pvh.bin
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin /usr/share/ovmf/OVMF.fd)
for f in "${firmware[@]}"; do [ -f "$f" ] || die "no $f (packages seabios, qemu-system-data, ovmf)"; done
libs_out=$(debs_libs "${progs[@]}")
mapfile -t libs <<<"$libs_out"
# stamp_of KDEB BBDEB KVMLINUZ MODULES...: the digest of every input
stamp_of() {
	{
		echo "$1 $2 ${*:4}"
		sha256sum "$0" "$src/init" "$repo/tools/debs.sh" "${progs[@]}" "${libs[@]}" "${firmware[@]}" \
			"$1" "$2" "$3" | cut -d' ' -f1
	} | sha256sum | cut -d' ' -f1
}

# Fast path: the inputs recorded by the last build, unchanged, and that
# build less than a day old (apt is asked for newer packages once a day,
# or with KVM_LANE_REFRESH=1: apt-cache alone takes seconds).
if [ -z "${KVM_LANE_REFRESH:-}" ] && [ -f "$out/.inputs" ] && [ -f "$out/initramfs.cpio" ] &&
	[ -f "$out/vmlinux" ] && [ -n "$(find "$out/.stamp" -mmin -1440 2>/dev/null)" ]; then
	read -r -a rec <"$out/.inputs"
	if [ -f "${rec[0]}" ] && [ -f "${rec[1]}" ] && [ -f "${rec[2]}" ] &&
		[ "$(stamp_of "${rec[@]}")" = "$(cat "$out/.stamp")" ]; then
		echo "$me: $out/initramfs.cpio, $out/vmlinux (unchanged)"
		exit 0
	fi
fi

# ---- inputs -------------------------------------------------------------------
kpkg=$(debs_kernel_pkg)
kdeb=$(debs_fetch "$kpkg")
kdir=$(debs_unpack "$kdeb")
kver=${kpkg#linux-image-}
moddir=$kdir/lib/modules/$kver
[ -f "$kdir/boot/vmlinuz-$kver" ] || die "no boot/vmlinuz-$kver in $kdeb"
bbdeb=$(debs_fetch busybox-static)
bbdir=$(debs_unpack "$bbdeb")
[ -x "$bbdir/bin/busybox" ] || die "no bin/busybox in $bbdeb"

# kvm_amd needs kvm, ccp (SEV's firmware interface) and irqbypass; the NIC
# needs virtio_net and the PCI transport. Built-in ones have no .ko.
want=()
for m in kvm_amd virtio_net virtio_pci; do
	grep -q "^CONFIG_${m^^}=y" "$kdir/boot/config-$kver" || want+=("$m")
done
debs_modules "$moddir" "${want[@]}"
debs_prune "$moddir"

inputs=("$kdeb" "$bbdeb" "$kdir/boot/vmlinuz-$kver" "${DEBS_MODS[@]}")
stamp=$(stamp_of "${inputs[@]}")
if [ -f "$out/initramfs.cpio" ] && [ -f "$out/vmlinux" ] &&
	[ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "${inputs[*]}" >"$out/.inputs"
	touch "$out/.stamp"
	echo "$me: $out/initramfs.cpio, $out/vmlinux (unchanged)"
	exit 0
fi
rm -f "$out/.stamp"

# ---- the tree -------------------------------------------------------------------
root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,lib/modules,usr/share/qemu}
chmod 1777 "$root/tmp"
cp "$src/init" "$root/init"
chmod 755 "$root/init"
# The host's programs first (at their own paths), busybox's links after,
# only where nothing is: never a copy through a link.
debs_copy_with_libs "$root" "${progs[@]}"
for f in "${firmware[@]}"; do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done
ln -s qboot.rom "$root/usr/share/qemu/bios-microvm.bin"
ln -s ../ovmf/OVMF.fd "$root/usr/share/qemu/OVMF.fd"
cp "$bbdir/bin/busybox" "$root/bin/busybox"
while read -r a; do
	[ -e "$root/$a" ] || [ -L "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done < <("$bbdir/bin/busybox" --list-full)
for m in "${DEBS_MODS[@]}"; do
	debs_mod_copy "$(debs_modpath "$moddir" "$m")" "$root/lib/modules/$m.ko"
	echo "$m"
done >"$root/lib/modules/order"
printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
if [ "$(id -u)" -eq 0 ]; then mknod -m 600 "$root/dev/console" c 5 1; fi

find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) >"$out/initramfs.cpio.tmp"
mv -f "$out/initramfs.cpio.tmp" "$out/initramfs.cpio"
rm -rf "$root"
if ! [ -f "$out/vmlinux" ] || ! cmp -s "$kdir/boot/vmlinuz-$kver" "$out/vmlinuz"; then
	cp "$kdir/boot/vmlinuz-$kver" "$out/vmlinuz"
	debs_extract_vmlinux "$out/vmlinuz" "$out/vmlinux.tmp" || die "no ELF kernel inside vmlinuz-$kver"
	mv -f "$out/vmlinux.tmp" "$out/vmlinux"
fi
{
	echo "kernel     $kpkg $(dpkg-deb -f "$kdeb" Version)"
	echo "busybox    busybox-static $(dpkg-deb -f "$bbdeb" Version)"
	echo "qemu       $("$qemu" --version | head -n 1)"
	echo "modules    ${DEBS_MODS[*]}"
	echo "initramfs  $(stat -c %s "$out/initramfs.cpio") bytes (uncompressed cpio)"
} >"$out/manifest.txt"
echo "$stamp" >"$out/.stamp"
echo "${inputs[*]}" >"$out/.inputs"
echo "$me: $out/initramfs.cpio, $out/vmlinux (built)"
sed 's/^/  /' "$out/manifest.txt"
