/*
 * net/conn.h — blocking TCP connections for tasks: Go's net.Conn in C.
 *
 *	struct listener *l;
 *	net_listen(80, 1024, &l);
 *	for (;;) {
 *		struct conn *c;
 *		if (net_accept(l, &c) == 0)
 *			go(serve, c);			one task per connection
 *	}
 *	serve: n = conn_read(c, buf, sizeof buf);	parks until data, EOF or error
 *	       conn_write(c, buf, n);			parks until all of it is queued
 *	       conn_close(c);
 *
 * Calls block the calling task only; the CPU runs other tasks meanwhile.
 * Errors are negative errno values: -ECONNRESET (peer reset), -ETIMEDOUT
 * (a deadline passed), -EPIPE (writing after shutdown or after the
 * connection died), -ENOTCONN, -ENOMEM (out of connections or buffers).
 *
 * Deadlines are absolute (time_ns() scale, 0 = none), as in Go: a read or
 * write still blocked at its deadline returns -ETIMEDOUT, and the
 * connection stays usable. conn_abort resets the connection (RST) at once.
 *
 * Ownership: one task uses a connection at a time (one reader and one
 * writer at most at any moment); conn_close or conn_abort ends it, after
 * which the pointer is invalid. A reset by the peer wakes the parked task
 * with the error; nothing leaks: the connection's buffers are freed when
 * it is closed.
 */
#ifndef NET_CONN_H
#define NET_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct conn;
struct listener;

/* Listen on TCP `port` of every address; `backlog` bounds connections
   the stack has completed but net_accept has not yet taken (past it, new
   ones are reset and counted as refused). Half-open connections are
   bounded separately, by min(backlog, 255) (lwIP's limit). */
int net_listen(uint16_t port, int backlog, struct listener **out);
/* The next connection; blocks until one arrives or the deadline passes
   (0 = none): -ETIMEDOUT; -EBADF once the listener is closed. */
int net_accept_until(struct listener *l, struct conn **out, uint64_t deadline);
static inline int net_accept(struct listener *l, struct conn **out)
{
	return net_accept_until(l, out, 0);
}
/* Stop listening; connections not yet accepted are reset. */
void net_listener_close(struct listener *l);

/* Read at most len bytes: > 0 bytes read, 0 at end of stream (the peer
   shut its side), or a negative errno. */
ssize_t conn_read(struct conn *c, void *buf, size_t len);
/* Queue all len bytes for sending, blocking while the send buffer is
   full: len, or a negative errno (some bytes may have been queued). */
ssize_t conn_write(struct conn *c, const void *buf, size_t len);
/* Send FIN after what is queued; reads go on. */
int conn_shutdown_write(struct conn *c);
/* Close gracefully (queued data is still sent) and free the connection. */
void conn_close(struct conn *c);
/* Reset (RST) and free the connection. */
void conn_abort(struct conn *c);
void conn_set_read_deadline(struct conn *c, uint64_t deadline);
void conn_set_write_deadline(struct conn *c, uint64_t deadline);
/* The peer's IPv4 address (network byte order) and port. */
int conn_peer(struct conn *c, uint32_t *addr, uint16_t *port);

struct net_conn_stats {
	uint64_t open;			/* connections not yet closed */
	uint64_t accepted;		/* total handed to net_accept */
	uint64_t refused;		/* dropped: accept queue or pool full */
	uint64_t resets;		/* reset by the peer or the stack */
	uint64_t timeouts;		/* reads/writes that hit a deadline */
	uint64_t bytes_in, bytes_out;
};
void net_conn_stats(struct net_conn_stats *out);

#endif
