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
#   rxpath      the whole receive path: Ethernet frames into net/netif.c,
#               rx_small.c, the patched lwIP core, net/conn.c and the HTTP
#               server, on a host runtime (tests/fuzz/rxpath/), built by
#               tests/fuzz/rxpath/build.mk (objects kept; its own patched
#               lwIP copy). First fuzz.rxpath.seeds (the committed seeds
#               are what tests/fuzz/rxpath/make_seeds.py writes) and
#               fuzz.rxpath.answers (each HTTP seed once, with the status
#               codes the peer must receive, make_seeds.py --answers).
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
FLAGS="-std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wall -Wextra"
CFLAGS="$FLAGS -Werror -I."

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
	# shellcheck disable=SC2086 # CFLAGS is a list of flags
	if ! "$CLANG" $CFLAGS -o "$OUT/fuzz_$name" "$@" >"$OUT/$name.build.log" 2>&1; then
		echo "FAIL fuzz.$name: build failed (is clang's libFuzzer installed?)"
		sed 's/^/    /' "$OUT/$name.build.log" >&2
		return 1
	fi
	run_fuzzer "$name" "$seeds" "$dict" "$maxlen"
}

# run_fuzzer NAME SEEDS DICT MAXLEN: run the built target $OUT/fuzz_NAME.
run_fuzzer() {
	name=$1 seeds=$2 dict=$3 maxlen=$4
	bin=$OUT/fuzz_$name corpus=$OUT/corpus/$name log=$OUT/$name.log
	mkdir -p "$corpus"
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

# The receive path's frames: the guest's and the peer's MACs and
# addresses, EtherTypes, IP protocol numbers with a TTL before them, IPv4
# flags and offsets, IPv6 headers and extension headers, TCP flags with
# the header length before them; then the HTTP words.
{
	cat <<'DICT'
"\x52\x54\x00\x12\x34\x56"
"\x52\x55\x0a\x00\x02\x02"
"\xff\xff\xff\xff\xff\xff"
"\x33\x33\xff\x00\x00\x15"
"\x0a\x00\x02\x0f"
"\x0a\x00\x02\x02"
"\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x15"
"\xfe\x80\x00\x00\x00\x00\x00\x00"
"\xff\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xff"
"\x08\x00\x45\x00"
"\x86\xdd\x60\x00"
"\x08\x06\x00\x01\x08\x00\x06\x04"
"\x40\x01"
"\x40\x06"
"\x40\x11"
"\x40\x00"
"\x20\x00"
"\x3f\xff"
"\x2c"
"\x3a\xff"
"\x00\x50"
"\x50\x02"
"\x50\x10"
"\x50\x18"
"\x50\x11"
"\x50\x14"
"\x02\x04\x05\xb4"
"\x01\x03\x03\x0e"
"\x04\x02"
"\x87\x00"
"\x88\x00"
"\x80\x00"
DICT
	cat "$OUT/http.dict"
} >"$OUT/rxpath.dict"

# rxpath: the receive path (fuzz_rxpath.c), built by its own makefile,
# which keeps objects (tests/fuzz/rxpath/build.mk). Before fuzzing, two
# checks: the committed seeds are what tests/fuzz/rxpath/make_seeds.py
# writes (fuzz.rxpath.seeds), and every HTTP seed gets its answers from
# the HTTP server, as make_seeds.py --answers lists them (fuzz.rxpath.
# answers: the harness itself fails an input whose answers differ from
# RXPATH_EXPECT), so that the target cannot silently stop reaching it.
rxpath() {
	seeds=tests/fuzz/seeds/rxpath bin=$OUT/fuzz_rxpath
	if ! make --no-print-directory -f tests/fuzz/rxpath/build.mk -j2 CLANG="$CLANG" \
		FUZZ_CFLAGS="$FLAGS" >"$OUT/rxpath.build.log" 2>&1; then
		echo "FAIL fuzz.rxpath: build failed (see $OUT/rxpath.build.log)"
		grep -E 'error|Error' "$OUT/rxpath.build.log" | head -n 20 | sed 's/^/    /' >&2
		return 1
	fi
	rm -rf "$OUT/rxpath-seeds"
	if ! python3 tests/fuzz/rxpath/make_seeds.py "$OUT/rxpath-seeds" >"$OUT/rxpath.seeds.log" 2>&1 ||
		! diff -r "$seeds" "$OUT/rxpath-seeds" >>"$OUT/rxpath.seeds.log" 2>&1; then
		echo "FAIL fuzz.rxpath.seeds: $seeds is not what tests/fuzz/rxpath/make_seeds.py writes (rerun it; see $OUT/rxpath.seeds.log)"
		return 1
	fi
	echo "PASS fuzz.rxpath.seeds"
	if ! python3 tests/fuzz/rxpath/make_seeds.py --answers >"$OUT/rxpath.answers" ||
		[ ! -s "$OUT/rxpath.answers" ]; then
		echo "FAIL fuzz.rxpath.answers: make_seeds.py --answers listed nothing"
		return 1
	fi
	n=0
	while read -r seed expect; do
		RXPATH_EXPECT=$expect "$bin" "$seeds/$seed" >"$OUT/rxpath.answer.log" 2>&1
		rc=$?
		if [ "$rc" -ne 0 ]; then
			why=$(grep -m 1 -E 'invariant broken|ERROR: |runtime error|panic' "$OUT/rxpath.answer.log")
			echo "FAIL fuzz.rxpath.answers: seed $seed: ${why:-exit status $rc}"
			tail -n 20 "$OUT/rxpath.answer.log" | sed 's/^/    /' >&2
			return 1
		fi
		n=$((n + 1))
	done <"$OUT/rxpath.answers"
	echo "PASS fuzz.rxpath.answers ($n seeds answered as listed)"
	run_fuzzer rxpath "$seeds" "$OUT/rxpath.dict" 4096
}

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
rxpath || status=1
all_runs=$RUNS
RUNS=$((RUNS / 8 > 0 ? RUNS / 8 : 1))
fuzz virtqueue tests/fuzz/seeds/virtqueue "" 4096 -- \
	tests/fuzz/fuzz_virtqueue.c net/virtio_net.c kernel/virtio/virtqueue.c || status=1
RUNS=$all_runs
exit $status
