/*
 * net/tls/tls_engine.h — Weft's TLS policy as a BearSSL server engine
 * configuration, and what its errors mean. Pure code (no runtime, no
 * network): the kernel's connections (tls.c), the host tests and the fuzz
 * target all configure their engines here, so what is fuzzed is what
 * serves.
 *
 * The policy (issue 11's floor, and no more):
 *   - TLS 1.2 only: a ClientHello whose highest version is older gets a
 *     protocol_version alert; there is no TLS 1.3 in BearSSL 0.6.
 *   - ECDHE key exchange only (the certificate's key only signs), with
 *     X25519, P-256, P-384 or P-521 as the client prefers.
 *   - AEAD suites only, server order: AES-128-GCM, AES-256-GCM,
 *     ChaCha20-Poly1305 when the CPU has AES-NI (constant-time AES in
 *     software is slow, so without it ChaCha20-Poly1305 comes first); with
 *     ECDSA or RSA authentication to match the certificate.
 *   - No renegotiation: a client's new ClientHello is answered with a
 *     no_renegotiation warning and ignored (BR_OPT_NO_RENEGOTIATION).
 *   - ALPN: the server's list (http/1.1 by default) against the client's;
 *     no common name means no ALPN answer, not a failure (as nginx does).
 *   - SNI: see tls_policy below.
 *
 * Buffers. A full-duplex engine with an input buffer of
 * BR_SSL_BUFSIZE_INPUT (16 KiB of plaintext plus the largest AEAD record
 * overhead: a peer may send full-size records and TLS gives no way to
 * refuse them short of the max_fragment_length extension, which clients
 * rarely send) and an output buffer of BR_SSL_BUFSIZE_OUTPUT (full-size
 * records out: a large response costs 29 bytes of framing and one AEAD
 * call per 16 KiB, not per 4). Full duplex, because a pipelining client
 * may have its next request in the input buffer while we write the
 * answer to the one before. A record longer than the input buffer holds
 * is refused (BR_ERR_TOO_LARGE / BR_ERR_BAD_LENGTH: "oversized").
 */
#ifndef NET_TLS_ENGINE_H
#define NET_TLS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <bearssl.h>
#include "net/tls/tls_cert.h"

#define TLS_IBUF_SIZE	BR_SSL_BUFSIZE_INPUT
#define TLS_OBUF_SIZE	BR_SSL_BUFSIZE_OUTPUT
#define TLS_ALPN_MAX	4

/* SNI. With no names configured, any SNI (or none) gets the one
   certificate, as nginx's default server and Go's single-certificate
   config do: checking the name is the client's job, and a client that
   asked for another name rejects the certificate itself. With names
   (comma-separated, "*.example.com" matching one label), an SNI outside
   them is counted (sni_unknown); when `strict`, it is refused with a
   handshake_failure alert (BearSSL's failure from the policy's choose).
   A client sending no SNI is always served. */
struct tls_policy {
	const br_ssl_server_policy_class *vtable;	/* first: BearSSL's handle */
	const br_ssl_server_policy_class **inner;	/* the single-cert policy */
	const char *names;
	bool strict;
	bool sni_unknown;		/* out: the SNI was not among names */
	bool sni_refused;		/* out: ... and strict refused it */
};

struct tls_engine_opts {
	const struct tls_cert *cert;
	const char *alpn[TLS_ALPN_MAX];	/* NULL-terminated; alpn[0] NULL: none */
	const char *names;		/* NULL: any SNI */
	bool sni_strict;
	/* The session cache (NULL: none); BearSSL calls it with no lock. */
	const br_ssl_session_cache_class **cache;
};

/* Configure sc for one connection, with its buffers and policy (all must
   outlive sc), seed its DRBG with seed (32 bytes from rand_bytes: BearSSL
   has no entropy of its own here) and reset it for a new handshake.
   Returns 0, or -EINVAL when BearSSL refuses the configuration. */
int tls_engine_setup(br_ssl_server_context *sc, struct tls_policy *pol,
		     const struct tls_engine_opts *o, unsigned char *ibuf, unsigned char *obuf,
		     const void *seed, size_t seed_len);

/* Does `name` (an SNI) match one of the comma-separated patterns? */
bool tls_name_match(const char *patterns, const char *name);

/* Why connections fail, for counters and logs. */
enum tls_fail {
	TLS_FAIL_TIMEOUT,	/* a deadline passed (stalled handshake) */
	TLS_FAIL_EOF,		/* the peer closed TCP mid-handshake */
	TLS_FAIL_IO,		/* TCP reset or another connection error */
	TLS_FAIL_NOT_TLS,	/* the first bytes are no TLS handshake record */
	TLS_FAIL_VERSION,	/* the client offers nothing we speak (< TLS 1.2) */
	TLS_FAIL_OVERSIZED,	/* a record longer than TLS or our buffer allows */
	TLS_FAIL_HANDSHAKE,	/* no common suite/curve/signature, bad hello */
	TLS_FAIL_SNI,		/* strict SNI refused the name */
	TLS_FAIL_ALERT,		/* the peer sent a fatal alert (e.g. unknown_ca) */
	TLS_FAIL_PROTOCOL,	/* anything else: bad MAC, unexpected message */
	TLS_FAIL_NO_SLOT,	/* max connections reached */
	TLS_FAIL_NO_ENTROPY,	/* the DRBG is not seeded */
	TLS_FAIL_N
};
const char *tls_fail_name(enum tls_fail f);	/* "timeout", "eof", ... */

/* A BearSSL engine error (br_ssl_engine_last_error, not BR_ERR_OK) as a
   reason and the negative errno the connection returns: -EMSGSIZE for an
   oversized record, -EPROTO for everything else. */
enum tls_fail tls_classify(int br_err, int *err);

/* Does this start of a connection look like a TLS handshake record? (Not
   TLS: plain HTTP on the TLS port, SSL 2.0 hellos, noise.) */
bool tls_looks_like_hello(const unsigned char *p, size_t n);

/* "ECDHE-ECDSA-AES128-GCM-SHA256" (OpenSSL's names), or "unknown". */
const char *tls_suite_name(unsigned suite);

#endif
