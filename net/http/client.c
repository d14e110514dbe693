/*
 * net/http/client.c — the HTTP/1.1 client (the contract: client.h).
 *
 * A connection (struct httpc_conn) is one heap block: the net/conn.h
 * connection, the pool's key, a read buffer and a write buffer. A
 * response's head is parsed where it was read, at the start of the read
 * buffer, and stays there until the response is closed, so the head's
 * spans stay valid while the body streams through the rest of the
 * buffer (or, for a length-framed body with nothing buffered, straight
 * into the caller's memory).
 *
 * A body given as a reader is sent by a writer task, so that reading
 * the response never waits on sending the request (an echo server that
 * answers while it reads would otherwise deadlock both sides once their
 * windows fill). The writer holds a reference of its own to the
 * connection (net/conn.h); the caller's task reads. Closing a response
 * whose writer still runs aborts the connection, which wakes the writer
 * with -EBADF, and then waits for it (the wait group) before the block
 * is freed. The writer publishes its progress (a time) and its end
 * (done, error) through atomics; the reader extends its wait for the
 * head while the writer moves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/conn.h"
#include "net/http/client.h"

#define HTTPC_RBUF (HTTPC_MAX_HEAD + 16384)	/* the head, then body data */
#define HTTPC_WBUF 16384			/* the request head, body chunks */
#define HTTPC_KEY 96

struct httpc_conn {
	struct httpc_conn *next;	/* in the idle list */
	struct conn *c;
	char key[HTTPC_KEY];
	uint64_t idle_since;
	size_t hlen;			/* the current response's head */
	size_t start, end;		/* unread bytes: rbuf[start..end) */
	/* The writer task's state. */
	struct waitgroup wg;
	const struct httpc_request *rq;
	uint64_t timeout;
	uint64_t progress;		/* atomic: time of its last write */
	int werr;			/* atomic: its error, once done */
	int wdone;			/* atomic: finished */
	bool src_err;			/* werr came from body_read */
	char rbuf[HTTPC_RBUF];
	char wbuf[HTTPC_WBUF];
};

void httpc_init(struct httpc *cl)
{
	memset(cl, 0, sizeof *cl);
	cl->max_idle_per_host = 8;
	cl->max_idle = 256;
	cl->idle_timeout = ms(90000);
	cl->dial_timeout = ms(5000);
	cl->lock = (struct mutex)MUTEX_INIT;
}

static void conn_free(struct httpc_conn *cc, bool abort)
{
	if (abort)
		conn_abort(cc->c);
	else
		conn_close(cc->c);
	free(cc);
}

/* The most recently pooled live connection to key, or NULL. */
static struct httpc_conn *pool_take(struct httpc *cl, const char *key)
{
	struct httpc_conn *got = NULL, *stale = NULL;
	uint64_t now = time_ns();
	mutex_lock(&cl->lock);
	for (struct httpc_conn **pp = &cl->idle; *pp;) {
		struct httpc_conn *cc = *pp;
		if (now - cc->idle_since > cl->idle_timeout) {
			*pp = cc->next;		/* expired: close it below */
			cl->nidle--;
			cc->next = stale;
			stale = cc;
			continue;
		}
		if (!got && !strcmp(cc->key, key)) {
			*pp = cc->next;
			cl->nidle--;
			got = cc;
			continue;
		}
		pp = &cc->next;
	}
	mutex_unlock(&cl->lock);
	while (stale) {
		struct httpc_conn *n = stale->next;
		conn_free(stale, false);
		stale = n;
	}
	return got;
}

static void pool_put(struct httpc *cl, struct httpc_conn *cc)
{
	unsigned same = 0;
	cc->idle_since = time_ns();
	cc->start = cc->end = cc->hlen = 0;
	mutex_lock(&cl->lock);
	for (struct httpc_conn *p = cl->idle; p; p = p->next)
		same += !strcmp(p->key, cc->key);
	bool keep = same < cl->max_idle_per_host && cl->nidle < cl->max_idle;
	if (keep) {
		cc->next = cl->idle;
		cl->idle = cc;
		cl->nidle++;
	}
	mutex_unlock(&cl->lock);
	if (!keep)
		conn_free(cc, false);
}

