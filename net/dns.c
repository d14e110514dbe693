/*
 * net/dns.c — the resolver (net/dns.h) on lwIP's DNS client.
 *
 * lwIP's client (core/dns.c, LWIP_DNS) does the wire work: a table of
 * names (the cache, and the queries in flight; the same name and family
 * asked twice is one query), random ids and source ports, four tries per
 * server (1, 1, 2, 3 s apart) and then the next server, and a callback
 * with the address or NULL. It has no way to cancel a request and says
 * nothing about why it failed; this file adds what a blocking caller with
 * a deadline needs:
 *
 * Slots. Each lwIP request this file makes is a slot of reqs[]
 * (NET_DNS_INFLIGHT; lwIP's request table is as large, and its name table
 * twice that, so lwIP never runs out). A caller takes one slot per family
 * it asks (two for NET_AF_UNSPEC, both asked at once), waiting on slotq
 * within its deadline when none is free, and parks on its own lookup (on
 * its stack) until every slot it holds is answered or the deadline
 * passes. lwIP's callback fills the slot and wakes the caller. A caller
 * that leaves at its deadline cannot take its request back from lwIP, so
 * it orphans the slot (lk = NULL) and the callback, which lwIP always
 * makes in the end (its own retries are bounded), frees it: a slot is
 * freed exactly once, by whoever of caller and callback comes last, and
 * nothing points at the caller's stack after it has gone.
 *
 * Why it failed. lwIP calls back with NULL when a server answered with an
 * error or without an address of the family (from its UDP receive path),
 * and when every server stayed silent (from its DNS timer). The timers
 * task marks the timer path (net_in_timers), so NULL there is
 * -ETIMEDOUT and elsewhere -ENOENT, "no such host".
 *
 * Servers. lwIP keeps NET_DNS_MAX_SERVERS slots, which DHCP (slots 0-1)
 * and RDNSS (from 0) write as leases and advertisements arrive. A list
 * from net_dns_set_servers, else from dns=, overrides them: it is written
 * into lwIP's slots before each lookup and in each round of the timers
 * task (dns_report), so a renewal that overwrites them is undone within a
 * round. Taking the override away (net_dns_set_servers(NULL, 0) without
 * dns=) puts back what lwIP had when the override began.
 *
 * Everything below is under the net lock, except the command line's
 * parsing and printing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "kernel/kcmdline.h"
#include "lwip/dns.h"
#include "net/addr_lwip.h"
#include "net/conn.h"
#include "net/dns.h"
#include "net/net_priv.h"
#include "net/netlock.h"
#include "runtime/park.h"

CMDLINE_KEY(key_dns, "dns", "DNS server address (repeatable, or comma-separated)");

_Static_assert(NET_DNS_INFLIGHT <= DNS_MAX_REQUESTS && 2 * NET_DNS_INFLIGHT <= DNS_TABLE_SIZE,
	       "lwIP's DNS tables must hold every slot's request");
_Static_assert(NET_DNS_MAX_SERVERS == DNS_MAX_SERVERS, "one server list");

struct lookup {				/* one caller, on its stack */
	struct waitq q;
	int pending;			/* its slots not answered yet */
};

struct req {				/* one lwIP request: a name, a family */
	bool used, done;
	int result;			/* 0, -ENOENT, -ETIMEDOUT */
	ip_addr_t addr;
	struct lookup *lk;		/* NULL once the caller left */
};

static struct req reqs[NET_DNS_INFLIGHT];
static struct waitq slotq;		/* callers waiting for a free slot */

/* Override lists, and what lwIP had before the first override. */
static struct net_addr set_list[NET_DNS_MAX_SERVERS], cmd_list[NET_DNS_MAX_SERVERS];
static int set_n, cmd_n;
static ip_addr_t saved[NET_DNS_MAX_SERVERS];
static bool overriding;

static void wake_all(struct waitq *q)
{
	struct waiter *w;
	while ((w = waitq_claim(q)))
		task_wake(w->t);
}

static void slot_free(struct req *r)
{
	r->used = false;
	r->lk = NULL;
	wake_all(&slotq);
}

static void on_found(const char *name, const ip_addr_t *ip, void *arg)
{
	struct req *r = arg;
	(void)name;
	if (ip) {
		r->addr = *ip;
		r->result = 0;
	} else if (net_in_timers) {
		r->result = -ETIMEDOUT;
		net_stats.dns_timeouts++;
	} else {
		r->result = -ENOENT;
		net_stats.dns_not_found++;
	}
	r->done = true;
	if (!r->lk) {			/* orphaned: the caller left */
		slot_free(r);
		return;
	}
	r->lk->pending--;
	wake_all(&r->lk->q);
}

