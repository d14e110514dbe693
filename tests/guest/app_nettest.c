/*
 * tests/guest/app_nettest.c — app=nettest, the client side of the
 * end-to-end net tests (tests/e2e/net.sh), in the test kernel only: it
 * dials, resolves and sends to the peers of the test's namespace as the
 * command line says, and prints one line per step for the script to judge.
 *
 *	nettest_wait6=1			first wait (30 s at most) for a SLAAC
 *					address as well as the IPv4 one
 *	nettest_resolve=NAME		"nettest: resolve NAME: ADDR ADDR" or
 *					"nettest: resolve NAME: error -N (text)"
 *	nettest_dial=HOST:PORT		dial, send a line, read it back:
 *					"nettest: dial HOST:PORT: ok local L peer P echo E"
 *					or "...: error -N (text) after T ms"
 *	nettest_udp=ADDR:PORT		one datagram there and its echo back
 *	nettest_cancel=HOST:PORT	dial (a peer that never sends), block a
 *					reader task in conn_read, close the
 *					connection from this task 500 ms later:
 *					"nettest: cancel HOST:PORT: read -9 (...) after T ms"
 *	nettest_timeout_ms=N		deadline of each step (default 5000)
 * Each key may repeat; steps run in the order above, then "nettest: done".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lwip/netif.h"
#include "net/conn.h"
#include "net/dns.h"
#include "net/netlock.h"
#include "net/udp.h"
#include "runtime/app.h"
#include "runtime/runtime.h"

CMDLINE_KEY(key_wait6, "nettest_wait6", "nettest: wait for a SLAAC address too");
CMDLINE_KEY(key_resolve, "nettest_resolve", "nettest: names to resolve");
CMDLINE_KEY(key_dial, "nettest_dial", "nettest: HOST:PORT echo servers to dial");
CMDLINE_KEY(key_udp, "nettest_udp", "nettest: ADDR:PORT UDP echo servers");
CMDLINE_KEY(key_cancel, "nettest_cancel", "nettest: HOST:PORT silent servers");
CMDLINE_KEY(key_timeout, "nettest_timeout_ms", "nettest: deadline of each step");

static uint64_t step_ns;

static bool addressed(bool want6)
{
	net_lock();
	struct netif *n = netif_default;
	bool ok = n && !ip4_addr_isany_val(*netif_ip4_addr(n));
	bool six = false;
	for (int i = 0; n && i < LWIP_IPV6_NUM_ADDRESSES; i++)
		six |= ip6_addr_ispreferred(netif_ip6_addr_state(n, i)) &&
		       !ip6_addr_islinklocal(netif_ip6_addr(n, i));
	net_unlock();
	return ok && (six || !want6);
}

static const char *text(const struct net_addr *a, char *buf)
{
	if (net_addr_format(a, buf, NET_ADDR_STRLEN) < 0)
		strcpy(buf, "?");
	return buf;
}

static void resolve(const char *name)
{
	struct net_addr a[4];
	char s[NET_ADDR_STRLEN];
	int n = net_resolve(name, NET_AF_UNSPEC, a, 4, time_ns() + step_ns);
	if (n < 0) {
		printf("nettest: resolve %s: error %d (%s)\n", name, n, net_strerror(n));
		return;
	}
	printf("nettest: resolve %s:", name);
	for (int i = 0; i < n; i++) {
		net_ip_format(&a[i], s, sizeof s);
		printf(" %s", s);
	}
	printf("\n");
}

static void dial(const char *addr)
{
	struct conn *c;
	uint64_t t0 = time_ns();
	int r = net_dial("tcp", addr, t0 + step_ns, &c);
	if (r < 0) {
		printf("nettest: dial %s: error %d (%s) after %llu ms\n", addr, r, net_strerror(r),
		       (unsigned long long)((time_ns() - t0) / 1000000));
		return;
	}
	struct net_addr l, p;
	char ls[NET_ADDR_STRLEN], ps[NET_ADDR_STRLEN], echo[64] = "";
	conn_local(c, &l);
	conn_peer(c, &p);
	conn_set_read_deadline(c, time_ns() + step_ns);
	conn_set_write_deadline(c, time_ns() + step_ns);
	ssize_t n = conn_write(c, "weft-e2e", 8);
	size_t got = 0;
	while (n > 0 && got < 8 && (n = conn_read(c, echo + got, 8 - got)) > 0)
		got += (size_t)n;
	echo[got] = 0;
	printf("nettest: dial %s: ok local %s peer %s echo %s\n", addr, text(&l, ls), text(&p, ps),
	       got ? echo : "-");
	conn_close(c);
}

static void udp(const char *addr)
{
	struct net_addr to, from;
	struct udp_sock *s;
	char fs[NET_ADDR_STRLEN], buf[64];
	if (net_addr_parse(addr, &to) || net_listen_udp(0, &s)) {
		printf("nettest: udp %s: cannot start\n", addr);
		return;
	}
	udp_set_read_deadline(s, time_ns() + step_ns);
	ssize_t n = udp_write_to(s, "weft-udp", 8, &to);
	if (n >= 0)
		n = udp_read_from(s, buf, sizeof buf - 1, &from);
	if (n < 0)
		printf("nettest: udp %s: error %zd (%s)\n", addr, n, net_strerror((int)n));
	else
		printf("nettest: udp %s: ok from %s echo %.*s\n", addr, text(&from, fs), (int)n, buf);
	udp_close(s);
}

struct reader {
	struct conn *c;
	ssize_t r;
	uint64_t took;
	struct waitgroup wg;
};

static void reader_task(void *arg)
{
	struct reader *rd = arg;
	char b[16];
	uint64_t t0 = time_ns();
	rd->r = conn_read(rd->c, b, sizeof b);
	rd->took = time_ns() - t0;
	conn_release(rd->c);
	wg_done(&rd->wg);
}

static void cancel(const char *addr)
{
	static struct reader rd;
	struct conn *c;
	int r = net_dial("tcp", addr, time_ns() + step_ns, &c);
	if (r < 0) {
		printf("nettest: cancel %s: dial error %d (%s)\n", addr, r, net_strerror(r));
		return;
	}
	rd = (struct reader){ .c = conn_ref(c), .r = 1, .wg = WAITGROUP_INIT };
	wg_add(&rd.wg, 1);
	go(reader_task, &rd);
	task_sleep(ms(500));
	bool blocked = rd.r == 1;
	conn_close(c);			/* from this task: the reader wakes */
	if (wg_wait_timeout(&rd.wg, step_ns))
		printf("nettest: cancel %s: the reader did not wake\n", addr);
	else
		printf("nettest: cancel %s: %s read %zd (%s) after %llu ms\n", addr,
		       blocked ? "blocked" : "unblocked", rd.r, net_strerror((int)rd.r),
		       (unsigned long long)(rd.took / 1000000));
}

static void each(const struct cmdline_key *k, void (*fn)(const char *))
{
	const char *v;
	for (size_t it = 0; (v = kcmdline_next(k, &it));)
		fn(v);
}

static void nettest_main(void)
{
	step_ns = ms(kcmdline_u64(&key_timeout, 5000, 1, 600000));
	bool want6 = kcmdline_str(&key_wait6) != NULL;
	uint64_t dl = time_ns() + ms(30000);
	while (!addressed(want6) && time_ns() < dl)
		task_sleep(ms(50));
	printf("nettest: %s\n", addressed(want6) ? "addressed" : "no address after 30 s");
	task_sleep(ms(200));		/* let the address lines print first */
	each(&key_resolve, resolve);
	each(&key_dial, dial);
	each(&key_udp, udp);
	each(&key_cancel, cancel);
	printf("nettest: done\n");
}
APP("nettest", nettest_main);
