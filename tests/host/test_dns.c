// host-test-sources: apps/dns/dnswire.c apps/dns/zone.c apps/dns/answer.c net/addr.c
/* Host unit tests for app=dns's pure parts: the wire format, the zone
   words, and the responder's answers. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apps/dns/answer.h"
#include "apps/dns/dnswire.h"
#include "apps/dns/zone.h"
#include "tests/host/hosttest.h"

static struct dns_zone zone;

/* ---- helpers: a query builder, a reply reader ---- */

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void put16(struct msg *m, uint16_t v)
{
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

/* A query: id, flags, one question (name as text), optional OPT record
   (edns: its payload size; 0 = none) with version ver. */
static void query(struct msg *m, uint16_t id, uint16_t flags, const char *name, uint16_t type,
		  uint16_t cls, uint16_t edns, uint8_t ver)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, 1);
	put16(m, 0);
	put16(m, 0);
	put16(m, edns ? 1 : 0);
	int l = dns_name_from_text(name, strlen(name), m->b + m->n);
	if (l < 0)
		ht_fail(__FILE__, __LINE__, "bad test name %s", name);
	m->n += (size_t)l;
	put16(m, type);
	put16(m, cls);
	if (edns) {
		m->b[m->n++] = 0;
		put16(m, DNS_T_OPT);
		put16(m, edns);
		m->b[m->n++] = 0;
		m->b[m->n++] = ver;
		put16(m, 0);
		put16(m, 0);
	}
}

struct rr {
	uint8_t name[DNS_NAME_MAX];
	uint16_t type, cls, rdlen;
	uint32_t ttl;
	const uint8_t *rdata;
	size_t rdoff;
};

struct reply {
	struct dns_hdr h;
	uint8_t qname[DNS_NAME_MAX];
	uint16_t qtype;
	int nrr;
	struct rr rr[64];		/* every section, in order */
	size_t n;
	uint8_t b[65536];
};

/* Answer q and parse the reply (any malformation fails the test). */
static size_t ask(const struct msg *q, struct reply *r, enum dns_transport tr, size_t cap)
{
	r->n = dns_answer(&zone, q->b, q->n, r->b, cap, tr);
	if (!r->n)
		return 0;
	if (!dns_hdr_read(r->b, r->n, &r->h))
		ht_fail(__FILE__, __LINE__, "reply without a header");
	size_t off = DNS_HDR_LEN;
	if (r->h.qdcount) {
		if (dns_name_read(r->b, r->n, &off, r->qname) < 0 || r->n - off < 4)
			ht_fail(__FILE__, __LINE__, "reply's question is malformed");
		r->qtype = dns_get16(r->b + off);
		off += 4;
	}
	int total = r->h.ancount + r->h.nscount + r->h.arcount;
	if (total > 64)
		ht_fail(__FILE__, __LINE__, "too many records for the test (%d)", total);
	for (r->nrr = 0; r->nrr < total; r->nrr++) {
		struct rr *x = &r->rr[r->nrr];
		if (dns_name_read(r->b, r->n, &off, x->name) < 0 || r->n - off < 10)
			ht_fail(__FILE__, __LINE__, "record %d malformed", r->nrr);
		x->type = dns_get16(r->b + off);
		x->cls = dns_get16(r->b + off + 2);
		x->ttl = dns_get32(r->b + off + 4);
		x->rdlen = dns_get16(r->b + off + 8);
		off += 10;
		if (r->n - off < x->rdlen)
			ht_fail(__FILE__, __LINE__, "record %d runs off the end", r->nrr);
		x->rdata = r->b + off;
		x->rdoff = off;
		off += x->rdlen;
	}
	if (off != r->n)
		ht_fail(__FILE__, __LINE__, "%zu bytes after the last record", r->n - off);
	return r->n;
}

static unsigned rcode(const struct reply *r)
{
	return r->h.flags & DNS_F_RCODE;
}

static bool name_is(const uint8_t *w, const char *text)
{
	char t[DNS_TEXT_MAX + 2];
	return dns_name_to_text(w, t, sizeof t) >= 0 && !strcmp(t, text);
}

static void load_zone(void)
{
	char err[160];
	dns_zone_init(&zone);
	HT_EQ(dns_zone_set_origin(&zone, "example.test"), 0);
	HT_EQ(dns_zone_add(&zone, "www/A/10.0.2.15,www/AAAA/fd00::15/60", err, sizeof err), 0);
	HT_EQ(dns_zone_add(&zone, "@/A/10.0.2.1", err, sizeof err), 0);
	HT_EQ(dns_zone_add(&zone, "deep.sub.example.test/A/10.0.2.30", err, sizeof err), 0);
	char many[2048];
	size_t n = 0;
	for (int i = 1; i <= 40; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "%smany/A/10.1.0.%d", i > 1 ? "," : "", i);
	HT_EQ(dns_zone_add(&zone, many, err, sizeof err), 0);
}

