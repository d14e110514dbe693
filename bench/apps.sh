#!/usr/bin/env bash
# bench/apps.sh — `make bench-apps` (and part of `make bench`): Weft's
# app=proxy beside Debian's nginx as a reverse proxy in the Linux peer
# guest, to the same upstream, in the same run; and Weft's app=kv (GET of
# a 612-byte value, PUT of it). Keep-alive requests per second and
# latency under wrk, and guest instructions per request under the
# instruction-count plugin. A table, not a test: nothing fails on a slow
# number (the exit status is 1 only when something could not be measured).
#
# usage: bench/apps.sh        (as root; WEFT_ACCEL=kvm|tcg to choose)
#   BENCH_APPS_SECONDS (10)   wrk's duration per timed load
#   BENCH_APPS_PARTS ("timed insn")  which parts to run; the table shows a
#                             part not run from its last run
#   BENCH_INSN_*              the counted loads, see bench/http_insn.sh
#
# The topology, in a private network namespace (bench/lib.sh: tap0 =
# 10.79.0.1 on the namespace side, the guest 10.79.0.2):
#   upstream   Debian's nginx (the binary bench/linux/build.sh unpacked,
#              run on the namespace side, one process, master_process off)
#              listening on 10.79.0.1:80, serving the 612-byte page
#              (bench/linux/index.html) with keep-alive and no access log
#   proxy      in turn, alone on the tap, 1 vCPU, the same QEMU flags:
#              weft:  app=proxy proxy_upstreams=10.79.0.1:80 (its defaults:
#                     32 idle keep-alive connections per upstream, a health
#                     check every 5 s)
#              nginx: the Linux peer, weft.role=nginx-proxy
#                     (bench/linux/nginx-proxy.conf: proxy_pass,
#                     proxy_http_version 1.1, keepalive 32 to the upstream)
#   kv         weft: app=kv; a PUT of the page to /kv/bench first, then
#              GET /kv/bench (the 612-byte value), then PUT /kv/bench with
#              the page as body (each replaces the value: 204)
# Each answer to GET is compared with the page, byte for byte.
#
# Timed: wrk -t2 -c8 -d2s (warm-up, not counted), then wrk -t2 -c8
# -d${BENCH_APPS_SECONDS}s --timeout 5s keep-alive: req/s, p50 and p99
# (wrk's histogram, through a Lua done() hook), errors (socket errors and
# non-2xx answers). 8 connections: the count the issue names, and the
# instruction counts' (so both views measure the same load).
# Counted: a boot of its own under QEMU's instruction-count plugin (TCG,
# 1 vCPU), bench/http_insn.sh's method: (10000-request window - 2000-
# request window) / 8000, three pairs, median and spread; wrk -t1 -c8. For
# the proxies this is the proxy guest's own instructions (the upstream runs
# outside the guest, the same one for both).
#
# Writes under build/bench/: apps.dat, apps-insn.dat, apps.txt (the table),
# apps.md (the table in markdown, for bench/README.md), apps-*.log
# (consoles), apps-upstream.log (the upstream nginx's errors). About 2.5
# minutes under TCG (plus the builds). BENCH_APPS_PARTS=table: neither
# part, the table again from the last files.
set -euo pipefail
BENCH_ME=bench-apps
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tools/insn/lib.sh
. "$(dirname "$0")/../tools/insn/lib.sh"
# shellcheck source=bench/http_insn.sh
. "$(dirname "$0")/http_insn.sh"
cd "$BENCH_REPO"

SECS=${BENCH_APPS_SECONDS:-10}
PARTS=" ${BENCH_APPS_PARTS:-timed insn} "
UP=$BENCH_HOST_IP:80
mkdir -p "$BENCH_OUT"
start_s=$(date +%s)

bench_need_tools wrk:wrk curl:curl ip:iproute2 python3:python3

page=${LINUX_PEER_PAGE:-bench/linux/index.html}
[ -f "$page" ] || bench_die "no page $page"
page=$(realpath "$page")
weft=$(bench_weft_image "$page")
bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
nginx_bin=$(find build/bench/linux/pkgs -path '*/usr/sbin/nginx' -type f | head -n 1)
[ -x "$nginx_bin" ] || bench_die "no nginx unpacked under build/bench/linux/pkgs (bench/linux/build.sh)"
BENCH_ACCEL=$(bench_accel "$weft")

bench_ns_setup

