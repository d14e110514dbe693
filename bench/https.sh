#!/usr/bin/env bash
# bench/https.sh — `make bench-https` (also run by `make bench`): HTTPS
# keep-alive requests per second and new full handshakes per second of
# Weft's httpd beside Debian's nginx in the Linux peer (bench/linux/,
# weft.role=nginx-tls), each with an ECDSA P-256 and an RSA-2048
# certificate, in the same run under the same QEMU flags; and guest
# instructions per HTTPS keep-alive request and per handshake. A table, not
# a test: nothing fails on a slow number (exit status 1 only when a server
# could not be measured).
#
# usage: bench/https.sh          (as root; WEFT_ACCEL=kvm|tcg to choose)
#   BENCH_SMPS ("1")      vCPU counts of the timed runs; BENCH_WRK_SECONDS (10)
#   BENCH_PARTS ("timed insn")  as bench/http.sh
#   BENCH_SERVERS ("weft nginx")
#
# The keys: bench/tls_certs.sh's pairs (build/bench/tls/), baked into two
# Weft images (make TLS_CERT= TLS_KEY= SITE=, into build/bench/weft-tls-ecdsa/
# and build/bench/weft-tls-rsa/, serving only the benchmark page, booted
# with https_port=443) and loaded by nginx (443: ECDSA, 4443: RSA). Both
# servers speak the same policy: TLS 1.2, ECDHE, AES-128-GCM chosen by the
# server (nginx-tls.conf sets Weft's order; the suite and the key exchange
# group each negotiated are printed in the notes, from openssl s_client).
# Each answer to GET / is checked, verified against the certificate
# (curl --cacert), byte for byte against the page.
#
# Per server and certificate, in one boot per server (q35, N vCPUs, the tap
# of bench/lib.sh, the same accelerator for all):
#   keep-alive  wrk -t2 -c64 -d2s (warm-up), then -d10s over HTTPS keep-alive:
#               requests/s, p50, p99, errors (wrk does not verify the
#               certificate; curl above did)
#   handshakes  the same with "Connection: close": every request is a new
#               TCP connection and a full handshake. wrk offers its last
#               session on each reconnect, so neither server may resume:
#               nginx-tls.conf turns its cache and tickets off, and Weft
#               boots with tls_session_cache=0 (its /metrics' resumption
#               count over the run is in the notes and the .dat file, and
#               must be 0; the first run, with Weft's cache on, resumed
#               3,802 of 3,866 and compared resumptions with nginx's full
#               handshakes)
# Guest instructions (bench/http_insn.sh's method, a boot of each server
# under the instruction-count plugin, 1 vCPU, TCG, wrk -t1 -c8):
#   per request    keep-alive HTTPS GET /: (10000 - 2000 requests) windows
#   per handshake  "Connection: close" GET /: (600 - 200) windows: a new TCP
#                  connection, a full handshake, one request and the close
#                  (the keep-alive request is in it: subtract it for the
#                  handshake alone)
#
# Writes under build/bench/: https.dat, https-insn.dat, https.txt, https.md
# (the table, for README.md and docs/tls.md), https-*.log (consoles).
# Takes about 8 minutes under TCG.
set -euo pipefail
BENCH_ME=bench-https
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tools/insn/lib.sh
. "$(dirname "$0")/../tools/insn/lib.sh"
# shellcheck source=bench/http_insn.sh
. "$(dirname "$0")/http_insn.sh"
cd "$BENCH_REPO"

SMPS=${BENCH_SMPS:-1}
PARTS=" ${BENCH_PARTS:-timed insn} "
INSN_SMPS=1
[[ $PARTS == *" timed "* ]] || SMPS=""
[[ $PARTS == *" insn "* ]] || INSN_SMPS=""
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
SERVERS=${BENCH_SERVERS:-"weft nginx"}
HS_SMALL=200 HS_LARGE=600 HS_WARMUP=100
mkdir -p "$BENCH_OUT"

