#!/usr/bin/env python3
"""tests/e2e/mempressure.py — many connections sending large bodies at once
(tests/e2e/mempressure.sh drives it against app=kv; stdlib only).

    mempressure.py HOST PORT --conns 200 --size 1048576 --within 20

opens CONNS connections at once (all connected before any sends), and on
each sends `PUT /kv/mp/N` with a SIZE-byte body (Content-Length, then the
body as fast as the socket takes it), reading at the same time: a server
may answer before the body is in (an early 413/507) and close. One
thread, non-blocking sockets, a selector; nothing waits beyond WITHIN
seconds in all.

Each connection ends in one of:
  2xx       a complete response with a 2xx status (201 or 204 for a PUT)
  refused   a complete 503, 507 or 413 response that has a body (the
            reason, e.g. "no memory for the value"); the body is kept
  reset     the connection was reset or closed before a complete response
            (ECONNRESET, EPIPE, EOF), or could not be made
  bad       a complete response with any other status, or one with no
            body, or a response that does not parse
  hung      still open at the deadline
Then, the load over: every value answered 2xx reads back byte for byte
(the body of connection N is N as 8 decimal digits and a pseudo-random
block shared by all) and is deleted; a 64 KiB PUT and its GET are served
within --back-within seconds; and app=kv's /stats gauges (tasks,
connections, receive buffers, segments, keys, the heap in use) come
back to their values before the load. The last line is the summary
(outcomes, the /stats counters the load moved: heap_floor_hits,
kv_nomem, conns_refused, pbuf_pool_errors); --json FILE writes every
connection's outcome. Exit 0 when no connection is bad or hung and
everything after the load holds, 1 with the reason on stderr otherwise
(the verdict on the counts, e.g. that memory did run out, is the
caller's: mempressure.sh).
"""
import argparse
import errno
import json
import random
import selectors
import socket
import sys
import time

REFUSED = (503, 507, 413)


def body_of(i, size, block):
    head = b"%08d" % i
    return (head + block)[:size]


class Conn:
    def __init__(self, i, req):
        self.i = i
        self.out = req          # bytes still to send (a memoryview)
        self.sent = 0
        self.inbuf = bytearray()
        self.outcome = None
        self.status = None
        self.body = b""
        self.why = ""
        self.sock = None
        self.t_done = None

    def response(self):
        """None while incomplete; else (status, body)."""
        end = self.inbuf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.inbuf[:end]).decode("latin-1")
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ValueError("bad status line %r" % lines[0])
        status = int(parts[1])
        clen, chunked = None, False
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            k = k.strip().lower()
            if k == "content-length":
                clen = int(v.strip())
            elif k == "transfer-encoding" and "chunked" in v.lower():
                chunked = True
        rest = bytes(self.inbuf[end + 4:])
        if status in (204, 304) or (100 <= status < 200):
            return status, b""
        if chunked:
            out, p = b"", 0
            while True:
                e = rest.find(b"\r\n", p)
                if e < 0:
                    return None
                n = int(rest[p:e].split(b";")[0], 16)
                if n == 0:
                    return status, out
                if len(rest) < e + 2 + n + 2:
                    return None
                out += rest[e + 2:e + 2 + n]
                p = e + 2 + n + 2
        if clen is None:
            return None         # close-delimited: complete at EOF
        if len(rest) < clen:
            return None
        return status, rest[:clen]

    def finish(self, outcome, why=""):
        self.outcome = outcome
        self.why = why
        self.t_done = time.monotonic()


def judge(c, at_eof):
    """Set c's outcome from what it read, if the response is complete."""
    try:
        r = c.response()
    except ValueError as e:
        c.finish("bad", str(e))
        return True
    if r is None and at_eof and c.inbuf.find(b"\r\n\r\n") >= 0:
        end = c.inbuf.find(b"\r\n\r\n")
        r = (int(bytes(c.inbuf[:end]).split(b" ")[1]), bytes(c.inbuf[end + 4:]))
    if r is None:
        return False
    c.status, c.body = r
    if 200 <= c.status < 300:
        c.finish("2xx")
    elif c.status in REFUSED and c.body.strip():
        c.finish("refused")
    else:
        c.finish("bad", "status %d, body %r" % (c.status, c.body[:80]))
    return True


