/*
 * net/tls/tls.h — TLS server connections for tasks, with the blocking
 * shape of net/conn.h (Go's tls.Server over a net.Conn).
 *
 *	struct tls_cert cert;			net/tls/tls_cert.h: PEM in
 *	tls_cert_load(&cert, chain, chain_len, key, key_len, &why);
 *	struct tls_server *srv;
 *	tls_server_new(&(struct tls_server_opts){ .cert = &cert }, &srv);
 *	... net_accept(l, &c); go(serve, c); ...
 *	serve:	struct tls_conn *t;
 *		if (tls_accept(srv, c, time_ns() + ms(10000), &t) < 0)
 *			return;				c is closed already
 *		n = tls_read(t, buf, sizeof buf);	parks, like conn_read
 *		tls_write(t, buf, n);
 *		tls_close(t);
 *
 * The handshake runs in tls_accept, in the calling task, on blocking
 * conn_read/conn_write underneath; so do the records of tls_read and
 * tls_write. One task per connection, nothing shared but the server's
 * read-only configuration, its session cache (under a spinlock) and its
 * counters (atomics).
 *
 * Errors are negative errno values, and the first one sticks: every later
 * call returns it again.
 *   -ETIMEDOUT   a deadline passed (the handshake's, or one set by
 *                tls_set_read/write_deadline): a stalled handshake ends
 *                there. After the handshake a read or write deadline
 *                leaves the connection usable, as with conn_*, unless a
 *                record was half sent.
 *   -EPROTO      not TLS, a protocol error, an alert from the peer, a
 *                version older than TLS 1.2, no common suite
 *   -EMSGSIZE    a record longer than TLS allows
 *   -ECONNRESET  the peer reset TCP, or closed it mid-handshake
 *   -EPIPE       writing after tls_shutdown_write or after the peer closed
 *   -ENOMEM      max_conns TLS connections were open until the deadline
 *                (a handshake waits for a block: see tls.c), or no memory
 *   -EAGAIN      the entropy source is not seeded (kernel/entropy.h)
 * tls_last_fail(t) names the reason (enum tls_fail) for logs.
 *
 * End of stream: tls_read returns 0 after the peer's close_notify, and
 * also when the peer closes TCP after a complete record without one (as
 * Go and OpenSSL 3's servers with IGNORE_UNEXPECTED_EOF do: many HTTP
 * clients never send close_notify; HTTP's own framing says whether a body
 * was cut short). A record cut short is never delivered.
 *
 * Ownership: tls_accept takes c; on failure it has closed it. The
 * tls_conn belongs to one task at a time (unlike conn_*, no separate
 * reader and writer: both drive the same engine). tls_close and tls_abort
 * end it.
 */
#ifndef NET_TLS_TLS_H
#define NET_TLS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "net/conn.h"
#include "net/tls/tls_cert.h"
#include "net/tls/tls_engine.h"

struct tls_server;
struct tls_conn;

#define TLS_MAX_CONNS_DEFAULT	1024
#define TLS_CACHE_DEFAULT	4096	/* sessions remembered (100 bytes each) */

struct tls_server_opts {
	const struct tls_cert *cert;	/* required; must outlive the server */
	/* ALPN names offered, NULL-terminated; all NULL: {"http/1.1"}. The
	   strings (like names) must outlive the server. */
	const char *alpn[TLS_ALPN_MAX];
	const char *names;		/* SNI patterns (tls_engine.h); NULL: any */
	bool sni_strict;		/* refuse an SNI outside names */
	unsigned max_conns;		/* 0: TLS_MAX_CONNS_DEFAULT */
	unsigned cache_sessions;	/* 0: TLS_CACHE_DEFAULT */
	bool no_cache;			/* no session resumption */
};

/* Whether TLS can start: 0 when the kernel's entropy source is seeded;
   else -EAGAIN (a source is expected but has not delivered) or -ENOSYS
   (none exists), with why saying so in one line for the console. */
int tls_ready(char *why, size_t len);

/* Memory: the session cache now, and up to max_conns connections of
   about TLS_CONN_BYTES later (taken on demand, kept for reuse). */
int tls_server_new(const struct tls_server_opts *o, struct tls_server **out);
/* Free a server none of whose connections is open. */
void tls_server_free(struct tls_server *s);

/* Run the server side of a handshake on c, within `deadline` (absolute,
   time_ns() scale, 0 = none). On success *out is the connection, with no
   deadlines set. */
int tls_accept(struct tls_server *s, struct conn *c, uint64_t deadline, struct tls_conn **out);

ssize_t tls_read(struct tls_conn *t, void *buf, size_t len);
/* All of len bytes, sent as records before it returns (no buffering
   across calls): len, or a negative errno. */
ssize_t tls_write(struct tls_conn *t, const void *buf, size_t len);
/* Send close_notify and FIN; reads go on until the peer's close_notify
   or EOF (application data after our close_notify is discarded). */
int tls_shutdown_write(struct tls_conn *t);
/* close_notify (sent within 1 s at most), then conn_close; frees t. */
void tls_close(struct tls_conn *t);
/* Reset the TCP connection at once; frees t. */
void tls_abort(struct tls_conn *t);
void tls_set_read_deadline(struct tls_conn *t, uint64_t deadline);
void tls_set_write_deadline(struct tls_conn *t, uint64_t deadline);
int tls_peer(struct tls_conn *t, struct net_addr *out);
/* The local address and port; as conn_local. */
int tls_local(struct tls_conn *t, struct net_addr *out);

struct tls_info {
	unsigned version;		/* 0x0303 */
	unsigned suite;			/* tls_suite_name() names it */
	const char *alpn;		/* NULL: none agreed */
	const char *sni;		/* "" when the client sent none */
	bool resumed;			/* an abbreviated handshake */
	int curve;			/* the ECDHE curve (BR_EC_*) */
};
void tls_info(struct tls_conn *t, struct tls_info *out);
enum tls_fail tls_last_fail(struct tls_conn *t);

struct tls_stats {
	uint64_t handshakes;		/* completed, full or resumed */
	uint64_t resumptions;		/* of which abbreviated */
	/* Connections ended by each reason: TLS failures at any time, and
	   timeouts and resets only during the handshake. */
	uint64_t failures[TLS_FAIL_N];
	uint64_t sni_unknown;		/* SNI outside names (served or not) */
	uint64_t open;			/* connections now */
	uint64_t slots;			/* connection slots allocated so far */
	uint64_t slot_waits;		/* handshakes that waited for a slot */
};
void tls_stats(struct tls_stats *out);

#endif
