#!/usr/bin/env python3
"""tests/e2e/standin_echo.py — a host-side stand-in for the guest's app=echo.

Not a test: it lets the e2e scripts and echo_client.py be checked without a
guest (WEFT_E2E_STANDIN=1 tests/e2e/echo.sh), and shows the behaviour the
guest app is expected to have:

  - TCP echo on PORT, one thread per connection ("task"); on EOF it finishes
    echoing what it read, then closes;
  - each write has a deadline (--write-timeout-ms, default 5000): when it
    fires the connection is closed with a reset and the thread exits;
    reads have an idle deadline of 60 s;
  - the stats port answers each connection with one line
    "tasks_alive N conns_open M conns_accepted K" and closes.

It prints the same lines the guest prints ("echo: listening on port P" and
a "net:" line) so that the scripts' waiting code is exercised too.

usage: standin_echo.py HOST PORT STATS_PORT [--write-timeout-ms MS]
"""

import argparse
import socket
import struct
import sys
import threading

lock = threading.Lock()
counts = {"tasks_alive": 0, "conns_open": 0, "conns_accepted": 0}
BASE_TASKS = 2  # the two accept loops


def add(key, n):
    with lock:
        counts[key] += n


def serve_conn(c, write_timeout, idle_timeout):
    try:
        while True:
            c.settimeout(idle_timeout)
            try:
                data = c.recv(65536)
            except (socket.timeout, OSError):
                break
            if not data:
                break  # EOF: everything read was echoed already
            c.settimeout(write_timeout)
            try:
                c.sendall(data)
            except socket.timeout:
                # the write deadline fired: reset and end the task
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            except OSError:
                break
    finally:
        c.close()
        add("conns_open", -1)
        add("tasks_alive", -1)


def accept_loop(ls, write_timeout, idle_timeout):
    while True:
        c, _ = ls.accept()
        add("conns_accepted", 1)
        add("conns_open", 1)
        add("tasks_alive", 1)
        threading.Thread(target=serve_conn, args=(c, write_timeout, idle_timeout),
                         daemon=True).start()


def stats_loop(ls):
    while True:
        c, _ = ls.accept()
        with lock:
            line = "tasks_alive %d conns_open %d conns_accepted %d\n" % (
                counts["tasks_alive"] + BASE_TASKS, counts["conns_open"],
                counts["conns_accepted"])
        try:
            c.sendall(line.encode())
        except OSError:
            pass
        c.close()


def listener(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(1024)
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("stats_port", type=int)
    p.add_argument("--write-timeout-ms", type=int, default=5000)
    p.add_argument("--idle-timeout-ms", type=int, default=60000)
    a = p.parse_args()
    ls = listener(a.host, a.port)
    ss = listener(a.host, a.stats_port)
    threading.Thread(target=stats_loop, args=(ss,), daemon=True).start()
    print("net: %s/32 gw %s (static)" % (a.host, a.host), flush=True)
    print("echo: listening on port %d (stats on %d)" % (a.port, a.stats_port), flush=True)
    accept_loop(ls, a.write_timeout_ms / 1000, a.idle_timeout_ms / 1000)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
