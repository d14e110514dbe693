#!/usr/bin/env bash
# tests/e2e/static.sh — the static site's features with curl, on a site made
# here in a temporary directory and packed with `make SITE=dir`, as a user
# would; over QEMU user networking (a free 127.0.0.1 port forwarded to the
# guest's port 80). One boot, q35, 2 CPUs.
#
# The kernel is built into a build directory of its own under the test's
# temporary directory: the objects of build/ are copied there (a few MB),
# the libraries and sources are linked (build/tls's certificate named by
# TLS_CERT and TLS_KEY, as build/ was made), and make relinks with the site
# packed from SITE, so build/weft is never touched. Checks, in order:
#   e2e.static.build        make SITE=dir packs it: the packer's line counts
#                           the files and the gzip variants
#   e2e.static.rebuild      make again with nothing changed packs nothing;
#                           a file added (with a space and a '#' in its
#                           name), removed, or replaced by an older copy
#                           (cp -p: the mtime goes back, the ctime does not)
#                           repacks, and the packed table says so
# Boot, `httpd_cache_control=max-age=60 date=<host time>`:
#   e2e.static.boot         the httpd line and the Cache-Control line
#   e2e.static.range        curl -r 1000-1999: 206, Content-Range, the bytes
#   e2e.static.range-416    a range past the end: 416, "bytes */size"
#   e2e.static.resume       curl -C - on the first 100,000 bytes of a file:
#                           the whole file, byte for byte (206 underneath)
#   e2e.static.if-range     If-Range with another ETag: the whole file (200)
#   e2e.static.gzip         curl --compressed: Content-Encoding gzip, Vary,
#                           its own ETag, decompresses to the file; without:
#                           the file itself, Vary, no Content-Encoding;
#                           "gzip;q=0": no gzip
#   e2e.static.ims-304      If-Modified-Since = Last-Modified: 304 (with
#                           Cache-Control); a day earlier: 200; a matching
#                           If-None-Match wins over an old date
#   e2e.static.404-page     a missing path: 404 with the site's 404.html
#   e2e.static.names        files named with spaces, quotes, '%', '#', '?'
#                           and UTF-8, requested percent-encoded: 200, the
#                           bytes
#   e2e.static.mime         Content-Type of .wasm .mp4 .woff2 .json .txt
#   e2e.static.guest-alive  the guest still runs, no panic
#
# Logs: $WEFT_TEST_LOGS/e2e.static.{make,guest}.log.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.static
H=127.0.0.1
GUEST_TIMEOUT=240
BOOT_WAIT=60
NAMES=(build rebuild boot range range-416 resume if-range gzip ims-304 404-page names mime
	guest-alive)

if [ "$E2E_STANDIN" = 1 ]; then
	e2e_note "static.sh: no stand-in for the HTTP server; nothing to do"
	exit 0
fi
prefixed() { local n out=(); for n in "$@"; do out+=("$P.$n"); done; echo "${out[@]}"; }
# shellcheck disable=SC2046
e2e_any_wanted $(prefixed "${NAMES[@]}") || exit 0
pass() { e2e_pass "$P.$1" "${2:-}"; }
fail() { e2e_fail "$P.$1" "$2"; }
# check NAME: PASS with DETAIL when PROBLEMS is empty, else FAIL with them
check() {
	local name=$1 detail=${2:-} joined
	if [ "${#PROBLEMS[@]}" -eq 0 ]; then
		pass "$name" "$detail"
	else
		joined=$(printf '%s; ' "${PROBLEMS[@]}")
		fail "$name" "${joined%; }"
	fi
}

