/*
 * tests/guest/test_conn.c — the connection API (net/conn.h) over
 * loopback, IPv4 and IPv6: dial by address and by name, the addresses
 * each end reports, dial errors (refused, bad address, no route, timed
 * out), a dual-stack listener, Go's deadline semantics (a deadline moved
 * while a read or write is blocked applies to it) and close from another
 * task (a blocked read or write returns -EBADF; the last reference frees
 * the connection).
 *
 * test=all runs without a NIC, so only loopback is routed: the no-route
 * cases rely on that (conn.no_route says so when a NIC is there).
 */
#include <errno.h>
#include <string.h>
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "net/conn.h"
#include "net/netlock.h"
#include "runtime/runtime.h"
#include "tests/guest/ktest.h"

/* A connected pair over loopback: *cl dialed `addr`, *sv accepted on
   `port`'s listener (closed again). 0, or the step that failed. */
static int pair(const char *addr, uint16_t port, struct conn **cl, struct conn **sv)
{
	struct listener *l;
	if (net_listen(port, 16, &l))
		return 1;
	int r = net_dial("tcp", addr, time_ns() + ms(2000), cl) ? 2 : 0;
	if (!r && net_accept_until(l, sv, time_ns() + ms(2000))) {
		conn_close(*cl);
		r = 3;
	}
	net_listener_close(l);
	return r;
}

static bool is_ip(const struct net_addr *a, const char *ip)
{
	char s[NET_ADDR_STRLEN];
	return net_ip_format(a, s, sizeof s) > 0 && !strcmp(s, ip);
}

static uint64_t open_conns(void)
{
	struct net_conn_stats st;
	net_conn_stats(&st);
	return st.open;
}

/* Both ways, and the addresses each end reports. */
static void exchange(struct conn *cl, struct conn *sv, const char *ip, uint16_t port)
{
	char buf[16];
	KT_EQ(conn_write(cl, "ping", 4), 4);
	KT_EQ(conn_read(sv, buf, sizeof buf), 4);
	KT_ASSERT(!memcmp(buf, "ping", 4));
	KT_EQ(conn_write(sv, "pong!", 5), 5);
	KT_EQ(conn_read(cl, buf, sizeof buf), 5);
	struct net_addr cp, cl_local, sp, sv_local;
	KT_EQ(conn_peer(cl, &cp), 0);
	KT_EQ(conn_local(cl, &cl_local), 0);
	KT_EQ(conn_peer(sv, &sp), 0);
	KT_EQ(conn_local(sv, &sv_local), 0);
	KT_ASSERT(is_ip(&cp, ip) && is_ip(&sp, ip) && is_ip(&cl_local, ip) && is_ip(&sv_local, ip));
	KT_EQ(cp.port, port);
	KT_EQ(sv_local.port, port);
	KT_ASSERT(cl_local.port != 0);
	KT_ASSERT(net_addr_equal(&cl_local, &sp));	/* the same endpoint seen from both ends */
}

KTEST(conn, dial_ipv4)
{
	struct conn *cl, *sv;
	uint64_t open0 = open_conns();
	KT_EQ(pair("127.0.0.1:7301", 7301, &cl, &sv), 0);
	exchange(cl, sv, "127.0.0.1", 7301);
	struct net_addr a;
	conn_peer(sv, &a);
	KT_EQ(a.family, NET_AF_INET);		/* not a mapped IPv6 address */
	conn_close(cl);
	conn_close(sv);
	KT_EQ(open_conns(), open0);
}

KTEST(conn, dial_ipv6)
{
	struct conn *cl, *sv;
	KT_EQ(pair("[::1]:7302", 7302, &cl, &sv), 0);
	exchange(cl, sv, "::1", 7302);
	char s[NET_ADDR_STRLEN];
	struct net_addr a;
	conn_local(sv, &a);
	net_addr_format(&a, s, sizeof s);
	KT_ASSERT(!strcmp(s, "[::1]:7302"));
	conn_close(cl);
	conn_close(sv);
}

