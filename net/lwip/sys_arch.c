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
#include "kernel/time.h"
#include "kernel/atomic.h"
#include "lwip/ip4_addr.h"
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

/* SipHash-2-4 of a 12-byte message given as a first 8-byte word and a
   last 4 bytes (little-endian packing, length 12 in the top byte). */
static uint64_t siphash12(const uint64_t key[2], uint64_t m0, uint32_t m1)
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
	uint64_t b = (12ull << 56) | m1;

	v3 ^= m0;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m0;
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* RFC 6528: ISN = M + F(local, remote, secret), M a 4-microsecond clock.
   Unguessable without the key, and increasing in time for one address
   pair, so a new connection's SYN lands beyond the old one's sequence
   space, which is what lets a TIME_WAIT (ours or the peer's) give way to
   it. */
uint32_t lwip_hook_tcp_isn(const struct ip4_addr *local_ip, uint16_t local_port,
			   const struct ip4_addr *remote_ip, uint16_t remote_port)
{
	uint64_t m0 = (uint64_t)local_ip->addr | ((uint64_t)remote_ip->addr << 32);
	uint32_t m1 = (uint32_t)local_port | ((uint32_t)remote_port << 16);
	uint32_t clock4us = (uint32_t)(time_ns() / 4000u);
	return clock4us + (uint32_t)siphash12(isn_key, m0, m1);
}
