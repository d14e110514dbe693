// host-test-sources: apps/httpd/routes.c apps/httpd/static.c apps/httpd/metrics.c apps/httpd/history.c apps/httpd/site.c apps/httpd/choose.c apps/httpd/http_accept.c apps/httpd/http_date.c apps/httpd/http_range.c apps/httpd/redirect.c net/http/server.c net/http/request.c net/http/response.c net/http/out.c net/http/mux.c net/http/stats.c net/http/latency.c net/http/parse.c net/http/body.c net/http/path.c net/http/accesslog.c
/*
 * Host unit tests for app=httpd as served by the HTTP library
 * (net/http/server.c and what it uses, with apps/httpd's handlers on the
 * mux: the static site, /healthz, /status, /metrics), against a scripted fake
 * connection: each test feeds a script of reads (data, a timeout, a
 * reset) and checks the exact bytes written back, how the connection
 * ended, and the counters.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/httpd/https.h"
#include "apps/httpd/metrics.h"
#include "apps/httpd/routes.h"
#include "apps/httpd/static.h"
#include "net/http/server.h"
#include "apps/httpd/site.h"
#include "tests/host/hosttest.h"

/* ---- The site: a fixture instead of mksite.py's output ---- */

static char big[40000];

/* What mksite.py writes for a file of mtime MTIME (site.h's layout). */
#define MTIME 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define LASTMOD "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define VAL(e) "Accept-Ranges: bytes\r\nETag: " e "\r\n" LASTMOD
#define HEADERS(e, type, len, more) "Content-Type: " type \
	"\r\nContent-Length: " len "\r\n" more VAL(e)
#define VARIANT(p, e, ty, len, b, n, more, gz)                          \
	{ .path = p, .etag = e, .type = ty,                               \
	  .headers = HEADERS(e, ty, len, more),                          \
	  .validators = VAL(e), .body = b, .gzip = gz,                      \
	  .path_len = sizeof(p) - 1, .etag_len = sizeof(e) - 1,             \
	  .headers_len = sizeof(HEADERS(e, ty, len, more)) - 1,           \
	  .validators_len = sizeof(VAL(e)) - 1, .size = n, .mtime = MTIME,   \
	  .vary = sizeof(more) > 1 }
#define ENTRY(p, e, type, len, b, n) VARIANT(p, e, type, len, b, n, "", NULL)
#define VARY "Vary: Accept-Encoding\r\n"
#define GZ "Content-Encoding: gzip\r\n" VARY

/* Stand-ins for gzip bytes: nothing here decompresses them. */
static const struct site_file page_gz = VARIANT("/page.html", "\"p2\"",
	"text/html; charset=utf-8", "4", "GZ1\n", 4, GZ, NULL);
static const struct site_file gone_gz = VARIANT("/404.html", "\"g2\"",
	"text/html; charset=utf-8", "4", "GZ2\n", 4, GZ, NULL);

const struct site_file site_files[] = {
	VARIANT("/404.html", "\"g1\"", "text/html; charset=utf-8", "12",
		"<p>gone</p>\n", 12, VARY, &gone_gz),
	ENTRY("/a/index.html", "\"a1\"", "text/html; charset=utf-8", "9",
	      "<p>a</p>\n", 9),
	ENTRY("/big.bin", "\"b1\"", "application/octet-stream", "40000", big,
	      sizeof(big)),
	ENTRY("/hello.txt", "\"h1\"", "text/plain; charset=utf-8", "6",
	      "hello\n", 6),
	ENTRY("/index.html", "\"i1\"", "text/html; charset=utf-8", "14",
	      "<h1>home</h1>\n", 14),
	VARIANT("/page.html", "\"p1\"", "text/html; charset=utf-8", "26",
		"<p>page page page page</p>", 26, VARY, &page_gz),
};
const size_t site_nfiles = sizeof(site_files) / sizeof(site_files[0]);
const struct site_file site_status_page =
	ENTRY("/status", "\"s1\"", "text/html; charset=utf-8", "20",
	      "<html>status</html>\n", 20);
const uint64_t site_build_time = 784111777;

__attribute__((constructor)) static void fill_big(void)
{
	memset(big, 'x', sizeof(big));
}

_Noreturn void http_bug(const char *what)
{
	ht_fail(__FILE__, __LINE__, "http_bug: %s", what);
}

/* ---- The fake connection and machine ---- */

/* DATA: bytes to read; TIMEOUT: the read waits for its deadline;
 * RESET: the read fails; WAIT: len nanoseconds pass before the next. */
enum step_kind { DATA, TIMEOUT, RESET, WAIT };

struct step {
	enum step_kind kind;
	const char *data;
	size_t len;
};

#define S(str) { DATA, str, sizeof(str) - 1 }
#define T { TIMEOUT, NULL, 0 }
#define W(ns) { WAIT, NULL, ns }
#define STEPS(...) (const struct step[]){ __VA_ARGS__ }, \
	sizeof((const struct step[]){ __VA_ARGS__ }) / sizeof(struct step)

static struct fake {
	const struct step *steps;
	size_t nsteps, i, off;
	size_t chunk;		/* most bytes per read; 0: no limit */
	char out[4 << 20];
	size_t outlen;
	int writes;		/* write calls */
	const void *last_write;	/* buffer of the last write */
	bool shut;		/* shutdown_write was called */
	int fail_writes;	/* error every write from this many on (0 no) */
	uint64_t rd_deadline, wr_deadline;
	uint64_t first_rd_deadline; /* of the first read */
	int reads;
} F;

static uint64_t fake_now;
static uint64_t fake_allocs;
static bool allocs_on_write;	/* each write counts as an allocation */
static bool with_snapshot;

static ssize_t fake_read(void *c, void *buf, size_t len)
{
	struct fake *f = c;
	const struct step *s;
	size_t n;

	HT_CHECK(f == &F);
	if (f->reads++ == 0)
		f->first_rd_deadline = f->rd_deadline;
	while (f->i < f->nsteps && f->steps[f->i].kind == WAIT)
		fake_now += f->steps[f->i++].len;
	if (f->i == f->nsteps)
		return 0;
	s = &f->steps[f->i];
	if (s->kind == TIMEOUT) {
		HT_CHECK(f->rd_deadline > fake_now); /* a deadline was set */
		fake_now = f->rd_deadline;
		f->i++;
		return -ETIMEDOUT;
	}
	if (s->kind == RESET) {
		f->i++;
		return -ECONNRESET;
	}
	n = s->len - f->off;
	if (n > len)
		n = len;
	if (f->chunk && n > f->chunk)
		n = f->chunk;
	memcpy(buf, s->data + f->off, n);
	f->off += n;
	if (f->off == s->len) {
		f->i++;
		f->off = 0;
	}
	return (ssize_t)n;
}

