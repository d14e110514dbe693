// host-test-sources: net/http/latency.c
/*
 * Host unit tests for net/http/latency.c: which bucket a duration falls
 * in (bounds inclusive, as Prometheus' le), the shards summed by a
 * snapshot whatever CPU observed, the difference of two snapshots, and
 * the quantiles (interpolated inside a bucket, the largest bound for a
 * rank in +Inf, 0 for nothing).
 */
#include <string.h>

#include "net/http/latency.h"
#include "tests/host/hosttest.h"

#define US 1000ull
#define MS 1000000ull

HT_TEST(bounds_ascend_1_2_5_from_10us_to_10s)
{
	HT_EQ(http_latency_bounds_ns[0], 10 * US);
	HT_EQ(http_latency_bounds_ns[HTTP_LATENCY_NBOUNDS - 1], 10000 * MS);
	for (unsigned i = 1; i < HTTP_LATENCY_NBOUNDS; i++)
		HT_CHECK(http_latency_bounds_ns[i] > http_latency_bounds_ns[i - 1]);
}

HT_TEST(bucket_bounds_are_inclusive)
{
	HT_EQ(http_latency_bucket(0), 0);
	HT_EQ(http_latency_bucket(10 * US), 0);
	HT_EQ(http_latency_bucket(10 * US + 1), 1);
	HT_EQ(http_latency_bucket(25 * US), 1);
	HT_EQ(http_latency_bucket(1 * MS), 6);
	HT_EQ(http_latency_bucket(1 * MS + 1), 7);
	HT_EQ(http_latency_bucket(10000 * MS), HTTP_LATENCY_NBOUNDS - 1);
	HT_EQ(http_latency_bucket(10000 * MS + 1), HTTP_LATENCY_NBOUNDS);
	HT_EQ(http_latency_bucket(UINT64_MAX), HTTP_LATENCY_NBOUNDS);
}

HT_TEST(snapshot_sums_every_cpu_and_diff_gives_what_came_between)
{
	struct http_latency a, b, d;

	http_latency_snapshot(&a);
	http_latency_observe(0, 5 * US);
	http_latency_observe(1, 5 * US);
	http_latency_observe(63, 300 * US);
	http_latency_observe(64 + 5, 20000 * MS); /* past the shards: wraps */
	http_latency_observe(1000, 0);
	http_latency_snapshot(&b);
	http_latency_diff(&d, &b, &a);
	HT_EQ(http_latency_count(&d), 5);
	HT_EQ(d.bucket[0], 3);
	HT_EQ(d.bucket[5], 1);
	HT_EQ(d.bucket[HTTP_LATENCY_NBOUNDS], 1);
	HT_EQ(d.sum_ns, 10 * US + 300 * US + 20000 * MS);
	/* a before taken after: nothing negative */
	http_latency_diff(&d, &a, &b);
	HT_EQ(http_latency_count(&d), 0);
	HT_EQ(d.sum_ns, 0);
}

static struct http_latency hist(void)
{
	struct http_latency h;

	memset(&h, 0, sizeof(h));
	return h;
}

HT_TEST(quantile_of_nothing_is_0)
{
	struct http_latency h = hist();

	HT_EQ(http_latency_quantile(&h, 500), 0);
	HT_EQ(http_latency_quantile(&h, 990), 0);
}

HT_TEST(quantile_interpolates_inside_the_bucket)
{
	struct http_latency h = hist();

	/* 100 requests in (10 us, 25 us]: rank 50 is halfway: 17.5 us */
	h.bucket[1] = 100;
	HT_EQ(http_latency_quantile(&h, 500), 17500);
	HT_EQ(http_latency_quantile(&h, 1000), 25 * US);
	HT_EQ(http_latency_quantile(&h, 0), 10 * US);
	/* the first bucket starts at 0 */
	h = hist();
	h.bucket[0] = 10;
	HT_EQ(http_latency_quantile(&h, 500), 5 * US);
}

HT_TEST(quantile_finds_the_bucket_holding_the_rank)
{
	struct http_latency h = hist();

	h.bucket[0] = 90;	/* <= 10 us */
	h.bucket[6] = 9;	/* (500 us, 1 ms] */
	h.bucket[12] = 1;	/* (50 ms, 100 ms] */
	HT_EQ(http_latency_quantile(&h, 500), 5550);	/* 50/90 of 10 us, in permille */
	HT_EQ(http_latency_quantile(&h, 900), 10 * US);
	/* rank 99: 9 of 9 into (500 us, 1 ms] */
	HT_EQ(http_latency_quantile(&h, 990), 1 * MS);
	/* rank 99.5: halfway into the last request's bucket */
	HT_EQ(http_latency_quantile(&h, 995), 75 * MS);
	/* empty buckets between are skipped */
	HT_EQ(http_latency_quantile(&h, 950), 500 * US + 500 * US * 555 / 1000);
}

HT_TEST(quantile_in_the_inf_bucket_is_the_largest_bound)
{
	struct http_latency h = hist();

	h.bucket[3] = 1;
	h.bucket[HTTP_LATENCY_NBOUNDS] = 9;
	HT_EQ(http_latency_quantile(&h, 500), 10000 * MS);
	HT_EQ(http_latency_quantile(&h, 100), 100 * US);
	/* q past 1000 is 1000 */
	HT_EQ(http_latency_quantile(&h, 5000), 10000 * MS);
}
