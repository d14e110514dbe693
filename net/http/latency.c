/*
 * net/http/latency.c — the request latency histogram (latency.h): the
 * shards the request path adds into, their sum, and the quantiles.
 * Pure C: built into both kernels and the host tests
 * (tests/host/test_http_latency.c).
 */
#include <string.h>
#include "net/http/latency.h"

#define US 1000ull
#define MS 1000000ull
#define S 1000000000ull

const uint64_t http_latency_bounds_ns[HTTP_LATENCY_NBOUNDS] = {
	10 * US, 25 * US, 50 * US, 100 * US, 250 * US, 500 * US,
	1 * MS, 2500 * US, 5 * MS, 10 * MS, 25 * MS, 50 * MS, 100 * MS,
	250 * MS, 500 * MS, 1 * S, 2500 * MS, 5 * S, 10 * S,
};

/* One CPU's counts, alone on its cache lines. */
struct shard {
	uint64_t bucket[HTTP_LATENCY_NBUCKETS];
	uint64_t sum_ns;
} __attribute__((aligned(64)));

static struct shard shards[HTTP_LATENCY_SHARDS];

unsigned http_latency_bucket(uint64_t ns)
{
	unsigned i;

	for (i = 0; i < HTTP_LATENCY_NBOUNDS; i++)
		if (ns <= http_latency_bounds_ns[i])
			break;
	return i;
}

void http_latency_observe(unsigned cpu, uint64_t ns)
{
	struct shard *s = &shards[cpu % HTTP_LATENCY_SHARDS];

	__atomic_fetch_add(&s->bucket[http_latency_bucket(ns)], 1,
			   __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->sum_ns, ns, __ATOMIC_RELAXED);
}

void http_latency_snapshot(struct http_latency *out)
{
	unsigned c, i;

	memset(out, 0, sizeof(*out));
	for (c = 0; c < HTTP_LATENCY_SHARDS; c++) {
		for (i = 0; i < HTTP_LATENCY_NBUCKETS; i++)
			out->bucket[i] += __atomic_load_n(&shards[c].bucket[i],
							  __ATOMIC_RELAXED);
		out->sum_ns += __atomic_load_n(&shards[c].sum_ns,
					       __ATOMIC_RELAXED);
	}
}

uint64_t http_latency_count(const struct http_latency *h)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < HTTP_LATENCY_NBUCKETS; i++)
		n += h->bucket[i];
	return n;
}

void http_latency_diff(struct http_latency *out, const struct http_latency *now,
		       const struct http_latency *before)
{
	unsigned i;

	for (i = 0; i < HTTP_LATENCY_NBUCKETS; i++)
		out->bucket[i] = now->bucket[i] > before->bucket[i]
					 ? now->bucket[i] - before->bucket[i]
					 : 0;
	out->sum_ns = now->sum_ns > before->sum_ns ? now->sum_ns - before->sum_ns
						   : 0;
}

uint64_t http_latency_quantile(const struct http_latency *h, unsigned q)
{
	uint64_t count = http_latency_count(h), below = 0, lo, hi, in = 0, f;
	/* rank = q/1000 * count, kept scaled by 1000 to stay in integers */
	uint64_t rank;
	unsigned i;

	if (!count)
		return 0;
	if (q > 1000)
		q = 1000;
	rank = (uint64_t)q * count;
	for (i = 0; i < HTTP_LATENCY_NBOUNDS; i++) {
		in = h->bucket[i];
		if (in && (below + in) * 1000 >= rank)
			break;
		below += in;
	}
	if (i == HTTP_LATENCY_NBOUNDS)
		return http_latency_bounds_ns[HTTP_LATENCY_NBOUNDS - 1];
	lo = i ? http_latency_bounds_ns[i - 1] : 0;
	hi = http_latency_bounds_ns[i];
	/* How far into the bucket the rank is, in permille (rank/1000 -
	   below) / in: then lo + (hi - lo) * that, without overflow. */
	f = (rank - below * 1000) / in;
	return lo + (hi - lo) * f / 1000;
}
