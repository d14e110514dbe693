/*
 * apps/httpd/httpd.c — the HTTP server in the appliance (app=httpd, the
 * default): settings from the command line, the accept loop, and the
 * wiring of the server's core (httpd.h) to net/conn.h and the runtime.
 * Everything a connection does is in server.c and runs on the host too;
 * this file is the part that only runs in the guest.
 *
 * Settings (kernel command line; the defaults are printed at boot):
 *   port=N                     TCP port (80)
 *   httpd_max_conns=N          connections served at once (1024); past
 *                              it a connection gets 503 and is closed
 *   httpd_header_timeout_ms=N  a request head must arrive within this
 *                              (10000): else 408 (slowloris)
 *   httpd_idle_timeout_ms=N    idle keep-alive connections are closed
 *                              after this (60000)
 *   httpd_write_timeout_ms=N   a client that reads nothing for this long
 *                              is reset (10000)
 *   httpd_max_requests=N       requests per connection (1000)
 *   httpd_max_body=N           request body bytes (1048576): else 413
 *   httpd_cache_control=V      Cache-Control of the site's files (200,
 *                              206, 304): none by default, as nginx sends
 *                              none without `expires` or add_header; e.g.
 *                              httpd_cache_control="public, max-age=3600"
 * The Date header comes from the machine's wall clock (date=, kvmclock or
 * the CMOS clock: kernel/wallclock.h), or the image's build time without.
 *
 * One task per connection (a 128 KiB stack reservation, of which a
 * request touches a few pages). A connection over max_conns is answered
 * 503 by a short task of its own; at most REFUSERS of those run at once,
 * past that an extra connection is reset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apps/httpd/httpd.h"
#include "apps/httpd/metrics.h"
#include "apps/httpd/reply.h"
#include "apps/httpd/site.h"
#include "net/conn.h"
#include "net/dns.h"
#include "net/net.h"
#include "runtime/app.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

CMDLINE_KEY(key_port, "port", "TCP port of the app");
CMDLINE_KEY(key_max_conns, "httpd_max_conns",
	   "httpd: connections served at once (past it: 503)");
CMDLINE_KEY(key_header_to, "httpd_header_timeout_ms",
	   "httpd: a request head must arrive within this (408)");
CMDLINE_KEY(key_idle_to, "httpd_idle_timeout_ms",
	   "httpd: idle keep-alive connections are closed after this");
CMDLINE_KEY(key_write_to, "httpd_write_timeout_ms",
	   "httpd: each write must complete within this (else reset)");
CMDLINE_KEY(key_max_requests, "httpd_max_requests",
	   "httpd: requests per connection");
CMDLINE_KEY(key_max_body, "httpd_max_body",
	   "httpd: request body bytes (past it: 413)");
CMDLINE_KEY(key_cache_control, "httpd_cache_control",
	   "httpd: Cache-Control value for the site's files (default none)");

#define CONN_STACK (128u << 10)
#define REFUSERS 64		/* 503 tasks at once */
#define LINGER_MS 2000

static uint64_t refusers;	/* 503 tasks running (atomic) */

/* ---- The core's interfaces, on net/conn.h and the runtime ---- */

static ssize_t io_read(void *c, void *buf, size_t len)
{
	return conn_read(c, buf, len);
}

static ssize_t io_write(void *c, const void *buf, size_t len)
{
	return conn_write(c, buf, len);
}

static int io_shutdown_write(void *c)
{
	return conn_shutdown_write(c);
}

static void io_read_deadline(void *c, uint64_t d)
{
	conn_set_read_deadline(c, d);
}

static void io_write_deadline(void *c, uint64_t d)
{
	conn_set_write_deadline(c, d);
}

static const struct httpd_io conn_io = {
	.read = io_read,
	.write = io_write,
	.shutdown_write = io_shutdown_write,
	.set_read_deadline = io_read_deadline,
	.set_write_deadline = io_write_deadline,
};

static void add_pool(void *arg, const char *pool, uint64_t used,
		     uint64_t max, uint64_t size, uint64_t errors)
{
	struct metrics_snapshot *s = arg;

	if (s->npools < METRICS_MAX_POOLS)
		s->pool[s->npools++] = (struct metrics_pool){ pool, used, max,
							      size, errors };
}

/* The NIC's addresses and the DNS servers, as text. */
static void addresses(struct metrics_snapshot *s)
{
	struct net_ifaddr a[METRICS_MAX_ADDRS];
	struct net_addr d[METRICS_MAX_DNS];
	int n = net_addrs(a, METRICS_MAX_ADDRS);
	for (int i = 0; i < n; i++) {
		char *t = s->addr[i].address;
		int len = net_ip_format(&a[i].addr, t, METRICS_ADDR_LEN);
		unsigned p = a[i].prefix;	/* "/N" by hand: snprintf may allocate */
		t += len > 0 ? len : 0;
		*t++ = '/';
		if (p >= 100)
			*t++ = (char)('0' + p / 100);
		if (p >= 10)
			*t++ = (char)('0' + p / 10 % 10);
		*t++ = (char)('0' + p % 10);
		*t = 0;
		memcpy(s->addr[i].origin, a[i].origin, sizeof a[i].origin);
	}
	s->naddrs = (unsigned)n;
	n = net_dns_servers(d, METRICS_MAX_DNS);
	for (int i = 0; i < n; i++)
		net_ip_format(&d[i], s->dns[i], METRICS_ADDR_LEN);
	s->ndns = (unsigned)n;
}

