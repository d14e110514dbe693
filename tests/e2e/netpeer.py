#!/usr/bin/env python3
"""tests/e2e/netpeer.py — the peers net.sh's guest dials, run inside the
test's network namespace, on every address of the namespace (IPv4 and
IPv6, one dual-stack socket each):

  TCP 7   echo: each connection gets back what it sends
  TCP 9   silent: accepts and holds connections, never sends, never closes
  TCP 10  full: listen(0) with its accept queue filled by this script's own
          connections (from 127.0.0.1), so Linux drops further SYNs: a dial
          to it times out
  UDP 7   echo: each datagram goes back to its sender

It prints "netpeer: ready" once all of them are up, and one line per
connection or datagram ("netpeer: tcp 7 from ADDR"), then runs until it is
stopped (SIGTERM). Usage: netpeer.py (no arguments)."""

import socket
import sys
import threading


def log(msg):
    print("netpeer: " + msg, flush=True)


def listener(port, backlog=64):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(backlog)
    return s


def echo_conn(c):
    with c:
        while True:
            try:
                data = c.recv(65536)
            except OSError:
                return
            if not data:
                return
            c.sendall(data)


def serve_tcp(s, port, handler):
    held = []
    while True:
        c, addr = s.accept()
        log("tcp %d from %s" % (port, addr[0]))
        if handler:
            threading.Thread(target=handler, args=(c,), daemon=True).start()
        else:
            held.append(c)  # silent: keep it open, say nothing


def serve_udp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        data, addr = s.recvfrom(65536)
        log("udp %d from %s, %d bytes" % (port, addr[0], len(data)))
        s.sendto(data, addr)


def fill_backlog(port):
    """Connect to the full listener until a connect no longer completes."""
    fillers = []
    for _ in range(16):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(0.5)
        try:
            c.connect(("127.0.0.1", port))
        except OSError:
            c.close()
            return fillers
        fillers.append(c)
    sys.exit("netpeer: the accept queue of port %d never filled" % port)


def main():
    echo = listener(7)
    silent = listener(9)
    full = listener(10, 0)
    threading.Thread(target=serve_tcp, args=(echo, 7, echo_conn), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(silent, 9, None), daemon=True).start()
    threading.Thread(target=serve_udp, args=(7,), daemon=True).start()
    fillers = fill_backlog(10)
    log("port 10 full after %d connections" % len(fillers))
    log("ready")
    threading.Event().wait()


if __name__ == "__main__":
    main()
