/*
 * apps/httpd/metrics.h — the server's counters, and /metrics in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * The server counts its own events in httpd_counters (relaxed atomic
 * adds: any CPU, any time). A /metrics response takes one snapshot, the
 * server's counters plus what httpd_sys.snapshot reports from below
 * (scheduler, heap, network), and renders that snapshot twice: counting,
 * for Content-Length, then for real. Rendering uses nothing else, so the
 * two passes agree byte for byte.
 */
#ifndef APPS_HTTPD_METRICS_H
#define APPS_HTTPD_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include "net/conn.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

struct out;

/* Status codes counted one by one; anything else lands in "other". */
#define METRICS_STATUSES 200, 206, 301, 304, 400, 404, 405, 408, 412, 413, \
			 414, 416, 431, 500, 501, 503, 505
#define METRICS_NSTATUS 18	/* the above and "other" */

/* Every field a uint64_t: metrics_snapshot copies them word by word. */
struct httpd_counters {
	uint64_t responses[METRICS_NSTATUS];	/* by status (metrics.c order) */
	uint64_t conns_open;		/* admitted, not yet released */
	uint64_t conns_accepted;	/* admitted, ever */
	uint64_t conns_refused;		/* answered 503: over max_conns */
	uint64_t conns_aborted;		/* ended by a reset (HTTPD_ABORT) */
	uint64_t bytes_in, bytes_out;	/* read and written by the server */
	uint64_t request_allocs;	/* heap allocations while requests
					   were being handled (see server.c) */
	uint64_t header_timeouts;	/* requests cut off by header_timeout */
};
extern struct httpd_counters httpd_counters;

static inline void metrics_add(uint64_t *counter, uint64_t n)
{
	a_fetch_add_relaxed(counter, n);
}
static inline void metrics_sub(uint64_t *counter, uint64_t n)
{
	a_fetch_sub_relaxed(counter, n);
}

/* Count one response with this status. */
void metrics_response(int status);

#define METRICS_MAX_CPUS 64
#define METRICS_MAX_POOLS 32

#define METRICS_MAX_ADDRS 8
#define METRICS_MAX_DNS 4
#define METRICS_ADDR_LEN 72	/* "ADDR/PREFIX" of the longest IPv6 text */

/* One address of the NIC, as text, and how it was configured. */
struct metrics_addr {
	char address[METRICS_ADDR_LEN];	/* "10.0.2.15/24", "fe80::1%2/64" */
	char origin[12];		/* "dhcp", "static", "slaac", "link-local" */
};

/* One lwIP memory pool (or the heap), as the net layer reports it. */
struct metrics_pool {
	const char *name;	/* static, e.g. "TCP_PCB" */
	uint64_t used, max, size, errors;
};

struct metrics_snapshot {
	struct httpd_counters own;
	uint64_t uptime_ns;
	/* Filled by httpd_sys.snapshot; zero (absent) otherwise. */
	unsigned ncpus;			/* entries of cpu[] filled */
	struct rt_cpu_stats cpu[METRICS_MAX_CPUS];
	bool have_runtime;
	uint64_t tasks_alive, stack_pages;
	uint64_t heap_in_use, heap_arena, heap_allocs;
	uint64_t cmdline_errors;	/* kcmdline_errors() */
	const char *version;		/* rt_version() */
	bool have_net;
	struct net_conn_stats net;
	uint64_t rx_dropped;		/* frames dropped: no pbuf free */
	unsigned npools;		/* entries of pool[] filled */
	struct metrics_pool pool[METRICS_MAX_POOLS];
	unsigned naddrs, ndns;		/* entries of addr[], dns[] filled */
	struct metrics_addr addr[METRICS_MAX_ADDRS];
	char dns[METRICS_MAX_DNS][METRICS_ADDR_LEN];	/* resolver's servers */
};

/* Take a snapshot: the server's counters, uptime, and httpd_sys.snapshot. */
void metrics_snapshot(struct metrics_snapshot *s);

/* Render s as the body of /metrics. */
void metrics_render(struct out *o, const struct metrics_snapshot *s);

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
