/*
 * net/lwip/pools.c — lwIP's pools and heap, carved at boot from the page
 * allocator with the counts net/limits.c chose from the memory there is.
 *
 * With MEMP_AT_BOOT (lwipopts.h, net/lwip/patches/0003-pools-sized-at-boot.patch)
 * lwIP declares no storage for its pools: memp_init calls
 * lwip_pools_at_boot for each one, which sets its element count (the
 * four large pools from net_limits, the others keep their MEMP_NUM_*
 * value) and points it at identity-mapped pages. The heap is carved the
 * same way, by lwip_heap_at_boot, before lwip_init runs mem_init. From
 * then on they are ordinary fixed pools: memp_malloc and memp_free run
 * lwIP's own code, and nothing is ever given back.
 *
 * The pages are not zeroed, and memp_init links no element
 * (net/lwip/patches/0006-pools-linked-on-demand.patch: memp_malloc takes
 * never-used elements in order when the free list is empty): lwIP
 * initializes every element it takes and mem_init writes only the heap's
 * two ends, so boot touches none of the tens of MiB, where zeroing or
 * linking them cost a host page fault per page (issue 12).
 */
#include "kernel/page.h"
#include "kernel/panic.h"
#include "lwip/memp.h"
#include "net/limits.h"
#include "net/net_priv.h"

unsigned int lwip_heap_bytes;
void *lwip_heap_base;

/* net_limits_plan left room for every pool: running out here is a bug
   in its arithmetic. */
static unsigned char *carve(int pool, size_t bytes)
{
	uint64_t n = (bytes + MEM_ALIGNMENT - 1 + 4095) / 4096;
	uint64_t pa = n ? page_alloc_contig_nozero(n) : 0;
	if (n && !pa)
		panic("lwip: no %llu KiB for pool %d (-1: the heap)", (unsigned long long)(n * 4), pool);
	return (unsigned char *)(uintptr_t)pa;
}

void lwip_heap_at_boot(void)
{
	/* mem.c's heap: MEM_SIZE_ALIGNED bytes plus two struct mem (64
	   bytes covers them) and its alignment. */
	lwip_heap_bytes = (unsigned int)LWIP_MEM_ALIGN_SIZE(net_limits.heap_bytes);
	lwip_heap_base = carve(-1, lwip_heap_bytes + 64);
}

void lwip_pools_at_boot(int type, size_t elem, unsigned int *num, unsigned char **base)
{
	switch (type) {
	case MEMP_TCP_PCB: *num = net_limits.tcp_pcbs; break;
	case MEMP_TCP_SEG: *num = net_limits.tcp_segs; break;
	case MEMP_PBUF_POOL: *num = net_limits.pbufs; break;
	case MEMP_PBUF: *num = net_limits.pbuf_refs; break;
	default: break;			/* the small pools: their MEMP_NUM_* */
	}
	*base = carve(type, (size_t)*num * elem);
}