static ssize_t fake_write(void *c, const void *buf, size_t len)
{
	struct fake *f = c;

	HT_CHECK(!f->shut);
	HT_CHECK(len > 0);
	f->writes++;
	if (f->fail_writes && f->writes >= f->fail_writes)
		return -ECONNRESET;
	HT_CHECK(f->outlen + len <= sizeof(f->out));
	memcpy(f->out + f->outlen, buf, len);
	f->outlen += len;
	f->last_write = buf;
	if (allocs_on_write)
		fake_allocs++;
	return (ssize_t)len;
}

static int fake_shutdown(void *c)
{
	((struct fake *)c)->shut = true;
	return 0;
}

static void fake_rd_deadline(void *c, uint64_t d)
{
	((struct fake *)c)->rd_deadline = d;
}

static void fake_wr_deadline(void *c, uint64_t d)
{
	((struct fake *)c)->wr_deadline = d;
}

static const struct http_io fake_io = {
	.read = fake_read,
	.write = fake_write,
	.shutdown_write = fake_shutdown,
	.set_read_deadline = fake_rd_deadline,
	.set_write_deadline = fake_wr_deadline,
};

static uint64_t now_fn(void)
{
	return fake_now;
}

static uint64_t allocs_fn(void)
{
	return fake_allocs;
}

static void snapshot_fn(struct metrics_snapshot *s)
{
	if (!with_snapshot)
		return;
	s->ncpus = 2;
	s->cpu[0].switches = 11;
	s->cpu[1].switches = 22;
	s->cpu[1].idle_ns = 1500000000;
	s->cpu[1].busy_ns = 250000000;
	s->have_runtime = true;
	s->tasks_alive = 7;
	s->stack_pages = 30;
	s->heap_in_use = 4096;
	s->heap_floor_hits = 9;
	s->have_net = true;
	s->net.open = 3;
	s->npools = 1;
	s->pool[0] = (struct metrics_pool){ "TCP_PCB", 3, 9, 12288, 168, 0 };
	s->have_tls = true;
	s->tls_handshakes = 5;
	s->tls_resumptions = 2;
	s->ntls_fail = 2;
	s->tls_fail[0] = (struct metrics_tls_fail){ "timeout", 4 };
	s->tls_fail[1] = (struct metrics_tls_fail){ "version", 3 };
}

#define SEC 1000000000ull

static struct http_mux mux;
static struct http_server srv;

static void setup(void)
{
	memset(&F, 0, offsetof(struct fake, out));
	memset(F.out, 0, F.outlen); /* the output stays a C string */
	F.outlen = 0;
	F.writes = 0;
	F.shut = false;
	F.fail_writes = 0;
	F.reads = 0;
	fake_now = 0;
	allocs_on_write = false;
	with_snapshot = false;
	static bool routed;

	if (!routed) {
		http_mux_init(&mux);
		HT_EQ(httpd_routes(&mux), 0);
		routed = true;
	}
	http_server_init(&srv, &mux);
	srv.limits = (struct http_limits){
		.max_conns = 2,
		.max_requests = 100,
		.max_body = 1000,
		.header_timeout = 10 * SEC,
		.idle_timeout = 60 * SEC,
		.write_timeout = 5 * SEC,
		.linger = 2 * SEC,
	};
	http_sys = (struct http_sys){
		.now = now_fn,
		.alloc_count = allocs_fn,
		.epoch_ns = 784111777000000000ull, /* Sun, 06 Nov 1994 08:49:37 GMT */
	};
	metrics_now = now_fn;
	metrics_below = snapshot_fn;
}

/* After setup: the reads to come. */
static void script(const struct step *steps, size_t n)
{
	F.steps = steps;
	F.nsteps = n;
}

static enum http_end run_chunked(const struct step *steps, size_t n,
				  size_t chunk)
{
	setup();
	F.steps = steps;
	F.nsteps = n;
	F.chunk = chunk;
	return http_serve_conn(&srv, &fake_io, &F);
}

static enum http_end run(const struct step *steps, size_t n)
{
	return run_chunked(steps, n, 0);
}

/* What was written must be exactly exp. */
#define OUT_IS(exp) out_is(__FILE__, __LINE__, exp, sizeof(exp) - 1)

static void out_is(const char *file, int line, const char *exp, size_t len)
{
	size_t i = 0;

	while (i < len && i < F.outlen && F.out[i] == exp[i])
		i++;
	if (i == len && i == F.outlen)
		return;
	ht_fail(file, line,
		"output differs at byte %zu (got %zu bytes, want %zu):\n"
		"got:  \"%.*s\"\nwant: \"%.*s\"", i, F.outlen, len,
		(int)(F.outlen - i < 120 ? F.outlen - i : 120), F.out + i,
		(int)(len - i < 120 ? len - i : 120), exp + i);
}

/* The number of times s occurs in the output. */
static int out_count(const char *s)
{
	int n = 0;
	size_t len = strlen(s), i;

	for (i = 0; i + len <= F.outlen; i++)
		if (memcmp(F.out + i, s, len) == 0)
			n++;
	return n;
}

static uint64_t responses(int status)
{
	size_t i;

	for (i = 0; i < HTTP_STATS_NSTATUS - 1; i++)
		if (http_stats_statuses[i] == status)
			return http_stats.responses[i];
	return http_stats.responses[HTTP_STATS_NSTATUS - 1];
}

#define DATE0 "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define RESP(status) "HTTP/1.1 " status "\r\nServer: weft\r\n" DATE0
#define KA "Connection: keep-alive\r\n\r\n"
#define CLOSE "Connection: close\r\n\r\n"
#define HELLO_HDR "Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Length: 6\r\n" VAL("\"h1\"")
#define HELLO_KA RESP("200 OK") HELLO_HDR KA "hello\n"
#define HELLO_CLOSE RESP("200 OK") HELLO_HDR CLOSE "hello\n"
#define INDEX_KA RESP("200 OK") "Content-Type: text/html; charset=utf-8\r\n" \
	"Content-Length: 14\r\n" VAL("\"i1\"") KA "<h1>home</h1>\n"
/* An error answer: code, reason, and the length of "code reason\n". */
#define ERR(code, reason, len, conn) RESP(code " " reason) \
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: " len \
	"\r\n" conn code " " reason "\n"
