/*
 * net/http/server.h — the library's inside, shared by its files and the
 * host tests (not for apps: they see http.h).
 *
 * The core is plain C over two small interfaces, so that everything a
 * connection does can run on the host against a scripted fake:
 *   struct http_io   one connection's blocking I/O (net/conn.h in the
 *                    kernel: conn_read, conn_write, deadlines; or a TLS
 *                    connection, net/tls/tls.h, with the same shape)
 *   http_sys         the machine: clock, allocation counter, Date's epoch
 *
 * Per accepted connection c (listen.c does this in the guest):
 *   if (http_admit(srv))                       a slot under max_conns
 *       in a task of its own:
 *           end = http_serve_conn(srv, &io, c);  every request, until close
 *           conn_close(c) or conn_abort(c), as end says;
 *           http_release(srv);
 *   else
 *       in a short task: http_refuse(&io, c) (503), then as above
 *       without http_release
 */
#ifndef NET_HTTP_SERVER_H
#define NET_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <string.h>
#include "net/http/http.h"
#include "net/http/parse.h"

/*
 * A connection's I/O, blocking, with net/conn.h's contract: read returns
 * bytes read (> 0), 0 at end of stream, or a negative errno (-ETIMEDOUT
 * once the read deadline passed); write queues all len bytes and returns
 * len, or a negative errno. Deadlines are absolute, on http_sys.now's
 * scale; 0 means none.
 */
struct net_addr;
struct http_io {
	ssize_t (*read)(void *c, void *buf, size_t len);
	ssize_t (*write)(void *c, const void *buf, size_t len);
	int (*shutdown_write)(void *c);
	void (*set_read_deadline)(void *c, uint64_t deadline);
	void (*set_write_deadline)(void *c, uint64_t deadline);
	/* The client's address (net/addr.h): 0 or a negative errno; NULL:
	   -ENOTCONN. */
	int (*peer)(void *c, struct net_addr *out);
};

struct http_sys {
	uint64_t (*now)(void);		/* nanoseconds since boot */
	/* Heap allocations made so far, anywhere (runtime's rt_malloc_count);
	   NULL if not counted. */
	uint64_t (*alloc_count)(void);
	/* Unix time in nanoseconds at now() == 0, for the Date header. */
	uint64_t epoch_ns;
	/* The CPU the calling task runs on, for the latency histogram's
	   shard (latency.h); NULL: all count into shard 0. */
	unsigned (*cpu)(void);
};
extern struct http_sys http_sys;

enum http_end {
	HTTP_END_CLOSE,	/* finish gracefully (conn_close) */
	HTTP_END_ABORT,	/* reset (conn_abort): the peer is gone or misbehaves */
};

/* Serve connection c until it ends; says how to end it. */
enum http_end http_serve_conn(const struct http_server *srv,
			      const struct http_io *io, void *c);
bool http_admit(struct http_server *srv);
void http_release(struct http_server *srv);
/* Answer 503 and close gracefully: a connection over max_conns. */
enum http_end http_refuse(const struct http_server *srv,
			  const struct http_io *io, void *c);

/* A broken invariant of the library: does not return. The kernel panics;
 * the host tests fail the test. */
_Noreturn void http_bug(const char *what);

/* Count one response with this status in http_stats. */
void http_stats_response(int status);

static inline void http_stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}
static inline void http_stat_sub(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_sub(counter, n, __ATOMIC_RELAXED);
}

/* ---- The output buffer (out.c) ---- */

/*
 * Responses are built into a connection's fixed output buffer. Appends
 * never fail on their own: the buffer is written to the connection when
 * it fills, and a piece too large for it goes out straight from the
 * caller's memory after the buffer's worth (a large packed file is not
 * copied). The first write error is kept in err; later appends do
 * nothing and out_flush returns it. Each write gets a fresh deadline of
 * now + write_timeout. writes counts the writes made, so a response can
 * tell whether any of it has left (see response.c).
 */
struct out {
	const struct http_io *io;
	void *c;
	char *buf;
	size_t cap, len;	/* buf[0..len) waits to be written */
	uint64_t write_timeout;
	uint64_t writes;	/* writes to the connection so far */
	int err;		/* first write error (negative errno), sticky */
	/* The last status line, Server and Date, made again when the status
	 * or the second changes (resp_start): head[0..head_len). */
	uint64_t date_sec;	/* unix second of head's Date (0: none yet) */
	int head_status;	/* its status */
	uint32_t head_len;
	char head[112];
};

