// host-test-sources: apps/httpd/http_range.c
/* Host unit tests for apps/httpd/http_range.c: Range values against a
 * file size, as RFC 9110 14.1.2's examples and the edges around them. */

#include <stdio.h>
#include <string.h>

#include "apps/httpd/http_range.h"
#include "tests/host/hosttest.h"

static enum http_range R;
static uint64_t A, B;

static enum http_range range(const char *v, uint64_t size)
{
	A = B = 12345;
	R = http_range_parse(v, strlen(v), size, &A, &B);
	return R;
}

/* v on a file of size bytes is the single range first..last. */
#define ONE(v, size, first, last)                                          \
	do {                                                               \
		HT_EQ(range(v, size), HTTP_RANGE_ONE);                     \
		HT_EQ(A, first);                                           \
		HT_EQ(B, last);                                            \
	} while (0)

HT_TEST(the_rfc_examples)
{
	/* RFC 9110 14.1.2, a 10000-byte representation. */
	ONE("bytes=0-499", 10000, 0, 499);
	ONE("bytes=500-999", 10000, 500, 999);
	ONE("bytes=-500", 10000, 9500, 9999);
	ONE("bytes=9500-", 10000, 9500, 9999);
	ONE("bytes=0-0", 10000, 0, 0);
	ONE("bytes=-1", 10000, 9999, 9999);
	/* Several ranges: the whole file. */
	HT_EQ(range("bytes=0-0,-1", 10000), HTTP_RANGE_IGNORE);
	HT_EQ(range("bytes=500-600,601-999", 10000), HTTP_RANGE_IGNORE);
	HT_EQ(range("bytes=500-700,601-999", 10000), HTTP_RANGE_IGNORE);
}

HT_TEST(clamped_to_the_file)
{
	ONE("bytes=0-99999", 100, 0, 99);
	ONE("bytes=-99999", 100, 0, 99);
	ONE("bytes=-100", 100, 0, 99);
	ONE("bytes=99-", 100, 99, 99);
	ONE("bytes=99-99", 100, 99, 99);
	ONE("bytes=0-", 1, 0, 0);
	/* Numbers past 64 bits are infinitely large. */
	ONE("bytes=5-99999999999999999999999999", 100, 5, 99);
	ONE("bytes=-99999999999999999999999999", 100, 0, 99);
	ONE("bytes=0-18446744073709551615", 100, 0, 99);
}

HT_TEST(unsatisfiable)
{
	HT_EQ(range("bytes=100-", 100), HTTP_RANGE_UNSATISFIABLE);
	HT_EQ(range("bytes=100-200", 100), HTTP_RANGE_UNSATISFIABLE);
	HT_EQ(range("bytes=99999999999999999999999-", 100),
	      HTTP_RANGE_UNSATISFIABLE);
	HT_EQ(range("bytes=-0", 100), HTTP_RANGE_UNSATISFIABLE);
	HT_EQ(range("bytes=0-", 0), HTTP_RANGE_UNSATISFIABLE);
	HT_EQ(range("bytes=-5", 0), HTTP_RANGE_UNSATISFIABLE);
	HT_EQ(range("bytes=0-0", 0), HTTP_RANGE_UNSATISFIABLE);
	/* Nothing is written on anything but ONE. */
	HT_EQ(A, 12345);
	HT_EQ(B, 12345);
}

HT_TEST(list_syntax)
{
	ONE("BYTES=1-2", 10, 1, 2);
	ONE("Bytes=1-2", 10, 1, 2);
	ONE("bytes= 1-2", 10, 1, 2);
	ONE("bytes=1-2 ", 10, 1, 2);
	ONE("bytes=\t1-2\t", 10, 1, 2);
	ONE("bytes=,1-2", 10, 1, 2);
	ONE("bytes=1-2,", 10, 1, 2);
	ONE("bytes=, ,1-2, ,", 10, 1, 2);
	ONE("bytes=007-008", 10, 7, 8);
}

HT_TEST(invalid_is_ignored)
{
	static const char *const bad[] = {
		"", "bytes", "bytes=", "bytes=,", "bytes = 0-1", "bytes =0-1",
		"bites=0-1", "items=0-1", "bytes=1", "bytes=-", "bytes=--1",
		"bytes=1--2", "bytes=a-b", "bytes=1-a", "bytes=1-2x",
		"bytes=1 -2", "bytes=1- 2", "bytes=- 2", "bytes=2-1",
		"bytes=1-2;x", "bytes=0x1-2", "bytes=+1-2", "bytes=1-2 3",
		"bytes=0-1,x", "bytes=x,0-1", "bytes=1.5-2",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (range(bad[i], 100) != HTTP_RANGE_IGNORE)
			ht_fail(__FILE__, __LINE__, "\"%s\" gave %d", bad[i],
				(int)R);
}

HT_TEST(length_is_respected)
{
	uint64_t a, b;

	HT_EQ(http_range_parse("bytes=1-2999", 9, 100, &a, &b),
	      HTTP_RANGE_ONE);
	HT_EQ(a, 1);
	HT_EQ(b, 2);
}
