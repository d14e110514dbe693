/*
 * tests/guest/test_udp.c — UDP sockets (net/udp.h) over loopback, IPv4
 * and IPv6: datagrams with their sender, the bounded queue and its drop
 * counts, truncation, deadlines (set while blocked), close from another
 * task, many readers on one socket, write errors.
 */
#include <errno.h>
#include <string.h>
#include "lwip/netif.h"
#include "net/conn.h"
#include "net/netlock.h"
#include "net/udp.h"
#include "runtime/runtime.h"
#include "tests/guest/ktest.h"

static const uint8_t lo6[16] = { [15] = 1 };

static struct net_addr to_port(const struct net_addr *a, uint16_t port)
{
	struct net_addr r = *a;
	r.port = port;
	return r;
}

/* Client to server and back on loopback of a's family. */
static void echo_once(const struct net_addr *lo, uint16_t port)
{
	struct udp_sock *srv, *cli;
	KT_EQ(net_listen_udp(port, &srv), 0);
	KT_EQ(net_listen_udp(0, &cli), 0);
	struct net_addr me;
	KT_EQ(udp_local(cli, &me), 0);
	KT_ASSERT(me.port != 0);
	struct net_addr dst = to_port(lo, port);
	KT_EQ(udp_write_to(cli, "hello", 5, &dst), 5);
	char buf[64];
	struct net_addr from;
	udp_set_read_deadline(srv, time_ns() + ms(2000));
	KT_EQ(udp_read_from(srv, buf, sizeof buf, &from), 5);
	KT_ASSERT(!memcmp(buf, "hello", 5));
	KT_EQ(from.family, lo->family);
	KT_ASSERT(net_ip_equal(&from, lo));
	KT_EQ(from.port, me.port);
	KT_EQ(udp_write_to(srv, "world!", 6, &from), 6);
	udp_set_read_deadline(cli, time_ns() + ms(2000));
	KT_EQ(udp_read_from(cli, buf, sizeof buf, &from), 6);
	KT_EQ(from.port, port);
	/* empty datagrams are datagrams */
	KT_EQ(udp_write_to(cli, "", 0, &dst), 0);
	KT_EQ(udp_read_from(srv, buf, sizeof buf, NULL), 0);
	udp_close(cli);
	udp_close(srv);
}

KTEST(udp, echo_ipv4)
{
	struct net_addr lo = net_addr_ip4(127, 0, 0, 1, 0);
	struct net_conn_stats s0, s1;
	net_conn_stats(&s0);
	echo_once(&lo, 7401);
	net_conn_stats(&s1);
	KT_EQ(s1.udp_open, s0.udp_open);
	KT_ASSERT(s1.udp_rx - s0.udp_rx == 3 && s1.udp_tx - s0.udp_tx == 3);
}

KTEST(udp, echo_ipv6)
{
	struct net_addr lo = net_addr_ip6(lo6, 0, 0);
	echo_once(&lo, 7402);
}

KTEST(udp, queue_bound_drops)
{
	struct udp_sock *srv, *cli;
	KT_EQ(net_listen_udp(7403, &srv), 0);
	KT_EQ(net_listen_udp(0, &cli), 0);
	KT_EQ(udp_set_queue_limit(srv, 8), 0);
	KT_EQ(udp_set_queue_limit(srv, 0), -EINVAL);
	struct net_conn_stats s0, s1;
	net_conn_stats(&s0);
	struct net_addr dst = net_addr_ip4(127, 0, 0, 1, 7403);
	for (int i = 0; i < 20; i++) {
		uint8_t b = (uint8_t)i;
		KT_EQ(udp_write_to(cli, &b, 1, &dst), 1);
		task_yield();		/* loopback delivers at the unlock */
	}
	task_sleep(ms(20));
	struct udp_sock_stats st;
	udp_sock_stats(srv, &st);
	KT_EQ(st.queued, 8);
	KT_EQ(st.rx_dropped, 12);
	net_conn_stats(&s1);
	KT_EQ(s1.udp_rx_dropped - s0.udp_rx_dropped, 12);
	/* the first 8 in order, then nothing */
	for (int i = 0; i < 8; i++) {
		uint8_t b;
		KT_EQ(udp_read_from(srv, &b, 1, NULL), 1);
		KT_EQ(b, i);
	}
	udp_set_read_deadline(srv, time_ns() + ms(50));
	uint8_t b;
	KT_EQ(udp_read_from(srv, &b, 1, NULL), -ETIMEDOUT);
	udp_close(cli);
	udp_close(srv);
}

KTEST(udp, truncates_long_datagrams)
{
	struct udp_sock *srv, *cli;
	KT_EQ(net_listen_udp(7404, &srv), 0);
	KT_EQ(net_listen_udp(0, &cli), 0);
	static uint8_t big[8000], got[8000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7);
	struct net_addr dst = net_addr_ip4(127, 0, 0, 1, 7404);
	KT_EQ(udp_write_to(cli, big, sizeof big, &dst), (long long)sizeof big);	/* fragments */
	KT_EQ(udp_write_to(cli, "next", 4, &dst), 4);
	udp_set_read_deadline(srv, time_ns() + ms(2000));
	KT_EQ(udp_read_from(srv, got, 100, NULL), 100);
	KT_ASSERT(!memcmp(got, big, 100));
	KT_EQ(udp_read_from(srv, got, sizeof got, NULL), 4);	/* the rest was dropped */
	KT_ASSERT(!memcmp(got, "next", 4));
	KT_EQ(udp_write_to(cli, big, UDP_MAX_PAYLOAD + 1, &dst), -EMSGSIZE);
	udp_close(cli);
	udp_close(srv);
}