/* One listener, both families. */
KTEST(conn, dual_stack_listener)
{
	struct listener *l;
	struct conn *c4, *c6, *s4, *s6;
	KT_EQ(net_listen(7303, 16, &l), 0);
	KT_EQ(net_dial("tcp4", "127.0.0.1:7303", time_ns() + ms(2000), &c4), 0);
	KT_EQ(net_dial("tcp6", "[::1]:7303", time_ns() + ms(2000), &c6), 0);
	KT_EQ(net_accept_until(l, &s4, time_ns() + ms(2000)), 0);
	KT_EQ(net_accept_until(l, &s6, time_ns() + ms(2000)), 0);
	struct net_addr p4, p6;
	conn_peer(s4, &p4);
	conn_peer(s6, &p6);
	net_listener_close(l);
	KT_EQ(p4.family, NET_AF_INET);
	KT_EQ(p6.family, NET_AF_INET6);
	conn_close(c4);
	conn_close(c6);
	conn_close(s4);
	conn_close(s6);
}

KTEST(conn, dial_localhost_name)
{
	struct conn *cl, *sv;
	KT_EQ(pair("localhost:7304", 7304, &cl, &sv), 0);
	struct net_addr a;
	conn_peer(cl, &a);
	KT_ASSERT(net_ip_is_loopback(&a));
	conn_close(cl);
	conn_close(sv);
}

KTEST(conn, dial_refused)
{
	struct conn *c;
	uint64_t t0 = time_ns();
	KT_EQ(net_dial("tcp", "127.0.0.1:7399", time_ns() + ms(2000), &c), -ECONNREFUSED);
	KT_EQ(net_dial("tcp", "[::1]:7399", time_ns() + ms(2000), &c), -ECONNREFUSED);
	KT_ASSERT(time_ns() - t0 < ms(1000));		/* a reset, not a timeout */
	struct net_conn_stats st;
	net_conn_stats(&st);
	KT_ASSERT(st.dial_errors >= 2);
}

KTEST(conn, dial_bad_address)
{
	struct conn *c;
	static const char *bad[] = { "1.2.3:80", "localhost", "[::1]", "127.0.0.1:0",
				     "127.0.0.1:65536", "::1:80", "a..b:80", "127.0.0.1:http" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (net_dial("tcp", bad[i], time_ns() + ms(1000), &c) != -EINVAL)
			ktest_fail(__FILE__, __LINE__, "net_dial(\"%s\") is not -EINVAL", bad[i]);
	KT_EQ(net_dial("udp", "127.0.0.1:80", 0, &c), -EINVAL);
	KT_EQ(net_dial("tcp4", "[::1]:80", 0, &c), -EINVAL);	/* wrong family */
	KT_EQ(net_dial("tcp6", "127.0.0.1:80", 0, &c), -EINVAL);
	struct net_addr a = net_addr_ip4(127, 0, 0, 1, 0);
	KT_EQ(net_dial_addr(&a, 0, &c), -EINVAL);
}

KTEST(conn, no_route)
{
	struct conn *c;
	net_lock();
	bool nic = netif_default != NULL;
	net_unlock();
	if (nic) {
		ktest_fail(__FILE__, __LINE__, "needs a guest without a NIC (as test=all runs)");
		return;
	}
	uint64_t t0 = time_ns();
	KT_EQ(net_dial("tcp", "10.1.2.3:80", time_ns() + ms(2000), &c), -ENETUNREACH);
	KT_EQ(net_dial("tcp", "[2001:db8::1]:80", time_ns() + ms(2000), &c), -ENETUNREACH);
	KT_ASSERT(time_ns() - t0 < ms(100));		/* at once, no SYN sent */
}

/* A listener that takes one connection and keeps it pending: lwIP then
   drops further SYNs silently (its listen backlog), as a host that
   ignores them would. */
static err_t hold_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tcp_pcb **held = arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	tcp_backlog_delayed(pcb);
	*held = pcb;
	return ERR_OK;
}

KTEST(conn, dial_timeout)
{
	static struct tcp_pcb *held;
	held = NULL;
	net_lock();
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY), *lp = NULL;
	if (pcb && tcp_bind(pcb, IP_ANY_TYPE, 7305) == ERR_OK)
		lp = tcp_listen_with_backlog(pcb, 1);
	if (lp) {
		tcp_arg(lp, &held);
		tcp_accept(lp, hold_accept);
	}
	net_unlock();
	KT_ASSERT(lp);
	struct conn *first, *second;
	int r1 = net_dial("tcp", "127.0.0.1:7305", time_ns() + ms(2000), &first);
	uint64_t t0 = time_ns();
	int r2 = net_dial("tcp", "127.0.0.1:7305", time_ns() + ms(300), &second);
	uint64_t took = time_ns() - t0;
	net_lock();
	if (held) {
		tcp_arg(held, NULL);
		tcp_abort(held);
	}
	tcp_close(lp);
	net_unlock();
	if (r1 == 0)
		conn_close(first);
	KT_EQ(r1, 0);
	KT_EQ(r2, -ETIMEDOUT);			/* loopback: the next hop is known */
	KT_ASSERT(took >= ms(300) && took < ms(1500));
}

