#!/usr/bin/env python3
"""tests/e2e/tls_raw.py — hostile byte streams for the TLS port (used by
tests/e2e/https.sh). Only ever connects to 127.0.0.1.

  tls_raw.py PORT garbage        plain HTTP on the TLS port; expects the
                                 server to close (EOF or reset) within 10 s
  tls_raw.py PORT truncated SEED the first half of a recorded ClientHello,
                                 then close
  tls_raw.py PORT oversized      a handshake record header claiming 65535
                                 bytes; expects the server to close
  tls_raw.py PORT stall N SECS   N connections that send nothing; expects
                                 every one closed by the server within SECS
Prints one line "ok ..." and exits 0, or "bad: why" and exits 1.
"""
import socket, sys, time

HOST = "127.0.0.1"


def closed_by_peer(s, secs):
    s.settimeout(secs)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def main():
    port, what = int(sys.argv[1]), sys.argv[2]
    if what in ("garbage", "oversized", "truncated"):
        s = socket.create_connection((HOST, port), timeout=10)
        if what == "garbage":
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        elif what == "oversized":
            s.sendall(b"\x16\x03\x01\xff\xff" + b"\x01" * 4096)
        else:
            hello = open(sys.argv[3], "rb").read()
            s.sendall(hello[: len(hello) // 2])
            s.shutdown(socket.SHUT_WR)
        if not closed_by_peer(s, 10):
            print("bad: the server kept the connection open")
            return 1
        print("ok", what)
        return 0
    if what == "stall":
        n, secs = int(sys.argv[3]), float(sys.argv[4])
        socks = []
        t0 = time.time()
        for _ in range(n):
            # Each gets SECS from its own connect (slirp accepts one at a
            # time, so connecting 200 takes a while on a busy machine).
            socks.append((socket.create_connection((HOST, port), timeout=30), time.time()))
        open_ = 0
        for s, t in socks:
            left = max(0.1, secs - (time.time() - t))
            if not closed_by_peer(s, left):
                open_ += 1
        if open_:
            print("bad: %d of %d stalled handshakes still open after %.0f s" % (open_, n, secs))
            return 1
        print("ok %d stalled handshakes closed in %.1f s" % (n, time.time() - t0))
        return 0
    print("bad: unknown mode", what)
    return 2


sys.exit(main())
