/*
 * tests/lwip/port.c — what the kernel gives Weft's lwIP port, on the host,
 * for lwIP's own unit suite (tests/lwip/run.sh).
 *
 * The suite is linked with Weft's port itself: lwipopts.h, sys_arch.c
 * (sys_now, lwip_rand, RFC 6528 sequence numbers), timewait.c (the input
 * hooks) and pcbhash.c (patch 0002's lookup). What those take from the
 * rest of the kernel is here, and nothing else:
 *
 *   - the clock: time_ns() is lwip_sys_now (milliseconds), the variable
 *     lwIP's tests move to fire timers, so Weft's sys_now() returns it;
 *   - the pools and the heap (MEMP_AT_BOOT, patch 0003): in the kernel
 *     net/lwip/pools.c carves them from pages with the counts net/limits.c
 *     chose; here every pool keeps its MEMP_NUM_* count (the largest, as
 *     in a 512 MiB guest) and the heap is MEM_SIZE, from calloc, before
 *     main() runs lwip_init;
 *   - ipconfig6_gateway: no gw6= on this "command line";
 *   - LWIP_PLATFORM_ASSERT (arch/cc.h): a failed lwIP assertion inside a
 *     test fails that test with lwIP's message (check runs each test in a
 *     child process); outside one it aborts.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "kernel/time.h"
#include "lwip/opt.h"
#include "lwip/ip6_addr.h"
#include "lwip/mem.h"
#include "lwip/memp.h"

uint32_t lwip_sys_now;
uint64_t boot_tsc = 0x5eed;	/* mixed into sys_init's seed only */

uint64_t time_ns(void)
{
	return (uint64_t)lwip_sys_now * 1000000u;
}

unsigned int lwip_heap_bytes;
void *lwip_heap_base;
static pid_t main_pid;

static void *zeroed(size_t bytes, const char *what)
{
	void *p = calloc(1, bytes + MEM_ALIGNMENT - 1);
	if (!p) {
		fprintf(stderr, "lwip host port: no memory for %s (%zu bytes)\n", what, bytes);
		abort();
	}
	return p;
}

/* Before main(): lwip_init's mem_init reads these. Heap: MEM_SIZE_ALIGNED
   bytes plus two struct mem (64 covers them), as pools.c carves it. */
__attribute__((constructor)) static void heap_at_start(void)
{
	main_pid = getpid();
	lwip_heap_bytes = (unsigned int)LWIP_MEM_ALIGN_SIZE(MEM_SIZE);
	lwip_heap_base = zeroed(lwip_heap_bytes + 64, "the heap");
}

void lwip_pools_at_boot(int type, size_t elem, unsigned int *num, unsigned char **base)
{
	(void)type;		/* *num stays the pool's MEMP_NUM_* */
	*base = zeroed((size_t)*num * elem, "a pool");
}

const struct ip6_addr *ipconfig6_gateway(struct netif *n, const struct ip6_addr *dest)
{
	(void)n;
	(void)dest;
	return NULL;
}

void lwip_host_assert(const char *msg, const char *file, int line)
{
	fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", msg, file, line);
	if (getpid() != main_pid)
		ck_abort_msg("lwIP assertion \"%s\" failed at %s:%d", msg, file, line);
	abort();
}
