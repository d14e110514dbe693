#!/usr/bin/env python3
"""tests/e2e/netem_relay.py — a userspace stand-in for `tc qdisc ... netem`.

For kernels built without sch_netem (CONFIG_NET_SCH_NETEM), such as the one
this project's machines run. It joins two tap devices of one network
namespace and impairs what passes between them, in both directions:

    host stack (10.77.0.1) -- HOST_TAP == relay == GUEST_TAP -- QEMU -- guest
                              (our fd)              (AF_PACKET)  (its fd)

  - HOST_TAP: the relay holds the device's file descriptor (TUNSETIFF), so
    frames the host stack sends on it come to the relay, and frames the relay
    writes to it are received by the host stack. Its offloads are switched
    off (TUNSETOFFLOAD 0), so every frame carries a full checksum.
  - GUEST_TAP: QEMU holds its descriptor; the relay sends and receives its
    frames through an AF_PACKET socket bound to the device. Give that device
    no address, ARP off and IPv6 off, so the host stack stays out of the way,
    and start QEMU with --tap-offload off, so frames carry full checksums
    and no segmentation offload (a plain relay cannot pass virtio-net
    headers).

Impairment, the same model as `netem loss L delay D J reorder R C`, applied
to each direction separately: a frame is dropped with probability L; else,
with probability R (correlated C with the previous decision), sent at once;
else delayed by D +- J ms (uniform), so that frames overtake one another.

Runs until SIGTERM/SIGINT, then prints one line of counts on stdout:
"relay: to-guest N frames (dropped D, immediate I) to-host ... ".
Prints "relay: ready" once both devices are open.

usage: netem_relay.py HOST_TAP GUEST_TAP [--loss 5] [--delay-ms 5]
                      [--jitter-ms 5] [--reorder 25] [--reorder-corr 50]
                      [--seed N] [--direction both|to-guest|to-host]
"""

import argparse
import fcntl
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
TUNSETOFFLOAD = 0x400454D0
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

stop = False


def on_signal(signum, frame):
    global stop
    stop = True


class Direction:
    def __init__(self, name, rng, a):
        self.name = name
        self.rng = rng
        on = a.direction in ("both", name)
        self.loss = a.loss / 100.0 if on else 0.0
        self.delay = a.delay_ms / 1000.0 if on else 0.0
        self.jitter = a.jitter_ms / 1000.0 if on else 0.0
        self.reorder = a.reorder / 100.0 if on else 0.0
        self.corr = a.reorder_corr / 100.0
        self.last = 0.0
        self.log_first = a.log_first
        self.frames = self.dropped = self.immediate = self.sent = self.errors = 0

    def schedule(self, t, frame):
        """None to drop, else the time to send."""
        self.frames += 1
        if self.frames <= self.log_first:
            print("relay: %s #%d %s" % (self.name, self.frames, describe(frame)), flush=True)
        if self.rng.random() < self.loss:
            self.dropped += 1
            return None
        # netem's correlated random: a mix of a fresh draw and the last one
        r = (1 - self.corr) * self.rng.random() + self.corr * self.last
        self.last = r
        if self.reorder > 0 and r < self.reorder:
            self.immediate += 1
            return t
        d = self.delay + self.rng.uniform(-self.jitter, self.jitter)
        return t + max(0.0, d)

    def summary(self):
        return "%s %d frames (dropped %d, immediate %d, sent %d, send errors %d)" % (
            self.name, self.frames, self.dropped, self.immediate, self.sent, self.errors)