/* What /metrics shows from below the server. Allocates nothing. */
static void snapshot(struct metrics_snapshot *s)
{
	struct rt_heap_stats heap;
	unsigned c;

	s->ncpus = rt_ncpus();
	if (s->ncpus > METRICS_MAX_CPUS)
		s->ncpus = METRICS_MAX_CPUS;
	for (c = 0; c < s->ncpus; c++)
		rt_cpu_stats(c, &s->cpu[c]);
	s->have_runtime = true;
	s->tasks_alive = rt_tasks_alive();
	s->stack_pages = rt_stack_pages();
	rt_heap_stats(&heap);
	s->heap_in_use = heap.in_use;
	s->heap_arena = heap.arena;
	s->heap_allocs = rt_malloc_count();
	s->cmdline_errors = kcmdline_errors();
	s->version = rt_version();
	s->have_net = true;
	net_conn_stats(&s->net);
	s->rx_dropped = net_rx_dropped_nopbuf();
	net_lwip_stats(add_pool, s);
	addresses(s);
}

_Noreturn void httpd_bug(const char *what)
{
	printf("httpd: bug: %s\n", what);
	abort();
}

/* ---- Tasks ---- */

static void serve_task(void *arg)
{
	struct conn *c = arg;

	if (httpd_serve(&conn_io, c) == HTTPD_CLOSE)
		conn_close(c);
	else
		conn_abort(c);
	httpd_release();
}

static void refuse_task(void *arg)
{
	struct conn *c = arg;

	if (httpd_refuse(&conn_io, c) == HTTPD_CLOSE)
		conn_close(c);
	else
		conn_abort(c);
	a_fetch_sub_relaxed(&refusers, 1);
}

/* Hand c to a task of its own: a server, or over max_conns a refuser. */
static void dispatch(struct conn *c)
{
	static const struct task_attr serve_attr = { "http", CONN_STACK, -1 };
	static const struct task_attr refuse_attr = { "http-503", 16u << 10,
						      -1 };

	if (httpd_admit()) {
		if (!task_spawn(&serve_attr, serve_task, c)) {
			httpd_release();
			conn_abort(c); /* out of memory: refuse this one */
		}
		return;
	}
	if (a_add_fetch_relaxed(&refusers, 1) > REFUSERS ||
	    !task_spawn(&refuse_attr, refuse_task, c)) {
		a_fetch_sub_relaxed(&refusers, 1);
		conn_abort(c);
	}
}

/* Unix time in nanoseconds at time_ns() == 0, for the Date header: the
 * machine's wall clock, or the site's build time when it has none. */
static uint64_t boot_unix_ns(void)
{
	uint64_t boot_ns = rt_unix_boot_ns();
	return boot_ns ? boot_ns : site_build_time * 1000000000ull;
}

/* httpd_cache_control=: printable ASCII and spaces only (it is written
 * into responses as it is); anything else is refused at boot, loudly. */
static void cache_control(void)
{
	const char *v = kcmdline_str(&key_cache_control);

	if (!v || !*v)
		return;
	for (const char *p = v; *p; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			printf("httpd: httpd_cache_control: byte 0x%02x is not "
			       "allowed in a header; none sent\n",
			       (unsigned char)*p);
			return;
		}
	}
	reply_cache_control = v;
	printf("httpd: Cache-Control: %s\n", v);
}

/* Read the settings and print them, defaults included, in one line.
 * Returns the port. */
static uint16_t configure(void)
{
	uint16_t port = (uint16_t)kcmdline_u64(&key_port, 80, 1, 65535);

	httpd_limits = (struct httpd_limits){
		.max_conns = (uint32_t)kcmdline_u64(&key_max_conns, 1024, 1,
						     1000000),
		.header_timeout = ms(kcmdline_u64(&key_header_to, 10000, 1,
						  3600000)),
		.idle_timeout = ms(kcmdline_u64(&key_idle_to, 60000, 1,
						86400000)),
		.write_timeout = ms(kcmdline_u64(&key_write_to, 10000, 1,
						 3600000)),
		.max_requests = (uint32_t)kcmdline_u64(&key_max_requests, 1000,
							1, UINT32_MAX),
		.max_body = kcmdline_u64(&key_max_body, 1 << 20, 0,
					  UINT64_MAX / 2),
		.linger = ms(LINGER_MS),
	};
	httpd_sys = (struct httpd_sys){
		.now = time_ns,
		.alloc_count = rt_malloc_count,
		.snapshot = snapshot,
		.epoch_ns = boot_unix_ns(),
	};
	cache_control();
	printf("httpd: port %u max_conns %u header_timeout_ms %llu "
	       "idle_timeout_ms %llu write_timeout_ms %llu max_requests %u "
	       "max_body %llu date %llu (%s)\n",
	       port, httpd_limits.max_conns,
	       (unsigned long long)(httpd_limits.header_timeout / ms(1)),
	       (unsigned long long)(httpd_limits.idle_timeout / ms(1)),
	       (unsigned long long)(httpd_limits.write_timeout / ms(1)),
	       httpd_limits.max_requests,
	       (unsigned long long)httpd_limits.max_body,
	       (unsigned long long)(httpd_sys.epoch_ns / 1000000000u),
	       rt_unix_ns() ? rt_wallclock_source() : "no wall clock: the image's build time");
	return port;
}

static void httpd_main(void)
{
	uint16_t port = configure();
	struct listener *l;
	struct conn *c;
	int r;

	r = net_listen(port, 4096, &l);
	if (r < 0) {
		printf("httpd: cannot listen on port %u: %d\n", port, r);
		return;
	}
	printf("httpd: listening on port %u, %zu files in the site\n", port,
	       site_nfiles);
	for (;;) {
		r = net_accept(l, &c);
		if (r == -EBADF)
			return;
		if (r < 0) {
			printf("httpd: accept failed: %d\n", r);
			task_sleep(ms(10));
			continue;
		}
		dispatch(c);
	}
}
APP("httpd", httpd_main);
