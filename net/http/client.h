/*
 * net/http/client.h — an HTTP/1.1 client: Go's http.Client and
 * http.Transport in C, over net_dial (net/conn.h), with a bounded pool of
 * keep-alive connections per host.
 *
 *	static struct httpc cl;				once: httpc_init(&cl);
 *	struct httpc_response resp;
 *	int r = httpc_do(&cl, &(struct httpc_request){
 *		.method = "GET", .addr = "10.0.2.2:8080", .target = "/x",
 *		.timeout = ms(5000) }, &resp);
 *	if (r < 0) ...					-ECONNREFUSED, -ETIMEDOUT, -EPROTO
 *	resp.head.status, httpc_header_get(&resp.head, "Content-Type")
 *	while ((n = httpc_read(&resp, buf, sizeof buf)) > 0) ...	the body streams
 *	httpc_response_close(&resp);			always: the connection goes
 *							back to the pool or is closed
 *
 * The request: method, the address dialed ("host:port", a name or an
 * address, as net_dial takes; also the pool's key), the target
 * ("/path?query"), Host (default: addr), extra header lines given
 * verbatim ("Name: value\r\n" each), and a body: none, bytes in memory
 * (sent with Content-Length), or a reader called for it
 * (body_read(body_arg, buf, len): > 0 bytes, 0 at the end, < 0 an error),
 * sent with Content-Length when body_len >= 0 and chunked when it is -1.
 * A reader's body is sent by a task of its own while the caller waits for
 * the response, as Go's transport does: a server may answer before it has
 * read the whole body, or stream its answer while it reads (an echo), and
 * neither side then waits for the other forever. body_read runs in that
 * task; the response's close waits for it to finish.
 *
 * Time limits, nginx's three (proxy_connect_timeout, proxy_send_timeout,
 * proxy_read_timeout): the dial must finish within dial_timeout; each
 * write, each read of the body, and the wait for the response head after
 * the last byte of the request was sent must make progress within
 * timeout (0: none). While a body is still being sent the head's wait is
 * extended as long as the sender makes progress. A limit that passes is
 * -ETIMEDOUT.
 *
 * The pool: a connection whose response was read to its end, that the
 * server did not ask to close and that has no byte left over goes back
 * to the pool at httpc_response_close; the next request to the same addr
 * takes the connection used last. At most max_idle_per_host idle
 * connections per address and max_idle in all (more are closed), each
 * for at most idle_timeout (httpc_prune closes expired ones; a take never
 * uses one). A pooled connection the server has closed meanwhile fails
 * at once: a request that is idempotent (GET, HEAD, OPTIONS, TRACE, PUT,
 * DELETE) and whose body is not a reader is then sent once more, on a new
 * connection (Go's rule), and counted in retries.
 *
 * Errors (negative errno): net_dial's (-ECONNREFUSED, -ETIMEDOUT,
 * -ENETUNREACH, -EHOSTUNREACH, -ENOENT, -EINVAL), -ETIMEDOUT, -ECONNRESET
 * and -EPIPE from the connection, -EPROTO for a malformed response (or
 * one cut short), -EMSGSIZE for a head over HTTPC_MAX_HEAD, -ENOMEM. When
 * body_read itself failed, httpc_do returns its error and sets
 * *body_error (if given): the caller can tell a client's bad upload from
 * the server's failure.
 *
 * Threads: any number of tasks may use one struct httpc at once (a mutex
 * guards the pool); a struct httpc_response belongs to the task that got
 * it. Memory: each connection is one heap block (its buffers, about
 * 40 KiB), made at dial and freed at close; reused connections allocate
 * nothing.
 */
#ifndef NET_HTTP_CLIENT_H
#define NET_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "net/http/client_parse.h"
#include "runtime/runtime.h"

struct httpc_conn;

struct httpc {
	/* Settings: httpc_init's defaults, changed before first use. */
	unsigned max_idle_per_host;	/* 8 */
	unsigned max_idle;		/* 256 */
	uint64_t idle_timeout;		/* 90 s (Go's) */
	uint64_t dial_timeout;		/* 5 s */
	/* Counters (atomic): dials made, requests sent on a pooled
	   connection, requests sent again after a pooled one had died,
	   dials that failed. */
	uint64_t dials, reuses, retries, dial_errors;
	/* The pool, under lock. */
	struct mutex lock;
	struct httpc_conn *idle;	/* most recently used first */
	unsigned nidle;
};

void httpc_init(struct httpc *cl);

struct httpc_request {
	const char *method;		/* "GET", ... */
	const char *addr;		/* "host:port" to dial; the pool's key */
	const char *target;		/* "/path?query" */
	const char *host;		/* Host; NULL: addr */
	const char *headers;		/* more lines, "Name: value\r\n" each */
	size_t headers_len;
	const void *body;		/* bytes of the body, body_len of them */
	int64_t body_len;		/* with body_read: -1 unknown (chunked) */
	ssize_t (*body_read)(void *arg, void *buf, size_t len);
	void *body_arg;
	uint64_t timeout;		/* ns; see the top; 0: none */
	bool *body_error;		/* set when body_read failed */
};

struct httpc_response {
	struct httpc_head head;		/* status, version, headers */
	bool reused;			/* sent on a pooled connection */
	/* The library's. */
	struct httpc *cl;
	struct httpc_conn *cc;
	struct httpc_body body;
	uint64_t timeout;
	int err;
};

/* Send rq and wait for the response's head (skipping 1xx interim
   answers). 0 with *resp filled (then httpc_response_close it), or a
   negative errno (nothing to close). */
int httpc_do(struct httpc *cl, const struct httpc_request *rq, struct httpc_response *resp);
/* Up to len bytes of the body, decoded: > 0, 0 at its end, or a negative
   errno (sticky). */
ssize_t httpc_read(struct httpc_response *resp, void *buf, size_t len);
/* Finish with resp: its connection goes back to the pool when the body
   was read to the end and it may be reused, else it is closed (a body
   still being sent is cut off). */
void httpc_response_close(struct httpc_response *resp);
/* Close pooled connections idle for longer than idle_timeout. */
void httpc_prune(struct httpc *cl);

#endif
