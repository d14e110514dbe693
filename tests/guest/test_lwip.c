/*
 * tests/guest/test_lwip.c — the lwIP build and port, over loopback.
 *
 * No device: everything goes through lwIP's loopback netif (127.0.0.1),
 * driven the way the poller will drive it: lwIP calls under the net lock,
 * loopback delivered when the lock is released, timers from
 * net_timers_poll, task_yield between rounds. Raw-API TCP both ways with
 * every byte checked, UDP to self, pool statistics, the net lock across
 * CPUs, and the TIME_WAIT policy (net/lwip/timewait.c).
 *
 * lwIP calls never sit between KT_ASSERTs and an unlock: a failed assert
 * returns at once, and must not leave the lock held.
 */
#include <stdlib.h>
#include <string.h>
#include "kernel/cpu.h"
#include "tests/guest/ktest.h"
#include "kernel/time.h"
#include "net/limits.h"
#include "net/netlock.h"
#include "net/timers.h"
#include "tests/guest/netwait.h"
#include "runtime/runtime.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

static const ip_addr_t lo_addr = IPADDR4_INIT_BYTES(127, 0, 0, 1);

/* ---- harness ---- */

/* The byte at stream position pos of stream `dir`: a hash, so that a lost,
   doubled or reordered segment shows. */
