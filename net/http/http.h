/*
 * net/http/http.h — the HTTP/1.1 server library: Go's net/http server
 * side, in C. An app registers handlers on a mux and serves a port; the
 * library runs one task per connection, parses requests, routes each to
 * a handler, and frames the handler's answer.
 *
 *   static void hello(struct http_response *w, struct http_request *r,
 *                     void *arg)
 *   {
 *           http_header_set(w, "Content-Type", "text/plain");
 *           http_write_str(w, "hello\n");    // streamed: chunked on 1.1
 *   }
 *   static struct http_handler hello_h = { "hello", hello, NULL };
 *
 *   static struct http_mux mux;
 *   static struct http_server srv;
 *   http_mux_init(&mux);
 *   http_handle(&mux, "/hello", &hello_h);    // exact path
 *   http_handle(&mux, "/files/", &files_h);   // prefix: ends in '/'
 *   http_server_init(&srv, &mux);             // default limits
 *   srv.limits.max_body = 64 << 10;           // adjust before serving
 *   http_listen_and_serve(&srv, 80);          // the app's main; returns
 *                                             // only when it cannot listen
 *
 * Call order and lifetimes:
 *   - Set up (mux, handlers, server, limits) in one task before serving;
 *     after http_listen_and_serve (or http_serve_conn) starts, the mux,
 *     the handlers and the server are only read, so they must live for
 *     the rest of the program (static storage, as above).
 *   - Per request, the library calls handler->serve(w, r, handler->arg)
 *     in the connection's task. Within it, any order of:
 *       http_request_header / http_request_read    (the request)
 *       http_header_set/add/del, http_set_content_length
 *                                                 (before the head goes)
 *       http_write_header(w, status)              optional: 200 by default
 *       http_write / http_write_str / http_flush  the body
 *       http_error(w, status, text)               a whole error answer
 *     http_write_header fixes the status (and the headers: header calls
 *     after it fail with -EALREADY); the head itself goes into the output
 *     at the first write or flush (status 200 if none was fixed), or when
 *     the handler returns.
 *   - When the handler returns the response is finished: the library
 *     ends a chunked body, reads and drops what the handler left of the
 *     request body (so keep-alive stays correct), and goes on with the
 *     next request on the connection or closes it.
 *   - r, w and every pointer they hand out (header values, the path) are
 *     valid only until the handler returns. Strings given to the writer
 *     are copied at once (into the connection's frame): the caller keeps
 *     nothing alive for it.
 *
 * Framing, decided when the head is committed:
 *   - a length set (http_set_content_length or a Content-Length header):
 *     sent as is; writing more than it is -EMSGSIZE, and a handler that
 *     returns having written less ends the connection (the client sees
 *     the short body);
 *   - else, on HTTP/1.1: "Transfer-Encoding: chunked", each write one
 *     chunk (small writes are gathered in the output buffer, so a chunk
 *     costs a few bytes of framing, not a segment);
 *   - else (HTTP/1.0): no length, "Connection: close", the body ends with
 *     the connection;
 *   - a handler that returns without writing a byte or committing gets
 *     "Content-Length: 0" (Go's rule);
 *   - HEAD: the head is what GET would send (a length if one was set)
 *     and no body: writes are accepted and dropped; 204 and 304 never
 *     carry a body either.
 *   Nothing reaches the network until the output buffer (16 KiB) fills,
 *   http_flush is called, a read of the connection has to wait, or the
 *   response ends; a write bigger than the buffer goes out from the
 *   caller's memory without a copy.
 *
 * The request body: http_request_read hands out the body's bytes,
 * Content-Length or chunked, decoded, at most limits.max_body of them
 * (past it -413, and the connection closes after the answer). The first
 * read of a request that asked "Expect: 100-continue" sends "100
 * Continue". If the body cannot be read (malformed chunk -400, too large
 * -413, too slow -408, connection gone -ECONNRESET and the like), the
 * read says so and the connection closes after this response; a handler
 * that has written nothing of its answer may answer with
 * http_error(w, -rc, NULL), and if it returns without answering, the
 * library answers that status itself. Likewise when the body left unread
 * by the handler turns out to be bad while still buffered.
 *
 * Routing (http_mux, Go's ServeMux rules): a pattern is a path starting
 * with '/'; one ending in '/' matches every path under it (a prefix,
 * "/" matches everything), any other matches only itself; the longest
 * matching pattern wins. A request for a prefix pattern's path without
 * its trailing '/' ("/files" when only "/files/" is registered) is
 * redirected there (301). Paths are matched after normalization
 * (percent-decoding, "." and ".." resolved, "//" collapsed); a path that
 * cannot be normalized (".." above the root, %00) is answered 400 before
 * any handler sees it. "OPTIONS *" goes to the handler of "/" with the
 * path "*". With no match: 404.
 *
 * Threads: connections are served at once on any CPUs, each in its own
 * task; a handler runs in the task of its connection and may block
 * (read, sleep, dial: plain blocking code). Handlers shared by many
 * connections guard their own shared state (runtime/runtime.h's mutexes,
 * channels). The library's own shared state is its counters (relaxed
 * atomics) and the structures above, read-only while serving.
 *
 * Memory: a connection's state (buffers, parser, the response writer's
 * header table: about 45 KiB, pages touched only as they fill) lives in
 * its task's frame; the library
 * allocates nothing per request. Each handler counts the heap allocations
 * made while it ran (http_handler.allocs; kernel-wide, so an upper bound)
 * and http_stats.request_allocs sums them: the static site's handler
 * keeps its count at zero.
 *
 * Errors: every call returns 0 (or a byte count) or a negative errno:
 * -EINVAL (a bad argument: a header name or value with CR/LF, a status
 * outside 100..999), -ENOSPC (the response's header table is full),
 * -EALREADY (headers after the head was committed), -EMSGSIZE (past the
 * set length), -EPIPE (after http_error or a failed write finished the
 * response), or the connection's error (-ECONNRESET, -ETIMEDOUT: the
 * client stopped reading for limits.write_timeout). Errors are sticky:
 * once a write fails every later one returns the same error.
 */
