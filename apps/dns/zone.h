/*
 * apps/dns/zone.h — the zone app=dns answers for, and the words that
 * describe it (pure C, host-tested):
 *
 *	dns_zone=example.test				the origin (required)
 *	dns_rr=www/A/10.0.2.15				NAME/TYPE/VALUE[/TTL]
 *	dns_rr=www.example.test/AAAA/fd00::15/60	an absolute name
 *	dns_rr=@/A/10.0.2.16,mail/A/10.0.2.17		"@": the origin; commas
 *	dns_ttl=300  dns_ns=ns1.example.test		defaults shown below
 *
 * A NAME that is the origin or ends in ".<origin>" (or in a dot) is
 * absolute; any other is relative to the origin. TYPE is A or AAAA
 * (either case); TTL is 0..2147483647 seconds. Names are kept as written
 * (case included: DNS compares without it).
 *
 * The zone's SOA is made up from these: MNAME dns_ns (default
 * "ns1.<origin>"), RNAME "hostmaster.<origin>", serial 1, refresh 3600,
 * retry 600, expire 86400, minimum (the negative-answer TTL) dns_ttl.
 * The apex has one NS record, dns_ns.
 */
#ifndef APPS_DNS_ZONE_H
#define APPS_DNS_ZONE_H

#include <stddef.h>
#include <stdint.h>
#include "apps/dns/dnswire.h"

#define DNS_ZONE_MAX_RR	256
#define DNS_TTL_DEFAULT	300

struct dns_rr {
	uint8_t name[DNS_NAME_MAX];	/* wire form, absolute */
	uint16_t type;			/* DNS_T_A or DNS_T_AAAA */
	uint8_t dlen;			/* 4 or 16 */
	uint32_t ttl;
	uint8_t data[16];
};

struct dns_zone {
	uint8_t origin[DNS_NAME_MAX];
	uint8_t ns[DNS_NAME_MAX];	/* MNAME and the apex NS */
	uint8_t hostmaster[DNS_NAME_MAX];
	uint32_t ttl, serial;
	int nrr;
	struct dns_rr rr[DNS_ZONE_MAX_RR];
};

/* An empty zone with the default TTL; no origin yet. */
void dns_zone_init(struct dns_zone *z);
/* The origin (and the defaults made from it: NS, RNAME): 0, or -EINVAL. */
int dns_zone_set_origin(struct dns_zone *z, const char *text);
/* dns_ns=: 0, or -EINVAL. After the origin. */
int dns_zone_set_ns(struct dns_zone *z, const char *text);
/* One dns_rr= word (one or more records, comma-separated): 0, -EINVAL
   (err says why, naming the record), -ENOSPC (DNS_ZONE_MAX_RR reached).
   After the origin; records before an error are kept. */
int dns_zone_add(struct dns_zone *z, const char *word, char *err, size_t errsize);

#endif
