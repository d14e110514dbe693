#!/usr/bin/env python3
"""tests/e2e/http_client.py — the raw-socket side of tests/e2e/httpd.sh.

Python 3 standard library only. It talks only to the HOST and PORT it is
given (the test passes 127.0.0.1 and a port QEMU's user networking forwards
to the guest). Every socket has a timeout and every loop a bound.

Subcommands that check several things print one result line each on
stdout, `PASS name (detail)` or `FAIL name: reason`, with names relative to
the caller's prefix (httpd.sh adds "e2e.httpd."); diagnostics go to stderr.
They exit 0 when everything passed, 1 otherwise. Usage errors exit 2.

  prom FILE [--before FILE0]    FILE (a /metrics body) parses as Prometheus
                                text exposition format 0.0.4, strictly (see
                                parse_prom); with --before, the request
                                counters moved between FILE0 and FILE.
                                Results: metrics.parse, metrics.moved,
                                metrics.families
  value FILE NAME [LABELS]      print one sample's value (LABELS as in the
                                exposition: code="200"); exit 1 if absent
  pipeline HOST PORT            20 requests for different resources in one
                                write on one connection: 20 responses, in
                                order, each the one its request asked for
                                (compared with the same requests sent one
                                by one first). Result: pipeline
  hostile HOST PORT             malformed and oversized requests from raw
                                sockets, each on its own connection: each
                                must get its status (or, where the issue
                                allows, a close), and a normal request on a
                                new connection must be answered after each.
                                Results: hostile.CASE
  slowloris HOST PORT           --conns N connections each send half a
                                header and stall (opened --stagger-ms
                                apart); the guest must hold them all open
                                (its /metrics) while normal requests are
                                answered within --deadline seconds each;
                                then they are closed and the guest's count
                                of open connections must come back.
                                Result: slowloris
  allocs HOST PORT              --requests N keep-alive requests (a mix of
                                files, 404, 304, /healthz, /metrics) over as
                                few connections as the server allows; the
                                request-path allocation counter of /metrics
                                must not grow. Result: allocs
  head HOST PORT PATH           HEAD PATH answers with GET's status and
                                headers and no body (a request after it on
                                the same connection is answered next).
                                Result: head (or --name)
  http10 HOST PORT              HTTP/1.0: answered and closed; with
                                Connection: keep-alive, kept open.
                                Result: http10
  maxconns HOST PORT --max N    N keep-alive connections held (the guest's
                                httpd_max_conns): one more gets 503 and a
                                close, the held ones still work, a new one
                                works once they are closed, the refused
                                counter moved. Result: max-conns-503
  watch HOST PORT NAME          sample metric NAME from /metrics --every S
                                seconds, --count times; print "max M: ..."
  get HOST PORT PATH            one GET; print the body (for the shell)
"""

import argparse
import hashlib
import math
import re
import socket
import sys
import time
import traceback


class Failure(Exception):
    pass


def now():
    return time.monotonic()


def note(msg):
    print("http_client: " + msg, file=sys.stderr, flush=True)


def num(v):
    """A sample value for a message: integers without a fraction."""
    if v is None:
        return "absent"
    return "%d" % v if v == int(v) else "%g" % v


def oneline(s, limit=300):
    s = " ".join(str(s).split())
    return s if len(s) <= limit else s[:limit] + "..."


def show(b, limit=160):
    """bytes for a message: printable, escaped, cut."""
    r = repr(bytes(b[:limit]))[2:-1]
    return r + ("..." if len(b) > limit else "")


# ---- results ---------------------------------------------------------------

class Results:
    def __init__(self):
        self.failed = 0

    def ok(self, name, detail=""):
        print("PASS %s%s" % (name, " (%s)" % oneline(detail) if detail else ""), flush=True)

    def bad(self, name, reason):
        self.failed += 1
        print("FAIL %s: %s" % (name, oneline(reason, 600)), flush=True)

    def check(self, name, fn):
        """Run fn() -> detail; PASS with it, or FAIL with the Failure's text."""
        try:
            self.ok(name, fn())
        except Failure as e:
            self.bad(name, str(e))
        except (OSError, ValueError, EOFError) as e:
            self.bad(name, "%s: %s" % (type(e).__name__, e))
        except Exception as e:  # a bug here: say so, with the traceback on stderr
            traceback.print_exc()
            self.bad(name, "http_client.py error %s: %s" % (type(e).__name__, e))


# ---- HTTP over a raw socket -----------------------------------------------

