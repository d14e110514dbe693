/*
 * libFuzzer target for the whole receive path (host build: rxpath/build.mk):
 * Ethernet frames into the netif, through lwIP, Weft's connections and
 * the HTTP server, to a handler, and back out.
 *
 * In the fuzzed path, built from the repository as the kernel builds them
 * (only the machine below is replaced):
 *   net/netif.c        netif_deliver (the frame into a pbuf, the device's
 *                      checksum vouching), linkoutput, the netif's setup
 *   net/rx_small.c     small receive buffers (frames of <= 256 bytes)
 *   lwIP 2.1.3 core    Debian's, patched by net/lwip/patches/ (a copy
 *                      made by net/lwip.mk's rule at build/fuzz/rxpath/
 *                      lwip/src), configured by net/lwip/include/
 *                      lwipopts.h and arch/ (unchanged):
 *                      ethernet, ARP, IPv4 (options, reassembly, ICMP),
 *                      IPv6 (ND, MLD, reassembly, ICMPv6), UDP, TCP
 *   net/lwip/ (port)   the port: pcbhash.c (patch 0002's lookup),
 *                      timewait.c (the input hooks), sys_arch.c (ISNs),
 *                      pools.c (pools carved at boot, boot-sized counts)
 *   net/conn.c         the real lwIP callbacks (accept, recv, sent, err),
 *                      listeners, conn_read/conn_write with flow control,
 *                      deadlines, close and abort
 *   net/addr.c, net/addr_lwip.c   conn_peer's addresses (linked; no
 *                      handler here asks for them)
 *   net/http/listen.c  http_listen_and_serve: net_listen, the accept loop,
 *                      a task per connection, the 503 refuser
 *   net/http/{server,request,response,out,mux,stats,latency,parse,body,
 *   path}.c            the HTTP server core and its request parser, the
 *                      one apps/httpd serves on; the handlers are this
 *                      file's (apps/httpd's site is not here): "/hello"
 *                      and everything under "/files/" a fixed answer
 *                      ("/files" is redirected, anything else is 404),
 *                      "/echo" the request body back (chunked), "/big"
 *                      20,000 bytes (a full send window)
 * Replaced: the kernel and the task runtime, by tests/fuzz/rxpath/
 * host_runtime.c (tasks on ucontext, park/ready, the net lock, a fake
 * clock, pages); the NIC, by a fake netdev whose tx hands each frame to
 * the peer below; ipconfig6_gateway (no gw6=); tls_* (no TLS listener:
 * they panic if reached). lwIP's timers run as net/timers.c runs them
 * (sys_check_timeouts under the net lock), by the fake clock.
 *
 * One input: a mode byte, then records, each [type][len hi][len lo][len
 * bytes]. The guest is 10.0.2.15/24 and fd00::15/64 (plus its link-local
 * address), on port 80 with max_conns 2; the peer is 10.0.2.2 / fd00::2.
 *   mode bit 0   the harness first opens a connection itself (a SYN with
 *                MSS, window scale and SACK-permitted; the SYN-ACK's
 *                sequence number taken from what the guest sent; the
 *                ACK), so that record kind 1 reaches conn.c and the HTTP
 *                server in one execution
 *        bit 1   ... over IPv6
 *        bit 2   the peer answers the guest's ARP requests and neighbor
 *                solicitations for its addresses (on with bit 0)
 *        bits 4-7  the device's tx fails: call k (counted from 0 in each
 *                input) fails if bit k % 4 of these is set, with -EAGAIN
 *                (a full ring: linkoutput reclaims and tries once more,
 *                which is the next call), or with bit 3 -EIO (broken)
 *   type bits 0-1, the record's kind:
 *     0  a raw Ethernet frame (at most 1514 bytes; shorter than 14:
 *        skipped, as the drivers drop runts)
 *     1  a segment on the current connection: [TCP flags][seq delta
 *        (int8, x 64 bytes)][window / 256][payload...]; the harness
 *        writes the headers, sequence and acknowledgment numbers (what
 *        the peer has sent and received so far), checksums
 *     2  time: (data[0] + 1) x 100 ms pass, in 50 ms steps
 *     3  open another connection as mode bit 0 does (data[0] bit 0:
 *        IPv6); it becomes the current one (at most 4)
 *   type bit 2   kind 0: the checksums as given (else the harness fixes
 *                the IPv4 header's and, for an unfragmented IPv4 or a
 *                plain IPv6 packet, TCP's, UDP's, ICMP's); kind 1: a
 *                wrong TCP checksum
 *        bit 3   the device vouched for the frame (NETDEV_RX_CSUM_OK)
 *        bits 4-7  n: n x 10 + 1 ms pass after the record
 * After each record (and each reply the peer sends) lwIP's timers and the
 * tasks run. What the guest sends goes to the peer: it answers ARP and
 * ND (mode bit 2) and tracks what it has received, so kind 1's ACKs are
 * right.
 *
 * With RXPATH_EXPECT set (run.sh's check of the HTTP seeds), each input's
 * answers must be exactly that: for every connection the harness opened,
 * in order, the status code its stream from the guest began with
 * ("HTTP/1.x NNN"), or "-" for one that received none, space-separated
 * ("200", "- - 503"); the harness prints them ("rxpath: answers: ...")
 * and otherwise reports "invariant broken" and abort()s.
 *
 * With RXPATH_TRACE set, every frame the guest sends is described in a
 * line ("rxpath: out ...", or the tx call's failure), and at each input's
 * end the small-buffer misses and the frames dropped for want of a pbuf
 * (totals since start): what a seed makes happen.
 *
 * At the end of each input everything is taken down and checked (the
 * leak check): every TCP pcb is aborted (as a peer's reset would), the
 * clock runs on until every connection's task has ended and the
 * reassembly queues have timed out, the ARP and neighbor caches are
 * flushed and the IPv6 addresses restored; then every lwIP pool, lwIP's
 * heap, the small receive buffers, net/'s connection pool and the tasks
 * must be exactly as they were before the first input. A difference is
 * reported ("invariant broken: ...") and abort()s.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/nd6.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "net/conn.h"
#include "net/http/http.h"
#include "net/limits.h"
#include "net/net.h"
#include "net/net_priv.h"
#include "net/netdev.h"
#include "net/netlock.h"
#include "net/tls/tls.h"
#include "runtime/runtime.h"
#include "tests/fuzz/rxpath/host_runtime.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

/* ---- what net_limits would choose for a small guest ---- */

