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
 *
 * Stacks before heap. A connection's task must be able to grow its
 * stack (a stack fault with no page is a panic) while a handler's malloc
 * may fail (app=kv answers 507). Each server, when it starts, promises
 * the runtime's stacks the pages of its connections: max_conns (at most
 * the connections the memory holds, net/limits.h) at CONN_STACK_PAGES
 * each, and its REFUSERS at REFUSER_STACK_PAGES; the heap does not grow
 * into what of that is not mapped yet (rt_stack_reserve, runtime/stack.c
 * THE HEAP'S FLOOR). A smaller max_conns leaves the heap more.
 *
 * Two listener kinds, one core: http_serve hands the core net/conn.h
 * connections, http_serve_tls TLS ones (net/tls/tls.h), both behind the
 * same struct http_io, so handlers never know which they got. A TLS
 * connection's handshake runs first, in the connection's own task,
 * within limits.header_timeout (a stalled handshake is the slowloris of
 * TLS); a failed one is counted by net/tls and the task ends. Over
 * max_conns a TLS connection is reset rather than answered 503: an
 * answer would cost a whole handshake to the server that is full.
 */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include "net/conn.h"
#include "net/http/server.h"
#include "net/limits.h"
#include "net/tls/tls.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

#define CONN_STACK (128u << 10)
#define REFUSERS 64		/* 503 tasks at once */
#define CONN_STACK_PAGES 8	/* a connection task's stack, grown (app=kv's
				   PUT: 200 tasks held 1,648 pages) */
#define REFUSER_STACK_PAGES 2

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

static int io_peer(void *c, struct net_addr *out)
{
	return conn_peer(c, out);
}

static const struct http_io conn_io = {
	.read = io_read,
	.write = io_write,
	.shutdown_write = io_shutdown_write,
	.set_read_deadline = io_read_deadline,
	.set_write_deadline = io_write_deadline,
	.peer = io_peer,
};

static ssize_t tio_read(void *t, void *buf, size_t len)
{
	return tls_read(t, buf, len);
}

static ssize_t tio_write(void *t, const void *buf, size_t len)
{
	return tls_write(t, buf, len);
}

static int tio_shutdown_write(void *t)
{
	return tls_shutdown_write(t);
}

static void tio_read_deadline(void *t, uint64_t d)
{
	tls_set_read_deadline(t, d);
}

static void tio_write_deadline(void *t, uint64_t d)
{
	tls_set_write_deadline(t, d);
}

static int tio_peer(void *t, struct net_addr *out)
{
	return tls_peer(t, out);
}

static const struct http_io tls_io = {
	.read = tio_read,
	.write = tio_write,
	.shutdown_write = tio_shutdown_write,
	.set_read_deadline = tio_read_deadline,
	.set_write_deadline = tio_write_deadline,
	.peer = tio_peer,
};

_Noreturn void http_bug(const char *what)
{
	printf("http: bug: %s\n", what);
	abort();
}

/*
 * A task gets one pointer: the connection, with the listener's slot in
 * servers[] in its low bits (a struct conn is aligned to 8 at least).
 * That keeps accept free of allocations (a job struct per connection
 * would be one) and of a hand-off wait. A slot is a server and, for an
 * HTTPS listener, its TLS server.
 */
#define MAX_SERVERS 8
static struct slot {
	struct http_server *srv;
	struct tls_server *tls;		/* NULL: plain TCP */
} servers[MAX_SERVERS];
static unsigned nservers;
_Static_assert(_Alignof(max_align_t) >= MAX_SERVERS, "slots fit the low bits");

static void *tag(struct conn *c, unsigned slot)
{
	return (void *)((uintptr_t)c | slot);
}

static struct conn *untag(void *arg, struct slot **s)
{
	*s = &servers[(uintptr_t)arg & (MAX_SERVERS - 1)];
	return (struct conn *)((uintptr_t)arg & ~(uintptr_t)(MAX_SERVERS - 1));
}

static void serve_task(void *arg)
{
	struct slot *s;
	struct conn *c = untag(arg, &s);
	struct http_server *srv = s->srv;
	struct tls_conn *t;

	if (!s->tls) {
		if (http_serve_conn(srv, &conn_io, c) == HTTP_END_CLOSE)
			conn_close(c);
		else
			conn_abort(c);
	} else if (tls_accept(s->tls, c, time_ns() + srv->limits.header_timeout,
			      &t) == 0) {	/* on failure c is closed already */
		if (http_serve_conn(srv, &tls_io, t) == HTTP_END_CLOSE)
			tls_close(t);
		else
			tls_abort(t);
	}
	http_release(srv);
}

static void refuse_task(void *arg)
{
	struct slot *s;
	struct conn *c = untag(arg, &s);
	struct http_server *srv = s->srv;

	if (http_refuse(srv, &conn_io, c) == HTTP_END_CLOSE)
		conn_close(c);
	else
		conn_abort(c);
	__atomic_fetch_sub(&srv->refusers, 1, __ATOMIC_RELAXED);
}

/* Hand c to a task of its own: a server, or over max_conns a refuser
 * (plain TCP; a TLS connection is reset). */
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
	if (servers[slot].tls) {
		conn_abort(c);
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
	http_sys.cpu = task_cpu;
	if (boot_ns)
		http_sys.epoch_ns = boot_ns;
	else if (!http_sys.epoch_ns)
		http_sys.epoch_ns = srv->date_fallback * 1000000000ull;
}

/* The stack pages every server started so far may need (each server
   once: HTTP and HTTPS may share one), promised to the runtime. */
static void promise_stacks(void)
{
	static struct mutex m = MUTEX_INIT;
	uint64_t pages = 0;

	mutex_lock(&m);
	for (unsigned i = 0; i < MAX_SERVERS; i++) {
		struct http_server *srv = __atomic_load_n(&servers[i].srv, __ATOMIC_ACQUIRE);
		bool seen = false;
		if (!srv)
			continue;
		for (unsigned j = 0; j < i; j++)
			seen |= __atomic_load_n(&servers[j].srv, __ATOMIC_ACQUIRE) == srv;
		if (seen)
			continue;
		uint64_t conns = srv->limits.max_conns;
		if (net_limits.tcp_conns && conns > net_limits.tcp_conns)
			conns = net_limits.tcp_conns;
		pages += conns * CONN_STACK_PAGES + REFUSERS * REFUSER_STACK_PAGES;
	}
	rt_stack_reserve(pages);
	mutex_unlock(&m);
}

static int serve(struct http_server *srv, struct tls_server *tls,
		 struct listener *l)
{
	struct conn *c;
	unsigned slot;
	int r;

	slot = __atomic_fetch_add(&nservers, 1, __ATOMIC_RELAXED);
	if (slot >= MAX_SERVERS)
		return -ENOSPC;
	servers[slot].tls = tls;
	__atomic_store_n(&servers[slot].srv, srv, __ATOMIC_RELEASE);
	promise_stacks();
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

int http_serve(struct http_server *srv, struct listener *l)
{
	return serve(srv, NULL, l);
}

int http_serve_tls(struct http_server *srv, struct listener *l,
		   struct tls_server *tls)
{
	return tls ? serve(srv, tls, l) : -EINVAL;
}

int http_listen_and_serve(struct http_server *srv, uint16_t port)
{
	struct listener *l;
	int r = net_listen(port, 4096, &l);

	return r < 0 ? r : http_serve(srv, l);
}
