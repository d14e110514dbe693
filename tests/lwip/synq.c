/*
 * tests/lwip/synq.c — the SYN queue of net/lwip/patches/0005 (suite SYNQ):
 * a listener's half-open pcbs in a FIFO, the oldest evicted by a SYN that
 * finds the queue full.
 *
 * Weft's own tests, run with lwIP's suite (tests/lwip/select.c adds the
 * suite to lwIP's runner) on its TCP test helpers (tcp/tcp_helper.c): SYNs
 * and ACKs are built as segments and go through tcp_input, as a peer's
 * would. After every step the queue is checked whole (check_synq): walked
 * both ways, its links agree, each entry is a SYN_RCVD pcb of that
 * listener with TF_BACKLOGPEND, in the order the SYNs came, and it holds
 * exactly the listener's SYN_RCVD pcbs on tcp_active_pcbs, so its length
 * is accepts_pending less the accepts the test delayed. Every way out of
 * SYN_RCVD is taken once: the handshake's ACK, RST, tcp_close, tcp_abort,
 * tcp_slowtmr's timeout, eviction, tcp_kill_prio (the pool empty), the
 * listener closed with pcbs pending. A pcb left on a queue after it was
 * freed fails lwIP's tcp_free assertion (the patch's), which fails the
 * test (tests/lwip/port.c); pool memory is not malloc'd per pcb, so a
 * stale link would not be found by ASan alone: the listener-closed test
 * therefore opens a new listener, which takes the freed one's slot, and
 * checks its queue holds only its own pcb.
 */
#include <check.h>
#include <string.h>
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "tcp/tcp_helper.h"

Suite *weft_synq_suite(void);

#define MAXQ 16

static struct netif netif;
static struct test_tcp_txcounters tx;
static struct netif *saved_netif_list, *saved_netif_default;
static struct tcp_pcb *accepted[MAXQ];
static int n_accepted;
static int delay_accepts;	/* the accept callback calls tcp_backlog_delayed */
static u16_t lport;		/* the listener's port */

static void synq_setup(void)
{
	saved_netif_list = netif_list;
	saved_netif_default = netif_default;
	netif_list = NULL;
	netif_default = NULL;
	test_tcp_init_netif(&netif, &tx, &test_local_ip, &test_netmask);
	n_accepted = 0;
	delay_accepts = 0;
}

static void synq_teardown(void)
{
	while (tcp_listen_pcbs.listen_pcbs != NULL)	/* tcp_remove_all aborts, not closes */
		ck_assert_int_eq(tcp_close((struct tcp_pcb *)tcp_listen_pcbs.listen_pcbs), ERR_OK);
	tcp_remove_all();
	netif_list = saved_netif_list;
	netif_default = saved_netif_default;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	ck_assert_int_lt(n_accepted, MAXQ);
	accepted[n_accepted++] = pcb;
	if (delay_accepts)
		tcp_backlog_delayed(pcb);
	return ERR_OK;
}

static struct tcp_pcb_listen *listener(u16_t port, u16_t backlog, u8_t prio)
{
	struct tcp_pcb *pcb = tcp_new();
	ck_assert_ptr_nonnull(pcb);
	tcp_setprio(pcb, prio);
	ck_assert_int_eq(tcp_bind(pcb, &netif.ip_addr, port), ERR_OK);
	lport = port;
	struct tcp_pcb *l = tcp_listen_with_backlog(pcb, backlog);
	ck_assert_ptr_nonnull(l);
	tcp_accept(l, on_accept);
	return (struct tcp_pcb_listen *)l;
}

static ip_addr_t peer(void)
{
	ip_addr_t a;
	ip_addr_set_ip4_u32_val(a, lwip_htonl(lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&netif.ip_addr))) + 1));
	return a;
}

/* A SYN from the peer's port sport to the last listener's port. */
static void syn(u16_t sport)
{
	ip_addr_t src = peer();
	struct pbuf *p = tcp_create_segment(&src, &netif.ip_addr, sport, lport, NULL, 0,
					    1000u * sport, 0, TCP_SYN);
	ck_assert_ptr_nonnull(p);
	test_tcp_input(p, &netif);
}