static struct reply rep;		/* big: out of the test frames */

/* ---- the wire format ---- */

HT_TEST(names)
{
	uint8_t w[DNS_NAME_MAX];
	char t[300];
	HT_EQ(dns_name_from_text("www.Example.test", 16, w), 18);
	HT_EQ(dns_name_to_text(w, t, sizeof t), 16);
	HT_STREQ(t, "www.Example.test");
	HT_EQ(dns_name_from_text("www.example.test.", 17, w), 18);
	HT_EQ(dns_name_from_text(".", 1, w), 1);
	HT_EQ(dns_name_to_text(w, t, sizeof t), 1);
	HT_STREQ(t, ".");
	HT_EQ(dns_name_from_text("a..b", 4, w), -1);
	HT_EQ(dns_name_from_text("a b", 3, w), -1);
	HT_EQ(dns_name_from_text("a..", 3, w), -1);
	char label[70];
	memset(label, 'x', 64);
	HT_EQ(dns_name_from_text(label, 64, w), -1);
	HT_EQ(dns_name_from_text(label, 63, w), 65);
	/* 255 bytes of wire name at most */
	char lng[300];
	size_t k = 0;
	while (k + 2 <= 254) {
		lng[k++] = 'a';
		lng[k++] = '.';
	}
	HT_EQ(dns_name_from_text(lng, k - 1, w), 255);
	lng[k - 1] = 'a';
	HT_EQ(dns_name_from_text(lng, k, w), -1);
	uint8_t a[DNS_NAME_MAX], b[DNS_NAME_MAX];
	dns_name_from_text("WWW.example.TEST", 16, a);
	dns_name_from_text("www.EXAMPLE.test", 16, b);
	HT_CHECK(dns_name_equal(a, b));
	dns_name_from_text("example.test", 12, b);
	HT_CHECK(dns_name_within(a, b));
	HT_CHECK(dns_name_within(b, b));
	HT_CHECK(!dns_name_within(b, a));
	dns_name_from_text("xample.test", 11, a);
	HT_CHECK(!dns_name_within(a, b));	/* a label boundary, not a string suffix */
}

HT_TEST(compression_read)
{
	/* header, then "\3www\7example\4test\0" at 12, then "\4mail" + ptr */
	uint8_t m[64] = { 0 };
	size_t n = DNS_HDR_LEN;
	memcpy(m + n, "\3www\7example\4test", 18);
	n += 18;
	m[n++] = 0xc0;
	m[n++] = 16;			/* -> "\7example..." */
	uint8_t out[DNS_NAME_MAX];
	size_t off = DNS_HDR_LEN;
	HT_EQ(dns_name_read(m, n, &off, out), 18);
	HT_EQ(off, DNS_HDR_LEN + 18);		/* just past its zero byte */
	HT_CHECK(name_is(out, "www.example.test"));
	/* second name: "\4mail" then a pointer into the first */
	size_t p2 = n;
	memcpy(m + n, "\4mail", 5);
	n += 5;
	m[n++] = 0xc0;
	m[n++] = 16;
	off = p2;
	HT_EQ(dns_name_read(m, n, &off, out), 19);
	HT_EQ(off, p2 + 7);
	HT_CHECK(name_is(out, "mail.example.test"));
	/* a pointer to itself, a forward pointer, one off the end */
	uint8_t loop[16] = { 0 };
	loop[12] = 0xc0;
	loop[13] = 12;
	off = 12;
	HT_EQ(dns_name_read(loop, 14, &off, out), -1);
	loop[13] = 14;
	off = 12;
	HT_EQ(dns_name_read(loop, 16, &off, out), -1);
	off = 12;
	HT_EQ(dns_name_read(loop, 13, &off, out), -1);
	/* a label running off the end; reserved label types */
	uint8_t cut[16] = { 0 };
	cut[12] = 5;
	off = 12;
	HT_EQ(dns_name_read(cut, 15, &off, out), -1);
	cut[12] = 0x40;
	off = 12;
	HT_EQ(dns_name_read(cut, 16, &off, out), -1);
}

/* ---- the zone's words ---- */

