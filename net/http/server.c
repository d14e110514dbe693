/*
 * net/http/server.c — one connection, from accept to close, in plain
 * blocking style: read, parse, hand to a handler, repeat.
 *
 * State: everything a connection needs is in struct http_conn
 * (server.h), on the serving task's stack: the input buffer, the output
 * buffer, the parser, the request and the response writer. Nothing is
 * allocated; a page of each buffer is mapped only once a request or
 * response reaches it (task stacks are demand paged), so a small request
 * costs a few pages, a big one more.
 *
 * Input: in[start..end) holds bytes received and not yet used. A request
 * head is parsed where it lies; the parser keeps offsets, so the bytes
 * can be moved (compacted to the front of the buffer) between reads. A
 * head must fit the buffer (HTTP_MAX_HEAD < HTTP_IN_SIZE, or 431). While
 * its handler runs, the head stays where it is (the request's strings
 * point into it) and the body is read into the room after it (floor);
 * a head that leaves too little room is moved to the front first, and
 * parsed again there, before the handler sees it.
 *
 * The loop, per request:
 *   1. next_head: parse from what is buffered; read more only when the
 *      head is incomplete. Buffered responses are flushed before any
 *      such read, so the client always has every answer it can wait for.
 *   2. The path is normalized (400 if it cannot be) and the mux picks a
 *      handler (404 without one, 301 for a prefix pattern named without
 *      its '/'). A Content-Length over max_body is 413 at once.
 *   3. The handler runs (http.h), then resp_finish ends its response.
 *   4. drain: what the handler left of the body is read and dropped,
 *      when the connection is to go on. If the body turns out bad
 *      (malformed, too large, too slow) while the handler's answer is
 *      still all in the output buffer, the answer is replaced by the
 *      error's; otherwise the connection closes after the answer.
 *      Pipelining falls out of this order: requests already buffered
 *      are answered one after the other, in order, into one buffer,
 *      written together.
 *   5. keep-alive (HTTP/1.1 by default, 1.0 only when asked) and under
 *      max_requests: go on with the bytes after the body. Else close.
 *
 * Deadlines (limits): a request's head must arrive within header_timeout
 * of its first byte (of the accept, for the first request) or the answer
 * is 408; between requests a connection may sit idle for idle_timeout,
 * then it is closed without a word (RFC 9112 9.5); each piece of a body
 * must come within idle_timeout (408); each write within write_timeout,
 * else the connection is reset.
 *
 * Closing: an answer with "Connection: close" is followed by a lingering
 * close (linger_close): FIN, then read and drop until the client closes
 * or linger passes. A plain close with unread bytes queued would make TCP
 * answer with a reset, which can destroy the response before the client
 * has read it (a pipelining client, or one whose request we refused
 * before reading its end).
 *
 * Allocation count: from the end of a head to its answer being queued
 * (the handler and the drain), the heap allocation counter
 * (http_sys.alloc_count, kernel-wide) is read before and after; the
 * difference goes to the handler's allocs and to request_allocs. The wait
 * for the next request is left out, so other tasks' allocations while a
 * connection is idle do not count; those made on other CPUs during the
 * answer do (an upper bound: zero proves the request path allocates
 * nothing).
 *
 * Rejected: a pool of per-connection buffers (would be sized for the
 * worst case at boot, or allocated on demand); writing each response at
 * once (one segment per pipelined request instead of one per batch).
 */
#include <errno.h>
#include <string.h>
#include "net/http/latency.h"
#include "net/http/server.h"

#define LINGER_MAX_BYTES (1024 * 1024) /* dropped while lingering */
#define BODY_ROOM 4096 /* input room after a head that a handler gets */

_Static_assert(HTTP_IN_SIZE > HTTP_MAX_HEAD,
	       "a request head (and the byte that proves it too long) fits");
_Static_assert(HTTP_IN_SIZE - HTTP_MAX_HEAD >= BODY_ROOM,
	       "a head at the front leaves BODY_ROOM for the body");

#define HTTP_ERR_408 (-408)

/* How reading a request ends, besides HTTP_DONE and a -status. */
enum {
	END_EOF = -1001,	/* the client closed its side */
	END_IDLE = -1002,	/* no request began within the timeout */
	END_IO = -1003,		/* the connection failed: reset */
};

const struct http_limits http_default_limits = {
	.max_conns = 1024,
	.max_requests = 1000,
	.max_body = 1 << 20,
	.header_timeout = 10000000000ull,
	.idle_timeout = 60000000000ull,
	.write_timeout = 10000000000ull,
	.linger = 2000000000ull,
};

