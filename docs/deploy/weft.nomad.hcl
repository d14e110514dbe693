# docs/deploy/weft.nomad.hcl — Weft as a Nomad job on the qemu task driver.
#
#   nomad job run docs/deploy/weft.nomad.hcl
#
# Each of the three tasks boots the qcow2 image (fetched by the artifact
# block) under KVM. port_map makes the driver add a user-networking
# virtio-net NIC that forwards the allocation's dynamic "http" port to the
# guest's port 80; the service registers that port with an HTTP check on
# /healthz, so a load balancer reading Nomad's (or Consul's) catalog sends
# traffic only to healthy VMs. The serial console goes to the task's
# stdout: `nomad alloc logs ALLOC`.
job "weft" {
  datacenters = ["dc1"]
  type        = "service"

  group "web" {
    count = 3

    network {
      port "http" {}
    }

    service {
      name     = "weft"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/healthz"
        interval = "10s"
        timeout  = "2s"
      }
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "5s"
      mode     = "delay"
    }

    task "weft" {
      driver = "qemu"

      artifact {
        source      = "https://images.example.com/weft/weft.qcow2"
        destination = "local/weft.qcow2"
        mode        = "file"
      }

      config {
        image_path  = "local/weft.qcow2"
        accelerator = "kvm"
        port_map {
          http = 80
        }
        args = ["-smp", "2"]
      }

      resources {
        cpu    = 1000
        memory = 256
      }
    }
  }
}
