#!/usr/bin/env bash
# docs/deploy/openstack.sh — Weft on an OpenStack cloud (Nova on KVM).
#
# usage: NETWORK=my-net FLAVOR=m1.small docs/deploy/openstack.sh
#
# Needs the OpenStack client (Debian: python3-openstackclient) with the
# cloud's credentials loaded (source openrc, or OS_CLOUD=...), and
# `make image` done. The qcow2 image is uploaded as it is.
set -euo pipefail

: "${NETWORK:?set NETWORK (openstack network list)}"
FLAVOR=${FLAVOR:-m1.small}
NAME=${NAME:-weft-1}
QCOW2=${QCOW2:-build/weft.qcow2}

# hw_vif_model=virtio: the NIC must be virtio-net (the NIC Weft drives;
# virtio is what KVM clouds default to, and the fast one).
# hw_disk_bus=virtio: GRUB boots from virtio-blk. hw_firmware_type=bios:
# the image also boots under UEFI, BIOS is what every Nova has.
openstack image create weft \
	--disk-format qcow2 --container-format bare \
	--file "$QCOW2" \
	--property hw_vif_model=virtio \
	--property hw_disk_bus=virtio \
	--property hw_firmware_type=bios

openstack security group create weft-http --description "HTTP to Weft"
openstack security group rule create weft-http --protocol tcp --dst-port 80 --ingress
openstack security group rule create weft-http --protocol icmp --ingress

openstack server create "$NAME" \
	--image weft --flavor "$FLAVOR" --network "$NETWORK" \
	--security-group weft-http --wait

# The serial console: address (from DHCP), settings, the access log.
openstack console log show "$NAME"
openstack server show "$NAME" -f value -c addresses