bench_need_tools wrk:wrk curl:curl openssl:openssl ip:iproute2 python3:python3

# ---- the images -----------------------------------------------------------------
page=${LINUX_PEER_PAGE:-bench/linux/index.html}
[ -f "$page" ] || bench_die "no page $page"
certs=$(bench/tls_certs.sh) || bench_die "bench/tls_certs.sh failed"
site=$BENCH_OUT/site-https
mkdir -p "$site"
find "$site" -mindepth 1 ! -name index.html -exec rm -rf {} + 2>/dev/null || true
cmp -s "$page" "$site/index.html" || cp "$page" "$site/index.html"
# weft_tls_image KEY: Weft with certs/KEY.{crt,key} baked in; prints the
# kernel's path. A new build directory starts from build/obj (the objects
# of the same sources; make redoes what differs).
weft_tls_image() {
	local b=$BENCH_OUT/weft-tls-$1
	[ -d "$b/obj" ] || { [ ! -d build/obj ] || { mkdir -p "$b" && cp -a build/obj "$b/obj"; }; }
	# make deletes the patched lwIP sources as intermediates; an object to
	# redo then needs the tree patched again
	[ -f "$b/lwip/src/core/def.c" ] || rm -rf "$b/lwip"
	env -u MAKEFLAGS -u MFLAGS make -C "$BENCH_REPO" --no-print-directory -j"$(nproc)" \
		BUILD="$b" NEWLIB=build/newlib LWIP_DIR=build/deps/lwip BEARSSL=build/bearssl/kernel \
		SITE="$site" TLS_CERT="$certs/$1.crt" TLS_KEY="$certs/$1.key" "$b/weft" >&2 ||
		bench_die "building the $1 image failed"
	echo "$b/weft"
}
weft_ecdsa=$(weft_tls_image ecdsa)
weft_rsa=$(weft_tls_image rsa)
if [[ " $SERVERS " == *" nginx "* ]]; then
	bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
fi
BENCH_ACCEL=$(bench_accel "$weft_ecdsa")
bench_ns_setup
bench_note "namespace $BENCH_NS, accel $BENCH_ACCEL, servers $SERVERS, q35, vCPUs: ${SMPS:--}; wrk -t2 -c64 -d${WRK_SECONDS}s"

cat >"$BENCH_TMP/report.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
		summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(99)))
end
EOF
cat >"$BENCH_TMP/close.lua" <<'EOF'
wrk.headers["Connection"] = "close"
EOF
cat "$BENCH_TMP/close.lua" "$BENCH_TMP/report.lua" >"$BENCH_TMP/close-report.lua"
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