def flood(a):
    rnd = random.Random(a.seed)
    block = bytes(rnd.getrandbits(8) for _ in range(a.size))
    sel = selectors.DefaultSelector()
    conns = []
    t0 = time.monotonic()
    deadline = t0 + a.within
    # Connect everything first (non-blocking), so the bodies go at once.
    for i in range(a.conns):
        body = body_of(i, a.size, block)
        req = (b"PUT /kv/%s%d HTTP/1.1\r\nHost: weft\r\nContent-Length: %d\r\n"
               b"Connection: close\r\n\r\n" % (a.prefix.encode(), i, len(body))) + body
        c = Conn(i, memoryview(req))
        conns.append(c)
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((a.host, a.port))
        except BlockingIOError:
            pass
        except OSError as e:
            s.close()
            c.finish("reset", "connect: %s" % e)
            continue
        c.sock = s
    for c in conns:
        if c.sock:
            sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    left = sum(1 for c in conns if c.sock)
    while left and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=min(0.5, max(0.0, deadline - time.monotonic()))):
            c = key.data
            s = c.sock
            done = False
            if ev & selectors.EVENT_READ:
                try:
                    d = s.recv(65536)
                    if d:
                        c.inbuf += d
                        done = judge(c, False)
                    else:
                        if not judge(c, True):
                            c.finish("reset", "EOF after %d bytes sent, %d read" % (c.sent, len(c.inbuf)))
                        done = True
                except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as e:
                    if not judge(c, True):
                        c.finish("reset", "%s after %d bytes sent" % (e.__class__.__name__, c.sent))
                    done = True
                except BlockingIOError:
                    pass
                except OSError as e:
                    c.finish("reset", "recv: %s" % e)
                    done = True
            if not done and ev & selectors.EVENT_WRITE:
                try:
                    n = s.send(c.out[c.sent:c.sent + 262144])
                    c.sent += n
                    if c.sent == len(c.out):
                        sel.modify(s, selectors.EVENT_READ, c)
                except BlockingIOError:
                    pass
                except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as e:
                    # The server may have answered (an early refusal) and
                    # closed: read what is there before judging.
                    try:
                        while True:
                            d = s.recv(65536)
                            if not d:
                                break
                            c.inbuf += d
                    except OSError:
                        pass
                    if not judge(c, True):
                        c.finish("reset", "%s after %d bytes sent" % (e.__class__.__name__, c.sent))
                    done = True
                except OSError as e:
                    if e.errno in (errno.ENOTCONN, errno.ECONNREFUSED):
                        c.finish("reset", "connect: %s" % e)
                        done = True
                    else:
                        raise
            if done:
                sel.unregister(s)
                s.close()
                c.sock = None
                left -= 1
    for c in conns:
        if c.sock:
            c.finish("hung", "%d of %d bytes sent, %d read" % (c.sent, len(c.out), len(c.inbuf)))
            sel.unregister(c.sock)
            c.sock.close()
            c.sock = None
    return conns, block, time.monotonic() - t0


