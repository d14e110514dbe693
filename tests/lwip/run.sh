#!/usr/bin/env bash
# tests/lwip/run.sh — lwIP's own unit suite (Debian's lwIP 2.1.3,
# test/unit, on the check framework) with Weft's lwipopts.h, Weft's port
# and the patch series net/lwip/patches/, on the host under ASan and UBSan.
#
# Builds build/lwip-unit/lwip-unit with tests/lwip/unit.mk (which says what
# is linked), runs it, and prints one line per check test:
#   PASS lwip.SUITE.TEST
#   FAIL lwip.SUITE.TEST: check's message
# and `SKIP lwip.SUITE.TEST: reason` for each test tests/lwip/excluded.txt
# leaves out (tests/run.sh counts only PASS and FAIL). Exits 1 when a test
# failed, the build failed, or the suite died without its results.
# Needs the `check` package (tools/setup.sh installs it). Takes seconds.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

OUT=build/lwip-unit
TESTDIR=build/deps/lwip/test/unit
LIST=tests/lwip/excluded.txt
mkdir -p "$OUT"

[ -d "$TESTDIR" ] || { echo "FAIL lwip.build: no $TESTDIR (run tools/setup.sh)"; exit 1; }
pkg-config --exists check || { echo "FAIL lwip.build: no libcheck (run tools/setup.sh)"; exit 1; }

files=() skip=()
while read -r what reason; do
	case $what in ''|'#'*) continue ;; esac
	if [[ $what == *:* ]]; then skip+=("$what"); else files+=("$what"); fi
	file=${what%%:*}
	suite=$(sed -n 's/.*create_suite("\([^"]*\)".*/\1/p' "$TESTDIR/$file" | head -n 1)
	if [[ $what == *:* ]]; then
		echo "SKIP lwip.${suite:-?}.${what#*:}: $reason"
	else
		sed -n 's/.*TESTFUNC(\([A-Za-z0-9_]*\)).*/\1/p' "$TESTDIR/$file" |
			while read -r t; do echo "SKIP lwip.${suite:-?}.$t: $reason"; done
	fi
done <"$LIST"

if ! make --no-print-directory -f tests/lwip/unit.mk -j2 EXCLUDE_FILES="${files[*]}" \
	>"$OUT/build.log" 2>&1; then
	echo "FAIL lwip.build: the suite did not build (see $OUT/build.log)"
	grep -E 'error' "$OUT/build.log" | head -n 20 | sed 's/^/    /' >&2
	exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rm -f "$OUT/results.tap"
(cd "$OUT" && CK_FORK=yes CK_TAP_LOG_FILE_NAME=results.tap WEFT_LWIP_SKIP="${skip[*]}" \
	timeout 120 ./lwip-unit >run.out 2>run.err)
rc=$?

# check's TAP lines: "ok N - FILE:SUITE:TEST: message" (one test case per
# test, named after its suite, in lwIP's create_suite).
status=0
n=0
while IFS= read -r line; do
	[[ $line =~ ^(not\ )?ok\ [0-9]+\ -\ [^:]*:([^:]*):([^:]*):\ ?(.*)$ ]] || continue
	n=$((n + 1))
	if [ -z "${BASH_REMATCH[1]}" ]; then
		echo "PASS lwip.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
	else
		echo "FAIL lwip.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}: ${BASH_REMATCH[4]}"
		status=1
	fi
done <"$OUT/results.tap" 2>/dev/null

if [ "$n" -eq 0 ] || ! grep -qE '^1\.\.[0-9]+$' "$OUT/results.tap" 2>/dev/null; then
	echo "FAIL lwip.run: the suite exited with status $rc without its results (see $OUT/run.err)"
	tail -n 30 "$OUT/run.err" | sed 's/^/    /' >&2
	exit 1
fi
[ "$rc" -eq 0 ] || status=1
exit "$status"
