/*
 * net/http/response.c — the response writer (http.h has the contract).
 *
 * Headers are kept as ready lines, "Name: value\r\n", in the response's
 * own table (hbuf, in the connection's frame): set and add copy there,
 * and committing the head copies the table into the output buffer after
 * the status line, Server and Date, then adds the framing the library
 * owns (Content-Length or Transfer-Encoding) and Connection. So the
 * order on the wire is the order set, with the length last, which is how
 * the static site's prepared lines and the short text answers always
 * looked.
 *
 * Framing is decided once, at commit (the top of http.h lists the cases).
 * A chunked write is "<hex size>\r\n", the data, "\r\n"; the data goes
 * through out_mem, so a big piece is written from the caller's memory.
 *
 * A response can be taken back while none of it has left: out_start and
 * out_writes mark where it began in the output buffer and how many
 * writes the connection had seen then. resp_replace truncates the buffer
 * there and writes an error instead (server.c, when the request body
 * fails after the handler answered).
 */
#include <errno.h>
#include <string.h>
#include "net/http/chars.h"
#include "net/http/server.h"

static const char text_plain[] = "text/plain; charset=utf-8";

void resp_init(struct http_conn *c)
{
	struct http_response *w = &c->w;

	w->conn = c;
	w->status = 200;
	w->committed = w->frozen = w->finished = false;
	w->has_length = w->chunked = false;
	w->length_in_lines = false;
	w->no_body = c->r.method == HTTP_HEAD;
	w->close = false;
	w->length = w->written = 0;
	w->out_start = c->out.len;
	w->out_writes = c->out.writes;
	w->hlen = 0;
}

/* ---- Header lines ---- */

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is((uint8_t)*s, C_TCHAR))
			return false;
	return true;
}

static bool value_ok(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n' || ((uint8_t)*s < 0x20 && *s != '\t'))
			return false;
	return true;
}

static bool name_is(const char *a, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++)
		if (lower((uint8_t)a[i]) != lower((uint8_t)lit[i]))
			return false;
	return i == n && !lit[i];
}

/* The line of hbuf starting at or after from whose name is name:
 * its offset and length, or -1. */
static ssize_t find_line(const struct http_response *w, size_t from,
			 const char *name, size_t *line_len)
{
	size_t i = from, nlen = strlen(name);

	while (i < w->hlen) {
		const char *l = w->hbuf + i;
		const char *nl = memchr(l, '\n', w->hlen - i);
		size_t len = (size_t)(nl - l) + 1;

		if (len > nlen && l[nlen] == ':' && name_is(l, nlen, name)) {
			*line_len = len;
			return (ssize_t)i;
		}
		i += len;
	}
	return -1;
}

static void cut(struct http_response *w, size_t off, size_t len)
{
	memmove(w->hbuf + off, w->hbuf + off + len, w->hlen - off - len);
	w->hlen -= len;
}

/* Insert "name: value\r\n" at off. */
static int put_line(struct http_response *w, size_t off, const char *name,
		    const char *value)
{
	size_t n = strlen(name), v = strlen(value), len = n + 2 + v + 2;
	char *p;

	if (w->hlen + len > sizeof(w->hbuf))
		return -ENOSPC;
	p = w->hbuf + off;
	memmove(p + len, p, w->hlen - off);
	memcpy(p, name, n);
	memcpy(p + n, ": ", 2);
	memcpy(p + n + 2, value, v);
	memcpy(p + n + 2 + v, "\r\n", 2);
	w->hlen += len;
	return 0;
}

/* Is tok one of the comma-separated tokens of v (case-insensitive)? */
static bool has_token(const char *v, const char *tok)
{
	while (*v) {
		size_t n;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		n = strcspn(v, " \t,");
		if (n && name_is(v, n, tok))
			return true;
		v += n;
		v += strcspn(v, ",");
	}
	return false;
}

static int parse_length(const char *v, uint64_t *len)
{
	uint64_t n = 0;

	if (!*v)
		return -EINVAL;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*len = n;
	return 0;
}

/* Checks shared by set and add; > 0: handled (a header the library
 * keeps itself). */
static int special(struct http_response *w, const char *name,
		   const char *value)
{
	if (w->finished)
		return -EPIPE;
	if (w->frozen)
		return -EALREADY;
	if (!name || !value || !name_ok(name) || !value_ok(value))
		return -EINVAL;
	if (name_is(name, strlen(name), "Content-Length")) {
		uint64_t len;

		if (parse_length(value, &len) < 0)
			return -EINVAL;
		http_header_del(w, "Content-Length");
		w->has_length = true;
		w->length = len;
		return 1;
	}
	if (name_is(name, strlen(name), "Connection")) {
		if (has_token(value, "close"))
			w->close = true;
		return 1;
	}
	if (name_is(name, strlen(name), "Transfer-Encoding") ||
	    name_is(name, strlen(name), "Server") ||
	    name_is(name, strlen(name), "Date"))
		return -EINVAL;
	return 0;
}