/* ---- deadlines while blocked ---- */

struct blocked {
	struct conn *c;
	ssize_t r;
	uint64_t t0, took;		/* took: from start_blocked's go() */
	bool write;			/* block in conn_write instead */
	struct waitgroup wg;
};

static void blocked_task(void *arg)
{
	struct blocked *b = arg;
	static uint8_t big[1 << 20];	/* more than loopback's window and send buffer */
	char buf[16];
	b->r = b->write ? conn_write(b->c, big, sizeof big) : conn_read(b->c, buf, sizeof buf);
	b->took = time_ns() - b->t0;
	wg_done(&b->wg);
}

static void start_blocked(struct blocked *b, struct conn *c, bool write)
{
	*b = (struct blocked){ .c = c, .r = 1, .write = write, .wg = WAITGROUP_INIT };
	wg_add(&b->wg, 1);
	/* Timed from here, not from when the task first runs: a deadline set
	   after the sleep below is then at least 50 ms past t0 however late
	   the task started (an overcommitted vCPU can start it late: the
	   kvm stage's overcommitted run once saw 250 ms for a 300 ms move). */
	b->t0 = time_ns();
	go(blocked_task, b);
	task_sleep(ms(50));		/* let it block */
}

KTEST(conn, read_deadline_set_while_blocked)
{
	static struct blocked b;
	struct conn *cl, *sv;
	KT_EQ(pair("127.0.0.1:7306", 7306, &cl, &sv), 0);
	/* no deadline; another task sets one 100 ms ahead */
	start_blocked(&b, sv, false);
	conn_set_read_deadline(sv, time_ns() + ms(100));
	KT_EQ(wg_wait_timeout(&b.wg, ms(2000)), 0);
	KT_EQ(b.r, -ETIMEDOUT);
	KT_ASSERT(b.took >= ms(140) && b.took < ms(1000));
	/* a deadline moved later while blocked: the read waits on */
	conn_set_read_deadline(sv, time_ns() + ms(100));
	start_blocked(&b, sv, false);
	conn_set_read_deadline(sv, time_ns() + ms(300));
	KT_EQ(wg_wait_timeout(&b.wg, ms(2000)), 0);
	KT_EQ(b.r, -ETIMEDOUT);
	KT_ASSERT(b.took >= ms(340));
	/* moved into the past: at once */
	conn_set_read_deadline(sv, 0);
	start_blocked(&b, sv, false);
	conn_set_read_deadline(sv, time_ns() - 1);
	KT_EQ(wg_wait_timeout(&b.wg, ms(2000)), 0);
	KT_EQ(b.r, -ETIMEDOUT);
	/* "at once": 50 ms of start_blocked plus the wake-up. A read nobody
	   woke would never end (the wait above); the bound is loose because a
	   vCPU of an overcommitted host (the kvm stage's overcommitted run)
	   can lose its CPU for a few hundred ms. */
	KT_ASSERT(b.took < ms(1000));
	/* a passed deadline fails reads even with data there; clearing it lets
	   the data through */
	KT_EQ(conn_write(cl, "x", 1), 1);
	task_sleep(ms(20));
	char c;
	KT_EQ(conn_read(sv, &c, 1), -ETIMEDOUT);
	/* cleared while blocked: waits for data. The deadline is 500 ms
	   ahead of the 50 ms start_blocked takes, so that a vCPU of an
	   overcommitted host that loses its CPU for a while still clears it
	   in time (with 100 ms, an overcommitted run saw it fire first). */
	conn_set_read_deadline(sv, time_ns() + ms(500));
	KT_EQ(conn_read(sv, &c, 1), 1);
	start_blocked(&b, sv, false);
	conn_set_read_deadline(sv, 0);
	task_sleep(ms(600));
	KT_EQ(b.r, 1);				/* still blocked past the old deadline */
	KT_EQ(conn_write(cl, "y", 1), 1);
	KT_EQ(wg_wait_timeout(&b.wg, ms(2000)), 0);
	KT_EQ(b.r, 1);
	conn_close(cl);
	conn_close(sv);
}

