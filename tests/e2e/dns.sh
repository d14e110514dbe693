#!/usr/bin/env bash
# tests/e2e/dns.sh — app=dns, the authoritative DNS server, asked by dig(1)
# over a tap in a private network namespace, on a static dual-stack
# address (ip=10.77.0.53/24 gw=10.77.0.1 ip6=fd77::53/64 gw6=fd77::1).
#
# The namespace (weft-dns-PID, deleted on every exit path) holds only tap0
# (10.77.0.1/24, fd77::1/64); dig runs in it. The zone is example.test:
# www A 10.77.0.15 and AAAA fd77::15, and 40 A records on many (more than
# 512 bytes of answer).
#
#   e2e.dns.static6     "net: fd77::53/64 gw6 fd77::1 (static)" on the console,
#                       and a client off the link (fd78::1, on the
#                       namespace's lo) answered through gw6
#   e2e.dns.a           dig @10.77.0.53 www.example.test A: NOERROR, aa, the
#                       address, TTL 300
#   e2e.dns.aaaa        dig -6 @fd77::53 AAAA over IPv6: fd77::15
#   e2e.dns.nxdomain    nope.example.test: NXDOMAIN, the SOA in authority
#   e2e.dns.refused     www.example.org (not our zone): REFUSED, no aa
#   e2e.dns.truncation  many.example.test over UDP without EDNS (+ignore: do
#                       not retry): tc set, fewer than 40 answers; dig's
#                       default retries over TCP and gets all 40; with EDNS
#                       (bufsize 1232) all 40 fit in one datagram
#   e2e.dns.formerr     a datagram with a header and a cut question: FORMERR
#                       with the query's id
#
# Needs root, iproute2, /dev/net/tun, dig (bind9-dnsutils) and python3.
# Logs: $WEFT_TEST_LOGS/e2e.dns.log (the guest), e2e.dns.dig.log.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.dns
ALL=("$P.static6" "$P.a" "$P.aaaa" "$P.nxdomain" "$P.refused" "$P.truncation" "$P.formerr")
e2e_any_wanted "${ALL[@]}" || exit 0
if e2e_netns_missing || ! command -v dig >/dev/null; then
	e2e_fail_all "${E2E_NETNS_WHY:-no dig(1) (package bind9-dnsutils)}" "${ALL[@]}"
	exit 0
fi
ns=weft-dns-$$
if ! e2e_netns_up "$ns"; then
	e2e_fail_all "$E2E_NETNS_WHY" "${ALL[@]}"
	exit 0
fi

many=""
for i in $(seq 1 40); do many+="${many:+,}many/A/10.77.1.$i"; done
APPEND="app=dns ip=10.77.0.53/24 gw=10.77.0.1 ip6=fd77::53/64 gw6=fd77::1"
APPEND+=" dns_zone=example.test dns_rr=www/A/10.77.0.15,www/AAAA/fd77::15 dns_rr=$many"
GUEST_LOG=$E2E_LOGS/$P.log
STATIC6_RE='^net: fd77::53/64 gw6 fd77::1 \(static\)'
if ! e2e_guest_start GUEST_PID "$GUEST_LOG" --machine q35 --smp 2 --timeout 120 \
	--append "$APPEND" --net tap:tap0; then
	e2e_fail_all "could not start the guest: $(e2e_log_tail "$GUEST_LOG" 3 | e2e_oneline)" "${ALL[@]}"
	exit 0
fi
if ! e2e_wait_log "$GUEST_LOG" "$GUEST_PID" 60 'dns: serving example.test \(42 records\)' \
	'^net: 10\.77\.0\.53/24 gw 10\.77\.0\.1 \(static\)' "$STATIC6_RE"; then
	e2e_show_tail "$P" "$GUEST_LOG"
	e2e_fail_all "no \"${E2E_MISSING[0]}\" line (log $GUEST_LOG)" "${ALL[@]}"
	exit 0
fi

dig_log=$E2E_LOGS/$P.dig.log
: >"$dig_log"
ask() { # ask ARGS...: dig's output (also appended to the dig log)
	local out
	out=$(ip netns exec "$ns" timeout 20 dig +time=2 +tries=2 +norecurse "$@" 2>&1)
	printf ';; ---- dig %s\n%s\n' "$*" "$out" >>"$dig_log"
	printf '%s\n' "$out"
}
status() { sed -nE 's/.*status: ([A-Z]+),.*/\1/p' <<<"$1" | head -n 1; }
flags() { sed -nE 's/^;; flags: ([a-z ]*);.*/\1/p' <<<"$1" | head -n 1; }
answers() { sed -nE 's/.*ANSWER: ([0-9]+),.*/\1/p' <<<"$1" | head -n 1; }

