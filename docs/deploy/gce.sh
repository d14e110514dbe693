#!/usr/bin/env bash
# docs/deploy/gce.sh — one Weft VM on Google Compute Engine.
#
# usage: PROJECT=my-project BUCKET=my-bucket ZONE=europe-west1-b docs/deploy/gce.sh
#
# Needs the Google Cloud CLI (gcloud), logged in, and `make image` done.
# The image boots under both BIOS and UEFI (GPT with a BIOS boot partition
# and an EFI system partition), so it is marked UEFI_COMPATIBLE.
#
# The NIC must be VIRTIO_NET: Weft has no gVNIC driver. E2, N1, N2, N2D,
# C2 and T2D instances offer VirtIO-Net; third-generation and newer
# families (C3, C3D, C4, N4, H3, Z3, A3, ...) offer only gVNIC and will
# boot with no network ("net: no supported network device" on the console).
set -euo pipefail

: "${PROJECT:?set PROJECT}" "${BUCKET:?set BUCKET}" "${ZONE:?set ZONE}"
IMAGE=${IMAGE:-weft-$(date +%Y%m%d-%H%M%S)}
NAME=${NAME:-weft-1}
MACHINE=${MACHINE:-e2-small}
TARBALL=${TARBALL:-build/weft-gce.tar.gz}

gcloud config set project "$PROJECT"

# 1. Upload the image file (a gzipped GNU tar holding disk.raw).
gcloud storage cp "$TARBALL" "gs://$BUCKET/$IMAGE.tar.gz"

# 2. Make a Compute Engine image of it.
gcloud compute images create "$IMAGE" \
	--source-uri="gs://$BUCKET/$IMAGE.tar.gz" \
	--guest-os-features=UEFI_COMPATIBLE

# 3. An instance with a VirtIO-Net NIC and the serial console on.
gcloud compute instances create "$NAME" \
	--zone="$ZONE" \
	--machine-type="$MACHINE" \
	--image="$IMAGE" \
	--network-interface=network=default,nic-type=VIRTIO_NET \
	--metadata=serial-port-enable=TRUE \
	--tags=weft-http

# 4. Let HTTP in to instances tagged weft-http.
gcloud compute firewall-rules create weft-allow-http \
	--network=default \
	--allow=tcp:80 \
	--target-tags=weft-http \
	--source-ranges=0.0.0.0/0 ||
	echo "firewall rule weft-allow-http exists already"

# 5. The console: Weft prints its address, its settings and every request.
gcloud compute instances get-serial-port-output "$NAME" --zone="$ZONE"
ip=$(gcloud compute instances describe "$NAME" --zone="$ZONE" \
	--format='get(networkInterfaces[0].accessConfigs[0].natIP)')
echo "try: curl http://$ip/healthz"