/* A segment from the peer on pcb's connection (the handshake's ACK is
   ackoff 1: the SYN-ACK's sequence number plus one). */
static void segment(struct tcp_pcb *pcb, u32_t ackoff, u8_t flags)
{
	struct pbuf *p = tcp_create_rx_segment(pcb, NULL, 0, 0, ackoff, flags);
	ck_assert_ptr_nonnull(p);
	test_tcp_input(p, &netif);
}

/* The active pcb of the connection from the peer's port sport, or NULL
   (each test gives each connection a port of its own). */
static struct tcp_pcb *conn(u16_t sport)
{
	for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next)
		if (p->remote_port == sport)
			return p;
	return NULL;
}

/* The queue checked whole, and equal to the peer ports `want` (oldest
   first); delayed: accepts_pending's part that is not on the queue. */
static void check_synq(const struct tcp_pcb_listen *l, const u16_t *want, int n, int delayed)
{
	int len = 0;
	const struct tcp_pcb *prev = NULL;
	for (const struct tcp_pcb *p = l->synq_head; p != NULL; prev = p, p = p->synq_next) {
		ck_assert_int_lt(len, n);
		ck_assert_ptr_eq(p->synq_prev, prev);
		ck_assert_int_eq(p->state, SYN_RCVD);
		ck_assert_ptr_eq(p->listener, l);
		ck_assert(p->flags & TF_BACKLOGPEND);
		ck_assert_int_eq(p->remote_port, want[len]);
		len++;
	}
	ck_assert_ptr_eq(l->synq_tail, prev);
	ck_assert_int_eq(len, n);
	int half_open = 0;
	for (const struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next)
		if (p->state == SYN_RCVD && p->listener == l)
			half_open++;
	ck_assert_int_eq(half_open, n);
	ck_assert_int_eq(l->accepts_pending, n + delayed);
}

/* A pcb off every queue. */
static void check_off(const struct tcp_pcb *p)
{
	ck_assert_ptr_null(p->synq_prev);
	ck_assert_ptr_null(p->synq_next);
}

static void slow_ticks(int n)
{
	while (n-- > 0)
		tcp_slowtmr();
}

/* A full queue evicts its oldest half-open pcb for each new SYN, which is
   answered; the pool holds no more pcbs than the queue. */
START_TEST(test_synq_evicts_oldest)
{
	struct tcp_pcb_listen *l = listener(80, 4, TCP_PRIO_NORMAL);
	u32_t evicted = tcp_listen_evictions;
	for (u16_t s = 1000; s < 1004; s++)
		syn(s);
	check_synq(l, (const u16_t[]){1000, 1001, 1002, 1003}, 4, 0);
	ck_assert_uint_eq(tx.num_tx_calls, 4);
	ck_assert_uint_eq(tcp_listen_evictions, evicted);

	syn(1004);
	check_synq(l, (const u16_t[]){1001, 1002, 1003, 1004}, 4, 0);
	ck_assert_ptr_null(conn(1000));
	ck_assert_uint_eq(tcp_listen_evictions, evicted + 1);
	ck_assert_uint_eq(tx.num_tx_calls, 5);	/* 1004's SYN-ACK; 1000 got no RST */

	/* a timer tick between SYNs leaves the order as it is */
	slow_ticks(1);
	syn(1005);
	syn(1006);
	check_synq(l, (const u16_t[]){1003, 1004, 1005, 1006}, 4, 0);
	ck_assert_uint_eq(tcp_listen_evictions, evicted + 3);
	ck_assert_int_eq(MEMP_STATS_GET(used, MEMP_TCP_PCB), 4);
}
END_TEST

/* Each way out of SYN_RCVD but eviction takes the pcb off the queue: the
   handshake's ACK, RST, tcp_close, tcp_abort, the SYN_RCVD timeout. */
