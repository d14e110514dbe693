// host-test-sources: net/lwip/chksum.c
/* Host unit tests for net/lwip/chksum.c (the checksum lwIP uses, its
 * LWIP_CHKSUM): every length up to 300 at every offset from an 8-byte
 * boundary, on patterned, all-0xff and all-zero bytes, against a sum of
 * 16-bit big-endian words with the end-around carry, byte-swapped back
 * to memory order (lwip_standard_chksum's contract); and an IPv4 header
 * whose checksum is known. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/host/hosttest.h"
#include "net/lwip/include/chksum.h"

#define MAXN 300

static unsigned char buf[MAXN + 16];

/* The reference: big-endian words, the carry added back each time. */
static unsigned short ref_sum(const unsigned char *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2) {
		uint32_t w = (uint32_t)b[i] << 8 | (i + 1 < n ? b[i + 1] : 0);

		s += w;
		s = (s & 0xffff) + (s >> 16);
	}
	/* memory order on a little-endian host */
	return (unsigned short)((s >> 8 | s << 8) & 0xffff);
}

static int check_all(unsigned char (*fill)(size_t))
{
	int bad = 0;

	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n <= MAXN; n++) {
			for (size_t i = 0; i < n; i++)
				buf[off + i] = fill(i + n);
			if (weft_lwip_chksum(buf + off, (int)n) != ref_sum(buf + off, n))
				bad++;
		}
	return bad;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 151 + 7);
}

static unsigned char ones(size_t i)
{
	(void)i;
	return 0xff;
}

static unsigned char zeros(size_t i)
{
	(void)i;
	return 0;
}

HT_TEST(lwip_chksum_every_length_and_offset)
{
	HT_EQ(check_all(pattern), 0);
}

HT_TEST(lwip_chksum_all_ones_and_all_zeros)
{
	HT_EQ(check_all(ones), 0);
	HT_EQ(check_all(zeros), 0);
	memset(buf, 0xff, 64);
	HT_EQ(weft_lwip_chksum(buf, 64), 0xffff); /* never a zero from ones */
	memset(buf, 0, 64);
	HT_EQ(weft_lwip_chksum(buf, 64), 0);
}

HT_TEST(lwip_chksum_ipv4_header)
{
	/* 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7:
	   the sum with the checksum field in place is 0xffff. */
	static const unsigned char h[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	unsigned char z[20];

	HT_EQ(weft_lwip_chksum(h, 20), 0xffff);
	memcpy(z, h, 20);
	z[10] = z[11] = 0;
	/* inet_chksum's ~sum, stored as it is in memory, is the field */
	unsigned short c = (unsigned short)~weft_lwip_chksum(z, 20);
	HT_EQ(c, (unsigned short)(0x61 << 8 | 0xb8));
}
