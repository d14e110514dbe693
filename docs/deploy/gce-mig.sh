#!/usr/bin/env bash
# docs/deploy/gce-mig.sh — Weft behind Google's HTTP load balancer: a
# managed instance group of identical VMs, autohealed and load-balanced on
# the appliance's /healthz, autoscaled on load-balancer utilization.
#
# usage: PROJECT=my-project ZONE=europe-west1-b IMAGE=weft-20261202 docs/deploy/gce-mig.sh
#
# IMAGE is a Compute Engine image made by docs/deploy/gce.sh (steps 1-2).
set -euo pipefail

: "${PROJECT:?set PROJECT}" "${ZONE:?set ZONE}" "${IMAGE:?set IMAGE (see gce.sh)}"
MACHINE=${MACHINE:-e2-small}
SIZE=${SIZE:-3}

gcloud config set project "$PROJECT"

# The template every VM of the group is made from: VirtIO-Net NIC (Weft
# has no gVNIC driver), serial console on.
gcloud compute instance-templates create weft-template \
	--machine-type="$MACHINE" \
	--image="$IMAGE" --image-project="$PROJECT" \
	--network-interface=network=default,nic-type=VIRTIO_NET \
	--metadata=serial-port-enable=TRUE \
	--tags=weft-http,weft-health-check

# The health check: GET /healthz must answer 200. The same check drives
# autohealing (a VM that fails it is recreated) and the load balancer.
gcloud compute health-checks create http weft-healthz \
	--port=80 --request-path=/healthz \
	--check-interval=5s --timeout=2s \
	--healthy-threshold=2 --unhealthy-threshold=3

# Google's health checkers and load balancer come from these ranges.
gcloud compute firewall-rules create weft-allow-health-check \
	--network=default --allow=tcp:80 \
	--source-ranges=130.211.0.0/22,35.191.0.0/16 \
	--target-tags=weft-health-check

# The group: SIZE VMs, recreated when /healthz fails (after a boot grace
# period far longer than Weft's boot).
gcloud compute instance-groups managed create weft-group \
	--zone="$ZONE" --template=weft-template --size="$SIZE" \
	--health-check=weft-healthz --initial-delay=30
gcloud compute instance-groups managed set-named-ports weft-group \
	--zone="$ZONE" --named-ports=http:80

# The load balancer: backend service -> URL map -> HTTP proxy -> address.
gcloud compute backend-services create weft-backend \
	--global --protocol=HTTP --port-name=http --health-checks=weft-healthz
gcloud compute backend-services add-backend weft-backend \
	--global --instance-group=weft-group --instance-group-zone="$ZONE" \
	--balancing-mode=UTILIZATION --max-utilization=0.8
gcloud compute url-maps create weft-map --default-service=weft-backend
gcloud compute target-http-proxies create weft-proxy --url-map=weft-map
gcloud compute forwarding-rules create weft-http \
	--global --target-http-proxy=weft-proxy --ports=80

# Autoscaling between 2 and 10 VMs on the load balancer's utilization.
gcloud compute instance-groups managed set-autoscaling weft-group \
	--zone="$ZONE" --min-num-replicas=2 --max-num-replicas=10 \
	--target-load-balancing-utilization=0.8 --cool-down-period=60

ip=$(gcloud compute forwarding-rules describe weft-http --global --format='get(IPAddress)')
echo "the load balancer answers on http://$ip/ once the backends are healthy:"
echo "  gcloud compute backend-services get-health weft-backend --global"
