/*
 * apps/dns/answer.h — an authoritative DNS responder for one zone, as a
 * pure function from a query to its response (RFC 1034 4.3.2, 1035,
 * 2308, 6891). apps/dns/dns.c feeds it datagrams and TCP messages; the
 * host tests and the fuzz target call it directly.
 *
 *	n = dns_answer(zone, query, qlen, resp, sizeof resp, DNS_UDP);
 *	if (n) send resp, n bytes;		0: send nothing
 *
 * What it answers:
 *   - a name in the zone: its A / AAAA records (ANY: all of them; at the
 *     apex also SOA and NS), AA set; no such name: NXDOMAIN with the SOA
 *     in the authority section (its TTL the negative-caching TTL); a name
 *     that exists without records of the type asked (or that only has
 *     names below it): NOERROR, no answer, the SOA in authority;
 *   - a name outside the zone, a class other than IN/ANY, or a zone
 *     transfer (AXFR, IXFR): REFUSED;
 *   - an opcode other than QUERY: NOTIMP;
 *   - a malformed query (no question, two questions, a name or record
 *     that runs off the end, two OPT records): FORMERR;
 *   - a response, or fewer than 12 bytes (no id to answer to): nothing.
 * EDNS (OPT in the query): the reply carries an OPT too (payload 1232,
 * version 0); a version above 0 gets BADVERS. Size: over UDP a reply is
 * at most 512 bytes without EDNS, else the client's payload size (at
 * least 512, at most 1232); TCP replies up to the buffer. A reply that
 * does not fit keeps the records that do and sets TC, and the client asks
 * again over TCP.
 */
#ifndef APPS_DNS_ANSWER_H
#define APPS_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>
#include "apps/dns/zone.h"

enum dns_transport { DNS_UDP, DNS_TCP };

#define DNS_EDNS_PAYLOAD 1232		/* what we advertise and accept at most */

/* The response to the qlen-byte query q, written to out (at most cap
   bytes; cap >= 512): its length, or 0 when nothing is to be sent. */
size_t dns_answer(const struct dns_zone *z, const uint8_t *q, size_t qlen, uint8_t *out,
		  size_t cap, enum dns_transport tr);

#endif
