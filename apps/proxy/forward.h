/*
 * apps/proxy/forward.h — what app=proxy changes in the header fields it
 * forwards, as pure functions (host-tested, tests/host/test_proxy_forward.c):
 *
 *	hop-by-hop fields are dropped both ways (RFC 9110 7.6.1): Connection,
 *	Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization,
 *	TE, Trailer, Transfer-Encoding, Upgrade, and every field the
 *	Connection field names; Content-Length is dropped too (the proxy
 *	frames each side itself) and so is Host toward the upstream (the
 *	client's Host is sent as the request's Host);
 *	X-Forwarded-For: the client's list with the client's address
 *	appended (Go's httputil.ReverseProxy, nginx's
 *	$proxy_add_x_forwarded_for);
 *	Via: the list so far with "1.1 weft" appended, both ways.
 *
 * Fields are given as (name, value) spans; the lines come out as
 * "Name: value\r\n" into a caller's buffer.
 */
#ifndef APPS_PROXY_FORWARD_H
#define APPS_PROXY_FORWARD_H

#include <stdbool.h>
#include <stddef.h>

#define PROXY_VIA "1.1 weft"

struct fwd_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* Is field name[0..n) hop-by-hop, given the message's Connection values
   (conn[0..nconn))? Content-Length, and Host when to_upstream, count too. */
bool fwd_drop(const char *name, size_t n, const struct fwd_field *conn, size_t nconn,
	      bool to_upstream);

/* The fields to send on, as lines into out[0..size): every field of f[]
   that fwd_drop keeps; then, toward the upstream, X-Forwarded-For (the
   client's values joined with ", ", then client_ip); and Via (the values
   joined, then PROXY_VIA). Returns the length written, or -1 when out is
   too small. */
long fwd_render(const struct fwd_field *f, size_t n, bool to_upstream, const char *client_ip,
		char *out, size_t size);

#endif
