/*
 * apps/httpd/history.h — the last ten minutes of /status, kept by the
 * appliance, so a reload of the page keeps its charts.
 *
 * A sampler task (httpd.c) takes a metrics snapshot every second and
 * history_sample turns it, with the previous one, into one point: the
 * interval's request, 4xx and 5xx counts, its latency percentiles (from
 * the histogram's buckets, as Prometheus' histogram_quantile), bytes in
 * and out, each CPU's busy fraction, the fullest lwIP pool, and the
 * gauges (connections, tasks, heap). Points go into a ring of
 * HISTORY_LEN; /status/history serves them as JSON (history_json), all
 * of them or those after ?since=N.
 *
 * One writer (the sampler), readers on any CPU: each slot carries the
 * number of the point it holds, zeroed while being rewritten (a seqlock
 * per slot), so a reader copies a slot and keeps it only if that number
 * is the one it expected before and after the copy. No lock, nothing
 * allocated; a reader that loses a race skips that (oldest) point.
 */
#ifndef APPS_HTTPD_HISTORY_H
#define APPS_HTTPD_HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include "apps/httpd/metrics.h"

#define HISTORY_LEN 600		/* points: 10 minutes at one a second */
#define HISTORY_PERIOD_MS 1000
#define HISTORY_CPUS 16		/* CPUs charted (the first ones) */

struct history_point {
	uint64_t n;		/* its number, from 1 (0: being written) */
	uint64_t uptime_ms;	/* when it was taken */
	uint32_t dt_ms;		/* since the point before */
	uint32_t requests, r4xx, r5xx;		/* responses in the interval */
	uint32_t p50_us, p90_us, p99_us;	/* of the interval's requests */
	uint32_t conns, tasks;			/* open now */
	uint64_t heap;				/* bytes in use now */
	uint64_t rx, tx;			/* HTTP bytes in the interval */
	uint32_t pool_errors;			/* lwIP allocation failures */
	uint16_t pool_permille;			/* the fullest pool's use */
	uint16_t ncpus;
	const char *pool;			/* its name (static) */
	uint16_t busy[HISTORY_CPUS];		/* permille of the interval */
};

/* What the next point is computed against. */
struct history_prev {
	bool have;
	uint64_t uptime_ns, responses, r4xx, r5xx, rx, tx, pool_errors;
	struct http_latency latency;
	uint64_t busy_ns[HISTORY_CPUS];
};

struct history {
	uint64_t n;		/* atomic: points written */
	struct history_prev prev;
	struct history_point ring[HISTORY_LEN];
};

extern struct history httpd_history_ring;	/* the app's: /status/history */

/* Turn snapshot s into the next point (the first one only primes prev).
 * The one writer calls it. Returns whether a point was added. */
bool history_sample(struct history *h, const struct metrics_snapshot *s);

/* The point numbered k into *out, if the ring still holds it. Any task. */
bool history_get(const struct history *h, uint64_t k,
		 struct history_point *out);

/* The JSON document of the points after since (0: all held):
 * {"period_ms":1000,"next":N,"fields":[...],"points":[[...],...]}, each
 * point an array in the order "fields" names, busy last as an array of
 * per-CPU permille; percentiles are null for an interval without
 * requests. Returns the "next" it wrote (the last point's number). */
uint64_t history_json(const struct history *h, uint64_t since,
		      struct mout *o);

/* The /status/history handler (arg: the struct history). */
void history_serve(struct http_response *w, struct http_request *r,
		   void *arg);

#endif