def http(host, port, method, path, body=None, timeout=10.0):
    """One request on a connection of its own: (status, body)."""
    import http.client
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers={"Connection": "close"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def stats(host, port):
    st, body = http(host, port, "GET", "/stats")
    if st != 200:
        raise Failure("GET /stats: %d %r" % (st, body[:80]))
    w = body.decode("ascii", "replace").split()
    return {w[i]: int(w[i + 1]) for i in range(0, len(w) - 1, 2)}


class Failure(Exception):
    pass


# Gauges that the load raises and that must come back once it is over
# (heap_in_use may keep what the runtime caches: task descriptors and
# their batches of 64, the store's grown buckets: HEAP_SLACK bytes).
BACK_KEYS = ("tasks_alive", "conns_open", "pbuf_pool", "pbuf_ref", "tcp_seg", "kv_keys", "heap_in_use")
HEAP_SLACK = 128 << 10


def after(a, conns, block, base):
    """The load is over: every stored value reads back, is deleted, a
    fresh PUT and GET are served, and the gauges come back."""
    for c in conns:
        if c.outcome != "2xx":
            continue
        path = "/kv/%s%d" % (a.prefix, c.i)
        st, got = http(a.host, a.port, "GET", path, timeout=a.within)
        if st != 200 or got != body_of(c.i, a.size, block):
            raise Failure("%s was answered %d to its PUT but GET gives %d, %d bytes%s" % (
                path, c.status, st, len(got), "" if st != 200 else " that differ"))
        st, _ = http(a.host, a.port, "DELETE", path, timeout=a.within)
        if st != 204:
            raise Failure("DELETE %s: %d" % (path, st))
    t0 = time.monotonic()
    val = body_of(99999999, 65536, block)
    while True:
        try:
            st, _ = http(a.host, a.port, "PUT", "/kv/%safter" % a.prefix, body=val, timeout=5)
            if st in (201, 204):
                break
            why = "status %d" % st
        except OSError as e:
            why = str(e)
        if time.monotonic() - t0 > a.back_within:
            raise Failure("after the load a 64 KiB PUT is still refused after %.0f s (%s)" % (
                a.back_within, why))
        time.sleep(0.5)
    served = time.monotonic() - t0
    st, got = http(a.host, a.port, "GET", "/kv/%safter" % a.prefix)
    if st != 200 or got != val:
        raise Failure("after the load GET gives %d, %d bytes (want the 64 KiB PUT)" % (st, len(got)))
    st, _ = http(a.host, a.port, "DELETE", "/kv/%safter" % a.prefix)
    if st != 204:
        raise Failure("DELETE after the load: %d" % st)
    while True:
        last = stats(a.host, a.port)
        above = [k for k in BACK_KEYS
                 if last[k] > base[k] + (HEAP_SLACK if k == "heap_in_use" else 0)]
        if not above:
            return served, time.monotonic() - t0, last
        if time.monotonic() - t0 > a.back_within:
            raise Failure("%.0f s after the load: %s" % (a.back_within, ", ".join(
                "%s %d (baseline %d)" % (k, last[k], base[k]) for k in above)))
        time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--conns", type=int, default=200)
    ap.add_argument("--size", type=int, default=1 << 20)
    ap.add_argument("--within", type=float, default=20.0)
    ap.add_argument("--back-within", type=float, default=10.0)
    ap.add_argument("--prefix", default="mp/")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--json")
    a = ap.parse_args()
    try:
        base = stats(a.host, a.port)
    except (OSError, Failure, ValueError, KeyError) as e:
        print("mempressure: no baseline from /stats: %s" % e, file=sys.stderr)
        return 1
    conns, block, took = flood(a)
    count = {k: 0 for k in ("2xx", "refused", "reset", "bad", "hung")}
    for c in conns:
        count[c.outcome] += 1
    reasons = {}
    for c in conns:
        if c.outcome == "refused":
            k = "%d %s" % (c.status, c.body.decode("latin-1").strip())
            reasons[k] = reasons.get(k, 0) + 1
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"conns": [{"i": c.i, "outcome": c.outcome, "status": c.status,
                                  "body": c.body.decode("latin-1")[:200] if c.outcome != "2xx" else "",
                                  "why": c.why} for c in conns],
                       "count": count, "reasons": reasons, "seconds": took}, f)
    for c in conns:
        if c.outcome in ("bad", "hung"):
            print("mempressure: connection %d %s: %s" % (c.i, c.outcome, c.why), file=sys.stderr)
    print("mempressure: refusals: " + ("; ".join("%d x %s" % (n, k) for k, n in sorted(reasons.items())) or "none"))
    summary = "conns %d bytes %d %s seconds %.1f" % (
        a.conns, a.size, " ".join("%s %d" % kv for kv in count.items()), took)
    if count["bad"] or count["hung"]:
        print("mempressure: " + summary)
        print("mempressure: %d bad, %d hung" % (count["bad"], count["hung"]), file=sys.stderr)
        return 1
    try:
        mid = stats(a.host, a.port)
        served, back, last = after(a, conns, block, base)
    except (OSError, Failure, ValueError, KeyError) as e:
        print("mempressure: " + summary)
        print("mempressure: %s" % e, file=sys.stderr)
        return 1
    print("mempressure: stats after the load: " + " ".join("%s %d" % kv for kv in mid.items()))
    print("mempressure: stats back: " + " ".join("%s %d" % kv for kv in last.items()))
    print("mempressure: %s; 2xx values read back; served again %.1f s and gauges back %.1f s "
          "after the load; heap_floor_hits %d kv_nomem %d conns_refused %d pbuf_pool_errors %d" % (
              summary, served, back, mid["heap_floor_hits"] - base["heap_floor_hits"],
              mid["kv_nomem"] - base["kv_nomem"], mid["conns_refused"] - base["conns_refused"],
              mid["pbuf_pool_errors"] - base["pbuf_pool_errors"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
