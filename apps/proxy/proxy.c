/*
 * apps/proxy/proxy.c — app=proxy: a reverse proxy and load balancer on the
 * HTTP library's handler API (net/http/http.h) and its client
 * (net/http/client.h).
 *
 *	app=proxy proxy_upstreams=10.0.2.2:8081,10.0.2.2:8082
 *
 * One handler, "/", forwards every request to the next upstream in round
 * robin order among those up, over a keep-alive pool of connections per
 * upstream (proxy_keepalive= idle connections each, as nginx's
 * `keepalive`). Both bodies stream: the request body goes to the
 * upstream as it arrives (the client's writer task, client.h), chunked
 * when the client gave no length; the response body goes back as it
 * arrives, with the upstream's Content-Length, or chunked when it had
 * none. Nothing is buffered whole: each direction holds one 16 KiB
 * buffer.
 *
 * Fields: hop-by-hop ones are dropped both ways and X-Forwarded-For and
 * Via are written (apps/proxy/forward.h); the client's Host goes to the
 * upstream unchanged (Go's httputil.ReverseProxy).
 *
 * Failures, as nginx answers them: no upstream up, a failed connect, a
 * reset or a malformed answer: 502; a connect or an answer slower than
 * proxy_timeout_ms= (nginx's proxy_connect/read/send_timeout in one):
 * 504. A failed connect marks the upstream down at once (nginx's passive
 * max_fails=1) and the request, of which nothing was sent, is tried once
 * on the next upstream up (nginx's proxy_next_upstream error). A body that
 * fails after the head went out ends the client's connection with a
 * reset, so the client sees a cut answer, never a short one that looks
 * whole.
 *
 * Health checks (upstream.c): a task per upstream GETs
 * proxy_health_path= every proxy_health_interval_ms=; a 2xx or 3xx
 * answer marks it up, anything else (or nothing) down. Changes are logged
 * on the console: "proxy: upstream 10.0.2.2:8081 down (...)".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "apps/proxy/forward.h"
#include "apps/proxy/upstream.h"
#include "net/addr.h"
#include "net/http/client.h"
#include "net/http/http.h"
#include "runtime/app.h"
#include "runtime/runtime.h"

CMDLINE_KEY(key_port, "port", "TCP port of the app");
CMDLINE_KEY(key_timeout, "proxy_timeout_ms", "proxy: connect, send and read timeout toward upstreams (then 504)");
CMDLINE_KEY(key_keepalive, "proxy_keepalive", "proxy: idle keep-alive connections kept per upstream");
CMDLINE_KEY(key_max_body, "proxy_max_body", "proxy: request body bytes accepted (413 past it; 0: no limit)");

#define BODY_BUF 16384
#define FIELDS_BUF (HTTP_MAX_HEAD + 512)

static struct httpc client;
static uint64_t timeout_ns;

/* The request body, as the client's writer task reads it. The first
   piece is read in the handler's own task before the exchange starts
   (that read sends "100 Continue" when the client asked for it), so the
   library's response state is touched by one task only. */
struct body_src {
	struct http_request *r;
	char first[1024];
	size_t first_len, first_off;
	bool first_done;		/* the first read was the body's end */
};

static ssize_t body_read(void *arg, void *buf, size_t len)
{
	struct body_src *b = arg;
	if (b->first_off < b->first_len) {
		size_t n = b->first_len - b->first_off;
		if (n > len)
			n = len;
		memcpy(buf, b->first + b->first_off, n);
		b->first_off += n;
		return (ssize_t)n;
	}
	if (b->first_done)
		return 0;
	return http_request_read(b->r, buf, len);
}

static bool is_http_status(int e)
{
	return e <= -400 && e >= -599;
}

/* The request's fields as forward.h takes them. */
static size_t request_fields(const struct http_request *r, struct fwd_field *f, size_t max)
{
	const struct http_req *h = r->head;
	size_t n = 0;
	for (unsigned i = 0; i < h->nheaders && n < max; i++, n++)
		f[n] = (struct fwd_field){ h->headers[i].name.ptr, h->headers[i].name.len,
					   h->headers[i].value.ptr, h->headers[i].value.len };
	return n;
}

static void reply_error(struct http_response *w, int status, const char *why)
{
	if (!http_response_committed(w))
		http_error(w, status, why);
	else
		http_abort(w);
}

/* The upstream's answer back to the client: status, fields, body. */
static void relay(struct http_response *w, struct http_request *r, struct httpc_response *up,
		  const struct upstream *u)
{
	const struct httpc_head *h = &up->head;
	struct fwd_field f[HTTPC_MAX_HEADERS];
	for (unsigned i = 0; i < h->nheaders; i++)
		f[i] = (struct fwd_field){ h->headers[i].name.ptr, h->headers[i].name.len,
					   h->headers[i].value.ptr, h->headers[i].value.len };
	char lines[FIELDS_BUF];
	long n = fwd_render(f, h->nheaders, false, NULL, lines, sizeof lines);
	if (n < 0 || http_header_lines(w, lines, (size_t)n) < 0) {
		http_error(w, 502, "upstream's header fields too large\n");
		return;
	}
	if (h->framing == HTTPC_BODY_LENGTH ||
	    (h->framing == HTTPC_BODY_NONE && (r->method == HTTP_HEAD || h->content_length)))
		http_set_content_length(w, h->content_length);
	else if (h->framing == HTTPC_BODY_NONE && h->status != 204 && h->status != 304)
		http_set_content_length(w, 0);
	if (http_write_header(w, h->status) < 0)
		return;
	char buf[BODY_BUF];
	for (;;) {
		ssize_t got = httpc_read(up, buf, sizeof buf);
		if (got == 0)
			break;
		if (got < 0) {
			upstream_note_error(u, (int)got);
			http_abort(w);		/* the client must see a cut body */
			return;
		}
		if (http_write(w, buf, (size_t)got) < 0)
			return;			/* the client went away */
	}
}