START_TEST(test_synq_leaves_on_every_exit)
{
	struct tcp_pcb_listen *l = listener(80, 8, TCP_PRIO_NORMAL);
	for (u16_t s = 2000; s < 2006; s++)
		syn(s);
	check_synq(l, (const u16_t[]){2000, 2001, 2002, 2003, 2004, 2005}, 6, 0);

	/* the middle one completes its handshake */
	struct tcp_pcb *p = conn(2002);
	segment(p, 1, TCP_ACK);
	ck_assert_int_eq(n_accepted, 1);
	ck_assert_ptr_eq(accepted[0], p);
	ck_assert_int_eq(p->state, ESTABLISHED);
	check_off(p);
	check_synq(l, (const u16_t[]){2000, 2001, 2003, 2004, 2005}, 5, 0);

	/* the head is reset by its peer */
	segment(conn(2000), 0, TCP_RST);
	ck_assert_ptr_null(conn(2000));
	check_synq(l, (const u16_t[]){2001, 2003, 2004, 2005}, 4, 0);

	/* the tail is closed (a FIN for the SYN_RCVD pcb: FIN_WAIT_1) */
	p = conn(2005);
	ck_assert_int_eq(tcp_close(p), ERR_OK);
	ck_assert_int_eq(p->state, FIN_WAIT_1);
	check_off(p);
	check_synq(l, (const u16_t[]){2001, 2003, 2004}, 3, 0);

	/* one in the middle is aborted */
	tcp_abort(conn(2003));
	ck_assert_ptr_null(conn(2003));
	check_synq(l, (const u16_t[]){2001, 2004}, 2, 0);

	/* the rest time out (TCP_SYN_RCVD_TIMEOUT, or TCP_SYNMAXRTX first) */
	slow_ticks(TCP_SYN_RCVD_TIMEOUT / TCP_SLOW_INTERVAL + 2);
	ck_assert_ptr_null(conn(2001));
	ck_assert_ptr_null(conn(2004));
	check_synq(l, NULL, 0, 0);
	ck_assert_ptr_null(l->synq_head);

	/* and the queue works on */
	syn(2006);
	check_synq(l, (const u16_t[]){2006}, 1, 0);
}
END_TEST

/* Accepts the application delays count in accepts_pending but are not on
   the queue: the SYN_RCVD pcb is evicted; with delayed accepts only, the
   SYN is dropped (nothing to evict). */
START_TEST(test_synq_delayed_accepts)
{
	struct tcp_pcb_listen *l = listener(80, 2, TCP_PRIO_NORMAL);
	delay_accepts = 1;
	u32_t evicted = tcp_listen_evictions;
	syn(3000);
	segment(conn(3000), 1, TCP_ACK);
	ck_assert_int_eq(n_accepted, 1);
	check_off(accepted[0]);
	syn(3001);
	check_synq(l, (const u16_t[]){3001}, 1, 1);

	syn(3002);	/* full: 3001 goes */
	ck_assert_uint_eq(tcp_listen_evictions, evicted + 1);
	ck_assert_ptr_null(conn(3001));
	check_synq(l, (const u16_t[]){3002}, 1, 1);

	segment(conn(3002), 1, TCP_ACK);
	ck_assert_int_eq(n_accepted, 2);
	check_synq(l, NULL, 0, 2);
	syn(3003);	/* full of delayed accepts: dropped */
	ck_assert_ptr_null(conn(3003));
	ck_assert_uint_eq(tcp_listen_evictions, evicted + 1);
	check_synq(l, NULL, 0, 2);

	tcp_backlog_accepted(accepted[0]);
	syn(3004);
	check_synq(l, (const u16_t[]){3004}, 1, 1);
}
END_TEST

/* The listener closes with pcbs on its queue: they leave it, lose their
   listener, and later die without touching it (a handshake's ACK now
   aborts the pcb, the rest time out); a new listener, in the freed
   listener's place in the pool, starts with an empty queue. */
