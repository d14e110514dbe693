/*
 * apps/httpd/httpd.c — the HTTP server in the appliance (app=httpd, the
 * default): settings from the command line, the handlers on a mux
 * (routes.c), and the numbers /metrics shows from below the server. The
 * HTTP library (net/http/http.h) does the serving; everything else of
 * the app runs on the host too, and this file is the part that only
 * runs in the guest.
 *
 * Settings (kernel command line; the defaults are printed at boot):
 *   port=N                     TCP port (80)
 *   https_port=N               TCP port of HTTPS (443; 0: none): the
 *                              same site over TLS (https.c)
 *   http_redirect=on           plain HTTP answers every request with a
 *                              301 to https:// (redirect.c); only when
 *                              HTTPS started
 *   httpd_max_conns=N          connections served at once (1024, or the
 *                              memory's limit, net/limits.h, when lower);
 *                              past it a connection gets 503 and is closed
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
 *   httpd_access_log=F         the access log: off (default), clf
 *                              (nginx's combined and the request time)
 *                              or json lines (net/http/accesslog.h)
 *   httpd_access_log_rate=N    lines per second at most (1000; 0: no
 *                              limit); the rest are dropped and counted
 *   syslog=ADDR:PORT           the access log goes to this syslog server
 *                              (RFC 5424 over UDP) instead of the console
 *   debug=on                   serve /debug/ (debug.c): every task's
 *                              stack, CPU profiles; off by default
 * The Date header comes from the machine's wall clock (date=, kvmclock or
 * the CMOS clock: kernel/wallclock.h), or the image's build time without.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apps/httpd/history.h"
#include "apps/httpd/https.h"
#include "apps/httpd/metrics.h"
#include "apps/httpd/routes.h"
#include "apps/httpd/site.h"
#include "apps/httpd/static.h"
#include "net/conn.h"
#include "net/dns.h"
#include "net/http/accesslog.h"
#include "net/http/http.h"
#include "net/limits.h"
#include "net/net.h"
#include "net/tls/tls.h"
#include "runtime/app.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

CMDLINE_KEY(key_port, "port", "TCP port of the app");
CMDLINE_KEY(key_https_port, "https_port", "httpd: TCP port of HTTPS (0: none)");
CMDLINE_KEY(key_redirect, "http_redirect",
	   "httpd: on: plain HTTP answers 301 to https://");
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
CMDLINE_KEY(key_access_log, "httpd_access_log",
	   "httpd: access log format: off, clf or json");
CMDLINE_KEY(key_access_log_rate, "httpd_access_log_rate",
	   "httpd: access log lines per second at most (0: no limit)");
CMDLINE_KEY(key_syslog, "syslog",
	   "httpd: send the access log to this syslog server (ADDR:PORT, UDP)");
CMDLINE_KEY(key_debug, "debug",
	   "httpd: on: serve /debug/ (tasks and their stacks, CPU profiles)");
CMDLINE_KEY(key_cache_control, "httpd_cache_control",
	   "httpd: Cache-Control value for the site's files (default none)");

static struct http_mux mux;
static struct http_server srv;
/* http_redirect=on: plain HTTP's own server, with one handler. */
static struct http_mux redirect_mux;
static struct http_server redirect_srv;
static uint16_t https_port;
static bool httpd_https_on;	/* /metrics shows TLS */
static struct http_handler redirect_h = { "redirect", httpd_redirect_serve,
					  &https_port, 0, 0 };

static void add_pool(void *arg, const struct net_pool_stats *p)
{
	struct metrics_snapshot *s = arg;

	if (s->npools < METRICS_MAX_POOLS)
		s->pool[s->npools++] = (struct metrics_pool){
			p->name, p->used, p->max, p->capacity, p->elem_bytes,
			p->errors };
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
	s->heap_floor_hits = heap.floor_hits;
	s->heap_allocs = rt_malloc_count();
	s->cmdline_errors = kcmdline_errors();
	s->version = rt_version();
	s->have_net = true;
	net_conn_stats(&s->net);
	s->rx_dropped = net_rx_dropped_nopbuf();
	net_lwip_stats(add_pool, s);
	addresses(s);
	if (httpd_https_on) {
		struct tls_stats t;
		tls_stats(&t);
		s->have_tls = true;
		s->tls_handshakes = t.handshakes;
		s->tls_resumptions = t.resumptions;
		s->tls_open = t.open;
		s->tls_sni_unknown = t.sni_unknown;
		s->tls_slot_waits = t.slot_waits;
		for (int i = 0; i < TLS_FAIL_N && i < METRICS_MAX_TLS_FAIL; i++)
			s->tls_fail[s->ntls_fail++] = (struct metrics_tls_fail){
				tls_fail_name(i), t.failures[i] };
	}
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
	static_cache_control = v;
	printf("httpd: Cache-Control: %s\n", v);
}

/* httpd_access_log=, its rate and syslog=: a bad value is said at boot
 * and the log stays off (a request is never refused for it). */