void httpc_prune(struct httpc *cl)
{
	/* A take of a key no one uses walks the list and drops what expired. */
	pool_take(cl, "");
}

static int dial(struct httpc *cl, const char *addr, struct httpc_conn **out)
{
	struct httpc_conn *cc = malloc(sizeof *cc);
	if (!cc)
		return -ENOMEM;
	memset(cc, 0, offsetof(struct httpc_conn, rbuf));
	cc->wg = (struct waitgroup)WAITGROUP_INIT;
	cc->wdone = 1;
	snprintf(cc->key, sizeof cc->key, "%s", addr);
	int r = net_dial("tcp", addr, cl->dial_timeout ? time_ns() + cl->dial_timeout : 0, &cc->c);
	if (r < 0) {
		free(cc);
		a_fetch_add_relaxed(&cl->dial_errors, 1);
		return r;
	}
	a_fetch_add_relaxed(&cl->dials, 1);
	*out = cc;
	return 0;
}

static ssize_t write_all(struct httpc_conn *cc, const void *p, size_t n, uint64_t timeout)
{
	if (timeout)
		conn_set_write_deadline(cc->c, time_ns() + timeout);
	return conn_write(cc->c, p, n);
}

/* The request line and head into cc->wbuf: its length, or -EMSGSIZE. */
static int render_head(struct httpc_conn *cc, const struct httpc_request *rq)
{
	bool has_body = rq->body_read || rq->body_len > 0;
	int n = snprintf(cc->wbuf, HTTPC_WBUF, "%s %s HTTP/1.1\r\nHost: %s\r\n", rq->method,
			 rq->target, rq->host ? rq->host : rq->addr);
	if (n < 0 || (size_t)n + rq->headers_len + 64 > HTTPC_WBUF)
		return -EMSGSIZE;
	memcpy(cc->wbuf + n, rq->headers, rq->headers_len);
	n += (int)rq->headers_len;
	if (has_body && rq->body_len < 0)
		n += snprintf(cc->wbuf + n, HTTPC_WBUF - (size_t)n, "Transfer-Encoding: chunked\r\n\r\n");
	else if (has_body)
		n += snprintf(cc->wbuf + n, HTTPC_WBUF - (size_t)n, "Content-Length: %lld\r\n\r\n",
			      (long long)rq->body_len);
	else
		n += snprintf(cc->wbuf + n, HTTPC_WBUF - (size_t)n, "\r\n");
	return n;
}

/* The writer task: the body from rq->body_read, framed, to the server. */
static void body_writer(void *arg)
{
	struct httpc_conn *cc = arg;
	const struct httpc_request *rq = cc->rq;
	bool chunked = rq->body_len < 0;
	uint64_t left = chunked ? 0 : (uint64_t)rq->body_len;
	int err = 0;
	/* Chunks: room for "XXXXXXXX\r\n" before the data and "\r\n" after. */
	enum { PRE = 10, POST = 2 };
	for (;;) {
		size_t want = HTTPC_WBUF - PRE - POST;
		if (!chunked && left < want)
			want = (size_t)left;
		if (!chunked && want == 0)
			break;
		ssize_t n = rq->body_read(rq->body_arg, cc->wbuf + PRE, want);
		if (n < 0) {
			err = (int)n;
			cc->src_err = true;
			break;
		}
		if (n == 0) {
			if (!chunked) {
				err = -EPROTO;	/* shorter than its Content-Length */
				cc->src_err = true;
			}
			break;
		}
		char *p = cc->wbuf + PRE;
		size_t len = (size_t)n;
		if (chunked) {
			char hx[PRE + 1];
			int h = snprintf(hx, sizeof hx, "%zx\r\n", len);
			p -= h;
			memcpy(p, hx, (size_t)h);
			memcpy(p + h + len, "\r\n", 2);
			len += (size_t)h + 2;
		} else {
			left -= (size_t)n;
		}
		ssize_t w = write_all(cc, p, len, cc->timeout);
		if (w < 0) {
			err = (int)w;
			break;
		}
		a_store_relaxed(&cc->progress, time_ns());
	}
	if (!err && chunked) {
		ssize_t w = write_all(cc, "0\r\n\r\n", 5, cc->timeout);
		if (w < 0)
			err = (int)w;
	}
	if (err && cc->src_err)
		conn_abort(cc->c);		/* the server must not take a cut body */
	else
		conn_release(cc->c);
	a_store_relaxed(&cc->progress, time_ns());
	a_store(&cc->werr, err);
	a_store(&cc->wdone, 1);
	wg_done(&cc->wg);
}

