/*
 * apps/httpd/history.c — the ring of /status points (history.h): one
 * point from two snapshots, the per-slot seqlock, the JSON. Pure: runs
 * on the host too (tests/host/test_httpd_history.c).
 */
#include "apps/httpd/history.h"

#include <string.h>

struct history httpd_history_ring;

static uint32_t u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint64_t sub(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

/* The counters of s a point is a difference of. */
static void take(struct history_prev *p, const struct metrics_snapshot *s)
{
	unsigned c;

	p->have = true;
	p->uptime_ns = s->uptime_ns;
	p->responses = 0;
	for (c = 0; c < 5; c++)
		p->responses += s->own.classes[c];
	p->r4xx = s->own.classes[3];
	p->r5xx = s->own.classes[4];
	p->rx = s->own.bytes_in;
	p->tx = s->own.bytes_out;
	p->pool_errors = 0;
	for (c = 0; c < s->npools; c++)
		p->pool_errors += s->pool[c].errors;
	p->latency = s->latency;
	for (c = 0; c < HISTORY_CPUS; c++)
		p->busy_ns[c] = c < s->ncpus ? s->cpu[c].busy_ns : 0;
}

bool history_sample(struct history *h, const struct metrics_snapshot *s)
{
	struct history_prev now, *before = &h->prev;
	struct history_point pt;
	struct http_latency d;
	uint64_t dt, k;
	unsigned c;

	take(&now, s);
	if (!before->have || s->uptime_ns <= before->uptime_ns) {
		*before = now;
		return false;
	}
	memset(&pt, 0, sizeof(pt));
	dt = s->uptime_ns - before->uptime_ns;
	pt.uptime_ms = s->uptime_ns / 1000000u;
	pt.dt_ms = u32(dt / 1000000u);
	pt.requests = u32(sub(now.responses, before->responses));
	pt.r4xx = u32(sub(now.r4xx, before->r4xx));
	pt.r5xx = u32(sub(now.r5xx, before->r5xx));
	http_latency_diff(&d, &now.latency, &before->latency);
	pt.p50_us = u32(http_latency_quantile(&d, 500) / 1000u);
	pt.p90_us = u32(http_latency_quantile(&d, 900) / 1000u);
	pt.p99_us = u32(http_latency_quantile(&d, 990) / 1000u);
	if (!http_latency_count(&d))
		pt.p50_us = pt.p90_us = pt.p99_us = UINT32_MAX;	/* none */
	pt.conns = u32(s->own.conns_open);
	pt.tasks = u32(s->tasks_alive);
	pt.heap = s->heap_in_use;
	pt.rx = sub(now.rx, before->rx);
	pt.tx = sub(now.tx, before->tx);
	pt.pool_errors = u32(sub(now.pool_errors, before->pool_errors));
	pt.pool = "";
	for (c = 0; c < s->npools; c++) {
		const struct metrics_pool *p = &s->pool[c];
		uint64_t pm = p->capacity ? p->used * 1000 / p->capacity : 0;

		if (pm > 1000)
			pm = 1000;
		if (!*pt.pool || pm > pt.pool_permille) {
			pt.pool_permille = (uint16_t)pm;
			pt.pool = p->name;
		}
	}
	pt.ncpus = (uint16_t)(s->ncpus < HISTORY_CPUS ? s->ncpus : HISTORY_CPUS);
	for (c = 0; c < pt.ncpus; c++) {
		uint64_t b = sub(now.busy_ns[c], before->busy_ns[c]);

		pt.busy[c] = (uint16_t)(b >= dt ? 1000 : b * 1000 / dt);
	}
	*before = now;

	/* Into the slot: its number zeroed first, set last. */
	k = __atomic_load_n(&h->n, __ATOMIC_RELAXED) + 1;
	pt.n = k;
	struct history_point *slot = &h->ring[k % HISTORY_LEN];
	__atomic_store_n(&slot->n, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy((char *)slot + sizeof(slot->n), (char *)&pt + sizeof(pt.n),
	       sizeof(pt) - sizeof(pt.n));
	__atomic_store_n(&slot->n, k, __ATOMIC_RELEASE);
	__atomic_store_n(&h->n, k, __ATOMIC_RELEASE);
	return true;
}

bool history_get(const struct history *h, uint64_t k,
		 struct history_point *out)
{
	const struct history_point *slot = &h->ring[k % HISTORY_LEN];

	if (!k || __atomic_load_n(&slot->n, __ATOMIC_ACQUIRE) != k)
		return false;
	memcpy(out, slot, sizeof(*out));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&slot->n, __ATOMIC_RELAXED) == k && out->n == k;
}

/* ---- JSON ---- */

static void str(struct mout *o, const char *s)
{
	mout_mem(o, s, strlen(s));
}

static void u64(struct mout *o, uint64_t v)
{
	char buf[20], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	mout_mem(o, p, (size_t)(buf + sizeof(buf) - p));
}

static void us_or_null(struct mout *o, uint32_t v)
{
	if (v == UINT32_MAX)
		str(o, "null");
	else
		u64(o, v);
}

/* Pool names are lwIP's identifiers (letters, digits, '_'): no escaping
 * needed, but anything else is dropped rather than trusted. */
static void name(struct mout *o, const char *s)
{
	mout_mem(o, "\"", 1);
	for (; s && *s; s++)
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_')
			mout_mem(o, s, 1);
	mout_mem(o, "\"", 1);
}

static void point(struct mout *o, const struct history_point *p)
{
	const uint64_t v[] = { p->n, p->uptime_ms, p->dt_ms, p->requests,
			       p->r4xx, p->r5xx };
	unsigned i;

	mout_mem(o, "[", 1);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		u64(o, v[i]);
		mout_mem(o, ",", 1);
	}
	us_or_null(o, p->p50_us);
	mout_mem(o, ",", 1);
	us_or_null(o, p->p90_us);
	mout_mem(o, ",", 1);
	us_or_null(o, p->p99_us);
	const uint64_t w[] = { p->conns, p->tasks, p->heap, p->rx, p->tx,
			       p->pool_permille, p->pool_errors };
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		mout_mem(o, ",", 1);
		u64(o, w[i]);
	}
	mout_mem(o, ",", 1);
	name(o, p->pool);
	mout_mem(o, ",[", 2);
	for (i = 0; i < p->ncpus; i++) {
		if (i)
			mout_mem(o, ",", 1);
		u64(o, p->busy[i]);
	}
	mout_mem(o, "]]", 2);
}