def describe(f):
    """A frame in a few words, for --log-first."""
    mac = lambda b: ":".join("%02x" % x for x in b)
    s = "%s > %s" % (mac(f[6:12]), mac(f[0:6]))
    et = int.from_bytes(f[12:14], "big")
    if et == 0x0806 and len(f) >= 42:
        op = {1: "who-has", 2: "is-at"}.get(int.from_bytes(f[20:22], "big"), "?")
        return s + " ARP %s: sender %s, target %s" % (
            op, ".".join(map(str, f[28:32])), ".".join(map(str, f[38:42])))
    if et == 0x0800 and len(f) >= 34:
        ihl = (f[14] & 15) * 4
        proto = f[23]
        src, dst = ".".join(map(str, f[26:30])), ".".join(map(str, f[30:34]))
        if proto == 6 and len(f) >= 14 + ihl + 14:
            t = f[14 + ihl:]
            flags = "".join(c for c, b in zip("FSRPA", (1, 2, 4, 8, 16)) if t[13] & b)
            return s + " TCP %s:%d > %s:%d [%s] len %d" % (
                src, int.from_bytes(t[0:2], "big"), dst, int.from_bytes(t[2:4], "big"),
                flags, len(f) - 14 - ihl - (t[12] >> 4) * 4)
        return s + " IP proto %d %s > %s len %d" % (proto, src, dst, len(f))
    return s + " ethertype 0x%04x len %d" % (et, len(f))


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    ifr = struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    # No offloads: the host stack must hand us complete frames with their
    # checksums filled in. A QEMU that used the device before us (with a
    # virtio-net header) left checksum offload switched on, and it stays on
    # a persistent tap: frames would come with partial checksums that the
    # guest rightly drops.
    fcntl.ioctl(fd, TUNSETOFFLOAD, 0)
    return fd


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host_tap")
    p.add_argument("guest_tap")
    p.add_argument("--loss", type=float, default=5.0, help="percent")
    p.add_argument("--delay-ms", type=float, default=5.0)
    p.add_argument("--jitter-ms", type=float, default=5.0)
    p.add_argument("--reorder", type=float, default=25.0, help="percent sent at once")
    p.add_argument("--reorder-corr", type=float, default=50.0, help="percent")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--log-first", type=int, default=0, metavar="N",
                   help="describe the first N frames of each direction")
    p.add_argument("--direction", choices=("both", "to-guest", "to-host"), default="both",
                   help="which direction to impair (the other passes untouched)")
    a = p.parse_args()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    tapfd = open_tap(a.host_tap)
    ps = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    ps.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    ps.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    ps.bind((a.guest_tap, 0))
    ps.setblocking(False)

    rng = random.Random(a.seed)
    to_guest = Direction("to-guest", rng, a)
    to_host = Direction("to-host", rng, a)
    heap = []  # (time, seq, direction, frame)
    seq = 0
    print("relay: ready (%s <-> %s: loss %g%%, delay %g ms +- %g ms, reorder %g%% %g%%, %s)" % (
        a.host_tap, a.guest_tap, a.loss, a.delay_ms, a.jitter_ms, a.reorder,
        a.reorder_corr, "both directions" if a.direction == "both" else a.direction + " only"),
        flush=True)

    while not stop:
        t = time.monotonic()
        while heap and heap[0][0] <= t:
            _, _, d, frame = heapq.heappop(heap)
            try:
                if d is to_guest:
                    ps.send(frame)
                else:
                    os.write(tapfd, frame)
                d.sent += 1
            except (BlockingIOError, OSError):
                d.errors += 1
        timeout = 0.2 if not heap else max(0.0, heap[0][0] - time.monotonic())
        try:
            r, _, _ = select.select([tapfd, ps], [], [], timeout)
        except InterruptedError:
            continue
        t = time.monotonic()
        if tapfd in r:
            for _ in range(64):
                try:
                    frame = os.read(tapfd, 65536)
                except BlockingIOError:
                    break
                when = to_guest.schedule(t, frame)
                if when is not None:
                    seq += 1
                    heapq.heappush(heap, (when, seq, to_guest, frame))
        if ps in r:
            for _ in range(64):
                try:
                    frame, addr = ps.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own sends (and the host stack's) on GUEST_TAP
                when = to_host.schedule(t, frame)
                if when is not None:
                    seq += 1
                    heapq.heappush(heap, (when, seq, to_host, frame))

    print("relay: %s; %s" % (to_guest.summary(), to_host.summary()), flush=True)


if __name__ == "__main__":
    try:
        main()
    except OSError as e:
        print("relay: %s" % e, file=sys.stderr)
        sys.exit(1)