static void access_log(void)
{
	const char *f = kcmdline_str(&key_access_log);
	const char *to = kcmdline_str(&key_syslog);
	struct http_access_log_config cfg = { .format = HTTP_LOG_OFF };
	struct net_addr addr;
	char where[NET_ADDR_STRLEN + 8];
	int r;

	if (f && http_log_format_parse(f, &cfg.format) < 0) {
		printf("httpd: httpd_access_log=%s: not off, clf or json; "
		       "access log off\n", f);
		return;
	}
	if (cfg.format == HTTP_LOG_OFF)
		return;
	cfg.rate = (uint32_t)kcmdline_u64(&key_access_log_rate, 1000, 0,
					  UINT32_MAX);
	if (to && *to) {
		if (net_addr_parse(to, &addr) < 0 || !addr.port) {
			printf("httpd: syslog=%s: not ADDR:PORT; access log "
			       "off\n", to);
			return;
		}
		cfg.syslog = &addr;
	}
	r = http_access_log_start(&srv, &cfg);
	if (r < 0) {
		printf("httpd: cannot start the access log: %d\n", r);
		return;
	}
	if (cfg.syslog)
		net_addr_format(&addr, where, sizeof where);
	printf("httpd: access log %s to %s, at most %u lines/s\n", f,
	       cfg.syslog ? where : "the console", cfg.rate);
}

/* Read the settings and print them, defaults included, in one line.
 * Returns the port. */
static uint16_t configure(void)
{
	uint16_t port = (uint16_t)kcmdline_u64(&key_port, 80, 1, 65535);
	/* By default no more than the memory holds (net/limits.h), so the
	   connection past it gets a 503 instead of exhausting memory. */
	uint32_t conns = net_limits.tcp_conns < 1024 ? net_limits.tcp_conns : 1024;

	srv.limits = (struct http_limits){
		.max_conns = (uint32_t)kcmdline_u64(&key_max_conns, conns, 1,
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
		.linger = http_default_limits.linger,
	};
	srv.date_fallback = site_build_time;
	metrics_now = time_ns;
	metrics_below = snapshot;
	cache_control();
	access_log();
	printf("httpd: port %u max_conns %u header_timeout_ms %llu "
	       "idle_timeout_ms %llu write_timeout_ms %llu max_requests %u "
	       "max_body %llu date %llu (%s)\n",
	       port, srv.limits.max_conns,
	       (unsigned long long)(srv.limits.header_timeout / ms(1)),
	       (unsigned long long)(srv.limits.idle_timeout / ms(1)),
	       (unsigned long long)(srv.limits.write_timeout / ms(1)),
	       srv.limits.max_requests,
	       (unsigned long long)srv.limits.max_body,
	       (unsigned long long)((rt_unix_boot_ns() ? rt_unix_boot_ns()
				     : site_build_time * 1000000000ull) /
				    1000000000u),
	       rt_unix_ns() ? rt_wallclock_source() : "no wall clock: the image's build time");
	return port;
}

/* The sampler behind /status/history: a point a second (history.h). */
static void history_task(void *arg)
{
	static struct metrics_snapshot s;	/* this task's alone */

	(void)arg;
	for (;;) {
		metrics_snapshot(&s, &mux);
		history_sample(&httpd_history_ring, &s);
		task_sleep(ms(HISTORY_PERIOD_MS));
	}
}

static void httpd_main(void)
{
	struct listener *l;
	uint16_t port;
	int r;

	http_mux_init(&mux);
	http_server_init(&srv, &mux);
	port = configure();
	r = httpd_routes(&mux);
	const char *dv = kcmdline_str(&key_debug);
	bool debug = dv && (!strcmp(dv, "on") || !strcmp(dv, "1"));
	if (dv && !debug && strcmp(dv, "off") && strcmp(dv, "0"))
		kcmdline_error("debug=%s: on or off; off\n", dv);
	if (r >= 0 && debug) {
		r = httpd_debug_routes(&mux);
		printf("httpd: debug=on: /debug/ serves tasks and CPU profiles\n");
	}
	if (r < 0) {
		printf("httpd: cannot register the handlers: %d\n", r);
		return;
	}
	/* HTTP's port opens first: make run forwards 8080 to it. */
	r = net_listen(port, 4096, &l);
	if (r < 0) {
		printf("httpd: cannot listen on port %u: %d\n", port, r);
		return;
	}
	https_port = (uint16_t)kcmdline_u64(&key_https_port, 443, 0, 65535);
	bool https = https_port && httpd_https_start(&srv, https_port);
	httpd_https_on = https;
	struct http_server *plain = &srv;
	const char *rv = kcmdline_str(&key_redirect);
	bool redirect = rv && (!strcmp(rv, "on") || !strcmp(rv, "1"));
	if (rv && !redirect && strcmp(rv, "off") && strcmp(rv, "0"))
		kcmdline_error("http_redirect=%s: on or off; off\n", rv);
	if (redirect && !https) {
		printf("httpd: http_redirect: off, HTTPS is not serving\n");
	} else if (redirect) {
		http_mux_init(&redirect_mux);
		http_handle(&redirect_mux, "/", &redirect_h);
		http_server_init(&redirect_srv, &redirect_mux);
		redirect_srv.limits = srv.limits;
		redirect_srv.date_fallback = srv.date_fallback;
		plain = &redirect_srv;
	}
	if (!task_spawn(&(struct task_attr){ "status-history", 0, -1 },
			history_task, NULL))
		printf("httpd: no memory for the /status history task\n");
	printf("httpd: listening on port %u, %zu files in the site%s\n", port,
	       site_nfiles, plain == &srv ? "" : "; redirecting to HTTPS");
	r = http_serve(plain, l);
	printf("httpd: serving stopped: %d\n", r);
}
APP("httpd", httpd_main);