KTEST(udp, write_errors)
{
	struct udp_sock *s, *t;
	KT_EQ(net_listen_udp(7405, &s), 0);
	KT_EQ(net_listen_udp(7405, &t), -EADDRINUSE);
	struct net_addr a = net_addr_ip4(127, 0, 0, 1, 0);
	KT_EQ(udp_write_to(s, "x", 1, &a), -EINVAL);		/* port 0 */
	struct net_addr none = { 0 };
	KT_EQ(udp_write_to(s, "x", 1, &none), -EINVAL);
	net_lock();
	bool nic = netif_default != NULL;
	net_unlock();
	if (!nic) {
		struct net_addr far = net_addr_ip4(10, 1, 2, 3, 53);
		KT_EQ(udp_write_to(s, "x", 1, &far), -ENETUNREACH);
	}
	udp_set_write_deadline(s, time_ns() - 1);
	struct net_addr lo = net_addr_ip4(127, 0, 0, 1, 7405);
	KT_EQ(udp_write_to(s, "x", 1, &lo), -ETIMEDOUT);
	udp_close(s);
	KT_EQ(net_listen_udp(7405, &t), 0);			/* the port is free again */
	udp_close(t);
}

struct reader {
	struct udp_sock *s;
	ssize_t r;
	uint64_t took;
	int got;
	struct waitgroup *wg;
};

static void read_one(void *arg)
{
	struct reader *r = arg;
	uint8_t b[8];
	uint64_t t0 = time_ns();
	r->r = udp_read_from(r->s, b, sizeof b, NULL);
	r->took = time_ns() - t0;
	udp_release(r->s);		/* its reference, not the socket */
	wg_done(r->wg);
}

KTEST(udp, deadline_and_close_while_blocked)
{
	static struct reader r;
	static struct waitgroup wg = WAITGROUP_INIT;
	struct udp_sock *s;
	KT_EQ(net_listen_udp(7406, &s), 0);
	/* a deadline set while the read is blocked */
	r = (struct reader){ .s = udp_ref(s), .r = 1, .wg = &wg };
	wg_add(&wg, 1);
	go(read_one, &r);
	task_sleep(ms(50));
	KT_EQ(r.r, 1);
	udp_set_read_deadline(s, time_ns() + ms(100));
	KT_EQ(wg_wait_timeout(&wg, ms(2000)), 0);
	KT_EQ(r.r, -ETIMEDOUT);
	KT_ASSERT(r.took >= ms(140) && r.took < ms(1000));
	/* a close from this task wakes the blocked reader */
	udp_set_read_deadline(s, 0);
	r = (struct reader){ .s = udp_ref(s), .r = 1, .wg = &wg };
	wg_add(&wg, 1);
	go(read_one, &r);
	task_sleep(ms(50));
	KT_EQ(r.r, 1);
	struct net_conn_stats st;
	net_conn_stats(&st);
	uint64_t open = st.udp_open;
	udp_close(s);
	KT_EQ(wg_wait_timeout(&wg, ms(2000)), 0);
	KT_EQ(r.r, -EBADF);
	net_conn_stats(&st);
	KT_EQ(st.udp_open, open - 1);
}

struct many {
	struct udp_sock *s;
	int counts[100];
	int total;
	struct waitgroup wg;
};

static void many_reader(void *arg)
{
	struct many *m = arg;
	for (;;) {
		uint8_t b;
		ssize_t n = udp_read_from(m->s, &b, 1, NULL);
		if (n != 1)
			break;
		a_fetch_add(&m->counts[b], 1);
		a_fetch_add(&m->total, 1);
	}
	udp_release(m->s);
	wg_done(&m->wg);
}

/* Four tasks on one socket: every datagram is read exactly once. */
KTEST(udp, many_readers)
{
	static struct many m;
	struct udp_sock *s, *cli;
	KT_EQ(net_listen_udp(7407, &s), 0);
	KT_EQ(net_listen_udp(0, &cli), 0);
	memset(&m, 0, sizeof m);
	m.s = s;
	m.wg = (struct waitgroup)WAITGROUP_INIT;
	wg_add(&m.wg, 4);
	for (int i = 0; i < 4; i++) {
		udp_ref(s);		/* each reader's own, given back as it ends */
		go(many_reader, &m);
	}
	struct net_addr dst = net_addr_ip4(127, 0, 0, 1, 7407);
	for (int i = 0; i < 100; i++) {
		uint8_t b = (uint8_t)i;
		KT_EQ(udp_write_to(cli, &b, 1, &dst), 1);
		if (i % 8 == 7)
			task_yield();
	}
	uint64_t dl = time_ns() + ms(3000);
	while (a_load(&m.total) < 100 && time_ns() < dl)
		task_sleep(ms(5));
	udp_close(s);			/* wakes the readers: -EBADF */
	KT_EQ(wg_wait_timeout(&m.wg, ms(2000)), 0);
	udp_close(cli);
	KT_EQ(m.total, 100);
	for (int i = 0; i < 100; i++)
		KT_EQ(m.counts[i], 1);
}
