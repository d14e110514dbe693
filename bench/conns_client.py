#!/usr/bin/env python3
"""bench/conns_client.py — bench/conns.sh's load: many idle connections to
an echo server, each then served one request.

usage: conns_client.py HOST PORT --steps 100,1000,10000 --srcs IP,IP,...
                       [--insn-dir DIR] [--per-worker 15000] [--idle-s 3]

The connections are spread over worker processes of at most --per-worker
(15,000) each, since a process may hold only so many descriptors (20,000
on this project's machines, where even root cannot raise the hard
limit); worker k binds its connections to source address
srcs[k % len(srcs)] (an address has ~64,000 ports). For each step N, in
order: the workers open connections (non-blocking, up to 256 connects in
flight each) until N are open at once; then, with all N idle, the
guest's instructions over --idle-s seconds (its idle cost with N open:
timers walking pcbs); then one 32-byte line through every one of the N
connections, each worker 32 connections at a time (sent, then all 32
answers read), each answer checked. One line per step:

  STEP n=N open_s=S idle_insn_s=I serve_s=T us_per_req=U insn_per_req=R

insn figures come from the instruction-count plugin (tools/insn) through
DIR/ctl and DIR/out, "-" without --insn-dir. The connections stay open
into the next step (the next step opens only the difference), and all
close at the end. Exits 1 with a line on stderr when anything fails: a
refused or reset connection, a wrong or missing answer.
"""
import argparse
import errno
import multiprocessing
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
            s.bind((a.src, 0))
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


def worker(a, k, pipe):
    """Worker k: opens and serves its share of the connections on command."""
    a.src = a.srcs[k % len(a.srcs)]
    socks = []
    try:
        while True:
            cmd = pipe.recv()
            if cmd[0] == "open":
                open_more(socks, cmd[1], a)
            elif cmd[0] == "serve":
                serve_all(socks)
            else:
                break
            pipe.send(("ok",))
    except (Failure, OSError) as e:
        pipe.send(("err", "worker %d (%s, %d open): %s" % (k, a.src, len(socks), e)))
    finally:
        for s in socks:
            s.close()


def all_do(pipes, cmds):
    for p, c in zip(pipes, cmds):
        p.send(c)
    errs = [r[1] for r in (p.recv() for p in pipes) if r[0] != "ok"]
    if errs:
        raise Failure("; ".join(errs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--steps", default="100,1000,10000")
    ap.add_argument("--srcs", required=True)
    ap.add_argument("--per-worker", type=int, default=15000)
    ap.add_argument("--insn-dir", default="")
    ap.add_argument("--idle-s", type=float, default=3.0)
    ap.add_argument("--timeout", type=int, default=600)
    a = ap.parse_args()
    a.srcs = a.srcs.split(",")
    steps = [int(x) for x in a.steps.split(",")]
    nw = -(-max(steps) // a.per_worker)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = min(max(steps), a.per_worker) + 256
    if soft < need:
        if hard < need:
            raise Failure("RLIMIT_NOFILE %d: under %d per worker" % (hard, need))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    if nw > 2 * len(a.srcs):
        raise Failure("%d workers need more than %d source addresses" % (nw, len(a.srcs)))
    pipes, procs = [], []
    for k in range(nw):
        mine, theirs = multiprocessing.Pipe()
        pr = multiprocessing.Process(target=worker, args=(a, k, theirs), daemon=True)
        pr.start()
        pipes.append(mine)
        procs.append(pr)
    fmt = lambda v: "-" if v is None else "%.0f" % v
    try:
        for n in steps:
            t0 = time.time()
            all_do(pipes, [("open", n // nw + (k < n % nw)) for k in range(nw)])
            open_s = time.time() - t0
            time.sleep(1.0)          # the last accepts settle
            i0 = insn_mark(a.insn_dir)
            time.sleep(a.idle_s)
            i1 = insn_mark(a.insn_dir)
            t1 = time.time()
            all_do(pipes, [("serve",)] * nw)
            t2 = time.time()
            i2 = insn_mark(a.insn_dir)
            print("STEP n=%d open_s=%.1f idle_insn_s=%s serve_s=%.2f us_per_req=%.0f insn_per_req=%s workers=%d" % (
                n, open_s, fmt(None if i0 is None else (i1 - i0) / a.idle_s), t2 - t1,
                (t2 - t1) * 1e6 / n, fmt(None if i0 is None else (i2 - i1) / n), nw), flush=True)
    finally:
        for p in pipes:
            try:
                p.send(("quit",))
            except OSError:
                pass
        for pr in procs:
            pr.join(10)


if __name__ == "__main__":
    try:
        main()
    except (Failure, OSError) as e:
        print("conns_client: %s" % e, file=sys.stderr)
        sys.exit(1)