#ifndef NET_HTTP_HTTP_H
#define NET_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "net/http/parse.h"

struct http_request;
struct http_response;

/* ---- Handlers and the mux ---- */

typedef void (*http_handler_fn)(struct http_response *w,
				struct http_request *r, void *arg);

/*
 * A handler: its function, its argument, and its name, which labels its
 * counters in /metrics (weft_http_handler_*{handler="NAME"}). The library
 * counts into requests and allocs (relaxed atomics); one handler may be
 * registered under several patterns and counts them together.
 */
struct http_handler {
	const char *name;
	http_handler_fn serve;
	void *arg;
	uint64_t requests;	/* requests it answered */
	uint64_t allocs;	/* heap allocations while it ran */
};

#define HTTP_MUX_MAX 32	/* patterns per mux */

struct http_mux {
	unsigned n;
	struct http_route {
		const char *pattern;	/* the caller's string, kept */
		uint32_t len;
		struct http_handler *h;
	} routes[HTTP_MUX_MAX];
};

void http_mux_init(struct http_mux *m);

/* Register h for pattern (see Routing above; the string is kept, not
 * copied). Returns 0, -EINVAL (NULL, or not starting with '/'),
 * -EEXIST (registered already) or -ENOSPC (HTTP_MUX_MAX). */
int http_handle(struct http_mux *m, const char *pattern,
		struct http_handler *h);

/* The handler for the normalized path[0..len), or NULL (404). When the
 * path is a prefix pattern without its '/', returns NULL and sets
 * *redirect (if given) to true. */
struct http_handler *http_mux_match(const struct http_mux *m,
				    const char *path, size_t len,
				    bool *redirect);

/* Every handler registered on m, each once, in registration order:
 * calls fn(h, arg). For /metrics. */
void http_mux_each(const struct http_mux *m,
		   void (*fn)(const struct http_handler *h, void *arg),
		   void *arg);

/* ---- The request ---- */

/* Bytes not NUL-terminated unless said otherwise. */
struct http_str {
	const char *ptr;
	size_t len;
};

struct http_request {
	enum http_method method;	/* HTTP_GET, ... (parse.h) */
	int version;			/* 10 or 11 */
	struct http_str method_name;	/* the token as sent */
	/* Normalized ("/a/b", decoded, NUL-terminated; "*" for OPTIONS *):
	   what the mux matched. */
	struct http_str path;
	struct http_str raw_path;	/* as sent, percent-encoded */
	struct http_str query;		/* after '?', as sent; empty if none */
	struct http_str host;		/* Host, or an absolute target's */
	/* The body's length when the client gave one (Content-Length), -1
	   for a chunked body (unknown until read), 0 for none. */
	int64_t content_length;
	const struct http_req *head;	/* every header line, in order */
	struct http_conn *conn;		/* the library's: do not touch */
};

