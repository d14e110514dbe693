// host-test-sources: apps/httpd/history.c apps/httpd/metrics.c net/http/latency.c net/http/stats.c net/http/response.c net/http/out.c net/http/mux.c net/http/server.c net/http/request.c net/http/parse.c net/http/body.c net/http/path.c net/http/accesslog.c
/*
 * Host unit tests for apps/httpd/history.c: a point from two snapshots
 * (interval counts, percentiles from the histogram's difference, busy
 * permille per CPU, the fullest pool), the first snapshot only priming,
 * the ring's numbering and wrap (the oldest points gone, never a torn
 * or stale one), and the JSON (all, or after ?since).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/httpd/history.h"
#include "tests/host/hosttest.h"

#define MSEC 1000000ull

_Noreturn void http_bug(const char *what)
{
	ht_fail(__FILE__, __LINE__, "http_bug: %s", what);
}

static struct history h;
static struct metrics_snapshot s;

/* A snapshot at t ms with the counters moved by i steps. */
static void snap(uint64_t t_ms, uint64_t i)
{
	memset(&s, 0, sizeof(s));
	s.uptime_ns = t_ms * MSEC;
	s.own.classes[1] = 100 * i;		/* 2xx */
	s.own.classes[3] = 10 * i;		/* 4xx */
	s.own.classes[4] = i;			/* 5xx */
	s.own.bytes_in = 1000 * i;
	s.own.bytes_out = 50000 * i;
	s.own.conns_open = 7;
	s.tasks_alive = 9;
	s.heap_in_use = 123456;
	s.latency.bucket[1] = 100 * i;		/* (10 us, 25 us] */
	s.latency.bucket[12] = 11 * i;		/* (50 ms, 100 ms] */
	s.ncpus = 2;
	s.cpu[0].busy_ns = 250 * MSEC * i;	/* a quarter of each second */
	s.cpu[1].busy_ns = 2000 * MSEC * i;	/* more than the time: 1000 */
	s.npools = 2;
	s.pool[0] = (struct metrics_pool){ "TCP_PCB", 10, 20, 1000, 320, 0 };
	s.pool[1] = (struct metrics_pool){ "PBUF_POOL", 400, 500, 800, 1576, 3 * i };
}

HT_TEST(first_snapshot_primes_the_next_makes_a_point)
{
	struct history_point p;

	memset(&h, 0, sizeof(h));
	snap(1000, 0);
	HT_CHECK(!history_sample(&h, &s));
	HT_EQ(h.n, 0);
	snap(2000, 1);
	HT_CHECK(history_sample(&h, &s));
	HT_EQ(h.n, 1);
	HT_CHECK(history_get(&h, 1, &p));
	HT_EQ(p.n, 1);
	HT_EQ(p.uptime_ms, 2000);
	HT_EQ(p.dt_ms, 1000);
	HT_EQ(p.requests, 111);
	HT_EQ(p.r4xx, 10);
	HT_EQ(p.r5xx, 1);
	HT_EQ(p.rx, 1000);
	HT_EQ(p.tx, 50000);
	HT_EQ(p.conns, 7);
	HT_EQ(p.tasks, 9);
	HT_EQ(p.heap, 123456);
	/* 111 timed: p50 inside (10, 25] us, p99 inside (50, 100] ms */
	HT_EQ(p.p50_us, 10 + 15 * 555 / 1000);
	HT_CHECK(p.p90_us > 10 && p.p90_us <= 25);
	HT_CHECK(p.p99_us > 50000 && p.p99_us <= 100000);
	HT_EQ(p.ncpus, 2);
	HT_EQ(p.busy[0], 250);
	HT_EQ(p.busy[1], 1000);
	HT_STREQ(p.pool, "PBUF_POOL");
	HT_EQ(p.pool_permille, 500);
	HT_EQ(p.pool_errors, 3);
	HT_CHECK(!history_get(&h, 2, &p));
	HT_CHECK(!history_get(&h, 0, &p));
}

