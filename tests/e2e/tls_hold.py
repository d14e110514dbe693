#!/usr/bin/env python3
"""tests/e2e/tls_hold.py — hold TLS connections open, for the test of
HTTPS's connection slots (e2e.https.slots in tests/e2e/https.sh).

usage: tls_hold.py PORT N

Opens N TLS connections to 127.0.0.1:PORT (no certificate check: only the
slots matter), makes one keep-alive GET / on each and reads its answer, so
each is a finished handshake that keeps its slot; prints "held N" and then
keeps them until stdin closes (or a line is read), closes them, and prints
"released". Exits 1, saying why, if a connection or its answer fails.
"""
import socket
import ssl
import sys


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    held = []
    for i in range(n):
        try:
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20))
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            got = b""
            while b"</html>" not in got:
                b = s.recv(65536)
                if not b:
                    raise OSError("closed before the whole answer")
                got += b
            if not got.startswith(b"HTTP/1.1 200"):
                raise OSError("answer %r" % got[:40])
        except OSError as e:
            print("connection %d: %s" % (i + 1, e), flush=True)
            return 1
        held.append(s)
    print("held %d" % len(held), flush=True)
    sys.stdin.readline()
    for s in held:
        s.close()
    print("released", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