/* The value of the first header line named name (case-insensitive):
 * true and *value, or false. */
bool http_request_header(const struct http_request *r, const char *name,
			 struct http_str *value);

/* Read up to len bytes of the request body into buf. Returns bytes read
 * (> 0), 0 at the body's end, or a negative status or errno (see the
 * top: -400, -408, -413, -ECONNRESET, ...), sticky. */
ssize_t http_request_read(struct http_request *r, void *buf, size_t len);

/* ---- The response writer ---- */

/* Replace every header line named name by "name: value"; add adds one
 * more line; del removes them. Lines go out in the order first set.
 * "Content-Length" sets the length (as http_set_content_length);
 * "Connection: close" makes the connection close after this answer;
 * Server, Date, Connection and Transfer-Encoding are the library's. */
int http_header_set(struct http_response *w, const char *name,
		    const char *value);
int http_header_add(struct http_response *w, const char *name,
		    const char *value);
int http_header_del(struct http_response *w, const char *name);
/* Pre-rendered header lines, "Name: value\r\n" each, copied verbatim
 * (for tables built ahead, like the static site's). A Content-Length
 * line among them is the body's length, as if set. */
int http_header_lines(struct http_response *w, const char *lines,
		      size_t len);
/* The body's length in bytes: no chunked framing. */
int http_set_content_length(struct http_response *w, uint64_t len);

/* Fix the status (Go's WriteHeader): headers are final from here, and
 * the head goes with the first byte of the body, or when the handler
 * returns. Once only: a second call is -EALREADY. */
int http_write_header(struct http_response *w, int status);

/* Append to the body (committing the head with 200 first if needed).
 * Returns len, or a negative errno. */
ssize_t http_write(struct http_response *w, const void *p, size_t len);
ssize_t http_write_str(struct http_response *w, const char *s);

/* Send what is buffered now (committing the head first if needed). */
int http_flush(struct http_response *w);

/*
 * A whole short text answer, for errors and redirects: status,
 * "Content-Type: text/plain; charset=utf-8", a Content-Length and the
 * body text (NULL: "<status> <reason>\n"). Headers set before stay
 * (Allow, Location), but for Content-Type and Content-Length. Only
 * before the head is committed (-EALREADY after). The response is
 * finished: later writes return -EPIPE.
 */
int http_error(struct http_response *w, int status, const char *text);

/* Whether status and headers are final (http_write_header, a write or
 * a flush came), and the status (200 until set). */
bool http_response_committed(const struct http_response *w);
int http_response_status(const struct http_response *w);

/* The reason phrase of status ("Not Found"); "Unknown" for others. */
const char *http_reason(int status);

/* Unix time in seconds on the clock the Date header shows (the wall
 * clock, or the server's date_fallback): for Last-Modified and the like. */
uint64_t http_unix_time(void);

/* The value of parameter name in a raw query (a request's query), as
 * Go's url.Values.Get: the first part "name=value" (key and value
 * form-decoded: '+' is a space, %XX a byte), NUL-terminated in
 * out[0..size). Its length; 0 for "name" without '='; -ENOENT when absent;
 * -EINVAL for a malformed escape in it (or a name of 64 bytes or more);
 * -ENOSPC when it does not fit. */
long http_query_get(struct http_str query, const char *name, char *out, size_t size);

/* path[0..len) percent-encoded for a URI path (all but RFC 3986 pchar
 * and '/' escaped), NUL-terminated in out[0..outsz): for Location. The
 * length, or -ENOSPC (3 * len + 1 always suffices). */
int http_escape_path(const char *path, size_t len, char *out, size_t outsz);

/* ---- Serving ---- */

/* Limits; times in nanoseconds. */
struct http_limits {
	uint32_t max_conns;	/* connections served at once; past it, 503 */
	uint32_t max_requests;	/* per connection, then Connection: close */
	uint64_t max_body;	/* request body bytes; past it, 413 */
	uint64_t header_timeout;/* first byte of a request to its empty line
				   (and accept to the first byte): then 408 */
	uint64_t idle_timeout;	/* keep-alive wait for the next request, and
				   for each piece of a request body */
	uint64_t write_timeout;	/* each write; a client that stops reading
				   is reset */
	uint64_t linger;	/* after our FIN, how long we read and drop
				   what the client still sends */
};

/* The defaults: 1024 connections, 1000 requests each, 1 MiB bodies,
 * header 10 s, idle 60 s, write 10 s, linger 2 s. */
