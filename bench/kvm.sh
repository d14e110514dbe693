#!/usr/bin/env bash
# bench/kvm.sh — `make bench-kvm`: what a request costs in KVM exits, Weft's
# httpd beside the Linux peer's nginx, measured with KVM's own counters
# inside the KVM lane (tools/kvm-lane/: an outer Linux guest under TCG runs
# both servers under real KVM, one after the other). A table, not a test:
# nothing fails on a number (the exit status is 1 only when a server could
# not be measured).
#
# usage: bench/kvm.sh     (as root; it builds the bench image, the Linux
#                          peer and the lane's outer guest when missing)
#   BENCH_KVM_CONNS ("8 64")  concurrent keep-alive clients
#   BENCH_KVM_SECONDS (10)    each load run;  BENCH_KVM_IDLE (5) the idle run
#
# Method. Each server runs alone at 1 vCPU, 512 MiB, q35, through
# tools/qemu.sh --accel kvm (the Linux peer through bench/linux/run.sh, so
# both get the same flags), serving the same 612-byte page
# (bench/linux/index.html) on port 80 behind the inner QEMU's user-net
# forward 127.0.0.1:8080 (with tools/listen_backlog.c's wider
# backlog). The load generator is wrk inside the outer guest (no second
# user-net on the path): wrk -t1 -cN keep-alive GET /, a 2 s warm-up, then
# BENCH_KVM_SECONDS. Around each run the job reads the VM's counters in
# /sys/kernel/debug/kvm/PID-FD/ (the VM's own directory: the top-level
# files sum only the VMs still running); the difference over the run,
# divided by the requests wrk completed, is exits per request. Before the
# load, BENCH_KVM_IDLE seconds with no client give the idle exit rate.
#
# The counters (Linux 6.1, SVM with nested paging; all per vCPU, summed):
#   exits           every VM exit
#   halt_exits      HLT (the guest idles)
#   irq_exits       exits because a host interrupt arrived
#   io_exits        port I/O that went out to QEMU's userspace
#   mmio_exits      MMIO that went out to QEMU's userspace
#   insn_emulation  instructions KVM emulated in the kernel: MMIO that did
#                   not leave the kernel (the local APIC, the IOAPIC, a
#                   virtio notify write caught by an ioeventfd) plus those
#                   that then went to userspace; "MMIO in kernel" below is
#                   insn_emulation - mmio_exits
#   irq_injections  interrupts KVM injected into the guest
#   signal_exits, request_irq_exits, irq_window_exits, halt_wakeup, ...
# "other" is exits minus the kinds shown (MSR writes such as the
# TSC-deadline timer, NPT faults KVM fixes itself, CPUID, ...).
#
# Writes build/bench/kvm.dat (raw counters), kvm.txt (the table) and kvm.md
# (markdown, for README.md); the inner consoles: build/bench/kvm/*.log.
# Takes about 5 minutes (the outer guest runs under TCG).
set -euo pipefail
BENCH_ME=bench-kvm
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$BENCH_REPO"

CONNS=${BENCH_KVM_CONNS:-"8 64"}
SECS=${BENCH_KVM_SECONDS:-10}
IDLE=${BENCH_KVM_IDLE:-5}
out=$BENCH_OUT/kvm
mkdir -p "$out"
start_s=$(date +%s)

# ---- the images -----------------------------------------------------------------
page=${LINUX_PEER_PAGE:-bench/linux/index.html}
[ -f "$page" ] || bench_die "no page $page"
weft=$(bench_weft_image "$page")
bench/linux/build.sh >/dev/null || bench_die "bench/linux/build.sh failed"
tools/kvm-lane/build.sh >/dev/null || bench_die "tools/kvm-lane/build.sh failed"
gcc -shared -fPIC -O2 -DMIN_BACKLOG=1024 -o "$BENCH_TMP/listen_backlog.so" \
	tools/listen_backlog.c -ldl || bench_die "cannot build tools/listen_backlog.c"

cat >"$BENCH_TMP/count.lua" <<'EOF'
-- wrk's done() hook: the requests completed and the errors
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK requests=%d duration_us=%d errors=%d\n", summary.requests,
		summary.duration, e.connect + e.read + e.write + e.status + e.timeout))
end
EOF

