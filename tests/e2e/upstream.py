#!/usr/bin/env python3
"""tests/e2e/upstream.py — an HTTP/1.1 upstream for app=proxy's tests, run
inside the test's network namespace (tests/e2e/proxy.sh). Keep-alive, one
thread per connection.

  upstream.py NAME ADDR PORT

  GET  /health        200 "ok"
  GET  /who           200 NAME (Content-Length)
  GET  /headers       200: the request's header lines as received
  GET  /conns         200: TCP connections accepted so far (health checks'
                      apart: those carry User-Agent weft-proxy-health and
                      are counted in /healthconns)
  GET  /slow?ms=N     waits N ms, then 200 NAME
  GET  /stream?n=N    N bytes of a fixed pattern, chunked (no length)
  POST /echo          the body back as it arrives, chunked, while still
                      reading it (a streaming echo: both directions at once)
  GET  /close         200 with no length, the body ends with the close
  GET  /reset         closes the connection without answering
  GET  /cut           promises 100000 bytes (Content-Length), sends 10, closes
  GET  /cutchunked    a chunked body cut off after one chunk
"""
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = sys.argv[1]
ADDR = sys.argv[2]
PORT = int(sys.argv[3])
lock = threading.Lock()
conns = {"all": 0, "health": 0}


def pattern(n):
    block = bytes((i * 7 + 3) % 251 for i in range(65536))
    while n > 0:
        k = min(n, len(block))
        yield block[:k]
        n -= k


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        self.counted = False

    def count(self):
        if self.counted:
            return
        self.counted = True
        kind = "health" if self.headers.get("User-Agent") == "weft-proxy-health" else "all"
        with lock:
            conns[kind] += 1

    def reply(self, body, status=200, ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

    def do_GET(self):
        self.count()
        path, _, query = self.path.partition("?")
        args = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if path == "/health":
            self.reply(b"ok\n")
        elif path == "/who":
            self.reply(NAME.encode() + b"\n")
        elif path == "/headers":
            self.reply(str(self.headers).encode())
        elif path == "/conns":
            with lock:
                self.reply(b"%d\n" % conns["all"])
        elif path == "/healthconns":
            with lock:
                self.reply(b"%d\n" % conns["health"])
        elif path == "/slow":
            time.sleep(int(args.get("ms", "1000")) / 1000)
            self.reply(NAME.encode() + b"\n")
        elif path == "/stream":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in pattern(int(args.get("n", "0"))):
                self.chunk(piece)
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the close\n")
            self.close_connection = True
        elif path == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
        elif path == "/cutchunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk(b"0123456789")
            self.close_connection = True
        elif path == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            self.close_connection = True
        else:
            self.reply(b"not found\n", 404)

    def do_HEAD(self):
        self.count()
        self.send_response(200)
        self.send_header("Content-Length", "1234")
        self.end_headers()

    def do_POST(self):
        self.count()
        if self.path != "/echo":
            self.reply(b"not found\n", 404)
            return
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    data = self.rfile.read1(min(left, 65536))
                    if not data:
                        return
                    left -= len(data)
                    self.chunk(data)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                data = self.rfile.read1(min(left, 65536))
                if not data:
                    return
                left -= len(data)
                self.chunk(data)
        self.wfile.write(b"0\r\n\r\n")


class S(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


S((ADDR, PORT), H).serve_forever()
