/*
 * apps/dns/answer.c — the responder (answer.h): parse the query, decide,
 * write the reply within its size limit.
 *
 * Truncation: records are written one at a time into a writer whose limit
 * leaves room for the OPT record; a record that does not fit is taken
 * back whole, TC is set, and no further record is added (in any section),
 * so a truncated reply holds whole records only and the client knows to
 * ask over TCP.
 */
#include <string.h>
#include "apps/dns/answer.h"

#define SOA_REFRESH	3600
#define SOA_RETRY	600
#define SOA_EXPIRE	86400
#define OPT_LEN		11		/* root name, type, class, ttl, rdlen */

struct query {
	struct dns_hdr h;
	uint8_t qname[DNS_NAME_MAX];
	uint16_t qtype, qclass;
	bool has_q;			/* the question parsed */
	bool edns;
	uint16_t edns_size;
	uint8_t edns_version;
};

/* Skip a resource record at *off (name, fixed part, data); false if it
   runs off the end. Reports an OPT record's fields in p. */
static bool record(const uint8_t *m, size_t n, size_t *off, struct query *p, bool additional,
		   bool *bad)
{
	uint8_t name[DNS_NAME_MAX];
	if (dns_name_read(m, n, off, name) < 0 || n - *off < 10)
		return false;
	const uint8_t *f = m + *off;
	uint16_t type = dns_get16(f), rdlen = dns_get16(f + 8);
	if (n - *off - 10 < rdlen)
		return false;
	if (additional && type == DNS_T_OPT) {
		if (p->edns || name[0])	/* a second OPT, or not at the root */
			*bad = true;
		p->edns = true;
		p->edns_size = dns_get16(f + 2);
		p->edns_version = f[5];
	}
	*off += 10 + (size_t)rdlen;
	return true;
}

/* DNS_R_NOERROR, or DNS_R_FORMERR when the query is malformed. */
static int parse(const uint8_t *m, size_t n, struct query *p)
{
	size_t off = DNS_HDR_LEN;
	if (p->h.qdcount != 1)
		return DNS_R_FORMERR;
	if (dns_name_read(m, n, &off, p->qname) < 0 || n - off < 4)
		return DNS_R_FORMERR;
	p->qtype = dns_get16(m + off);
	p->qclass = dns_get16(m + off + 2);
	p->has_q = true;
	off += 4;
	bool bad = false;
	unsigned before = (unsigned)p->h.ancount + p->h.nscount;
	for (unsigned i = 0; i < before; i++)
		if (!record(m, n, &off, p, false, &bad))
			return DNS_R_FORMERR;
	for (unsigned i = 0; i < p->h.arcount; i++)
		if (!record(m, n, &off, p, true, &bad))
			return DNS_R_FORMERR;
	return bad ? DNS_R_FORMERR : DNS_R_NOERROR;
}

/* The reply being written, and its record counts. */
struct reply {
	struct dns_out o;
	struct dns_hdr h;
	bool full;			/* a record did not fit: TC, no more */
};

/* Start a record: owner, type, class, TTL; returns where it began. */
static size_t rr_begin(struct reply *r, const uint8_t *owner, uint16_t type, uint32_t ttl)
{
	size_t at = r->o.len;
	dns_put_name(&r->o, owner);
	dns_put16(&r->o, type);
	dns_put16(&r->o, DNS_C_IN);
	dns_put32(&r->o, ttl);
	return at;
}

/* Finish a record whose data began at data (after its 2-byte length):
   fill the length, or take the record back when it did not fit. */
static bool rr_end(struct reply *r, size_t at, size_t data, uint16_t *count)
{
	if (r->o.over) {
		r->o.over = false;
		r->o.len = at;
		r->full = true;
		r->h.flags |= DNS_F_TC;
		return false;
	}
	size_t dl = r->o.len - data;
	r->o.buf[data - 2] = (uint8_t)(dl >> 8);
	r->o.buf[data - 1] = (uint8_t)dl;
	(*count)++;
	return true;
}

static void put_addr(struct reply *r, const uint8_t *owner, const struct dns_rr *rr,
		     uint16_t *count)
{
	if (r->full)
		return;
	size_t at = rr_begin(r, owner, rr->type, rr->ttl);
	dns_put16(&r->o, 0);
	size_t data = r->o.len;
	dns_put_bytes(&r->o, rr->data, rr->dlen);
	rr_end(r, at, data, count);
}

static void put_soa(struct reply *r, const struct dns_zone *z, uint16_t *count)
{
	if (r->full)
		return;
	size_t at = rr_begin(r, z->origin, DNS_T_SOA, z->ttl);
	dns_put16(&r->o, 0);
	size_t data = r->o.len;
	dns_put_name(&r->o, z->ns);
	dns_put_name(&r->o, z->hostmaster);
	dns_put32(&r->o, z->serial);
	dns_put32(&r->o, SOA_REFRESH);
	dns_put32(&r->o, SOA_RETRY);
	dns_put32(&r->o, SOA_EXPIRE);
	dns_put32(&r->o, z->ttl);	/* minimum: the negative TTL */
	rr_end(r, at, data, count);
}