struct net_limits net_limits = {
	.ram_mib = 8, .tcp_conns = 12, .tcp_pcbs = 16, .conn_pool = 21,
	.tcp_segs = 128, .pbufs = 32, .pbuf_refs = 64, .rx_small = 16,
	.heap_bytes = 128 << 10,
};

/* ---- replaced pieces (see the top) ---- */

const struct ip6_addr *ipconfig6_gateway(struct netif *n, const struct ip6_addr *dest)
{
	(void)n, (void)dest;
	return NULL;
}

#define NO_TLS() panic("rxpath: TLS is not in this build")
int tls_accept(struct tls_server *s, struct conn *c, uint64_t d, struct tls_conn **o)
{ (void)s, (void)c, (void)d, (void)o; NO_TLS(); }
ssize_t tls_read(struct tls_conn *t, void *b, size_t n) { (void)t, (void)b, (void)n; NO_TLS(); }
ssize_t tls_write(struct tls_conn *t, const void *b, size_t n) { (void)t, (void)b, (void)n; NO_TLS(); }
int tls_shutdown_write(struct tls_conn *t) { (void)t; NO_TLS(); }
void tls_close(struct tls_conn *t) { (void)t; NO_TLS(); }
void tls_abort(struct tls_conn *t) { (void)t; NO_TLS(); }
void tls_set_read_deadline(struct tls_conn *t, uint64_t d) { (void)t, (void)d; NO_TLS(); }
void tls_set_write_deadline(struct tls_conn *t, uint64_t d) { (void)t, (void)d; NO_TLS(); }
int tls_peer(struct tls_conn *t, struct net_addr *o) { (void)t, (void)o; NO_TLS(); }