# ---- the site ---------------------------------------------------------------
SITE="$E2E_TMP/site dir" # a space in SITE too
mkdir -p "$SITE/sub"
printf '<!doctype html><title>t</title><p>index</p>\n' >"$SITE/index.html"
printf '<!doctype html><title>gone</title><p>not here, sorry</p>\n' >"$SITE/404.html"
head -c 300000 /dev/urandom >"$SITE/big.bin"
# Compressible: CSS rules, many alike.
for i in $(seq 1 2000); do printf '.c%d { margin: %dpx; color: #%06x; }\n' "$i" "$((i % 17))" "$i"; done >"$SITE/style.css"
printf 'spaces\n' >"$SITE/a file with spaces.txt"
printf 'quotes\n' >"$SITE/q\"u'o%t#e?d.txt"
printf 'utf-8\n' >"$SITE/sub/caf$(printf '\303\251') ünï.txt"
printf '\0asm\1\0\0\0' >"$SITE/m.wasm"
head -c 64 /dev/urandom >"$SITE/v.mp4"
head -c 64 /dev/urandom >"$SITE/f.woff2"
printf '{"a": 1}\n' >"$SITE/d.json"
printf 'plain\n' >"$SITE/t.txt"
touch -d '2020-02-02 02:02:02 UTC' "$SITE/style.css" "$SITE/big.bin"

# ---- the build --------------------------------------------------------------
B=$E2E_TMP/build
MAKELOG=$E2E_LOGS/$P.make.log
: >"$MAKELOG"
mkdir -p "$B"
for d in newlib bearssl deps; do
	[ -e "$E2E_REPO/build/$d" ] && ln -s "$(realpath "$E2E_REPO/build/$d")" "$B/$d"
done
cp -a "$E2E_REPO/build/obj" "$B/obj" 2>>"$MAKELOG"
rm -rf "$B/obj/gen/httpd"
GEN=$B/obj/gen/httpd/site_data.c
# mk TARGET: make it with the temporary site; the libraries are never
# remade (-o), they are build/'s own.
mk() {
	echo "== make $1" >>"$MAKELOG"
	make --no-print-directory -C "$E2E_REPO" BUILD="$B" SITE="$SITE" \
		TLS_CERT="$E2E_REPO/build/tls/localhost.crt" TLS_KEY="$E2E_REPO/build/tls/localhost.key" \
		-o "$B/newlib/lib/libc.a" -o "$B/bearssl/kernel/lib/libbearssl.a" \
		"$1" >>"$MAKELOG" 2>&1
}
packed() { grep -c 'SITE ' "$MAKELOG"; } # how many times the site was packed

