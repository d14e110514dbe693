#!/usr/bin/env python3
"""Write the receive-path fuzzer's seed inputs (tests/fuzz/seeds/rxpath/).

usage: tests/fuzz/rxpath/make_seeds.py [DIR]   (default tests/fuzz/seeds/rxpath)

Each seed is one input in the format tests/fuzz/fuzz_rxpath.c defines: a
mode byte, then records [type][len hi][len lo][len bytes]. The frames are
real-shaped: Ethernet II from the peer (52:55:0a:00:02:02, 10.0.2.2,
fd00::2) to the guest (52:54:00:12:34:56, 10.0.2.15, fd00::15), with every
checksum right unless the seed is about a wrong one (those records have
type bit 2 set, "the checksums as given", so the harness leaves them
wrong). Every seed is written whole each run, so the directory is exactly
what this script makes; run.sh checks that it is (a seed edited by hand,
or a change here not rerun, fails fuzz.rxpath.seeds).

Seeds whose names start "get-", "echo-", "big-", "refused-" carry HTTP
requests on connections the harness opens; run.sh runs each of those once
with RXPATH_EXPECT set to the status lines the peer must receive (the
ANSWERS table below, which run.sh reads through --answers).
"""
import os
import struct
import sys

GUEST_MAC = bytes.fromhex("525400123456")
PEER_MAC = bytes.fromhex("52550a000202")
BCAST = b"\xff" * 6
GUEST4 = bytes([10, 0, 2, 15])
PEER4 = bytes([10, 0, 2, 2])
GUEST6 = bytes.fromhex("fd00" + "00" * 13 + "15")
PEER6 = bytes.fromhex("fd00" + "00" * 13 + "02")
GUEST_LL6 = bytes.fromhex("fe80000000000000505400fffe123456")
PEER_LL6 = bytes.fromhex("fe8000000000000050550afffe000202")

# ---- the input format (fuzz_rxpath.c's opening comment) ----

M_CONNECT, M_V6, M_RESOLVE = 1, 2, 4
K_FRAME, K_SEG, K_TIME, K_OPEN = 0, 1, 2, 3
T_ASIS, T_VOUCHED = 4, 8         # type bits 2 and 3


def rec(kind, data, asis=False, vouched=False, after=0):
    """One record; after: n, for n x 10 + 1 ms after it (0..15)."""
    t = kind | (T_ASIS if asis else 0) | (T_VOUCHED if vouched else 0) | (after << 4)
    return struct.pack(">BH", t, len(data)) + data


def seg(flags, data=b"", delta=0, win=0x40, **kw):
    """Kind 1: a segment on the current connection (delta x 64 bytes)."""
    return rec(K_SEG, bytes([flags, delta & 0xFF, win]) + data, **kw)


def wait(ticks):
    """Kind 2: (ticks + 1) x 100 ms."""
    return rec(K_TIME, bytes([ticks]))


def seed(mode, *records):
    return bytes([mode]) + b"".join(records)


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16

# ---- frames ----


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ether(dst, ethertype, payload, src=PEER_MAC):
    return dst + src + struct.pack(">H", ethertype) + payload


def ip4(proto, payload, src=PEER4, dst=GUEST4, options=b"", ident=1, flags_frag=0x4000,
        ttl=64, total=None, bad_sum=False):
    hl = 20 + len(options)
    assert hl % 4 == 0
    tot = hl + len(payload) if total is None else total
    h = struct.pack(">BBHHHBBH4s4s", 0x40 | hl // 4, 0, tot, ident, flags_frag, ttl, proto, 0,
                    src, dst) + options
    c = csum(h) ^ (0x1234 if bad_sum else 0)
    return h[:10] + struct.pack(">H", c) + h[12:] + payload


def pseudo4(src, dst, proto, n):
    return src + dst + struct.pack(">BBH", 0, proto, n)


def pseudo6(src, dst, proto, n):
    return src + dst + struct.pack(">IxxxB", n, proto)


def tcp(sport, dport, seq, ack, flags, win=65535, options=b"", data=b"", pseudo=None,
        bad_sum=False):
    hl = 20 + len(options)
    assert hl % 4 == 0
    h = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, hl // 4 << 4, flags, win, 0, 0)
    h += options
    c = csum(pseudo(6, hl + len(data)) + h + data) ^ (0x5A5A if bad_sum else 0)
    return h[:16] + struct.pack(">H", c) + h[18:] + data