/* ---- addresses ---- */

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t guest_ip4[4] = { 10, 0, 2, 15 }, peer_ip4[4] = { 10, 0, 2, 2 };
static const uint8_t guest_ip6[16] = { 0xfd, 0, [15] = 0x15 };
static const uint8_t peer_ip6[16] = { 0xfd, 0, [15] = 0x02 };
static const uint8_t peer_ll6[16] = { 0xfe, 0x80, [8] = 0x50, 0x55, 0x0a, 0xff, 0xfe, 0x00, 0x02, 0x02 };
#define GUEST_PORT 80

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }

/* ---- checksums ---- */

static uint32_t sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += be16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The transport checksum at off (within l4) of an l4len-byte segment. */
static void l4_sum(uint8_t *l4, size_t l4len, size_t off, const uint8_t *src, const uint8_t *dst,
		   size_t alen, uint8_t proto, bool pseudo, bool udp)
{
	if (off + 2 > l4len)
		return;
	put16(l4 + off, 0);
	uint32_t s = 0;
	if (pseudo) {
		s = sum(sum(0, src, alen), dst, alen);
		s += proto + (uint32_t)(l4len & 0xffff) + (uint32_t)(l4len >> 16);
	}
	uint16_t c = fold(sum(s, l4, l4len));
	put16(l4 + off, udp && c == 0 ? 0xffff : c);
}

static void fix_transport(uint8_t *l4, size_t l4len, uint8_t proto, const uint8_t *src,
			  const uint8_t *dst, size_t alen)
{
	switch (proto) {
	case 6: l4_sum(l4, l4len, 16, src, dst, alen, proto, true, false); break;
	case 17: l4_sum(l4, l4len, 6, src, dst, alen, proto, true, true); break;
	case 1: l4_sum(l4, l4len, 2, src, dst, alen, proto, false, false); break;
	case 58: l4_sum(l4, l4len, 2, src, dst, alen, proto, true, false); break;
	}
}

/* Make a frame's checksums right, where it can be done from the frame. */
static void fix_checksums(uint8_t *f, size_t len)
{
	if (len >= 14 + 20 && be16(f + 12) == 0x0800) {
		uint8_t *ip = f + 14;
		size_t hl = (size_t)(ip[0] & 15) * 4, tot = be16(ip + 2);
		if (hl < 20 || 14 + hl > len)
			return;
		put16(ip + 10, 0);
		put16(ip + 10, fold(sum(0, ip, hl)));
		if (tot < hl || 14 + tot > len || (be16(ip + 6) & 0x3fff))
			return;
		fix_transport(ip + hl, tot - hl, ip[9], ip + 12, ip + 16, 4);
	} else if (len >= 14 + 40 && be16(f + 12) == 0x86dd) {
		uint8_t *ip = f + 14;
		size_t plen = be16(ip + 4);
		if (54 + plen <= len)
			fix_transport(ip + 40, plen, ip[6], ip + 8, ip + 24, 16);
	}
}

/* ---- the peer: sessions, what it sends, what it hears ---- */

struct session {
	bool used, v6;
	uint16_t port;			/* the peer's */
	uint32_t snd_nxt;		/* the peer's next sequence number */
	uint32_t rcv_nxt;		/* what it has received in order */
	bool synack;			/* the guest's SYN-ACK seen */
	uint32_t irs;			/* the guest's first data byte's number */
	char head[16];			/* its stream's first bytes, in order */
	size_t headlen;
};

#define SESSIONS 4
static struct session sessions[SESSIONS];
static struct session *cur;
static bool auto_resolve;

#define REPLIES 16
static uint8_t replies[REPLIES][NETDEV_FRAME_MAX];
static size_t reply_len[REPLIES];
static unsigned nreplies;
static uint64_t frames_out;

static uint8_t *eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, type);
	return f + 14;
}

