/*
 * apps/httpd/server.c — one connection, from accept to close, in plain
 * blocking style: read, parse, answer, repeat.
 *
 * State: everything a connection needs is in struct session, on the
 * serving task's stack: the input buffer, the output buffer, the parser
 * and the request. Nothing is allocated; a page of each buffer is mapped
 * only once a request or response reaches it (task stacks are demand
 * paged), so a small request costs a few pages, a big one more.
 *
 * Input: in[start..end) holds bytes received and not yet used. A request
 * head is parsed where it lies; the parser keeps offsets, so the bytes
 * can be moved (compacted to the front of the buffer) between reads. A
 * head must fit the buffer (HTTP_MAX_HEAD < HTTPD_IN_SIZE, or 431), so a
 * read always has room after compaction.
 *
 * The loop, per request:
 *   1. next_head: parse from what is buffered; read more only when the
 *      head is incomplete. Buffered responses are flushed before any
 *      read, so the client always has every answer it can wait for.
 *   2. reply_route decides the answer from the head (reply.h).
 *   3. skip_body reads and drops the body (Content-Length or chunked),
 *      413 past max_body. The head is dead by then, so the body may reuse
 *      the whole buffer.
 *   4. reply_send appends the answer to the output buffer. Pipelining
 *      falls out of this order: requests already buffered are answered
 *      one after the other, in order, into one buffer, written together.
 *   5. keep-alive (HTTP/1.1 by default, 1.0 only when asked) and under
 *      max_requests: go on with the bytes after the body. Else close.
 *
 * Deadlines (httpd_limits): a request's head must arrive within
 * header_timeout of its first byte (of the accept, for the first request)
 * or the answer is 408; between requests a connection may sit idle for
 * idle_timeout, then it is closed without a word (RFC 9112 9.5); each
 * piece of a body must come within idle_timeout (408); each write within
 * write_timeout, else the connection is reset.
 *
 * Closing: an answer with "Connection: close" is followed by a lingering
 * close (linger_close): FIN, then read and drop until the client closes
 * or linger passes. A plain close with unread bytes queued would make TCP
 * answer with a reset, which can destroy the response before the client
 * has read it (a pipelining client, or one whose request we refused
 * before reading its end).
 *
 * Allocation count: from the end of a head to its answer being queued,
 * the heap allocation counter (httpd_sys.alloc_count, kernel-wide) is
 * read before and after; the difference goes to request_allocs. The wait
 * for the next request is left out, so other tasks' allocations while a
 * connection is idle do not count; those made on other CPUs during the
 * answer do (an upper bound: zero proves the request path allocates
 * nothing).
 *
 * Rejected: a pool of per-connection buffers (would be sized for the
 * worst case at boot, or allocated on demand); writing each response at
 * once (one segment per pipelined request instead of one per batch).
 */
#include "apps/httpd/httpd.h"

#include <errno.h>
#include <string.h>
#include "net/http/parse.h"
#include "apps/httpd/metrics.h"
#include "apps/httpd/reply.h"
#include "apps/httpd/response.h"

#define HTTPD_IN_SIZE (16 * 1024)
#define HTTPD_OUT_SIZE (16 * 1024)
#define LINGER_MAX_BYTES (1024 * 1024) /* dropped while lingering */

_Static_assert(HTTPD_IN_SIZE > HTTP_MAX_HEAD,
	       "a request head (and the byte that proves it too long) fits");

#define HTTPD_ERR_408 (-408)

/* How reading a request ends, besides HTTP_DONE and a -status. */
enum {
	END_EOF = -1001,	/* the client closed its side */
	END_IDLE = -1002,	/* no request began within the timeout */
	END_IO = -1003,		/* the connection failed: reset */
};

struct httpd_limits httpd_limits;
struct httpd_sys httpd_sys;

struct session {
	const struct httpd_io *io;
	void *c;
	uint32_t start, end;	/* unused input: in[start..end) */
	uint32_t head_len;	/* of the request being answered */
	uint32_t served;	/* requests answered on this connection */
	struct out out;
	struct http_parser p;
	struct http_req r;
	struct reply rp;
	char path[REPLY_PATH_MAX];	/* the request's normalized path */
	char in[HTTPD_IN_SIZE];
	char obuf[HTTPD_OUT_SIZE];
};