int http_header_set(struct http_response *w, const char *name,
		    const char *value)
{
	size_t len, next;
	ssize_t off;
	int rc = special(w, name, value);

	if (rc)
		return rc < 0 ? rc : 0;
	off = find_line(w, 0, name, &len);
	if (off < 0)
		return put_line(w, w->hlen, name, value);
	/* Replace the first line in place; drop the others. */
	cut(w, (size_t)off, len);
	rc = put_line(w, (size_t)off, name, value);
	if (rc < 0)
		return rc;
	next = (size_t)off + strlen(name) + strlen(value) + 4;
	while ((off = find_line(w, next, name, &len)) >= 0)
		cut(w, (size_t)off, len);
	return 0;
}

int http_header_add(struct http_response *w, const char *name,
		    const char *value)
{
	int rc = special(w, name, value);

	if (rc)
		return rc < 0 ? rc : 0;
	return put_line(w, w->hlen, name, value);
}

int http_header_del(struct http_response *w, const char *name)
{
	size_t len;
	ssize_t off;

	if (w->finished)
		return -EPIPE;
	if (w->frozen)
		return -EALREADY;
	if (!name || !name_ok(name))
		return -EINVAL;
	if (name_is(name, strlen(name), "Content-Length"))
		w->has_length = w->length_in_lines = false;
	while ((off = find_line(w, 0, name, &len)) >= 0)
		cut(w, (size_t)off, len);
	return 0;
}

/* Append lines[0..len) to the table; with has_cl, the length is clen
 * and said by the lines. */
static int append_lines(struct http_response *w, const char *lines,
			size_t len, bool has_cl, uint64_t clen)
{
	memcpy(w->hbuf + w->hlen, lines, len);
	w->hlen += len;
	if (has_cl) {
		w->has_length = true;
		w->length = clen;
		w->length_in_lines = true;
	}
	return 0;
}

/* What http_header_lines and http_header_lines_sized check first. */
static int lines_ok(const struct http_response *w, const char *lines,
		    size_t len)
{
	if (w->finished)
		return -EPIPE;
	if (w->frozen)
		return -EALREADY;
	if (len < 2 || lines[len - 2] != '\r' || lines[len - 1] != '\n')
		return -EINVAL;
	if (w->hlen + len > sizeof(w->hbuf))
		return -ENOSPC;
	return 0;
}

int http_header_lines(struct http_response *w, const char *lines,
		      size_t len)
{
	const char *l = lines, *end = lines + len;
	uint64_t clen = 0;
	bool has_cl = false;
	int rc = lines_ok(w, lines, len);

	if (rc)
		return rc;
	/* A Content-Length line among them is the length. */
	while (l < end) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));

		if (!nl)
			return -EINVAL;
		if (nl - l > 16 && name_is(l, 14, "Content-Length") &&
		    l[14] == ':') {
			const char *v = l + 15;

			while (*v == ' ')
				v++;
			clen = 0;
			for (; v < nl - 1 && *v >= '0' && *v <= '9'; v++)
				clen = clen * 10 + (uint64_t)(*v - '0');
			has_cl = true;
		}
		l = nl + 1;
	}
	return append_lines(w, lines, len, has_cl, clen);
}

int http_header_lines_sized(struct http_response *w, const char *lines,
			    size_t len, uint64_t length)
{
	int rc = lines_ok(w, lines, len);

	if (rc)
		return rc;
	return append_lines(w, lines, len, true, length);
}

int http_set_content_length(struct http_response *w, uint64_t len)
{
	if (w->finished)
		return -EPIPE;
	if (w->frozen)
		return -EALREADY;
	w->has_length = true;
	w->length = len;
	return 0;
}

/* ---- The head ---- */

bool resp_keep(const struct http_conn *c)
{
	const struct http_response *w = &c->w;

	return !w->close && c->r.keep_alive &&
	       c->served < c->srv->limits.max_requests &&
	       /* With "Expect: 100-continue" and no 100 sent, the client
		* may or may not send its body: it must not be taken for
		* a request (RFC 9110 10.1.1), so close. */
	       !(c->r.expect_continue && c->r.body != HTTP_BODY_NONE &&
		 !c->continue_sent && c->body_state != HTTP_DONE) &&
	       (c->body_state == 0 || c->body_state == HTTP_DONE);
}

