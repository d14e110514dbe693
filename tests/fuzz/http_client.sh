#!/bin/sh
# Build and run the libFuzzer target for the HTTP client's response parser.
#
#   tests/fuzz/http_client.sh [ITERATIONS]  default 20000: a few seconds,
#                                       for make test; make fuzz passes more
#
# Builds build/fuzz/fuzz_http_client with clang (libFuzzer, ASan, UBSan)
# from tests/fuzz/fuzz_http_client.c and net/http/client_parse.c,
# refreshes the corpus build/fuzz/corpus/http_client from the committed
# seeds in tests/fuzz/seeds/http_client/, runs ITERATIONS inputs and
# prints "PASS fuzz.http_client (N runs)" or "FAIL fuzz.http_client: why",
# exiting 0 or 1.
# A crashing input is saved as build/fuzz/http_client-crash-*; rerun it with
#   build/fuzz/fuzz_http_client build/fuzz/http_client-crash-...
#
# Environment: CLANG (default clang), FUZZ_ARGS (more libFuzzer options).

set -u
cd "$(dirname "$0")/../.." || exit 2

RUNS=${1:-20000}
CLANG=${CLANG:-clang}
OUT=build/fuzz
BIN=$OUT/fuzz_http_client
CORPUS=$OUT/corpus/http_client
LOG=$OUT/http_client.log

case $RUNS in
'' | *[!0-9]*)
	echo "FAIL fuzz.http_client: ITERATIONS must be a number, not '$RUNS'"
	exit 2
	;;
esac
mkdir -p "$CORPUS"

if ! "$CLANG" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Werror -I. \
	-o "$BIN" tests/fuzz/fuzz_http_client.c net/http/client_parse.c >"$OUT/http_client-build.log" 2>&1; then
	echo "FAIL fuzz.http_client: build failed (is clang's libFuzzer installed?)"
	sed 's/^/    /' "$OUT/http_client-build.log" >&2
	exit 1
fi

for seed in tests/fuzz/seeds/http_client/*; do
	[ -f "$seed" ] && cp "$seed" "$CORPUS/seed-$(basename "$seed")"
done

# shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
"$BIN" -runs="$RUNS" -max_len=12000 -timeout=10 -artifact_prefix="$OUT/http_client-" \
	-print_final_stats=1 ${FUZZ_ARGS:-} "$CORPUS" >"$LOG" 2>&1
rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$LOG" | tail -n 1)
if [ "$rc" -eq 0 ]; then
	echo "PASS fuzz.http_client (${runs:-$RUNS} runs)"
	exit 0
fi
artifact=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$LOG" | tail -n 1)
why=$(grep -m 1 -E 'invariant broken|ERROR: (AddressSanitizer|libFuzzer)|runtime error' "$LOG")
echo "FAIL fuzz.http_client: ${why:-exit status $rc}${artifact:+ (input: $artifact)}"
tail -n 40 "$LOG" | sed 's/^/    /' >&2
exit 1
