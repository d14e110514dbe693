/*
 * kernel/arch/hwrng.h — the CPU's random number instructions, for
 * kernel/entropy.c.
 *
 * RDSEED returns output of the CPU's entropy conditioner (NIST SP 800-90B/C
 * "full entropy"); RDRAND returns output of a DRBG the conditioner reseeds
 * (SP 800-90A). Either may fail transiently (carry clear) when the hardware
 * is drained; Intel's guidance is to retry RDRAND up to 10 times and to
 * retry RDSEED with a pause in between. CPUID says whether they exist:
 * leaf 1 ECX bit 30 (RDRAND), leaf 7 subleaf 0 EBX bit 18 (RDSEED).
 */
#ifndef KERNEL_ARCH_HWRNG_H
#define KERNEL_ARCH_HWRNG_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/arch/x86.h"

static inline bool cpu_has_rdrand(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return c & (1u << 30);
}

static inline bool cpu_has_rdseed(void)
{
	uint32_t a, b, c, d;
	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 7)
		return false;
	cpuid(7, 0, &a, &b, &c, &d);
	return b & (1u << 18);
}

/* One 64-bit word, or false when the instruction reported failure. */
static inline bool rdrand64(uint64_t *v)
{
	bool ok;
	__asm__ volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

static inline bool rdseed64(uint64_t *v)
{
	bool ok;
	__asm__ volatile("rdseed %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

#endif