void http_server_init(struct http_server *srv, struct http_mux *mux)
{
	memset(srv, 0, sizeof(*srv));
	srv->mux = mux;
	srv->limits = http_default_limits;
}

static uint64_t now(void)
{
	return http_sys.now();
}

static uint64_t allocs(void)
{
	return http_sys.alloc_count ? http_sys.alloc_count() : 0;
}

ssize_t conn_read_more(struct http_conn *c, uint64_t deadline)
{
	ssize_t n;

	if (c->start > c->floor) {
		memmove(c->in + c->floor, c->in + c->start, c->end - c->start);
		if (c->pend_len)
			http_bug("conn_read_more: pending body data");
		c->end -= c->start - c->floor;
		c->start = c->floor;
	}
	if (c->end == HTTP_IN_SIZE) /* a read of 0 bytes would look like EOF */
		http_bug("conn_read_more: input buffer full");
	c->io->set_read_deadline(c->c, deadline);
	n = c->io->read(c->c, c->in + c->end, HTTP_IN_SIZE - c->end);
	if (n > 0) {
		c->end += (uint32_t)n;
		http_stat_add(&http_stats.bytes_in, (uint64_t)n);
	}
	return n;
}

/*
 * Parse the next request head, reading as needed. Returns HTTP_DONE (the
 * head is in[start..start+head_len)), a negative status to answer before
 * closing, or END_*.
 */
static int next_head(struct http_conn *c)
{
	const struct http_limits *l = &c->srv->limits;
	bool first = c->served == 0;
	uint64_t deadline;
	size_t used;
	ssize_t n;
	int rc;

	c->floor = 0;
	http_parser_init(&c->p, &c->r);
	if (first || c->end > c->start)
		deadline = now() + l->header_timeout;
	else
		deadline = now() + l->idle_timeout;
	for (;;) {
		bool begun = c->end > c->start;

		if (begun) {
			rc = http_parse(&c->p, &c->r, c->in + c->start,
					c->end - c->start, &used);
			if (rc == HTTP_EINVAL)
				http_bug("next_head: http_parse misused");
			if (rc == HTTP_DONE)
				c->head_len = (uint32_t)used;
			if (rc != HTTP_AGAIN)
				return rc;
		}
		if (out_flush(&c->out) < 0)
			return END_IO;
		n = conn_read_more(c, deadline);
		if (n == -ETIMEDOUT && begun) {
			http_stat_add(&http_stats.header_timeouts, 1);
			return HTTP_ERR_408;
		}
		if (n == -ETIMEDOUT)
			return END_IDLE;
		if (n == 0)
			return END_EOF;
		if (n < 0)
			return END_IO;
		if (!begun && !first) /* the request's first byte */
			deadline = now() + l->header_timeout;
	}
}

/* Give the head room for its body: move it to the front (and parse it
 * again there: the parser's pointers are set from where it lay) if it
 * ends too near the buffer's end. */
static void make_room(struct http_conn *c)
{
	size_t used;

	if (HTTP_IN_SIZE - (c->start + c->head_len) >= BODY_ROOM ||
	    c->start == 0)
		return;
	memmove(c->in, c->in + c->start, c->end - c->start);
	c->end -= c->start;
	c->start = 0;
	http_parser_init(&c->p, &c->r);
	if (http_parse(&c->p, &c->r, c->in, c->end, &used) != HTTP_DONE ||
	    used != c->head_len)
		http_bug("make_room: the head parsed differently");
}

static struct http_str str(struct http_span s)
{
	return (struct http_str){ s.ptr, s.len };
}

/* The request as the handler sees it; 0, or a status to answer. */
static int make_request(struct http_conn *c)
{
	const struct http_req *r = &c->r;
	struct http_request *q = &c->req;
	int n;

	q->method = r->method;
	q->version = r->version;
	q->method_name = str(r->method_name);
	q->raw_path = str(r->path);
	q->query = str(r->query);
	q->host = str(r->host);
	q->content_length = r->body == HTTP_BODY_LENGTH
				    ? (int64_t)r->content_length
				    : r->body == HTTP_BODY_CHUNKED ? -1 : 0;
	q->head = r;
	q->conn = c;
	if (r->path.len == 1 && r->path.ptr[0] == '*') {
		memcpy(c->path, "*", 2);
		q->path = (struct http_str){ c->path, 1 };
		return 0;
	}
	/* Leave room for a handler to append "index.html" and a '/'. */
	n = http_path_normalize(r->path.ptr, r->path.len, c->path,
				sizeof(c->path) - 12);
	if (n < 0)
		return -n;
	q->path = (struct http_str){ c->path, (size_t)n };
	return 0;
}