static void commit(struct http_response *w)
{
	struct http_conn *c = w->conn;
	struct out *o = &c->out;
	int st = w->status;

	w->committed = w->frozen = true;
	if (st < 200 || st == 204 || st == 304)
		w->no_body = true;
	http_stats_response(st);
	resp_start(o, st);
	out_mem(o, w->hbuf, w->hlen);
	if (st < 200 || st == 204 || st == 304) {
		/* no framing at all */
	} else if (w->has_length && w->length_in_lines) {
		/* said by the caller's lines */
	} else if (w->has_length) {
		out_str(o, "Content-Length: ");
		out_u64(o, w->length);
		out_mem(o, "\r\n", 2);
	} else if (w->no_body) {
		/* HEAD without a length: GET's would be chunked or
		   close-delimited; say nothing */
	} else if (c->r.version >= 11) {
		out_str(o, "Transfer-Encoding: chunked\r\n");
		w->chunked = true;
	} else {
		w->close = true; /* the body ends with the connection */
	}
	resp_end(o, resp_keep(c));
	if (!resp_keep(c))
		w->close = true;
}

int http_write_header(struct http_response *w, int status)
{
	if (w->finished)
		return -EPIPE;
	if (w->frozen)
		return -EALREADY;
	if (status < 100 || status > 999)
		return -EINVAL;
	w->status = status;
	w->frozen = true; /* the head goes with the first byte, or at the end */
	return w->conn->out.err;
}

ssize_t http_write(struct http_response *w, const void *p, size_t len)
{
	struct out *o = &w->conn->out;

	if (w->finished)
		return -EPIPE;
	if (o->err)
		return o->err;
	if (!w->committed)
		commit(w);
	if (w->has_length && len > w->length - w->written)
		return -EMSGSIZE;
	w->written += len;
	if (w->no_body || len == 0)
		return o->err ? o->err : (ssize_t)len;
	if (w->chunked) {
		out_hex(o, len);
		out_mem(o, "\r\n", 2);
		out_mem(o, p, len);
		out_mem(o, "\r\n", 2);
	} else {
		out_mem(o, p, len);
	}
	return o->err ? o->err : (ssize_t)len;
}

ssize_t http_write_str(struct http_response *w, const char *s)
{
	return http_write(w, s, strlen(s));
}

int http_flush(struct http_response *w)
{
	if (w->finished)
		return w->conn->out.err ? w->conn->out.err : -EPIPE;
	if (!w->committed)
		commit(w);
	return out_flush(&w->conn->out);
}

int http_error(struct http_response *w, int status, const char *text)
{
	const char *reason = http_reason(status);
	char code[4] = { (char)('0' + status / 100 % 10),
			 (char)('0' + status / 10 % 10),
			 (char)('0' + status % 10), ' ' };
	struct out *o = &w->conn->out;
	size_t len;
	int rc;

	if (w->finished)
		return -EPIPE;
	if (w->committed)
		return -EALREADY;
	if (status < 100 || status > 999)
		return -EINVAL;
	w->frozen = false; /* an error replaces a status not yet sent */
	len = text ? strlen(text) : 4 + strlen(reason) + 1;
	http_header_del(w, "Content-Type");
	http_header_del(w, "Content-Length");
	rc = put_line(w, w->hlen, "Content-Type", text_plain);
	if (rc < 0)
		return rc;
	w->status = status;
	w->has_length = true;
	w->length = len;
	commit(w);
	if (!w->no_body) {
		if (text) {
			out_str(o, text);
		} else {
			out_mem(o, code, 4);
			out_str(o, reason);
			out_mem(o, "\n", 1);
		}
	}
	w->written = len;
	w->finished = true;
	return o->err;
}

bool http_response_committed(const struct http_response *w)
{
	return w->frozen;
}

int http_response_status(const struct http_response *w)
{
	return w->status;
}

/* ---- After the handler ---- */

void resp_finish(struct http_conn *c)
{
	struct http_response *w = &c->w;
	struct out *o = &c->out;

	if (!w->committed && c->body_state < 0 && c->body_state > -400) {
		/* The connection failed or the client left within its body:
		   nobody to answer. */
		w->finished = w->close = true;
		return;
	}
	if (!w->committed) {
		if (c->body_state < 0 && c->body_err_seen && c->body_state <= -400) {
			/* The handler was told the body failed and did not
			   answer: answer that. */
			http_error(w, -c->body_state, NULL);
			w->close = true;
			return;
		}
		if (!w->has_length && !w->no_body) {
			w->has_length = true;
			w->length = 0;
		}
		commit(w);
	}
	if (w->finished)
		return;
	if (w->chunked && !o->err)
		out_str(o, "0\r\n\r\n");
	if (w->has_length && !w->no_body && w->written < w->length)
		w->close = true; /* the client is owed bytes it never gets */
	w->finished = true;
}

bool resp_replace(struct http_conn *c, int status)
{
	struct http_response *w = &c->w;

	if (c->out.writes != w->out_writes || c->out.err)
		return false;
	c->out.len = w->out_start;
	/* Uncount the answer taken back; the error is counted instead. */
	if (w->committed) {
		size_t i;

		for (i = 0; i < HTTP_STATS_NSTATUS - 1; i++)
			if (http_stats_statuses[i] == w->status)
				break;
		http_stat_sub(&http_stats.responses[i], 1);
	}
	resp_init(c);
	http_error(w, status, NULL);
	w->close = true;
	return true;
}