HT_TEST(zone_words)
{
	char err[160];
	load_zone();
	HT_EQ(zone.nrr, 44);
	HT_CHECK(name_is(zone.rr[0].name, "www.example.test"));
	HT_EQ(zone.rr[0].type, DNS_T_A);
	HT_EQ(zone.rr[0].ttl, DNS_TTL_DEFAULT);
	HT_EQ(zone.rr[1].type, DNS_T_AAAA);
	HT_EQ(zone.rr[1].ttl, 60);
	HT_EQ(zone.rr[1].data[0], 0xfd);
	HT_EQ(zone.rr[1].data[15], 0x15);
	HT_CHECK(name_is(zone.rr[2].name, "example.test"));
	HT_CHECK(name_is(zone.rr[3].name, "deep.sub.example.test"));	/* absolute kept */
	HT_CHECK(name_is(zone.ns, "ns1.example.test"));
	HT_EQ(dns_zone_add(&zone, "x/MX/10.0.0.1", err, sizeof err), -EINVAL);
	HT_CHECK(strstr(err, "type must be A or AAAA") != NULL);
	HT_EQ(dns_zone_add(&zone, "x/A/fd00::1", err, sizeof err), -EINVAL);
	HT_CHECK(strstr(err, "IPv4") != NULL);
	HT_EQ(dns_zone_add(&zone, "x/AAAA/10.0.0.1", err, sizeof err), -EINVAL);
	HT_EQ(dns_zone_add(&zone, "x/A/10.0.0.1/-1", err, sizeof err), -EINVAL);
	HT_EQ(dns_zone_add(&zone, "x/A/10.0.0.1/2147483648", err, sizeof err), -EINVAL);
	HT_EQ(dns_zone_add(&zone, "x/A", err, sizeof err), -EINVAL);
	HT_EQ(dns_zone_add(&zone, "x/A/10.0.0.1/1/2", err, sizeof err), -EINVAL);
	HT_EQ(dns_zone_add(&zone, "a..b/A/10.0.0.1", err, sizeof err), -EINVAL);
	HT_EQ(dns_zone_add(&zone, "/A/10.0.0.1", err, sizeof err), -EINVAL);
	HT_EQ(zone.nrr, 44);			/* nothing half-added */
	struct dns_zone *z = &zone;
	while (z->nrr < DNS_ZONE_MAX_RR)
		HT_EQ(dns_zone_add(z, "fill/A/10.9.9.9", err, sizeof err), 0);
	HT_EQ(dns_zone_add(z, "over/A/10.9.9.9", err, sizeof err), -ENOSPC);
	struct dns_zone empty;
	dns_zone_init(&empty);
	HT_EQ(dns_zone_add(&empty, "www/A/10.0.0.1", err, sizeof err), -EINVAL);	/* no origin */
	HT_EQ(dns_zone_set_origin(&empty, "."), -EINVAL);
	HT_EQ(dns_zone_set_origin(&empty, "bad name"), -EINVAL);
}

/* ---- answers ---- */

HT_TEST(answer_a)
{
	struct msg q;
	load_zone();
	query(&q, 0x1234, DNS_F_RD, "www.example.test", DNS_T_A, DNS_C_IN, 0, 0);
	HT_CHECK(ask(&q, &rep, DNS_UDP, 512) > 0);
	HT_EQ(rep.h.id, 0x1234);
	HT_CHECK(rep.h.flags & DNS_F_QR);
	HT_CHECK(rep.h.flags & DNS_F_AA);
	HT_CHECK(rep.h.flags & DNS_F_RD);		/* copied */
	HT_CHECK(!(rep.h.flags & (DNS_F_TC | DNS_F_RA)));
	HT_EQ(rcode(&rep), DNS_R_NOERROR);
	HT_EQ(rep.h.qdcount, 1);
	HT_EQ(rep.qtype, DNS_T_A);
	HT_EQ(rep.h.ancount, 1);
	HT_EQ(rep.h.nscount, 0);
	HT_EQ(rep.h.arcount, 0);
	HT_CHECK(name_is(rep.rr[0].name, "www.example.test"));
	HT_EQ(rep.rr[0].type, DNS_T_A);
	HT_EQ(rep.rr[0].cls, DNS_C_IN);
	HT_EQ(rep.rr[0].ttl, DNS_TTL_DEFAULT);
	HT_EQ(rep.rr[0].rdlen, 4);
	HT_CHECK(!memcmp(rep.rr[0].rdata, "\x0a\x00\x02\x0f", 4));
	/* the owner is a pointer to the question */
	HT_EQ(rep.b[rep.rr[0].rdoff - 12], 0xc0);
	HT_EQ(rep.b[rep.rr[0].rdoff - 11], DNS_HDR_LEN);
}