/* Read and drop the rest of the body. */
static void drain(struct http_conn *c)
{
	while (body_read(c, NULL, HTTP_IN_SIZE) > 0)
		;
}

/* 301 to the path with a '/' added (a directory's name without it). Not
   inlined: its 6 KiB buffer would sit in every connection task's frame,
   below the connection's state, and push the handler's frames a page
   further down each task's stack (stack pages are mapped as touched). */
static __attribute__((noinline)) void redirect_slash(struct http_conn *c)
{
	char loc[3 * HTTP_PATH_MAX + 2];
	int n = http_escape_path(c->req.path.ptr, c->req.path.len, loc, sizeof(loc) - 1);

	if (n > 0) {
		memcpy(loc + n, "/", 2);
		http_header_set(&c->w, "Location", loc);
	}
	http_error(&c->w, 301, NULL);
}

/* The handler for the request, or NULL when the library answered it
 * already (400, 404, 301, 413). */
static struct http_handler *pick(struct http_conn *c)
{
	struct http_handler *h;
	bool redirect;
	int st;

	if (c->body_state < 0) {
		/* A Content-Length over max_body: known before any handler */
		c->w.close = true;
		http_error(&c->w, -c->body_state, NULL);
		return NULL;
	}
	st = make_request(c);
	if (st) {
		c->w.close = true;
		http_error(&c->w, st, NULL);
		return NULL;
	}
	if (c->req.path.ptr[0] == '*')
		return http_mux_match(c->srv->mux, "/", 1, NULL);
	h = http_mux_match(c->srv->mux, c->req.path.ptr, c->req.path.len,
			   &redirect);
	if (!h && redirect) {
		redirect_slash(c);
	} else if (!h) {
		http_error(&c->w, 404, NULL);
	}
	return h;
}

static void route(struct http_conn *c)
{
	struct http_handler *h;
	uint64_t a0, n;

	a0 = allocs();
	h = pick(c);
	if (h)
		h->serve(&c->w, &c->req, h->arg);
	resp_finish(c);
	if (c->r.body != HTTP_BODY_NONE && resp_keep(c) && !c->w.close)
		drain(c);
	/* A body the handler never saw fail: its error is the answer, if
	   the handler's can still be taken back. */
	if (c->body_state <= -400 && !c->body_err_seen)
		resp_replace(c, -c->body_state);
	if (c->body_state < 0)
		c->w.close = true;
	n = allocs() - a0;
	if (h) {
		http_stat_add(&h->requests, 1);
		http_stat_add(&h->allocs, n);
	}
	http_stat_add(&http_stats.request_allocs, n);
}

/* Tell the server's log hook of the answer queued at t1 (started at t0,
 * both http_sys.now()). */
static void log_answer(struct http_conn *c, uint64_t t0, uint64_t t1)
{
	c->srv->log(&(struct http_access){
			    .r = &c->req,
			    .status = c->w.status,
			    .bytes = c->w.no_body ? 0 : c->w.written,
			    .unix_ns = http_sys.epoch_ns + t0,
			    .duration_ns = t1 - t0,
		    },
		    c->srv->log_arg);
}

/* The request for the log of an answer to a head that could not be
 * parsed: nothing of it is trusted. */
static void log_unparsed(struct http_conn *c)
{
	uint64_t t = now();

	c->req = (struct http_request){ .conn = c };
	log_answer(c, t, t);
}

/*
 * Answer the request whose head was just parsed. Returns 1 when the
 * connection goes on, 0 when it must close after the answer, or END_*.
 */
static int answer(struct http_conn *c)
{
	uint64_t t0, t1;
	int rc;

	c->served++;
	make_room(c);
	c->head_start = c->start;
	c->start += c->head_len;
	c->floor = c->start;
	c->pend_len = 0;
	c->body_err_seen = c->continue_sent = c->read_failed = false;
	rc = http_body_init(&c->body, &c->r, c->srv->limits.max_body);
	/* No body: read to its end already (body_read would only find
	   that out, for drain() after every GET). */
	c->body_state = rc < 0 ? rc : c->r.body == HTTP_BODY_NONE ? HTTP_DONE : 0;
	resp_init(c);
	if (c->srv->log)
		/* pick() may answer before make_request fills it (413) */
		c->req = (struct http_request){ .conn = c };
	t0 = now();
	route(c);
	t1 = now();
	http_latency_observe(http_sys.cpu ? http_sys.cpu() : 0, t1 - t0);
	if (c->srv->log)
		log_answer(c, t0, t1);
	c->floor = 0;
	if (c->read_failed)
		return END_IO;
	if (c->body_state == -ECONNRESET)
		return END_EOF; /* the client closed within its body */
	return resp_keep(c) && !c->w.close;
}

