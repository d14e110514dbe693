#!/bin/sh
# Build and run the host unit tests.
#
# Each tests/host/test_X.c is linked with the harness and with the code it
# tests: the files named on a "// host-test-sources: a.c b.c" line among
# its first lines (paths from the repo root; a library such as
# build/bearssl/host/lib/libbearssl.a may be among them: BearSSL's headers
# are on the include path), or else kernel/X.c. Binaries
# go to build/host/. The tests' PASS/FAIL lines are forwarded; a binary
# that fails to build or dies without finishing adds a FAIL line of its
# own and its stderr. Exits non-zero if anything failed. The top-level
# runner prints the totals.
#
# Environment: CC (default gcc), HOSTTEST_CFLAGS (replaces the defaults).

set -u
cd "$(dirname "$0")/../.." || exit 2

CC=${CC:-gcc}
CFLAGS=${HOSTTEST_CFLAGS:--std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-omit-frame-pointer}
OUT=build/host
HARNESS="tests/host/hosttest_main.c tests/host/fake_panic.c"
mkdir -p "$OUT"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for test in tests/host/test_*.c; do
	[ -e "$test" ] || continue
	name=$(basename "$test" .c)
	stem=${name#test_}
	sources=$(head -n 5 "$test" |
		sed -n 's|^[[:space:]]*//[[:space:]]*host-test-sources:[[:space:]]*||p' |
		head -n 1)
	[ -n "$sources" ] || sources="kernel/$stem.c"

	bin="$OUT/$name"
	# shellcheck disable=SC2086 # word splitting of flag and source lists
	if ! $CC $CFLAGS -I. -isystem build/bearssl/host/include -o "$bin" $HARNESS "$test" $sources \
		>"$bin.build.log" 2>&1; then
		echo "FAIL host.$stem.build: compile failed (sources: $sources)"
		sed 's/^/    /' "$bin.build.log" >&2
		status=1
		continue
	fi

	"$bin" >"$bin.out" 2>"$bin.err"
	rc=$?
	grep -E '^(PASS|FAIL) ' "$bin.out"
	if ! grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$bin.out"; then
		# The runner names each test on stderr before running it.
		last=$(sed -n 's/^running //p' "$bin.err" | tail -n 1)
		if [ -n "$last" ] && ! grep -qE "^(PASS|FAIL) $last(:|\$)" "$bin.out"; then
			echo "FAIL $last: crashed (exit status $rc)"
		else
			echo "FAIL host.$stem.run: exited with status $rc before finishing"
		fi
		tail -n 40 "$bin.err" | sed 's/^/    /' >&2
		status=1
	elif [ "$rc" -ne 0 ]; then
		# Failed tests print why on stdout; sanitizer output is on stderr.
		grep -v '^running ' "$bin.err" | tail -n 40 | sed 's/^/    /' >&2
		status=1
	fi
done
exit $status
