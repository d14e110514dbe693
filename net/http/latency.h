/*
 * net/http/latency.h — how long the HTTP server takes to answer, as a
 * histogram (Prometheus' _bucket/_sum/_count) and the quantiles read
 * from it.
 *
 * What is timed: from a request's head being parsed to its answer being
 * queued (the handler's run, the body it read or dropped), the span the
 * access log calls the duration. Heads that could not be parsed and 503s
 * past max_conns are not timed (they have no request); they are still
 * counted by status.
 *
 * The request path: one clock read before and after, a search of
 * HTTP_LATENCY_NBOUNDS bounds, and three relaxed atomic adds into the
 * shard of the CPU the task runs on (no lock, no allocation). A task
 * moved between reading its CPU and adding still adds atomically, only
 * to another CPU's shard, so no observation is lost; the shards keep
 * the adds of different CPUs on different cache lines. A snapshot sums
 * the shards word by word: each word exact, the set not one instant (as
 * any Prometheus exporter's).
 *
 * The bounds are 1-2.5-5 steps from 10 µs to 10 s: the appliance answers
 * from memory in microseconds, a proxied or slow client's request takes
 * milliseconds to seconds. Past 10 s lands in the +Inf bucket.
 */
#ifndef NET_HTTP_LATENCY_H
#define NET_HTTP_LATENCY_H

#include <stdint.h>

#define HTTP_LATENCY_NBOUNDS 19
#define HTTP_LATENCY_NBUCKETS (HTTP_LATENCY_NBOUNDS + 1)	/* and +Inf */
#define HTTP_LATENCY_SHARDS 64		/* CPUs past it share (cpu % 64) */

/* Upper bounds (inclusive, Prometheus' le) in nanoseconds, ascending. */
extern const uint64_t http_latency_bounds_ns[HTTP_LATENCY_NBOUNDS];

/* Counts per bucket (not cumulative: bucket[i] counts durations in
 * (bound[i-1], bound[i]], the last one those over every bound), and the
 * sum of the durations. The count is the sum of the buckets. */
struct http_latency {
	uint64_t bucket[HTTP_LATENCY_NBUCKETS];
	uint64_t sum_ns;
};

/* The bucket a duration falls in: 0 .. HTTP_LATENCY_NBOUNDS. */
unsigned http_latency_bucket(uint64_t ns);

/* Count one request of ns nanoseconds, answered on CPU cpu. Any task,
 * any CPU, interrupts on or off. */
void http_latency_observe(unsigned cpu, uint64_t ns);

/* The image's histogram so far: every shard summed. */
void http_latency_snapshot(struct http_latency *out);

/* Total requests in h. */
uint64_t http_latency_count(const struct http_latency *h);

/* h minus an earlier snapshot of the same counters (the requests in
 * between); a bucket that went down (it cannot) counts 0. */
void http_latency_diff(struct http_latency *out, const struct http_latency *now,
		       const struct http_latency *before);

/* The q-quantile (q in permille, 0..1000: 500 the median, 990 p99) in
 * nanoseconds, as Prometheus' histogram_quantile estimates it: the
 * bucket holding rank q*count, interpolated linearly inside it (from 0
 * for the first); a rank in the +Inf bucket gives the largest bound.
 * 0 when h counts nothing. */
uint64_t http_latency_quantile(const struct http_latency *h, unsigned q);

#endif