static void queue_reply(const uint8_t *f, size_t len)
{
	if (nreplies < REPLIES) {
		memcpy(replies[nreplies], f, len);
		reply_len[nreplies++] = len;
	}
}

/* ARP request for the peer: answer. */
static void hear_arp(const uint8_t *f, size_t len)
{
	if (len < 42 || be16(f + 20) != 1 || memcmp(f + 38, peer_ip4, 4))
		return;
	uint8_t r[42];
	uint8_t *a = eth(r, f + 6, 0x0806);
	put16(a, 1), put16(a + 2, 0x0800), a[4] = 6, a[5] = 4, put16(a + 6, 2);
	memcpy(a + 8, peer_mac, 6), memcpy(a + 14, peer_ip4, 4);
	memcpy(a + 18, f + 22, 6), memcpy(a + 24, f + 28, 4);
	queue_reply(r, sizeof r);
}

/* Neighbor solicitation for one of the peer's addresses: advertise. */
static void hear_ns(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *icmp = ip + 40;
	static const uint8_t unspec[16];
	if (len < 54 + 24 || icmp[0] != 135 || !memcmp(ip + 8, unspec, 16))
		return;
	if (memcmp(icmp + 8, peer_ip6, 16) && memcmp(icmp + 8, peer_ll6, 16))
		return;
	uint8_t r[14 + 40 + 32] = { 0 };
	uint8_t *h = eth(r, f + 6, 0x86dd);
	h[0] = 0x60, put16(h + 4, 32), h[6] = 58, h[7] = 255;
	memcpy(h + 8, icmp + 8, 16), memcpy(h + 24, ip + 8, 16);
	uint8_t *na = h + 40;
	na[0] = 136, na[4] = 0x60;	/* solicited, override */
	memcpy(na + 8, icmp + 8, 16);
	na[24] = 2, na[25] = 1, memcpy(na + 26, peer_mac, 6);
	fix_transport(na, 32, 58, h + 8, h + 24, 16);
	queue_reply(r, sizeof r);
}

/* A segment from the guest: what the peer has now received. */
static void hear_tcp(const uint8_t *th, size_t tlen, bool v6)
{
	if (tlen < 20 || be16(th) != GUEST_PORT)
		return;
	struct session *s = NULL;
	for (int i = 0; i < SESSIONS; i++)
		if (sessions[i].used && sessions[i].v6 == v6 && sessions[i].port == be16(th + 2))
			s = &sessions[i];
	if (!s)
		return;
	uint32_t seq = be32(th + 4);
	uint8_t flags = th[13];
	size_t hl = (size_t)(th[12] >> 4) * 4;
	if (hl < 20 || hl > tlen)
		return;
	if ((flags & 0x12) == 0x12) {		/* SYN-ACK */
		s->rcv_nxt = s->irs = seq + 1;
		s->synack = true;
		return;
	}
	uint32_t off = seq - s->irs, n = (uint32_t)(tlen - hl);
	if (s->synack && off <= s->headlen && off < sizeof s->head) {
		size_t k = n < sizeof s->head - off ? n : sizeof s->head - off;
		memcpy(s->head + off, th + hl, k);
		if (off + k > s->headlen)
			s->headlen = off + k;
	}
	uint32_t seglen = n + (flags & 1);
	if ((int32_t)(seq - s->rcv_nxt) <= 0 && (int32_t)(seq + seglen - s->rcv_nxt) > 0)
		s->rcv_nxt = seq + seglen;
}

/* RXPATH_TRACE: a line for each frame the guest sends. */
static bool trace;

static void trace_frame(const uint8_t *f, size_t len)
{
	uint16_t type = be16(f + 12);
	size_t l4 = 14 + (size_t)(len > 14 ? f[14] & 15 : 0) * 4;
	fprintf(stderr, "rxpath: out %zu bytes, type %04x", len, type);
	if (type == 0x0806 && len >= 22)
		fprintf(stderr, ", ARP op %u", f[21]);
	else if (type == 0x0800 && len > l4 && l4 >= 34)
		fprintf(stderr, ", IPv4 proto %u, first byte %u", f[23], f[l4]);
	else if (type == 0x86dd && len >= 55)
		fprintf(stderr, ", IPv6 next header %u, first byte %u", f[20], f[54]);
	fprintf(stderr, "\n");
}