void out_init(struct out *o, const struct http_io *io, void *c, char *buf,
	      size_t cap, uint64_t write_timeout);
void out_mem_slow(struct out *o, const void *p, size_t n);
/* Append p[0..n): inline while it fits the buffer, which is nearly
 * always. */
static inline void out_mem(struct out *o, const void *p, size_t n)
{
	if (n < o->cap - o->len && !o->err) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
		return;
	}
	out_mem_slow(o, p, n);
}
/* A string: with a literal, its length is known when compiling. */
static inline void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}
void out_u64(struct out *o, uint64_t v);
void out_hex(struct out *o, uint64_t v);
int out_flush(struct out *o);

/* "HTTP/1.1 <status> <reason>", Server and Date. */
void resp_start(struct out *o, int status);
/* Connection (keep-alive or close) and the empty line. */
void resp_end(struct out *o, bool keep_alive);

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */
/* IMF-fixdate (RFC 9110 5.6.7) of unix time t into out[0..30). */
void http_date(char out[HTTP_DATE_LEN + 1], uint64_t t);

/* ---- A connection (server.c) and its response writer (response.c) ---- */

#define HTTP_IN_SIZE (16 * 1024)
#define HTTP_OUT_SIZE (16 * 1024)
/* The response's header lines: room for a Location of a whole
 * percent-encoded path. */
#define HTTP_RESP_HEADERS (8 * 1024)
/* A normalized path, with room for a handler to append "index.html". */
#define HTTP_PATH_MAX (HTTP_MAX_URI + 16)

struct http_response {
	struct http_conn *conn;
	int status;
	bool frozen;		/* status and headers are final */
	bool committed;		/* the head is in the output */
	bool finished;		/* http_error or a failure: nothing more */
	bool has_length;	/* length is the body's size */
	bool length_in_lines;	/* and a line of hbuf says so */
	bool chunked;		/* chunked framing */
	bool no_body;		/* HEAD, 1xx, 204, 304: the head only */
	bool close;		/* the connection ends after this response */
	uint64_t length;	/* has_length: the size promised */
	uint64_t written;	/* body bytes the handler wrote */
	size_t out_start;	/* where this response began in the buffer */
	uint64_t out_writes;	/* out.writes then */
	size_t hlen;		/* hbuf[0..hlen): "Name: value\r\n" lines */
	char hbuf[HTTP_RESP_HEADERS];
};

struct http_conn {
	const struct http_server *srv;
	const struct http_io *io;
	void *c;
	uint32_t start, end;	/* unused input: in[start..end) */
	uint32_t head_start, head_len;	/* of the request being answered */
	uint32_t floor;		/* input below this stays (the head) */
	uint32_t served;	/* requests answered on this connection */
	struct http_body body;	/* the request body's decoder */
	int body_state;		/* 0 reading, HTTP_DONE, or an error */
	bool body_err_seen;	/* the handler was told of the error */
	bool continue_sent;	/* "100 Continue" went out */
	bool read_failed;	/* a read failed (not EOF): reset */
	uint32_t pend_off, pend_len;	/* decoded body data not yet handed out */
	struct out out;
	struct http_parser p;
	struct http_req r;
	struct http_request req;
	struct http_response w;
	char path[HTTP_PATH_MAX];	/* the request's normalized path */
	char in[HTTP_IN_SIZE];
	char obuf[HTTP_OUT_SIZE];
};

/* response.c, for server.c: start a response to the request in c
 * (version and method from c->r); finish it after the handler. */
void resp_init(struct http_conn *c);
void resp_finish(struct http_conn *c);
/* Is the connection to go on after this response? Valid once committed. */
bool resp_keep(const struct http_conn *c);
/* Throw away the response so far and answer status instead (close);
 * false if some of it has left already. */
bool resp_replace(struct http_conn *c, int status);

/* request.c: read the body into buf (NULL: drop it). */
ssize_t body_read(struct http_conn *c, void *buf, size_t len);

/* server.c: read more input at in[end), waiting until deadline, keeping
 * in[floor..start) out of the way. Returns bytes, 0 at EOF, -errno. */
ssize_t conn_read_more(struct http_conn *c, uint64_t deadline);

#endif
