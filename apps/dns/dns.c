/*
 * apps/dns/dns.c — app=dns: an authoritative DNS server for one small
 * zone, over UDP and TCP (port=, default 53), in blocking style.
 *
 *	app=dns dns_zone=example.test dns_rr=www/A/10.0.2.15 dns_rr=www/AAAA/fd00::15
 *
 * The zone comes from the command line (apps/dns/zone.h has the words);
 * a malformed record is reported and left out, and with no dns_zone= the
 * app says so and stops. UDP: dns_workers= tasks (default 4) read the one
 * dual-stack socket, each datagram answered by whoever took it
 * (apps/dns/answer.h decides; a reply over 512 bytes, or the client's
 * EDNS size, is truncated with TC). TCP (RFC 7766, for clients that got
 * TC): one task per connection, messages with their 2-byte length, up to
 * 16 KB a reply, idle connections closed after 10 s.
 *
 * Apps see only public headers: net/udp.h, net/conn.h, runtime/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "apps/dns/answer.h"
#include "apps/dns/zone.h"
#include "net/conn.h"
#include "net/udp.h"
#include "runtime/app.h"
#include "runtime/runtime.h"

CMDLINE_KEY(key_zone, "dns_zone", "dns: the zone's origin (e.g. example.test)");
CMDLINE_KEY(key_rr, "dns_rr", "dns: records NAME/TYPE/VALUE[/TTL],... (repeatable)");
CMDLINE_KEY(key_ttl, "dns_ttl", "dns: default and negative-answer TTL, seconds");
CMDLINE_KEY(key_ns, "dns_ns", "dns: the zone's name server (SOA MNAME, apex NS)");
CMDLINE_KEY(key_workers, "dns_workers", "dns: tasks reading the UDP socket");
CMDLINE_KEY(key_port, "port", "TCP (and UDP) port of the app");

#define QUERY_MAX	4096		/* longer queries are cut: FORMERR */
#define TCP_REPLY_MAX	16384
#define TCP_IDLE_NS	ms(10000)

static struct dns_zone *zone;		/* read-only once serving */

static void udp_worker(void *arg)
{
	struct udp_sock *s = arg;
	uint8_t q[QUERY_MAX], r[DNS_EDNS_PAYLOAD];
	for (;;) {
		struct net_addr from;
		ssize_t n = udp_read_from(s, q, sizeof q, &from);
		if (n == -EBADF)
			break;
		if (n < 0)
			continue;
		size_t len = dns_answer(zone, q, (size_t)n, r, sizeof r, DNS_UDP);
		if (len)
			udp_write_to(s, r, len, &from);
	}
	udp_release(s);
}

/* Exactly n bytes, or false (EOF, error, the idle deadline). */
static bool read_full(struct conn *c, uint8_t *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = conn_read(c, buf + got, n - got);
		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	return true;
}

static void tcp_conn(void *arg)
{
	struct conn *c = arg;
	uint8_t *q = malloc(QUERY_MAX), *r = malloc(TCP_REPLY_MAX + 2);
	for (bool ok = q && r; ok;) {
		uint8_t lenb[2];
		conn_set_read_deadline(c, time_ns() + TCP_IDLE_NS);
		if (!read_full(c, lenb, 2))
			break;
		size_t n = (size_t)(lenb[0] << 8 | lenb[1]);
		if (n > QUERY_MAX || !read_full(c, q, n))
			break;
		size_t len = dns_answer(zone, q, n, r + 2, TCP_REPLY_MAX, DNS_TCP);
		if (!len)
			continue;
		r[0] = (uint8_t)(len >> 8);
		r[1] = (uint8_t)len;
		conn_set_write_deadline(c, time_ns() + TCP_IDLE_NS);
		ok = conn_write(c, r, len + 2) == (ssize_t)(len + 2);
	}
	free(q);
	free(r);
	conn_close(c);
}

static void tcp_accept_loop(void *arg)
{
	struct listener *l = arg;
	for (;;) {
		struct conn *c;
		if (net_accept(l, &c) < 0) {
			task_sleep(ms(10));
			continue;
		}
		struct task_attr a = { "dns-tcp", 64u << 10, -1 };
		if (!task_spawn(&a, tcp_conn, c))
			conn_abort(c);
	}
}

/* The zone from the command line; false when there is none to serve. */
static bool load_zone(struct dns_zone *z)
{
	const char *origin = kcmdline_str(&key_zone), *ns = kcmdline_str(&key_ns), *v;
	dns_zone_init(z);
	z->ttl = (uint32_t)kcmdline_u64(&key_ttl, DNS_TTL_DEFAULT, 0, 0x7fffffff);
	if (!origin || dns_zone_set_origin(z, origin)) {
		printf("dns: %s (want dns_zone=NAME, e.g. dns_zone=example.test); not serving\n",
		       origin ? "malformed dns_zone=" : "no dns_zone=");
		return false;
	}
	if (ns && dns_zone_set_ns(z, ns))
		printf("dns: cannot use dns_ns=%s; using ns1.%s\n", ns, origin);
	for (size_t it = 0; (v = kcmdline_next(&key_rr, &it));) {
		char err[160];
		if (dns_zone_add(z, v, err, sizeof err))
			printf("dns: record %s; left out\n", err);
	}
	return true;
}

static void dns_main(void)
{
	uint16_t port = (uint16_t)kcmdline_u64(&key_port, 53, 1, 65535);
	unsigned workers = (unsigned)kcmdline_u64(&key_workers, 4, 1, 64);
	zone = malloc(sizeof *zone);
	if (!zone) {
		printf("dns: out of memory for the zone\n");
		return;
	}
	if (!load_zone(zone))
		return;
	struct udp_sock *s;
	struct listener *l;
	int r = net_listen_udp(port, &s);
	if (r == 0 && (r = net_listen(port, 256, &l)))
		udp_close(s);
	if (r < 0) {
		printf("dns: cannot listen on port %u: %s\n", port, net_strerror(r));
		return;
	}
	for (unsigned i = 1; i < workers; i++) {
		struct task_attr a = { "dns-udp", 64u << 10, -1 };
		if (!task_spawn(&a, udp_worker, udp_ref(s)))
			udp_close(s);
	}
	struct task_attr a = { "dns-accept", 64u << 10, -1 };
	task_spawn(&a, tcp_accept_loop, l);
	char origin[DNS_TEXT_MAX + 1];
	dns_name_to_text(zone->origin, origin, sizeof origin);
	printf("dns: serving %s (%d records) on port %u, udp and tcp\n", origin, zone->nrr, port);
	udp_worker(s);
}
APP("dns", dns_main);
