// host-test-sources: tests/host/string_host.S
/* Host unit tests for kernel/arch/string.S (memcpy, memset): every length
 * up to 300 at every alignment of source and destination, against a byte
 * loop; the bytes around the destination stay untouched; the return value
 * is the destination. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/host/hosttest.h"

void *string_memcpy(void *dst, const void *src, size_t n);
void *string_memset(void *dst, int c, size_t n);

#define MAXN 300
#define PAD 16

static unsigned char src[MAXN + 2 * PAD], dst[MAXN + 2 * PAD],
	want[MAXN + 2 * PAD];

static void fill(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(seed * 131 + i * 7 + 1);
}

HT_TEST(memcpy_every_length_and_alignment)
{
	for (size_t so = 0; so < 8; so++)
		for (size_t d_o = 0; d_o < 8; d_o++)
			for (size_t n = 0; n <= MAXN; n++) {
				fill(src, sizeof src, (unsigned)n);
				fill(dst, sizeof dst, (unsigned)n + 77);
				memcpy(want, dst, sizeof dst);
				for (size_t i = 0; i < n; i++)
					want[PAD + d_o + i] = src[so + i];
				HT_CHECK(string_memcpy(dst + PAD + d_o, src + so, n) ==
					 dst + PAD + d_o);
				if (memcmp(dst, want, sizeof dst) != 0)
					ht_fail(__FILE__, __LINE__,
						"memcpy n=%zu src+%zu dst+%zu differs", n,
						so, d_o);
			}
}

HT_TEST(memset_every_length_alignment_and_value)
{
	static const int values[] = { 0, 0xff, 0x5a, 0x1234 /* byte 0x34 */, -1 };

	for (size_t v = 0; v < sizeof values / sizeof values[0]; v++)
		for (size_t d_o = 0; d_o < 8; d_o++)
			for (size_t n = 0; n <= MAXN; n++) {
				fill(dst, sizeof dst, (unsigned)n);
				memcpy(want, dst, sizeof dst);
				for (size_t i = 0; i < n; i++)
					want[PAD + d_o + i] = (unsigned char)values[v];
				HT_CHECK(string_memset(dst + PAD + d_o, values[v], n) ==
					 dst + PAD + d_o);
				if (memcmp(dst, want, sizeof dst) != 0)
					ht_fail(__FILE__, __LINE__,
						"memset n=%zu dst+%zu value %#x differs", n,
						d_o, values[v]);
			}
}