static uint8_t gen_byte(unsigned dir, uint64_t pos)
{
	uint32_t x = (uint32_t)pos * 0x9e3779b1u + dir * 0x85ebca6bu + (uint32_t)(pos >> 32);
	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	return (uint8_t)(x >> 24);
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* One end of a test connection. Written by lwIP callbacks and the test
   task, always under the net lock. */
struct ep {
	struct tcp_pcb *pcb;		/* NULL once lwIP freed it (err) */
	unsigned tx_dir, rx_dir;	/* generator streams sent / expected */
	uint64_t sent, rcvd, bad;	/* bad: received bytes that differ */
	uint32_t sum_sent, sum_rcvd;	/* FNV-1a of each stream */
	bool connected, fin, err;
};

#define SRV_EPS 8
struct srv {
	struct tcp_pcb *lpcb;
	uint16_t port;
	int accepted;
	struct ep eps[SRV_EPS];		/* accepted connections, round robin */
};

static err_t ep_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct ep *e = arg;
	if (!p) {
		e->fin = true;
		return ERR_OK;
	}
	for (struct pbuf *q = p; q; q = q->next) {
		const uint8_t *b = q->payload;
		for (uint16_t i = 0; i < q->len; i++)
			e->bad += b[i] != gen_byte(e->rx_dir, e->rcvd + i);
		e->sum_rcvd = fnv1a(e->sum_rcvd, b, q->len);
		e->rcvd += q->len;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static void ep_err(void *arg, err_t err)
{
	struct ep *e = arg;
	e->err = true;
	e->pcb = NULL;
}

static void ep_attach(struct ep *e, struct tcp_pcb *pcb, unsigned tx, unsigned rx)
{
	*e = (struct ep){ .pcb = pcb, .tx_dir = tx, .rx_dir = rx,
			  .sum_sent = 2166136261u, .sum_rcvd = 2166136261u };
	tcp_arg(pcb, e);
	tcp_recv(pcb, ep_recv);
	tcp_err(pcb, ep_err);
	tcp_nagle_disable(pcb);
}

/* Close e's side; lwIP owns the pcb afterwards, with our callbacks
   detached (tcp_recv NULL: lwIP discards late data itself). */
static void ep_close(struct ep *e)
{
	struct tcp_pcb *pcb = e->pcb;
	if (!pcb)
		return;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_err(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
	e->pcb = NULL;
}

/* Queue as much of the first `total` bytes of e's stream as its send
   buffer takes, and push it out. Returns an lwIP error other than
   ERR_MEM (a full buffer is not one). */
static err_t ep_send(struct ep *e, uint64_t total)
{
	uint8_t buf[TCP_MSS];
	while (e->pcb && e->sent < total && tcp_sndqueuelen(e->pcb) < TCP_SND_QUEUELEN - 2) {
		uint64_t n = total - e->sent;
		if (n > tcp_sndbuf(e->pcb))
			n = tcp_sndbuf(e->pcb);
		if (n > sizeof buf)
			n = sizeof buf;
		if (n == 0)
			break;
		for (uint64_t i = 0; i < n; i++)
			buf[i] = gen_byte(e->tx_dir, e->sent + i);
		err_t err = tcp_write(e->pcb, buf, (uint16_t)n, TCP_WRITE_FLAG_COPY);
		if (err == ERR_MEM)
			break;
		if (err != ERR_OK)
			return err;
		e->sum_sent = fnv1a(e->sum_sent, buf, n);
		e->sent += n;
	}
	return e->pcb ? tcp_output(e->pcb) : ERR_OK;
}

static err_t srv_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct srv *s = arg;
	if (err != ERR_OK || !newpcb)
		return ERR_VAL;
	struct ep *e = &s->eps[s->accepted % SRV_EPS];
	ep_attach(e, newpcb, 2, 1);
	e->connected = true;
	s->accepted++;
	return ERR_OK;
}

/* Listen on 127.0.0.1:port. Takes the lock. */
static bool srv_start(struct srv *s, uint16_t port)
{
	memset(s, 0, sizeof *s);
	s->port = port;
	net_lock();
	struct tcp_pcb *pcb = tcp_new();
	if (pcb && tcp_bind(pcb, &lo_addr, port) == ERR_OK)
		s->lpcb = tcp_listen_with_backlog(pcb, 16);
	else if (pcb)
		tcp_abort(pcb);
	if (s->lpcb) {
		tcp_arg(s->lpcb, s);
		tcp_accept(s->lpcb, srv_accept);
	}
	net_unlock();
	return s->lpcb != NULL;
}

static void srv_stop(struct srv *s)
{
	net_lock();
	for (int i = 0; i < SRV_EPS; i++)
		ep_close(&s->eps[i]);
	if (s->lpcb)
		tcp_close(s->lpcb);
	s->lpcb = NULL;
	net_unlock();
}

static err_t cli_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct ep *e = arg;
	e->connected = true;
	return ERR_OK;
}

/* Connect c to s from local port cport (0: any). Under the lock. */
static err_t cli_connect(struct ep *c, struct srv *s, uint16_t cport)
{
	struct tcp_pcb *pcb = tcp_new();
	if (!pcb)
		return ERR_MEM;
	err_t err = tcp_bind(pcb, &lo_addr, cport);
	if (err == ERR_OK) {
		ep_attach(c, pcb, 1, 2);
		err = tcp_connect(pcb, &lo_addr, s->port, cli_connected);
	}
	if (err != ERR_OK) {
		tcp_abort(pcb);
		c->pcb = NULL;
	}
	return err;
}

/* ---- TIME_WAIT helpers (lwIP's private pcb lists; under the lock) ---- */

static struct tcp_pcb *tw_find(uint16_t remote_port)
{
	for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
		if (p->remote_port == remote_port)
			return p;
	return NULL;
}

static unsigned tw_count(void)
{
	unsigned n = 0;
	for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
		n++;
	return n;
}

static void tw_clear(void)
{
	net_lock();
	while (tcp_tw_pcbs)
		tcp_abort(tcp_tw_pcbs);
	net_unlock();
}

/* One connection from client port cport to s, closed by the server
   first: the server's pcb ends in TIME_WAIT (address pair
   127.0.0.1:cport). 0, or the step that failed. */
static int make_timewait(struct srv *s, uint16_t cport)
{
	struct ep c;
	int acc = s->accepted;
	struct ep *se = &s->eps[acc % SRV_EPS];
	err_t err = ERR_USE;
	/* the port's last client may still be finishing its LAST_ACK */
	for (int i = 0; i < 100 && err == ERR_USE; i++) {
		net_lock();
		err = cli_connect(&c, s, cport);
		net_unlock();
		if (err == ERR_USE)
			net_pump();
	}
	if (err != ERR_OK)
		return 1;
	if (!WAIT_UNTIL(c.connected && s->accepted == acc + 1, 2))
		return 2;
	net_lock();
	ep_close(se);
	net_unlock();
	if (!WAIT_UNTIL(c.fin, 2))
		return 3;
	net_lock();
	ep_close(&c);
	net_unlock();
	if (!WAIT_UNTIL(tw_find(cport) != NULL, 2))
		return 4;
	return 0;
}

/* ---- tests ---- */

KTEST(lwip, tcp_loopback_1mb_both_ways)
{
	enum { N = 1 << 20 };
	struct srv s;
	struct ep c;
	KT_ASSERT(srv_start(&s, 7001));

	net_lock();
	uint32_t xmit0 = lwip_stats.tcp.xmit, recv0 = lwip_stats.tcp.recv;
	uint32_t lo0 = lwip_stats.link.xmit;
	err_t err = cli_connect(&c, &s, 0);
	net_unlock();
	KT_EQ(err, ERR_OK);
	KT_ASSERT(WAIT_UNTIL(c.connected && s.accepted == 1, 2));

	struct ep *se = &s.eps[0];
	uint64_t dl = time_ns() + 20000000000ull;
	bool done = false, failed = false;
	while (!done && !failed && time_ns() < dl) {
		net_lock();
		failed = ep_send(&c, N) != ERR_OK || ep_send(se, N) != ERR_OK ||
			 c.err || se->err;
		done = c.rcvd == N && se->rcvd == N;
		net_unlock();		/* delivers what was sent */
		net_pump();
	}
	KT_ASSERT(!failed);
	KT_ASSERT(done);
	KT_EQ(c.bad, 0);
	KT_EQ(se->bad, 0);
	KT_EQ(c.sum_rcvd, se->sum_sent);
	KT_EQ(se->sum_rcvd, c.sum_sent);

	net_lock();
	uint32_t segs_out = lwip_stats.tcp.xmit - xmit0, segs_in = lwip_stats.tcp.recv - recv0;
	uint32_t lo_frames = lwip_stats.link.xmit - lo0;
	ep_close(&c);
	net_unlock();
	srv_stop(&s);
	/* 2 MiB in full segments, plus ACKs and the handshake */
	KT_ASSERT(segs_out >= 2 * N / TCP_MSS);
	KT_ASSERT(segs_in >= 2 * N / TCP_MSS);
	KT_ASSERT(lo_frames >= segs_out);
}

/* UDP to self: datagrams of many sizes arrive whole, in order. */
struct udp_sink {
	int got, bad;
	uint16_t from_port;
};

static uint16_t udp_len(int i)
{
	return (uint16_t)(1 + (i * 397) % 1472);
}

static void udp_sink_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			  const ip_addr_t *addr, uint16_t port)
{
	struct udp_sink *k = arg;
	uint8_t buf[1472];
	int i = k->got++;
	uint16_t n = pbuf_copy_partial(p, buf, sizeof buf, 0);
	bool ok = p->tot_len == udp_len(i) && n == p->tot_len && port == k->from_port &&
		  ip_addr_cmp(addr, &lo_addr);
	for (uint16_t j = 0; ok && j < n; j++)
		ok = buf[j] == gen_byte(3 + i, j);
	k->bad += !ok;
	pbuf_free(p);
}