HT_TEST(an_interval_without_requests_has_no_percentiles)
{
	struct history_point p;

	memset(&h, 0, sizeof(h));
	snap(1000, 1);
	history_sample(&h, &s);
	snap(2000, 1);
	HT_CHECK(history_sample(&h, &s));
	HT_CHECK(history_get(&h, 1, &p));
	HT_EQ(p.requests, 0);
	HT_EQ(p.p50_us, UINT32_MAX);
	HT_EQ(p.busy[0], 0);
	/* a clock that did not move adds nothing */
	HT_CHECK(!history_sample(&h, &s));
	HT_EQ(h.n, 1);
}

HT_TEST(ring_keeps_the_last_len_points)
{
	struct history_point p;
	uint64_t i;

	memset(&h, 0, sizeof(h));
	snap(0, 0);
	history_sample(&h, &s);
	for (i = 1; i <= HISTORY_LEN + 5; i++) {
		snap(i * 1000, i);
		HT_CHECK(history_sample(&h, &s));
	}
	HT_EQ(h.n, HISTORY_LEN + 5);
	HT_CHECK(!history_get(&h, 5, &p));	/* overwritten */
	HT_CHECK(history_get(&h, 6, &p));
	HT_EQ(p.uptime_ms, 6000);
	HT_CHECK(history_get(&h, HISTORY_LEN + 5, &p));
	HT_EQ(p.uptime_ms, (HISTORY_LEN + 5) * 1000);
	/* a slot being rewritten (its number 0) is not read */
	h.ring[(HISTORY_LEN + 5) % HISTORY_LEN].n = 0;
	HT_CHECK(!history_get(&h, HISTORY_LEN + 5, &p));
}

/* The JSON of the points after since, into out. */
static char out[200000];

static const char *json(uint64_t since, uint64_t *next)
{
	struct mout o = { .buf = out, .cap = sizeof(out) - 1 };

	*next = history_json(&h, since, &o);
	HT_CHECK(o.counted < sizeof(out));
	out[o.counted] = 0;
	return out;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

HT_TEST(json_lists_points_after_since)
{
	uint64_t next;
	const char *j;
	unsigned i;

	memset(&h, 0, sizeof(h));
	j = json(0, &next);
	HT_EQ(next, 0);
	HT_CHECK(strstr(j, "\"points\":[],\"next\":0}"));
	snap(0, 0);
	history_sample(&h, &s);
	for (i = 1; i <= 3; i++) {
		snap(i * 1000, i);
		history_sample(&h, &s);
	}
	snap(4000, 3);		/* an idle second */
	history_sample(&h, &s);
	j = json(0, &next);
	HT_EQ(next, 4);
	HT_CHECK(strncmp(j, "{\"period_ms\":1000,\"len\":600,\"fields\":[\"n\",",
			 strlen("{\"period_ms\":1000,\"len\":600,\"fields\":[\"n\",")) == 0);
	HT_EQ(count(j, "\"TCP_PCB\""), 0);
	HT_EQ(count(j, "\"PBUF_POOL\""), 4);
	HT_CHECK(strstr(j, "\"points\":[[1,1000,1000,111,10,1,18,"));
	HT_CHECK(strstr(j, ",7,9,123456,1000,50000,500,3,\"PBUF_POOL\",[250,1000]]"));
	HT_CHECK(strstr(j, "[4,4000,1000,0,0,0,null,null,null,7,9,123456,0,0,500,0,"));
	HT_CHECK(strstr(j, "],\"next\":4}\n"));
	j = json(2, &next);
	HT_EQ(next, 4);
	HT_EQ(count(j, "\"PBUF_POOL\""), 2);
	HT_CHECK(strstr(j, "\"points\":[[3,3000,"));
	j = json(4, &next);
	HT_EQ(next, 4);		/* nothing new: next stays */
	HT_CHECK(strstr(j, "\"points\":[],\"next\":4}"));
	j = json(99, &next);	/* from the future (a rebooted appliance) */
	HT_EQ(next, 99);
	HT_CHECK(strstr(j, "\"points\":[]"));
}