static void put_ns(struct reply *r, const struct dns_zone *z, uint16_t *count)
{
	if (r->full)
		return;
	size_t at = rr_begin(r, z->origin, DNS_T_NS, z->ttl);
	dns_put16(&r->o, 0);
	size_t data = r->o.len;
	dns_put_name(&r->o, z->ns);
	rr_end(r, at, data, count);
}

/* The zone's answer to an in-zone question: the rcode; records written. */
static int lookup(struct reply *r, const struct dns_zone *z, const struct query *p)
{
	bool apex = dns_name_equal(p->qname, z->origin), exists = apex;
	uint16_t t = p->qtype;
	r->h.flags |= DNS_F_AA;
	if (apex && (t == DNS_T_SOA || t == DNS_T_ANY))
		put_soa(r, z, &r->h.ancount);
	if (apex && (t == DNS_T_NS || t == DNS_T_ANY))
		put_ns(r, z, &r->h.ancount);
	for (int i = 0; i < z->nrr; i++) {
		const struct dns_rr *rr = &z->rr[i];
		if (!dns_name_equal(rr->name, p->qname)) {
			exists |= dns_name_within(rr->name, p->qname);	/* below it */
			continue;
		}
		exists = true;
		if (t == rr->type || t == DNS_T_ANY)
			put_addr(r, p->qname, rr, &r->h.ancount);
	}
	if (r->h.ancount || r->full)
		return DNS_R_NOERROR;
	put_soa(r, z, &r->h.nscount);	/* negative: NXDOMAIN, or NODATA */
	return exists ? DNS_R_NOERROR : DNS_R_NXDOMAIN;
}

static int decide(struct reply *r, const struct dns_zone *z, const struct query *p)
{
	if (p->qclass != DNS_C_IN && p->qclass != DNS_C_ANY)
		return DNS_R_REFUSED;
	if (p->qtype == DNS_T_AXFR || p->qtype == DNS_T_IXFR)
		return DNS_R_REFUSED;
	if (!z->origin[0] || !dns_name_within(p->qname, z->origin))
		return DNS_R_REFUSED;
	return lookup(r, z, p);
}

static size_t udp_limit(const struct query *p)
{
	if (!p->edns || p->edns_size <= 512)
		return 512;
	return p->edns_size < DNS_EDNS_PAYLOAD ? p->edns_size : DNS_EDNS_PAYLOAD;
}

size_t dns_answer(const struct dns_zone *z, const uint8_t *q, size_t qlen, uint8_t *out,
		  size_t cap, enum dns_transport tr)
{
	struct query p = { 0 };
	if (!dns_hdr_read(q, qlen, &p.h) || (p.h.flags & DNS_F_QR) || cap < 512)
		return 0;
	int rc = parse(q, qlen, &p);
	unsigned opcode = (p.h.flags & DNS_F_OPCODE) >> 11;
	if (rc == DNS_R_NOERROR && opcode != 0)
		rc = DNS_R_NOTIMP;
	if (rc == DNS_R_NOERROR && p.edns && p.edns_version > 0)
		rc = DNS_R_BADVERS;
	bool edns = p.edns && rc != DNS_R_FORMERR;
	size_t limit = tr == DNS_UDP ? udp_limit(&p) : cap;
	if (limit > cap)
		limit = cap;

	struct reply r;
	dns_out_init(&r.o, out, limit - (edns ? OPT_LEN : 0));
	r.h = (struct dns_hdr){ p.h.id, (uint16_t)(DNS_F_QR | (p.h.flags & (DNS_F_OPCODE | DNS_F_RD))),
				0, 0, 0, 0 };
	r.full = false;
	dns_put_hdr(&r.o, &r.h);
	if (p.has_q && rc != DNS_R_FORMERR) {
		dns_put_name(&r.o, p.qname);	/* no question yet: written whole */
		dns_put16(&r.o, p.qtype);
		dns_put16(&r.o, p.qclass);
		r.h.qdcount = 1;
		r.o.qname = p.qname;
	}
	if (rc == DNS_R_NOERROR)
		rc = decide(&r, z, &p);
	r.h.flags |= (uint16_t)(rc & DNS_F_RCODE);
	if (edns) {				/* OPT: room was kept for it */
		r.o.limit = limit;
		dns_put8(&r.o, 0);
		dns_put16(&r.o, DNS_T_OPT);
		dns_put16(&r.o, DNS_EDNS_PAYLOAD);
		dns_put8(&r.o, (uint8_t)(rc >> 4));	/* extended rcode */
		dns_put8(&r.o, 0);			/* version */
		dns_put16(&r.o, 0);			/* flags */
		dns_put16(&r.o, 0);			/* no options */
		r.h.arcount = 1;
	}
	if (r.o.over)
		return 0;			/* cannot happen with cap >= 512 */
	dns_patch_hdr(&r.o, &r.h);
	return r.o.len;
}
