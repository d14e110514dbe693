#!/usr/bin/env bash
# bench/http.sh — `make bench`: keep-alive HTTP requests per second and
# latency of Weft's httpd beside the Linux peer (bench/linux/) running
# Debian's nginx and a static Go net/http server, at 1 and 2 vCPUs, in the
# same run under the same QEMU flags; with boot-to-first-response and image
# size. A table, not a test: nothing fails on a slow number (the exit
# status is 1 only when a server could not be measured).
#
# usage: bench/http.sh           (as root; WEFT_ACCEL=kvm|tcg to choose)
#   BENCH_SMPS ("1 2")   vCPU counts of the timed runs;  BENCH_WRK_SECONDS (10)
#   BENCH_INSN_SMPS ("1") vCPU counts of the instruction counts
#   BENCH_PARTS ("timed insn mem")  which parts to run: the timed runs
#                        (req/s, latency, boot), the instruction counts,
#                        the least RAM Weft serves in; the table shows a
#                        part not run from its last run
#   BENCH_INSN_*         the counted loads, see bench/http_insn.sh
#   BENCH_SERVERS ("weft nginx gohttp")  which servers to run (weft alone
#                        needs no Linux peer built)
#   BENCH_WEFT_APPEND    more of Weft's command line, e.g.
#                        "httpd_access_log=clf httpd_access_log_rate=0" to
#                        count what the access log costs per request
#
# The page: all three serve the same 612 bytes, bench/linux/index.html (or
# $LINUX_PEER_PAGE, as bench/linux/build.sh). Weft gets it from a bench
# image of its own: the default app (httpd) built with SITE= a directory
# holding only that page, into build/bench/weft/ (the normal build/weft and
# its objects are left alone; newlib and lwIP's tree are shared). Each
# server's answer to GET / is compared with the page, byte for byte.
#
# Each server in turn, alone, on tap0 in a private network namespace
# (bench/lib.sh: 10.79.0.1 on the host side, the guest 10.79.0.2): q35,
# N vCPUs, 512 MiB, virtio-net with the tap's offloads, the same accelerator
# for all (explicit; on this project's machines TCG: the /dev/kvm is PVM
# and runs neither guest). Per server and vCPU count, one run each:
#   boot    QEMU's start to the first "200" answer to GET / (polled every
#           20 ms from the namespace); the guest's console line that says
#           it listens is noted too
#   wrk     wrk -t2 -c64 -d2s (warm-up, not counted), then
#           wrk -t2 -c64 -d10s --timeout 5s, keep-alive: requests/s, p50 and
#           p99 latency (wrk's own histogram, through a Lua done() hook),
#           errors (socket errors and non-2xx answers).
#           -t2: the host has 2 cores (more client threads would only
#           take turns with QEMU's); -c64: 64 requests in flight keep every
#           server busy at 1 and 2 vCPUs, well under every connection limit
#           (Weft 1024, nginx 4096 per worker), the same count as bench-net's
#           many-connection case; -d10s: enough requests to smooth the
#           scheduler noise of a shared machine, short enough to run all six
#           configurations in a few minutes.
#   insns   guest instructions per request: a boot of its own with QEMU's
#           instruction-count plugin (under the plugin TCG runs slower, so
#           it is never the timed boot, and it is always TCG: plugins need
#           it), 1 vCPU, wrk -t1 -c8 keep-alive; the difference of a 10000-
#           and a 2000-request window over the 8000 extra requests, three
#           pairs in the boot: median and spread. The method and what the
#           figure means: bench/http_insn.sh. "vs nginx" beside it is the
#           ratio to nginx's count.
# Weft runs with httpd_max_requests=1000000 (its default closes a
# keep-alive connection after 1000 requests; nginx.conf allows 1000000,
# Go's server has no limit), so no server pays for reconnects.
# Image size: Weft: the kernel ELF that is booted (also stripped, as it
# would ship: the ELF keeps its .ksyms backtrace table); Linux: vmlinuz +
# initramfs.cpio.gz (bench/linux/build.sh's "image", the same for nginx
# and Go: the initramfs holds both, plus busybox and the echo server). The
# benchmark boots vmlinux, the ELF inside vmlinuz, through PVH as Weft is
# booted (bench/linux/run.sh): no decompressor time in either boot.
#
# Writes under build/bench/: http.dat (one line per server and vCPU count),
# http-insn.dat (the instruction counts: one line per server and vCPU
# count, with every pair), http.txt (the table), http.md (the table in
# markdown, for README.md), http.png (gnuplot: req/s and boot time),
# http-*.log (consoles). Takes about 5 minutes under TCG.
set -euo pipefail
BENCH_ME=bench
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tools/insn/lib.sh
. "$(dirname "$0")/../tools/insn/lib.sh"
# shellcheck source=bench/http_insn.sh
. "$(dirname "$0")/http_insn.sh"
cd "$BENCH_REPO"