/* ---- servers ---- */

static void apply_servers(void)
{
	const struct net_addr *list = set_n ? set_list : cmd_n ? cmd_list : NULL;
	int n = set_n ? set_n : cmd_n;
	if (!list) {
		if (overriding)
			for (int i = 0; i < NET_DNS_MAX_SERVERS; i++)
				dns_setserver((u8_t)i, &saved[i]);
		overriding = false;
		return;
	}
	if (!overriding)
		for (int i = 0; i < NET_DNS_MAX_SERVERS; i++)
			saved[i] = *dns_getserver((u8_t)i);
	overriding = true;
	for (int i = 0; i < NET_DNS_MAX_SERVERS; i++) {
		ip_addr_t ip;
		if (i < n)
			addr_to_lwip(&list[i], &ip);
		dns_setserver((u8_t)i, i < n ? &ip : NULL);
	}
}

/* lwIP's servers in use, into out; how many. */
static int servers(struct net_addr *out, int max)
{
	int n = 0;
	for (int i = 0; i < NET_DNS_MAX_SERVERS && n < max; i++) {
		const ip_addr_t *ip = dns_getserver((u8_t)i);
		if (!ip_addr_isany(ip))
			addr_from_lwip(ip, 0, &out[n++]);
	}
	return n;
}

static bool server_ok(const struct net_addr *a)
{
	return (a->family == NET_AF_INET || a->family == NET_AF_INET6) &&
	       (a->port == 0 || a->port == 53) && !net_ip_is_unspecified(a);
}

int net_dns_set_servers(const struct net_addr *list, int n)
{
	if (n < 0 || n > NET_DNS_MAX_SERVERS || (n && !list))
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (!server_ok(&list[i]))
			return -EINVAL;
	net_lock();
	memcpy(set_list, list, (size_t)n * sizeof *list);
	set_n = n;
	apply_servers();
	net_unlock();
	return 0;
}

int net_dns_servers(struct net_addr *out, int max)
{
	net_lock();
	apply_servers();
	int n = servers(out, max);
	net_unlock();
	return n;
}

/* One word of dns=: an address, or several separated by commas. */
static void parse_dns_word(const char *v)
{
	while (*v) {
		size_t len = strcspn(v, ",");
		struct net_addr a;
		if (net_ip_parse_n(v, len, &a) || !server_ok(&a))
			kcmdline_error("net: cannot use dns=%.*s (want an IPv4 or IPv6 address)\n", (int)len, v);
		else if (cmd_n == NET_DNS_MAX_SERVERS)
			kcmdline_error("net: dns=%.*s ignored: %d servers at most\n", (int)len, v,
			       NET_DNS_MAX_SERVERS);
		else
			cmd_list[cmd_n++] = a;
		v += len + (v[len] == ',');
	}
}

void dns_start(void)
{
	const char *v;
	for (size_t it = 0; (v = kcmdline_next(&key_dns, &it));)
		parse_dns_word(v);
	net_lock();
	apply_servers();
	net_unlock();
}

void dns_report(void)
{
	static struct net_addr last[NET_DNS_MAX_SERVERS];
	static int last_n = -1;
	struct net_addr now[NET_DNS_MAX_SERVERS];
	net_lock();
	apply_servers();
	int n = servers(now, NET_DNS_MAX_SERVERS);
	net_unlock();
	bool same = n == last_n;
	for (int i = 0; same && i < n; i++)
		same = net_ip_equal(&now[i], &last[i]);
	if (same || (last_n < 0 && n == 0)) {
		last_n = n;
		return;
	}
	char line[NET_DNS_MAX_SERVERS * NET_ADDR_STRLEN + 16] = "net: dns";
	size_t len = strlen(line);
	for (int i = 0; i < n; i++) {
		line[len++] = ' ';
		net_ip_format(&now[i], line + len, sizeof line - len);
		len += strlen(line + len);
	}
	printf("%s%s\n", line, n ? "" : " none");
	memcpy(last, now, sizeof now);
	last_n = n;
}

/* ---- lookups ---- */

/* A free slot, waiting for one until the deadline; NULL then. */
static struct req *slot_get(uint64_t deadline)
{
	for (;;) {
		for (int i = 0; i < NET_DNS_INFLIGHT; i++)
			if (!reqs[i].used) {
				reqs[i] = (struct req){ .used = true };
				return &reqs[i];
			}
		if (deadline && time_ns() >= deadline)
			return NULL;
		struct waiter w = { .t = task_self(), .seq = task_park_prepare() };
		waitq_push(&slotq, &w);
		if (deadline)
			task_park_until("dns slot", net_park_unlock, NULL, deadline);
		else
			task_park("dns slot", net_park_unlock, NULL);
		net_lock();
		waitq_remove(&slotq, &w);
	}
}

