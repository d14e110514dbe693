/*
 * tests/guest/test_resolve.c — the resolver (net/dns.h) against an
 * in-guest authoritative server: app=dns's responder (apps/dns/answer.h)
 * on 127.0.0.1:53 over a UDP socket (net/udp.h), so lwIP's DNS client,
 * the slots and orphans of net/dns.c, UDP and the responder are all
 * exercised together. A, AAAA, both; NXDOMAIN and NODATA as "no such
 * host"; 40 tasks at once (more than the 16 slots), each with its own
 * answer; a deadline passing (the server stopped) as -ETIMEDOUT, and then
 * lwIP's own give-up (about 7 s: every try unanswered) as -ETIMEDOUT, not
 * "no such host"; dial by name; the server list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apps/dns/answer.h"
#include "apps/dns/zone.h"
#include "net/conn.h"
#include "net/dns.h"
#include "net/timers.h"
#include "net/udp.h"
#include "runtime/runtime.h"
#include "tests/guest/ktest.h"

#define TASKS 40

static struct dns_zone zone;

struct server {
	struct udp_sock *s;
	struct waitgroup wg;
	uint64_t answered;
};

static void serve(void *arg)
{
	struct server *sv = arg;
	uint8_t q[512], r[DNS_EDNS_PAYLOAD];
	for (;;) {
		struct net_addr from;
		ssize_t n = udp_read_from(sv->s, q, sizeof q, &from);
		if (n < 0)
			break;
		size_t len = dns_answer(&zone, q, (size_t)n, r, sizeof r, DNS_UDP);
		if (len && udp_write_to(sv->s, r, len, &from) > 0)
			a_fetch_add(&sv->answered, 1);
	}
	udp_release(sv->s);
	wg_done(&sv->wg);
}

/* Start the server (and point the resolver at it); false on failure. */
static bool server_start(struct server *sv)
{
	char err[160];
	dns_zone_init(&zone);
	if (dns_zone_set_origin(&zone, "example.test") ||
	    dns_zone_add(&zone, "www/A/10.0.2.15,www/AAAA/fd00::15,v4only/A/10.0.2.4", err,
			 sizeof err) ||
	    dns_zone_add(&zone, "v6only/AAAA/fd00::6,lo/A/127.0.0.1,lo/AAAA/::1", err, sizeof err))
		return false;
	for (int i = 0; i < TASKS; i++) {
		char w[64];
		snprintf(w, sizeof w, "n%d/A/10.3.%d.%d", i, i / 250, i % 250 + 1);
		if (dns_zone_add(&zone, w, err, sizeof err))
			return false;
	}
	*sv = (struct server){ .wg = WAITGROUP_INIT };
	if (net_listen_udp(53, &sv->s))
		return false;
	wg_add(&sv->wg, 1);
	udp_ref(sv->s);
	go(serve, sv);
	struct net_addr lo = net_addr_ip4(127, 0, 0, 1, 0);
	return net_dns_set_servers(&lo, 1) == 0;
}

static void server_stop(struct server *sv)
{
	udp_close(sv->s);
	wg_wait_timeout(&sv->wg, ms(2000));
}

static bool is_ip(const struct net_addr *a, const char *ip)
{
	char s[NET_ADDR_STRLEN];
	return net_ip_format(a, s, sizeof s) > 0 && !strcmp(s, ip);
}

static void lookups(void)
{
	struct net_addr a[4];
	uint64_t dl = time_ns() + ms(3000);
	KT_EQ(net_resolve("www.example.test", NET_AF_INET, a, 4, dl), 1);
	KT_ASSERT(is_ip(&a[0], "10.0.2.15"));
	KT_EQ(net_resolve("www.example.test", NET_AF_INET6, a, 4, dl), 1);
	KT_ASSERT(is_ip(&a[0], "fd00::15"));
	/* both, IPv4 first (no global IPv6 address here); a trailing dot */
	KT_EQ(net_resolve("WWW.example.test.", NET_AF_UNSPEC, a, 4, dl), 2);
	KT_ASSERT(is_ip(&a[0], "10.0.2.15") && is_ip(&a[1], "fd00::15"));
	KT_EQ(net_resolve("www.example.test", NET_AF_UNSPEC, a, 1, dl), 1);	/* max */
	/* one family missing: the other alone; both missing: no such host */
	KT_EQ(net_resolve("v4only.example.test", NET_AF_UNSPEC, a, 4, dl), 1);
	KT_ASSERT(is_ip(&a[0], "10.0.2.4"));
	KT_EQ(net_resolve("v6only.example.test", NET_AF_UNSPEC, a, 4, dl), 1);
	KT_EQ(net_resolve("v4only.example.test", NET_AF_INET6, a, 4, dl), -ENOENT);
	uint64_t t0 = time_ns();
	KT_EQ(net_resolve("nope.example.test", NET_AF_UNSPEC, a, 4, dl), -ENOENT);
	KT_ASSERT(time_ns() - t0 < ms(1000));	/* answered, not timed out */
	/* no query at all */
	KT_EQ(net_resolve("10.9.8.7", NET_AF_UNSPEC, a, 4, dl), 1);
	KT_ASSERT(is_ip(&a[0], "10.9.8.7"));
	KT_EQ(net_resolve("fe80::1%2", NET_AF_INET6, a, 4, dl), 1);
	KT_EQ(a[0].zone, 2);
	KT_EQ(net_resolve("10.9.8.7", NET_AF_INET6, a, 4, dl), -EINVAL);
	KT_EQ(net_resolve("localhost", NET_AF_UNSPEC, a, 4, dl), 2);
	KT_ASSERT(net_ip_is_loopback(&a[0]) && net_ip_is_loopback(&a[1]));
	KT_EQ(net_resolve("bad..name", NET_AF_UNSPEC, a, 4, dl), -EINVAL);
	KT_EQ(net_resolve("www.example.test", 5, a, 4, dl), -EINVAL);
	KT_EQ(net_resolve("www.example.test", NET_AF_INET, a, 0, dl), -EINVAL);
}