SMPS=${BENCH_SMPS:-"1 2"}
INSN_SMPS=${BENCH_INSN_SMPS:-1}
PARTS=" ${BENCH_PARTS:-timed insn mem} "
[[ $PARTS == *" timed "* ]] || SMPS=""
[[ $PARTS == *" insn "* ]] || INSN_SMPS=""
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
SERVERS=${BENCH_SERVERS:-"weft nginx gohttp"}
WEFT_APPEND=${BENCH_WEFT_APPEND:-}
mkdir -p "$BENCH_OUT"
start_s=$(date +%s)

bench_need_tools wrk:wrk gnuplot:gnuplot-nox curl:curl ip:iproute2 python3:python3 strip:binutils

# ---- the images -----------------------------------------------------------------
page=${LINUX_PEER_PAGE:-bench/linux/index.html}
[ -f "$page" ] || bench_die "no page $page"
weft=$(bench_weft_image "$page")
if [ "$SERVERS" != weft ]; then
	bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
fi
BENCH_ACCEL=$(bench_accel "$weft")

weft_size=$(stat -c %s "$weft")
strip -o "$BENCH_TMP/weft.stripped" "$weft"
weft_stripped=$(stat -c %s "$BENCH_TMP/weft.stripped")
linux_size=0
[ "$SERVERS" = weft ] ||
	linux_size=$(($(stat -c %s build/bench/linux/vmlinuz) + $(stat -c %s build/bench/linux/initramfs.cpio.gz)))

bench_ns_setup
bench_note "namespace $BENCH_NS, accel $BENCH_ACCEL, servers $SERVERS${WEFT_APPEND:+ (weft: $WEFT_APPEND)}, q35, vCPUs: ${SMPS:--}; wrk -t2 -c64 -d${WRK_SECONDS}s; instruction counts at vCPUs: ${INSN_SMPS:--}"

cat >"$BENCH_TMP/report.lua" <<'EOF'
-- wrk's done() hook: one line of numbers (latencies in microseconds)
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
		summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
		e.status, e.timeout, latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max))
end
EOF

# A part that is not run keeps its file from the last run that ran it, so
# the table shows the last figures of both.
dat=$BENCH_OUT/http.dat
if [ -n "$SMPS" ] || [ ! -f "$dat" ]; then {
	echo "# bench/http.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), accel $BENCH_ACCEL, q35, wrk -t2 -c64 -d${WRK_SECONDS}s keep-alive, $(stat -c %s "$page")-byte page"
	echo "# host: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
	echo "# image bytes: Weft = the stripped kernel ELF ($weft_size unstripped); Linux = vmlinuz + initramfs.cpio.gz"
	echo "# server vcpus req_per_s p50_us p99_us boot_ms ready_ms requests errors page image_bytes"
} >"$dat"; fi
status=0

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

# start_server SERVER SMP LOG: boot it; sets ready_re (its console's line
# that says it listens) and img (its image's bytes)
start_server() {
	case $1 in
	weft)
		bench_start_weft "$3" "$2" "$weft" "app=httpd httpd_max_requests=1000000${WEFT_APPEND:+ $WEFT_APPEND}"
		ready_re='httpd: port 80([^0-9]|$)' img=$weft_stripped
		;;
	*)
		bench_start_linux "$3" "$2" "$1"
		ready_re="linux-peer: ready $1" img=$linux_size
		;;
	esac
}

