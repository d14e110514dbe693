/*
 * net/stats.c — lwIP's pool statistics for /metrics: a copy taken under
 * the net lock, reported after it is released (the caller's function may
 * format and must not hold up the stack).
 */
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "net/net.h"
#include "net/netlock.h"

static const char *const pool_names[] = {
#define LWIP_MEMPOOL(name, num, size, desc) #name,
#include "lwip/priv/memp_std.h"
};

struct pool_copy {
	uint64_t used, max, size, errors;
};

void net_lwip_stats(void (*fn)(void *arg, const char *pool, uint64_t used, uint64_t max,
			       uint64_t size, uint64_t errors),
		    void *arg)
{
	struct pool_copy c[MEMP_MAX + 1];
	net_lock();
	for (int i = 0; i < MEMP_MAX; i++) {
		const struct stats_mem *m = lwip_stats.memp[i];
		c[i] = (struct pool_copy){ m->used, m->max, memp_pools[i]->size, m->err };
	}
	c[MEMP_MAX] = (struct pool_copy){ lwip_stats.mem.used, lwip_stats.mem.max, 1,
					  lwip_stats.mem.err };
	net_unlock();
	for (int i = 0; i < MEMP_MAX; i++)
		fn(arg, pool_names[i], c[i].used, c[i].max, c[i].size, c[i].errors);
	fn(arg, "HEAP", c[MEMP_MAX].used, c[MEMP_MAX].max, 1, c[MEMP_MAX].errors);
}