# configs SERVER: "LABEL KEY PORT" lines, one per certificate
configs() {
	case $1 in
	weft) printf 'weft ecdsa 443\nweft rsa 443\n' ;;
	nginx) printf 'nginx ecdsa 443\nnginx rsa 4443\n' ;;
	esac
}
# boot SERVER KEY SMP LOG: start the guest that serves KEY (nginx: both)
boot() {
	case $1 in
	weft)
		local k=$weft_ecdsa
		[ "$2" = rsa ] && k=$weft_rsa
		bench_start_weft "$4" "$3" "$k" "app=httpd https_port=443 tls_names=localhost tls_session_cache=0 httpd_max_requests=1000000"
		;;
	nginx) bench_start_linux "$4" "$3" nginx-tls ;;
	esac
}
# ready KEY PORT: GET / over HTTPS verified against certs/KEY.crt gives the
# page (polled for up to 120 s); then SUITE is what s_client negotiated
ready() {
	local i
	for ((i = 0; i < 600; i++)); do
		if bench_nsx curl -s -m 2 --cacert "$certs/$1.crt" --resolve "localhost:$2:$BENCH_GUEST_IP" \
			-o "$BENCH_TMP/page" "https://localhost:$2/" 2>/dev/null && cmp -s "$BENCH_TMP/page" "$page"; then
			SUITE=$(bench_nsx timeout 10 openssl s_client -connect "$BENCH_GUEST_IP:$2" -servername localhost \
				</dev/null 2>/dev/null | awk '/^New, /{c=$NF} /^Server Temp Key:/{sub(/^Server Temp Key: /,""); sub(/,.*/,""); t=$0}
					END { print c "/" t }')
			return 0
		fi
		kill -0 "$BENCH_PID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
metric() { # metric NAME: from Weft's /metrics (plain HTTP, port 80)
	bench_nsx curl -s -m 5 "http://$BENCH_GUEST_IP/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
# load LUA URL: one timed wrk run; prints "RPS P50_US P99_US ERRORS REQUESTS"
load() {
	local out line
	out=$(bench_nsx wrk -t2 -c64 -d"${WRK_SECONDS}s" --timeout 5s -s "$1" "$2" 2>&1 || true)
	line=$(grep '^WRK ' <<<"$out" || true)
	[ -n "$line" ] || { bench_note "wrk failed: $(tr '\n' ' ' <<<"$out")"; echo "? ? ? ? ?"; return; }
	awk -v r="$(field "$line" requests)" -v d="$(field "$line" duration_us)" -v p50="$(field "$line" p50_us)" \
		-v p99="$(field "$line" p99_us)" -v e="$(($(field "$line" connect) + $(field "$line" read) + \
		$(field "$line" write) + $(field "$line" status) + $(field "$line" timeout)))" \
		'BEGIN { printf "%.0f %d %d %d %d\n", r / (d / 1e6), p50, p99, e, r }'
}

dat=$BENCH_OUT/https.dat
if [ -n "$SMPS" ] || [ ! -f "$dat" ]; then {
	echo "# bench/https.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), accel $BENCH_ACCEL, q35, wrk -t2 -c64 -d${WRK_SECONDS}s, $(stat -c %s "$page")-byte page"
	echo "# server key vcpus ka_rps ka_p50_us ka_p99_us ka_errors hs_rps hs_p50_us hs_p99_us hs_errors suite resumed"
} >"$dat"; fi
status=0
for smp in $SMPS; do
	for s in $SERVERS; do
		booted=""
		mapfile -t cfgs < <(configs "$s")
		for cfg in "${cfgs[@]}"; do
			read -r _ key port <<<"$cfg"
			# Weft: one image per key; nginx: one boot for both
			if [ "$s" = weft ] || [ -z "$booted" ]; then
				[ -z "$booted" ] || bench_stop
				log=$BENCH_OUT/https-$s-$key-smp$smp.log
				boot "$s" "$key" "$smp" "$log"
				booted=1
			fi
			if ! ready "$key" "$port"; then
				bench_note "$s $key, $smp vCPU: no verified page over HTTPS (console: $log)"
				bench_log_tail "$log"
				echo "$s $key $smp ? ? ? ? ? ? ? ? ? ?" >>"$dat"
				status=1
				continue
			fi
			url=https://$BENCH_GUEST_IP:$port/
			bench_nsx wrk -t2 -c64 -d2s --timeout 5s "$url" >/dev/null 2>&1 || true
			read -r ka_rps ka_p50 ka_p99 ka_err _ < <(load "$BENCH_TMP/report.lua" "$url")
			r0="" h0=""
			[ "$s" != weft ] || { r0=$(metric weft_tls_resumptions_total); h0=$(metric weft_tls_handshakes_total); }
			read -r hs_rps hs_p50 hs_p99 hs_err hs_n < <(load "$BENCH_TMP/close-report.lua" "$url")
			resumed=-
			if [ "$s" = weft ]; then
				resumed=$(($(metric weft_tls_resumptions_total) - r0))
				bench_note "$s $key: $hs_n requests with Connection: close, $(($(metric weft_tls_handshakes_total) - h0)) handshakes counted, $resumed resumed"
			fi
			echo "$s $key $smp $ka_rps $ka_p50 $ka_p99 $ka_err $hs_rps $hs_p50 $hs_p99 $hs_err $SUITE $resumed" >>"$dat"
			bench_note "$s $key, $smp vCPU: $SUITE, keep-alive $ka_rps req/s ($ka_err errors), handshakes $hs_rps/s ($hs_err errors)"
		done
		bench_stop
	done
done

# ---- guest instructions -------------------------------------------------------------
idat=$BENCH_OUT/https-insn.dat
if [ -n "$INSN_SMPS" ] || [ ! -f "$idat" ]; then {
	echo "# bench/https.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): guest instructions under QEMU's instruction-count plugin (TCG), q35, 1 vCPU, wrk -t1 -c$BENCH_INSN_CLIENTS"
	echo "# per request: keep-alive HTTPS GET /, ($BENCH_INSN_LARGE - $BENCH_INSN_SMALL)-request windows; per handshake: Connection: close, ($HS_LARGE - $HS_SMALL); $BENCH_INSN_REPS pairs each"
	echo "# server key req_median req_min req_max hs_median hs_min hs_max"
} >"$idat"; fi
timed_accel=$BENCH_ACCEL
BENCH_ACCEL=tcg
med() { # med "N N N": "MEDIAN MIN MAX"
	local v
	read -r -a v <<<"$(tr ' ' '\n' <<<"$1" | grep . | sort -n | tr '\n' ' ')"
	echo "${v[$((${#v[@]} / 2))]} ${v[0]} ${v[-1]}"
}
for smp in $INSN_SMPS; do
	for s in $SERVERS; do
		booted=""
		mapfile -t cfgs < <(configs "$s")
		for cfg in "${cfgs[@]}"; do
			read -r _ key port <<<"$cfg"
			if [ "$s" = weft ] || [ -z "$booted" ]; then
				[ -z "$booted" ] || bench_stop
				log=$BENCH_OUT/https-insn-$s-$key.log
				insn_setup "$BENCH_TMP/insn-$s-$key" ||
					bench_die "the instruction-count plugin did not build (tools/insn/build.sh)"
				BENCH_QEMU_EXTRA=("${INSN_QEMU_ARGS[@]}")
				boot "$s" "$key" 1 "$log"
				booted=1
			fi
			if ! ready "$key" "$port" ||
				! req=$(BENCH_INSN_BASE=https://$BENCH_GUEST_IP:$port bench_insn_http) ||
				! hs=$(BENCH_INSN_BASE=https://$BENCH_GUEST_IP:$port BENCH_INSN_LUA=$BENCH_TMP/close.lua \
					BENCH_INSN_WARMUP=$HS_WARMUP BENCH_INSN_SMALL=$HS_SMALL BENCH_INSN_LARGE=$HS_LARGE bench_insn_http); then
				bench_note "$s $key, counted: no figure (console: $log)"
				bench_log_tail "$log"
				echo "$s $key ? ? ? ? ? ?" >>"$idat"
				status=1
				continue
			fi
			rq=$(cut -d' ' -f1 <<<"$req" | tr '\n' ' ') hq=$(cut -d' ' -f1 <<<"$hs" | tr '\n' ' ')
			echo "$s $key $(med "$rq") $(med "$hq")" >>"$idat"
			bench_note "$s $key: guest instructions per keep-alive request: $rq; per connection with a full handshake: $hq"
		done
		bench_stop
	done
done
BENCH_QEMU_EXTRA=()
BENCH_ACCEL=$timed_accel

# ---- the table --------------------------------------------------------------------------
python3 - "$dat" "$idat" "$BENCH_OUT" "$WRK_SECONDS" "$BENCH_INSN_CLIENTS" "$BENCH_INSN_REPS" <<'EOF' | tee "$BENCH_OUT/https.txt"
import os, sys
dat, idat, out, secs, iclients, ireps = sys.argv[1:7]
def rows(path):
    r = {}
    for l in open(path):
        if l.startswith("#") or not l.strip():
            continue
        f = l.split()
        r[(f[0], f[1])] = f
    return r
t, ins = rows(dat), rows(idat)
def num(d, k, i):
    try:
        return float(d[k][i])
    except (KeyError, ValueError, IndexError):
        return None
def ratio(a, b):
    return None if a is None or not b else a / b
fk = lambda x: "-" if x is None else f"{x:,.0f}"
fr = lambda x: "-" if x is None else f"{x:.2f}x"
def spread(k, i):
    m, lo, hi = num(ins, k, i), num(ins, k, i + 1), num(ins, k, i + 2)
    return "-" if None in (m, lo, hi) or not m else f"{100 * (hi - lo) / m:.1f}%"
hdr = ["server", "certificate", "suite", "keep-alive req/s", "vs nginx", "handshakes/s", "vs nginx",
       "insns/req", "vs nginx", "spread", "insns/handshake", "vs nginx", "spread", "errors"]
names = {"weft": "Weft", "nginx": "Linux nginx"}
keys = {"ecdsa": "ECDSA P-256", "rsa": "RSA-2048"}
table = []
for key in ("ecdsa", "rsa"):
    for s in ("weft", "nginx"):
        k, n = (s, key), ("nginx", key)
        r = t.get(k, [])
        errs = "-" if len(r) < 11 else f"{r[6]}+{r[10]}"
        table.append([names[s], keys[key], r[11] if len(r) > 11 else "-",
                      fk(num(t, k, 3)), fr(ratio(num(t, k, 3), num(t, n, 3))),
                      fk(num(t, k, 7)), fr(ratio(num(t, k, 7), num(t, n, 7))),
                      fk(num(ins, k, 2)), fr(ratio(num(ins, k, 2), num(ins, n, 2))), spread(k, 2),
                      fk(num(ins, k, 5)), fr(ratio(num(ins, k, 5), num(ins, n, 5))), spread(k, 5), errs])
title = (f"HTTPS, 612-byte page, TLS 1.2, wrk -t2 -c64 -d{secs}s over a tap in a private netns; "
         "q35, 1 vCPU")
w = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(hdr)]
print(title)
print("  ".join(h.ljust(w[i]) if i < 3 else h.rjust(w[i]) for i, h in enumerate(hdr)))
for r in table:
    print("  ".join(c.ljust(w[i]) if i < 3 else c.rjust(w[i]) for i, c in enumerate(r)))
notes = [
    "keep-alive req/s: after a 2 s warm-up; handshakes/s: every request with `Connection: close`, "
    "a new TCP connection and a full handshake each (neither server resumes: Weft boots with tls_session_cache=0, nginx has its cache and tickets off); "
    "TCG wall clock on a shared host, so ratios mean more than values",
    f"insns/req and insns/handshake: guest instructions under QEMU's instruction-count plugin, "
    f"a boot of their own, 1 vCPU, wrk -t1 -c{iclients}: the median of {ireps} (large - small window) / "
    "extra operations (`bench/http_insn.sh`); a handshake's figure is a whole connection: TCP open, "
    "full handshake, one GET, close; spread = (max - min) / median",
    "suite: cipher/ECDHE group, from openssl s_client against each; vs nginx: the ratio to nginx "
    "with the same certificate (req/s: higher is better; instructions: lower is better); "
    "errors: wrk's, keep-alive+handshakes",
    "Reproduce: `make bench-https` (as root; also part of `make bench`)",
]
print("\n".join(notes))
with open(f"{out}/https.md", "w") as md:
    md.write(f"{title}.\n\n| " + " | ".join(hdr) + " |\n")
    md.write("|" + "|".join(["---"] * 3 + ["---:"] * (len(hdr) - 3)) + "|\n")
    for r in table:
        md.write("| " + " | ".join(r) + " |\n")
    md.write("\n" + "\n".join(f"- {n}." for n in notes) + "\n")
EOF
exit $status