for smp in $SMPS; do
	for s in $SERVERS; do
		log=$BENCH_OUT/http-$s-smp$smp.log
		start_server "$s" "$smp" "$log"
		read -r first ready why < <(bench_first_answer http 80 "$ready_re" "$log")
		if [ "$first" = - ]; then
			bench_note "$s, $smp vCPU: no answer from http://$BENCH_GUEST_IP/: ${why//_/ } (console: $log)"
			bench_log_tail "$log"
			echo "$s $smp ? ? ? ? ? ? ? ? $img" >>"$dat"
			status=1
			bench_stop
			continue
		fi
		page_ok=DIFF
		if bench_nsx curl -s -m 5 -o "$BENCH_TMP/page" "http://$BENCH_GUEST_IP/" &&
			cmp -s "$BENCH_TMP/page" "$page"; then
			page_ok=same
		else
			status=1
		fi
		bench_nsx wrk -t2 -c64 -d2s --timeout 5s "http://$BENCH_GUEST_IP/" >/dev/null 2>&1 || true
		out=$(bench_nsx wrk -t2 -c64 -d"${WRK_SECONDS}s" --timeout 5s -s "$BENCH_TMP/report.lua" \
			"http://$BENCH_GUEST_IP/" 2>&1 || true)
		line=$(grep '^WRK ' <<<"$out" || true)
		if [ -z "$line" ]; then
			bench_note "$s, $smp vCPU: wrk failed: $(tr '\n' ' ' <<<"$out")"
			echo "$s $smp ? ? ? $first $ready ? ? $page_ok $img" >>"$dat"
			status=1
			bench_stop
			continue
		fi
		req=$(field "$line" requests) dur=$(field "$line" duration_us)
		errs=$(($(field "$line" connect) + $(field "$line" read) + $(field "$line" write) +
			$(field "$line" status) + $(field "$line" timeout)))
		rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
		echo "$s $smp $rps $(field "$line" p50_us) $(field "$line" p99_us) $first $ready $req $errs $page_ok $img" >>"$dat"
		bench_note "$s, $smp vCPU: boot ${first} ms (console ${ready} ms), page $page_ok, $rps req/s, p50 $(field "$line" p50_us) us, p99 $(field "$line" p99_us) us, $errs errors"
		bench_stop
	done
done

# ---- guest instructions per request (bench/http_insn.sh) ---------------------------
idat=$BENCH_OUT/http-insn.dat
if [ -n "$INSN_SMPS" ] || [ ! -f "$idat" ]; then {
	echo "# bench/http.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): guest instructions per keep-alive GET / under QEMU's instruction-count plugin (TCG), q35"
	echo "# wrk -t1 -c$BENCH_INSN_CLIENTS; per pair: ($BENCH_INSN_LARGE-request window - $BENCH_INSN_SMALL-request window) / $((BENCH_INSN_LARGE - BENCH_INSN_SMALL)); $BENCH_INSN_REPS pairs per boot after $BENCH_INSN_WARMUP warm-up requests"
	echo "# server vcpus median min max pairs..."
} >"$idat"; fi
timed_accel=$BENCH_ACCEL
BENCH_ACCEL=tcg
for smp in $INSN_SMPS; do
	for s in $SERVERS; do
		log=$BENCH_OUT/http-insn-$s-smp$smp.log
		insn_setup "$BENCH_TMP/insn-$s-$smp" ||
			bench_die "the instruction-count plugin did not build (tools/insn/build.sh)"
		BENCH_QEMU_EXTRA=("${INSN_QEMU_ARGS[@]}")
		start_server "$s" "$smp" "$log"
		read -r first _ why < <(bench_first_answer http 80 "$ready_re" "$log")
		if [ "$first" = - ] || ! pairs=$(bench_insn_http); then
			bench_note "$s, $smp vCPU, counted: no figure: ${why//_/ } (console: $log)"
			bench_log_tail "$log"
			echo "$s $smp ? ? ?" >>"$idat"
			status=1
			bench_stop
			continue
		fi
		per=$(cut -d' ' -f1 <<<"$pairs" | sort -n | tr '\n' ' ')
		read -r -a v <<<"$per"
		echo "$s $smp ${v[$((${#v[@]} / 2))]} ${v[0]} ${v[-1]} $per" >>"$idat"
		bench_note "$s, $smp vCPU: guest instructions per request: $per(windows: $(cut -d' ' -f2,3 <<<"$pairs" | tr '\n' ' '))"
		bench_stop
	done
done
BENCH_QEMU_EXTRA=()
BENCH_ACCEL=$timed_accel