KTEST(lwip, udp_loopback)
{
	enum { N = 200 };
	struct udp_sink k = { 0, 0, 7102 };
	net_lock();
	uint32_t xmit0 = lwip_stats.udp.xmit, recv0 = lwip_stats.udp.recv;
	struct udp_pcb *rx = udp_new(), *tx = udp_new();
	bool ok = rx && tx && udp_bind(rx, &lo_addr, 7101) == ERR_OK &&
		  udp_bind(tx, &lo_addr, 7102) == ERR_OK;
	if (ok)
		udp_recv(rx, udp_sink_recv, &k);
	net_unlock();
	KT_ASSERT(ok);

	int sent = 0;
	while (ok && sent < N) {
		net_lock();		/* a batch per lock: the unlock delivers it */
		for (int b = 0; ok && b < 8 && sent < N; b++, sent++) {
			struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, udp_len(sent), PBUF_RAM);
			ok = p != NULL;
			for (uint16_t j = 0; ok && j < p->len; j++)
				((uint8_t *)p->payload)[j] = gen_byte(3 + sent, j);
			ok = ok && udp_sendto(tx, p, &lo_addr, 7101) == ERR_OK;
			if (p)
				pbuf_free(p);
		}
		net_unlock();
		net_pump();
	}
	bool arrived = WAIT_UNTIL(k.got == N, 2);
	net_lock();
	uint32_t xmit = lwip_stats.udp.xmit - xmit0, recv = lwip_stats.udp.recv - recv0;
	udp_remove(rx);
	udp_remove(tx);
	net_unlock();
	KT_ASSERT(ok);
	KT_ASSERT(arrived);
	KT_EQ(k.bad, 0);
	KT_ASSERT(xmit >= N && recv >= N);
}