extern const struct http_limits http_default_limits;

/* What the server's log hook is told of each answer. */
struct http_access {
	/* The request: method_name, raw_path, query, version, and header
	   lookup. For an answer to a head that could not be parsed (400,
	   408, 431) the strings are empty and head is NULL. */
	const struct http_request *r;
	int status;
	uint64_t bytes;		/* body bytes sent (0: HEAD, 204, 304) */
	uint64_t unix_ns;	/* when the head was complete (Date's clock) */
	uint64_t duration_ns;	/* from then to the answer being queued */
};

struct http_server {
	struct http_mux *mux;
	struct http_limits limits;
	/* Called once per answer in the connection's task, after the answer
	   is queued; it must not block (net/http/accesslog.h's hook). NULL:
	   none, and the serving loop does not even read the clock for it. */
	void (*log)(const struct http_access *a, void *arg);
	void *log_arg;
	/* Unix seconds the Date header counts from when the machine has no
	   wall clock (kernel/wallclock.h): say, the image's build time. */
	uint64_t date_fallback;
	/* The library's, zero from http_server_init: */
	uint64_t conns_open;	/* admitted, not yet released (atomic) */
	uint64_t refusers;	/* 503 tasks running (atomic) */
};

/* srv serves mux with http_default_limits. */
void http_server_init(struct http_server *srv, struct http_mux *mux);

/* Listen on port (both families) and serve every connection in a task of
 * its own (a 128 KiB stack reservation, a few pages touched), until the
 * listener fails. Returns a negative errno: it could not listen. The
 * guest only (net/conn.h underneath). */
int http_listen_and_serve(struct http_server *srv, uint16_t port);

/* The same on a listener the caller made (net_listen, net/conn.h), as
 * Go's http.Serve: say, to log that it listens before serving. Returns a
 * negative errno when accepting fails for good (-EBADF: l was closed),
 * or -ENOSPC past 8 servers in the image. */
struct listener;
int http_serve(struct http_server *srv, struct listener *l);

/* HTTPS: the same on a listener whose connections speak TLS with the
 * server tls (net/tls/tls.h: tls_server_new, the certificate, ALPN,
 * the session cache). Each connection's handshake runs in its own task
 * within limits.header_timeout; then it is served exactly as a plain one
 * (handlers cannot tell, but by the port). One srv may serve a plain and
 * a TLS listener at once (limits and max_conns shared). Over max_conns a
 * TLS connection is reset, not answered 503. -EINVAL: tls is NULL. */
struct tls_server;
int http_serve_tls(struct http_server *srv, struct listener *l,
		   struct tls_server *tls);

/* ---- Counters (all servers of the image together) ---- */

/* Status codes counted one by one; anything else lands in "other". */
#define HTTP_STATS_STATUSES 200, 204, 206, 301, 302, 304, 400, 404, 405, \
			    408, 412, 413, 414, 416, 431, 500, 501, 502,  \
			    503, 504, 505, 507
#define HTTP_STATS_NSTATUS 23	/* the above and "other" */

/* Every field a uint64_t, so a snapshot is a word-by-word copy. */
struct http_stats {
	uint64_t responses[HTTP_STATS_NSTATUS];	/* by status, in the order
						   above, then other */
	uint64_t conns_open;		/* admitted, not yet released */
	uint64_t conns_accepted;	/* admitted, ever */
	uint64_t conns_refused;		/* answered 503: over max_conns */
	uint64_t conns_aborted;		/* ended by a reset */
	uint64_t bytes_in, bytes_out;	/* read and written */
	uint64_t request_allocs;	/* heap allocations while handlers ran
					   (the sum of every handler's) */
	uint64_t header_timeouts;	/* requests cut off by header_timeout */
};
extern struct http_stats http_stats;

/* A consistent-enough copy of http_stats (each word loaded atomically). */
void http_stats_snapshot(struct http_stats *out);

/* The statuses counted one by one, in http_stats.responses' order. */
extern const int http_stats_statuses[HTTP_STATS_NSTATUS - 1];

/* ---- The connection under a request (conn_ctl.c) ---- */

struct net_addr;
/* The client's address and port (net/addr.h): 0, or -ENOTCONN. */
int http_request_peer(const struct http_request *r, struct net_addr *out);
/* End this response and its connection with a reset, whatever was sent:
 * the client sees the answer cut off, never complete (a proxy whose
 * upstream failed in mid-body). Later writes fail. */
void http_abort(struct http_response *w);

#endif