static void proxy_serve(struct http_response *w, struct http_request *r, void *arg)
{
	(void)arg;
	/* The target, as the client sent it. */
	char target[HTTP_MAX_URI + 2];
	int tl = snprintf(target, sizeof target, "%.*s%s%.*s", (int)r->raw_path.len,
			  r->raw_path.ptr, r->query.len ? "?" : "", (int)r->query.len, r->query.ptr);
	if (tl < 0 || (size_t)tl >= sizeof target || r->raw_path.len == 0) {
		http_error(w, 400, "bad request target\n");
		return;
	}
	char host[512];
	snprintf(host, sizeof host, "%.*s", (int)r->host.len, r->host.ptr);

	struct net_addr peer;
	char ip[NET_ADDR_STRLEN] = "unknown";
	if (http_request_peer(r, &peer) == 0)
		net_ip_format(&peer, ip, sizeof ip);
	struct fwd_field f[HTTP_MAX_HEADERS];
	size_t nf = request_fields(r, f, HTTP_MAX_HEADERS);
	char lines[FIELDS_BUF];
	long ln = fwd_render(f, nf, true, ip, lines, sizeof lines);
	if (ln < 0) {
		http_error(w, 431, NULL);
		return;
	}

	char method[16];
	snprintf(method, sizeof method, "%.*s", (int)r->method_name.len, r->method_name.ptr);
	struct body_src src = { .r = r };
	bool has_body = r->content_length != 0;
	if (has_body) {
		ssize_t n = http_request_read(r, src.first, sizeof src.first);
		if (n < 0) {
			http_error(w, is_http_status((int)n) ? (int)-n : 400, NULL);
			return;
		}
		src.first_len = (size_t)n;
		src.first_done = n == 0;
	}
	struct httpc_request rq = {
		.method = method,
		.target = target,
		.host = r->host.len ? host : NULL,
		.headers = lines,
		.headers_len = (size_t)ln,
		.timeout = timeout_ns,
	};
	bool body_error = false;
	if (has_body) {
		rq.body_read = body_read;
		rq.body_arg = &src;
		rq.body_len = r->content_length;	/* -1: chunked */
		rq.body_error = &body_error;
	}
	struct httpc_response up;
	for (int tries = 0;; tries++) {
		struct upstream *u = upstream_next();
		if (!u) {
			http_error(w, 502, "no upstream is up\n");
			return;
		}
		rq.addr = u->addr;
		int rc = httpc_do(&client, &rq, &up);
		if (rc == 0) {
			relay(w, r, &up, u);
			httpc_response_close(&up);
			return;
		}
		if (body_error) {
			/* The client's body failed: its fault, not the upstream's. */
			reply_error(w, is_http_status(rc) ? -rc : 400, NULL);
			return;
		}
		bool dial_failed = rc == -ECONNREFUSED || rc == -EHOSTUNREACH ||
				   rc == -ENETUNREACH || rc == -ENOENT;
		upstream_note_error(u, rc);
		if (dial_failed) {
			/* Nothing was sent (the body's first piece is kept):
			   any request may go to the next upstream. */
			upstream_mark_down(u, rc);
			src.first_off = 0;
			if (tries == 0)
				continue;
		}
		reply_error(w, rc == -ETIMEDOUT ? 504 : 502,
			    rc == -ETIMEDOUT ? "upstream timed out\n" : "upstream failed\n");
		return;
	}
}

static struct http_handler proxy_h = { "proxy", proxy_serve, NULL, 0, 0 };
static struct http_mux mux;
static struct http_server srv;

static void proxy_main(void)
{
	uint16_t port = (uint16_t)kcmdline_u64(&key_port, 80, 1, 65535);
	timeout_ns = ms(kcmdline_u64(&key_timeout, 60000, 1, 3600000));
	httpc_init(&client);
	client.max_idle_per_host = (unsigned)kcmdline_u64(&key_keepalive, 32, 0, 4096);
	client.max_idle = client.max_idle_per_host * UPSTREAM_MAX;
	client.dial_timeout = timeout_ns;
	if (upstream_init(timeout_ns) <= 0) {
		printf("proxy: no upstreams: give proxy_upstreams=ADDR:PORT,...\n");
		return;
	}
	http_mux_init(&mux);
	http_handle(&mux, "/", &proxy_h);
	http_server_init(&srv, &mux);
	srv.limits.max_body = kcmdline_u64(&key_max_body, 0, 0, UINT64_MAX);
	if (srv.limits.max_body == 0)
		srv.limits.max_body = UINT64_MAX;	/* streamed: no reason to cap */
	printf("proxy: port=%u proxy_timeout_ms=%llu proxy_keepalive=%u\n", port,
	       (unsigned long long)(timeout_ns / 1000000), client.max_idle_per_host);
	int r = http_listen_and_serve(&srv, port);
	printf("proxy: cannot listen on port %u: %d\n", port, r);
}
APP("proxy", proxy_main);