# ---- the least RAM Weft serves in -------------------------------------------------
# Weft sizes its pools at boot from the RAM (net/limits.c). Boots at 1
# vCPU with -m 4M, 5M, ... until one answers GET / with the page: the
# least RAM it serves in; then on up until one also serves 100 keep-alive
# clients at once (wrk -t1 -c100 -d3s, every request answered, no error):
# the least RAM for 100 connections. Below its minimum Weft says "weft:
# needs N MiB, has M MiB" and powers off.
mdat=$BENCH_OUT/http-mem.dat
if [[ $PARTS == *" mem "* && " $SERVERS " == *" weft "* ]]; then
	least="" least100=""
	for m in 4 5 6 7 8 9 10 12 16 24 32; do
		log=$BENCH_OUT/http-mem-weft-${m}m.log
		BENCH_MEM=${m}M start_server weft 1 "$log"
		read -r first _ _ < <(bench_first_answer http 80 "$ready_re" "$log")
		if [ "$first" != - ] && bench_nsx curl -s -m 5 -o "$BENCH_TMP/page" "http://$BENCH_GUEST_IP/" &&
			cmp -s "$BENCH_TMP/page" "$page"; then
			[ -n "$least" ] || least=$m
			out=$(bench_nsx wrk -t1 -c100 -d3s --timeout 5s -s "$BENCH_TMP/report.lua" \
				"http://$BENCH_GUEST_IP/" 2>&1 || true)
			line=$(grep '^WRK ' <<<"$out" || true)
			errs=-
			[ -z "$line" ] || errs=$(($(field "$line" connect) + $(field "$line" read) +
				$(field "$line" write) + $(field "$line" status) + $(field "$line" timeout)))
			bench_note "weft, -m ${m}M: serves; 100 keep-alive clients: $(field "$line" requests) requests, $errs errors; $(grep -m1 -a '^net: [0-9]* MiB' "$log" | tr -d '\r')"
			if [ "$errs" = 0 ] && [ "$(field "$line" requests)" -gt 0 ]; then
				least100=$m
				bench_stop
				break
			fi
		else
			bench_note "weft, -m ${m}M: no answer ($(grep -m1 -a '^weft: needs' "$log" | tr -d '\r'))"
		fi
		bench_stop
	done
	{
		echo "# bench/http.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): the least RAM (QEMU -m, MiB) Weft serves GET / in, and serves 100 keep-alive clients in; q35, 1 vCPU"
		echo "# server least_mib least_mib_100_conns"
		echo "weft ${least:-?} ${least100:-?}"
	} >"$mdat"
fi
[ -f "$mdat" ] || echo "# not measured yet" >"$mdat"

# ---- table, markdown, chart -------------------------------------------------------
python3 - "$dat" "$BENCH_OUT" "$BENCH_ACCEL" "$WRK_SECONDS" "$weft_size" "$(stat -c %s "$page")" "$idat" \
	"$BENCH_INSN_CLIENTS" "$BENCH_INSN_REPS" "$mdat" <<'EOF' | tee "$BENCH_OUT/http.txt"
import os, subprocess, sys
dat, out, accel, secs, weft_unstripped, page_bytes, idat, iclients, ireps, mdat = sys.argv[1:11]
rows = {}
for l in open(dat):
    if l.startswith("#") or not l.strip():
        continue
    f = l.split()
    rows[(f[0], int(f[1]))] = f
insn = {}
for l in open(idat):
    if l.startswith("#") or not l.strip():
        continue
    f = l.split()
    insn[(f[0], int(f[1]))] = f
least = {}
for l in open(mdat):
    if l.startswith("#") or not l.strip():
        continue
    f = l.split()
    least[f[0]] = f[1:]
smps = sorted({k[1] for k in rows} | {k[1] for k in insn})
servers = [("weft", "Weft"), ("nginx", "Linux nginx"), ("gohttp", "Linux Go net/http")]
def num(s, key, i):
    try:
        return float(rows[(s, key)][i])
    except (KeyError, ValueError, IndexError):
        return None
def inum(s, key, i):
    try:
        return float(insn[(s, key)][i])
    except (KeyError, ValueError, IndexError):
        return None
def ratio(a, b):
    return a / b if a is not None and b else None
def spread(s, key):
    med, lo, hi = inum(s, key, 2), inum(s, key, 3), inum(s, key, 4)
    return "-" if med is None or lo is None or hi is None or not med else f"{100 * (hi - lo) / med:.1f}%"
def fk(x):
    return "-" if x is None else f"{x:,.0f}"
def f0(x):
    return "-" if x is None else f"{x:.0f}"
def fms(us):
    return "-" if us is None else f"{us / 1000:.2f}"
def fr(x):
    return "-" if x is None else f"{x:.2f}x"
