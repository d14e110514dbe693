#!/bin/sh
# Build and run the libFuzzer target for the HTTP request parser.
#
#   tests/fuzz/run.sh [ITERATIONS]      default 20000: a few seconds, for
#                                       make test; make fuzz passes more
#
# Builds build/fuzz/fuzz_http_parse with clang (libFuzzer, ASan, UBSan),
# refreshes the corpus build/fuzz/corpus/http from the committed seeds in
# tests/fuzz/seeds/http/ (what the fuzzer adds there is kept between runs),
# runs ITERATIONS inputs and prints "PASS fuzz.http_parse (N runs)" or
# "FAIL fuzz.http_parse: why", exiting 0 or 1. A crashing input is saved
# as build/fuzz/crash-* (or leak-*, timeout-*); rerun it with
#   build/fuzz/fuzz_http_parse build/fuzz/crash-...
#
# The parser's limits are built small here (head 1024 bytes, target 256,
# 16 headers) so that inputs of a few KB reach them: the code that
# enforces them is the same at any size.
#
# Environment: CLANG (default clang), FUZZ_ARGS (more libFuzzer options,
# e.g. "-max_total_time=600 -jobs=4").

set -u
cd "$(dirname "$0")/../.." || exit 2

RUNS=${1:-20000}
CLANG=${CLANG:-clang}
OUT=build/fuzz
BIN=$OUT/fuzz_http_parse
CORPUS=$OUT/corpus/http
LOG=$OUT/http_parse.log
DICT=$OUT/http.dict

case $RUNS in
'' | *[!0-9]*)
	echo "FAIL fuzz.http_parse: ITERATIONS must be a number, not '$RUNS'"
	exit 2
	;;
esac
mkdir -p "$CORPUS"

if ! "$CLANG" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Werror -I. \
	-DHTTP_MAX_HEAD=1024 -DHTTP_MAX_URI=256 -DHTTP_MAX_HEADERS=16 \
	-o "$BIN" tests/fuzz/fuzz_http_parse.c apps/httpd/http_parse.c \
	apps/httpd/http_body.c apps/httpd/http_path.c \
	>"$OUT/build.log" 2>&1; then
	echo "FAIL fuzz.http_parse: build failed (is clang's libFuzzer installed?)"
	sed 's/^/    /' "$OUT/build.log" >&2
	exit 1
fi

for seed in tests/fuzz/seeds/http/*; do
	[ -f "$seed" ] && cp "$seed" "$CORPUS/seed-$(basename "$seed")"
done

cat >"$DICT" <<'EOF'
"GET"
"HEAD"
"POST"
"OPTIONS"
"CONNECT"
" HTTP/1.1\x0d\x0a"
" HTTP/1.0\x0d\x0a"
"HTTP/"
"\x0d\x0a"
"\x0d\x0a\x0d\x0a"
"Host: "
"Content-Length: "
"Transfer-Encoding: "
"chunked"
"gzip"
"Connection: "
"close"
"keep-alive"
"Expect: "
"100-continue"
"If-None-Match: "
"http://"
"%2e"
"%2F"
"%00"
"%C3%A9"
"/../"
"/./"
"//"
"\\"
"0\x0d\x0a\x0d\x0a"
";ext=\"v\""
"ffffffffffffffff"
EOF

# shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
"$BIN" -runs="$RUNS" -dict="$DICT" -max_len=4096 -timeout=10 \
	-artifact_prefix="$OUT/" -print_final_stats=1 ${FUZZ_ARGS:-} \
	"$CORPUS" >"$LOG" 2>&1
rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$LOG" |
	tail -n 1)
if [ "$rc" -eq 0 ]; then
	echo "PASS fuzz.http_parse (${runs:-$RUNS} runs)"
	exit 0
fi
artifact=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$LOG" | tail -n 1)
why=$(grep -m 1 -E 'invariant broken|ERROR: (AddressSanitizer|libFuzzer)|runtime error' "$LOG")
echo "FAIL fuzz.http_parse: ${why:-exit status $rc}${artifact:+ (input: $artifact)}"
tail -n 40 "$LOG" | sed 's/^/    /' >&2
exit 1
