#!/usr/bin/env python3
"""bench/conns_client.py — bench/conns.sh's load: many idle connections to
an echo server, each then served one request.

usage: conns_client.py HOST PORT --steps 100,1000,10000 --srcs IP,IP,...
                       [--insn-dir DIR] [--per-src 50000] [--idle-s 3]

For each step N, in order: the connections open (non-blocking, up to 256
connects in flight) until N are open at once, connection i bound to
source address srcs[i // per-src] (a source address has ~64,000 ports);
then, with all N idle, the guest's instructions over --idle-s seconds
(its idle cost with N open: timers walking pcbs); then one 32-byte line
through every one of the N connections, 32 connections at a time (sent,
then all 32 answers read), each answer checked. One line per step:

  STEP n=N open_s=S idle_insn_s=I serve_s=T us_per_req=U insn_per_req=R

insn figures come from the instruction-count plugin (tools/insn) through
DIR/ctl and DIR/out, "-" without --insn-dir. The connections stay open
into the next step (the next step opens only the difference), and all
close at the end. Exits 1 with a line on stderr when anything fails: a
refused or reset connection, a wrong or missing answer.
"""
import argparse
import errno
import os
import resource
import select
import socket
import sys
import time

BATCH = 32
CONNECT_WINDOW = 256
IP_BIND_ADDRESS_NO_PORT = 24


class Failure(Exception):
    pass


def insn_mark(d):
    """The guest's instruction total now (tools/insn/lib.sh's insn_mark)."""
    if not d:
        return None
    label = "mark-%d-%d" % (os.getpid(), time.time_ns())
    try:
        fd = os.open(os.path.join(d, "ctl"), os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        raise Failure("instruction plugin: %s" % e)
    try:
        os.write(fd, (label + "\n").encode())
    finally:
        os.close(fd)
    out = os.path.join(d, "out")
    end = time.time() + 30
    while time.time() < end:
        with open(out) as f:
            for line in f:
                w = line.split()
                if len(w) == 2 and w[0] == label:
                    return int(w[1])
        time.sleep(0.02)
    raise Failure("instruction plugin: no answer to %s" % label)


def open_more(socks, n, a):
    """Open connections until len(socks) == n."""
    ep = select.epoll()
    pending = {}
    deadline = time.time() + a.timeout
    while len(socks) + len(pending) < n or pending:
        while len(pending) < CONNECT_WINDOW and len(socks) + len(pending) < n:
            i = len(socks) + len(pending)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            s.bind((a.srcs[min(i // a.per_src, len(a.srcs) - 1)], 0))
            s.setblocking(False)
            r = s.connect_ex((a.host, a.port))
            if r not in (0, errno.EINPROGRESS):
                raise Failure("connect %d: %s" % (i + 1, os.strerror(r)))
            pending[s.fileno()] = s
            ep.register(s.fileno(), select.EPOLLOUT)
        if time.time() > deadline:
            raise Failure("only %d of %d connections open in %d s" % (len(socks), n, a.timeout))
        for fd, _ in ep.poll(1.0):
            s = pending.pop(fd)
            ep.unregister(fd)
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise Failure("connection %d: %s" % (len(socks) + 1, os.strerror(err)))
            s.setblocking(True)
            s.settimeout(a.timeout)
            socks.append(s)
    ep.close()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            raise Failure("connection closed after %d of %d bytes" % (len(buf), n))
        buf += b
    return buf


def serve_all(socks):
    for k in range(0, len(socks), BATCH):
        part = socks[k:k + BATCH]
        lines = [(b"request %026d\n" % (k + j))[:32] for j in range(len(part))]
        for s, line in zip(part, lines):
            s.sendall(line)
        for j, (s, line) in enumerate(zip(part, lines)):
            got = recv_exact(s, len(line))
            if got != line:
                raise Failure("connection %d answered %r, not %r" % (k + j, got, line))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--steps", default="100,1000,10000")
    ap.add_argument("--srcs", required=True)
    ap.add_argument("--per-src", type=int, default=50000)
    ap.add_argument("--insn-dir", default="")
    ap.add_argument("--idle-s", type=float, default=3.0)
    ap.add_argument("--timeout", type=int, default=600)
    a = ap.parse_args()
    a.srcs = a.srcs.split(",")
    steps = [int(x) for x in a.steps.split(",")]
    need = max(steps) + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard < need:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
        else:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    if max(steps) > a.per_src * len(a.srcs):
        raise Failure("%d connections need %d source addresses" % (max(steps), -(-max(steps) // a.per_src)))
    socks = []
    try:
        for n in steps:
            t0 = time.time()
            open_more(socks, n, a)
            open_s = time.time() - t0
            time.sleep(1.0)          # the last accepts settle
            i0 = insn_mark(a.insn_dir)
            time.sleep(a.idle_s)
            i1 = insn_mark(a.insn_dir)
            t1 = time.time()
            serve_all(socks)
            t2 = time.time()
            i2 = insn_mark(a.insn_dir)
            fmt = lambda v: "-" if v is None else "%.0f" % v
            print("STEP n=%d open_s=%.1f idle_insn_s=%s serve_s=%.2f us_per_req=%.0f insn_per_req=%s" % (
                n, open_s, fmt(None if i0 is None else (i1 - i0) / a.idle_s), t2 - t1,
                (t2 - t1) * 1e6 / n, fmt(None if i0 is None else (i2 - i1) / n)), flush=True)
    finally:
        for s in socks:
            s.close()


if __name__ == "__main__":
    try:
        main()
    except (Failure, OSError) as e:
        print("conns_client: %s" % e, file=sys.stderr)
        sys.exit(1)