/* Pool statistics track use: the counters /metrics will publish. */
KTEST(lwip, pool_stats)
{
	enum { K = 100 };
	struct tcp_pcb *v[K];
	net_lock();
	const struct stats_mem *pcbs = lwip_stats.memp[MEMP_TCP_PCB];
	uint32_t avail = pcbs->avail, used0 = pcbs->used, heap = lwip_stats.mem.avail;
	int got = 0;
	for (int i = 0; i < K; i++)
		got += (v[i] = tcp_new()) != NULL;
	uint32_t used1 = pcbs->used, max1 = pcbs->max;
	for (int i = 0; i < K; i++)
		if (v[i])
			tcp_close(v[i]);
	uint32_t used2 = pcbs->used;
	net_unlock();
	KT_EQ(avail, net_limits.tcp_pcbs);	/* sized at boot: net/limits.c */
	KT_EQ(heap, lwip_heap_bytes);
	KT_EQ(got, K);
	KT_EQ(used1, used0 + K);
	KT_ASSERT(max1 >= used1);
	KT_EQ(used2, used0);
}

/* A SYN for the address pair of a TIME_WAIT pcb opens a new connection
   at once (stock lwIP would answer with an ACK, and the client would
   retry only after its 3 s retransmission timeout). */
KTEST(lwip, syn_recycles_timewait)
{
	struct srv s;
	struct ep c;
	tw_clear();
	KT_ASSERT(srv_start(&s, 7002));
	int step = make_timewait(&s, 40001);
	net_lock();
	uint64_t recycled0 = net_tw_stats.syn_recycled;
	err_t err = cli_connect(&c, &s, 40001);
	net_unlock();
	bool ok = err == ERR_OK && WAIT_UNTIL(c.connected && s.accepted == 2, 2);
	net_lock();
	uint64_t recycled = net_tw_stats.syn_recycled - recycled0;
	ep_close(&c);
	net_unlock();
	srv_stop(&s);
	KT_EQ(step, 0);
	KT_EQ(err, ERR_OK);
	KT_ASSERT(ok);
	KT_EQ(recycled, 1);
}

/* With every pcb in use, allocating one more takes the oldest TIME_WAIT
   pcb instead of failing; only with none left does it fail. */
KTEST(lwip, pcb_exhaustion_recycles_timewait)
{
	struct srv s;
	tw_clear();
	KT_ASSERT(srv_start(&s, 7003));
	int step = make_timewait(&s, 40011);
	if (!step && (step = make_timewait(&s, 40012)))
		step += 10;
	srv_stop(&s);
	KT_EQ(step, 0);

	struct tcp_pcb **v = calloc(net_limits.tcp_pcbs, sizeof *v);
	KT_ASSERT(v);
	unsigned n = 0, tw_full, tw_after[2];
	struct tcp_pcb *extra[3];
	net_lock();
	const struct stats_mem *pcbs = lwip_stats.memp[MEMP_TCP_PCB];
	while (pcbs->used < net_limits.tcp_pcbs && n < net_limits.tcp_pcbs)
		v[n++] = tcp_new();
	tw_full = tw_count();
	bool oldest_first = tw_find(40011) && tw_find(40012);
	extra[0] = tcp_new();			/* takes 40011's pcb, the oldest */
	oldest_first = oldest_first && !tw_find(40011) && tw_find(40012);
	tw_after[0] = tw_count();
	extra[1] = tcp_new();			/* takes 40012's */
	tw_after[1] = tw_count();
	extra[2] = tcp_new();			/* nothing left to take */
	for (unsigned i = 0; i < n; i++)
		if (v[i])
			tcp_close(v[i]);
	for (int i = 0; i < 3; i++)
		if (extra[i])
			tcp_close(extra[i]);
	net_unlock();
	free(v);
	KT_EQ(tw_full, 2);
	KT_ASSERT(extra[0] && extra[1]);
	KT_ASSERT(oldest_first);
	KT_EQ(tw_after[0], 1);
	KT_EQ(tw_after[1], 0);
	KT_ASSERT(extra[2] == NULL);
}

/* Above net_tw_max, each SYN trims the oldest TIME_WAIT pcbs (two at
   most), so the list lwIP walks for every SYN stays short. */