# ---- the job, inside the outer guest ---------------------------------------------
job=$BENCH_TMP/job
cat >"$job" <<EOF
. tools/kvm-lane/lib.sh
measure() { # measure NAME READY-REGEX CMD...: one server, idle, then each load
	local name=\$1 ready=\$2 c
	shift 2
	LD_PRELOAD=/weft/listen_backlog.so lane_start "\$name" "\$@"
	if ! lane_wait_line "\$name" "\$ready" 120; then
		lane_say "\$name: not ready"
		lane_stop
		return
	fi
	local dir
	dir=\$(lane_vm_dir) || { lane_say "\$name: no VM in debugfs"; lane_stop; return; }
	wrk -t1 -c8 -d2s http://127.0.0.1:8080/ >/dev/null 2>&1
	sleep 1
	lane_kvm_stats "\$name.idle.0" "\$dir"
	sleep $IDLE
	lane_kvm_stats "\$name.idle.1" "\$dir"
	for c in $CONNS; do
		wrk -t1 -c\$c -d2s http://127.0.0.1:8080/ >/dev/null 2>&1
		lane_kvm_stats "\$name.c\$c.0" "\$dir"
		echo "@@lane wrk \$name.c\$c \$(wrk -t1 -c\$c -d${SECS}s --timeout 5s -s /weft/count.lua \\
			http://127.0.0.1:8080/ 2>&1 | grep '^WRK ')" >&3
		lane_kvm_stats "\$name.c\$c.1" "\$dir"
	done
	lane_say "\$name: measured"
	lane_stop
}
measure weft 'httpd: listening on port 80' /weft/tools/qemu.sh --accel kvm --machine q35 --smp 1 \\
	--mem 512M --kernel weft --append "app=httpd httpd_max_requests=1000000" --timeout 400 \\
	--hostfwd tcp:127.0.0.1:8080-:80
measure nginx 'linux-peer: ready nginx' /weft/bench/linux/run.sh nginx --boot bzimage --machine q35 \\
	--smp 1 --mem 512M --accel kvm --timeout 400 --net user --hostfwd tcp:127.0.0.1:8080-:80
EOF

bench_note "outer guest under TCG (2 CPUs), each server at 1 vCPU under KVM; wrk -t1 -c{${CONNS// /,}} -d${SECS}s; idle ${IDLE} s"
rc=0
tools/kvm-lane/run.sh --job "$job" --logs "$out" --smp 2 --mem 2G --timeout 900 \
	--put "$weft:weft" --put "$BENCH_TMP/count.lua:count.lua" \
	--put "$BENCH_TMP/listen_backlog.so:listen_backlog.so" \
	--put bench/linux/run.sh:bench/linux/run.sh \
	--put build/bench/linux/vmlinuz:build/bench/linux/vmlinuz \
	--put build/bench/linux/initramfs.cpio.gz:build/bench/linux/initramfs.cpio.gz || rc=$?
[ "$rc" -eq 0 ] || bench_note "the outer guest ended with status $rc (console $out/outer.log)"
grep -E '^@@lane (stat|wrk) ' "$out/outer.data" | sed 's/^@@lane //' >"$BENCH_OUT/kvm.dat" || true

# ---- the table ------------------------------------------------------------------
st=0
python3 - "$BENCH_OUT/kvm.dat" "$BENCH_OUT" "$CONNS" "$SECS" "$IDLE" >"$BENCH_OUT/kvm.txt" <<'EOF' || st=$?
import sys
dat, outdir, conns, secs, idle = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4], float(sys.argv[5])
stats, reqs = {}, {}
for l in open(dat):
    f = l.split()
    if f[0] == "stat" and len(f) >= 4 and f[3].lstrip("-").isdigit():
        stats.setdefault(f[1], {})[f[2]] = int(f[3])
    elif f[0] == "wrk":
        kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
        if "requests" in kv:
            reqs[f[1]] = (int(kv["requests"]), int(kv["errors"]))
def delta(tag):
    a, b = stats.get(tag + ".0"), stats.get(tag + ".1")
    if not a or not b:
        return None
    return {k: b[k] - a.get(k, 0) for k in b}
