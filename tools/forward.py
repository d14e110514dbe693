#!/usr/bin/env python3
"""tools/forward.py --qmp SOCKET --log CONSOLE [--start PORT] [--probe-secs N]

What `make run` (tools/run.sh) runs beside QEMU: it forwards a host port to
every TCP port the guest listens on, as the guest announces them.

The guest's net layer prints "net: listening on TCP port N" when a listener
opens (net/conn.c). This script follows the console's copy (QEMU's
logfile=), and for each new N asks QEMU's monitor, over QMP, for a user-net
forward from 127.0.0.1:H to the guest's N (HMP's hostfwd_add). H is N itself
when N >= 1024 and free on 127.0.0.1 (port=8081 is served on 8081), else the
first free port at or above --start (8080, then 8081, ...). It then probes
the forward and says "serving on http://127.0.0.1:H/" only once the guest
answers: an HTTP answer; a completed TLS handshake ("serving on
https://localhost:H/", with the curl --cacert line when --cacert names the
baked certificate); or for other protocols any bytes back or a
connection the guest kept open (slirp closes the host side at once when the
guest refuses). Forwards use 127.0.0.1 only.

Output goes to stderr with CR LF line ends: the terminal is QEMU's serial
console, in raw mode while QEMU runs. The script ends when QEMU closes the
monitor (QEMU exited), or on SIGTERM from run.sh. Exit status 0, or 2 for
a bad argument.
"""
import argparse
import json
import os
import re
import signal
import socket
import sys
import time

LISTEN_RE = re.compile(rb"net: listening on TCP port (\d+)")


def say(msg):
    sys.stderr.write("run: " + msg + "\r\n")
    sys.stderr.flush()


def free_port(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_host_port(guest, start, taken):
    if guest >= 1024 and guest not in taken and free_port(guest):
        return guest
    for p in range(start, min(start + 200, 65536)):
        if p not in taken and free_port(p):
            return p
    return None


class Qmp:
    def __init__(self, path, wait_secs=30):
        deadline = time.monotonic() + wait_secs
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.buf = b""
        self.read_msg()  # the greeting
        self.call("qmp_capabilities")

    def read_msg(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("QEMU closed the monitor")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.s.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            m = self.read_msg()
            if "return" in m:
                return m["return"]
            if "error" in m:
                raise RuntimeError(m["error"].get("desc", str(m["error"])))
            # an event: skip it

    def hmp(self, line):
        return self.call("human-monitor-command", **{"command-line": line})

    def alive(self):
        try:
            self.call("query-status")
            return True
        except (OSError, EOFError):
            return False


def probe(port, secs):
    """'http' (an HTTP answer), 'tcp' (the guest accepted), or None.

    slirp accepts on the host side first and closes at once when the guest
    refuses, so a connection still open after a second is the guest's. Then
    a HEAD request tells an HTTP server from other protocols (an echo
    server sends it back, a DNS server waits or closes)."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            time.sleep(0.2)
            continue
        try:
            c.settimeout(1)
            try:
                if not c.recv(1):
                    raise OSError("closed")  # refused behind slirp
            except socket.timeout:
                pass  # held open: the guest accepted
            c.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
            c.settimeout(2)
            try:
                data = c.recv(16)
            except socket.timeout:
                data = b""
            if data.startswith(b"HTTP/"):
                return "http"
            return "https" if speaks_tls(port) else "tcp"
        except OSError:
            pass
        finally:
            c.close()
        time.sleep(0.3)
    return None


def speaks_tls(port):
    """Whether a TLS handshake on 127.0.0.1:port completes (HTTPS, TLS echo);
    the certificate is not checked: this only tells which kind of port."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as c:
            with ctx.wrap_socket(c, server_hostname="localhost"):
                return True
    except (OSError, ssl.SSLError):
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qmp", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--start", type=int, default=8080)
    ap.add_argument("--probe-secs", type=float, default=120)
    ap.add_argument("--cacert", default="", help="the certificate HTTPS serves (for the curl line)")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        qmp = Qmp(a.qmp)
    except (OSError, EOFError, RuntimeError) as e:
        say("cannot reach QEMU's monitor at %s (%s): no port forwarding" % (a.qmp, e))
        return 0
    forwarded = {}  # guest port -> host port
    pos, pending, idle = 0, b"", 0
    while True:
        try:
            with open(a.log, "rb") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            data = b""
        pos += len(data)
        pending += data
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            m = LISTEN_RE.search(line)
            if not m:
                continue
            guest = int(m.group(1))
            if guest in forwarded:
                continue
            host = pick_host_port(guest, a.start, set(forwarded.values()))
            if host is None:
                say("no free port on 127.0.0.1 for the guest's port %d" % guest)
                continue
            try:
                err = qmp.hmp("hostfwd_add tcp:127.0.0.1:%d-:%d" % (host, guest))
            except (OSError, EOFError):
                return 0
            if err.strip():
                say("cannot forward 127.0.0.1:%d to the guest's port %d: %s"
                    % (host, guest, err.strip()))
                continue
            forwarded[guest] = host
            kind = probe(host, a.probe_secs)
            if kind == "http":
                say("serving on http://127.0.0.1:%d/ (the guest's port %d; Ctrl-C stops it)"
                    % (host, guest))
                say("  live status: http://127.0.0.1:%d/status   metrics: "
                    "http://127.0.0.1:%d/metrics" % (host, host))
            elif kind == "https":
                say("serving on https://localhost:%d/ (TLS, the guest's port %d; Ctrl-C stops it)"
                    % (host, guest))
                if a.cacert:
                    say("  curl --cacert %s https://localhost:%d/" % (a.cacert, host))
            elif kind == "tcp":
                say("serving on 127.0.0.1:%d (TCP, the guest's port %d; Ctrl-C stops it)"
                    % (host, guest))
            else:
                say("127.0.0.1:%d forwards to the guest's port %d, but the guest does "
                    "not answer" % (host, guest))
        if not data:
            idle += 1
            if idle % 20 == 0 and not qmp.alive():
                return 0
            time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
