/*
 * apps/dns/zone.c — building the zone from its words (zone.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "apps/dns/zone.h"
#include "net/addr.h"

void dns_zone_init(struct dns_zone *z)
{
	memset(z, 0, sizeof *z);
	z->ttl = DNS_TTL_DEFAULT;
	z->serial = 1;
}

static int prefixed(const char *label, const uint8_t *origin, uint8_t out[DNS_NAME_MAX])
{
	uint8_t rel[DNS_NAME_MAX];
	int n = dns_name_from_text(label, strlen(label), rel);
	return n < 0 ? -1 : dns_name_concat(rel, origin, out);
}

int dns_zone_set_origin(struct dns_zone *z, const char *text)
{
	uint8_t o[DNS_NAME_MAX];
	if (!text || dns_name_from_text(text, strlen(text), o) < 2)	/* not the root */
		return -EINVAL;
	uint8_t ns[DNS_NAME_MAX], hm[DNS_NAME_MAX];
	if (prefixed("ns1", o, ns) < 0 || prefixed("hostmaster", o, hm) < 0)
		return -EINVAL;
	memcpy(z->origin, o, sizeof o);
	memcpy(z->ns, ns, sizeof ns);
	memcpy(z->hostmaster, hm, sizeof hm);
	return 0;
}

int dns_zone_set_ns(struct dns_zone *z, const char *text)
{
	uint8_t ns[DNS_NAME_MAX];
	if (!text || dns_name_from_text(text, strlen(text), ns) < 2)
		return -EINVAL;
	memcpy(z->ns, ns, sizeof ns);
	return 0;
}

/* The owner name of a record, absolute. */
static int owner(const struct dns_zone *z, const char *s, size_t n, uint8_t out[DNS_NAME_MAX])
{
	if (n == 1 && s[0] == '@') {
		memcpy(out, z->origin, sizeof z->origin);
		return 0;
	}
	uint8_t w[DNS_NAME_MAX];
	if (n == 0 || dns_name_from_text(s, n, w) < 2)
		return -1;
	if (s[n - 1] == '.' || dns_name_within(w, z->origin)) {
		memcpy(out, w, sizeof w);
		return 0;
	}
	return dns_name_concat(w, z->origin, out) < 0 ? -1 : 0;
}

/* One NAME/TYPE/VALUE[/TTL] of n bytes at s. */
static int add_one(struct dns_zone *z, const char *s, size_t n, char *err, size_t errsize)
{
	const char *f[5];
	size_t fl[5];
	int nf = 0;
	for (size_t i = 0; nf < 5;) {
		size_t j = i;
		while (j < n && s[j] != '/')
			j++;
		f[nf] = s + i;
		fl[nf++] = j - i;
		if (j >= n)
			break;
		i = j + 1;
	}
	struct dns_rr r = { .ttl = z->ttl };
	const char *why = NULL;
	if (nf < 3 || nf > 4)
		why = "want NAME/TYPE/VALUE[/TTL]";
	else if (owner(z, f[0], fl[0], r.name))
		why = "bad name";
	else if (fl[1] == 1 && !strncasecmp(f[1], "A", 1))
		r.type = DNS_T_A;
	else if (fl[1] == 4 && !strncasecmp(f[1], "AAAA", 4))
		r.type = DNS_T_AAAA;
	else
		why = "type must be A or AAAA";
	struct net_addr a;
	if (!why && (net_ip_parse_n(f[2], fl[2], &a) || a.zone ||
		     a.family != (r.type == DNS_T_A ? NET_AF_INET : NET_AF_INET6)))
		why = r.type == DNS_T_A ? "value must be an IPv4 address" : "value must be an IPv6 address";
	if (!why && nf == 4) {
		uint64_t ttl = 0;
		bool ok = fl[3] > 0 && fl[3] <= 10;
		for (size_t i = 0; ok && i < fl[3]; i++) {
			ok = f[3][i] >= '0' && f[3][i] <= '9';
			ttl = ttl * 10 + (uint64_t)(f[3][i] - '0');
		}
		if (!ok || ttl > 0x7fffffff)
			why = "TTL must be 0..2147483647";
		r.ttl = (uint32_t)ttl;
	}
	if (why) {
		snprintf(err, errsize, "%.*s: %s", (int)n, s, why);
		return -EINVAL;
	}
	if (z->nrr >= DNS_ZONE_MAX_RR) {
		snprintf(err, errsize, "%.*s: the zone is full (%d records)", (int)n, s,
			 DNS_ZONE_MAX_RR);
		return -ENOSPC;
	}
	r.dlen = r.type == DNS_T_A ? 4 : 16;
	memcpy(r.data, a.ip, r.dlen);
	z->rr[z->nrr++] = r;
	return 0;
}

int dns_zone_add(struct dns_zone *z, const char *word, char *err, size_t errsize)
{
	if (!z->origin[0]) {
		snprintf(err, errsize, "no dns_zone= before the records");
		return -EINVAL;
	}
	for (const char *p = word;;) {
		size_t n = strcspn(p, ",");
		int r = add_one(z, p, n, err, errsize);
		if (r)
			return r;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}
