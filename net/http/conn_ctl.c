/*
 * net/http/conn_ctl.c — what a handler may ask of its connection beyond
 * the request and the response: the client's address (a proxy's
 * X-Forwarded-For, a log line) and ending the connection with a reset
 * (Go's panic(http.ErrAbortHandler)): a proxy whose upstream failed in
 * the middle of a body must not let the library end that body as if it
 * were whole. Guest only: the connection under the library is a
 * net/conn.h connection here.
 */
#include <errno.h>
#include "net/http/server.h"

int http_request_peer(const struct http_request *r, struct net_addr *out)
{
	const struct http_io *io = r->conn->io;

	return io->peer ? io->peer(r->conn->c, out) : -ENOTCONN;
}

void http_abort(struct http_response *w)
{
	w->finished = true;		/* no end of chunked body, nothing more */
	w->close = true;
	w->conn->read_failed = true;	/* the server resets the connection */
}