PROBLEMS=()
if mk "$B/weft"; then
	line=$(grep -m1 '  SITE ' "$MAKELOG" | sed 's/^ *//')
	# 12 files; style.css at least has a gzip variant.
	[[ $line == *": 12 files, "*" gzip variants" ]] || PROBLEMS+=("packer said \"$line\"")
	[[ $line =~ ([0-9]+)\ gzip\ variants ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] ||
		PROBLEMS+=("no gzip variant packed: \"$line\"")
	check build "$line"
else
	fail build "make failed: $(tail -n 5 "$MAKELOG" | e2e_oneline)"
	for n in "${NAMES[@]:1}"; do fail "$n" "no kernel (see $P.build)"; done
	exit 0
fi

# Each change must repack; no change must not.
PROBLEMS=()
n0=$(packed)
mk "$GEN" || PROBLEMS+=("make failed")
[ "$(packed)" = "$n0" ] || PROBLEMS+=("nothing changed, yet the site was packed again")
printf 'new\n' >"$SITE/sub/new #1.txt"
mk "$GEN" || PROBLEMS+=("make failed")
grep -q '"/sub/new #1.txt"' "$GEN" || PROBLEMS+=("an added file was not packed")
rm "$SITE/sub/new #1.txt"
mk "$GEN" || PROBLEMS+=("make failed")
! grep -q 'new #1' "$GEN" || PROBLEMS+=("a removed file is still packed")
printf 'OLD\n' >"$E2E_TMP/old.txt"
touch -d '2001-01-01 UTC' "$E2E_TMP/old.txt"
cp "$SITE/t.txt" "$E2E_TMP/t.keep"
cp -p "$E2E_TMP/old.txt" "$SITE/t.txt"
mk "$GEN" || PROBLEMS+=("make failed")
grep -q '"OLD\\n"' "$GEN" || PROBLEMS+=("a file replaced by an older one was not repacked")
cp "$E2E_TMP/t.keep" "$SITE/t.txt"
mk "$B/weft" || PROBLEMS+=("the final make failed")
[ "$(( $(packed) - n0 ))" -eq 4 ] || PROBLEMS+=("packed $(( $(packed) - n0 )) times for 4 changes")
check rebuild "packed once for each of 4 changes, not without one"

# ---- the guest ----------------------------------------------------------------
E2E_KERNEL=$B/weft
GUEST_LOG=$E2E_LOGS/$P.guest.log
GUEST_PID=""
for ((try = 0; try < 3; try++)); do
	PORT=$(e2e_free_ports 1)
	e2e_guest_start GUEST_PID "$GUEST_LOG" --machine q35 --smp 2 --timeout "$GUEST_TIMEOUT" \
		--hostfwd "tcp:$H:$PORT-:80" --append "app=httpd httpd_cache_control=max-age=60 date=$(date +%s)"
	rc=$?
	[ "$rc" -eq 3 ] || break
done
if [ "$rc" -ne 0 ] || ! e2e_wait_log "$GUEST_LOG" "$GUEST_PID" "$BOOT_WAIT" \
	'^httpd: listening on port 80' '^net: '; then
	fail boot "no guest: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)"
	for n in "${NAMES[@]:3}"; do fail "$n" "no guest (see $P.boot)"; done
	e2e_stop "$GUEST_PID"
	exit 0
fi
PROBLEMS=()
cc_line=$(e2e_log_line "$GUEST_LOG" '^httpd: Cache-Control: ')
[ "$cc_line" = "httpd: Cache-Control: max-age=60" ] || PROBLEMS+=("Cache-Control line \"$cc_line\"")
check boot "$(e2e_log_line "$GUEST_LOG" '^httpd: listening'); $cc_line"

URL=http://$H:$PORT
# get NAME PATH [CURL-ARGS...]: $T/NAME.{hdr,body}; CODE is the status
T=$E2E_TMP/out
mkdir -p "$T"
get() {
	local name=$1 path=$2
	shift 2
	CODE=$(curl -sS --max-time 20 -D "$T/$name.hdr" -o "$T/$name.body" -w '%{http_code}' \
		"$@" "$URL$path" 2>"$T/$name.err")
	[ -n "$CODE" ] || CODE="000 ($(e2e_oneline <"$T/$name.err"))"
	[ -f "$T/$name.body" ] || : >"$T/$name.body"
}
hdr() { tr -d '\r' <"$T/$1.hdr" | sed -n "s/^$2:[ \t]*//Ip" | tail -n 1; }
want() { # want WHAT GOT EXPECTED
	[ "$2" = "$3" ] || PROBLEMS+=("$1 \"$2\", want \"$3\"")
}
same() { # same WHAT FILE-A FILE-B
	cmp -s "$2" "$3" || PROBLEMS+=("$1: the bytes differ ($(wc -c <"$2") vs $(wc -c <"$3"))")
}

PROBLEMS=()
get range /big.bin -r 1000-1999
want status "$CODE" 206
want Content-Range "$(hdr range Content-Range)" "bytes 1000-1999/300000"
want Content-Length "$(hdr range Content-Length)" 1000
want Accept-Ranges "$(hdr range Accept-Ranges)" bytes
tail -c +1001 "$SITE/big.bin" | head -c 1000 >"$T/range.want"
same "the range" "$T/range.body" "$T/range.want"
check range "$(hdr range Content-Range)"

PROBLEMS=()
get r416 /big.bin -r 300000-
want status "$CODE" 416
want Content-Range "$(hdr r416 Content-Range)" "bytes */300000"
check range-416

PROBLEMS=()
head -c 100000 "$SITE/big.bin" >"$T/resume.bin"
RCODE=$(curl -sS --max-time 20 -C - -o "$T/resume.bin" -w '%{http_code}' "$URL/big.bin" 2>"$T/resume.err")
want status "$RCODE" 206
same "curl -C -" "$T/resume.bin" "$SITE/big.bin"
check resume "resumed at 100000 of 300000, $RCODE"

PROBLEMS=()
get ifr /big.bin -r 0-9 -H 'If-Range: "not-the-etag"'
want status "$CODE" 200
want Content-Length "$(hdr ifr Content-Length)" 300000
etag=$(curl -sSI --max-time 10 "$URL/big.bin" | tr -d '\r' | sed -n 's/^ETag: //Ip')
get ifr2 /big.bin -r 0-9 -H "If-Range: $etag"
want "status with the file's ETag" "$CODE" 206
check if-range "If-Range $etag"

PROBLEMS=()
get gz /style.css --compressed
want status "$CODE" 200
want Content-Encoding "$(hdr gz Content-Encoding)" gzip
want Vary "$(hdr gz Vary)" Accept-Encoding
same "decompressed" "$T/gz.body" "$SITE/style.css"
get id /style.css
want Content-Encoding "$(hdr id Content-Encoding)" ""
want "Vary without --compressed" "$(hdr id Vary)" Accept-Encoding
same "identity" "$T/id.body" "$SITE/style.css"
[ "$(hdr gz ETag)" != "$(hdr id ETag)" ] || PROBLEMS+=("one ETag for both: $(hdr id ETag)")
get gz0 /style.css -H 'Accept-Encoding: br, gzip;q=0'
want "Content-Encoding for gzip;q=0" "$(hdr gz0 Content-Encoding)" ""
same "gzip;q=0" "$T/gz0.body" "$SITE/style.css"
gzlen=$(curl -sS --max-time 10 -H 'Accept-Encoding: gzip' "$URL/style.css" | wc -c)
check gzip "$(wc -c <"$SITE/style.css") bytes as $gzlen gzipped; ETags $(hdr id ETag) $(hdr gz ETag)"

PROBLEMS=()
get lm /style.css
lm=$(hdr lm Last-Modified)
want Last-Modified "$lm" "Sun, 02 Feb 2020 02:02:02 GMT"
get ims /style.css -H "If-Modified-Since: $lm"
want status "$CODE" 304
want "Cache-Control on 304" "$(hdr ims Cache-Control)" max-age=60
[ ! -s "$T/ims.body" ] || PROBLEMS+=("304 with a body")
get ims2 /style.css -H "If-Modified-Since: Sat, 01 Feb 2020 02:02:02 GMT"
want "status for a day earlier" "$CODE" 200
want "Cache-Control on 200" "$(hdr ims2 Cache-Control)" max-age=60
get ims3 /style.css -H "If-Modified-Since: Sat, 01 Feb 2020 02:02:02 GMT" -H "If-None-Match: $(hdr lm ETag)"
want "status for a matching ETag and an old date" "$CODE" 304
get ims4 /style.css -z "$SITE/style.css"
want "status for curl -z (the file's own time)" "$CODE" 304
check ims-304 "Last-Modified $lm"

PROBLEMS=()
get nf /no/such/page
want status "$CODE" 404
same "404 body" "$T/nf.body" "$SITE/404.html"
want Content-Type "$(hdr nf Content-Type)" "text/html; charset=utf-8"
check 404-page

PROBLEMS=()
get sp '/a%20file%20with%20spaces.txt'
want "spaces: status" "$CODE" 200
same "spaces" "$T/sp.body" "$SITE/a file with spaces.txt"
get qu '/q%22u%27o%25t%23e%3Fd.txt'
want "quotes: status" "$CODE" 200
same "quotes" "$T/qu.body" "$SITE/q\"u'o%t#e?d.txt"
get u8 '/sub/caf%C3%A9%20%C3%BCn%C3%AF.txt'
want "utf-8: status" "$CODE" 200
same "utf-8" "$T/u8.body" "$SITE/sub/café ünï.txt"
check names "a file with spaces.txt, q\"u'o%t#e?d.txt, sub/café ünï.txt"

PROBLEMS=()
for f in m.wasm:application/wasm v.mp4:video/mp4 f.woff2:font/woff2 d.json:application/json \
	"t.txt:text/plain; charset=utf-8"; do
	get mime "/${f%%:*}"
	want "${f%%:*}" "$(hdr mime Content-Type)" "${f#*:}"
done
check mime

PROBLEMS=()
e2e_guest_gone "$GUEST_PID" "$GUEST_LOG"
[ -z "$E2E_GONE" ] || PROBLEMS+=("$E2E_GONE")
panic=$(e2e_log_line "$GUEST_LOG" 'PANIC on cpu|httpd: bug' || true)
[ -z "$panic" ] || PROBLEMS+=("$panic")
check guest-alive
e2e_stop "$GUEST_PID"
exit 0