def mib(b):
    if b is None:
        return "-"
    return f"{b / 1024:.0f} KiB" if b < 1048576 else f"{b / 1048576:.1f} MiB"
def min_ram(s, smp):
    v = least.get(s)
    if smp != 1 or not v or v[0] == "?":
        return "-"
    return f"{v[0]}" + (f" / {v[1]}" if len(v) > 1 and v[1] != "?" else "") + " MiB"
title = (f"HTTP keep-alive, {page_bytes}-byte page, wrk -t2 -c64 -d{secs}s over a tap in a "
         f"private netns; q35, accel {accel}")
hdr = ["server", "vCPUs", "req/s", "vs nginx", "p50 ms", "p99 ms", "boot ms", "vs nginx",
       "insns/req", "vs nginx", "spread", "image", "min RAM", "errors", "page"]
table = []
for smp in smps:
    for s, name in servers:
        rps, boot = num(s, smp, 2), num(s, smp, 5)
        r = rows.get((s, smp), [])
        table.append([name, str(smp), f0(rps), fr(ratio(rps, num("nginx", smp, 2))),
                      fms(num(s, smp, 3)), fms(num(s, smp, 4)), f0(boot),
                      fr(ratio(boot, num("nginx", smp, 5))),
                      fk(inum(s, smp, 2)), fr(ratio(inum(s, smp, 2), inum("nginx", smp, 2))),
                      spread(s, smp), mib(num(s, smp, 10)), min_ram(s, smp),
                      r[8] if len(r) > 8 else "-", r[9] if len(r) > 9 else "-"])
w = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(hdr)]
print(title)
print("  ".join(h.ljust(w[i]) if i == 0 else h.rjust(w[i]) for i, h in enumerate(hdr)))
for t in table:
    print("  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(t)))
r1 = ratio(num("weft", 1, 2), num("nginx", 1, 2))
b1 = ratio(num("weft", 1, 5), num("nginx", 1, 5))
i1 = ratio(inum("nginx", 1, 2), inum("weft", 1, 2))
targets = [f"nginx/Weft guest instructions per request on 1 vCPU: {fr(i1)} "
           "(what a KVM guest's CPU pays per request; exits per request, the other KVM cost, "
           "come from make bench-kvm)",
           f"Weft/nginx req/s on 1 vCPU: {fr(r1)} (target >= 3x; TCG wall clock, a sanity check): " +
           ("-" if r1 is None else "met" if r1 >= 3 else "NOT met"),
           f"Weft/nginx boot-to-first-response on 1 vCPU: {fr(b1)} (target <= 0.10x): " +
           ("-" if b1 is None else "met" if b1 <= 0.1 else "NOT met")]
print("\n".join(targets))
print(f"insns/req: a separate boot under QEMU's instruction-count plugin (TCG), wrk -t1 -c{iclients} "
      f"keep-alive; the median of {ireps} (large - small window) / extra requests; spread = "
      "(max - min) / median; vs nginx: its ratio to nginx's (lower is better)")
print("min RAM: the least QEMU -m (MiB, 1 vCPU) Weft answers GET / in / the least "
      "it serves 100 keep-alive clients in at once (wrk -t1 -c100, no error); its pools are sized at "
      "boot from the RAM (net/limits.c); not measured for the Linux guests")
print(f"image: Weft = its kernel ELF, stripped ({weft_unstripped} bytes as built, with debug info); "
      "Linux = vmlinuz + initramfs.cpio.gz (one image for nginx and Go)")

with open(f"{out}/http.md", "w") as md:
    md.write(f"{title}.\n\n")
    md.write("| " + " | ".join(hdr[:-1]) + " |\n")
    md.write("|" + "|".join(["---"] + ["---:"] * (len(hdr) - 2)) + "|\n")
    for t in table:
        md.write("| " + " | ".join(t[:-1]) + " |\n")
    md.write("\n" + "\n".join(f"- {t}" for t in targets) + "\n")
    md.write("- req/s and latency: keep-alive, after a 2 s warm-up; boot: QEMU's start to the first "
             "`200` answer to `GET /`, polled every 20 ms; image: Weft's kernel ELF stripped, Linux's "
             "vmlinuz + initramfs.cpio.gz (the Linux guest boots the ELF inside vmlinuz through PVH, "
             "as Weft boots).\n")
    md.write("- min RAM: the least QEMU `-m` (MiB, 1 vCPU) in which Weft answers `GET /` / the "
             "least in which it serves 100 keep-alive clients at once (`wrk -t1 -c100 "
             "-d3s`, no error); Weft sizes its pools at boot from the RAM (`net/limits.c`) and below "
             "its minimum says `weft: needs N MiB, has M MiB` and powers off. Not measured for the "
             "Linux guests.\n")
    md.write(f"- insns/req: guest instructions per request, from a separate boot of each server under "
             f"QEMU's instruction-count plugin (`tools/insn/`), wrk -t1 -c{iclients} keep-alive: the "
             f"median of {ireps} differences between a large and a small load window, divided by the "
             "extra requests (`bench/http_insn.sh`); spread = (max - min) / median.\n")
    md.write(f"- All three serve the same page; one run per configuration, under {accel.upper()} on a "
             f"shared {os.cpu_count()}-CPU host (wrk and QEMU on the same cores): ratios mean more "
             "than absolute values. Reproduce: `make bench` (as root; it builds everything it needs).\n")
    md.write("\n![HTTP requests per second and boot time](build/bench/http.png)\n")

# The chart: clusters are vCPU counts, bars the servers.
def block(name, col):
    lines = [f"${name} << EOD"]
    for smp in smps:
        vals = [num(s, smp, col) for s, _ in servers]
        lines.append(f"\"{smp} vCPU{'s' if smp > 1 else ''}\" " +
                     " ".join("?" if v is None else f"{v:.0f}" for v in vals))
    lines.append("EOD")
    return "\n".join(lines)
gp = f"""
set terminal pngcairo size 1100,460 font ",10"
set output "{out}/http.png"
set datafile missing "?"
{block("rps", 2)}
{block("boot", 5)}
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left
set yrange [0:*]
set multiplot layout 1,2 title "{title}" font ",11"
set title "requests/s (higher is better)"
set offsets 0, 0, graph 0.12, 0
plot $rps using 2:xtic(1) title "Weft" lc rgb "#2b7bba", \\
     '' using 3 title "Linux nginx" lc rgb "#e6550d", \\
     '' using 4 title "Linux Go net/http" lc rgb "#31a354", \\
     '' using ($0-0.25):2:(sprintf("%.0f",$2)) with labels offset 0,0.7 notitle, \\
     '' using ($0):3:(sprintf("%.0f",$3)) with labels offset 0,0.7 notitle, \\
     '' using ($0+0.25):4:(sprintf("%.0f",$4)) with labels offset 0,0.7 notitle
set title "QEMU start to first HTTP response, ms (lower is better)"
plot $boot using 2:xtic(1) title "Weft" lc rgb "#2b7bba", \\
     '' using 3 title "Linux nginx" lc rgb "#e6550d", \\
     '' using 4 title "Linux Go net/http" lc rgb "#31a354", \\
     '' using ($0-0.25):2:(sprintf("%.0f",$2)) with labels offset 0,0.7 notitle, \\
     '' using ($0):3:(sprintf("%.0f",$3)) with labels offset 0,0.7 notitle, \\
     '' using ($0+0.25):4:(sprintf("%.0f",$4)) with labels offset 0,0.7 notitle
unset multiplot
"""
with open(f"{out}/http.gp", "w") as g:
    g.write(gp)
# No timed runs (BENCH_PARTS=insn): no chart to draw.
if any(num(s, smp, 2) is not None for smp in smps for s, _ in servers):
    r = subprocess.run(["gnuplot", f"{out}/http.gp"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("bench: gnuplot failed:\n" + r.stderr)
EOF
# Weft's own boot figure: kernel entry to "ready" (its console's line,
# TSC-timed inside the guest), per vCPU count of the timed boots.
for smp in $SMPS; do
	us=$(sed -n 's/.*weft: ready in \([0-9]*\) us.*/\1/p' "$BENCH_OUT/http-weft-smp$smp.log" 2>/dev/null |
		head -n 1)
	[ -n "$us" ] || continue
	line="Weft, $smp vCPU: kernel entry to ready $us us (accel $BENCH_ACCEL; the console's \`weft: ready in\`)"
	bench_note "$line"
	echo "$line" >>"$BENCH_OUT/http.txt"
	echo "- $line" >>"$BENCH_OUT/http.md"
done
bench_note "wrote $BENCH_OUT/{http.dat,http.txt,http.md,http.png}; consoles: $BENCH_OUT/http-*.log; $(($(date +%s) - start_s)) s"
exit $status
