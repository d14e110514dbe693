/*
 * apps/httpd/httpd.h — the HTTP server's core, as its kernel glue
 * (httpd.c) and the host tests see it.
 *
 * The core is plain C over two small interfaces, so that everything a
 * connection does can run on the host against a scripted fake:
 *   struct httpd_io   one connection's blocking I/O (net/conn.h in the
 *                     kernel: conn_read, conn_write, deadlines)
 *   httpd_sys         the machine: clock, allocation counter, the numbers
 *                     /metrics reports from the layers below
 *
 * Call order:
 *   fill httpd_limits and httpd_sys               once, before serving
 *   for each accepted connection c:
 *       if (httpd_admit())                        a slot under max_conns
 *           in a task of its own:
 *               end = httpd_serve(&io, c);        every request, until close
 *               conn_close(c) or conn_abort(c), as end says;
 *               httpd_release();
 *       else
 *           in a short task: httpd_refuse(&io, c) (503), then as above
 *           without httpd_release
 *
 * httpd_serve blocks only inside io->read and io->write. It keeps all of
 * a connection's state in its own frame (about 36 KiB, most of it the two
 * buffers below, touched only as far as they fill): the request path
 * never allocates from the heap.
 *
 * Threads: any number of connections may be served at once on any CPUs.
 * Shared state is the counters (atomic) and httpd_limits / httpd_sys,
 * which are written before serving starts and only read afterwards.
 */
#ifndef APPS_HTTPD_HTTPD_H
#define APPS_HTTPD_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct metrics_snapshot;

/*
 * A connection's I/O, blocking, with net/conn.h's contract: read returns
 * bytes read (> 0), 0 at end of stream, or a negative errno (-ETIMEDOUT
 * once the read deadline passed); write queues all len bytes and returns
 * len, or a negative errno. Deadlines are absolute, on httpd_sys.now's
 * scale; 0 means none.
 */
struct httpd_io {
	ssize_t (*read)(void *c, void *buf, size_t len);
	ssize_t (*write)(void *c, const void *buf, size_t len);
	int (*shutdown_write)(void *c);
	void (*set_read_deadline)(void *c, uint64_t deadline);
	void (*set_write_deadline)(void *c, uint64_t deadline);
};

/* Limits; times in nanoseconds. Every one is settable on the kernel
 * command line (httpd.c lists the keys and the defaults). */
struct httpd_limits {
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
				   what the client still sends (see server.c) */
};

struct httpd_sys {
	uint64_t (*now)(void);		/* nanoseconds since boot */
	/* Heap allocations made so far, anywhere (runtime's rt_malloc_count);
	   NULL if not counted. */
	uint64_t (*alloc_count)(void);
	/* Fill the numbers /metrics shows from below the server (scheduler,
	   heap, network); NULL: only the server's own. */
	void (*snapshot)(struct metrics_snapshot *s);
	/* Unix time in nanoseconds at now() == 0, for the Date header: the
	   machine's wall clock (rt_unix_ns), else the image's build time. */
	uint64_t epoch_ns;
};

extern struct httpd_limits httpd_limits;
extern struct httpd_sys httpd_sys;

enum httpd_end {
	HTTPD_CLOSE,	/* finish gracefully (conn_close) */
	HTTPD_ABORT,	/* reset (conn_abort): the peer is gone or misbehaves */
};

/* Serve connection c until it ends; says how to end it. Caller: a task
 * that owns c (httpd_admit said yes). */
enum httpd_end httpd_serve(const struct httpd_io *io, void *c);

/* Take a connection slot: false when max_conns are being served already
 * (the caller then answers with httpd_refuse). */
bool httpd_admit(void);
/* Give back a slot taken by httpd_admit. */
void httpd_release(void);

/* Answer 503 and close gracefully: what a connection over max_conns
 * gets. Its own buffers are small; it holds no slot. */
enum httpd_end httpd_refuse(const struct httpd_io *io, void *c);

/* A broken invariant of the server: does not return. The kernel glue
 * panics; the host tests fail the test. */
_Noreturn void httpd_bug(const char *what);

#endif
