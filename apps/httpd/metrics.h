/*
 * apps/httpd/metrics.h — /metrics, the appliance's numbers in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * The HTTP library counts the server's events (http_stats, and each
 * handler's requests and allocations). A /metrics response takes one
 * snapshot, those counters plus what metrics_below reports from below
 * (scheduler, heap, network), and renders that snapshot twice: counting,
 * for Content-Length, then for real. Rendering uses nothing else, so the
 * two passes agree byte for byte, and nothing is allocated.
 */
#ifndef APPS_HTTPD_METRICS_H
#define APPS_HTTPD_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include "net/conn.h"
#include "net/http/accesslog.h"
#include "net/http/http.h"
#include "net/http/latency.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

struct metrics_snapshot;

/* Where a rendering goes: counting its bytes (for Content-Length), into
 * a buffer of cap bytes (buf set: what fits, counted all the same; the
 * host tests), or into a response. */
struct mout {
	struct http_response *w;
	bool counting;
	uint64_t counted;
	char *buf;
	size_t cap;
};
void mout_mem(struct mout *o, const void *p, size_t n);

/* The clock (nanoseconds since boot) for weft_uptime_seconds, and what
 * fills the numbers from below the server (scheduler, heap, network):
 * set by httpd.c in the guest, by the host tests' fakes there. Either
 * may be NULL: no uptime, only the server's own families. */
extern uint64_t (*metrics_now)(void);
extern void (*metrics_below)(struct metrics_snapshot *s);

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

/* One lwIP memory pool (or the heap, in bytes), as the net layer reports
 * it (net/net.h's net_pool_stats). */
struct metrics_pool {
	const char *name;	/* static, e.g. "TCP_PCB" */
	uint64_t used, max;	/* elements in use now, and at most */
	uint64_t capacity;	/* elements in all */
	uint64_t elem_bytes;	/* bytes per element (the heap: 1) */
	uint64_t errors;
};

#define METRICS_MAX_TLS_FAIL 16

/* TLS connections ended by one reason (tls_fail_name: "timeout",
 * "version", ...). */
struct metrics_tls_fail {
	const char *reason;	/* static */
	uint64_t n;
};

/* A handler's counters, by its name. */
struct metrics_handler {
	const char *name;
	uint64_t requests, allocs;
};

struct metrics_snapshot {
	struct http_stats own;
	struct http_log_stats log;	/* the access log's counters */
	struct http_latency latency;	/* request durations */
	unsigned nhandlers;
	struct metrics_handler handler[HTTP_MUX_MAX];
	uint64_t uptime_ns;
	/* Filled by metrics_below; zero (absent) otherwise. */
	unsigned ncpus;			/* entries of cpu[] filled */
	struct rt_cpu_stats cpu[METRICS_MAX_CPUS];
	bool have_runtime;
	uint64_t tasks_alive, stack_pages;
	uint64_t heap_in_use, heap_arena, heap_allocs, heap_floor_hits;
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
	/* TLS (net/tls/tls.h's tls_stats), when HTTPS is served. */
	bool have_tls;
	uint64_t tls_handshakes, tls_resumptions, tls_open, tls_sni_unknown, tls_slot_waits;
	unsigned ntls_fail;			/* entries of tls_fail[] */
	struct metrics_tls_fail tls_fail[METRICS_MAX_TLS_FAIL];
};

/* Take a snapshot: the server's counters, the handlers of m (may be
 * NULL), uptime, and metrics_below. */
void metrics_snapshot(struct metrics_snapshot *s, const struct http_mux *m);

/* Render s as the body of /metrics. */
void metrics_render(struct mout *o, const struct metrics_snapshot *s);

/* The /metrics handler; its arg is the mux whose handlers it lists. */
void metrics_serve(struct http_response *w, struct http_request *r,
		   void *arg);

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
