#!/usr/bin/env bash
# tools/run.sh KERNEL CMDLINE — what `make run` runs.
#
# Boots the appliance on q35 with 2 CPUs and user networking, the guest's
# port 80 forwarded from the first free 127.0.0.1 port at or above 8080
# (override the start with WEFT_PORT). The terminal is the serial console;
# Ctrl-C stops QEMU. QEMU's flags live in tools/qemu.sh.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 KERNEL CMDLINE" >&2; exit 2; }
kernel=$1 cmdline=$2
repo=$(cd "$(dirname "$0")/.." && pwd)

# First port from WEFT_PORT (default 8080) that 127.0.0.1 can bind. A small
# race remains (someone may take it before QEMU does); QEMU then says so.
port=$(python3 - "${WEFT_PORT:-8080}" <<'EOF'
import socket, sys
start = int(sys.argv[1])
for port in range(start, min(start + 200, 65536)):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit("run.sh: no free port in %d..%d" % (start, start + 199))
EOF
)

echo "Weft is serving on http://127.0.0.1:$port/ (Ctrl-C stops it)"
echo "  live status: http://127.0.0.1:$port/status   metrics: http://127.0.0.1:$port/metrics"
exec "$repo/tools/qemu.sh" --interactive --machine q35 --smp "${WEFT_SMP:-2}" --net user \
	--hostfwd "tcp:127.0.0.1:$port-:80" --kernel "$kernel" --append "$cmdline"
