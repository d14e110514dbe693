/*
 * net/http/request.c — the request as a handler sees it: header lookup
 * and the body reader (http.h has the contract).
 *
 * The body is decoded where it lies in the connection's input buffer
 * (http_body_read hands out spans of it); http_request_read copies from
 * there into the handler's buffer, keeping what did not fit as pending.
 * When the buffer runs dry, more is read after the head, which stays
 * where it is (conn_read_more with floor at the head's end): the
 * request's strings point into it until the handler returns.
 *
 * Body reads do not flush the response so far: a handler's answer may
 * sit in the output buffer while the body comes in, and the library can
 * still replace it with an error if the body turns out bad (server.c).
 */
#include <errno.h>
#include <string.h>
#include "net/http/server.h"

bool http_request_header(const struct http_request *r, const char *name,
			 struct http_str *value)
{
	const struct http_span *v = http_req_header(r->head, name);

	if (!v)
		return false;
	value->ptr = v->ptr;
	value->len = v->len;
	return true;
}

/* Send "100 Continue" if the client waits for it before its body. */
static void send_continue(struct http_conn *c)
{
	static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";

	if (c->continue_sent || !c->r.expect_continue || c->w.committed)
		return;
	c->continue_sent = true;
	out_mem(&c->out, line, sizeof(line) - 1);
	out_flush(&c->out);
	/* What is in the buffer now is not this response's. */
	c->w.out_start = c->out.len;
	c->w.out_writes = c->out.writes;
}

ssize_t body_read(struct http_conn *c, void *buf, size_t len)
{
	const struct http_limits *l = &c->srv->limits;
	struct http_span data;
	size_t used, n;
	ssize_t got;
	int rc;

	for (;;) {
		if (c->pend_len) {
			n = c->pend_len < len ? c->pend_len : len;
			if (buf)
				memcpy(buf, c->in + c->pend_off, n);
			c->pend_off += (uint32_t)n;
			c->pend_len -= (uint32_t)n;
			return (ssize_t)n;
		}
		if (c->body_state != 0)
			return c->body_state == HTTP_DONE ? 0 : c->body_state;
		rc = http_body_read(&c->body, c->in + c->start,
				    c->end - c->start, &used, &data);
		if (rc == HTTP_EINVAL)
			http_bug("body_read: http_body_read misused");
		if (data.len) {
			c->pend_off = c->start + data.off;
			c->pend_len = data.len;
		}
		c->start += (uint32_t)used;
		if (rc == HTTP_DONE || rc < 0) {
			c->body_state = rc;
			continue;
		}
		if (c->pend_len || c->start < c->end)
			continue;
		send_continue(c);
		got = conn_read_more(c, http_sys.now() + l->idle_timeout);
		if (got == -ETIMEDOUT)
			c->body_state = -408;
		else if (got == 0)
			c->body_state = -ECONNRESET; /* the client gave up */
		else if (got < 0)
			c->body_state = (int)got;
		if (got <= 0 && got != -ETIMEDOUT)
			c->read_failed = got < 0;
	}
}

ssize_t http_request_read(struct http_request *r, void *buf, size_t len)
{
	struct http_conn *c = r->conn;
	ssize_t n;

	if (!buf || !len)
		return -EINVAL;
	n = body_read(c, buf, len);
	if (n < 0)
		c->body_err_seen = true;
	return n;
}
