/*
 * net/conn.h — blocking TCP connections for tasks: Go's net.Conn,
 * net.Listener and net.Dial in C.
 *
 *	struct listener *l;
 *	net_listen(80, 1024, &l);			IPv4 and IPv6
 *	for (;;) {
 *		struct conn *c;
 *		if (net_accept(l, &c) == 0)
 *			go(serve, c);			one task per connection
 *	}
 *	serve: n = conn_read(c, buf, sizeof buf);	parks until data, EOF or error
 *	       conn_write(c, buf, n);			parks until all of it is queued
 *	       conn_close(c);
 *
 *	struct conn *up;				a client
 *	int r = net_dial("tcp", "example.lan:80", time_ns() + ms(5000), &up);
 *	if (r < 0) printf("dial: %s\n", net_strerror(r));
 *
 * Calls block the calling task only; the CPU runs other tasks meanwhile.
 * Errors are negative errno values (net_strerror, net/addr.h, names
 * them): -ECONNRESET (peer reset), -ETIMEDOUT (a deadline passed), -EPIPE
 * (writing after shutdown or after the connection died), -EBADF (the
 * connection was closed, by this task or another), -ENOTCONN, -ENOMEM
 * (out of connections or buffers); net_dial's are listed there.
 *
 * Deadlines are absolute (time_ns() scale, 0 = none), as in Go: a read or
 * write still blocked at its deadline returns -ETIMEDOUT, and the
 * connection stays usable; once the deadline has passed, every read (or
 * write) fails with -ETIMEDOUT at once until the deadline is moved. A
 * deadline set while a call is blocked applies to that call: moved
 * earlier, the call ends at the new time (at once if it has passed);
 * moved later or cleared, the call waits on.
 *
 * Who may call what, and when a connection is freed:
 *   - At most one task reads and one task writes at any moment (they may
 *     be two tasks); any task may set deadlines, ask for the addresses,
 *     or close, at any time, as with a Go net.Conn.
 *   - A connection is reference counted. net_accept and net_dial hand out
 *     one reference; conn_ref(c) makes one more, for another task that
 *     uses c or may close it (a server that shuts its connections down).
 *     Each reference is given back by exactly one conn_close, conn_abort
 *     or conn_release.
 *   - The first conn_close or conn_abort ends the connection for every
 *     holder: a read or write blocked in another task returns -EBADF at
 *     once, and so does every later call by another holder. conn_release
 *     gives a reference back without ending the connection (unless it is
 *     the last: then it closes as conn_close does). The last reference
 *     given back frees it. A task must not use c after giving back its
 *     own reference.
 * A reset by the peer wakes the parked task with the error; nothing
 * leaks: the connection's buffers are freed when it is closed.
 *
 * Addresses (net/addr.h): conn_peer and conn_local report either family;
 * an IPv4 client of a dual-stack listener is reported as IPv4.
 */
#ifndef NET_CONN_H
#define NET_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "net/addr.h"

struct conn;
struct listener;

/* Listen on TCP `port` of every address, IPv4 and IPv6; `backlog` bounds
   connections the stack has completed but net_accept has not yet taken
   (past it, new ones are reset and counted as refused). Half-open
   connections (the SYN queue) are bounded separately, per listener and
   whatever the backlog, by TCP_DEFAULT_LISTEN_BACKLOG (8,192: lwipopts.h),
   as Linux bounds them by tcp_max_syn_backlog. -EADDRINUSE, -ENOMEM (16
   listeners at most). Says so on the console ("net: listening on TCP
   port N": make run forwards to it). */
int net_listen(uint16_t port, int backlog, struct listener **out);
/* The next connection; blocks until one arrives or the deadline passes
   (0 = none): -ETIMEDOUT; -EBADF once the listener is closed. */
int net_accept_until(struct listener *l, struct conn **out, uint64_t deadline);
static inline int net_accept(struct listener *l, struct conn **out)
{
	return net_accept_until(l, out, 0);
}
/* Stop listening; connections not yet accepted are reset, a blocked
   net_accept returns -EBADF. */
void net_listener_close(struct listener *l);