static uint64_t now(void)
{
	return httpd_sys.now();
}

static uint64_t allocs(void)
{
	return httpd_sys.alloc_count ? httpd_sys.alloc_count() : 0;
}

/*
 * Read more input after in[end), waiting until deadline. Buffered
 * responses are written first. Moves the unused input to the front of
 * the buffer. Returns bytes read (> 0), 0 at end of stream, or a negative
 * errno.
 */
static ssize_t read_more(struct session *s, uint64_t deadline)
{
	ssize_t n;

	if (out_flush(&s->out) < 0)
		return s->out.err;
	if (s->start > 0) {
		memmove(s->in, s->in + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	if (s->end == HTTPD_IN_SIZE) /* a read of 0 bytes would look like EOF */
		httpd_bug("read_more: input buffer full");
	s->io->set_read_deadline(s->c, deadline);
	n = s->io->read(s->c, s->in + s->end, HTTPD_IN_SIZE - s->end);
	if (n > 0) {
		s->end += (uint32_t)n;
		metrics_add(&httpd_counters.bytes_in, (uint64_t)n);
	}
	return n;
}

/*
 * Parse the next request head, reading as needed. Returns HTTP_DONE (the
 * head is in[start..start+head_len)), a negative status to answer before
 * closing, or END_*.
 */
static int next_head(struct session *s)
{
	bool first = s->served == 0;
	uint64_t deadline;
	size_t used;
	ssize_t n;
	int rc;

	http_parser_init(&s->p, &s->r);
	if (first || s->end > s->start)
		deadline = now() + httpd_limits.header_timeout;
	else
		deadline = now() + httpd_limits.idle_timeout;
	for (;;) {
		bool begun = s->end > s->start;

		if (begun) {
			rc = http_parse(&s->p, &s->r, s->in + s->start,
					s->end - s->start, &used);
			if (rc == HTTP_EINVAL)
				httpd_bug("next_head: http_parse misused");
			if (rc == HTTP_DONE)
				s->head_len = (uint32_t)used;
			if (rc != HTTP_AGAIN)
				return rc;
		}
		n = read_more(s, deadline);
		if (n == -ETIMEDOUT && begun) {
			metrics_add(&httpd_counters.header_timeouts, 1);
			return HTTPD_ERR_408;
		}
		if (n == -ETIMEDOUT)
			return END_IDLE;
		if (n == 0)
			return END_EOF;
		if (n < 0)
			return END_IO;
		if (!begun && !first) /* the request's first byte */
			deadline = now() + httpd_limits.header_timeout;
	}
}

/*
 * Step past the request's head and its body. The body is read and
 * dropped when `read`; otherwise (the connection will close) only its
 * size is checked. Returns 0, a negative status (413, 400, 408), or END_*.
 */
static int skip_body(struct session *s, bool read)
{
	struct http_body b;
	struct http_span data;
	size_t used;
	ssize_t n;
	int rc;

	s->start += s->head_len;
	rc = http_body_init(&b, &s->r, httpd_limits.max_body);
	if (rc < 0 || !read)
		return rc;
	for (;;) {
		rc = http_body_read(&b, s->in + s->start, s->end - s->start,
				    &used, &data);
		s->start += (uint32_t)used;
		if (rc == HTTP_EINVAL)
			httpd_bug("skip_body: http_body_read misused");
		if (rc != HTTP_AGAIN)
			return rc == HTTP_DONE ? 0 : rc;
		if (s->start < s->end)
			continue;
		n = read_more(s, now() + httpd_limits.idle_timeout);
		if (n == -ETIMEDOUT)
			return HTTPD_ERR_408;
		if (n == 0)
			return END_EOF;
		if (n < 0)
			return END_IO;
	}
}

/*
 * Answer the request whose head was just parsed. Returns 1 when the
 * connection goes on, 0 when it must close after the answer, or END_*.
 */
static int answer(struct session *s)
{
	const struct http_req *r = &s->r;
	bool keep;
	int rc;

	s->served++;
	reply_route(&s->rp, r, s->path, sizeof(s->path));
	keep = r->keep_alive && !s->rp.close &&
	       s->served < httpd_limits.max_requests;
	/* With "Expect: 100-continue" the client waits before sending its
	 * body. We send no 100: the final answer comes at once and the
	 * connection closes, so a body that may or may not follow is never
	 * taken for a request (RFC 9110 10.1.1). */
	if (r->expect_continue && r->body != HTTP_BODY_NONE)
		keep = false;
	rc = skip_body(s, keep);
	if (rc == END_EOF || rc == END_IO)
		return rc;
	if (rc < 0) {
		reply_error(&s->rp, -rc, s->rp.head);
		keep = false;
	}
	reply_send(&s->out, &s->rp, keep);
	return keep;
}

/*
 * Lingering close: FIN, then read and drop until the client closes, the
 * linger time passes (close anyway) or it sends too much (reset). buf is
 * scratch for the dropped bytes.
 */
static enum httpd_end linger_close(const struct httpd_io *io, void *c,
				   char *buf, size_t len)
{
	uint64_t total = 0;
	ssize_t n;

	if (io->shutdown_write(c) < 0)
		return HTTPD_ABORT;
	io->set_read_deadline(c, now() + httpd_limits.linger);
	for (;;) {
		n = io->read(c, buf, len);
		if (n == 0 || n == -ETIMEDOUT)
			return HTTPD_CLOSE;
		if (n < 0)
			return HTTPD_ABORT;
		metrics_add(&httpd_counters.bytes_in, (uint64_t)n);
		total += (uint64_t)n;
		if (total > LINGER_MAX_BYTES)
			return HTTPD_ABORT;
	}
}

/* Write what is buffered, then close: lingering after an answer that
 * said "Connection: close", plainly otherwise. */
static enum httpd_end finish(struct session *s, bool linger)
{
	if (out_flush(&s->out) < 0)
		return HTTPD_ABORT;
	if (!linger)
		return HTTPD_CLOSE;
	return linger_close(s->io, s->c, s->in, sizeof(s->in));
}

static enum httpd_end serve(struct session *s)
{
	uint64_t a0;
	int rc;

	for (;;) {
		rc = next_head(s);
		if (rc == END_EOF || rc == END_IDLE)
			return finish(s, false);
		if (rc == END_IO)
			return HTTPD_ABORT;
		if (rc < 0) { /* malformed, too large, or too slow: say so */
			reply_error(&s->rp, -rc, s->r.method == HTTP_HEAD);
			reply_send(&s->out, &s->rp, false);
			return finish(s, true);
		}
		a0 = allocs();
		rc = answer(s);
		metrics_add(&httpd_counters.request_allocs, allocs() - a0);
		if (rc == END_IO)
			return HTTPD_ABORT;
		if (rc == END_EOF)
			return finish(s, false);
		if (s->out.err)
			return HTTPD_ABORT;
		if (!rc)
			return finish(s, true);
	}
}

enum httpd_end httpd_serve(const struct httpd_io *io, void *c)
{
	struct session s; /* not cleared as a whole: its buffers stay
			     untouched (unmapped) until used */
	enum httpd_end end;

	s.io = io;
	s.c = c;
	s.start = s.end = 0;
	s.head_len = 0;
	s.served = 0;
	out_init(&s.out, io, c, s.obuf, sizeof(s.obuf));
	end = serve(&s);
	if (end == HTTPD_ABORT)
		metrics_add(&httpd_counters.conns_aborted, 1);
	return end;
}

bool httpd_admit(void)
{
	uint64_t open = a_add_fetch_relaxed(&httpd_counters.conns_open, 1);

	if (open > httpd_limits.max_conns) {
		metrics_sub(&httpd_counters.conns_open, 1);
		return false;
	}
	metrics_add(&httpd_counters.conns_accepted, 1);
	return true;
}

void httpd_release(void)
{
	metrics_sub(&httpd_counters.conns_open, 1);
}

enum httpd_end httpd_refuse(const struct httpd_io *io, void *c)
{
	char buf[512];
	struct out o;
	struct reply rp;

	metrics_add(&httpd_counters.conns_refused, 1);
	out_init(&o, io, c, buf, sizeof(buf));
	reply_error(&rp, 503, false);
	reply_send(&o, &rp, false);
	if (out_flush(&o) < 0 ||
	    linger_close(io, c, buf, sizeof(buf)) == HTTPD_ABORT) {
		metrics_add(&httpd_counters.conns_aborted, 1);
		return HTTPD_ABORT;
	}
	return HTTPD_CLOSE;
}