/*
 * Lingering close: FIN, then read and drop until the client closes, the
 * linger time passes (close anyway) or it sends too much (reset). buf is
 * scratch for the dropped bytes.
 */
static enum http_end linger_close(const struct http_limits *l,
				  const struct http_io *io, void *c,
				  char *buf, size_t len)
{
	uint64_t total = 0;
	ssize_t n;

	if (io->shutdown_write(c) < 0)
		return HTTP_END_ABORT;
	io->set_read_deadline(c, now() + l->linger);
	for (;;) {
		n = io->read(c, buf, len);
		if (n == 0 || n == -ETIMEDOUT)
			return HTTP_END_CLOSE;
		if (n < 0)
			return HTTP_END_ABORT;
		http_stat_add(&http_stats.bytes_in, (uint64_t)n);
		total += (uint64_t)n;
		if (total > LINGER_MAX_BYTES)
			return HTTP_END_ABORT;
	}
}

/* Write what is buffered, then close: lingering after an answer that
 * said "Connection: close", plainly otherwise. */
static enum http_end finish(struct http_conn *c, bool linger)
{
	if (out_flush(&c->out) < 0)
		return HTTP_END_ABORT;
	if (!linger)
		return HTTP_END_CLOSE;
	return linger_close(&c->srv->limits, c->io, c->c, c->in,
			    sizeof(c->in));
}

static enum http_end serve(struct http_conn *c)
{
	int rc;

	for (;;) {
		rc = next_head(c);
		if (rc == END_EOF || rc == END_IDLE)
			return finish(c, false);
		if (rc == END_IO)
			return HTTP_END_ABORT;
		if (rc < 0) { /* malformed, too large, or too slow: say so */
			resp_init(c);
			c->w.no_body = c->r.method == HTTP_HEAD;
			c->w.close = true;
			http_error(&c->w, -rc, NULL);
			if (c->srv->log)
				log_unparsed(c);
			return finish(c, true);
		}
		rc = answer(c);
		if (rc == END_IO || c->out.err)
			return HTTP_END_ABORT;
		if (rc == END_EOF)
			return finish(c, false);
		if (!rc)
			return finish(c, true);
	}
}

enum http_end http_serve_conn(const struct http_server *srv,
			      const struct http_io *io, void *conn)
{
	struct http_conn c; /* not cleared as a whole: its buffers stay
			       untouched (unmapped) until used */
	enum http_end end;

	c.srv = srv;
	c.io = io;
	c.c = conn;
	c.start = c.end = c.floor = 0;
	c.head_len = c.head_start = 0;
	c.served = 0;
	c.pend_len = c.pend_off = 0;
	c.body_state = 0;
	out_init(&c.out, io, conn, c.obuf, sizeof(c.obuf),
		 srv->limits.write_timeout);
	end = serve(&c);
	if (end == HTTP_END_ABORT)
		http_stat_add(&http_stats.conns_aborted, 1);
	return end;
}

bool http_admit(struct http_server *srv)
{
	uint64_t open = __atomic_add_fetch(&srv->conns_open, 1,
					   __ATOMIC_RELAXED);

	if (open > srv->limits.max_conns) {
		http_stat_sub(&srv->conns_open, 1);
		return false;
	}
	http_stat_add(&http_stats.conns_open, 1);
	http_stat_add(&http_stats.conns_accepted, 1);
	return true;
}

void http_release(struct http_server *srv)
{
	http_stat_sub(&srv->conns_open, 1);
	http_stat_sub(&http_stats.conns_open, 1);
}

enum http_end http_refuse(const struct http_server *srv,
			  const struct http_io *io, void *conn)
{
	static const char body[] = "503 Service Unavailable\n";
	char buf[512];
	struct out o;

	http_stat_add(&http_stats.conns_refused, 1);
	http_stats_response(503);
	out_init(&o, io, conn, buf, sizeof(buf), srv->limits.write_timeout);
	resp_start(&o, 503);
	out_str(&o, "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Length: ");
	out_u64(&o, sizeof(body) - 1);
	out_str(&o, "\r\n");
	resp_end(&o, false);
	out_str(&o, body);
	if (out_flush(&o) < 0 ||
	    linger_close(&srv->limits, io, conn, buf, sizeof(buf)) ==
		    HTTP_END_ABORT) {
		http_stat_add(&http_stats.conns_aborted, 1);
		return HTTP_END_ABORT;
	}
	return HTTP_END_CLOSE;
}