uint64_t history_json(const struct history *h, uint64_t since,
		      struct mout *o)
{
	uint64_t n = __atomic_load_n(&h->n, __ATOMIC_ACQUIRE), k, last = since;
	struct history_point p;
	bool first = true;

	k = n > HISTORY_LEN ? n - HISTORY_LEN + 1 : 1;
	if (since >= k)
		k = since + 1;
	str(o, "{\"period_ms\":");
	u64(o, HISTORY_PERIOD_MS);
	str(o, ",\"len\":");
	u64(o, HISTORY_LEN);
	str(o, ",\"fields\":[\"n\",\"uptime_ms\",\"dt_ms\",\"requests\","
	       "\"r4xx\",\"r5xx\",\"p50_us\",\"p90_us\",\"p99_us\",\"conns\","
	       "\"tasks\",\"heap_bytes\",\"rx_bytes\",\"tx_bytes\","
	       "\"pool_permille\",\"pool_errors\",\"pool\",\"busy_permille\"],"
	       "\"points\":[");
	for (; k <= n; k++) {
		if (!history_get(h, k, &p))
			continue;	/* overwritten while we read: gone */
		if (!first)
			mout_mem(o, ",", 1);
		first = false;
		point(o, &p);
		last = k;
	}
	str(o, "],\"next\":");
	u64(o, last);
	str(o, "}\n");
	return last;
}

/* ?since=N: the number, or 0 for anything else. */
static uint64_t since_of(struct http_str q)
{
	uint64_t v = 0;
	size_t i;

	if (q.len < 7 || memcmp(q.ptr, "since=", 6) != 0)
		return 0;
	for (i = 6; i < q.len && q.ptr[i] >= '0' && q.ptr[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(q.ptr[i] - '0');
	}
	return v;
}

void history_serve(struct http_response *w, struct http_request *r,
		   void *arg)
{
	struct mout o = { .w = w };

	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_header_set(w, "Allow", "GET, HEAD");
		http_error(w, 405, NULL);
		return;
	}
	http_header_set(w, "Content-Type", "application/json");
	http_header_set(w, "Cache-Control", "no-store");
	if (r->method == HTTP_GET)
		history_json(arg, since_of(r->query), &o);	/* chunked */
}