/* Ask lwIP for name in one family with slot r, for lk. */
static void ask(struct req *r, struct lookup *lk, const char *name, int family)
{
	r->lk = lk;
	lk->pending++;
	u8_t type = family == NET_AF_INET6 ? LWIP_DNS_ADDRTYPE_IPV6 : LWIP_DNS_ADDRTYPE_IPV4;
	err_t e = dns_gethostbyname_addrtype(name, &r->addr, on_found, r, type);
	if (e == ERR_INPROGRESS) {
		net_stats.dns_lookups++;
		return;			/* the callback may have run already */
	}
	if (!r->done) {			/* answered from the cache, or refused */
		r->done = true;
		r->result = e == ERR_OK ? 0 : e == ERR_ARG ? -EINVAL : -ENOMEM;
		lk->pending--;
	}
}

/* The families to ask, in the order the answers are given. */
static int families(int family, int fams[2])
{
	if (family != NET_AF_UNSPEC) {
		fams[0] = family;
		return 1;
	}
	bool v6 = route_prefer_ipv6();
	fams[0] = v6 ? NET_AF_INET6 : NET_AF_INET;
	fams[1] = v6 ? NET_AF_INET : NET_AF_INET6;
	return 2;
}

/* "localhost": the loopback addresses, without a query. */
static int localhost(int family, struct net_addr *out, int max)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	int fams[2], nf, n = 0;
	net_lock();
	nf = families(family, fams);
	net_unlock();
	for (int i = 0; i < nf && n < max; i++)
		out[n++] = fams[i] == NET_AF_INET ? net_addr_ip4(127, 0, 0, 1, 0)
						  : net_addr_ip6(lo6, 0, 0);
	return n;
}

/* Gather the answers of lk's slots, give the slots back or orphan them.
   Returns the count, or the error when there is no address. */
static int finish(struct req **rs, int nr, struct net_addr *out, int max)
{
	int n = 0, err = -ENOENT;
	bool timed_out = false, other = false;
	for (int i = 0; i < nr; i++) {
		struct req *r = rs[i];
		if (!r->done) {
			timed_out = true;
			r->lk = NULL;	/* on_found frees it */
			continue;
		}
		if (r->result == 0 && n < max)
			addr_from_lwip(&r->addr, 0, &out[n++]);
		else if (r->result == -ETIMEDOUT)
			timed_out = true;
		else if (r->result != -ENOENT && !other)
			err = r->result, other = true;
		slot_free(r);
	}
	if (n)
		return n;
	return timed_out ? -ETIMEDOUT : err;
}

int net_resolve(const char *name, int family, struct net_addr *out, int max, uint64_t deadline)
{
	if (!name || max < 1 ||
	    (family != NET_AF_UNSPEC && family != NET_AF_INET && family != NET_AF_INET6))
		return -EINVAL;
	struct net_addr a;
	if (!net_ip_parse(name, &a)) {
		if (family && a.family != family)
			return -EINVAL;
		out[0] = a;
		return 1;
	}
	char host[NET_HOST_MAX + 2];
	size_t len = strlen(name);
	if (len > NET_HOST_MAX + 1 || !net_host_valid(name))
		return -EINVAL;
	memcpy(host, name, len + 1);
	if (host[len - 1] == '.')
		host[len - 1] = 0;	/* lwIP wants no root label */
	if (!strcasecmp(host, "localhost"))
		return localhost(family, out, max);

	struct lookup lk = { WAITQ_INIT, 0 };
	struct req *rs[2];
	int fams[2], nr = 0, r;
	net_lock();
	apply_servers();
	struct net_addr any[1];
	if (!servers(any, 1)) {
		net_unlock();
		return -EDESTADDRREQ;
	}
	int nf = families(family, fams);
	for (int i = 0; i < nf; i++) {
		if (!(rs[nr] = slot_get(deadline)))
			break;
		ask(rs[nr++], &lk, host, fams[i]);
	}
	while (lk.pending > 0 && !(deadline && time_ns() >= deadline)) {
		struct waiter w = { .t = task_self(), .seq = task_park_prepare() };
		waitq_push(&lk.q, &w);
		if (deadline)
			task_park_until("dns", net_park_unlock, NULL, deadline);
		else
			task_park("dns", net_park_unlock, NULL);
		net_lock();
		waitq_remove(&lk.q, &w);
	}
	r = finish(rs, nr, out, max);
	if (nr < nf && r < 0)
		r = -ETIMEDOUT;		/* no slot in time for a family */
	net_unlock();
	return r;
}
