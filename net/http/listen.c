/*
 * net/http/listen.c — the library in the guest: http_listen_and_serve,
 * the accept loop, one task per connection, and the wiring of the
 * server's core (server.h) to net/conn.h and the runtime. Everything a
 * connection does is in server.c and runs on the host too; this file is
 * the part that only runs in the guest.
 *
 * One task per connection (a 128 KiB stack reservation, of which a
 * request touches a few pages). A connection over max_conns is answered
 * 503 by a short task of its own; at most REFUSERS of those run at once
 * per server, past that an extra connection is reset.
 */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include "net/conn.h"
#include "net/http/server.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

#define CONN_STACK (128u << 10)
#define REFUSERS 64		/* 503 tasks at once */

static ssize_t io_read(void *c, void *buf, size_t len)
{
	return conn_read(c, buf, len);
}

static ssize_t io_write(void *c, const void *buf, size_t len)
{
	return conn_write(c, buf, len);
}

static int io_shutdown_write(void *c)
{
	return conn_shutdown_write(c);
}

static void io_read_deadline(void *c, uint64_t d)
{
	conn_set_read_deadline(c, d);
}

static void io_write_deadline(void *c, uint64_t d)
{
	conn_set_write_deadline(c, d);
}

static const struct http_io conn_io = {
	.read = io_read,
	.write = io_write,
	.shutdown_write = io_shutdown_write,
	.set_read_deadline = io_read_deadline,
	.set_write_deadline = io_write_deadline,
};

_Noreturn void http_bug(const char *what)
{
	printf("http: bug: %s\n", what);
	abort();
}

/*
 * A task gets one pointer: the connection, with the server's slot in
 * servers[] in its low bits (a struct conn is aligned to 8 at least).
 * That keeps accept free of allocations (a job struct per connection
 * would be one) and of a hand-off wait.
 */
#define MAX_SERVERS 8
static struct http_server *servers[MAX_SERVERS];
static unsigned nservers;
_Static_assert(_Alignof(max_align_t) >= MAX_SERVERS, "slots fit the low bits");

static void *tag(struct conn *c, unsigned slot)
{
	return (void *)((uintptr_t)c | slot);
}

static struct conn *untag(void *arg, struct http_server **srv)
{
	*srv = servers[(uintptr_t)arg & (MAX_SERVERS - 1)];
	return (struct conn *)((uintptr_t)arg & ~(uintptr_t)(MAX_SERVERS - 1));
}

static void serve_task(void *arg)
{
	struct http_server *srv;
	struct conn *c = untag(arg, &srv);

	if (http_serve_conn(srv, &conn_io, c) == HTTP_END_CLOSE)
		conn_close(c);
	else
		conn_abort(c);
	http_release(srv);
}

static void refuse_task(void *arg)
{
	struct http_server *srv;
	struct conn *c = untag(arg, &srv);

	if (http_refuse(srv, &conn_io, c) == HTTP_END_CLOSE)
		conn_close(c);
	else
		conn_abort(c);
	__atomic_fetch_sub(&srv->refusers, 1, __ATOMIC_RELAXED);
}

/* Hand c to a task of its own: a server, or over max_conns a refuser. */
static void dispatch(struct http_server *srv, unsigned slot, struct conn *c)
{
	static const struct task_attr serve_attr = { "http", CONN_STACK, -1 };
	static const struct task_attr refuse_attr = { "http-503", 16u << 10,
						      -1 };

	if (http_admit(srv)) {
		if (!task_spawn(&serve_attr, serve_task, tag(c, slot))) {
			http_release(srv);
			conn_abort(c); /* out of memory: refuse this one */
		}
		return;
	}
	if (__atomic_add_fetch(&srv->refusers, 1, __ATOMIC_RELAXED) > REFUSERS ||
	    !task_spawn(&refuse_attr, refuse_task, tag(c, slot))) {
		__atomic_fetch_sub(&srv->refusers, 1, __ATOMIC_RELAXED);
		conn_abort(c);
	}
}

/* The machine under the core: the clock, the allocation counter, and
 * Date's epoch (the wall clock at boot, else the server's fallback). */
static void init_sys(const struct http_server *srv)
{
	uint64_t boot_ns = rt_unix_boot_ns();

	http_sys.now = time_ns;
	http_sys.alloc_count = rt_malloc_count;
	if (boot_ns)
		http_sys.epoch_ns = boot_ns;
	else if (!http_sys.epoch_ns)
		http_sys.epoch_ns = srv->date_fallback * 1000000000ull;
}

int http_serve(struct http_server *srv, struct listener *l)
{
	struct conn *c;
	unsigned slot;
	int r;

	slot = __atomic_fetch_add(&nservers, 1, __ATOMIC_RELAXED);
	if (slot >= MAX_SERVERS)
		return -ENOSPC;
	servers[slot] = srv;
	init_sys(srv);
	for (;;) {
		r = net_accept(l, &c);
		if (r == -EBADF)
			return r;
		if (r < 0) {
			printf("http: accept failed: %d\n", r);
			task_sleep(ms(10));
			continue;
		}
		dispatch(srv, slot, c);
	}
}

int http_listen_and_serve(struct http_server *srv, uint16_t port)
{
	struct listener *l;
	int r = net_listen(port, 4096, &l);

	return r < 0 ? r : http_serve(srv, l);
}