START_TEST(test_synq_listener_closed)
{
	struct tcp_pcb_listen *l = listener(80, 4, TCP_PRIO_NORMAL);
	for (u16_t s = 4000; s < 4003; s++)
		syn(s);
	check_synq(l, (const u16_t[]){4000, 4001, 4002}, 3, 0);
	struct tcp_pcb *p[3] = {conn(4000), conn(4001), conn(4002)};
	ck_assert_int_eq(tcp_close((struct tcp_pcb *)l), ERR_OK);
	ck_assert_int_eq(MEMP_STATS_GET(used, MEMP_TCP_PCB_LISTEN), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(p[i]->state, SYN_RCVD);
		ck_assert_ptr_null(p[i]->listener);
		check_off(p[i]);
	}

	/* port 81: the half-open pcbs still hold port 80 (no SO_REUSE) */
	struct tcp_pcb_listen *l2 = listener(81, 4, TCP_PRIO_NORMAL);
	ck_assert_ptr_eq(l2, l);	/* the pool's free list gives the slot back */
	ck_assert_ptr_null(l2->synq_head);
	ck_assert_ptr_null(l2->synq_tail);
	syn(4010);
	check_synq(l2, (const u16_t[]){4010}, 1, 0);

	segment(p[1], 1, TCP_ACK);	/* no listener: aborted (RST) */
	ck_assert_ptr_null(conn(4001));
	ck_assert_int_eq(n_accepted, 0);
	check_synq(l2, (const u16_t[]){4010}, 1, 0);
	slow_ticks(TCP_SYN_RCVD_TIMEOUT / TCP_SLOW_INTERVAL + 2);
	ck_assert_ptr_null(conn(4000));
	ck_assert_ptr_null(conn(4002));
	ck_assert_ptr_null(conn(4010));
	check_synq(l2, NULL, 0, 0);
	ck_assert_int_eq(MEMP_STATS_GET(used, MEMP_TCP_PCB), 0);
}
END_TEST

/* The pcb pool runs out: tcp_alloc kills the oldest pcb of a lower
   priority (tcp_kill_prio), here half-open ones, which leave the queue. */
static struct tcp_pcb *filler[MEMP_NUM_TCP_PCB];

START_TEST(test_synq_killed_for_memory)
{
	struct tcp_pcb_listen *l = listener(80, 8, 10);	/* its pcbs: priority 10 */
	for (u16_t s = 5000; s < 5003; s++)
		syn(s);
	check_synq(l, (const u16_t[]){5000, 5001, 5002}, 3, 0);
	int n = 0;
	while (MEMP_STATS_GET(used, MEMP_TCP_PCB) < MEMP_STATS_GET(avail, MEMP_TCP_PCB)) {
		ck_assert_int_lt(n, MEMP_NUM_TCP_PCB);
		filler[n] = tcp_new();	/* TCP_PRIO_NORMAL */
		ck_assert_ptr_nonnull(filler[n]);
		n++;
	}
	check_synq(l, (const u16_t[]){5000, 5001, 5002}, 3, 0);
	for (int k = 1; k <= 3; k++) {
		filler[n] = tcp_new();	/* the pool is full: one half-open pcb dies */
		ck_assert_ptr_nonnull(filler[n]);
		n++;
		int left = 0;
		u16_t want[3];
		for (u16_t s = 5000; s < 5003; s++)
			if (conn(s) != NULL)
				want[left++] = s;
		ck_assert_int_eq(left, 3 - k);
		check_synq(l, want, left, 0);
	}
	while (n > 0)
		ck_assert_int_eq(tcp_close(filler[--n]), ERR_OK);
	syn(5003);
	check_synq(l, (const u16_t[]){5003}, 1, 0);
}
END_TEST

Suite *weft_synq_suite(void)
{
	testfunc tests[] = {
		TESTFUNC(test_synq_evicts_oldest),
		TESTFUNC(test_synq_leaves_on_every_exit),
		TESTFUNC(test_synq_delayed_accepts),
		TESTFUNC(test_synq_listener_closed),
		TESTFUNC(test_synq_killed_for_memory),
	};
	return create_suite("SYNQ", tests, sizeof(tests) / sizeof(tests[0]), synq_setup, synq_teardown);
}
