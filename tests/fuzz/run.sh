#!/bin/sh
# Build and run the libFuzzer targets.
#
#   tests/fuzz/run.sh [ITERATIONS]      default 20000 per target: a few
#                                       seconds, for make test; make fuzz
#                                       passes more
#
# Targets, each built as build/fuzz/fuzz_NAME with clang (libFuzzer, ASan,
# UBSan), with its corpus build/fuzz/corpus/NAME refreshed from the
# committed seeds in tests/fuzz/seeds/NAME/ (what the fuzzer adds there is
# kept between runs):
#   http_parse  the HTTP request parser. Its limits are built small here
#               (head 1024 bytes, target 256, 16 headers) so that inputs of
#               a few KB reach them: the code that enforces them is the
#               same at any size.
#   fields      the static site's request-header fields: Range, HTTP
#               dates, Accept-Encoding (fuzz_http_fields.c says how each
#               input is used).
#   tls_record  what a client sends to the TLS port, into a server engine
#               configured as the kernel's (net/tls/tls_engine.c), BearSSL
#               itself built with coverage and sanitizers (build/bearssl/
#               fuzz, by tools/build-bearssl.sh fuzz).
#   http_client the HTTP client's response parser (net/http/client_parse.c)
#   dns         app=dns's message code (apps/dns/{dnswire,answer,zone}.c,
#               with net/addr.c)
#   virtqueue   a misbehaving virtio-net device against the virtqueue and
#               the driver (kernel/virtio/virtqueue.c, net/virtio_net*.c);
#               an input is a whole device session, so it gets an eighth
#               of the runs (2500: about 2 s from the seeds; more once
#               make fuzz has grown its corpus to long inputs)
# Each prints "PASS fuzz.NAME (N runs)" or "FAIL fuzz.NAME: why"; the exit
# status is 1 if any failed. A crashing input is saved as
# build/fuzz/NAME-crash-* (or -leak-*, -timeout-*); rerun it with
#   build/fuzz/fuzz_NAME build/fuzz/NAME-crash-...
#
# Environment: CLANG (default clang), FUZZ_ARGS (more libFuzzer options,
# e.g. "-max_total_time=600 -jobs=4").

set -u
cd "$(dirname "$0")/../.." || exit 2

RUNS=${1:-20000}
CLANG=${CLANG:-clang}
OUT=build/fuzz
CFLAGS="-std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Werror -I."

case $RUNS in
'' | *[!0-9]*)
	echo "FAIL fuzz: ITERATIONS must be a number, not '$RUNS'"
	exit 2
	;;
esac
mkdir -p "$OUT"

# fuzz NAME SEEDS DICT MAXLEN -- CLANG-ARGS...: build and run one target.
fuzz() {
	name=$1 seeds=$2 dict=$3 maxlen=$4
	shift 5
	bin=$OUT/fuzz_$name corpus=$OUT/corpus/$name log=$OUT/$name.log
	mkdir -p "$corpus"
	# shellcheck disable=SC2086 # CFLAGS is a list of flags
	if ! "$CLANG" $CFLAGS -o "$bin" "$@" >"$OUT/$name.build.log" 2>&1; then
		echo "FAIL fuzz.$name: build failed (is clang's libFuzzer installed?)"
		sed 's/^/    /' "$OUT/$name.build.log" >&2
		return 1
	fi
	for seed in "$seeds"/*; do
		[ -f "$seed" ] && cp "$seed" "$corpus/seed-$(basename "$seed")"
	done
	# shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
	"$bin" -runs="$RUNS" ${dict:+-dict="$dict"} -max_len="$maxlen" -timeout=10 \
		-artifact_prefix="$OUT/$name-" -print_final_stats=1 ${FUZZ_ARGS:-} \
		"$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "PASS fuzz.$name (${runs:-$RUNS} runs)"
		return 0
	fi
	artifact=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
	why=$(grep -m 1 -E 'invariant broken|ERROR: (AddressSanitizer|libFuzzer)|runtime error' "$log")
	echo "FAIL fuzz.$name: ${why:-exit status $rc}${artifact:+ (input: $artifact)}"
	tail -n 40 "$log" | sed 's/^/    /' >&2
	return 1
}

cat >"$OUT/http.dict" <<'DICT'
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
DICT

cat >"$OUT/fields.dict" <<'DICT'
"bytes="
"-"
","
"0-"
"18446744073709551616"
"Sun, "
"Sunday, "
" GMT"
"Nov"
"Feb"
" 29 "
"08:49:37"
"gzip"
"x-gzip"
";q="
"0.001"
"1.000"
"*"
"\x22"
DICT

# Record headers, handshake types, extension codes (SNI, ALPN, groups,
# signature algorithms, renegotiation info, max fragment length).
cat >"$OUT/tls.dict" <<'DICT'
"\x16\x03\x01"
"\x16\x03\x03"
"\x15\x03\x03\x00\x02"
"\x14\x03\x03\x00\x01\x01"
"\x17\x03\x03"
"\x01\x00"
"\x00\x00"
"\x00\x10"
"\x00\x0a"
"\x00\x0d"
"\xff\x01"
"\x00\x01"
"\x00\x17"
"\xc0\x2b"
"\xc0\x2f"
"\xcc\xa9"
"\x08http/1.1"
"\x02h2"
"localhost"
DICT

status=0
fuzz http_parse tests/fuzz/seeds/http "$OUT/http.dict" 4096 -- \
	-DHTTP_MAX_HEAD=1024 -DHTTP_MAX_URI=256 -DHTTP_MAX_HEADERS=16 \
	tests/fuzz/fuzz_http_parse.c net/http/parse.c \
	net/http/body.c net/http/path.c || status=1
fuzz fields tests/fuzz/seeds/fields "$OUT/fields.dict" 256 -- \
	tests/fuzz/fuzz_http_fields.c apps/httpd/http_range.c \
	apps/httpd/http_date.c apps/httpd/http_accept.c net/http/parse.c || status=1
fuzz tls_record tests/fuzz/seeds/tls "$OUT/tls.dict" 8192 -- \
	-isystem build/bearssl/fuzz/include tests/fuzz/fuzz_tls_record.c \
	net/tls/tls_engine.c net/tls/ec_x25519.c net/tls/tls_cert.c build/bearssl/fuzz/lib/libbearssl.a || status=1
fuzz http_client tests/fuzz/seeds/http_client "" 12000 -- \
	tests/fuzz/fuzz_http_client.c net/http/client_parse.c || status=1
fuzz dns tests/fuzz/seeds/dns "" 2048 -- \
	tests/fuzz/fuzz_dns.c apps/dns/dnswire.c apps/dns/answer.c \
	apps/dns/zone.c net/addr.c || status=1
all_runs=$RUNS
RUNS=$((RUNS / 8 > 0 ? RUNS / 8 : 1))
fuzz virtqueue tests/fuzz/seeds/virtqueue "" 4096 -- \
	tests/fuzz/fuzz_virtqueue.c net/virtio_net.c kernel/virtio/virtqueue.c || status=1
RUNS=$all_runs
exit $status