# An off-link client: fd78::1 on the namespace's lo, so the answer to it
# must go through gw6 (the namespace delivers it to itself).
ip netns exec "$ns" ip -6 addr add fd78::1/128 dev lo nodad
ip netns exec "$ns" ip -6 route add fd78::1/128 dev lo 2>/dev/null
out=$(ask -6 -b fd78::1 @fd77::53 www.example.test AAAA)
if [ "$(status "$out")" = NOERROR ]; then
	e2e_pass "$P.static6" "$(e2e_log_line "$GUEST_LOG" "$STATIC6_RE"); answered fd78::1 (off-link) through gw6"
else
	e2e_fail "$P.static6" "no answer to the off-link fd78::1 through gw6: status \"$(status "$out")\" (see $dig_log)"
fi

out=$(ask @10.77.0.53 www.example.test A)
if [ "$(status "$out")" = NOERROR ] && [[ " $(flags "$out") " == *" aa "* ]] &&
	grep -qE '^www\.example\.test\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.77\.0\.15$' <<<"$out"; then
	e2e_pass "$P.a" "NOERROR, flags $(flags "$out"), www.example.test. 300 IN A 10.77.0.15"
else
	e2e_fail "$P.a" "status $(status "$out"), flags \"$(flags "$out")\" (see $dig_log)"
fi

out=$(ask -6 @fd77::53 www.example.test AAAA)
if [ "$(status "$out")" = NOERROR ] && grep -qE 'IN[[:space:]]+AAAA[[:space:]]+fd77::15$' <<<"$out" &&
	grep -q 'SERVER: fd77::53#53' <<<"$out"; then
	e2e_pass "$P.aaaa" "over IPv6 from fd77::53: AAAA fd77::15"
else
	e2e_fail "$P.aaaa" "status $(status "$out") (see $dig_log)"
fi

out=$(ask @10.77.0.53 nope.example.test A)
if [ "$(status "$out")" = NXDOMAIN ] &&
	grep -qE '^example\.test\.[[:space:]]+300[[:space:]]+IN[[:space:]]+SOA[[:space:]]+ns1\.example\.test\. hostmaster\.example\.test\. 1 ' <<<"$out"; then
	e2e_pass "$P.nxdomain" "NXDOMAIN with the SOA in authority"
else
	e2e_fail "$P.nxdomain" "status $(status "$out") (see $dig_log)"
fi

out=$(ask @10.77.0.53 www.example.org A)
if [ "$(status "$out")" = REFUSED ] && [[ " $(flags "$out") " != *" aa "* ]]; then
	e2e_pass "$P.refused" "REFUSED, flags $(flags "$out")"
else
	e2e_fail "$P.refused" "status $(status "$out"), flags \"$(flags "$out")\" (see $dig_log)"
fi

udp=$(ask +noedns +ignore @10.77.0.53 many.example.test A)
tcp=$(ask +noedns @10.77.0.53 many.example.test A)
edns=$(ask +edns=0 +bufsize=1232 +ignore @10.77.0.53 many.example.test A)
nu=$(answers "$udp") nt=$(answers "$tcp") ne=$(answers "$edns")
if [[ " $(flags "$udp") " == *" tc "* ]] && [ "${nu:-40}" -lt 40 ] &&
	grep -q 'retrying in TCP mode' <<<"$tcp" && [ "$nt" = 40 ] &&
	[[ " $(flags "$edns") " != *" tc "* ]] && [ "$ne" = 40 ]; then
	e2e_pass "$P.truncation" "UDP: tc with $nu answers; dig's retry over TCP: $nt; EDNS 1232: $ne"
else
	e2e_fail "$P.truncation" "UDP flags \"$(flags "$udp")\" $nu answers; TCP $nt; EDNS flags \"$(flags "$edns")\" $ne (see $dig_log)"
fi

# shellcheck disable=SC2016
out=$(ip netns exec "$ns" timeout 10 "${E2E_PYTHON:-python3}" -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0) + b"\x03www\x07exam", ("10.77.0.53", 53))
d = s.recv(512)
i, f = struct.unpack(">HH", d[:4])
print("id %#x rcode %d qr %d" % (i, f & 15, f >> 15))' 2>&1)
if [ "$out" = "id 0x4242 rcode 1 qr 1" ]; then
	e2e_pass "$P.formerr" "a cut question: FORMERR ($out)"
else
	e2e_fail "$P.formerr" "got \"$(e2e_oneline <<<"$out")\", want \"id 0x4242 rcode 1 qr 1\""
fi
e2e_stop "$GUEST_PID"
exit 0