/* Connect over TCP, as Go's net.Dialer with a Deadline. network is "tcp"
   (either family), "tcp4" or "tcp6"; address is "host:port", host an IPv4
   address, a bracketed IPv6 address ("[fe80::1%2]:80") or a name, which
   is resolved (A and AAAA, net/dns.h) within the same deadline. With
   several addresses each is tried in turn, as Go does: the family the
   machine can reach first (IPv6 when it has a global IPv6 address), each
   attempt given an equal share of the time left (2 s at least). deadline
   0: none (lwIP gives up a SYN after 7 tries 3 s apart, about 20 s).
   Returns 0 with *out holding one reference, or the first attempt's
   error:
     -EINVAL        malformed address, unknown network, port 0
     -ENOENT        no such host (the name server said so); -EDESTADDRREQ
                    no name server known; -ETIMEDOUT also when DNS is slow
     -ECONNREFUSED  the host answered the SYN with a reset
     -ETIMEDOUT     no answer by the deadline, or lwIP gave up
     -ENETUNREACH   no route: no address of that family, no gateway for an
                    off-link destination
     -EHOSTUNREACH  the next hop (the host itself or the gateway) never
                    answered ARP or neighbor discovery
     -ENOMEM        out of connections, pcbs or buffers */
int net_dial(const char *network, const char *address, uint64_t deadline, struct conn **out);
/* Connect to one address (a->port must not be 0); errors as above. */
int net_dial_addr(const struct net_addr *a, uint64_t deadline, struct conn **out);

/* Read at most len bytes: > 0 bytes read, 0 at end of stream (the peer
   shut its side), or a negative errno. */
ssize_t conn_read(struct conn *c, void *buf, size_t len);
/* Queue all len bytes for sending, blocking while the send buffer is
   full: len, or a negative errno (some bytes may have been queued). */
ssize_t conn_write(struct conn *c, const void *buf, size_t len);
/* Send FIN after what is queued; reads go on. */
int conn_shutdown_write(struct conn *c);
/* One more reference to c, for another task (see above); returns c. The
   caller must hold a reference itself. */
struct conn *conn_ref(struct conn *c);
/* End the connection gracefully (queued data is still sent) if no one has
   yet, and give back the caller's reference. */
void conn_close(struct conn *c);
/* The same, but reset (RST) if it is not ended yet. */
void conn_abort(struct conn *c);
/* Give back the caller's reference and leave the connection to the other
   holders (the last reference given back closes it, gracefully). */
void conn_release(struct conn *c);
void conn_set_read_deadline(struct conn *c, uint64_t deadline);
void conn_set_write_deadline(struct conn *c, uint64_t deadline);
/* The peer's address and port: 0, or -ENOTCONN once the connection is
   gone (reset, or closed). */
int conn_peer(struct conn *c, struct net_addr *out);
/* The local address and port the connection uses; as conn_peer. */
int conn_local(struct conn *c, struct net_addr *out);

/* The connection layer's counters: TCP, and (filled by their own files)
   UDP sockets (net/udp.h) and name lookups (net/dns.h). /metrics
   publishes them. Every field a uint64_t; new ones go at the end. */
struct net_conn_stats {
	uint64_t open;			/* connections not yet freed */
	uint64_t accepted;		/* total handed to net_accept */
	uint64_t refused;		/* dropped: accept queue or pool full */
	uint64_t resets;		/* reset by the peer or the stack */
	uint64_t timeouts;		/* reads/writes that hit a deadline */
	uint64_t write_nomem;		/* writes that found the shared send memory
					   used up and waited for some */
	uint64_t bytes_in, bytes_out;
	uint64_t dialed;		/* connections net_dial* established */
	uint64_t dial_errors;		/* dial attempts that failed */
	uint64_t udp_open;		/* UDP sockets not yet closed */
	uint64_t udp_rx, udp_tx;	/* datagrams read by apps / sent */
	uint64_t udp_rx_dropped;	/* arrived to a full socket queue */
	uint64_t udp_tx_errors;		/* sends that failed (no buffer, no route) */
	uint64_t dns_lookups;		/* queries the resolver started */
	uint64_t dns_not_found;		/* ... answered: no such host */
	uint64_t dns_timeouts;		/* ... unanswered */
	uint64_t syn_half_open;		/* SYNs answered, handshake not done (gauge) */
	uint64_t syn_evicted;		/* half-open dropped for a newer SYN: full queue */
	uint64_t tcp_active;		/* lwIP's TCP pcbs that are neither listening
					   nor in TIME_WAIT: half-open, open and
					   closing connections (gauge) */
	uint64_t tcp_time_wait;		/* pcbs in TIME_WAIT (gauge; they go after
					   2 MSL, or first when the pool runs out) */
	/* The net lock (net/netlock.h): how often it was taken, how often a
	   taker found it held, how long it was held and waited for. */
	uint64_t lock_acquired, lock_contended, lock_busy;
	uint64_t lock_hold_ns, lock_wait_ns;
};
void net_conn_stats(struct net_conn_stats *out);

#endif
