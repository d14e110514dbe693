/*
 * libFuzzer target for app=dns's pure parts (host build; see run.sh):
 * apps/dns/dnswire.c, apps/dns/answer.c, apps/dns/zone.c.
 *
 * Each input is used three ways:
 *   1. as a query to dns_answer, over UDP and over TCP, the query copied
 *      into a heap buffer of exactly its size (AddressSanitizer catches a
 *      read past it). A reply must fit its limit (UDP: 512 bytes without
 *      EDNS, 1232 at most), answer the query's id with QR set, and parse
 *      back cleanly: its question (if any) the query's, every record whole
 *      and nothing after the last;
 *   2. every byte offset as the start of a name (dns_name_read must stay
 *      inside the message and produce a well-formed wire name, or fail);
 *   3. as zone words (dns_zone_add on the input as a string).
 * A broken invariant abort()s with a message on stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apps/dns/answer.h"
#include "apps/dns/dnswire.h"
#include "apps/dns/zone.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

static struct dns_zone zone, scratch;
static uint8_t reply[16384];

static void setup(void)
{
	static int done;
	char err[160];
	if (done)
		return;
	done = 1;
	dns_zone_init(&zone);
	CHECK(dns_zone_set_origin(&zone, "example.test") == 0);
	CHECK(dns_zone_add(&zone, "www/A/10.0.2.15,www/AAAA/fd00::15,@/A/10.0.2.1", err,
			   sizeof err) == 0);
	for (int i = 1; i <= 40; i++) {
		char w[64];
		snprintf(w, sizeof w, "many/A/10.1.0.%d", i);
		CHECK(dns_zone_add(&zone, w, err, sizeof err) == 0);
	}
}

/* A well-formed wire name: labels <= 63, total <= 255, ends in 0. */
static void check_name(const uint8_t *w, int len)
{
	CHECK(len >= 1 && len <= DNS_NAME_MAX);
	int i = 0;
	while (w[i]) {
		CHECK(w[i] <= 63);
		i += 1 + w[i];
		CHECK(i < len);
	}
	CHECK(i == len - 1);
}

static void check_reply(const uint8_t *q, size_t qn, const uint8_t *r, size_t n, size_t limit)
{
	struct dns_hdr qh, h;
	CHECK(n <= limit);
	CHECK(dns_hdr_read(q, qn, &qh) && dns_hdr_read(r, n, &h));
	CHECK(h.id == qh.id && (h.flags & DNS_F_QR));
	CHECK(h.qdcount <= 1);
	size_t off = DNS_HDR_LEN;
	uint8_t name[DNS_NAME_MAX], qname[DNS_NAME_MAX];
	if (h.qdcount) {
		int l = dns_name_read(r, n, &off, name);
		CHECK(l > 0 && n - off >= 4);
		check_name(name, l);
		size_t qoff = DNS_HDR_LEN;
		CHECK(dns_name_read(q, qn, &qoff, qname) > 0);
		CHECK(dns_name_equal(name, qname));
		off += 4;
	}
	unsigned total = (unsigned)h.ancount + h.nscount + h.arcount;
	for (unsigned i = 0; i < total; i++) {
		int l = dns_name_read(r, n, &off, name);
		CHECK(l > 0 && n - off >= 10);
		size_t rdlen = dns_get16(r + off + 8);
		off += 10;
		CHECK(n - off >= rdlen);
		off += rdlen;
	}
	CHECK(off == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	uint8_t *q = malloc(size ? size : 1);
	CHECK(q != NULL);
	memcpy(q, data, size);

	size_t n = dns_answer(&zone, q, size, reply, DNS_EDNS_PAYLOAD, DNS_UDP);
	if (n)
		check_reply(q, size, reply, n, DNS_EDNS_PAYLOAD);
	n = dns_answer(&zone, q, size, reply, sizeof reply, DNS_TCP);
	if (n)
		check_reply(q, size, reply, n, sizeof reply);

	for (size_t off = 0; off < size; off++) {
		uint8_t name[DNS_NAME_MAX];
		size_t o = off;
		int l = dns_name_read(q, size, &o, name);
		if (l > 0) {
			check_name(name, l);
			CHECK(o > off && o <= size);
		}
	}
	free(q);

	char *text = malloc(size + 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = 0;
	char err[160];
	memcpy(&scratch, &zone, sizeof zone);
	dns_zone_add(&scratch, text, err, sizeof err);
	free(text);
	return 0;
}
