#!/usr/bin/env bash
# docs/deploy/libvirt.sh — Weft under libvirt (virt-install), or plain QEMU.
#
# usage: docs/deploy/libvirt.sh            (as a user allowed to use libvirt)
#        docs/deploy/libvirt.sh --qemu     (plain QEMU, port 8080 on 127.0.0.1)
set -euo pipefail

QCOW2=${QCOW2:-build/weft.qcow2}
POOL=${POOL:-/var/lib/libvirt/images}

if [ "${1:-}" = --qemu ]; then
	# Plain QEMU/KVM: the disk as virtio-blk, a virtio-net NIC on user
	# networking with the guest's port 80 forwarded to 127.0.0.1:8080, and
	# the serial console on this terminal (Ctrl-A X quits).
	exec qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 256M -smp 2 \
		-drive "file=$QCOW2,format=qcow2,if=virtio" \
		-nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:8080-:80 \
		-nographic
fi

# libvirt: a copy of the disk in the default pool, a VM with a virtio disk
# and a virtio NIC on libvirt's default NAT network (which serves DHCP),
# the console on the serial port.
install -m 0644 "$QCOW2" "$POOL/weft.qcow2"
virt-install \
	--name weft \
	--memory 256 --vcpus 2 \
	--import \
	--disk "path=$POOL/weft.qcow2,format=qcow2,bus=virtio" \
	--network network=default,model=virtio \
	--os-variant generic \
	--graphics none \
	--console pty,target_type=serial \
	--noautoconsole

echo "console:  virsh console weft"
echo "address:  virsh domifaddr weft"