#define GET(path) "GET " path " HTTP/1.1\r\nHost: weft\r\n\r\n"

/* ---- Basics ---- */

HT_TEST(get_keep_alive_then_eof)
{
	HT_EQ(run(STEPS(S(GET("/hello.txt")))), HTTP_END_CLOSE);
	OUT_IS(HELLO_KA);
	HT_EQ(F.shut, false); /* the client closed first: a plain close */
	HT_EQ(F.wr_deadline, 5 * SEC);
	HT_EQ(F.first_rd_deadline, 10 * SEC); /* header_timeout from accept */
}

HT_TEST(root_and_directories_serve_index)
{
	HT_EQ(run(STEPS(S(GET("/") GET("/index.html") GET("/a/")))),
	      HTTP_END_CLOSE);
	OUT_IS(INDEX_KA INDEX_KA RESP("200 OK")
	       "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Length: 9\r\n" VAL("\"a1\"") KA "<p>a</p>\n");
}

HT_TEST(directory_without_slash_redirects)
{
	HT_EQ(run(STEPS(S(GET("/a?x=1")))), HTTP_END_CLOSE);
	OUT_IS(RESP("301 Moved Permanently") "Location: /a/\r\n"
	       "Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Length: 22\r\n" KA "301 Moved Permanently\n");
}

