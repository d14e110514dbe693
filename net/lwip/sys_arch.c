/*
 * net/lwip/sys_arch.c — the services Weft's port gives lwIP (NO_SYS=1):
 * time, random numbers, and initial sequence numbers.
 *
 * NO_SYS needs only sys_now(); lwIP calls no other sys_* function and has
 * no sys_arch_protect (arch/cc.h turns its critical sections into net-lock
 * assertions). Everything here is called under the net lock except
 * sys_init(), which net_init() calls once before lwip_init(), and
 * lwip_rand(), which is safe anywhere.
 *
 * Entropy: there is no hardware source wired up yet (RDRAND, virtio-rng),
 * so the generator and the ISN key are seeded from the TSC at boot and at
 * initialization. That is unpredictable to a remote peer at the
 * microsecond level, but it is not a secret in the cryptographic sense; a
 * real source should seed sys_init() when the kernel has one.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/time.h"
#include "kernel/atomic.h"
#include "lwip/ip_addr.h"
#include "lwip/sys.h"

static uint64_t rand_state;		/* splitmix64 counter, atomic */
static uint64_t isn_key[2];		/* SipHash key, set once by sys_init */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Seed the generator and the ISN key. Called once, before lwip_init()
   (which already draws random ephemeral ports). */
void sys_init(void)
{
	uint64_t t = time_ns();
	a_store_relaxed(&rand_state, mix64(boot_tsc) ^ t);
	isn_key[0] = mix64(t ^ 0x5157a5e1ull) ^ lwip_rand();
	isn_key[1] = mix64(boot_tsc + t) ^ ((uint64_t)lwip_rand() << 32);
}

/* Milliseconds since boot for lwIP's timers; lwIP only takes differences,
   so the 49-day wrap of u32_t is harmless. */
u32_t sys_now(void)
{
	return (u32_t)(time_ns() / 1000000u);
}

/* splitmix64: each call takes the next value of a shared counter, so
   concurrent callers need no lock and never get the same number. */
uint32_t lwip_rand(void)
{
	uint64_t x = a_add_fetch_relaxed(&rand_state, 0x9e3779b97f4a7c15ull);
	return (uint32_t)(mix64(x) >> 32);
}

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3)						\
	do {									\
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
	} while (0)

/* SipHash-2-4 of the n bytes at m. */
static uint64_t siphash(const uint64_t key[2], const uint8_t *m, size_t n)
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
	uint64_t b = (uint64_t)n << 56;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, m + i, 8);	/* little-endian, as SipHash reads */
		v3 ^= w;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= w;
	}
	for (size_t k = 0; i + k < n; k++)
		b |= (uint64_t)m[i + k] << (8 * k);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int r = 0; r < 4; r++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The address bytes of ip (4 or 16) at p; returns how many. */
static size_t ip_bytes(uint8_t *p, const ip_addr_t *ip)
{
	if (IP_IS_V6(ip)) {
		memcpy(p, ip_2_ip6(ip)->addr, 16);
		return 16;
	}
	memcpy(p, &ip_2_ip4(ip)->addr, 4);
	return 4;
}

/* RFC 6528: ISN = M + F(local, remote, secret), M a 4-microsecond clock.
   Unguessable without the key, and increasing in time for one address
   pair, so a new connection's SYN lands beyond the old one's sequence
   space, which is what lets a TIME_WAIT (ours or the peer's) give way to
   it. */
uint32_t lwip_hook_tcp_isn(const ip_addr_t *local_ip, uint16_t local_port,
			   const ip_addr_t *remote_ip, uint16_t remote_port)
{
	uint8_t m[36];
	size_t n = ip_bytes(m, local_ip);
	n += ip_bytes(m + n, remote_ip);
	memcpy(m + n, &local_port, 2);
	memcpy(m + n + 2, &remote_port, 2);
	uint32_t clock4us = (uint32_t)(time_ns() / 4000u);
	return clock4us + (uint32_t)siphash(isn_key, m, n + 4);
}
