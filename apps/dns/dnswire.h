/*
 * apps/dns/dnswire.h — the DNS message format (RFC 1035, 6891): header,
 * names (with compression), a bounded writer. Pure C: no allocation, no
 * globals, every read bounds-checked; host-tested and fuzzed.
 *
 * Names are kept in wire form, uncompressed: length-prefixed labels
 * ending in a zero byte ("\3www\7example\4test\0"), at most DNS_NAME_MAX
 * bytes, labels at most 63. Comparisons ignore ASCII case, as DNS does.
 */
#ifndef APPS_DNS_DNSWIRE_H
#define APPS_DNS_DNSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN	12
#define DNS_NAME_MAX	255		/* wire form, with its final zero */
#define DNS_TEXT_MAX	254		/* text form, without a trailing dot */

enum {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_SOA = 6, DNS_T_AAAA = 28, DNS_T_OPT = 41,
	DNS_T_IXFR = 251, DNS_T_AXFR = 252, DNS_T_ANY = 255,
};
enum { DNS_C_IN = 1, DNS_C_ANY = 255 };
enum {
	DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5, DNS_R_BADVERS = 16,
};
/* Header flag bits (the 16-bit word after the id). */
#define DNS_F_QR	0x8000
#define DNS_F_OPCODE	0x7800
#define DNS_F_AA	0x0400
#define DNS_F_TC	0x0200
#define DNS_F_RD	0x0100
#define DNS_F_RA	0x0080
#define DNS_F_RCODE	0x000f

struct dns_hdr {
	uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

static inline uint16_t dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The header of the n-byte message m: false when n < 12. */
bool dns_hdr_read(const uint8_t *m, size_t n, struct dns_hdr *h);

/* The name at *off in message m (n bytes), decompressed into out (wire
   form). Returns its length (1..DNS_NAME_MAX) and moves *off past the
   name's own bytes (a pointer counts 2); -1 when malformed: past the end,
   a label over 63 bytes, a name over 255, a reserved label type, or a
   pointer that does not point strictly backwards (which also rules out
   loops). */
int dns_name_read(const uint8_t *m, size_t n, size_t *off, uint8_t out[DNS_NAME_MAX]);
/* Skip a name (as dns_name_read, without keeping it). */
bool dns_name_skip(const uint8_t *m, size_t n, size_t *off);
/* Wire names equal, ignoring ASCII case. */
bool dns_name_equal(const uint8_t *a, const uint8_t *b);
/* Is name zone itself or below it? */
bool dns_name_within(const uint8_t *name, const uint8_t *zone);
/* Length of a wire name (up to and with its zero byte). */
size_t dns_name_len(const uint8_t *name);
/* Text ("www.example.test", one trailing dot allowed; "." or "" is the
   root) to wire form: its length, or -1 (empty label, label over 63,
   name over 255, a byte outside letters, digits, '-', '_'). */
int dns_name_from_text(const char *s, size_t n, uint8_t out[DNS_NAME_MAX]);
/* Wire form to text, without the trailing dot ("." for the root): its
   length, or -1 when it does not fit in size. */
int dns_name_to_text(const uint8_t *name, char *out, size_t size);
/* prefix (wire form, relative: its own zero byte ignored) prepended to
   origin: the length, or -1 when over 255 bytes. */
int dns_name_concat(const uint8_t *prefix, const uint8_t *origin, uint8_t out[DNS_NAME_MAX]);

/* A bounded writer. Writes past `limit` set `over` and are dropped, so a
   caller writes freely and checks once. Names are compressed against the
   question's name (at offset 12 once dns_out_question has run). */
struct dns_out {
	uint8_t *buf;
	size_t limit, len;
	bool over;
	const uint8_t *qname;		/* the question's name, wire form */
};
void dns_out_init(struct dns_out *o, uint8_t *buf, size_t limit);
void dns_put8(struct dns_out *o, uint8_t v);
void dns_put16(struct dns_out *o, uint16_t v);
void dns_put32(struct dns_out *o, uint32_t v);
void dns_put_bytes(struct dns_out *o, const void *p, size_t n);
/* A name, with its longest suffix that is a suffix of the question's
   name written as a pointer to it. */
void dns_put_name(struct dns_out *o, const uint8_t *name);
/* The header: 12 bytes at the start of buf (len must be 0). */
void dns_put_hdr(struct dns_out *o, const struct dns_hdr *h);
/* Rewrite the header's counts and flags in place. */
void dns_patch_hdr(struct dns_out *o, const struct dns_hdr *h);

#endif