kinds = [("exits", "exits, all"), ("halt_exits", "HLT"), ("irq_exits", "host interrupt"),
         ("io_exits", "port I/O to QEMU"), ("mmio_exits", "MMIO to QEMU"),
         ("mmio_kernel", "MMIO in kernel (emulated)"), ("other", "other (MSR, NPT fix-up, ...)"),
         ("irq_injections", "interrupts injected")]
def derive(d):
    d = dict(d)
    d["mmio_kernel"] = d.get("insn_emulation", 0) - d.get("mmio_exits", 0)
    d["other"] = d["exits"] - sum(d.get(k, 0) for k in ("halt_exits", "irq_exits", "io_exits",
                                                         "mmio_exits", "mmio_kernel"))
    return d
servers = [("weft", "Weft"), ("nginx", "nginx")]
cols, hdr = [], ["per request"]
for c in conns:
    for s, name in servers:
        cols.append((s, c))
        hdr.append(f"{name} c{c}")
rows = []
for k, label in kinds:
    row = [label]
    for s, c in cols:
        d, r = delta(f"{s}.c{c}"), reqs.get(f"{s}.c{c}")
        row.append("-" if d is None or not r or not r[0] else f"{derive(d)[k] / r[0]:.2f}")
    rows.append(row)
row = ["requests (errors)"]
for s, c in cols:
    r = reqs.get(f"{s}.c{c}")
    row.append("-" if not r else f"{r[0]} ({r[1]})")
rows.append(row)
ratio = ["nginx / Weft, all exits"]
for s, c in cols:
    if s != "weft":
        continue
    w, n = delta(f"weft.c{c}"), delta(f"nginx.c{c}")
    rw, rn = reqs.get(f"weft.c{c}"), reqs.get(f"nginx.c{c}")
    ok = w and n and rw and rn and rw[0] and rn[0] and w["exits"]
    ratio += [f"{(n['exits'] / rn[0]) / (w['exits'] / rw[0]):.1f}x" if ok else "-", ""]
rows.append(ratio)
idle_row = ["idle: exits/s"]
for s, c in cols:
    d = delta(f"{s}.idle")
    idle_row.append("-" if d is None else f"{d['exits'] / idle:.0f}")
w = [max(len(h), *(len(r[i]) for r in rows + [idle_row])) for i, h in enumerate(hdr)]
title = (f"KVM exits per request, keep-alive GET of the 612-byte page, wrk -t1 -cN -d{secs}s in the "
         f"KVM lane's outer guest; 1 vCPU, q35")
print(title)
fmt = lambda r: "  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r))
print(fmt(hdr))
for r in rows:
    print(fmt(r))
print(fmt(idle_row))
with open(f"{outdir}/kvm.md", "w") as md:
    md.write(title + ".\n\n| " + " | ".join(hdr) + " |\n|" + "|".join(["---"] + ["---:"] * (len(hdr) - 1)) + "|\n")
    for r in rows + [idle_row]:
        md.write("| " + " | ".join(r) + " |\n")
    md.write("\n- Counters from /sys/kernel/debug/kvm/ (the VM's own directory), read before and after "
             "each run; MMIO in kernel = insn_emulation - mmio_exits. Reproduce: `make bench-kvm`.\n")
missing = [f"{s}.c{c}" for s, c in cols if delta(f"{s}.c{c}") is None or not reqs.get(f"{s}.c{c}")]
sys.exit(1 if missing else 0)
EOF
# Weft's own boot figure under KVM: kernel entry to "ready" (its console)
ready_us=$(sed -n 's/.*weft: ready in \([0-9]*\) us.*/\1/p' "$out/weft.log" 2>/dev/null | head -n 1)
if [ -n "$ready_us" ]; then
	echo "Weft boot under KVM, kernel entry to ready: $ready_us us (1 vCPU)" >>"$BENCH_OUT/kvm.txt"
	printf '%s\n' "- Weft's boot under KVM, kernel entry to \"ready\" (its console's \`weft: ready in\`): $ready_us us at 1 vCPU." >>"$BENCH_OUT/kvm.md"
fi
cat "$BENCH_OUT/kvm.txt"
bench_note "wrote $BENCH_OUT/{kvm.dat,kvm.txt,kvm.md}; consoles: $out/*.log; $(($(date +%s) - start_s)) s"
[ "$rc" -eq 0 ] && [ "$st" -eq 0 ]
