/*
 * net/udp.h — blocking UDP sockets for tasks: Go's net.PacketConn
 * (net.ListenPacket("udp", ":53")) in C.
 *
 *	struct udp_sock *s;
 *	net_listen_udp(53, &s);				IPv4 and IPv6
 *	for (;;) {
 *		struct net_addr from;
 *		ssize_t n = udp_read_from(s, buf, sizeof buf, &from);
 *		if (n >= 0)
 *			udp_write_to(s, reply, len, &from);
 *	}
 *	udp_close(s);
 *
 * A client opens port 0 (an ephemeral port) and writes to its server.
 *
 * Datagrams are kept whole: a read returns one datagram, cut to len when
 * it is longer (the rest is dropped, as in Go). Each socket queues at most
 * a bounded number of received datagrams (UDP_QUEUE_DEFAULT, or
 * udp_set_queue_limit); one arriving to a full queue is dropped and
 * counted (udp_rx_dropped in net_conn_stats, net/conn.h, and per socket),
 * so a slow reader costs datagrams, never memory. Writes never block:
 * lwIP sends or fails at once (-ENOBUFS when out of buffers).
 *
 * Errors are negative errno values: -ETIMEDOUT (a deadline passed), -EBADF
 * (closed, by this task or another), -EMSGSIZE (too long for one
 * datagram), -EINVAL (no address, port 0, a family the socket cannot
 * reach), -ENETUNREACH (no route), -ENOBUFS, -ENOMEM (no socket free).
 *
 * Deadlines are absolute (time_ns() scale, 0 = none) and work as on a
 * connection (net/conn.h): one set while a read is blocked applies to it.
 * A write deadline that has passed makes writes fail with -ETIMEDOUT.
 *
 * Who may call what: any number of tasks may read and write one socket at
 * once (each datagram goes to one reader); any task may set deadlines or
 * close. Lifetime follows connections: net_listen_udp hands out one
 * reference, udp_ref another; each is given back by one udp_close or
 * udp_release; the first close wakes every blocked reader with -EBADF
 * (udp_release leaves the socket open unless its reference was the
 * last), the last reference given back frees the socket.
 */
#ifndef NET_UDP_H
#define NET_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "net/addr.h"

struct udp_sock;

/* Datagrams a socket queues before it drops, unless udp_set_queue_limit
   says otherwise. */
#define UDP_QUEUE_DEFAULT 256
/* Largest payload of one datagram (IPv4: 65535 - 20 - 8). */
#define UDP_MAX_PAYLOAD 65507

/* A socket on UDP `port` of every local address, IPv4 and IPv6; 0 picks
   a free ephemeral port (udp_local tells which). 0, -EADDRINUSE, -ENOMEM. */
int net_listen_udp(uint16_t port, struct udp_sock **out);
/* The next datagram: its length (<= len; it is cut when longer), with
   the sender's address and port in *from (may be NULL). Blocks until one
   arrives, the read deadline passes (-ETIMEDOUT) or the socket is closed
   (-EBADF). */
ssize_t udp_read_from(struct udp_sock *s, void *buf, size_t len, struct net_addr *from);
/* Send one datagram of len bytes (0 allowed) to `to`: len, or a negative
   errno. */
ssize_t udp_write_to(struct udp_sock *s, const void *buf, size_t len, const struct net_addr *to);
void udp_set_read_deadline(struct udp_sock *s, uint64_t deadline);
void udp_set_write_deadline(struct udp_sock *s, uint64_t deadline);
/* Queue at most n datagrams (1..4096; those already queued stay). */
int udp_set_queue_limit(struct udp_sock *s, unsigned n);
/* The local address: any-address (::) and the bound port. */
int udp_local(struct udp_sock *s, struct net_addr *out);
/* One more reference, for another task; returns s. */
struct udp_sock *udp_ref(struct udp_sock *s);
/* Close the socket if no one has yet, and give back the caller's
   reference. */
void udp_close(struct udp_sock *s);
/* Give back the caller's reference, leaving the socket open for the other
   holders (closed when this was the last reference). */
void udp_release(struct udp_sock *s);

struct udp_sock_stats {
	uint64_t rx;			/* datagrams read */
	uint64_t rx_dropped;		/* dropped: the queue was full */
	uint64_t tx;			/* datagrams sent */
	uint64_t queued;		/* waiting to be read now */
};
void udp_sock_stats(struct udp_sock *s, struct udp_sock_stats *out);

#endif