KTEST(conn, write_deadline_set_while_blocked)
{
	static struct blocked b;
	struct conn *cl, *sv;
	KT_EQ(pair("127.0.0.1:7307", 7307, &cl, &sv), 0);
	start_blocked(&b, cl, true);		/* the peer never reads */
	task_sleep(ms(100));
	KT_EQ(b.r, 1);				/* blocked */
	conn_set_write_deadline(cl, time_ns() + ms(100));
	KT_EQ(wg_wait_timeout(&b.wg, ms(2000)), 0);
	KT_EQ(b.r, -ETIMEDOUT);
	conn_close(cl);
	conn_close(sv);
}

/* ---- close from another task ---- */

KTEST(conn, close_wakes_blocked_reader)
{
	static struct blocked b;
	struct conn *cl, *sv;
	uint64_t open0 = open_conns();
	KT_EQ(pair("127.0.0.1:7308", 7308, &cl, &sv), 0);
	start_blocked(&b, conn_ref(sv), false);	/* the reader's own reference */
	conn_close(sv);				/* ours: ends it for both */
	KT_EQ(wg_wait_timeout(&b.wg, ms(2000)), 0);
	KT_EQ(b.r, -EBADF);
	KT_ASSERT(b.took < ms(1000));		/* at once (loose: see above) */
	/* still referenced by the reader: later calls fail, nothing freed */
	char c;
	struct net_addr a;
	KT_EQ(open_conns(), open0 + 2);
	KT_EQ(conn_read(sv, &c, 1), -EBADF);
	KT_EQ(conn_write(sv, "x", 1), -EBADF);
	KT_EQ(conn_shutdown_write(sv), -EBADF);
	KT_EQ(conn_peer(sv, &a), -ENOTCONN);
	conn_set_read_deadline(sv, time_ns());
	conn_close(sv);				/* the reader's reference: freed */
	KT_EQ(open_conns(), open0 + 1);
	/* the peer saw the close */
	conn_set_read_deadline(cl, time_ns() + ms(2000));
	KT_EQ(conn_read(cl, &c, 1), 0);
	conn_close(cl);
	KT_EQ(open_conns(), open0);
}

KTEST(conn, abort_wakes_blocked_writer)
{
	static struct blocked b;
	struct conn *cl, *sv;
	KT_EQ(pair("127.0.0.1:7309", 7309, &cl, &sv), 0);
	start_blocked(&b, conn_ref(cl), true);
	task_sleep(ms(100));
	KT_EQ(b.r, 1);
	conn_abort(cl);
	KT_EQ(wg_wait_timeout(&b.wg, ms(2000)), 0);
	KT_EQ(b.r, -EBADF);
	conn_close(cl);
	/* the peer was reset */
	char buf[4096];
	conn_set_read_deadline(sv, time_ns() + ms(2000));
	ssize_t r;
	while ((r = conn_read(sv, buf, sizeof buf)) > 0)
		;
	KT_EQ(r, -ECONNRESET);
	conn_close(sv);
}

/* conn_release gives a reference back and leaves the connection to the
   other holders; the last one given back closes it. */
KTEST(conn, release_keeps_it_open)
{
	struct conn *cl, *sv;
	uint64_t open0 = open_conns();
	KT_EQ(pair("127.0.0.1:7310", 7310, &cl, &sv), 0);
	conn_ref(sv);
	conn_release(sv);			/* one of two: still open */
	char c;
	KT_EQ(conn_write(cl, "z", 1), 1);
	conn_set_read_deadline(sv, time_ns() + ms(2000));
	KT_EQ(conn_read(sv, &c, 1), 1);
	conn_release(sv);			/* the last: closed and freed */
	KT_EQ(open_conns(), open0 + 1);
	conn_set_read_deadline(cl, time_ns() + ms(2000));
	KT_EQ(conn_read(cl, &c, 1), 0);		/* gracefully: FIN */
	conn_close(cl);
	KT_EQ(open_conns(), open0);
}
