/*
 * apps/proxy/upstream.c — app=proxy's upstreams (upstream.h): the list,
 * round robin, and the active health checks, one task per upstream,
 * each with its own client (net/http/client.h) and so its own
 * keep-alive connection, apart from the proxied traffic's pool.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "apps/proxy/upstream.h"
#include "net/http/client.h"
#include "runtime/app.h"
#include "runtime/runtime.h"

CMDLINE_KEY(key_upstreams, "proxy_upstreams", "proxy: upstreams, ADDR:PORT,... (repeatable)");
CMDLINE_KEY(key_health_path, "proxy_health_path", "proxy: path the health checks GET (2xx/3xx: up)");
CMDLINE_KEY(key_health_ms, "proxy_health_interval_ms", "proxy: time between two health checks of an upstream");

static struct upstream ups[UPSTREAM_MAX];
static unsigned nups;
static uint64_t rr;			/* atomic: the round robin's counter */
static const char *health_path = "/";
static uint64_t health_interval, health_timeout;
static struct httpc health_client;

static void set_up(struct upstream *u, int up, const char *why)
{
	if (a_swap(&u->up, up) != up)
		printf("proxy: upstream %s %s%s%s%s\n", u->addr, up ? "up" : "down",
		       why ? " (" : "", why ? why : "", why ? ")" : "");
}

struct upstream *upstream_next(void)
{
	uint64_t start = a_fetch_add_relaxed(&rr, 1);
	for (unsigned i = 0; i < nups; i++) {
		struct upstream *u = &ups[(start + i) % nups];
		if (a_load_relaxed(&u->up)) {
			a_fetch_add_relaxed(&u->requests, 1);
			return u;
		}
	}
	return NULL;
}

void upstream_mark_down(struct upstream *u, int err)
{
	char why[64];
	snprintf(why, sizeof why, "%s", net_strerror(err));
	set_up(u, 0, why);
}

void upstream_note_error(const struct upstream *u, int err)
{
	(void)err;
	a_fetch_add_relaxed(&((struct upstream *)u)->errors, 1);
}

/* One check: 0 when the upstream answered 2xx or 3xx, else why not. */
static int check(struct upstream *u, char *why, size_t n)
{
	struct httpc_response resp;
	int r = httpc_do(&health_client, &(struct httpc_request){
		.method = "GET", .addr = u->addr, .target = health_path,
		.headers = "User-Agent: weft-proxy-health\r\n", .headers_len = 31,
		.timeout = health_timeout }, &resp);
	if (r < 0) {
		snprintf(why, n, "%s", net_strerror(r));
		return r;
	}
	int st = resp.head.status;
	char buf[4096];
	ssize_t got;
	while ((got = httpc_read(&resp, buf, sizeof buf)) > 0)
		;
	httpc_response_close(&resp);
	if (st < 200 || st > 399) {
		snprintf(why, n, "health check: status %d", st);
		return -EPROTO;
	}
	if (got < 0) {
		snprintf(why, n, "health check: %s", net_strerror((int)got));
		return (int)got;
	}
	return 0;
}

static void health_task(void *arg)
{
	struct upstream *u = arg;
	for (;;) {
		char why[80];
		if (check(u, why, sizeof why) == 0)
			set_up(u, 1, NULL);
		else
			set_up(u, 0, why);
		httpc_prune(&health_client);
		task_sleep(health_interval);
	}
}

static void add(const char *a, size_t n)
{
	if (nups == UPSTREAM_MAX) {
		printf("proxy: more than %d upstreams: %.*s ignored\n", UPSTREAM_MAX, (int)n, a);
		return;
	}
	char host[NET_HOST_MAX + 1];
	char s[sizeof ups[0].addr];
	uint16_t port;
	if (n == 0 || n >= sizeof s) {
		printf("proxy: upstream '%.*s' is not ADDR:PORT: ignored\n", (int)n, a);
		return;
	}
	memcpy(s, a, n);
	s[n] = 0;
	if (net_split_hostport(s, host, sizeof host, &port) < 0 || port == 0 || !host[0]) {
		printf("proxy: upstream '%s' is not ADDR:PORT: ignored\n", s);
		return;
	}
	struct upstream *u = &ups[nups++];
	memcpy(u->addr, s, n + 1);
	u->up = 1;			/* as nginx: up until shown otherwise */
}

int upstream_init(uint64_t timeout)
{
	const char *v;
	for (size_t it = 0; (v = kcmdline_next(&key_upstreams, &it));) {
		while (*v) {
			const char *e = strchr(v, ',');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			if (n)
				add(v, n);
			v += n + (e != NULL);
		}
	}
	const char *p = kcmdline_str(&key_health_path);
	if (p && p[0] == '/')
		health_path = p;
	else if (p)
		printf("proxy: proxy_health_path must start with '/': '/' used\n");
	health_interval = ms(kcmdline_u64(&key_health_ms, 5000, 10, 3600000));
	health_timeout = timeout < health_interval ? timeout : health_interval;
	httpc_init(&health_client);
	health_client.max_idle_per_host = 1;
	health_client.dial_timeout = health_timeout;
	for (unsigned i = 0; i < nups; i++) {
		printf("proxy: upstream %s, health check GET %s every %llu ms\n", ups[i].addr,
		       health_path, (unsigned long long)(health_interval / 1000000));
		struct task_attr ta = { "proxy-health", 64u << 10, -1 };
		if (!task_spawn(&ta, health_task, &ups[i]))
			printf("proxy: no memory for %s's health task\n", ups[i].addr);
	}
	return (int)nups;
}