/* Send the request on cc; start the writer for a reader's body. */
static int send_request(struct httpc_conn *cc, const struct httpc_request *rq)
{
	int n = render_head(cc, rq);
	if (n < 0)
		return n;
	ssize_t w = write_all(cc, cc->wbuf, (size_t)n, rq->timeout);
	if (w >= 0 && !rq->body_read && rq->body_len > 0)
		w = write_all(cc, rq->body, (size_t)rq->body_len, rq->timeout);
	if (w < 0)
		return (int)w;
	a_store_relaxed(&cc->progress, time_ns());
	a_store(&cc->wdone, 1);
	a_store(&cc->werr, 0);
	if (rq->body_read) {
		cc->rq = rq;
		cc->timeout = rq->timeout;
		cc->src_err = false;
		a_store(&cc->wdone, 0);
		wg_add(&cc->wg, 1);
		conn_ref(cc->c);
		struct task_attr ta = { "httpc-send", 32u << 10, -1 };
		if (!task_spawn(&ta, body_writer, cc)) {
			conn_release(cc->c);
			a_store(&cc->wdone, 1);
			wg_done(&cc->wg);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Read into rbuf[end..) with the read deadline the caller set. */
static ssize_t fill(struct httpc_conn *cc)
{
	if (cc->end == HTTPC_RBUF) {
		if (cc->start == cc->hlen)
			cc->start = cc->end = cc->hlen;	/* all used: rewind */
		else
			return -EMSGSIZE;
	}
	ssize_t n = conn_read(cc->c, cc->rbuf + cc->end, HTTPC_RBUF - cc->end);
	if (n > 0)
		cc->end += (size_t)n;
	return n;
}

/* Read the next response head; skips 1xx. 0, or a negative errno; *got
   says whether any byte arrived (a dead pooled connection sends none). */
static int read_head(struct httpc_conn *cc, const struct httpc_request *rq, bool head_req,
		     struct httpc_head *h, bool *got)
{
	*got = false;
	cc->start = cc->end = cc->hlen = 0;
	for (;;) {
		size_t scan = 0;
		long hl;
		while ((hl = httpc_head_end(cc->rbuf + cc->start, cc->end - cc->start, &scan)) == 0) {
			/* The head is due timeout after the request's last byte;
			   while the writer still sends, it is not due yet. */
			if (rq->timeout)
				conn_set_read_deadline(cc->c, a_load(&cc->wdone)
					? a_load_relaxed(&cc->progress) + rq->timeout
					: time_ns() + rq->timeout);
			ssize_t n = fill(cc);
			if (n == -ETIMEDOUT && (!a_load(&cc->wdone) ||
			    time_ns() < a_load_relaxed(&cc->progress) + rq->timeout))
				continue;
			if (n == 0)
				return -ECONNRESET;	/* closed before answering */
			if (n < 0)
				return (int)n;
			*got = true;
		}
		if (hl < 0)
			return (int)hl;
		/* Move the head to the buffer's start (after a skipped 1xx). */
		if (cc->start) {
			memmove(cc->rbuf, cc->rbuf + cc->start, cc->end - cc->start);
			cc->end -= cc->start;
			cc->start = 0;
		}
		int r = httpc_parse_head(cc->rbuf, (size_t)hl, head_req, h);
		if (r < 0)
			return r;
		if (h->status >= 100 && h->status < 200 && h->status != 101) {
			cc->start = (size_t)hl;		/* interim: the next head */
			continue;
		}
		cc->hlen = cc->start = (size_t)hl;
		return 0;
	}
}

static bool idempotent(const char *m)
{
	static const char *const ok[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(m, ok[i]))
			return true;
	return false;
}

/* End cc after a failed or unusable exchange: stop the writer, free. */
static void conn_end(struct httpc_conn *cc)
{
	conn_abort(cc->c);			/* wakes a blocked writer */
	wg_wait(&cc->wg);
	free(cc);
}

int httpc_do(struct httpc *cl, const struct httpc_request *rq, struct httpc_response *resp)
{
	bool retryable = !rq->body_read && idempotent(rq->method);
	bool head_req = !strcmp(rq->method, "HEAD");
	if (rq->body_error)
		*rq->body_error = false;
	if (strlen(rq->addr) >= HTTPC_KEY)
		return -EINVAL;
	for (int attempt = 0;; attempt++) {
		struct httpc_conn *cc = attempt ? NULL : pool_take(cl, rq->addr);
		bool reused = cc != NULL;
		if (!cc) {
			int r = dial(cl, rq->addr, &cc);
			if (r < 0)
				return r;
		} else {
			a_fetch_add_relaxed(&cl->reuses, 1);
		}
		int r = send_request(cc, rq);
		bool got = false;
		if (r == 0)
			r = read_head(cc, rq, head_req, &resp->head, &got);
		if (r == 0) {
			resp->reused = reused;
			resp->cl = cl;
			resp->cc = cc;
			resp->timeout = rq->timeout;
			resp->err = 0;
			httpc_body_init(&resp->body, &resp->head);
			return 0;
		}
		/* The writer's own failure explains a failed exchange best. */
		bool src = false;
		if (rq->body_read) {
			conn_abort(cc->c);
			wg_wait(&cc->wg);
			if (cc->src_err) {
				src = true;
				r = a_load(&cc->werr);
			}
			free(cc);
		} else {
			conn_end(cc);
		}
		if (src && rq->body_error)
			*rq->body_error = true;
		bool dead = r == -ECONNRESET || r == -EPIPE || r == -ENOTCONN;
		if (reused && retryable && !got && dead && attempt == 0) {
			a_fetch_add_relaxed(&cl->retries, 1);
			continue;
		}
		return r;
	}
}

ssize_t httpc_read(struct httpc_response *resp, void *buf, size_t len)
{
	struct httpc_conn *cc = resp->cc;
	if (resp->err)
		return resp->err;
	if (!cc || len == 0)
		return 0;
	for (;;) {
		if (resp->body.done)
			return 0;
		if (cc->start < cc->end) {
			size_t n = cc->end - cc->start, used, off, dl;
			if (n > len)
				n = len;
			int r = httpc_body_decode(&resp->body, cc->rbuf + cc->start, n, &used, &off, &dl);
			if (r < 0)
				return resp->err = r;
			memcpy(buf, cc->rbuf + cc->start + off, dl);
			cc->start += used;
			if (dl)
				return (ssize_t)dl;
			continue;
		}
		if (resp->timeout)
			conn_set_read_deadline(cc->c, time_ns() + resp->timeout);
		ssize_t n;
		if (resp->body.framing == HTTPC_BODY_CHUNKED) {
			cc->start = cc->end = cc->hlen;
			n = fill(cc);
		} else {
			/* Length or close framing: straight into the caller's buffer. */
			size_t want = len;
			if (resp->body.framing == HTTPC_BODY_LENGTH && resp->body.remaining < want)
				want = (size_t)resp->body.remaining;
			n = conn_read(cc->c, buf, want);
			if (n > 0) {
				size_t used, off, dl;
				httpc_body_decode(&resp->body, buf, (size_t)n, &used, &off, &dl);
				return n;
			}
		}
		if (n == 0) {
			int r = httpc_body_eof(&resp->body);
			return r < 0 ? (resp->err = r) : 0;
		}
		if (n < 0)
			return resp->err = (int)n;
	}
}

void httpc_response_close(struct httpc_response *resp)
{
	struct httpc_conn *cc = resp->cc;
	if (!cc)
		return;
	resp->cc = NULL;
	bool reuse = resp->body.done && !resp->err && resp->head.keep_alive &&
		     cc->start == cc->end && resp->body.framing != HTTPC_BODY_CLOSE;
	if (reuse && !a_load(&cc->wdone))
		reuse = false;			/* still sending: the server answered early */
	if (reuse) {
		wg_wait(&cc->wg);
		if (a_load(&cc->werr))
			reuse = false;
	}
	if (reuse)
		pool_put(resp->cl, cc);
	else
		conn_end(cc);
}