static void tw_cap_body(struct srv *s, unsigned *saved_max)
{
	struct ep c[2];
	for (int i = 0; i < 5; i++)
		KT_EQ(make_timewait(s, (uint16_t)(40021 + i)), 0);
	net_lock();
	unsigned n5 = tw_count();
	uint64_t trimmed0 = net_tw_stats.trimmed;
	*saved_max = net_tw_max;
	net_tw_max = 2;
	err_t err = cli_connect(&c[0], s, 40031);
	net_unlock();
	KT_EQ(n5, 5);
	KT_EQ(err, ERR_OK);
	KT_ASSERT(WAIT_UNTIL(c[0].connected, 2));
	net_lock();
	unsigned n_a = tw_count();
	bool newest_kept = tw_find(40023) && tw_find(40024) && tw_find(40025);
	err = cli_connect(&c[1], s, 40032);
	net_unlock();
	KT_EQ(err, ERR_OK);
	KT_ASSERT(WAIT_UNTIL(c[1].connected, 2));
	net_lock();
	unsigned n_b = tw_count();
	uint64_t trimmed = net_tw_stats.trimmed - trimmed0;
	ep_close(&c[0]);
	ep_close(&c[1]);
	net_unlock();
	KT_EQ(n_a, 3);
	KT_ASSERT(newest_kept);
	KT_EQ(n_b, 2);
	KT_EQ(trimmed, 3);
}

KTEST(lwip, timewait_cap)
{
	struct srv s;
	tw_clear();
	KT_ASSERT(srv_start(&s, 7004));
	unsigned saved = 0;
	tw_cap_body(&s, &saved);
	net_lock();
	if (saved)
		net_tw_max = saved;
	net_unlock();
	srv_stop(&s);
}

/* The net lock serializes across CPUs: a plain counter incremented under
   it from every CPU at once loses nothing. */
struct lock_job {
	uint64_t *counter;
	struct waitgroup *wg;
	bool held_inside, held_outside;
};

enum { LOCK_ROUNDS = 20000 };

static void lock_task(void *arg)
{
	struct lock_job *j = arg;
	for (int i = 0; i < LOCK_ROUNDS; i++) {
		net_lock();
		if (!net_lock_held())
			j->held_inside = false;
		uint64_t v = *j->counter;
		cpu_relax();
		*j->counter = v + 1;
		net_unlock();
		if (net_lock_held())
			j->held_outside = true;
	}
	wg_done(j->wg);
}

KTEST(lwip, lock_serializes_cpus)
{
	static uint64_t counter;
	static struct lock_job jobs[MAX_CPUS];	/* static: outlive a failure */
	static struct waitgroup wg = WAITGROUP_INIT;
	unsigned n = ncpus_online;
	counter = 0;
	struct net_lock_stats s0 = net_lock_stats_get();
	wg_add(&wg, n);
	for (unsigned i = 0; i < n; i++) {
		jobs[i] = (struct lock_job){ &counter, &wg, true, false };
		struct task_attr a = { "netlock", 0, (int)i };
		KT_ASSERT(task_spawn(&a, lock_task, &jobs[i]));
	}
	KT_EQ(wg_wait_timeout(&wg, 20000000000ull), 0);
	struct net_lock_stats s1 = net_lock_stats_get();
	KT_EQ(counter, (uint64_t)n * LOCK_ROUNDS);
	for (unsigned i = 0; i < n; i++) {
		KT_ASSERT(jobs[i].held_inside);
		KT_ASSERT(!jobs[i].held_outside);
	}
	KT_ASSERT(s1.acquired - s0.acquired >= (uint64_t)n * LOCK_ROUNDS);
	KT_ASSERT(!net_lock_held());
}

/* net_timers_poll runs lwIP's timers when due, and never promises to
   sleep longer than 250 ms. */
KTEST(lwip, timers_poll)
{
	uint64_t r0 = net_timers_rounds();
	uint64_t t0 = time_ns(), late = 0;
	while (time_ns() - t0 < 300000000ull) {
		net_timers_poll();
		uint64_t now = time_ns(), next = net_timers_next_ns();
		if (next > now + 250000000ull)
			late++;
		task_sleep(ms(5));
	}
	uint64_t r1 = net_timers_rounds();
	KT_EQ(late, 0);
	KT_ASSERT(r1 - r0 >= 1);
	/* due times in 300 ms: the TCP timer twice, DHCP's fine timer, ARP
	   and reassembly: a few rounds, not one per call */
	KT_ASSERT(r1 - r0 <= 10);
}
