#!/usr/bin/env python3
"""tests/e2e/keepalive_many.py HOST PORT --conns N --rounds K [--timeout S]

Open N keep-alive connections to an HTTP server, all at once, and hold
them: then K rounds, each a GET / on every connection (all N requests
sent before any answer is read), every answer read whole (Content-Length)
and checked to be a 200 on a connection that stays open. Prints one
summary line; exits 1, naming the first failure, unless all N * K were
answered."""
import argparse
import socket
import sys
import time


def fail(msg):
    print("keepalive_many: " + msg, file=sys.stderr)
    sys.exit(1)


def read_answer(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed by the server" + (" mid-head" if buf else ""))
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = None
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    if length is None:
        raise ValueError("no Content-Length: " + lines[0].decode(errors="replace"))
    while len(body) < length:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed by the server mid-body")
        body += d
    return lines[0].decode(errors="replace"), len(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--conns", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    t0 = time.monotonic()
    socks = []
    for i in range(a.conns):
        try:
            socks.append(socket.create_connection((a.host, a.port), timeout=a.timeout))
        except OSError as e:
            fail("connection %d of %d: %s" % (i + 1, a.conns, e))
    req = ("GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % a.host).encode()
    answered = 0
    for r in range(a.rounds):
        for s in socks:
            s.sendall(req)
        for i, s in enumerate(socks):
            try:
                status, n = read_answer(s)
            except (OSError, EOFError, ValueError) as e:
                fail("round %d, connection %d: %s (%d of %d answered)"
                     % (r + 1, i + 1, e, answered, a.conns * a.rounds))
            if not status.startswith("HTTP/1.1 200"):
                fail("round %d, connection %d: %s" % (r + 1, i + 1, status))
            answered += 1
    for s in socks:
        s.close()
    print("%d of %d GETs answered 200 on %d keep-alive connections held at once, in %.1f s"
          % (answered, a.conns * a.rounds, a.conns, time.monotonic() - t0))


if __name__ == "__main__":
    main()
