#!/usr/bin/env bash
# tools/mkimage.sh KERNEL OUTDIR [CMDLINE]
#
# Builds bootable disk images of a multiboot2 kernel (build/weft) with GRUB:
#   OUTDIR/weft.img         raw disk, 64 MiB (sparse), boots as a hard disk
#                           under BIOS (SeaBIOS, -M pc / q35) and UEFI (OVMF)
#   OUTDIR/weft.qcow2       the same disk, converted by qemu-img
#   OUTDIR/weft-gce.tar.gz  Google Compute Engine image: one file disk.raw,
#                           the same layout on a 1 GiB disk, GNU sparse tar
# CMDLINE (default "app=httpd") is what the kernel gets in the multiboot2
# command-line tag.
#
# Layout (GPT, 512-byte sectors, same in every output; only the size differs):
#   LBA 0            protective MBR carrying GRUB's boot.img (BIOS stage 1)
#   LBA 1..33        primary GPT; the backup GPT sits in the disk's last 33
#   LBA 2048..4095   "BIOS boot" partition (1 MiB): GRUB i386-pc core.img
#   LBA 4096..       EFI system partition, 60 MiB FAT32, label WEFT:
#                      /EFI/BOOT/BOOTX64.EFI  GRUB x86_64-efi (UEFI removable path)
#                      /boot/grub/grub.cfg    serial terminal, multiboot2, boot
#                      /boot/weft             the kernel
# Why: a plain GPT hard disk is what GCE (SeaBIOS or UEFI) and every firmware
# expect, and both GRUBs read the kernel and grub.cfg from the same FAT
# partition. It is built without loop devices or mounts (this runs in
# containers): sfdisk writes the partition table into a file, mtools fills
# the FAT image, dd places everything. grub-bios-setup cannot be used on a
# plain file (it probes the device of its module directory), so its job is
# done here by hand: boot.img into the MBR with the core.img sector patched
# in, core.img into the BIOS boot partition with its blocklist patched.
# Each GRUB image carries its modules and a small early config (serial
# terminal on COM1, find the ESP by its fixed FAT serial); grub.cfg on the
# ESP then loads the kernel. GCE's disk.raw is built at 1 GiB directly rather
# than padded, so its backup GPT is at the real end of the disk.
# Reproducible: fixed GPT/FAT ids and SOURCE_DATE_EPOCH timestamps make the
# outputs byte-identical for the same kernel and CMDLINE. Takes < 1 s.
#
# Needs: grub-common (grub-mkimage, grub-file), grub-pc-bin, grub-efi-amd64-bin,
# mtools, fdisk (sfdisk), qemu-utils (qemu-img), tar, gzip, coreutils.
set -euo pipefail

die() { echo "mkimage: $*" >&2; exit 1; }

if [ $# -lt 2 ] || [ $# -gt 3 ]; then die "usage: $0 KERNEL OUTDIR [CMDLINE]"; fi
KERNEL=$1
OUTDIR=$2
CMDLINE=${3-app=httpd}

# ---- tools ------------------------------------------------------------------
GRUB_PC=/usr/lib/grub/i386-pc
GRUB_EFI=/usr/lib/grub/x86_64-efi
need() { command -v "$1" >/dev/null 2>&1 || die "missing command $1 (install package $2)"; }
need grub-mkimage grub-common
need grub-file grub-common
need mformat mtools
need mcopy mtools
need mmd mtools
need sfdisk fdisk
need qemu-img qemu-utils
need tar tar
need gzip gzip
[ -f "$GRUB_PC/boot.img" ] || die "missing $GRUB_PC (install package grub-pc-bin)"
[ -f "$GRUB_EFI/multiboot2.mod" ] ||
    die "missing $GRUB_EFI (install package grub-efi-amd64-bin)"

[ -f "$KERNEL" ] || die "no kernel file $KERNEL"
grub-file --is-x86-multiboot2 "$KERNEL" || die "$KERNEL has no multiboot2 header"

# ---- layout constants -------------------------------------------------------
SECTOR=512
BIOSBOOT_LBA=2048                   # 1 MiB
BIOSBOOT_SECTORS=2048               # 1 MiB
ESP_LBA=4096                        # 2 MiB
ESP_SECTORS=$((60 * 2048))          # 60 MiB: enough clusters for FAT32
IMG_SIZE=$((64 * 1024 * 1024))      # weft.img
GCE_SIZE=$((1024 * 1024 * 1024))    # disk.raw: GCE wants whole GiB
DISK_GUID=57454654-0000-4000-8000-000000000000   # "WEFT"...
BIOSBOOT_GUID=57454654-0000-4000-8000-000000000001
ESP_GUID=57454654-0000-4000-8000-000000000002
FAT_SERIAL=57454654                 # GRUB sees it as fs uuid 5745-4654
FAT_UUID=5745-4654
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1577836800}   # 2020-01-01, for mtools
export MTOOLS_SKIP_CHECK=1