static void hear(const uint8_t *f, size_t len)
{
	frames_out++;
	if (len < 14)
		return;
	uint16_t type = be16(f + 12);
	if (trace)
		trace_frame(f, len);
	if (type == 0x0806) {
		if (auto_resolve)
			hear_arp(f, len);
	} else if (type == 0x0800 && len >= 34) {
		const uint8_t *ip = f + 14;
		size_t hl = (size_t)(ip[0] & 15) * 4, tot = be16(ip + 2);
		if (ip[9] == 6 && hl >= 20 && tot >= hl && 14 + tot <= len && !(be16(ip + 6) & 0x3fff))
			hear_tcp(ip + hl, tot - hl, false);
	} else if (type == 0x86dd && len >= 54) {
		const uint8_t *ip = f + 14;
		size_t plen = be16(ip + 4);
		if (54 + plen > len)
			return;
		if (ip[6] == 58 && auto_resolve)
			hear_ns(f, len);
		else if (ip[6] == 6)
			hear_tcp(ip + 40, plen, true);
	}
}

/* ---- the device ---- */

/* Mode bits 3-7: which tx calls fail, and how. */
static unsigned tx_fail_mask, tx_calls;
static int tx_fail_err;

static int dev_tx(struct netdev *d, const struct netdev_frag *frags, int n)
{
	static uint8_t f[NETDEV_FRAME_MAX];
	size_t len = 0;
	(void)d;
	if (tx_fail_mask >> (tx_calls++ % 4) & 1) {
		if (trace)
			fprintf(stderr, "rxpath: tx call %u fails: %d\n", tx_calls - 1, tx_fail_err);
		return tx_fail_err;
	}
	for (int i = 0; i < n; i++) {
		CHECK(len + frags[i].len <= sizeof f);	/* lwIP keeps to the MTU */
		memcpy(f + len, frags[i].data, frags[i].len);
		len += frags[i].len;
	}
	CHECK(len >= 14);
	hear(f, len);
	return 0;
}

static void dev_tx_reclaim(struct netdev *d) { (void)d; }
static bool dev_link_up(struct netdev *d) { (void)d; return true; }