HT_TEST(answer_aaaa_and_case)
{
	struct msg q;
	load_zone();
	query(&q, 7, 0, "WWW.Example.TEST", DNS_T_AAAA, DNS_C_IN, 0, 0);
	HT_CHECK(ask(&q, &rep, DNS_UDP, 512) > 0);
	HT_EQ(rcode(&rep), DNS_R_NOERROR);
	HT_CHECK(!(rep.h.flags & DNS_F_RD));
	HT_CHECK(name_is(rep.qname, "WWW.Example.TEST"));	/* echoed as asked */
	HT_EQ(rep.h.ancount, 1);
	HT_EQ(rep.rr[0].type, DNS_T_AAAA);
	HT_EQ(rep.rr[0].ttl, 60);
	HT_EQ(rep.rr[0].rdlen, 16);
	HT_EQ(rep.rr[0].rdata[0], 0xfd);
	HT_EQ(rep.rr[0].rdata[15], 0x15);
}

HT_TEST(nxdomain_nodata)
{
	struct msg q;
	load_zone();
	query(&q, 1, 0, "nope.example.test", DNS_T_A, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_NXDOMAIN);
	HT_CHECK(rep.h.flags & DNS_F_AA);
	HT_EQ(rep.h.ancount, 0);
	HT_EQ(rep.h.nscount, 1);
	HT_EQ(rep.rr[0].type, DNS_T_SOA);
	HT_CHECK(name_is(rep.rr[0].name, "example.test"));
	HT_EQ(rep.rr[0].ttl, DNS_TTL_DEFAULT);
	/* SOA rdata: mname, rname, then 5 numbers, the last the minimum */
	size_t off = rep.rr[0].rdoff;
	uint8_t nm[DNS_NAME_MAX];
	HT_CHECK(dns_name_read(rep.b, rep.n, &off, nm) > 0);
	HT_CHECK(name_is(nm, "ns1.example.test"));
	HT_CHECK(dns_name_read(rep.b, rep.n, &off, nm) > 0);
	HT_CHECK(name_is(nm, "hostmaster.example.test"));
	HT_EQ(off + 20, rep.rr[0].rdoff + rep.rr[0].rdlen);
	HT_EQ(dns_get32(rep.b + off), 1);			/* serial */
	HT_EQ(dns_get32(rep.b + off + 16), DNS_TTL_DEFAULT);	/* minimum */
	/* the name exists, not with this type: NODATA */
	query(&q, 2, 0, "many.example.test", DNS_T_AAAA, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_NOERROR);
	HT_EQ(rep.h.ancount, 0);
	HT_EQ(rep.h.nscount, 1);
	HT_EQ(rep.rr[0].type, DNS_T_SOA);
	/* an empty non-terminal (only deep.sub below it): NODATA too */
	query(&q, 3, 0, "sub.example.test", DNS_T_A, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_NOERROR);
	HT_EQ(rep.h.ancount, 0);
}

HT_TEST(apex)
{
	struct msg q;
	load_zone();
	query(&q, 9, 0, "example.test", DNS_T_SOA, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rep.h.ancount, 1);
	HT_EQ(rep.rr[0].type, DNS_T_SOA);
	query(&q, 9, 0, "example.test", DNS_T_NS, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rep.h.ancount, 1);
	HT_EQ(rep.rr[0].type, DNS_T_NS);
	query(&q, 9, 0, "example.test", DNS_T_ANY, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rep.h.ancount, 3);			/* SOA, NS, A */
	HT_EQ(rep.rr[2].type, DNS_T_A);
}

HT_TEST(refused_notimp_formerr)
{
	struct msg q;
	load_zone();
	query(&q, 1, 0, "www.example.org", DNS_T_A, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_REFUSED);
	HT_CHECK(!(rep.h.flags & DNS_F_AA));
	HT_EQ(rep.h.qdcount, 1);
	HT_EQ(rep.h.ancount + rep.h.nscount, 0);
	query(&q, 1, 0, "test", DNS_T_A, DNS_C_IN, 0, 0);		/* the parent */
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_REFUSED);
	query(&q, 1, 0, "www.example.test", DNS_T_A, 3 /* CH */, 0, 0);
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_REFUSED);
	query(&q, 1, 0, "example.test", DNS_T_AXFR, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_TCP, 16384);
	HT_EQ(rcode(&rep), DNS_R_REFUSED);
	query(&q, 1, 2 << 11, "www.example.test", DNS_T_A, DNS_C_IN, 0, 0);	/* STATUS */
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_NOTIMP);
	HT_EQ((rep.h.flags & DNS_F_OPCODE) >> 11, 2);
	/* no question; two questions; a cut name; a cut type */
	query(&q, 5, 0, "www.example.test", DNS_T_A, DNS_C_IN, 0, 0);
	q.b[5] = 0;
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_FORMERR);
	HT_EQ(rep.h.id, 5);
	HT_EQ(rep.h.qdcount, 0);
	q.b[5] = 2;
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_FORMERR);
	query(&q, 5, 0, "www.example.test", DNS_T_A, DNS_C_IN, 0, 0);
	size_t full = q.n;
	q.n = DNS_HDR_LEN + 6;
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_FORMERR);
	q.n = full - 1;
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_FORMERR);
	/* an additional record announced but missing */
	q.n = full;
	q.b[11] = 1;
	ask(&q, &rep, DNS_UDP, 512);
	HT_EQ(rcode(&rep), DNS_R_FORMERR);
	/* nothing at all for a response, or for less than a header */
	query(&q, 5, DNS_F_QR, "www.example.test", DNS_T_A, DNS_C_IN, 0, 0);
	HT_EQ(ask(&q, &rep, DNS_UDP, 512), 0);
	q.n = 11;
	HT_EQ(ask(&q, &rep, DNS_UDP, 512), 0);
}

