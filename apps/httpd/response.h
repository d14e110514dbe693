/*
 * apps/httpd/response.h — building responses into a connection's fixed
 * output buffer.
 *
 *   struct out o;
 *   out_init(&o, io, c, buf, sizeof buf);
 *   resp_start(&o, 200);                status line, Server, Date
 *   out_str(&o, "Content-Length: "); out_u64(&o, n); out_str(&o, "\r\n");
 *   resp_end(&o, keep_alive);           Connection, empty line
 *   out_mem(&o, body, n);               copied, or written straight through
 *   ...more responses (pipelining)...
 *   out_flush(&o);                      before blocking on a read or closing
 *
 * Appends never fail on their own: the buffer is flushed to the connection
 * when it fills, and a body too large for it goes out straight from the
 * caller's memory (the read-only site table) after the buffer's worth, so
 * a large static file is not copied here. The first write error is kept
 * in o->err; later appends do nothing and out_flush returns it.
 *
 * Counting mode (o->counting): appends only add up the bytes they would
 * write. /metrics renders its body twice, once counting for the
 * Content-Length and once for real, from one snapshot.
 *
 * Write deadlines: each write to the connection gets now +
 * httpd_limits.write_timeout.
 */
#ifndef APPS_HTTPD_RESPONSE_H
#define APPS_HTTPD_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "apps/httpd/httpd.h"

struct out {
	const struct httpd_io *io;
	void *c;
	char *buf;
	size_t cap, len;	/* buf[0..len) waits to be written */
	uint64_t counted;	/* counting mode: bytes appended */
	bool counting;
	int err;		/* first write error (negative errno), sticky */
	uint64_t date_sec;	/* unix second that date holds (0: none yet) */
	char date[30];		/* its IMF-fixdate, reused within the second */
};

void out_init(struct out *o, const struct httpd_io *io, void *c, char *buf,
	      size_t cap);
void out_mem(struct out *o, const void *p, size_t n);
void out_str(struct out *o, const char *s);
void out_u64(struct out *o, uint64_t v);
/* v / 1e9 with nine decimals ("1.500000000"): nanoseconds as seconds,
 * without floating point. */
void out_nanos(struct out *o, uint64_t v);
/* Write out what is buffered. Returns 0 or the first error. */
int out_flush(struct out *o);

/* "HTTP/1.1 <status> <reason>", Server and Date. */
void resp_start(struct out *o, int status);
/* Connection (keep-alive or close) and the empty line. */
void resp_end(struct out *o, bool keep_alive);

/* The reason phrase of status ("Not Found"); "Unknown" for others. */
const char *http_reason(int status);

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */
/* IMF-fixdate (RFC 9110 5.6.7) of unix time t into out[0..30). */
void http_date(char out[HTTP_DATE_LEN + 1], uint64_t t);

#endif
