#!/usr/bin/env bash
# tools/kvm-lane/overcommit.sh — many overcommitted runs in one boot of the
# KVM lane's outer guest: more vCPUs under KVM than the outer guest has
# CPUs, as on a busy cloud host. For the evidence behind the kvm stage's
# kvm.overcommit result, and for hunting what breaks only there.
#
# usage: tools/kvm-lane/overcommit.sh [options]
#   --guest weft|linux  weft (default): the kernel's in-guest suites,
#                       test=all; linux: Debian's kernel (the lane's own)
#                       with a busybox init that, on every vCPU, writes and
#                       reads 40 MB files in tmpfs and runs short processes,
#                       ROUNDS (40) times: fresh pages, page frees, process
#                       exits, TLB shootdowns, like runtime.hundred_thousand_tasks
#   --kernel FILE       the Weft test kernel (default build/weft-test)
#   --runs N            how many runs (default 10)
#   --outer-smp N       the outer guest's CPUs (default 2)
#   --smp N             the inner guest's vCPUs (default 4)
#   --hog               a busy loop on the outer guest all along: its vCPU
#                       threads lose their CPU more often (steal time)
#   --logs DIR          default build/kvm-lane/overcommit
#
# Prints one line per run: "NAME: status S, N s" (tools/qemu.sh's status:
# 0 pass, 1 fail, 2 panic, 3 timeout, 4 QEMU exited by itself: a reset,
# as on a triple fault; then where KVM saw the shutdown exit and whether
# the guest's page tables mapped what the CPU needed, and the outer
# console has the guest's state at it and the walk: lib.sh's
# lane_shutdown_say and lane_shutdown_inspect),
# a summary line, and for a run that timed out the
# inner vCPUs' registers (QEMU's monitor, info registers -a) in its log
# DIR/NAME.regs.log, with the lane's two signatures counted: vCPUs QEMU
# cannot read (their threads never leave KVM_RUN) and vCPUs at an address
# in the outer guest's kernel (Weft is linked low; see tests/kvm/stage.sh).
# Exit status 0 when every run passed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
me=kvm-lane/overcommit.sh
die() { echo "$me: $*" >&2; exit 2; }
guest=weft kernel=$repo/build/weft-test runs=10 osmp=2 smp=4 hog=0 logs=$repo/build/kvm-lane/overcommit
while [ $# -gt 0 ]; do
	case $1 in
	--guest) guest=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--outer-smp) osmp=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--hog) hog=1; shift ;;
	--logs) logs=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
case $guest in weft | linux) ;; *) die "--guest must be weft or linux" ;; esac
"$repo/tools/kvm-lane/build.sh" >/dev/null
rm -rf "$logs" && mkdir -p "$logs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

puts=()
if [ "$guest" = weft ]; then
	[ -f "$kernel" ] || die "no kernel $kernel (make)"
	puts+=(--put "$kernel:weft")
	run_args="--kernel weft --append test=all" extra=""
	secs=150
else
	# The stress guest: the lane's busybox and this init, over Debian's
	# bzImage (tools/qemu.sh boots it with -kernel like any other).
	r=$tmp/root
	mkdir -p "$r"/{bin,dev,proc,sys,tmp}
	cp "$(ls -d "$repo"/build/kvm-lane/pkgs/busybox-static_*)/bin/busybox" "$r/bin/busybox"
	cat >"$r/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs -o size=400m tmpfs /tmp
n=$(nproc) rounds=40 t0=$(date +%s)
echo "stress: $n CPUs, $rounds rounds"
for c in $(seq 1 "$n"); do
	( for r in $(seq 1 $rounds); do
		head -c 40000000 /dev/zero >/tmp/f$c || exit 1
		wc -c </tmp/f$c >/dev/null
		rm /tmp/f$c
		for k in 1 2 3 4 5 6 7 8 9 10; do true | cat >/dev/null; done
	done ) &
done
wait
echo "stress: done in $(($(date +%s) - t0)) s"
v='\000'
dmesg | grep -q 'Oops\|BUG:\|Kernel panic\|segfault\|general protection' && v='\001'
printf "$v" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
EOF
	chmod 755 "$r/init"
	(cd "$r" && find . | cpio --quiet -o -H newc -R 0:0) >"$tmp/stress.cpio"
	puts+=(--put "$repo/build/kvm-lane/vmlinuz:vmlinuz" --put "$tmp/stress.cpio:stress.cpio")
	run_args="--kernel vmlinuz --append 'console=ttyS0 rdinit=/init panic=-1 loglevel=4'"
	extra="-initrd stress.cpio" secs=200
fi

cat >"$tmp/job" <<EOF
. tools/kvm-lane/lib.sh
hmp() { { echo "\$1"; sleep 0.5; } | nc 127.0.0.1 4444 2>/dev/null | tr -d '\r'; }
if [ $hog = 1 ]; then ( while :; do :; done ) & fi
for i in \$(seq 1 $runs); do
	( sleep $((secs - 15)); hmp "info registers -a" >/tmp/regs.txt
	  { echo "@@lane begin r\$i.regs"; cat /tmp/regs.txt; echo "@@lane end r\$i.regs 0 0"; } >&3 ) &
	dp=\$!
	lane_run_inspected r\$i --machine q35 --smp $smp $run_args --timeout $secs -- $extra
	lane_shutdown_say r\$i
	kill \$dp 2>/dev/null; wait \$dp 2>/dev/null
done
exit 0
EOF
st=0
"$repo/tools/kvm-lane/run.sh" --job "$tmp/job" --logs "$logs" --smp "$osmp" --mem 2G \
	--timeout $((runs * (secs + 30) + 120)) "${puts[@]}" || st=$?
pass=0
for ((i = 1; i <= runs; i++)); do
	s=$(cat "$logs/r$i.status" 2>/dev/null || echo none)
	why=""
	if [ -f "$logs/r$i.regs.log" ]; then
		why=", registers in $logs/r$i.regs.log: $(grep -c '^CPU#' "$logs/r$i.regs.log") of $smp vCPUs readable, $(grep -c '^RIP=ffff' "$logs/r$i.regs.log") at an outer-kernel address"
	fi
	if grep -q "^kvm-lane: r$i: shutdown exit" "$logs/outer.log"; then
		why=", a triple fault: $(grep -m1 "^kvm-lane: r$i: shutdown exit" "$logs/outer.log" | grep -o 'rip 0x[0-9a-f]*'); $(grep -m1 "^kvm-lane: r$i: tables:" "$logs/outer.log" | sed "s/^kvm-lane: r$i: //")"
	fi
	echo "r$i: status $s, $(cat "$logs/r$i.secs" 2>/dev/null || echo '?') s$why"
	[ "$s" != 0 ] || pass=$((pass + 1))
done
echo "$me: $guest at -smp $smp on an outer guest of $osmp$([ $hog = 0 ] || echo ' with a busy loop'): $pass of $runs passed (outer guest: status $st; console $logs/outer.log)"
[ "$pass" -eq "$runs" ]