# ---- the upstream: Debian's nginx on the namespace side --------------------------
up=$BENCH_TMP/upstream
mkdir -p "$up/www" "$up/tmp"
cp "$page" "$up/www/index.html"
cat >"$up/nginx.conf" <<EOF
# The benchmark's upstream (bench/apps.sh): one process, as root, in the namespace.
master_process off;
daemon off;
pid $up/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
	types { text/html html; }
	default_type application/octet-stream;
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_timeout 65;
	keepalive_requests 1000000;
	client_body_temp_path $up/tmp/body;
	proxy_temp_path $up/tmp/proxy;
	fastcgi_temp_path $up/tmp/fastcgi;
	uwsgi_temp_path $up/tmp/uwsgi;
	scgi_temp_path $up/tmp/scgi;
	server {
		listen $UP default_server;
		root $up/www;
		index index.html;
	}
}
EOF
setsid ip netns exec "$BENCH_NS" "$nginx_bin" -p "$up" -e stderr -c "$up/nginx.conf" \
	>/dev/null 2>"$BENCH_OUT/apps-upstream.log" </dev/null &
BENCH_PIDS+=("$!")
for _ in $(seq 50); do
	bench_nsx curl -s -m 2 -o "$BENCH_TMP/uppage" "http://$UP/" 2>/dev/null && break
	sleep 0.1
done
cmp -s "$BENCH_TMP/uppage" "$page" ||
	bench_die "the upstream nginx does not serve the page on $UP ($(tr '\n' ' ' <"$BENCH_OUT/apps-upstream.log"))"
bench_note "namespace $BENCH_NS, accel $BENCH_ACCEL, q35, 1 vCPU; upstream: Debian's nginx on $UP; wrk -t2 -c8 -d${SECS}s"

# ---- the loads ----------------------------------------------------------------
cat >"$BENCH_TMP/report.lua" <<'EOF'
-- wrk's done() hook: one line of numbers (latencies in microseconds)
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
		summary.requests, summary.duration, e.connect, e.read, e.write,
		e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
EOF
cat >"$BENCH_TMP/put.lua" <<EOF
-- PUT the page as the body (kv: replaces the value, 204)
local f = assert(io.open("$page", "rb"))
wrk.method = "PUT"
wrk.body = f:read("*a")
f:close()
EOF
cat "$BENCH_TMP/put.lua" "$BENCH_TMP/report.lua" >"$BENCH_TMP/put-report.lua"

# The configurations: NAME APP LOAD (LOAD: get or put; PATH below).
configs=("weft-proxy proxy get" "nginx-proxy proxy get" "weft-kv kv get" "weft-kv kv put")
path_of() { case $1 in proxy) echo / ;; kv) echo /kv/bench ;; esac; }

# start_server NAME LOG: boot it; sets ready_re
start_server() {
	case $1 in
	weft-proxy)
		bench_start_weft "$2" 1 "$weft" "app=proxy proxy_upstreams=$UP"
		ready_re='proxy: port=80 '
		;;
	nginx-proxy)
		bench_start_linux "$2" 1 nginx-proxy "weft.upstream=$UP"
		ready_re='linux-peer: ready nginx-proxy'
		;;
	weft-kv)
		bench_start_weft "$2" 1 "$weft" "app=kv"
		ready_re='kv: port=80 '
		;;
	esac
}