def udp(sport, dport, data, pseudo, bad_sum=False):
    n = 8 + len(data)
    h = struct.pack(">HHHH", sport, dport, n, 0)
    c = csum(pseudo(17, n) + h + data) or 0xFFFF
    c ^= 0x0F0F if bad_sum else 0
    return h[:6] + struct.pack(">H", c) + data


def icmp4(typ, code, rest, bad_sum=False):
    h = struct.pack(">BBH", typ, code, 0) + rest
    return struct.pack(">BBH", typ, code, csum(h) ^ (0x1111 if bad_sum else 0)) + rest


def icmp6(typ, code, rest, src, dst):
    h = struct.pack(">BBH", typ, code, 0) + rest
    c = csum(pseudo6(src, dst, 58, len(h)) + h)
    return struct.pack(">BBH", typ, code, c) + rest


def ip6(nh, payload, src=PEER6, dst=GUEST6, hlim=64, plen=None):
    n = len(payload) if plen is None else plen
    return struct.pack(">IHBB16s16s", 0x60000000, n, nh, hlim, src, dst) + payload


def p4(proto, n):
    return pseudo4(PEER4, GUEST4, proto, n)


def p6(proto, n):
    return pseudo6(PEER6, GUEST6, proto, n)


MSS_WS_SACK = bytes([2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 0, 0])


def syn4(sport=41000, seq=1000, options=MSS_WS_SACK, **kw):
    return ether(GUEST_MAC, 0x0800,
                 ip4(6, tcp(sport, 80, seq, 0, SYN, options=options, pseudo=p4), **kw))


def syn6(sport=41000, seq=1000):
    return ether(GUEST_MAC, 0x86DD, ip6(6, tcp(sport, 80, seq, 0, SYN, options=MSS_WS_SACK,
                                                 pseudo=p6)))


def arp(op, sha, spa, tha, tpa, dst=BCAST, hlen=6, plen=4):
    return ether(dst, 0x0806, struct.pack(">HHBBH", 1, 0x0800, hlen, plen, op) + sha + spa +
                 tha + tpa)


ARP_ANNOUNCE = arp(2, PEER_MAC, PEER4, GUEST_MAC, GUEST4, dst=GUEST_MAC)
ECHO_PAYLOAD = bytes(range(56))


def echo4(ident=7, seqno=1, payload=ECHO_PAYLOAD, **kw):
    return ether(GUEST_MAC, 0x0800, ip4(1, icmp4(8, 0, struct.pack(">HH", ident, seqno) + payload),
                                        **kw))


