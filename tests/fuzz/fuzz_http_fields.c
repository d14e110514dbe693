/*
 * libFuzzer target for the request-header field parsers of the static
 * site (host build; see run.sh): apps/httpd/http_range.c,
 * apps/httpd/http_date.c and apps/httpd/http_accept.c.
 *
 * Each input's first 8 bytes give a file size (little endian, the high
 * bytes masked so that small sizes come up often) and a clock; the rest
 * is one field value, copied into a heap buffer of exactly its size so
 * that AddressSanitizer catches a read past it, and given to:
 *   http_range_parse  a single range lies inside the file, the result is
 *                     one of the three, the outputs are untouched unless
 *                     it is HTTP_RANGE_ONE; the same value against size 0
 *                     is never HTTP_RANGE_ONE;
 *   http_date_parse   a date it accepts is 29, 24 or 30-33 bytes long and
 *                     before year 10000; parsing is repeatable;
 *   http_accept_q     every weight is -1 or in 0..1000, and
 *                     http_accepts_gzip agrees with gzip's weight.
 * A broken invariant abort()s with a message on stderr.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/httpd/http_accept.h"
#include "apps/httpd/http_date.h"
#include "apps/httpd/http_range.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

static void range(const char *v, size_t n, uint64_t size)
{
	uint64_t a = 7, b = 9;
	enum http_range r = http_range_parse(v, n, size, &a, &b);

	CHECK(r == HTTP_RANGE_ONE || r == HTTP_RANGE_IGNORE ||
	      r == HTTP_RANGE_UNSATISFIABLE);
	if (r == HTTP_RANGE_ONE)
		CHECK(a <= b && b < size);
	else
		CHECK(a == 7 && b == 9);
	a = b = 0;
	CHECK(http_range_parse(v, n, 0, &a, &b) != HTTP_RANGE_ONE);
}

static void date(const char *v, size_t n, uint64_t now)
{
	uint64_t t = 0, t2 = 1;
	int rc = http_date_parse(v, n, now, &t);

	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		CHECK(n == 29 || n == 24 || (n >= 30 && n <= 33));
		CHECK(t < 253402300800u); /* 10000-01-01 */
		CHECK(http_date_parse(v, n, now, &t2) == 0 && t2 == t);
	}
}

static void accept(const char *v, size_t n)
{
	static const char *const names[] = { "gzip", "br", "identity", "*" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int q = http_accept_q(v, n, names[i]);

		CHECK(q == -1 || (q >= 0 && q <= 1000));
	}
	CHECK(http_accepts_gzip(v, n) == (http_accept_q(v, n, "gzip") > 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	uint64_t size = 0, now;
	char *v;

	if (n < 8)
		return 0;
	for (int i = 0; i < 8; i++)
		size |= (uint64_t)d[i] << (8 * i);
	now = size % 8000000000u; /* some instant before 2224 */
	/* Mostly small sizes, sometimes any. */
	size &= d[7] & 0x80 ? UINT64_MAX : 0xffff;
	d += 8;
	n -= 8;
	v = malloc(n ? n : 1);
	CHECK(v != NULL);
	memcpy(v, d, n);
	range(v, n, size);
	date(v, n, now);
	accept(v, n);
	free(v);
	return 0;
}
