/*
 * net/rx_small.c — small receive buffers: netif_deliver copies a frame of
 * at most RX_SMALL_BYTES into one of these instead of into a PBUF_POOL
 * buffer (1,576 bytes).
 *
 * Why. A received segment stays in its pbuf until the connection's task
 * reads it (conn_read). A keep-alive client's next request (a GET is a few
 * dozen to a few hundred bytes) therefore holds a whole receive buffer
 * until its task gets the CPU. With more clients sending at once than the
 * pool has buffers (100 keep-alive clients of an 8 MiB guest against its
 * 64; 10,000 against 8,192 at 512 MiB) the pool ran dry, the driver
 * dropped frames, and clients waited for TCP's retransmissions (a second
 * and more each). A small frame in a small buffer, as Linux drivers do
 * below rx_copybreak, lets every connection hold one: net_limits sizes
 * this pool at one per connection plus a quarter (net/limits.c), about a
 * fifth of a pool buffer each. Pure ACKs and other control segments come
 * here too and go back at once.
 *
 * Exhausted: rx_small_alloc returns NULL and the frame takes a pool
 * buffer, as before (and when that pool is dry too, the frame is dropped
 * and counted by netif_deliver).
 *
 * rx_small_init carves them at bring-up (net_init, right after lwip_init),
 * neither zeroed nor linked: a buffer is put on the free list the first
 * time it is needed (as lwIP's own pools, net/lwip/pools.c), so boot
 * touches none of their pages (each first touch is a host page fault).
 * The buffers are lwIP custom pbufs (pbuf_alloced_custom, of type
 * PBUF_POOL: a receive buffer, nothing volatile in it); pbuf_free gives
 * each back through its free function. Everything here is under the net
 * lock: every pbuf_alloc and pbuf_free is (net/lwip/include/lwipopts.h).
 */
#include <stddef.h>
#include "kernel/page.h"
#include "kernel/panic.h"
#include "lwip/pbuf.h"
#include "net/limits.h"
#include "net/net.h"
#include "net/net_priv.h"
#include "net/netlock.h"

struct rx_small {
	struct pbuf_custom pc;		/* first: pbuf_free hands us &pc.pbuf */
	struct rx_small *next;		/* on the free list */
	uint8_t data[RX_SMALL_BYTES];
};

_Static_assert(sizeof(struct rx_small) <= NET_RX_SMALL_ELEM_BYTES,
	       "net/limits.h's NET_RX_SMALL_ELEM_BYTES is what limits.c budgets per buffer");

static struct rx_small *free_list;	/* under the net lock */
static struct rx_small *pool;		/* net_limits.rx_small of them */
static uint32_t fresh;			/* pool[fresh..] never handed out */
static uint32_t in_use, max_in_use;
static uint64_t misses;

void rx_small_init(void)
{
	uint32_t n = net_limits.rx_small;
	if (!n)
		return;
	uint64_t pa = page_alloc_contig_nozero(((uint64_t)n * sizeof(struct rx_small) + 4095) / 4096);
	if (!pa)
		panic("rx_small: no memory for %u small receive buffers", n);
	pool = (struct rx_small *)(uintptr_t)pa;
	fresh = 0;
}

static void rx_small_free(struct pbuf *p)
{
	struct rx_small *b = (struct rx_small *)(void *)p;
	NET_LWIP_ASSERT_LOCKED();
	b->next = free_list;
	free_list = b;
	in_use--;
}

struct pbuf *rx_small_alloc(size_t len)
{
	NET_LWIP_ASSERT_LOCKED();
	if (len > RX_SMALL_BYTES)
		return NULL;
	if (!free_list && fresh < net_limits.rx_small) {
		pool[fresh].next = NULL;
		free_list = &pool[fresh++];
	}
	struct rx_small *b = free_list;
	if (!b) {
		misses++;
		return NULL;
	}
	free_list = b->next;
	if (++in_use > max_in_use)
		max_in_use = in_use;
	b->pc.custom_free_function = rx_small_free;
	return pbuf_alloced_custom(PBUF_RAW, (u16_t)len, PBUF_POOL, &b->pc, b->data,
				   sizeof b->data);
}

struct net_pool_stats rx_small_stats(void)
{
	NET_LWIP_ASSERT_LOCKED();
	return (struct net_pool_stats){ "RX_SMALL", in_use, max_in_use, net_limits.rx_small,
					sizeof(struct rx_small), misses };
}