def frags4(proto, datagram, cut, ident=0x55, overlap=0):
    """datagram (a transport header and data) as IPv4 fragments at cut
    (offsets in bytes, each a multiple of 8); overlap: the second starts
    that many bytes early."""
    out = []
    bounds = [0] + list(cut) + [len(datagram)]
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1]
        if i and overlap:
            lo -= overlap
        mf = 0x2000 if i < len(bounds) - 2 else 0
        out.append(ether(GUEST_MAC, 0x0800,
                         ip4(proto, datagram[lo:hi], ident=ident, flags_frag=mf | lo // 8)))
    return out


def frags6(nh, datagram, cut, ident=0x1234):
    out = []
    bounds = [0] + list(cut) + [len(datagram)]
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1]
        m = 1 if i < len(bounds) - 2 else 0
        fh = struct.pack(">BBHI", nh, 0, lo | m, ident)
        out.append(ether(GUEST_MAC, 0x86DD, ip6(44, fh + datagram[lo:hi])))
    return out


def frames(mode, fs, asis=False, vouched=False, after=0):
    return seed(mode, *[rec(K_FRAME, f, asis=asis, vouched=vouched, after=after) for f in fs])


GET = b"GET /hello HTTP/1.1\r\nHost: 10.0.2.15\r\nUser-Agent: rxpath/1.0\r\n\r\n"
assert len(GET) == 64    # one step of kind 1's sequence delta
# 128 bytes: two steps.
GET128 = b"GET /hello HTTP/1.1\r\nHost: 10.0.2.15\r\nAccept: */*\r\nUser-Agent: rxpath" + \
    b"-seed-with-a-longer-name-x\r\nX-Pad: 0123456789abcdefghij\r\n\r\n"
assert len(GET128) == 128

# ---- the seeds ----

SEEDS = {}
# name -> the status codes the peer must receive, one per connection in
# the order the harness opened them (run.sh's self-check).
ANSWERS = {}

C4 = M_CONNECT | M_RESOLVE
C6 = M_CONNECT | M_V6 | M_RESOLVE

# TCP through the HTTP server, on connections the harness opens.
SEEDS["get-v4"] = seed(C4, seg(PSH | ACK, GET), wait(1), seg(ACK), seg(FIN | ACK), wait(2))
ANSWERS["get-v4"] = "200"
SEEDS["get-v6"] = seed(C6, seg(PSH | ACK, GET), wait(1), seg(FIN | ACK), wait(2))
ANSWERS["get-v6"] = "200"
SEEDS["get-404"] = seed(C4, seg(PSH | ACK, b"GET /nosuch HTTP/1.1\r\nHost: a\r\n\r\n"), wait(1))
ANSWERS["get-404"] = "404"
SEEDS["get-redirect"] = seed(C6, seg(PSH | ACK, b"GET /files HTTP/1.1\r\nHost: a\r\n\r\n"), wait(1))
ANSWERS["get-redirect"] = "301"
SEEDS["get-keepalive"] = seed(C4, seg(PSH | ACK, GET), wait(0),
                              seg(PSH | ACK, b"HEAD /files/a HTTP/1.1\r\nHost: a\r\n\r\n"), wait(0),
                              seg(PSH | ACK, b"GET /files HTTP/1.0\r\n\r\n"), wait(1))
ANSWERS["get-keepalive"] = "200"
SEEDS["get-split"] = seed(C4, seg(PSH | ACK, GET[:9]), wait(0), seg(PSH | ACK, GET[9:]), wait(1))
ANSWERS["get-split"] = "200"
SEEDS["get-bad-request"] = seed(C4, seg(PSH | ACK, b"GET /\x01 HTTP/9.9\r\n\r\n"), wait(1))
ANSWERS["get-bad-request"] = "400"
SEEDS["echo-post"] = seed(C4, seg(PSH | ACK, b"POST /echo HTTP/1.1\r\nHost: a\r\n"
                                              b"Content-Length: 11\r\n\r\nhello world"), wait(1))
ANSWERS["echo-post"] = "200"
SEEDS["echo-chunked"] = seed(C6, seg(PSH | ACK, b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:"
                                                 b" chunked\r\n\r\n5\r\nhello\r\n"), wait(0),
                             seg(PSH | ACK, b"6\r\n world\r\n0\r\n\r\n"), wait(1))
ANSWERS["echo-chunked"] = "200"
# /big fills the peer's small window; the ACKs and time open it again.
SEEDS["big-window"] = seed(C4, seg(PSH | ACK, b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n", win=8),
                           wait(2), seg(ACK, win=0), wait(5), seg(ACK, win=0x40), wait(3),
                           seg(ACK, win=0x40), wait(3), seg(FIN | ACK))
ANSWERS["big-window"] = "200"
# Over max_conns (2): the third is answered 503.
SEEDS["refused-third"] = seed(C4, rec(K_OPEN, b"\0"), rec(K_OPEN, b"\1"),
                              seg(PSH | ACK, GET), wait(1))
ANSWERS["refused-third"] = "- - 503"
# Other TCP on an open connection: out of order, a wrong checksum, a reset.
# The request's second half first (64 bytes ahead), then its first half
# (128 back from where the second half ended): the guest queues, then
# reassembles.
SEEDS["tcp-out-of-order"] = seed(C4, seg(PSH | ACK, GET128[64:], delta=1),
                                 seg(PSH | ACK, GET128[:64], delta=-2), wait(1))
ANSWERS["tcp-out-of-order"] = "200"
# A wrong TCP checksum (dropped), the same bytes again right (64 back).
SEEDS["tcp-bad-checksum"] = seed(C4, seg(PSH | ACK, GET, asis=True), wait(1),
                                 seg(PSH | ACK, GET, delta=-1), wait(1))
ANSWERS["tcp-bad-checksum"] = "200"
# The wrong checksum again, but the device vouched for it: lwIP does not
# look (NETDEV_RX_CSUM_OK), so it is answered.
SEEDS["tcp-vouched-checksum"] = seed(C6, seg(PSH | ACK, GET, asis=True, vouched=True), wait(1))
ANSWERS["tcp-vouched-checksum"] = "200"
SEEDS["tcp-rst"] = seed(C6, seg(PSH | ACK, GET[:10]), seg(RST | ACK), wait(1))
SEEDS["tcp-zero-window-close"] = seed(C4, seg(PSH | ACK, b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n", win=0),
                                      wait(30), seg(FIN | ACK, win=0), wait(60))

# The device's tx ring full at every other call (mode bits 4-7 = 0101):
# linkoutput's retry after a reclaim sends each frame, so the answer comes.
SEEDS["tx-ring-full"] = seed(C4 | 0x50, seg(PSH | ACK, GET), wait(1), seg(FIN | ACK), wait(2))
ANSWERS["tx-ring-full"] = "200"
# A broken device (-EIO) at every fourth call from the fourth: frames are
# lost, TCP retransmits.
SEEDS["tx-broken"] = seed(C4 | 0x80 | 8, seg(PSH | ACK, GET), wait(30), seg(ACK), wait(30),
                          seg(FIN | ACK), wait(30))

# Out-of-order segments until the buffers run out, on two connections
# (lwIP keeps at most TCP_OOSEQ_MAX_PBUFS, 45, per connection): on each,
# after a 64-byte hole, 1-byte segments, all small frames. They take
# net/rx_small.c's 16, then PBUF_POOL's 32; then there is none (netif.c
# drops the frame, lwIP frees the out-of-order queues at its next timer
# run). Then each hole is filled.
HOLD = 40
REQ = b"GET /hello HTTP/1.1\r\nHost: a\r\nX-Pad: " + b"p" * (64 + HOLD - 41) + b"\r\n\r\n"
assert len(REQ) == 64 + HOLD


def ooseq_fill():
    return [seg(PSH | ACK, REQ[64:65], delta=1)] + \
        [seg(PSH | ACK, REQ[i:i + 1]) for i in range(65, 64 + HOLD)]


SEEDS["ooseq-exhaust"] = seed(C4, *ooseq_fill(), rec(K_OPEN, b"\0"), *ooseq_fill(),
                              seg(PSH | ACK, REQ[:64], delta=-2), wait(2))

# Raw TCP frames.
SEEDS["syn-v4"] = frames(M_RESOLVE, [syn4()])
SEEDS["syn-v6"] = frames(M_RESOLVE, [syn6()])
SEEDS["syn-closed-port"] = frames(M_RESOLVE, [ether(GUEST_MAC, 0x0800, ip4(6, tcp(
    41001, 8080, 5, 0, SYN, pseudo=p4)))])
SEEDS["syn-then-rst"] = frames(M_RESOLVE, [syn4(), ether(GUEST_MAC, 0x0800, ip4(6, tcp(
    41000, 80, 1001, 0, RST, pseudo=p4)))])
SEEDS["syn-bad-tcp-checksum"] = frames(M_RESOLVE, [ether(GUEST_MAC, 0x0800, ip4(6, tcp(
    41000, 80, 1000, 0, SYN, options=MSS_WS_SACK, pseudo=p4, bad_sum=True)))], asis=True)
SEEDS["syn-bad-ip-checksum"] = frames(M_RESOLVE, [syn4(bad_sum=True)], asis=True)
SEEDS["syn-vouched-bad-checksum"] = frames(M_RESOLVE, [ether(GUEST_MAC, 0x0800, ip4(6, tcp(
    41000, 80, 1000, 0, SYN, pseudo=p4, bad_sum=True)))], asis=True, vouched=True)
SEEDS["syn-odd-options"] = frames(M_RESOLVE, [syn4(options=bytes([
    2, 4, 0, 1,          # MSS 1
    3, 3, 14,            # window scale 14 (the largest)
    8, 10, 1, 2, 3, 4, 0, 0, 0, 0,  # timestamps
    1, 1, 1, 1, 1, 1, 0]))])  # NOPs, end of options
SEEDS["syn-ack-unexpected"] = frames(M_RESOLVE, [ether(GUEST_MAC, 0x0800, ip4(6, tcp(
    41000, 80, 1000, 77, SYN | ACK, pseudo=p4)))])

# IPv4 options (the guest drops options it does not know? it must not
# break on any of them).
RR = bytes([7, 11, 4]) + b"\0" * 8 + b"\1"          # record route, two slots; NOP
RA = bytes([148, 4, 0, 0])                          # router alert
SEEDS["ip-options-echo"] = frames(M_RESOLVE, [echo4(options=RR), echo4(options=RA)])
SEEDS["ip-options-syn"] = frames(M_RESOLVE, [ether(GUEST_MAC, 0x0800, ip4(6, tcp(
    41000, 80, 1000, 0, SYN, options=MSS_WS_SACK, pseudo=p4), options=RR + RA, ident=3))])
SEEDS["ip-options-bad-length"] = frames(M_RESOLVE, [echo4(options=bytes([7, 39, 4, 0])),
                                                   echo4(options=bytes([68, 0, 0, 0]))])

# IPv4 fragments: an ICMP echo in two, in three out of order, overlapping,
# a UDP datagram in two, and a lone first fragment that times out.
BIG_ECHO = icmp4(8, 0, struct.pack(">HH", 9, 1) + bytes(i & 255 for i in range(1200)))
SEEDS["frag-echo"] = frames(M_RESOLVE, frags4(1, BIG_ECHO, [600]))
SEEDS["frag-echo-reordered"] = frames(M_RESOLVE, list(reversed(frags4(1, BIG_ECHO, [400, 800]))))
SEEDS["frag-overlap"] = frames(M_RESOLVE, frags4(1, BIG_ECHO, [600], overlap=16))
UDP_DGRAM = udp(5353, 9, bytes(900), p4)
SEEDS["frag-udp"] = frames(M_RESOLVE, frags4(17, UDP_DGRAM, [512]))
SEEDS["frag-lone-first"] = seed(M_RESOLVE, rec(K_FRAME, frags4(1, BIG_ECHO, [600])[0]),
                                wait(200))
SEEDS["frag-v6-echo"] = frames(M_RESOLVE, frags6(58, icmp6(128, 0, struct.pack(">HH", 3, 1) +
                                                          bytes(1200), PEER6, GUEST6), [600]))

# Wrong checksums in the network and transport headers.
SEEDS["bad-ip-checksum"] = frames(M_RESOLVE, [echo4(bad_sum=True)], asis=True)
SEEDS["bad-icmp-checksum"] = frames(M_RESOLVE, [ether(GUEST_MAC, 0x0800, ip4(1, icmp4(
    8, 0, b"\0\7\0\1" + ECHO_PAYLOAD, bad_sum=True)))], asis=True)
SEEDS["bad-udp-checksum"] = frames(M_RESOLVE, [ether(GUEST_MAC, 0x0800, ip4(17, udp(
    5353, 9, b"x" * 20, p4, bad_sum=True)))], asis=True)

# Truncated and inconsistent headers.
SEEDS["trunc"] = frames(M_RESOLVE, [
    ether(GUEST_MAC, 0x0800, b""),                          # Ethernet only
    syn4()[:14 + 12],                                       # IPv4 header cut
    syn4()[:14 + 20 + 10],                                  # TCP header cut
    ether(GUEST_MAC, 0x0800, ip4(6, tcp(41000, 80, 1, 0, SYN, pseudo=p4), total=400)),
    ether(GUEST_MAC, 0x0800, bytes([0x4F]) + syn4()[15:14 + 30]),  # IHL 60 > frame
    ether(GUEST_MAC, 0x0800, ip4(17, udp(1, 9, b"abc", p4)[:6])),  # UDP header cut
    ether(GUEST_MAC, 0x86DD, ip6(6, b"", plen=20)),         # IPv6 payload missing
    syn6()[:14 + 30],                                       # IPv6 header cut
    arp(1, PEER_MAC, PEER4, b"\0" * 6, GUEST4)[:30],        # ARP cut
], asis=True)

# ARP: a request for the guest (it answers), an announcement, odd sizes.
SEEDS["arp"] = frames(0, [
    arp(1, PEER_MAC, PEER4, b"\0" * 6, GUEST4),
    ARP_ANNOUNCE,
    arp(1, PEER_MAC, bytes([10, 0, 2, 3]), b"\0" * 6, bytes([10, 0, 2, 3])),  # gratuitous
    arp(1, PEER_MAC, PEER4, b"\0" * 6, GUEST4, hlen=8),
    arp(1, PEER_MAC, GUEST4, b"\0" * 6, GUEST4),            # a conflict: our address
])
# An echo request before the peer is known: the reply waits for ARP,
# which the seed answers itself.
SEEDS["arp-then-echo"] = frames(0, [echo4(), arp(2, PEER_MAC, PEER4, GUEST_MAC, GUEST4,
                                                  dst=GUEST_MAC)])

# ICMP echo, v4 and v6, and ICMPv6 neighbor discovery.
SEEDS["icmp-echo"] = frames(M_RESOLVE, [echo4(), echo4(seqno=2, payload=b""),
                                       ether(BCAST, 0x0800, ip4(1, icmp4(8, 0, b"\0\1\0\1"),
                                                                dst=b"\xff" * 4))])
SEEDS["icmp-unreachable"] = frames(M_RESOLVE, [ether(GUEST_MAC, 0x0800, ip4(1, icmp4(
    3, 3, b"\0" * 4 + ip4(17, udp(80, 5000, b"", p4))[:28])))])
SEEDS["icmp6-echo"] = frames(M_RESOLVE, [ether(GUEST_MAC, 0x86DD, ip6(58, icmp6(
    128, 0, b"\0\5\0\1" + ECHO_PAYLOAD, PEER6, GUEST6)))])
NS = icmp6(135, 0, b"\0" * 4 + GUEST6 + bytes([1, 1]) + PEER_MAC, PEER_LL6,
           bytes.fromhex("ff0200000000000000000001ff000015"))
SEEDS["icmp6-ns"] = frames(M_RESOLVE, [ether(bytes.fromhex("3333ff000015"), 0x86DD, ip6(
    58, NS, src=PEER_LL6, dst=bytes.fromhex("ff0200000000000000000001ff000015"), hlim=255))])
RA6 = icmp6(134, 0, struct.pack(">BBHII", 64, 0, 1800, 0, 0) +
            bytes([3, 4, 64, 0xC0]) + struct.pack(">II", 3600, 1800) + b"\0" * 4 +
            bytes.fromhex("fd01" + "00" * 14), PEER_LL6, bytes.fromhex("ff02" + "00" * 13 + "01"))
SEEDS["icmp6-ra"] = frames(M_RESOLVE, [ether(bytes.fromhex("333300000001"), 0x86DD, ip6(
    58, RA6, src=PEER_LL6, dst=bytes.fromhex("ff02" + "00" * 13 + "01"), hlim=255))])

# UDP: to a closed port (port unreachable), to a broadcast, over IPv6.
SEEDS["udp"] = frames(M_RESOLVE, [
    ether(GUEST_MAC, 0x0800, ip4(17, udp(5353, 9, b"hello", p4))),
    ether(BCAST, 0x0800, ip4(17, udp(68, 67, bytes(240), lambda pr, n: pseudo4(
        PEER4, b"\xff" * 4, pr, n)), dst=b"\xff" * 4)),
    ether(GUEST_MAC, 0x86DD, ip6(17, udp(5353, 9, b"hello", p6))),
])

# Not for the guest, or not IP at all.
SEEDS["other"] = frames(M_RESOLVE, [
    ether(bytes.fromhex("020000000001"), 0x0800, ip4(1, icmp4(8, 0, b"\0\1\0\1"))),
    ether(GUEST_MAC, 0x0800, ip4(1, icmp4(8, 0, b"\0\1\0\1"), dst=bytes([10, 0, 3, 1]))),
    ether(GUEST_MAC, 0x88CC, b"\0" * 46),                   # LLDP
    ether(GUEST_MAC, 0x8100, b"\0\1\x08\0" + ip4(1, icmp4(8, 0, b"\0\1\0\1"))),  # VLAN
])


def main(argv):
    if argv[1:2] == ["--answers"]:
        for name in sorted(ANSWERS):
            print(name, ANSWERS[name])
        return 0
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "seeds",
                                                     "rxpath")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name not in SEEDS:
            os.remove(os.path.join(out, name))
    for name, data in SEEDS.items():
        assert len(data) <= 4096, name    # run.sh's -max_len
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