HT_TEST(paths_are_normalized_and_stay_in_the_site)
{
	HT_EQ(run(STEPS(S(GET("/a/../hello.txt") GET("//a/./..//hello%2etxt")
			 GET("http://weft/hello.txt")))),
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_KA HELLO_KA HELLO_KA);

	HT_EQ(run(STEPS(S(GET("/../etc/passwd")))), HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
	HT_EQ(run(STEPS(S(GET("/%2e%2e/%2e%2e/etc/passwd")))), HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
	HT_EQ(run(STEPS(S(GET("/hello.txt%00.html")))), HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
	HT_EQ(run(STEPS(S(GET("/a%5c..%5chello.txt")))), HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
}

HT_TEST(not_found_keeps_the_connection)
{
	HT_EQ(run(STEPS(S(GET("/nope") GET("/hello.txt")))), HTTP_END_CLOSE);
	/* The site has a /404.html: that is the body. */
	OUT_IS(RESP("404 Not Found") "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Length: 12\r\n" VARY KA "<p>gone</p>\n" HELLO_KA);
}

HT_TEST(head_has_headers_and_length_but_no_body)
{
	HT_EQ(run(STEPS(S("HEAD /hello.txt HTTP/1.1\r\nHost: w\r\n\r\n"
			 "HEAD /nope HTTP/1.1\r\nHost: w\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("200 OK") HELLO_HDR KA
	       RESP("404 Not Found") "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Length: 12\r\n" VARY KA);
}

HT_TEST(ops_endpoints)
{
	HT_EQ(run(STEPS(S(GET("/healthz") GET("/status")))), HTTP_END_CLOSE);
	OUT_IS(RESP("200 OK") "Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Length: 3\r\n" KA "ok\n"
	       RESP("200 OK") "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Length: 20\r\n" VAL("\"s1\"") KA
	       "<html>status</html>\n");
}

/* ---- Keep-alive and pipelining ---- */

HT_TEST(byte_at_a_time_gives_the_same_bytes)
{
	static const char in[] = GET("/hello.txt") "\r\n" /* stray CRLF */
		"POST /hello.txt HTTP/1.1\r\nHost: w\r\nContent-Length: 5\r\n\r\n"
		"abcde"
		"POST /x HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nabc\r\n0\r\n\r\n" GET("/");
	static const char want[] = HELLO_KA
		RESP("405 Method Not Allowed") "Allow: GET, HEAD\r\n"
		"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\n"
		KA "405 Method Not Allowed\n"
		RESP("405 Method Not Allowed") "Allow: GET, HEAD\r\n"
		"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\n"
		KA "405 Method Not Allowed\n" INDEX_KA;

	HT_EQ(run_chunked(STEPS(S(in)), 1), HTTP_END_CLOSE);
	OUT_IS(want);
	HT_EQ(F.reads, (int)sizeof(in) - 1 + 1); /* one byte each, then EOF */
	HT_EQ(run(STEPS(S(in))), HTTP_END_CLOSE);
	OUT_IS(want);
}

HT_TEST(twenty_pipelined_requests_in_one_write)
{
	static char in[4096];
	static char want[16384];
	size_t n = 0, w = 0;
	int i;

	for (i = 0; i < 20; i++) {
		const char *get = i % 2 ? GET("/hello.txt") : GET("/");
		const char *resp = i % 2 ? HELLO_KA : INDEX_KA;

		n += (size_t)sprintf(in + n, "%s", get);
		w += (size_t)sprintf(want + w, "%s", resp);
	}
	struct step st = { DATA, in, n };
	HT_EQ(run(&st, 1), HTTP_END_CLOSE);
	out_is(__FILE__, __LINE__, want, w);
	HT_EQ(F.writes, 1); /* answered together, in order */
}

HT_TEST(http10_closes_unless_keep_alive)
{
	HT_EQ(run(STEPS(S("GET /hello.txt HTTP/1.0\r\n\r\n" GET("/")))),
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_CLOSE); /* the pipelined second request is not read */
	HT_EQ(F.shut, true);

	HT_EQ(run(STEPS(S("GET /hello.txt HTTP/1.0\r\nConnection: keep-alive"
			 "\r\n\r\nGET /hello.txt HTTP/1.0\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_KA HELLO_CLOSE);
}

HT_TEST(http11_connection_close)
{
	HT_EQ(run(STEPS(S("GET /hello.txt HTTP/1.1\r\nHost: w\r\n"
			 "Connection: close\r\n\r\n" GET("/")))),
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_CLOSE);
	HT_EQ(F.shut, true);
}

HT_TEST(max_requests_per_connection)
{
	setup();
	srv.limits.max_requests = 3;
	script(STEPS(S(GET("/hello.txt") GET("/hello.txt") GET("/hello.txt")
			 GET("/hello.txt"))));
	HT_EQ(http_serve_conn(&srv, &fake_io, &F), HTTP_END_CLOSE);
	OUT_IS(HELLO_KA HELLO_KA HELLO_CLOSE);
}

HT_TEST(ten_thousand_requests_allocate_nothing)
{
	static char in[10000 * sizeof(GET("/hello.txt"))];
	uint64_t before = http_stats.request_allocs;
	uint64_t ok = responses(200);
	size_t n = 0;
	int i;

	for (i = 0; i < 10000; i++)
		n += (size_t)sprintf(in + n, "%s", GET("/hello.txt"));
	struct step st = { DATA, in, n };
	setup();
	srv.limits.max_requests = 1000000;
	script(&st, 1);
	F.chunk = 1000;
	HT_EQ(http_serve_conn(&srv, &fake_io, &F), HTTP_END_CLOSE);
	HT_EQ(out_count("HTTP/1.1 200 OK"), 10000);
	HT_EQ(responses(200) - ok, 10000);
	HT_EQ(http_stats.request_allocs - before, 0);

	/* The counter is wired: allocations during answers are counted. */
	setup();
	srv.limits.max_requests = 1000000;
	allocs_on_write = true;
	script(&st, 1);
	HT_EQ(http_serve_conn(&srv, &fake_io, &F), HTTP_END_CLOSE);
	HT_CHECK(http_stats.request_allocs - before > 0);
}

/* ---- Conditional requests ---- */

HT_TEST(if_none_match_gives_304)
{
	static const char want304[] = RESP("304 Not Modified")
		VAL("\"h1\"") KA;

	HT_EQ(run(STEPS(S("GET /hello.txt HTTP/1.1\r\nHost: w\r\n"
			 "If-None-Match: \"h1\"\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(want304);
	HT_EQ(run(STEPS(S("GET /hello.txt HTTP/1.1\r\nHost: w\r\n"
			 "If-None-Match: \"zz\", W/\"h1\"\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(want304);
	HT_EQ(run(STEPS(S("HEAD /hello.txt HTTP/1.1\r\nHost: w\r\n"
			 "If-None-Match: *\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(want304);
	HT_EQ(run(STEPS(S("GET /hello.txt HTTP/1.1\r\nHost: w\r\n"
			 "If-None-Match: \"h2\", \"h\"\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_KA);
	HT_EQ(run(STEPS(S("GET /hello.txt HTTP/1.1\r\nHost: w\r\n"
			 "If-None-Match: h1\r\n\r\n"))), /* malformed */
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_KA);
}

/* ---- Errors ---- */

HT_TEST(error_400_missing_host_and_nul)
{
	uint64_t before = responses(400);

	HT_EQ(run(STEPS(S("GET / HTTP/1.1\r\n\r\n" GET("/")))), HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
	HT_EQ(F.shut, true);
	HT_EQ(run(STEPS(S("GET /\0 HTTP/1.1\r\nHost: w\r\n\r\n"))), HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
	HT_EQ(run(STEPS(S("GET / HTTP/1.1\r\nHost: w\r\nX: a\0b\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
	HT_EQ(responses(400) - before, 3);
}

HT_TEST(error_400_body_framing)
{
	/* Conflicting Content-Length lines. */
	HT_EQ(run(STEPS(S("POST / HTTP/1.1\r\nHost: w\r\nContent-Length: 3\r\n"
			 "Content-Length: 4\r\n\r\nabcd"))),
	      HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
	/* Transfer-Encoding with Content-Length. */
	HT_EQ(run(STEPS(S("POST / HTTP/1.1\r\nHost: w\r\nContent-Length: 3\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
	/* A malformed chunk, found while the body is skipped. */
	HT_EQ(run(STEPS(S("POST / HTTP/1.1\r\nHost: w\r\n"
			 "Transfer-Encoding: chunked\r\n\r\nzz\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(ERR("400", "Bad Request", "16", CLOSE));
}

HT_TEST(error_405_and_501)
{
	HT_EQ(run(STEPS(S("DELETE /hello.txt HTTP/1.1\r\nHost: w\r\n\r\n"
			 "OPTIONS * HTTP/1.1\r\nHost: w\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("405 Method Not Allowed") "Allow: GET, HEAD\r\n"
	       "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\n"
	       KA "405 Method Not Allowed\n"
	       RESP("405 Method Not Allowed") "Allow: GET, HEAD\r\n"
	       "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\n"
	       KA "405 Method Not Allowed\n");
	HT_EQ(run(STEPS(S("BREW /pot HTTP/1.1\r\nHost: w\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(ERR("501", "Not Implemented", "20", CLOSE));
	HT_EQ(run(STEPS(S("get / HTTP/1.1\r\nHost: w\r\n\r\n"))), HTTP_END_CLOSE);
	OUT_IS(ERR("501", "Not Implemented", "20", CLOSE));
}

HT_TEST(error_505)
{
	HT_EQ(run(STEPS(S("GET / HTTP/2.0\r\nHost: w\r\n\r\n"))), HTTP_END_CLOSE);
	OUT_IS(ERR("505", "HTTP Version Not Supported", "31", CLOSE));
}

HT_TEST(error_413_content_length_and_chunked)
{
	/* Known from the head: answered without reading the body. */
	HT_EQ(run(STEPS(S("POST / HTTP/1.1\r\nHost: w\r\nContent-Length: 1001"
			 "\r\n\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(ERR("413", "Content Too Large", "22", CLOSE));
	HT_EQ(F.shut, true);
	/* A chunked body that grows past max_body (1000): refused at the
	 * size line of the chunk that would cross it. */
	static char ch[2048];
	int k = sprintf(ch, "POST / HTTP/1.1\r\nHost: w\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n200\r\n");
	memset(ch + k, 'c', 512);
	k += 512;
	k += sprintf(ch + k, "\r\n200\r\n");
	struct step cs = { DATA, ch, (size_t)k };
	HT_EQ(run_chunked(&cs, 1, 100), HTTP_END_CLOSE);
	OUT_IS(ERR("413", "Content Too Large", "22", CLOSE));
	HT_EQ(run(STEPS(S("POST / HTTP/1.1\r\nHost: w\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n3e9\r\n"))),
	      HTTP_END_CLOSE);
	OUT_IS(ERR("413", "Content Too Large", "22", CLOSE));
	/* At the limit is fine, and the next request is parsed after it. */
	static char in[2048];
	int n = sprintf(in, "POST / HTTP/1.1\r\nHost: w\r\n"
			    "Content-Length: 1000\r\n\r\n");
	memset(in + n, 'b', 1000);
	n += 1000;
	n += sprintf(in + n, "%s", GET("/hello.txt"));
	struct step st = { DATA, in, (size_t)n };
	HT_EQ(run_chunked(&st, 1, 7), HTTP_END_CLOSE);
	OUT_IS(RESP("405 Method Not Allowed") "Allow: GET, HEAD\r\n"
	       "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\n"
	       KA "405 Method Not Allowed\n" HELLO_KA);
}

HT_TEST(get_with_a_body_skips_it)
{
	HT_EQ(run(STEPS(S("GET /hello.txt HTTP/1.1\r\nHost: w\r\n"
			 "Content-Length: 9\r\n\r\nGET /nope"),
			S(GET("/hello.txt")))),
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_KA HELLO_KA);
}

HT_TEST(expect_100_continue_answers_and_closes)
{
	HT_EQ(run(STEPS(S("POST /up HTTP/1.1\r\nHost: w\r\nContent-Length: 5\r\n"
			 "Expect: 100-continue\r\n\r\n"), S("abcde"))),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("405 Method Not Allowed") "Allow: GET, HEAD\r\n"
	       "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\n"
	       CLOSE "405 Method Not Allowed\n");
	HT_EQ(F.shut, true);
	HT_EQ(F.i, F.nsteps); /* the body was dropped while lingering */
}

HT_TEST(error_414_long_target)
{
	static char in[110 * 1024];
	int n = sprintf(in, "GET /");

	memset(in + n, 'a', 100 * 1024);
	n += 100 * 1024;
	n += sprintf(in + n, " HTTP/1.1\r\nHost: w\r\n\r\n");
	struct step st = { DATA, in, (size_t)n };
	HT_EQ(run_chunked(&st, 1, 1460), HTTP_END_CLOSE);
	OUT_IS(ERR("414", "URI Too Long", "17", CLOSE));
	/* The rest of the line was read and dropped while lingering. */
	HT_EQ(F.i, 1);
}

HT_TEST(error_431_many_headers)
{
	static char in[32 * 1024];
	int i, n = sprintf(in, "GET / HTTP/1.1\r\nHost: w\r\n");

	for (i = 0; i < 1000; i++)
		n += sprintf(in + n, "X-%d: %d\r\n", i, i);
	n += sprintf(in + n, "\r\n");
	struct step st = { DATA, in, (size_t)n };
	HT_EQ(run(&st, 1), HTTP_END_CLOSE);
	OUT_IS(ERR("431", "Request Header Fields Too Large", "36", CLOSE));

	/* One long header: the head outgrows the buffer limit. */
	n = sprintf(in, "GET / HTTP/1.1\r\nHost: w\r\nX: ");
	memset(in + n, 'v', 9000);
	n += 9000;
	n += sprintf(in + n, "\r\n\r\n");
	st.len = (size_t)n;
	HT_EQ(run_chunked(&st, 1, 100), HTTP_END_CLOSE);
	OUT_IS(ERR("431", "Request Header Fields Too Large", "36", CLOSE));
}

/* ---- Timeouts and failures ---- */

HT_TEST(header_timeout_gives_408)
{
	uint64_t before = http_stats.header_timeouts;

	HT_EQ(run(STEPS(S("GET / HTTP/1.1\r\nHo"), T)), HTTP_END_CLOSE);
	OUT_IS("HTTP/1.1 408 Request Timeout\r\nServer: weft\r\n"
	       "Date: Sun, 06 Nov 1994 08:49:47 GMT\r\n" /* 10 s later */
	       "Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Length: 20\r\n" CLOSE "408 Request Timeout\n");
	HT_EQ(http_stats.header_timeouts - before, 1);
	HT_EQ(F.shut, true);
}

HT_TEST(header_timeout_counts_from_the_first_byte)
{
	/* Idle after a request: the idle timeout; then the next request's
	 * head must come within header_timeout of its first byte. */
	HT_EQ(run(STEPS(S(GET("/hello.txt")), W(30 * SEC), S("GE"), T)),
	      HTTP_END_CLOSE);
	HT_EQ(fake_now, 40 * SEC);
	HT_EQ(out_count("HTTP/1.1 408 Request Timeout\r\n"), 1);
	/* The first request: from the accept, not from its first byte. */
	HT_EQ(run(STEPS(W(6 * SEC), S("GE"), T)), HTTP_END_CLOSE);
	HT_EQ(fake_now, 10 * SEC);
	HT_EQ(out_count("HTTP/1.1 408 Request Timeout\r\n"), 1);
	HT_EQ(run(STEPS(S(GET("/hello.txt")), T)), HTTP_END_CLOSE);
	HT_EQ(fake_now, 60 * SEC); /* idle_timeout */
	OUT_IS(HELLO_KA);	   /* and closed without a word */
	HT_EQ(F.shut, false);
}

HT_TEST(silent_connection_is_closed_quietly)
{
	HT_EQ(run(STEPS(T)), HTTP_END_CLOSE);
	HT_EQ(F.outlen, 0);
	HT_EQ(fake_now, 10 * SEC); /* header_timeout from accept */
}

HT_TEST(slow_body_gives_408)
{
	HT_EQ(run(STEPS(S("POST / HTTP/1.1\r\nHost: w\r\nContent-Length: 5\r\n"
			 "\r\nab"), T)),
	      HTTP_END_CLOSE);
	HT_EQ(out_count("HTTP/1.1 408 Request Timeout\r\n"), 1);
	HT_EQ(fake_now, 60 * SEC); /* idle_timeout per piece of body */
}

HT_TEST(reset_and_write_errors_abort)
{
	HT_EQ(run(STEPS(S(GET("/hello.txt")), { RESET, NULL, 0 })),
	      HTTP_END_ABORT);
	OUT_IS(HELLO_KA); /* flushed before the read that failed */

	setup();
	F.fail_writes = 1;
	script(STEPS(S(GET("/hello.txt"))));
	HT_EQ(http_serve_conn(&srv, &fake_io, &F), HTTP_END_ABORT);
}

HT_TEST(linger_drops_input_and_bounds_it)
{
	static char junk[1100 * 1024];

	HT_EQ(run(STEPS(S("GET / HTTP/1.0\r\n\r\nmore bytes the client sent"),
			S("and more"))),
	      HTTP_END_CLOSE);
	HT_EQ(F.i, 2);
	memset(junk, 'j', sizeof(junk));
	struct step st[2] = { { DATA, "BREW / HTTP/1.1\r\n\r\n", 19 },
			      { DATA, junk, sizeof(junk) } };
	HT_EQ(run(st, 2), HTTP_END_ABORT); /* more than a MiB: reset */
	HT_EQ(out_count("501 Not Implemented\n"), 1);
}

HT_TEST(large_file_is_written_from_the_table)
{
	HT_EQ(run(STEPS(S(GET("/big.bin")))), HTTP_END_CLOSE);
	HT_EQ(F.outlen, sizeof(RESP("200 OK")
			       "Content-Type: application/octet-stream\r\n"
			       "Content-Length: 40000\r\n" VAL("\"b1\"") KA) -
				1 + sizeof(big));
	HT_EQ(out_count("Content-Length: 40000\r\n"), 1);
	HT_CHECK(F.last_write >= (const void *)big &&
		 F.last_write < (const void *)(big + sizeof(big)));
	HT_EQ(memcmp(F.out + F.outlen - sizeof(big), big, sizeof(big)), 0);
}

/* ---- Connection limit ---- */

HT_TEST(over_max_conns_gets_503)
{
	uint64_t refused = http_stats.conns_refused;
	uint64_t open = http_stats.conns_open;

	setup(); /* max_conns = 2 */
	HT_CHECK(http_admit(&srv));
	HT_CHECK(http_admit(&srv));
	HT_CHECK(!http_admit(&srv));
	HT_EQ(http_stats.conns_open - open, 2);
	script(STEPS(S(GET("/"))));
	HT_EQ(http_refuse(&srv, &fake_io, &F), HTTP_END_CLOSE);
	OUT_IS(ERR("503", "Service Unavailable", "24", CLOSE));
	HT_EQ(F.shut, true);
	HT_EQ(http_stats.conns_refused - refused, 1);
	http_release(&srv);
	HT_CHECK(http_admit(&srv));
	http_release(&srv);
	http_release(&srv);
	HT_EQ(http_stats.conns_open, open);
}

/* ---- /metrics ---- */

/* The body of the single response in the output, checked against its
 * Content-Length. */
static const char *body_of_response(size_t *len)
{
	const char *cl = strstr(F.out, "Content-Length: ");
	const char *end = strstr(F.out, "\r\n\r\n");

	HT_CHECK(cl && end);
	*len = strtoul(cl + 16, NULL, 10);
	HT_EQ(F.outlen, (size_t)(end + 4 - F.out) + *len);
	return end + 4;
}

/* Every line is a comment (HELP/TYPE) or "name[{labels}] number". */
static void check_exposition(const char *b, size_t len)
{
	const char *p = b, *end = b + len;

	HT_CHECK(len > 0 && b[len - 1] == '\n');
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;

		HT_CHECK(nl);
		if (*p == '#') {
			HT_CHECK(strncmp(p, "# HELP weft_", 12) == 0 ||
				 strncmp(p, "# TYPE weft_", 12) == 0);
		} else {
			HT_CHECK(strncmp(p, "weft_", 5) == 0);
			while (q < nl && *q != ' ' && *q != '{')
				q++;
			if (*q == '{')
				q = memchr(q, '}', (size_t)(nl - q)) + 1;
			HT_CHECK(q && *q == ' ');
			for (q++; q < nl; q++)
				HT_CHECK((*q >= '0' && *q <= '9') || *q == '.');
		}
		p = nl + 1;
	}
}

HT_TEST(metrics_exposition)
{
	size_t len;
	const char *b;

	HT_EQ(run(STEPS(S(GET("/hello.txt")))), HTTP_END_CLOSE);
	setup();
	with_snapshot = true;
	script(STEPS(S(GET("/metrics?x"))));
	fake_now = 1500 * 1000000ull;
	HT_EQ(http_serve_conn(&srv, &fake_io, &F), HTTP_END_CLOSE);
	HT_EQ(out_count("Content-Type: text/plain; version=0.0.4; "
			"charset=utf-8\r\n"), 1);
	b = body_of_response(&len);
	check_exposition(b, len);
	HT_CHECK(strstr(b, "# TYPE weft_http_requests_total counter\n"));
	HT_CHECK(strstr(b, "weft_http_requests_total{code=\"200\"} "));
	HT_CHECK(strstr(b, "weft_http_requests_total{code=\"other\"} "));
	HT_CHECK(strstr(b, "# TYPE weft_http_connections_open gauge\n"));
	HT_CHECK(strstr(b, "weft_http_request_path_allocs_total "));
	HT_CHECK(strstr(b, "weft_uptime_seconds 1.500000000\n"));
	HT_CHECK(strstr(b, "# TYPE weft_http_request_duration_seconds histogram\n"));
	HT_CHECK(strstr(b, "weft_http_request_duration_seconds_bucket{le=\"0.00001\"} "));
	HT_CHECK(strstr(b, "weft_http_request_duration_seconds_bucket{le=\"0.0025\"} "));
	HT_CHECK(strstr(b, "weft_http_request_duration_seconds_bucket{le=\"2.5\"} "));
	HT_CHECK(strstr(b, "weft_http_request_duration_seconds_bucket{le=\"10\"} "));
	HT_CHECK(strstr(b, "weft_http_request_duration_seconds_bucket{le=\"+Inf\"} "));
	HT_CHECK(strstr(b, "weft_http_request_duration_seconds_sum "));
	HT_CHECK(strstr(b, "weft_http_request_duration_seconds_count "));
	HT_CHECK(strstr(b, "# TYPE weft_http_responses_total counter\n"));
	HT_CHECK(strstr(b, "weft_http_responses_total{class=\"2xx\"} "));
	HT_CHECK(strstr(b, "weft_http_responses_total{class=\"5xx\"} "));
	HT_CHECK(strstr(b, "weft_sched_switches_total{cpu=\"1\"} 22\n"));
	HT_CHECK(strstr(b, "weft_sched_idle_seconds_total{cpu=\"1\"} "
			   "1.500000000\n"));
	HT_CHECK(strstr(b, "weft_sched_busy_seconds_total{cpu=\"1\"} "
			   "0.250000000\n"));
	HT_CHECK(strstr(b, "weft_tasks_alive 7\n"));
	HT_CHECK(strstr(b, "weft_heap_inuse_bytes 4096\n"));
	HT_CHECK(strstr(b, "# TYPE weft_heap_floor_hits_total counter\n"));
	HT_CHECK(strstr(b, "weft_heap_floor_hits_total 9\n"));
	HT_CHECK(strstr(b, "weft_net_connections_open 3\n"));
	HT_CHECK(strstr(b, "weft_lwip_pool_capacity{pool=\"TCP_PCB\"} 12288\n"));
	HT_CHECK(strstr(b, "weft_lwip_pool_element_bytes{pool=\"TCP_PCB\"} 168\n"));
	HT_CHECK(!strstr(b, "weft_lwip_pool_size"));
	HT_CHECK(strstr(b, "weft_tls_handshakes_total 5\n"));
	HT_CHECK(strstr(b, "weft_tls_resumptions_total 2\n"));
	HT_CHECK(strstr(b, "# TYPE weft_tls_failures_total counter\n"));
	HT_CHECK(strstr(b, "weft_tls_failures_total{reason=\"version\"} 3\n"));

	/* Without the layers below: only the server's own families. */
	HT_EQ(run(STEPS(S(GET("/metrics")))), HTTP_END_CLOSE);
	b = body_of_response(&len);
	check_exposition(b, len);
	HT_CHECK(!strstr(b, "weft_tasks_alive"));
	HT_CHECK(!strstr(b, "weft_lwip_pool"));
	HT_CHECK(!strstr(b, "weft_tls_"));

	/* HEAD: the headers and a Content-Length, no body. */
	HT_EQ(run(STEPS(S("HEAD /metrics HTTP/1.1\r\nHost: w\r\n\r\n"))),
	      HTTP_END_CLOSE);
	HT_CHECK(strstr(F.out, "Content-Length: "));
	HT_CHECK(strtoul(strstr(F.out, "Content-Length: ") + 16, NULL, 10) >
		 1000);
	HT_EQ(F.outlen, (size_t)(strstr(F.out, "\r\n\r\n") + 4 - F.out));
}

/* ---- The static site's features: ranges, gzip, dates, caching ---- */

#define REQ(path, fields) "GET " path " HTTP/1.1\r\nHost: w\r\n" fields "\r\n"
#define HELLO_RANGE(range, len) RESP("206 Partial Content")                \
	"Content-Type: text/plain; charset=utf-8\r\nContent-Range: bytes "  \
	range "\r\nContent-Length: " len "\r\n" VAL("\"h1\"") KA

HT_TEST(range_gives_206_with_the_bytes)
{
	uint64_t before = responses(206);

	HT_EQ(run(STEPS(S(REQ("/hello.txt", "Range: bytes=1-3\r\n")
			  REQ("/hello.txt", "Range: bytes=-2\r\n")
			  REQ("/hello.txt", "Range: bytes=4-\r\n")
			  REQ("/hello.txt", "Range: bytes=0-999\r\n")))),
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_RANGE("1-3/6", "3") "ell"
	       HELLO_RANGE("4-5/6", "2") "o\n"
	       HELLO_RANGE("4-5/6", "2") "o\n"
	       HELLO_RANGE("0-5/6", "6") "hello\n");
	HT_EQ(responses(206) - before, 4);
}

HT_TEST(range_of_a_large_file_is_written_from_the_table)
{
	HT_EQ(run(STEPS(S(REQ("/big.bin", "Range: bytes=100-39999\r\n")))),
	      HTTP_END_CLOSE);
	HT_CHECK(strstr(F.out, "Content-Range: bytes 100-39999/40000\r\n"));
	HT_CHECK(strstr(F.out, "Content-Length: 39900\r\n"));
	HT_EQ(F.outlen, (size_t)(strstr(F.out, "\r\n\r\n") + 4 - F.out) + 39900);
}

HT_TEST(unsatisfiable_range_gives_416)
{
	uint64_t before = responses(416);

	HT_EQ(run(STEPS(S(REQ("/hello.txt", "Range: bytes=6-\r\n")
			  GET("/hello.txt")))),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("416 Range Not Satisfiable") "Content-Range: bytes */6\r\n"
	       "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 26\r\n"
	       KA "416 Range Not Satisfiable\n" HELLO_KA);
	HT_EQ(responses(416) - before, 1);
}

HT_TEST(ranges_that_do_not_apply_give_the_whole_file)
{
	/* Several ranges, another unit, HEAD, an If-Range that fails. */
	HT_EQ(run(STEPS(S(REQ("/hello.txt", "Range: bytes=0-0,2-2\r\n")
			  REQ("/hello.txt", "Range: lines=1-2\r\n")
			  REQ("/hello.txt", "Range: bytes=1-2\r\nIf-Range: \"zz\"\r\n")
			  REQ("/hello.txt", "Range: bytes=1-2\r\n"
					    "If-Range: Sun, 06 Nov 1994 08:49:36 GMT\r\n")))),
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_KA HELLO_KA HELLO_KA HELLO_KA);
	HT_EQ(run(STEPS(S("HEAD /hello.txt HTTP/1.1\r\nHost: w\r\n"
			  "Range: bytes=1-2\r\n\r\n"))), HTTP_END_CLOSE);
	OUT_IS(RESP("200 OK") HELLO_HDR KA);
	/* If-Range that holds, by tag and by date. */
	HT_EQ(run(STEPS(S(REQ("/hello.txt", "Range: bytes=1-3\r\nIf-Range: \"h1\"\r\n")
			  REQ("/hello.txt", "Range: bytes=1-3\r\n"
					    "If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n")))),
	      HTTP_END_CLOSE);
	OUT_IS(HELLO_RANGE("1-3/6", "3") "ell" HELLO_RANGE("1-3/6", "3") "ell");
}

#define PAGE_ID RESP("200 OK") HEADERS("\"p1\"", "text/html; charset=utf-8", \
	"26", VARY) KA "<p>page page page page</p>"
#define PAGE_GZ RESP("200 OK") HEADERS("\"p2\"", "text/html; charset=utf-8", \
	"4", GZ) KA "GZ1\n"

HT_TEST(gzip_variant_when_accepted)
{
	HT_EQ(run(STEPS(S(GET("/page.html")
			  REQ("/page.html", "Accept-Encoding: gzip, deflate\r\n")
			  REQ("/page.html", "accept-encoding: br, gzip;q=0\r\n")
			  REQ("/page.html", "Accept-Encoding: *\r\n")
			  REQ("/hello.txt", "Accept-Encoding: gzip\r\n")))),
	      HTTP_END_CLOSE);
	OUT_IS(PAGE_ID PAGE_GZ PAGE_ID PAGE_GZ HELLO_KA);
}

HT_TEST(gzip_variant_has_its_own_etag)
{
	HT_EQ(run(STEPS(S(REQ("/page.html", "Accept-Encoding: gzip\r\n"
					    "If-None-Match: \"p2\"\r\n")
			  REQ("/page.html", "If-None-Match: \"p2\"\r\n")
			  REQ("/page.html", "If-None-Match: \"p1\"\r\n")))),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("304 Not Modified") VARY VAL("\"p2\"") KA
	       PAGE_ID
	       RESP("304 Not Modified") VARY VAL("\"p1\"") KA);
}

HT_TEST(range_on_a_variant_file_is_on_its_own_bytes)
{
	HT_EQ(run(STEPS(S(REQ("/page.html", "Accept-Encoding: gzip\r\n"
					    "Range: bytes=3-6\r\n")))),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("206 Partial Content")
	       "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Range: bytes 3-6/26\r\nContent-Length: 4\r\n"
	       VARY VAL("\"p1\"") KA "page");
}

HT_TEST(if_modified_since)
{
	HT_EQ(run(STEPS(S(REQ("/hello.txt", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n")
			  REQ("/hello.txt", "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n")
			  REQ("/hello.txt", "If-Modified-Since: Sun Nov  6 08:49:38 1994\r\n")
			  REQ("/hello.txt", "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n")
			  REQ("/hello.txt", "If-Modified-Since: not a date\r\n")
			  /* If-None-Match wins over the date. */
			  REQ("/hello.txt", "If-None-Match: \"zz\"\r\n"
					    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n")))),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("304 Not Modified") VAL("\"h1\"") KA
	       RESP("304 Not Modified") VAL("\"h1\"") KA
	       RESP("304 Not Modified") VAL("\"h1\"") KA
	       HELLO_KA HELLO_KA HELLO_KA);
}

HT_TEST(preconditions_give_412)
{
	uint64_t before = responses(412);

	HT_EQ(run(STEPS(S(REQ("/hello.txt", "If-Match: \"zz\"\r\n")
			  REQ("/hello.txt", "If-Match: \"h1\"\r\n")
			  REQ("/hello.txt", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n")))),
	      HTTP_END_CLOSE);
	OUT_IS(ERR("412", "Precondition Failed", "24", KA) HELLO_KA
	       ERR("412", "Precondition Failed", "24", KA));
	HT_EQ(responses(412) - before, 2);
}

HT_TEST(page404_gzip_when_accepted)
{
	HT_EQ(run(STEPS(S(REQ("/nope", "Accept-Encoding: gzip\r\n")))),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("404 Not Found") "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Length: 4\r\n" GZ KA "GZ2\n");
}

HT_TEST(cache_control_setting)
{
	static_cache_control = "max-age=60, public";
	HT_EQ(run(STEPS(S(GET("/hello.txt")
			  REQ("/hello.txt", "If-None-Match: \"h1\"\r\n")
			  REQ("/hello.txt", "Range: bytes=0-0\r\n")
			  GET("/nope") GET("/healthz")))),
	      HTTP_END_CLOSE);
	static_cache_control = NULL;
#define CC "Cache-Control: max-age=60, public\r\n"
	OUT_IS(RESP("200 OK") HELLO_HDR CC KA "hello\n"
	       RESP("304 Not Modified") VAL("\"h1\"") CC KA
	       RESP("206 Partial Content")
	       "Content-Type: text/plain; charset=utf-8\r\nContent-Range: bytes "
	       "0-0/6\r\nContent-Length: 1\r\n" VAL("\"h1\"") CC KA "h"
	       RESP("404 Not Found") "Content-Type: text/html; charset=utf-8\r\n"
	       "Content-Length: 12\r\n" VARY KA "<p>gone</p>\n"
	       RESP("200 OK") "Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Length: 3\r\n" KA "ok\n");
#undef CC
}

/* ---- Pieces ---- */

HT_TEST(imf_fixdate)
{
	char d[HTTP_DATE_LEN + 1];

	http_date(d, 0);
	HT_STREQ(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date(d, 784111777);
	HT_STREQ(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date(d, 951782400);
	HT_STREQ(d, "Tue, 29 Feb 2000 00:00:00 GMT");
	http_date(d, 1709251199);
	HT_STREQ(d, "Thu, 29 Feb 2024 23:59:59 GMT");
	http_date(d, 4102444800u);
	HT_STREQ(d, "Fri, 01 Jan 2100 00:00:00 GMT");
}

HT_TEST(site_lookup)
{
	HT_CHECK(site_find("/hello.txt", 10) == &site_files[3]);
	HT_CHECK(site_find("/a/index.html", 13) == &site_files[1]);
	HT_CHECK(site_find("/index.html", 11) == &site_files[4]);
	HT_CHECK(site_find("/hello.tx", 9) == NULL);
	HT_CHECK(site_find("/hello.txtx", 11) == NULL);
	HT_CHECK(site_find("/", 1) == NULL);
	HT_CHECK(site_find("/zzz", 4) == NULL);
}

/* http_redirect=on: everything answered 301 to https://, the Host's port
 * replaced by the HTTPS port (left out when 443), path and query as sent. */
static void redirect_case(uint16_t port, const char *req, const char *want)
{
	static struct http_mux rmux;
	static uint16_t rport;
	static struct http_handler rh = { "redirect", httpd_redirect_serve,
					  &rport, 0, 0 };
	static bool routed;
	struct step st[] = { { DATA, req, strlen(req) } };

	if (!routed) {
		http_mux_init(&rmux);
		HT_EQ(http_handle(&rmux, "/", &rh), 0);
		routed = true;
	}
	setup();
	rport = port;
	srv.mux = &rmux;
	script(st, 1);
	http_serve_conn(&srv, &fake_io, &F);
	srv.mux = &mux;
	if (!want) {
		HT_CHECK(strncmp(F.out, "HTTP/1.1 400 ", 13) == 0);
		return;
	}
	HT_CHECK(strncmp(F.out, "HTTP/1.1 301 Moved Permanently\r\n", 32) == 0);
	char line[600];
	snprintf(line, sizeof line, "\r\nLocation: %s\r\n", want);
	if (!strstr(F.out, line))
		printf("got: %s\n", F.out);
	HT_CHECK(strstr(F.out, line));
}

HT_TEST(redirect_to_https)
{
	redirect_case(443, "GET /a/b%20c?x=1&y HTTP/1.1\r\nHost: example.org:8080\r\n\r\n",
		      "https://example.org/a/b%20c?x=1&y");
	redirect_case(8443, "HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n",
		      "https://localhost:8443/");
	redirect_case(8443, "GET /x HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
		      "https://[::1]:8443/x");
	redirect_case(443, "GET http://h.example/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
		      "https://h.example/p?q");
	/* No Host (HTTP/1.0), or one that is no name: 400. */
	redirect_case(443, "GET / HTTP/1.0\r\n\r\n", NULL);
	redirect_case(443, "GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n", NULL);
}