static const struct netdev_ops dev_ops = {
	.tx = dev_tx, .tx_reclaim = dev_tx_reclaim, .link_up = dev_link_up,
};
static struct netdev dev = { &dev_ops, "fuzz", "fake", { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, 0 };
static struct netif nif;

/* ---- running ---- */

/* Timers due, then the tasks (the timers task and the poller's order). */
static void run(void)
{
	net_lock();
	sys_check_timeouts();
	net_unlock();
	host_run_tasks();
}

static void deliver_one(const uint8_t *f, size_t len, unsigned flags)
{
	net_lock();
	netif_deliver(&nif, f, len, flags);
	net_unlock();
	run();
}

/* A frame in, then the peer's answers to what came out, until quiet. */
static void deliver(const uint8_t *f, size_t len, unsigned flags)
{
	deliver_one(f, len, flags);
	for (int round = 0; round < 8 && nreplies; round++) {
		uint8_t (*q)[NETDEV_FRAME_MAX] = malloc(sizeof replies);
		size_t ql[REPLIES];
		unsigned n = nreplies;
		CHECK(q != NULL);
		memcpy(q, replies, sizeof replies);
		memcpy(ql, reply_len, sizeof reply_len);
		nreplies = 0;
		for (unsigned i = 0; i < n; i++)
			deliver_one(q[i], ql[i], 0);
		free(q);
	}
	nreplies = 0;
}

static void pass_ms(uint64_t n)
{
	host_clock_advance(n * 1000000ull);
	run();
}

/* A segment from the peer on s. */
static void send_seg(struct session *s, uint8_t flags, uint32_t seq, uint16_t win,
		     const uint8_t *opt, size_t optlen, const uint8_t *data, size_t n,
		     bool bad_sum, unsigned dflags)
{
	static uint8_t f[NETDEV_FRAME_MAX];
	size_t iphl = s->v6 ? 40 : 20, thl = 20 + ((optlen + 3) & ~(size_t)3);
	if (14 + iphl + thl + n > sizeof f)
		n = sizeof f - 14 - iphl - thl;
	memset(f, 0, 14 + iphl + thl);
	uint8_t *ip = eth(f, guest_mac, s->v6 ? 0x86dd : 0x0800), *th = ip + iphl;
	if (s->v6) {
		ip[0] = 0x60, put16(ip + 4, (uint16_t)(thl + n)), ip[6] = 6, ip[7] = 64;
		memcpy(ip + 8, peer_ip6, 16), memcpy(ip + 24, guest_ip6, 16);
	} else {
		ip[0] = 0x45, put16(ip + 2, (uint16_t)(20 + thl + n)), ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
		memcpy(ip + 12, peer_ip4, 4), memcpy(ip + 16, guest_ip4, 4);
		put16(ip + 10, fold(sum(0, ip, 20)));
	}
	put16(th, s->port), put16(th + 2, GUEST_PORT), put32(th + 4, seq);
	put32(th + 8, (flags & 0x10) ? s->rcv_nxt : 0);
	th[12] = (uint8_t)(thl / 4 << 4), th[13] = flags, put16(th + 14, win);
	if (optlen)
		memcpy(th + 20, opt, optlen);
	if (n)
		memcpy(th + thl, data, n);
	fix_transport(th, thl + n, 6, s->v6 ? ip + 8 : ip + 12, s->v6 ? ip + 24 : ip + 16,
		      s->v6 ? 16 : 4);
	if (bad_sum)
		th[16] ^= 0x5a;
	uint32_t end = seq + (uint32_t)n + (flags & 1) + ((flags >> 1) & 1);
	if ((int32_t)(end - s->snd_nxt) > 0)
		s->snd_nxt = end;
	deliver(f, 14 + iphl + thl + n, dflags);
}

/* The handshake, as a client does it. */
static void open_session(bool v6)
{
	static const uint8_t synopt[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0 };
	struct session *s = NULL;
	for (int i = 0; i < SESSIONS && !s; i++)
		if (!sessions[i].used)
			s = &sessions[i];
	if (!s)
		return;
	*s = (struct session){ .used = true, .v6 = v6, .port = (uint16_t)(40000 + (s - sessions)),
			       .snd_nxt = 0x10000000u * (uint32_t)(1 + (s - sessions)) };
	cur = s;
	send_seg(s, 0x02, s->snd_nxt, 0xffff, synopt, sizeof synopt, NULL, 0, false, 0);
	if (s->synack)
		send_seg(s, 0x10, s->snd_nxt, 1024, NULL, 0, NULL, 0, false, 0);
}

/* ---- the server ---- */

static void h_root(struct http_response *w, struct http_request *r, void *arg)
{
	(void)r, (void)arg;
	http_header_set(w, "Content-Type", "text/plain");
	http_set_content_length(w, 6);
	http_write_str(w, "hello\n");
}

static void h_echo(struct http_response *w, struct http_request *r, void *arg)
{
	char buf[512];
	ssize_t n;
	(void)arg;
	while ((n = http_request_read(r, buf, sizeof buf)) > 0)
		if (http_write(w, buf, (size_t)n) < 0)
			return;
}

static void h_big(struct http_response *w, struct http_request *r, void *arg)
{
	static char blob[20000];
	(void)r, (void)arg;
	memset(blob, 'x', sizeof blob);
	http_set_content_length(w, sizeof blob);
	http_write(w, blob, sizeof blob);
}

static struct http_handler root_h = { .name = "hello", .serve = h_root };
static struct http_handler echo_h = { .name = "echo", .serve = h_echo };
static struct http_handler big_h = { .name = "big", .serve = h_big };
static struct http_mux mux;
static struct http_server srv;

static void server_task(void *arg)
{
	(void)arg;
	int r = http_listen_and_serve(&srv, GUEST_PORT);
	panic("rxpath: http_listen_and_serve returned %d", r);
}

/* ---- set-up, take-down, the leak check ---- */

static uint32_t base_used[MEMP_MAX];
static uint32_t base_heap;
static uint64_t base_pages;

static void set_ip6(void)
{
	ip6_addr_t a;
	memcpy(a.addr, guest_ip6, 16);
	ip6_addr_clear_zone(&a);
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
		netif_ip6_addr_set_state(&nif, i, IP6_ADDR_INVALID);
	netif_create_ip6_linklocal_address(&nif, 1);
	netif_ip6_addr_set_state(&nif, 0, IP6_ADDR_PREFERRED);
	netif_ip6_addr_set(&nif, 1, &a);
	netif_ip6_addr_set_state(&nif, 1, IP6_ADDR_PREFERRED);
	nif.mtu6 = nif.mtu;
}

static void setup(void)
{
	ip4_addr_t ip, mask, gw;
	sys_init();
	lwip_heap_at_boot();
	net_lock();
	lwip_init();
	rx_small_init();
	netif_glue_add(&nif, &dev);
	IP4_ADDR(&ip, guest_ip4[0], guest_ip4[1], guest_ip4[2], guest_ip4[3]);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, peer_ip4[0], peer_ip4[1], peer_ip4[2], peer_ip4[3]);
	netif_set_addr(&nif, &ip, &mask, &gw);
	set_ip6();
	net_unlock();

