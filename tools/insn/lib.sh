# tools/insn/lib.sh — a harness's side of the instruction-count plugin
# (tools/insn/insn.c); sourced, not run. Benchmarks (bench/*.sh) use it to
# count what a guest executes between two moments they choose.
#
#   . tools/insn/lib.sh
#   insn_setup DIR [mode=pc]   build the plugin, make DIR/ctl (a FIFO) and
#                              DIR/out; sets INSN_QEMU_ARGS, the -plugin
#                              option for QEMU (system or user mode)
#   ... start QEMU with "${INSN_QEMU_ARGS[@]}" ...
#   a=$(insn_mark)             the guest's instruction total now
#   ... load ...
#   b=$(insn_mark)             b - a: what the load cost the guest
#   insn_dump FILE             (mode=pc) the block table now, to FILE
#
# insn_mark writes a unique label to the FIFO and waits (at most
# INSN_WAIT seconds, default 30) for the plugin's "LABEL TOTAL" line in
# DIR/out; it fails, printing nothing, when QEMU is gone or does not answer.
# The FIFO is opened for writing under `timeout`, so a QEMU that died
# (no reader) cannot hang the harness.
# shellcheck shell=bash disable=SC2034 # INSN_QEMU_ARGS is for the caller

INSN_REPO=${INSN_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# insn_setup DIR [PLUGIN-ARGS...]
insn_setup() {
	local dir=$1 so
	shift
	so=$("$INSN_REPO/tools/insn/build.sh") || return 1
	mkdir -p "$dir"
	INSN_DIR=$dir
	rm -f "$dir/ctl" "$dir/out"
	mkfifo "$dir/ctl"
	: >"$dir/out"
	local a
	a="$so,out=$dir/out,ctl=$dir/ctl"
	for x in "$@"; do a+=",$x"; done
	INSN_QEMU_ARGS=(-plugin "$a")
}

# insn_send LINE: one command to the plugin
insn_send() {
	# shellcheck disable=SC2016 # $1 and $2 are the inner shell's
	timeout 5 bash -c 'printf "%s\n" "$1" >"$2"' _ "$1" "$INSN_DIR/ctl" 2>/dev/null
}

# insn_wait RE N: wait for the Nth line of out matching RE; print it
insn_wait() {
	local i l
	for ((i = 0; i < ${INSN_WAIT:-30} * 50; i++)); do
		l=$(grep -E "$1" "$INSN_DIR/out" | sed -n "$2p")
		if [ -n "$l" ]; then
			echo "$l"
			return 0
		fi
		sleep 0.02
	done
	return 1
}

# insn_mark: the instruction total now
insn_mark() {
	# Unique even when called in a $(subshell), as it usually is.
	local label l
	label=mark-$BASHPID-$(date +%s%N)
	insn_send "$label" || return 1
	l=$(insn_wait "^$label [0-9]+\$" 1) || return 1
	echo "${l#* }"
}

# insn_dump FILE: the block table now, to FILE (mode=pc)
insn_dump() {
	local n
	n=$(grep -cE '^dump(-failed)? ' "$INSN_DIR/out" || true)
	insn_send "dump $1" || return 1
	insn_wait '^dump(-failed)? ' $((n + 1)) | grep -q '^dump '
}