# up_and_checked NAME APP LOG: boot NAME, wait for its first answer, put
# kv's value, compare GET's answer with the page; fails with a note.
up_and_checked() {
	local first why probe=http
	start_server "$1" "$3"
	[ "$2" != kv ] || probe="http:/kv/?prefix="
	read -r first _ why < <(bench_first_answer "$probe" 80 "$ready_re" "$3")
	if [ "$first" = - ]; then
		bench_note "$1: no answer on $BENCH_GUEST_IP:80: ${why//_/ } (console: $3)"
		bench_log_tail "$3"
		return 1
	fi
	local url
	url=http://$BENCH_GUEST_IP$(path_of "$2")
	if [ "$2" = kv ] && ! bench_nsx curl -sf -m 10 -T "$page" "$url" >/dev/null; then
		bench_note "$1: PUT $url failed"
		return 1
	fi
	if ! bench_nsx curl -sf -m 10 -o "$BENCH_TMP/got" "$url" || ! cmp -s "$BENCH_TMP/got" "$page"; then
		bench_note "$1: GET $url is not the page"
		return 1
	fi
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
status=0

dat=$BENCH_OUT/apps.dat
if [[ $PARTS == *" timed "* ]] || [ ! -f "$dat" ]; then
	{
		echo "# bench/apps.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), accel $BENCH_ACCEL, q35, 1 vCPU, wrk -t2 -c8 -d${SECS}s keep-alive, $(stat -c %s "$page")-byte page; upstream Debian's nginx on the namespace side"
		echo "# name app load req_per_s p50_us p99_us requests errors"
	} >"$dat"
fi
if [[ $PARTS == *" timed "* ]]; then
	booted=""
	for c in "${configs[@]}"; do
		read -r name app load <<<"$c"
		log=$BENCH_OUT/apps-$name.log
		if [ "$booted" != "$name" ]; then
			[ -z "$booted" ] || bench_stop
			booted=$name
			if ! up_and_checked "$name" "$app" "$log"; then
				echo "$name $app $load ? ? ? ? ?" >>"$dat"
				status=1 booted=""
				bench_stop
				continue
			fi
		fi
		url=http://$BENCH_GUEST_IP$(path_of "$app")
		lua=$BENCH_TMP/report.lua warm=()
		if [ "$load" = put ]; then lua=$BENCH_TMP/put-report.lua warm=(-s "$BENCH_TMP/put.lua"); fi
		bench_nsx wrk -t2 -c8 -d2s --timeout 5s "${warm[@]}" "$url" >/dev/null 2>&1 || true
		out=$(bench_nsx wrk -t2 -c8 -d"${SECS}s" --timeout 5s -s "$lua" "$url" 2>&1 || true)
		line=$(grep '^WRK ' <<<"$out" || true)
		if [ -z "$line" ]; then
			bench_note "$name $load: wrk failed: $(tr '\n' ' ' <<<"$out")"
			echo "$name $app $load ? ? ? ? ?" >>"$dat"
			status=1
			continue
		fi
		req=$(field "$line" requests) dur=$(field "$line" duration_us)
		errs=$(($(field "$line" connect) + $(field "$line" read) + $(field "$line" write) +
			$(field "$line" status) + $(field "$line" timeout)))
		rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
		# After the PUTs the value must still be the page (wrk sent it whole).
		if [ "$load" = put ] && { ! bench_nsx curl -sf -m 10 -o "$BENCH_TMP/got" "$url" ||
			! cmp -s "$BENCH_TMP/got" "$page"; }; then
			bench_note "$name put: GET $url after the PUTs is not the page"
			errs="$errs+value"
			status=1
		fi
		echo "$name $app $load $rps $(field "$line" p50_us) $(field "$line" p99_us) $req $errs" >>"$dat"
		bench_note "$name $load: $rps req/s, p50 $(field "$line" p50_us) us, p99 $(field "$line" p99_us) us, $errs errors"
	done
	[ -z "$booted" ] || bench_stop
fi

# ---- guest instructions per request ---------------------------------------------
idat=$BENCH_OUT/apps-insn.dat
if [[ $PARTS == *" insn "* ]] || [ ! -f "$idat" ]; then
	{
		echo "# bench/apps.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): guest instructions per keep-alive request under QEMU's instruction-count plugin (TCG), q35, 1 vCPU"
		echo "# wrk -t1 -c$BENCH_INSN_CLIENTS; per pair: ($BENCH_INSN_LARGE-request window - $BENCH_INSN_SMALL-request window) / $((BENCH_INSN_LARGE - BENCH_INSN_SMALL)); $BENCH_INSN_REPS pairs per boot after $BENCH_INSN_WARMUP warm-up requests"
		echo "# name app load median min max pairs..."
	} >"$idat"
fi
if [[ $PARTS == *" insn "* ]]; then
	timed_accel=$BENCH_ACCEL
	BENCH_ACCEL=tcg
	booted=""
	for c in "${configs[@]}"; do
		read -r name app load <<<"$c"
		log=$BENCH_OUT/apps-insn-$name.log
		if [ "$booted" != "$name" ]; then
			[ -z "$booted" ] || bench_stop
			booted=$name
			insn_setup "$BENCH_TMP/insn-$name" ||
				bench_die "the instruction-count plugin did not build (tools/insn/build.sh)"
			BENCH_QEMU_EXTRA=("${INSN_QEMU_ARGS[@]}")
			if ! up_and_checked "$name" "$app" "$log"; then
				echo "$name $app $load ? ? ?" >>"$idat"
				status=1 booted=""
				bench_stop
				continue
			fi
		fi
		BENCH_INSN_PATH=$(path_of "$app") BENCH_INSN_LUA=""
		[ "$load" != put ] || BENCH_INSN_LUA=$BENCH_TMP/put.lua
		if ! pairs=$(bench_insn_http); then
			bench_note "$name $load, counted: no figure (console: $log)"
			bench_log_tail "$log"
			echo "$name $app $load ? ? ?" >>"$idat"
			status=1
			continue
		fi
		per=$(cut -d' ' -f1 <<<"$pairs" | sort -n | tr '\n' ' ')
		read -r -a v <<<"$per"
		echo "$name $app $load ${v[$((${#v[@]} / 2))]} ${v[0]} ${v[-1]} $per" >>"$idat"
		bench_note "$name $load: guest instructions per request: $per"
	done
	[ -z "$booted" ] || bench_stop
	BENCH_QEMU_EXTRA=()
	BENCH_ACCEL=$timed_accel
fi

# ---- the table ------------------------------------------------------------------
python3 - "$dat" "$idat" "$BENCH_OUT" "$SECS" "$BENCH_INSN_CLIENTS" "$BENCH_INSN_REPS" <<'EOF' | tee "$BENCH_OUT/apps.txt"
import sys
dat, idat, out, secs, iclients, ireps = sys.argv[1:7]
def load(p):
    rows, head = {}, ""
    for l in open(p):
        if l.startswith("# bench/apps.sh") or l.startswith("# wrk "):
            head += ("; " if head else "") + l[2:].strip()
        if l.startswith("#") or not l.strip():
            continue
        f = l.split()
        rows[(f[0], f[2])] = f
    return rows, head
rows, thead = load(dat)
insn, ihead = load(idat)
def num(t, k, i):
    try:
        return float(t[k][i])
    except (KeyError, ValueError, IndexError):
        return None
def fk(x): return "-" if x is None else f"{x:,.0f}"
def fms(x): return "-" if x is None else f"{x / 1000:.2f}"
def fr(a, b): return "-" if a is None or not b else f"{a / b:.2f}x"
names = [("weft-proxy", "get", "proxy", "Weft app=proxy"),
         ("nginx-proxy", "get", "proxy", "Linux nginx proxy_pass"),
         ("weft-kv", "get", "kv GET 612 B", "Weft app=kv"),
         ("weft-kv", "put", "kv PUT 612 B", "Weft app=kv")]
hdr = ["load", "server", "req/s", "vs nginx", "p50 ms", "p99 ms", "errors", "insns/req", "vs nginx", "spread"]
ng = ("nginx-proxy", "get")
table = []
for n, l, what, who in names:
    k = (n, l)
    med, lo, hi = num(insn, k, 3), num(insn, k, 4), num(insn, k, 5)
    proxy = what == "proxy"
    table.append([what, who, fk(num(rows, k, 3)), fr(num(rows, k, 3), num(rows, ng, 3)) if proxy else "",
                  fms(num(rows, k, 4)), fms(num(rows, k, 5)),
                  rows[k][7] if k in rows and len(rows[k]) > 7 else "-",
                  fk(med), fr(med, num(insn, ng, 3)) if proxy else "",
                  "-" if med is None or lo is None or hi is None or not med else f"{100 * (hi - lo) / med:.1f}%"])
w = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(hdr)]
print("Apps, keep-alive, 1 vCPU: " + thead)
print("  ".join(h.ljust(w[i]) if i < 2 else h.rjust(w[i]) for i, h in enumerate(hdr)))
for t in table:
    print("  ".join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(t)))