# ---- the command line, quoted for GRUB's script lexer -----------------------
# GRUB re-joins multiboot2 arguments with single spaces and backslash-escapes
# any quote or backslash in them, so those cannot reach the kernel verbatim:
# refuse them. Everything else is escaped word by word.
case $CMDLINE in
*[\"\'\\]*) die "CMDLINE may not contain quotes or backslashes" ;;
esac
[[ $CMDLINE == *[[:cntrl:]]* ]] && die "CMDLINE may not contain control characters"
read -r -a words <<<"$CMDLINE" || true
grub_args=""
for w in "${words[@]+"${words[@]}"}"; do
    grub_args+=" $(printf '%s' "$w" | sed 's/[^A-Za-z0-9_.,:=\/+-]/\\&/g')"
done

# ---- work area --------------------------------------------------------------
mkdir -p "$OUTDIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/weft-mkimage.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

SERIAL_CFG='serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console'

# Early config built into both GRUB images: serial first so every message,
# including a failed search, reaches COM1.
cat >"$WORK/early.cfg" <<EOF
$SERIAL_CFG
search --no-floppy --fs-uuid --set=root $FAT_UUID
set prefix=(\$root)/boot/grub
EOF

cat >"$WORK/grub.cfg" <<EOF
# Weft: generated by tools/mkimage.sh
set timeout=0
$SERIAL_CFG
multiboot2 /boot/weft$grub_args
boot
echo "weft: GRUB could not boot /boot/weft"
halt
EOF

MODS="part_gpt part_msdos fat search search_fs_uuid normal configfile
      multiboot2 serial terminal echo test halt reboot boot"
# shellcheck disable=SC2086
grub-mkimage -O i386-pc -d "$GRUB_PC" -o "$WORK/core.img" -p /boot/grub \
    -c "$WORK/early.cfg" biosdisk $MODS
# shellcheck disable=SC2086
grub-mkimage -O x86_64-efi -d "$GRUB_EFI" -o "$WORK/BOOTX64.EFI" -p /boot/grub \
    -c "$WORK/early.cfg" efi_gop $MODS

core_size=$(stat -c %s "$WORK/core.img")
[ "$core_size" -le $((BIOSBOOT_SECTORS * SECTOR)) ] || die "core.img too big"

# ---- the ESP ----------------------------------------------------------------
ESP=$WORK/esp.fat
truncate -s $((ESP_SECTORS * SECTOR)) "$ESP"
mformat -i "$ESP" -F -c 1 -N "$FAT_SERIAL" -v WEFT \
    -T "$ESP_SECTORS" -h 64 -s 32 -H "$ESP_LBA" ::
mmd -i "$ESP" ::/EFI ::/EFI/BOOT ::/boot ::/boot/grub
mcopy -i "$ESP" "$WORK/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$ESP" "$WORK/grub.cfg" ::/boot/grub/grub.cfg
mcopy -i "$ESP" "$KERNEL" ::/boot/weft

# ---- assembling a disk ------------------------------------------------------
le64() { # bytes of $1 as a little-endian 64-bit integer, for printf
    local i s=""
    for i in 0 1 2 3 4 5 6 7; do s+=$(printf '\\x%02x' $((($1 >> (8 * i)) & 255))); done
    printf '%b' "$s"
}
patch() { # patch FILE OFFSET: stdin bytes into FILE at OFFSET
    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

assemble() { # assemble FILE SIZE
    local out=$1 size=$2
    rm -f "$out"
    truncate -s "$size" "$out"
    sfdisk -q --no-reread --no-tell-kernel "$out" <<EOF
label: gpt
label-id: $DISK_GUID
unit: sectors
first-lba: 34
start=$BIOSBOOT_LBA, size=$BIOSBOOT_SECTORS, type=21686148-6449-6E6F-744E-656564454649, uuid=$BIOSBOOT_GUID, name="BIOS boot"
start=$ESP_LBA, size=$ESP_SECTORS, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$ESP_GUID, name="EFI system"
EOF
    # BIOS stage 1: boot.img code (not the disk signature/partition table).
    dd if="$GRUB_PC/boot.img" of="$out" bs=440 count=1 conv=notrunc status=none
    le64 $BIOSBOOT_LBA | patch "$out" $((0x5c))   # where core.img starts
    printf '\x90\x90' | patch "$out" $((0x66))     # hard disk: force DL>=0x80 (as grub-install)
    # core.img: its first sector (diskboot) loads the rest from the blocklist.
    dd if="$WORK/core.img" of="$out" bs=$SECTOR seek=$BIOSBOOT_LBA conv=notrunc status=none
    le64 $((BIOSBOOT_LBA + 1)) | patch "$out" $((BIOSBOOT_LBA * SECTOR + 0x1f4))
    dd if="$ESP" of="$out" bs=1M seek=$((ESP_LBA * SECTOR / 1048576)) \
        conv=notrunc,sparse status=none
}

# Check the byte patterns the hand-made setup relies on (GRUB 2.06).
[ "$(od -An -tx1 -j $((0x66)) -N 1 "$GRUB_PC/boot.img" | tr -d ' ')" = eb ] ||
    die "unexpected boot.img layout"
[ "$(od -An -tx2 -j $((0x1fe)) -N 2 "$WORK/core.img" | tr -d ' ')" = 0820 ] ||
    die "unexpected core.img layout"

assemble "$WORK/weft.img" $IMG_SIZE
qemu-img convert -f raw -O qcow2 "$WORK/weft.img" "$WORK/weft.qcow2"

mkdir "$WORK/gce"
assemble "$WORK/gce/disk.raw" $GCE_SIZE
# GCE's format: GNU tar (gnu and oldgnu give the same bytes here), sparse,
# gzip (tar's gzip reads a pipe, so its header carries no timestamp).
tar --format=gnu -Sczf "$WORK/weft-gce.tar.gz" -C "$WORK/gce" \
    --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" disk.raw

mv -f "$WORK/weft.img" "$WORK/weft.qcow2" "$WORK/weft-gce.tar.gz" "$OUTDIR/"
echo "mkimage: $OUTDIR/weft.img $OUTDIR/weft.qcow2 $OUTDIR/weft-gce.tar.gz (cmdline: $CMDLINE)"