struct asker {
	int i, r;
	struct net_addr a;
	struct waitgroup *wg;
};

static void ask_task(void *arg)
{
	struct asker *k = arg;
	char name[64];
	snprintf(name, sizeof name, "n%d.example.test", k->i);
	k->r = net_resolve(name, NET_AF_INET, &k->a, 1, time_ns() + ms(5000));
	wg_done(k->wg);
}

static void concurrent(void)
{
	static struct asker k[TASKS];
	static struct waitgroup wg = WAITGROUP_INIT;
	wg_add(&wg, TASKS);
	for (int i = 0; i < TASKS; i++) {
		k[i] = (struct asker){ .i = i, .r = 1, .wg = &wg };
		go(ask_task, &k[i]);
	}
	KT_EQ(wg_wait_timeout(&wg, ms(8000)), 0);
	for (int i = 0; i < TASKS; i++) {
		KT_EQ(k[i].r, 1);
		KT_EQ(k[i].a.ip[2], i / 250);
		KT_EQ(k[i].a.ip[3], i % 250 + 1);
	}
}

static void dial_by_name(void)
{
	struct listener *l;
	struct conn *c, *s;
	KT_EQ(net_listen(7501, 4, &l), 0);
	int r = net_dial("tcp", "lo.example.test:7501", time_ns() + ms(3000), &c);
	int ra = r ? r : net_accept_until(l, &s, time_ns() + ms(2000));
	net_listener_close(l);
	KT_EQ(r, 0);
	KT_EQ(ra, 0);
	struct net_addr p;
	conn_peer(c, &p);
	KT_ASSERT(is_ip(&p, "127.0.0.1"));	/* IPv4 first */
	conn_close(c);
	conn_close(s);
	KT_EQ(net_dial("tcp", "nope.example.test:7501", time_ns() + ms(3000), &c), -ENOENT);
}

KTEST(dns, resolve)
{
	static struct server sv;
	KT_ASSERT(server_start(&sv));
	struct net_addr got[NET_DNS_MAX_SERVERS];
	KT_EQ(net_dns_servers(got, NET_DNS_MAX_SERVERS), 1);
	KT_ASSERT(is_ip(&got[0], "127.0.0.1"));
	lookups();
	if (!ktest_failed())
		concurrent();
	if (!ktest_failed())
		dial_by_name();
	server_stop(&sv);
	KT_ASSERT(sv.answered > TASKS);
}

/* lwIP's timers, as the net-timers task runs them (a guest without a
   NIC has no such task), until *stop. */
static void pump_timers(void *arg)
{
	volatile bool *stop = arg;
	while (!*stop) {
		net_timers_poll();
		task_sleep(ms(10));
	}
}

/* The server stops answering: the caller's deadline, then lwIP's own
   retries, both end as "timed out", never as "no such host". */
KTEST(dns, timeouts)
{
	static struct server sv;
	static volatile bool stop;
	stop = false;
	go(pump_timers, (void *)&stop);
	KT_ASSERT(server_start(&sv));
	server_stop(&sv);			/* port 53 is closed now */
	struct net_addr a;
	uint64_t t0 = time_ns();
	KT_EQ(net_resolve("www2.example.test", NET_AF_INET, &a, 1, time_ns() + ms(300)), -ETIMEDOUT);
	uint64_t took = time_ns() - t0;
	KT_ASSERT(took >= ms(300) && took < ms(1500));
	t0 = time_ns();
	KT_EQ(net_resolve("www3.example.test", NET_AF_INET, &a, 1, 0), -ETIMEDOUT);
	took = time_ns() - t0;
	stop = true;
	KT_ASSERT(took >= ms(5000) && took < ms(12000));	/* lwIP: 1+1+2+3 s */
	/* back to no servers at all (this guest has no DHCP, no dns=) */
	KT_EQ(net_dns_set_servers(NULL, 0), 0);
	KT_EQ(net_dns_servers(&a, 1), 0);
	KT_EQ(net_resolve("www.example.test", NET_AF_INET, &a, 1, 0), -EDESTADDRREQ);
	struct net_addr bad = net_addr_ip4(127, 0, 0, 1, 5353);
	KT_EQ(net_dns_set_servers(&bad, 1), -EINVAL);		/* lwIP asks port 53 only */
}