HT_TEST(edns)
{
	struct msg q;
	load_zone();
	query(&q, 1, 0, "www.example.test", DNS_T_A, DNS_C_IN, 4096, 0);
	ask(&q, &rep, DNS_UDP, DNS_EDNS_PAYLOAD);
	HT_EQ(rcode(&rep), DNS_R_NOERROR);
	HT_EQ(rep.h.ancount, 1);
	HT_EQ(rep.h.arcount, 1);
	HT_EQ(rep.rr[1].type, DNS_T_OPT);
	HT_EQ(rep.rr[1].cls, DNS_EDNS_PAYLOAD);
	HT_CHECK(name_is(rep.rr[1].name, "."));
	/* version 1: BADVERS (16) = OPT's extended rcode 1, header rcode 0 */
	query(&q, 1, 0, "www.example.test", DNS_T_A, DNS_C_IN, 4096, 1);
	ask(&q, &rep, DNS_UDP, DNS_EDNS_PAYLOAD);
	HT_EQ(rcode(&rep), 0);
	HT_EQ(rep.h.ancount, 0);
	HT_EQ(rep.h.arcount, 1);
	HT_EQ(rep.rr[0].ttl >> 24, 1);
	/* two OPT records: FORMERR */
	query(&q, 1, 0, "www.example.test", DNS_T_A, DNS_C_IN, 4096, 0);
	memcpy(q.b + q.n, q.b + q.n - 11, 11);
	q.n += 11;
	q.b[11] = 2;
	ask(&q, &rep, DNS_UDP, DNS_EDNS_PAYLOAD);
	HT_EQ(rcode(&rep), DNS_R_FORMERR);
}

HT_TEST(truncation)
{
	struct msg q;
	load_zone();
	/* 40 A records: 12 + 22 (question) + 40 * 16 = 674 bytes */
	query(&q, 1, 0, "many.example.test", DNS_T_A, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_UDP, 4096);
	HT_CHECK(rep.n <= 512);
	HT_CHECK(rep.h.flags & DNS_F_TC);
	HT_EQ(rep.h.ancount, (512 - 12 - 23) / 16);	/* the whole records that fit */
	HT_EQ(rcode(&rep), DNS_R_NOERROR);
	/* EDNS 1232: all fit */
	query(&q, 1, 0, "many.example.test", DNS_T_A, DNS_C_IN, 1232, 0);
	ask(&q, &rep, DNS_UDP, 4096);
	HT_CHECK(!(rep.h.flags & DNS_F_TC));
	HT_EQ(rep.h.ancount, 40);
	HT_EQ(rep.h.arcount, 1);
	/* EDNS below 512 counts as 512 */
	query(&q, 1, 0, "many.example.test", DNS_T_A, DNS_C_IN, 100, 0);
	ask(&q, &rep, DNS_UDP, 4096);
	HT_CHECK(rep.n <= 512);
	HT_CHECK(rep.h.flags & DNS_F_TC);
	HT_EQ(rep.rr[rep.nrr - 1].type, DNS_T_OPT);	/* OPT kept when truncated */
	/* TCP: everything */
	query(&q, 1, 0, "many.example.test", DNS_T_A, DNS_C_IN, 0, 0);
	ask(&q, &rep, DNS_TCP, 16384);
	HT_CHECK(!(rep.h.flags & DNS_F_TC));
	HT_EQ(rep.h.ancount, 40);
	for (int i = 0; i < 40; i++)
		HT_EQ(rep.rr[i].rdata[3], i + 1);
}
