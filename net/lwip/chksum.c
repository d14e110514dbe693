/*
 * net/lwip/chksum.c — the Internet checksum lwIP computes in software
 * (lwipopts.h: LWIP_CHKSUM), for IP headers, ICMP, UDP, and TCP when
 * the device does not sum it.
 *
 * What it returns is what lwIP's own lwip_standard_chksum returns: the
 * one's-complement sum of the bytes as 16-bit words, folded to 16 bits
 * and not inverted, in the byte order of memory (inet_chksum inverts it;
 * the pbuf walkers swap the sum of a piece that starts at an odd offset
 * of the packet). A one's-complement sum does not depend on the byte
 * order the words are read in, so the bytes are read as little-endian
 * 64-bit words (x86 loads them at any alignment) and added with the
 * carry folded back in; a last odd byte is the low byte of its word, as
 * in memory. The loads are __builtin_memcpy: the kernel is built
 * -ffreestanding, where a plain memcpy stays a call.
 *
 * Why not lwIP's: its version 3 (32-bit words) spends ~80 instructions
 * on a 20-byte IP header, most of them aligning the pointer and the
 * calls' bookkeeping; this sums the header in about a quarter of that
 * (make profile: two IP headers a request, one received, one sent).
 * tests/host/test_lwip_chksum.c compares it with a byte loop at every
 * length and offset.
 */
#include <stddef.h>
#include <stdint.h>
#include "net/lwip/include/chksum.h"

unsigned short weft_lwip_chksum(const void *data, int len)
{
	const uint8_t *b = data;
	uint64_t s = 0, w;
	size_t n = len > 0 ? (size_t)len : 0;

	while (n >= 8) {
		__builtin_memcpy(&w, b, 8);
		s += w;
		s += s < w;
		b += 8;
		n -= 8;
	}
	if (n >= 4) {
		uint32_t v;

		__builtin_memcpy(&v, b, 4);
		s += v;
		s += s < v;
		b += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t v;

		__builtin_memcpy(&v, b, 2);
		s += v;
		s += s < v;
		b += 2;
		n -= 2;
	}
	if (n) {
		s += *b;
		s += s < *b;
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (unsigned short)s;
}