class Response:
    def __init__(self, status, reason, version, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers  # list of (name, value) as sent
        self.body = body
        self.raw_head = raw_head

    def header(self, name):
        vals = [v for n, v in self.headers if n.lower() == name.lower()]
        if len(vals) > 1:
            raise Failure("%d %s headers in one response" % (len(vals), name))
        return vals[0] if vals else None

    def describe(self):
        return "%d %s, %d body bytes, head %s" % (self.status, self.reason, len(self.body),
                                                   show(self.raw_head, 400))


class Conn:
    """One connection with a receive buffer; every call bounded by timeout."""

    def __init__(self, host, port, timeout=10.0):
        self.timeout = timeout
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send(self, data):
        self.s.sendall(data)

    def fill(self, deadline):
        """Read more into buf; False at end of stream."""
        if self.eof:
            return False
        left = deadline - now()
        if left <= 0:
            raise socket.timeout("timed out")
        self.s.settimeout(left)
        b = self.s.recv(65536)
        if not b:
            self.eof = True
            return False
        self.buf += b
        return True

    def read_response(self, head_request=False, timeout=None):
        """The next response, framed by Content-Length. Raises Failure on
        anything malformed, EOFError on a close before a status line."""
        deadline = now() + (timeout or self.timeout)
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise Failure("response head over 64 KiB: %s" % show(self.buf))
            if not self.fill(deadline):
                if self.buf:
                    raise Failure("connection closed inside a response head: %s" % show(self.buf))
                raise EOFError("connection closed before a response")
        end = self.buf.index(b"\r\n\r\n")
        raw_head = bytes(self.buf[:end + 4])
        del self.buf[:end + 4]
        lines = raw_head[:-4].split(b"\r\n")
        m = re.fullmatch(rb"(HTTP/1\.[01]) ([1-5][0-9][0-9]) ([^\r\n]*)", lines[0])
        if not m:
            raise Failure("bad status line %s" % show(lines[0]))
        version, status, reason = m.group(1).decode(), int(m.group(2)), m.group(3).decode("latin-1")
        headers = []
        for ln in lines[1:]:
            hm = re.fullmatch(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*", ln)
            if not hm:
                raise Failure("bad header line %s in %s" % (show(ln), show(raw_head)))
            headers.append((hm.group(1).decode(), hm.group(2).decode("latin-1")))
        r = Response(status, reason, version, headers, b"", raw_head)
        if r.header("Transfer-Encoding") is not None:
            raise Failure("unexpected Transfer-Encoding in %s" % show(raw_head))
        cl = r.header("Content-Length")
        if head_request or status == 304 or status == 204 or status < 200:
            n = 0
        elif cl is None or not re.fullmatch(r"[0-9]{1,12}", cl):
            raise Failure("no valid Content-Length in %s" % show(raw_head))
        else:
            n = int(cl)
        while len(self.buf) < n:
            if not self.fill(deadline):
                raise Failure("connection closed after %d of %d body bytes (%s)"
                              % (len(self.buf), n, show(raw_head)))
        r.body = bytes(self.buf[:n])
        del self.buf[:n]
        return r

    def read_to_eof(self, timeout):
        """Read until the peer closes; True if it did within timeout (a
        reset counts as closed), False if it is still open then."""
        deadline = now() + timeout
        try:
            while self.fill(deadline):
                if len(self.buf) > (4 << 20):
                    raise Failure("over 4 MiB after the response")
            return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def request(method, path, extra=(), host="127.0.0.1", version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, path, version), "Host: %s" % host]
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def get(host, port, path, timeout=10.0, method="GET", extra=()):
    """One request on a new connection, which is then closed."""
    c = Conn(host, port, timeout)
    try:
        c.send(request(method, path, extra))
        return c.read_response(head_request=(method == "HEAD"))
    finally:
        c.close()


# ---- Prometheus text format -----------------------------------------------

NAME_RE = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_RE = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def parse_float(s, what):
    """A value as Go's strconv.ParseFloat takes it (Prometheus' parser)."""
    if s in ("+Inf", "Inf", "+inf", "inf"):
        return math.inf
    if s in ("-Inf", "-inf"):
        return -math.inf
    if s in ("NaN", "nan"):
        return math.nan
    if not re.fullmatch(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", s):
        raise ValueError("%s %r is not a float" % (what, s))
    return float(s)


def parse_labels(s, pos, lineno):
    """Parse {a="x",b="y"} from s[pos] == '{'; returns (dict, pos after '}')."""
    labels = {}
    pos += 1
    while True:
        if pos < len(s) and s[pos] == "}":
            return labels, pos + 1
        m = re.compile(LABEL_RE).match(s, pos)
        if not m:
            raise ValueError("line %d: bad label name at %r" % (lineno, s[pos:pos + 20]))
        name = m.group(0)
        if name.startswith("__"):
            raise ValueError("line %d: reserved label name %r" % (lineno, name))
        if name in labels:
            raise ValueError("line %d: label %r twice" % (lineno, name))
        pos = m.end()
        if s[pos:pos + 2] != '="':
            raise ValueError("line %d: label %r not followed by =\"" % (lineno, name))
        pos += 2
        val = []
        while True:
            if pos >= len(s):
                raise ValueError("line %d: unterminated label value" % lineno)
            ch = s[pos]
            if ch == "\\":
                esc = s[pos + 1:pos + 2]
                if esc == "\\":
                    val.append("\\")
                elif esc == '"':
                    val.append('"')
                elif esc == "n":
                    val.append("\n")
                else:
                    raise ValueError("line %d: bad escape \\%s in a label value" % (lineno, esc))
                pos += 2
            elif ch == '"':
                pos += 1
                break
            else:
                val.append(ch)
                pos += 1
        labels[name] = "".join(val)
        if pos < len(s) and s[pos] == ",":
            pos += 1
        elif pos < len(s) and s[pos] == "}":
            pass
        else:
            raise ValueError("line %d: expected ',' or '}' after label %r" % (lineno, name))


def family_of(sample, types):
    """The family a sample name belongs to, given the declared types."""
    if sample in types and types[sample] in ("counter", "gauge", "untyped", "summary"):
        return sample
    for suffix, kinds in (("_bucket", ("histogram",)), ("_sum", ("histogram", "summary")),
                          ("_count", ("histogram", "summary"))):
        if sample.endswith(suffix):
            base = sample[:-len(suffix)]
            if types.get(base) in kinds:
                return base
    return None


def parse_prom(text):
    """Strict text exposition format 0.0.4. Returns {family: {"type", "help",
    "samples": [(name, labels, value)]}}. Rules enforced: UTF-8, '\\n' line
    ends (the last line too, no '\\r'); '# HELP name text' and '# TYPE name
    type' at most once per family, TYPE before the family's first sample;
    every sample belongs to a family declared by TYPE (counter/gauge by its
    own name; histogram _bucket/_sum/_count; summary name/_sum/_count) and a
    family's samples are contiguous; metric and label names as the spec
    says, no reserved __ labels, no label twice, escapes \\\\ \\" \\n only;
    values Go floats (NaN, +Inf, -Inf), optional integer timestamps; no
    series twice; counters not negative; histogram buckets with le."""
    if not text:
        raise ValueError("empty exposition")
    if not text.endswith("\n"):
        raise ValueError("does not end with a newline")
    if "\r" in text:
        raise ValueError("carriage return in the exposition")
    fams = {}
    types = {}
    seen_series = set()
    current = None  # family whose samples are being read
    done = set()  # families whose run of samples has ended
    for lineno, line in enumerate(text[:-1].split("\n"), 1):
        if line.strip() == "":
            continue
        if line.startswith("#"):
            m = re.fullmatch(r"#[ \t]+(HELP|TYPE)[ \t]+(%s)(?:[ \t]+(.*))?" % NAME_RE, line)
            if not m:
                if re.match(r"#[ \t]+(HELP|TYPE)\b", line):
                    raise ValueError("line %d: malformed %r" % (lineno, line[:80]))
                continue  # a plain comment
            kind, name, rest = m.group(1), m.group(2), m.group(3) or ""
            fam = fams.setdefault(name, {"type": None, "help": None, "samples": []})
            if kind == "HELP":
                if fam["help"] is not None:
                    raise ValueError("line %d: second HELP for %s" % (lineno, name))
                if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                    raise ValueError("line %d: bad escape in HELP of %s" % (lineno, name))
                fam["help"] = rest
            else:
                if fam["type"] is not None:
                    raise ValueError("line %d: second TYPE for %s" % (lineno, name))
                if rest not in TYPES:
                    raise ValueError("line %d: unknown type %r for %s" % (lineno, rest, name))
                if fam["samples"]:
                    raise ValueError("line %d: TYPE for %s after its samples" % (lineno, name))
                fam["type"] = rest
                types[name] = rest
            continue
        m = re.compile(NAME_RE).match(line)
        if not m:
            raise ValueError("line %d: no metric name in %r" % (lineno, line[:80]))
        name = m.group(0)
        pos = m.end()
        labels = {}
        if pos < len(line) and line[pos] == "{":
            labels, pos = parse_labels(line, pos, lineno)
        rest = line[pos:]
        vm = re.fullmatch(r"[ \t]+(\S+)(?:[ \t]+(-?[0-9]+))?[ \t]*", rest)
        if not vm:
            raise ValueError("line %d: expected ' value [timestamp]' after the name in %r"
                             % (lineno, line[:80]))
        value = parse_float(vm.group(1), "line %d: value" % lineno)
        fname = family_of(name, types)
        if fname is None:
            raise ValueError("line %d: sample %s belongs to no family declared by TYPE"
                             % (lineno, name))
        if fname != current:
            if fname in done:
                raise ValueError("line %d: samples of %s are not contiguous" % (lineno, fname))
            if current is not None:
                done.add(current)
            current = fname
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            raise ValueError("line %d: series %s%s twice" % (lineno, name, labels))
        seen_series.add(key)
        ftype = types[fname]
        if ftype == "counter" and not value >= 0:
            raise ValueError("line %d: counter %s is %r" % (lineno, name, value))
        if ftype == "histogram" and name.endswith("_bucket") and "le" not in labels:
            raise ValueError("line %d: histogram bucket without le" % lineno)
        fams[fname]["samples"].append((name, labels, value))
    for name, fam in fams.items():
        if fam["type"] is None:
            raise ValueError("HELP for %s without a TYPE" % name)
    return fams


def prom_value(fams, name, labels=None):
    labels = labels or {}
    for fam in fams.values():
        for n, lab, v in fam["samples"]:
            if n == name and lab == labels:
                return v
    return None


def parse_label_arg(s):
    if not s:
        return {}
    labels, pos = parse_labels("{" + s + "}", 0, 0)
    if pos != len(s) + 2:
        raise ValueError("bad labels %r" % s)
    return labels


# What the issue asks /metrics to show, as families (regexes).
REQUIRED_FAMILIES = [
    ("requests by status", r"weft_http_requests_total", "code"),
    ("responses by status class", r"weft_http_responses_total", "class"),
    ("request latency histogram", r"weft_http_request_duration_seconds", None),
    ("connections open", r"weft_http_connections_open", None),
    ("connections accepted", r"weft_http_connections_accepted_total", None),
    ("bytes in", r"weft_http_received_bytes_total", None),
    ("bytes out", r"weft_http_sent_bytes_total", None),
    ("per-CPU scheduler counters", r"weft_sched_.*", "cpu"),
    ("tasks alive", r"weft_tasks_alive", None),
    ("stack pages", r"weft_stack_pages", None),
    ("heap in use", r"weft_heap_inuse_bytes", None),
    ("lwIP pool use", r"weft_lwip_pool_(used|max|capacity|element_bytes)", "pool"),
    ("lwIP pool failures", r"weft_lwip_pool_errors_total", "pool"),
    ("lwIP pool capacity", r"weft_lwip_pool_capacity", "pool"),
    ("allocations on the request path", r"weft_http_request_path_allocs_total", None),
    ("net lock contention", r"weft_net_lock_contended_total", None),
    ("net lock hold time", r"weft_net_lock_held_seconds_total", None),
]


def cmd_prom(a):
    res = Results()
    text = open(a.file, "rb").read()
    fams = None
    try:
        fams = parse_prom(text.decode("utf-8"))
        nsamples = sum(len(f["samples"]) for f in fams.values())
        res.ok("metrics.parse", "%d families, %d samples, %d bytes" % (len(fams), nsamples, len(text)))
    except (ValueError, UnicodeDecodeError) as e:
        res.bad("metrics.parse", "%s (file %s)" % (e, a.file))
    if fams is not None:
        missing = []
        for what, pat, label in REQUIRED_FAMILIES:
            hit = [n for n, f in fams.items() if re.fullmatch(pat, n) and f["samples"] and
                   (label is None or all(label in lab for _, lab, _ in f["samples"]))]
            if not hit:
                missing.append("%s (%s%s)" % (what, pat, ", by " + label if label else ""))
        if missing:
            res.bad("metrics.families", "missing: " + "; ".join(missing))
        else:
            res.ok("metrics.families", "%d kinds the issue lists" % len(REQUIRED_FAMILIES))
    if a.before and fams is not None:
        try:
            before = parse_prom(open(a.before, encoding="utf-8").read())
        except ValueError as e:
            res.bad("metrics.moved", "the earlier /metrics does not parse: %s" % e)
            return 1
        moved, still = [], []
        for name, labels in (("weft_http_requests_total", {"code": "200"}),
                             ("weft_http_requests_total", {"code": "404"}),
                             ("weft_http_requests_total", {"code": "304"}),
                             ("weft_http_connections_accepted_total", {}),
                             ("weft_http_received_bytes_total", {}),
                             ("weft_http_sent_bytes_total", {}),
                             ("weft_net_lock_acquisitions_total", {}),
                             ("weft_net_lock_held_seconds_total", {})):
            v0, v1 = prom_value(before, name, labels), prom_value(fams, name, labels)
            lab = "{%s}" % ",".join('%s="%s"' % kv for kv in labels.items()) if labels else ""
            if v0 is None or v1 is None:
                still.append("%s%s absent" % (name, lab))
            elif v1 > v0:
                moved.append("%s%s %s->%s" % (name, lab, num(v0), num(v1)))
            else:
                still.append("%s%s %s->%s" % (name, lab, num(v0), num(v1)))
        if still:
            res.bad("metrics.moved", "did not grow over the curl checks: " + "; ".join(still))
        else:
            res.ok("metrics.moved", "; ".join(moved))
    return 1 if res.failed else 0


def cmd_value(a):
    fams = parse_prom(open(a.file, encoding="utf-8").read())
    v = prom_value(fams, a.name, parse_label_arg(a.labels))
    if v is None:
        return 1
    print("%d" % v if v == int(v) else repr(v))
    return 0


def fetch_metrics(host, port, timeout=10.0):
    r = get(host, port, "/metrics", timeout)
    if r.status != 200:
        raise Failure("/metrics answered %s" % r.describe())
    return parse_prom(r.body.decode("utf-8"))


# ---- pipelining -------------------------------------------------------------

PIPE_RESOURCES = [
    ("GET", "/"), ("GET", "/style.css"), ("GET", "/about.txt"), ("GET", "/healthz"),
    ("GET", "/weft.svg"), ("GET", "/favicon.png"), ("GET", "/docs/"),
    ("GET", "/no-such-file"), ("HEAD", "/index.html"), ("GET", "/status"),
]


def fingerprint(r):
    return (r.status, r.header("Content-Type"), r.header("Content-Length"),
            hashlib.sha256(r.body).hexdigest()[:16])


def cmd_pipeline(a):
    res = Results()

    def run():
        n = a.count
        reqs = [PIPE_RESOURCES[i % len(PIPE_RESOURCES)] for i in range(n)]
        # What each resource looks like, asked one at a time.
        c = Conn(a.host, a.port, a.timeout)
        expect = {}
        try:
            for m, p in PIPE_RESOURCES:
                c.send(request(m, p + "?single"))
                expect[(m, p)] = fingerprint(c.read_response(head_request=(m == "HEAD")))
        finally:
            c.close()
        fps = set(expect.values())
        if len(fps) < len(PIPE_RESOURCES) - 1:
            raise Failure("the resources do not answer distinctly: %s" % sorted(expect.items()))
        data = b"".join(request(m, "%s?n=%d" % (p, i)) for i, (m, p) in enumerate(reqs))
        c = Conn(a.host, a.port, a.timeout)
        try:
            sent = c.s.send(data)  # one write
            if sent != len(data):
                c.send(data[sent:])
                note("pipeline: the kernel took %d of %d bytes in the first write" % (sent, len(data)))
            t0 = now()
            for i, (m, p) in enumerate(reqs):
                try:
                    r = c.read_response(head_request=(m == "HEAD"))
                except EOFError:
                    raise Failure("the connection closed after %d of %d responses" % (i, n))
                except socket.timeout:
                    raise Failure("response %d of %d (%s %s?n=%d) not there within %g s"
                                  % (i + 1, n, m, p, i, a.timeout))
                if fingerprint(r) != expect[(m, p)]:
                    others = [k for k, v in expect.items() if v == fingerprint(r)]
                    raise Failure("response %d (for %s %s?n=%d) is %s%s; expected %s" % (
                        i + 1, m, p, i, r.describe(),
                        ", which is what %s %s gets" % others[0] if others else "",
                        expect[(m, p)]))
                if (r.header("Connection") or "").lower() == "close":
                    raise Failure("response %d says Connection: close" % (i + 1))
            took = now() - t0
            # The connection is still good for another request.
            c.send(request("GET", "/healthz?after"))
            r = c.read_response()
            if r.status != 200 or r.body != b"ok\n":
                raise Failure("a request after the pipelined ones got %s" % r.describe())
        finally:
            c.close()
        return "%d requests (%d resources, GET and HEAD) in one %d-byte write: %d responses in " \
               "order in %.0f ms, connection still usable" % (n, len(PIPE_RESOURCES), len(data),
                                                             n, took * 1000)

    res.check("pipeline", run)
    return 1 if res.failed else 0


# ---- hostile input ------------------------------------------------------------

def raw_exchange(host, port, data, timeout, wait_close=True):
    """Send data on a new connection and read the response; then, with
    wait_close, read on until the server closes (or timeout). Returns
    (response or None, 'closed'/'reset'/'open', a note on sending, bytes
    received after the response)."""
    c = Conn(host, port, timeout)
    send_note = ""
    try:
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            send_note = "sending stopped: %s" % type(e).__name__
        try:
            r = c.read_response(timeout=timeout)
        except EOFError:
            return None, "closed", send_note, bytes(c.buf)
        except ConnectionResetError:
            return None, "reset", send_note, bytes(c.buf)
        if not wait_close:
            return r, "open", send_note, bytes(c.buf)
        return r, ("closed" if c.read_to_eof(timeout) else "open"), send_note, bytes(c.buf)
    finally:
        c.close()


def still_serving(host, port, timeout):
    t0 = now()
    r = get(host, port, "/healthz", timeout)
    if r.status != 200 or r.body != b"ok\n":
        raise Failure("then /healthz on a new connection got %s" % r.describe())
    return now() - t0


def hostile_cases(a):
    H = "Host: 127.0.0.1"
    big_headers = [H] + ["X-Header-%04d: value-%d" % (i, i) for i in range(1000)]
    long_uri = "/" + "a" * 4000
    cases = [
        # name, [(request bytes, ...)], allowed statuses, close allowed instead, must close
        ("400-request-line", [b"GET  / HTTP/1.1\r\n" + H.encode() + b"\r\n\r\n",
                              b"GET /\r\n\r\n",
                              b"GET / HTTP/1.1 extra\r\n" + H.encode() + b"\r\n\r\n",
                              b"G\x7fT / HTTP/1.1\r\n" + H.encode() + b"\r\n\r\n"],
         (400,), False, True),
        ("405-post", [request("POST", "/", ["Content-Length: 0"])], (405,), False, False),
        ("501-unknown-method", [request("BREW", "/")], (501,), False, True),
        ("404-missing", [request("GET", "/no/such/file.html")], (404,), False, False),
        ("413-body-too-large", [request("POST", "/upload", ["Content-Length: 100000"]) + b"x" * 1000],
         (413,), False, True),
        ("414-uri-too-long", [request("GET", long_uri)], (414,), False, True),
        ("431-1000-headers", [("GET / HTTP/1.1\r\n" + "\r\n".join(big_headers) + "\r\n\r\n").encode()],
         (431,), False, True),
        ("400-nul-request-line", [b"GET /index\x00.html HTTP/1.1\r\n" + H.encode() + b"\r\n\r\n"],
         (400,), False, True),
        ("400-nul-header", [b"GET / HTTP/1.1\r\n" + H.encode() + b"\r\nX-Nul: a\x00b\r\n\r\n"],
         (400,), False, True),
        ("400-conflicting-content-length",
         [request("POST", "/", ["Content-Length: 5", "Content-Length: 6"]) + b"hello!"],
         (400,), False, True),
        ("400-transfer-encoding-with-content-length",
         [request("POST", "/", ["Transfer-Encoding: chunked", "Content-Length: 5"]) + b"0\r\n\r\n"],
         (400,), False, True),
        ("414-100k-request-line", [b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n" + H.encode() + b"\r\n\r\n"],
         (414,), True, True),
    ]
    return cases


def cmd_hostile(a):
    res = Results()
    for name, reqs, statuses, close_ok, must_close in hostile_cases(a):
        def run(reqs=reqs, statuses=statuses, close_ok=close_ok, must_close=must_close):
            got = []
            for data in reqs:
                t0 = now()
                r, after, snote, rest = raw_exchange(a.host, a.port, data, a.timeout, must_close)
                dt = now() - t0
                sent = "request %s" % show(data, 60)
                if r is None:
                    if not close_ok:
                        raise Failure("%s: the connection was %s with no response%s" % (
                            sent, after, "; " + snote if snote else ""))
                    got.append("%s without a response" % after)
                    continue
                if r.status not in statuses:
                    raise Failure("%s: got %s; expected %s" % (
                        sent, r.describe(), " or ".join(map(str, statuses))))
                conn_hdr = (r.header("Connection") or "").lower()
                if must_close:
                    if conn_hdr != "close":
                        raise Failure("%s: %d without Connection: close (%s)" % (sent, r.status, r.describe()))
                    if after == "open":
                        raise Failure("%s: %d, but the connection stayed open for %g s" % (
                            sent, r.status, a.timeout))
                if r.status == 405 and "GET" not in (r.header("Allow") or ""):
                    raise Failure("%s: 405 without an Allow header naming GET (%s)" % (sent, r.describe()))
                got.append("%d in %.0f ms%s" % (r.status, dt * 1000, ", closed" if after != "open" else ""))
            t = still_serving(a.host, a.port, a.timeout)
            return "%s; then /healthz in %.0f ms" % ("; ".join(got), t * 1000)
        res.check("hostile." + name, run)

    # 404 and 405 keep the connection: a request after them on it works.
    def keep_after_errors():
        c = Conn(a.host, a.port, a.timeout)
        try:
            c.send(request("GET", "/missing") + request("POST", "/", ["Content-Length: 3"]) + b"abc"
                   + request("GET", "/healthz"))
            got = [c.read_response().status for _ in range(3)]
        finally:
            c.close()
        if got != [404, 405, 200]:
            raise Failure("GET /missing, POST / with a 3-byte body, GET /healthz on one "
                          "connection got %s; expected [404, 405, 200]" % got)
        return "404, 405 (body skipped), then 200 on the same connection"
    res.check("hostile.keep-alive-after-404-405", keep_after_errors)

    # Paths that try to leave the site: never a 200.
    def escapes():
        got = []
        for p in ("/../httpd.c", "/%2e%2e/httpd.c", "/docs/../../mksite.py", "/..%2f..%2fMakefile",
                  "/.%2e/.%2e/README.md", "/docs/..%5c..%5cMakefile"):
            r = get(a.host, a.port, p, a.timeout)
            if r.status == 200 or r.status == 301:
                raise Failure("GET %s got %s" % (p, r.describe()))
            got.append("%s %d" % (p, r.status))
        still_serving(a.host, a.port, a.timeout)
        return "; ".join(got)
    res.check("hostile.path-escape", escapes)

    # Header timeout: half a head, then silence.
    def header_timeout():
        T = a.header_timeout
        t0 = now()
        c = Conn(a.host, a.port, T + 10)
        try:
            c.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
            try:
                r = c.read_response(timeout=T + 10)
                what = "%d %s" % (r.status, r.reason)
                if r.status != 408:
                    raise Failure("half a head got %s; expected 408 or a close" % r.describe())
                closed = c.read_to_eof(5)
            except EOFError:
                what, closed = "closed without a response", True
            except ConnectionResetError:
                what, closed = "reset without a response", True
        finally:
            c.close()
        dt = now() - t0
        if dt < T * 0.9:
            raise Failure("%s after %.2f s, before the %.1f s header timeout" % (what, dt, T))
        if not closed:
            raise Failure("%s after %.2f s but the connection stayed open" % (what, dt))
        t = still_serving(a.host, a.port, a.timeout)
        return "%s after %.2f s (header timeout %.1f s); then /healthz in %.0f ms" % (what, dt, T, t * 1000)
    res.check("hostile.408-header-timeout", header_timeout)
    return 1 if res.failed else 0


# ---- slowloris ---------------------------------------------------------------

def cmd_slowloris(a):
    res = Results()

    def run():
        open0 = prom_value(fetch_metrics(a.host, a.port, a.timeout), "weft_http_connections_open")
        socks = []
        t_first = now()
        try:
            for i in range(a.conns):
                s = socket.create_connection((a.host, a.port), timeout=a.timeout)
                s.sendall(b"GET /slow/%d HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Sl" % i)
                socks.append(s)
                time.sleep(a.stagger_ms / 1000.0)
            t_opened = now() - t_first
            # The guest holds them all (asked on a fresh connection).
            held = None
            for _ in range(50):
                held = prom_value(fetch_metrics(a.host, a.port, a.timeout), "weft_http_connections_open")
                if held is not None and held >= a.conns + 1:
                    break
                time.sleep(0.1)
            if held is None or held < a.conns + 1:
                raise Failure("the guest has %s connections open, expected at least %d (the %d stalled + "
                              "this one): they did not all reach it" % (num(held), a.conns + 1, a.conns))
            # Normal requests, each on a new connection, each within the deadline.
            times = []
            for i in range(a.probes):
                t0 = now()
                try:
                    r = get(a.host, a.port, "/?probe=%d" % i, a.deadline + 5)
                except (OSError, EOFError) as e:
                    raise Failure("normal request %d with %d stalled connections: %s after %.2f s"
                                  % (i + 1, a.conns, e, now() - t0))
                dt = now() - t0
                if r.status != 200 or len(r.body) == 0:
                    raise Failure("normal request %d got %s" % (i + 1, r.describe()))
                times.append(dt)
            age = now() - t_first
            # They were all still stalled, not dropped, during the probes.
            dropped = 0
            for s in socks:
                s.setblocking(False)
                try:
                    if s.recv(1, socket.MSG_PEEK) is not None:
                        dropped += 1  # a response or EOF: the server gave up on it
                except BlockingIOError:
                    pass
                except OSError:
                    dropped += 1
            worst = max(times)
            if worst > a.deadline:
                raise Failure("with %d stalled connections, normal requests took %s s (limit %.1f s)"
                              % (a.conns, " ".join("%.2f" % t for t in times), a.deadline))
            if dropped and age < a.header_timeout:
                raise Failure("%d of the stalled connections were answered or closed after %.1f s, "
                              "before the %.1f s header timeout" % (dropped, age, a.header_timeout))
        finally:
            for s in socks:
                s.close()
        # Closed: the guest's count comes back.
        t0 = now()
        back = None
        while now() - t0 < a.settle:
            back = prom_value(fetch_metrics(a.host, a.port, a.timeout), "weft_http_connections_open")
            if back is not None and back <= open0:
                break
            time.sleep(0.25)
        if back is None or back > open0:
            raise Failure("normal requests were fine (worst %.2f s), but %s connections were still "
                          "open %.0f s after the stalled ones closed (before: %s)"
                          % (worst, num(back), a.settle, num(open0)))
        return ("%d stalled connections opened in %.1f s, all held by the guest (%s open); %d normal "
                "requests meanwhile, worst %.0f ms, median %.0f ms; back to %s open %.1f s after closing"
                % (a.conns, t_opened, num(held), len(times), worst * 1000,
                   sorted(times)[len(times) // 2] * 1000, num(back), now() - t0))

    res.check("slowloris", run)
    return 1 if res.failed else 0


# ---- allocation counter ----------------------------------------------------------

def cmd_allocs(a):
    res = Results()

    def run():
        etag = get(a.host, a.port, "/style.css", a.timeout).header("ETag")
        if not etag:
            raise Failure("/style.css has no ETag")
        mix = [("GET", "/", ()), ("GET", "/style.css", ()), ("GET", "/healthz", ()),
               ("GET", "/missing", ()), ("GET", "/style.css", ("If-None-Match: " + etag,)),
               ("HEAD", "/about.txt", ()), ("GET", "/docs/", ()),
               # The static site's features: a range, the gzip variant,
               # a date, If-Range.
               ("GET", "/style.css", ("Range: bytes=10-99",)),
               ("GET", "/style.css", ("Accept-Encoding: gzip, br",)),
               ("GET", "/about.txt", ("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT",)),
               ("GET", "/style.css", ("Range: bytes=-5", "If-Range: " + etag))]

        def burst(n, tag):
            """n keep-alive requests, 10 in flight per write, reconnecting
            when the server ends a connection (max_requests). Returns the
            number of connections used."""
            conns = 0
            i = 0
            c = None
            t_end = now() + a.timeout * 10
            try:
                while i < n:
                    if now() > t_end:
                        raise Failure("%d of %d requests after %g s" % (i, n, a.timeout * 10))
                    if c is None:
                        c = Conn(a.host, a.port, a.timeout)
                        conns += 1
                    batch = []
                    for j in range(min(10, n - i)):
                        k = i + j
                        if k % 100 == 99:
                            batch.append(("GET", "/metrics", ()))
                        else:
                            batch.append(mix[k % len(mix)])
                    c.send(b"".join(request(m, "%s?%s%d" % (p, tag, i + j), x)
                                    for j, (m, p, x) in enumerate(batch)))
                    closed = False
                    for j, (m, p, x) in enumerate(batch):
                        try:
                            r = c.read_response(head_request=(m == "HEAD"))
                        except EOFError:
                            closed = True  # max_requests: resend the rest
                            break
                        if r.status not in (200, 206, 304, 404):
                            raise Failure("request %d (%s %s) got %s" % (i, m, p, r.describe()))
                        i += 1
                        if (r.header("Connection") or "").lower() == "close":
                            closed = True
                            break
                    if closed:
                        c.close()
                        c = None
            finally:
                if c:
                    c.close()
            return conns

        burst(200, "warm")  # steady state first
        m0 = fetch_metrics(a.host, a.port, a.timeout)
        t0 = now()
        nconns = burst(a.requests, "r")
        took = now() - t0
        m1 = fetch_metrics(a.host, a.port, a.timeout)
        name = "weft_http_request_path_allocs_total"
        r0, r1 = prom_value(m0, name), prom_value(m1, name)
        h0, h1 = prom_value(m0, "weft_heap_allocs_total"), prom_value(m1, "weft_heap_allocs_total")
        q0 = sum(v for n, lab, v in m0["weft_http_requests_total"]["samples"])
        q1 = sum(v for n, lab, v in m1["weft_http_requests_total"]["samples"])
        if r0 is None or r1 is None:
            raise Failure("/metrics has no %s" % name)
        if q1 - q0 < a.requests:
            raise Failure("the guest counted %d requests, %d were sent" % (q1 - q0, a.requests))
        detail = ("%d keep-alive requests (files, 404, 304, HEAD, ranges, gzip, /metrics) on %d connections in %.1f s "
                  "(%.0f/s): %s %s -> %s, weft_heap_allocs_total %s -> %s"
                  % (a.requests, nconns, took, a.requests / took, name, num(r0), num(r1),
                     num(h0), num(h1)))
        if r1 != r0:
            raise Failure("the request-path allocation counter grew: " + detail)
        return detail

    res.check("allocs", run)
    return 1 if res.failed else 0


def cmd_head(a):
    res = Results()

    def run():
        g = get(a.host, a.port, a.path, a.timeout)
        c = Conn(a.host, a.port, a.timeout)
        try:
            c.send(request("HEAD", a.path) + request("GET", "/healthz"))
            h = c.read_response(head_request=True)
            r = c.read_response()
        finally:
            c.close()
        if h.status != g.status:
            raise Failure("HEAD %s got %s, GET got %d" % (a.path, h.describe(), g.status))
        if r.status != 200 or r.body != b"ok\n":
            raise Failure("after HEAD %s, the next response on the connection is not /healthz's: %s "
                          "(a body after HEAD's head?)" % (a.path, r.describe()))
        diff = []
        for name in ("Server", "Content-Type", "Content-Length", "ETag", "Connection"):
            if h.header(name) != g.header(name):
                diff.append("%s: HEAD %r, GET %r" % (name, h.header(name), g.header(name)))
        if h.header("Date") is None:
            diff.append("HEAD has no Date")
        if diff:
            raise Failure("HEAD and GET %s differ: %s" % (a.path, "; ".join(diff)))
        return "HEAD %s: %d, same headers as GET (Content-Length %s), no body: the next response " \
               "on the connection follows the head directly" % (a.path, h.status, h.header("Content-Length"))

    res.check(a.name, run)
    return 1 if res.failed else 0


def cmd_http10(a):
    res = Results()

    def run():
        # HTTP/1.0 without keep-alive: answered, then closed by the server.
        c = Conn(a.host, a.port, a.timeout)
        try:
            c.send(request("GET", "/healthz", version="HTTP/1.0"))
            r = c.read_response()
            closed = c.read_to_eof(a.timeout)
        finally:
            c.close()
        if r.status != 200 or r.body != b"ok\n":
            raise Failure("HTTP/1.0 GET /healthz got %s" % r.describe())
        if (r.header("Connection") or "").lower() != "close" or not closed:
            raise Failure("HTTP/1.0 without keep-alive: Connection %r, connection %s"
                          % (r.header("Connection"), "closed" if closed else "left open"))
        # HTTP/1.0 with keep-alive: two requests on one connection.
        c = Conn(a.host, a.port, a.timeout)
        try:
            got = []
            for path in ("/healthz", "/style.css"):
                c.send(request("GET", path, ["Connection: keep-alive"], version="HTTP/1.0"))
                r = c.read_response()
                if r.status != 200 or (r.header("Connection") or "").lower() != "keep-alive":
                    raise Failure("HTTP/1.0 keep-alive GET %s got %s" % (path, r.describe()))
                got.append(r.status)
        finally:
            c.close()
        return "1.0: answered and closed; 1.0 with keep-alive: 2 requests on one connection"

    res.check("http10", run)
    return 1 if res.failed else 0


def cmd_maxconns(a):
    res = Results()

    def run():
        def open_now():
            return prom_value(fetch_metrics(a.host, a.port, a.timeout), "weft_http_connections_open")
        t0 = now()
        while True:  # earlier checks' connections gone (the asker is 1)
            n = open_now()
            if n == 1:
                break
            if now() - t0 > a.timeout:
                raise Failure("%s connections still open before the check" % num(n))
            time.sleep(0.2)
        refused0 = prom_value(fetch_metrics(a.host, a.port, a.timeout),
                              "weft_http_connections_refused_total")
        held = []
        try:
            # max keep-alive connections, each idle after one request
            for i in range(a.max):
                c = Conn(a.host, a.port, a.timeout)
                held.append(c)
                c.send(request("GET", "/healthz?hold=%d" % i))
                r = c.read_response()
                if r.status != 200:
                    raise Failure("connection %d of %d got %s" % (i + 1, a.max, r.describe()))
            # one more: 503, then closed
            c = Conn(a.host, a.port, a.timeout)
            try:
                c.send(request("GET", "/healthz?over"))
                try:
                    r = c.read_response()
                except EOFError:
                    raise Failure("connection %d (over max_conns %d) was closed without a 503"
                                  % (a.max + 1, a.max))
                closed = c.read_to_eof(a.timeout)
            finally:
                c.close()
            if r.status != 503:
                raise Failure("connection %d (over max_conns %d) got %s" % (a.max + 1, a.max, r.describe()))
            if not closed or (r.header("Connection") or "").lower() != "close":
                raise Failure("the 503 did not close the connection (Connection %r)" % r.header("Connection"))
            # the held ones still work
            for i, c in enumerate(held):
                c.send(request("GET", "/healthz?again=%d" % i))
                r = c.read_response()
                if r.status != 200:
                    raise Failure("held connection %d then got %s" % (i + 1, r.describe()))
        finally:
            for c in held:
                c.close()
        # slots given back: a new connection is served
        t1 = now()
        while True:
            try:
                r = get(a.host, a.port, "/healthz?after", a.timeout)
                if r.status == 200:
                    break
            except (OSError, EOFError):
                pass
            if now() - t1 > a.timeout:
                raise Failure("no 200 within %g s after closing the held connections" % a.timeout)
            time.sleep(0.2)
        refused1 = prom_value(fetch_metrics(a.host, a.port, a.timeout),
                              "weft_http_connections_refused_total")
        if refused0 is None or refused1 is None or refused1 - refused0 < 1:
            raise Failure("weft_http_connections_refused_total %s -> %s" % (num(refused0), num(refused1)))
        return "%d connections held, the next got 503 and was closed, the held ones still served; " \
               "served again %.1f s after closing them; refused counter %s -> %s" % (
                   a.max, now() - t1, num(refused0), num(refused1))

    res.check("max-conns-503", run)
    return 1 if res.failed else 0


def cmd_watch(a):
    """Sample one metric every --every seconds, --count times; print the
    samples and their maximum ("max N: s1 s2 ..."). A failed fetch is '-'."""
    vals = []
    for i in range(a.count):
        time.sleep(a.every)
        try:
            v = prom_value(fetch_metrics(a.host, a.port, a.timeout), a.name)
        except (OSError, EOFError, Failure, ValueError):
            v = None
        vals.append(v)
    got = [v for v in vals if v is not None]
    print("max %s: %s" % (num(max(got)) if got else "-", " ".join(num(v) if v is not None else "-"
                                                               for v in vals)))
    return 0 if got else 1


def cmd_get(a):
    r = get(a.host, a.port, a.path, a.timeout)
    sys.stdout.buffer.write(r.body)
    return 0 if r.status == 200 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("prom")
    p.add_argument("file")
    p.add_argument("--before")
    p.set_defaults(fn=cmd_prom)

    p = sub.add_parser("value")
    p.add_argument("file")
    p.add_argument("name")
    p.add_argument("labels", nargs="?", default="")
    p.set_defaults(fn=cmd_value)

    def hostport(p, timeout=10.0):
        p.add_argument("host")
        p.add_argument("port", type=int)
        p.add_argument("--timeout", type=float, default=timeout, help="per operation, seconds")

    p = sub.add_parser("pipeline")
    hostport(p)
    p.add_argument("--count", type=int, default=20)
    p.set_defaults(fn=cmd_pipeline)

    p = sub.add_parser("hostile")
    hostport(p)
    p.add_argument("--header-timeout", type=float, required=True, help="the guest's, seconds")
    p.set_defaults(fn=cmd_hostile)

    p = sub.add_parser("slowloris")
    hostport(p)
    p.add_argument("--conns", type=int, default=200)
    p.add_argument("--stagger-ms", type=float, default=5)
    p.add_argument("--probes", type=int, default=5)
    p.add_argument("--deadline", type=float, default=2.0)
    p.add_argument("--header-timeout", type=float, required=True, help="the guest's, seconds")
    p.add_argument("--settle", type=float, default=15)
    p.set_defaults(fn=cmd_slowloris)

    p = sub.add_parser("allocs")
    hostport(p)
    p.add_argument("--requests", type=int, default=10000)
    p.set_defaults(fn=cmd_allocs)

    p = sub.add_parser("head")
    hostport(p)
    p.add_argument("path")
    p.add_argument("--name", default="head")
    p.set_defaults(fn=cmd_head)

    p = sub.add_parser("http10")
    hostport(p)
    p.set_defaults(fn=cmd_http10)

    p = sub.add_parser("maxconns")
    hostport(p)
    p.add_argument("--max", type=int, required=True, help="the guest's httpd_max_conns")
    p.set_defaults(fn=cmd_maxconns)

    p = sub.add_parser("watch")
    hostport(p, timeout=5.0)
    p.add_argument("name")
    p.add_argument("--every", type=float, default=1.0)
    p.add_argument("--count", type=int, default=10)
    p.set_defaults(fn=cmd_watch)

    p = sub.add_parser("get")
    hostport(p)
    p.add_argument("path")
    p.set_defaults(fn=cmd_get)

    a = ap.parse_args()
    if a.cmd in ("hostile",) and a.header_timeout <= 0:
        ap.error("--header-timeout must be positive")
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