ratio = fr(num(insn, ng, 3), num(insn, ("weft-proxy", "get"), 3))
rps = fr(num(rows, ("weft-proxy", "get"), 3), num(rows, ng, 3))
summary = (f"nginx/Weft guest instructions per proxied request: {ratio}; Weft/nginx proxied req/s "
           f"(TCG wall clock, a sanity check): {rps}")
print(summary)
print("insns/req: " + ihead)
with open(f"{out}/apps.md", "w") as md:
    md.write(f"{thead}.\n\n")
    md.write("| " + " | ".join(hdr) + " |\n")
    md.write("|---|---|" + "|".join(["---:"] * (len(hdr) - 2)) + "|\n")
    for t in table:
        md.write("| " + " | ".join(t) + " |\n")
    md.write(f"\n- {summary}.\n")
    md.write(f"- req/s: after a 2 s warm-up, not counted.\n")
    md.write(f"- insns/req: {ihead}; spread = (max - min) / median. For the proxies, the proxy "
             "guest's own instructions (the upstream runs outside it, the same for both).\n")
    md.write("- vs nginx: the ratio to Linux nginx as a proxy (req/s: higher is better; insns/req: "
             "lower is better). Reproduce: `make bench-apps` (as root).\n")
EOF
bench_note "wrote $BENCH_OUT/{apps.dat,apps-insn.dat,apps.txt,apps.md}; consoles: $BENCH_OUT/apps-*.log; $(($(date +%s) - start_s)) s"
exit $status
