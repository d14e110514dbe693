/*
 * net/stats.c — lwIP's pool statistics (and net/'s small receive
 * buffers) for /metrics: a copy taken under
 * the net lock, reported after it is released (the caller's function may
 * format and must not hold up the stack).
 */
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "net/net.h"
#include "net/net_priv.h"
#include "net/netlock.h"

static const char *const pool_names[] = {
#define LWIP_MEMPOOL(name, num, size, desc) #name,
#include "lwip/priv/memp_std.h"
};

void net_lwip_stats(void (*fn)(void *arg, const struct net_pool_stats *p),
		    void *arg)
{
	struct net_pool_stats c[MEMP_MAX + 2];
	net_lock();
	for (int i = 0; i < MEMP_MAX; i++) {
		const struct stats_mem *m = lwip_stats.memp[i];
		c[i] = (struct net_pool_stats){ pool_names[i], m->used, m->max,
						memp_pools[i]->num,
						memp_pools[i]->size, m->err };
	}
	c[MEMP_MAX] = (struct net_pool_stats){ "HEAP", lwip_stats.mem.used,
					       lwip_stats.mem.max,
					       lwip_stats.mem.avail, 1,
					       lwip_stats.mem.err };
	c[MEMP_MAX + 1] = rx_small_stats();
	net_unlock();
	for (int i = 0; i <= MEMP_MAX + 1; i++)
		fn(arg, &c[i]);
}