	http_mux_init(&mux);
	http_handle(&mux, "/hello", &root_h);
	http_handle(&mux, "/files/", &root_h);
	http_handle(&mux, "/echo", &echo_h);
	http_handle(&mux, "/big", &big_h);
	http_server_init(&srv, &mux);
	srv.limits.max_conns = 2;	/* the third connection is answered 503 */
	static const struct task_attr a = { "httpd", 0, -1 };
	CHECK(task_spawn(&a, server_task, NULL) != NULL);
	pass_ms(1000);
	CHECK(host_tasks_alive() == 1);
	net_lock();
	CHECK(tcp_listen_pcbs.listen_pcbs != NULL);
	net_unlock();
}

static void take_baseline(void)
{
	net_lock();
	for (int i = 0; i < MEMP_MAX; i++)
		base_used[i] = lwip_stats.memp[i]->used;
	base_heap = lwip_stats.mem.used;
	net_unlock();
}

static bool pools_back(void)
{
	for (int i = 0; i < MEMP_MAX; i++)
		if (lwip_stats.memp[i]->used != base_used[i])
			return false;
	return lwip_stats.mem.used == base_heap;
}

static void abort_all_pcbs(void)
{
	while (tcp_active_pcbs)
		tcp_abort(tcp_active_pcbs);
	while (tcp_tw_pcbs)
		tcp_abort(tcp_tw_pcbs);
}

static void take_down(void)
{
	bool quiet = false;
	tx_fail_mask = 0;
	for (int i = 0; i < 120 && !quiet; i++) {
		net_lock();
		abort_all_pcbs();
		net_unlock();
		pass_ms(1000);
		net_lock();
		quiet = host_tasks_alive() == 1 && !tcp_active_pcbs && !tcp_tw_pcbs &&
			!tcp_bound_pcbs && pools_back();
		net_unlock();
	}
	net_lock();
	abort_all_pcbs();
	etharp_cleanup_netif(&nif);
	nd6_cleanup_netif(&nif);
	set_ip6();
	/* What the next input must find, as the first one found it. */
	for (int i = 0; i < MEMP_MAX; i++) {
		if (lwip_stats.memp[i]->used != base_used[i])
			fprintf(stderr, "pool %d: %u in use, %u before\n", i,
				(unsigned)lwip_stats.memp[i]->used, (unsigned)base_used[i]);
		CHECK(lwip_stats.memp[i]->used == base_used[i]);
	}
	CHECK(lwip_stats.mem.used == base_heap);
	CHECK(rx_small_stats().used == 0);
	CHECK(tcp_active_pcbs == NULL && tcp_tw_pcbs == NULL && tcp_bound_pcbs == NULL);
	net_unlock();
	struct net_conn_stats cs;
	net_conn_stats(&cs);
	CHECK(cs.open == 0);
	CHECK(host_tasks_alive() == 1);
	/* net/conn.c carves its pool at the first connection: from then on,
	   nothing more. */
	if (!base_pages && cs.accepted)
		base_pages = host_pages_out();
	CHECK(!base_pages || host_pages_out() == base_pages);
	memset(sessions, 0, sizeof sessions);
	cur = NULL;
	nreplies = 0;
}

