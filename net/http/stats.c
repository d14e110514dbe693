/*
 * net/http/stats.c — the library's counters (http.h): every server of
 * the image counts into one http_stats with relaxed atomic adds, from
 * any CPU at any time; a snapshot loads each word atomically (the words
 * are not a consistent set, as in any Prometheus exporter).
 *
 * Rejected: per-CPU counters. They would save a shared cache line per
 * request, but need the CPU number on the request path and a sum here;
 * an uncontended relaxed add is a few nanoseconds, and the cost is
 * measured before it is optimized.
 */
#include <string.h>
#include "net/http/server.h"

struct http_stats http_stats;

const int http_stats_statuses[HTTP_STATS_NSTATUS - 1] = {
	HTTP_STATS_STATUSES
};
_Static_assert(sizeof((int[]){ HTTP_STATS_STATUSES }) / sizeof(int) + 1 ==
		       HTTP_STATS_NSTATUS,
	       "HTTP_STATS_NSTATUS counts the statuses and \"other\"");

void http_stats_response(int status)
{
	size_t i;

	for (i = 0; i < HTTP_STATS_NSTATUS - 1; i++)
		if (http_stats_statuses[i] == status)
			break;
	http_stat_add(&http_stats.responses[i], 1);
	if (status >= 100 && status <= 599)
		http_stat_add(&http_stats.classes[status / 100 - 1], 1);
}

void http_stats_snapshot(struct http_stats *out)
{
	const uint64_t *src = (const uint64_t *)&http_stats;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(http_stats) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
