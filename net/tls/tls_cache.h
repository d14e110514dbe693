/*
 * net/tls/tls_cache.h — the session cache shared by every connection of a
 * TLS server, on every CPU (internal to net/tls/).
 *
 * BearSSL's LRU cache (a red-black tree keyed by an HMAC of the session
 * ID, 100 bytes an entry, in a store the caller gives) is not safe for
 * concurrent use; this wraps its vtable with a spinlock. Each call is a
 * tree walk and a 100-byte copy, so interrupts stay off for
 * microseconds. Resumption is by session ID (RFC 5246 7.4.1.2): BearSSL
 * 0.6 has no session tickets.
 *
 * A successful load is noted in the connection (tls_cache_loaded), which
 * is how tls.c tells an abbreviated handshake from a full one.
 */
#ifndef NET_TLS_CACHE_H
#define NET_TLS_CACHE_H

#include <bearssl.h>
#include "kernel/spinlock.h"

#define TLS_CACHE_ENTRY 100	/* BearSSL's LRU entry size */

struct tls_cache {
	const br_ssl_session_cache_class *vtable;	/* first: BearSSL's handle */
	struct spinlock lock;				/* protects lru */
	br_ssl_session_cache_lru lru;
	unsigned char *store;
	/* Called (without the lock) after a load found the session. */
	void (*loaded)(br_ssl_server_context *sc, const br_ssl_session_parameters *p);
};

/* 0, or -ENOMEM. */
int tls_cache_init(struct tls_cache *c, unsigned sessions,
		   void (*loaded)(br_ssl_server_context *, const br_ssl_session_parameters *));
void tls_cache_free(struct tls_cache *c);

#endif