/* ---- the answers check (RXPATH_EXPECT, see the top) ---- */

/* The status each connection's stream began with ("-": none), in the
   order the harness opened them, space-separated. */
static void answers(char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; i < SESSIONS && sessions[i].used; i++) {
		const struct session *s = &sessions[i];
		bool ok = s->headlen >= 12 && !memcmp(s->head, "HTTP/1.", 7) && s->head[8] == ' ';
		n += (size_t)snprintf(out + n, cap - n, "%s%.3s", n ? " " : "",
				      ok ? s->head + 9 : "-");
	}
}

static void check_answers(const char *expect)
{
	char got[SESSIONS * 4 + 1];
	answers(got, sizeof got);
	fprintf(stderr, "rxpath: answers: %s\n", got[0] ? got : "(no connection)");
	if (strcmp(got, expect)) {
		fprintf(stderr, "%s:%d: invariant broken: answers '%s', RXPATH_EXPECT '%s'\n",
			__FILE__, __LINE__, got, expect);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t size)
{
	static bool ready;
	static uint8_t f[NETDEV_FRAME_MAX];
	if (!ready) {
		trace = getenv("RXPATH_TRACE") != NULL;
		setup();
		take_baseline();
		ready = true;
	}
	if (size < 1)
		return 0;
	uint8_t mode = d[0];
	auto_resolve = (mode & 5) != 0;
	tx_fail_mask = mode >> 4;
	tx_fail_err = mode & 8 ? -EIO : -EAGAIN;
	tx_calls = 0;
	if (mode & 1)
		open_session(mode & 2);
	size_t pos = 1;
	while (pos + 3 <= size) {
		uint8_t type = d[pos];
		size_t len = be16(d + pos + 1);
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		const uint8_t *data = d + pos;
		pos += len;
		unsigned dflags = type & 8 ? NETDEV_RX_CSUM_OK : 0;
		switch (type & 3) {
		case 0:
			if (len < 14)
				break;
			if (len > sizeof f)
				len = sizeof f;
			memcpy(f, data, len);
			if (!(type & 4))
				fix_checksums(f, len);
			deliver(f, len, dflags);
			break;
		case 1:
			if (cur && len >= 3)
				send_seg(cur, data[0], cur->snd_nxt + (uint32_t)((int8_t)data[1] * 64),
					 (uint16_t)(data[2] << 8), NULL, 0, data + 3, len - 3,
					 type & 4, dflags);
			break;
		case 2:
			for (unsigned i = 0; i < 2u * ((len ? data[0] : 0) + 1); i++)
				pass_ms(50);
			break;
		case 3:
			open_session(len && (data[0] & 1));
			break;
		}
		pass_ms((uint64_t)(type >> 4) * 10 + 1);
	}
	if (trace) {
		net_lock();
		const struct stats_mem *pool = lwip_stats.memp[MEMP_PBUF_POOL];
		fprintf(stderr, "rxpath: small buffers missed %llu, PBUF_POOL at most %u of %u,"
			" frames dropped for no pbuf %llu\n",
			(unsigned long long)rx_small_stats().errors, (unsigned)pool->max,
			(unsigned)pool->avail, (unsigned long long)net_rx_dropped_nopbuf());
		net_unlock();
	}
	if (getenv("RXPATH_EXPECT"))
		check_answers(getenv("RXPATH_EXPECT"));
	take_down();
	return 0;
}
