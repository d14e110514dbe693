#!/usr/bin/env python3
"""tests/e2e/status_page.py — the /status page in a real browser.

usage: status_page.py --url http://127.0.0.1:PORT --chromium PATH --out DIR

Starts headless Chromium (--headless=new, --remote-debugging-port on
127.0.0.1, a fresh profile in DIR) and drives it over the DevTools
protocol (python3-websocket). It opens /status, and checks:

  render   every chart's canvas drawn at a size, its legend filled, the
           header's version, uptime and command-line errors filled, the
           totals and the pools tables filled, the history points there
  updates  after traffic made here (200s and 404s), the responses total
           and the 4xx rate on the page went up, and new points came
  reload   after a reload the charts hold at least the points they had
           (the appliance's history, not the page's memory)
  console  no exception and no console error in all of it

It saves DIR/status.png (a screenshot after the traffic) and prints one
line per check, "PASS name detail" or "FAIL name: reason". Exits 0.
Every wait is bounded; the whole run takes about 15 s.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import websocket  # python3-websocket


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Page:
    """One tab over the DevTools protocol: calls, and the events kept."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=10, suppress_origin=True)
        self.id = 0
        self.errors = []

    def _event(self, m):
        meth, p = m.get("method"), m.get("params", {})
        if meth == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.errors.append("exception: %s %s" % (d.get("text", ""),
                               d.get("exception", {}).get("description", "")))
        elif meth == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.errors.append("console.%s: %s" % (p.get("type"), " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
        elif meth == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            self.errors.append("log: %s %s" % (e.get("text", ""), e.get("url", "")))

    def call(self, method, **params):
        self.id += 1
        me = self.id
        self.ws.send(json.dumps({"id": me, "method": method, "params": params}))
        deadline = time.time() + 15
        while time.time() < deadline:
            m = json.loads(self.ws.recv())
            if m.get("id") == me:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self._event(m)
        raise RuntimeError("%s: no answer" % method)

    def pump(self, secs):
        """Take events for secs seconds."""
        end = time.time() + secs
        while time.time() < end:
            self.ws.settimeout(max(0.05, end - time.time()))
            try:
                self._event(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                pass
        self.ws.settimeout(10)

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate %r: %s" % (expr[:60], r["exceptionDetails"].get("text")))
        return r["result"].get("value")


# What the page shows, read from its DOM.
STATE = r"""(() => {
  const t = id => (document.getElementById(id) || {}).textContent || "";
  const charts = ["rps", "lat", "cpu", "bytes", "conns", "tasks", "heap", "pool"].map(n => {
    const c = document.getElementById("c-" + n), l = document.getElementById("l-" + n);
    return { n, w: c ? c.width : 0, h: c ? c.height : 0, legend: l ? l.children.length : 0,
             legendText: l ? l.textContent : "", value: t("v-" + n) };
  });
  const rows = id => Array.from(document.querySelectorAll("#" + id + " tr")).map(
    tr => Array.from(tr.children).map(td => td.textContent));
  return { charts, version: t("version"), uptime: t("uptime"), ncpus: t("ncpus"),
           cmdline: t("cmdline-errors"), state: t("state"), stateBad: document.getElementById("state").className,
           totals: rows("totals"), pools: rows("pools"),
           points: typeof points === "undefined" ? -1 : points.length,
           last: typeof points === "undefined" || !points.length ? null : points[points.length - 1] };
})()"""


def total(st, name):
    for r in st["totals"]:
        if r and r[0].strip() == name:
            return r[1]
    return None


def traffic(url, n):
    for i in range(n):
        for path in ("/", "/no-such-page"):
            try:
                urllib.request.urlopen(url + path, timeout=5).read()
            except urllib.error.HTTPError as e:
                e.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--out", required=True)
    ap.add_argument("--cmdline-errors", type=int, default=None,
                    help="what the page must show as command-line errors")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    prof = os.path.join(a.out, "chromium-profile")
    shutil.rmtree(prof, ignore_errors=True)
    port = free_port()
    log = open(os.path.join(a.out, "chromium.log"), "wb")
    cmd = [a.chromium, "--headless=new", "--remote-debugging-address=127.0.0.1",
           "--remote-debugging-port=%d" % port, "--user-data-dir=" + prof,
           "--no-first-run", "--no-default-browser-check", "--disable-gpu",
           "--disable-extensions", "--disable-background-networking", "--disable-sync",
           "--window-size=1280,1700", "--hide-scrollbars", "about:blank"]
    if os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")
    br = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    results = []

    def res(ok, name, detail):
        results.append(ok)
        print(("PASS %s (%s)" if ok else "FAIL %s: %s") % ("e2e.status." + name, detail), flush=True)

    try:
        ws_url = None
        for _ in range(100):
            try:
                tabs = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=2))
                pages = [t for t in tabs if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
                if pages:
                    ws_url = pages[0]["webSocketDebuggerUrl"]
                    break
            except OSError:
                pass
            if br.poll() is not None:
                break
            time.sleep(0.2)
        if not ws_url:
            for n in ("render", "updates", "reload", "console"):
                res(False, n, "chromium gave no DevTools page (exit %s; see %s)"
                    % (br.poll(), os.path.join(a.out, "chromium.log")))
            return 0
        pg = Page(ws_url)
        pg.call("Runtime.enable")
        pg.call("Log.enable")
        pg.call("Page.enable")
        pg.call("Emulation.setDeviceMetricsOverride", width=1280, height=1700,
                deviceScaleFactor=1, mobile=False)
        pg.call("Page.navigate", url=a.url + "/status")
        pg.pump(3.5)
        st = pg.js(STATE)

        # render
        why = []
        for c in st["charts"]:
            if c["w"] < 100 or c["h"] < 50:
                why.append("canvas c-%s is %dx%d" % (c["n"], c["w"], c["h"]))
            if c["legend"] < 1:
                why.append("legend l-%s empty" % c["n"])
            if c["value"] in ("", "–"):
                why.append("v-%s not filled" % c["n"])
        cpu = next(c for c in st["charts"] if c["n"] == "cpu")
        if st["ncpus"] not in ("", "–") and cpu["legend"] != int(st["ncpus"]):
            why.append("%d CPU legends for %s CPUs" % (cpu["legend"], st["ncpus"]))
        for k in ("version", "uptime", "cmdline"):
            if st[k] in ("", "–"):
                why.append("%s not filled" % k)
        if a.cmdline_errors is not None and st["cmdline"] != str(a.cmdline_errors):
            why.append("command-line errors %r, want %d" % (st["cmdline"], a.cmdline_errors))
        if len(st["totals"]) < 5 or len(st["pools"]) < 3:
            why.append("tables: %d totals, %d pool rows" % (len(st["totals"]), len(st["pools"])))
        if st["points"] < 2:
            why.append("%d history points" % st["points"])
        if st["stateBad"]:
            why.append("state: " + st["state"])
        res(not why, "render", "; ".join(why) if why else
            "8 charts with legends, version %s, up %s, %s CPUs, %s command-line errors, %d points, %d pools"
            % (st["version"], st["uptime"], st["ncpus"], st["cmdline"], st["points"], len(st["pools"]) - 1))

        # updates
        before = total(st, "Responses")
        traffic(a.url, 40)
        pg.pump(2.6)
        st2 = pg.js(STATE)
        after = total(st2, "Responses")
        why = []
        try:
            if float(after.replace(",", "").split()[0]) <= float(before.replace(",", "").split()[0]):
                why.append("responses %s -> %s" % (before, after))
        except (AttributeError, ValueError):
            why.append("responses %r -> %r" % (before, after))
        if st2["points"] <= st["points"]:
            why.append("points %d -> %d" % (st["points"], st2["points"]))
        rps = next(c for c in st2["charts"] if c["n"] == "rps")["legendText"]
        # one of the last few points saw the 404s
        saw4 = pg.js("points.slice(-4).some(p => p.r4xx > 0)")
        if not saw4:
            why.append("no 4xx in the last points (legend: %s)" % rps)
        shot = pg.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        png = os.path.join(a.out, "status.png")
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        res(not why, "updates", "; ".join(why) if why else
            "responses %s -> %s, points %d -> %d, 4xx seen; screenshot %s" % (
                before, after, st["points"], st2["points"], png))

        # reload
        had = st2["points"]
        pg.call("Page.reload", ignoreCache=True)
        pg.pump(2.0)
        st3 = pg.js(STATE)
        res(st3["points"] >= had, "reload",
            "%d points before, %d after the reload" % (had, st3["points"]))

        # console
        pg.pump(0.3)
        res(not pg.errors, "console", "; ".join(pg.errors[:3]) if pg.errors else
            "no exceptions or console errors")
    except Exception as e:  # a broken driver is a failure, said once
        res(False, "driver", "%s: %s" % (type(e).__name__, e))
    finally:
        try:
            os.killpg(br.pid, 15)
        except OSError:
            pass
        try:
            br.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(br.pid, 9)
            br.wait()
        shutil.rmtree(prof, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
