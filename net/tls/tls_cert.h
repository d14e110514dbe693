/*
 * net/tls/tls_cert.h — a server's certificate chain and private key, from
 * PEM text.
 *
 *	struct tls_cert cert;
 *	const char *why;
 *	if (tls_cert_load(&cert, chain_pem, chain_len, key_pem, key_len, &why))
 *		printf("tls: %s\n", why);	at boot, before serving
 *	... tls_server_new(&(struct tls_server_opts){ .cert = &cert, ... }) ...
 *	tls_cert_free(&cert);			when no server uses it any more
 *
 * The chain is one or more CERTIFICATE blocks, the server's own first and
 * then the intermediates (the order nginx's ssl_certificate and Go's
 * LoadX509KeyPair want); other blocks in that text are skipped. The key is
 * one RSA PRIVATE KEY (PKCS#1), EC PRIVATE KEY (SEC 1) or PRIVATE KEY
 * (PKCS#8) block; EC PARAMETERS blocks are skipped.
 *
 * What is refused, with -EINVAL and a sentence in *why: malformed PEM or
 * DER; no certificate; more than TLS_CHAIN_MAX of them or one larger than
 * TLS_CERT_MAX_DER; no key, two keys, an encrypted key; an RSA modulus
 * under 2048 bits; an EC key on a curve other than P-256 or P-384; a key
 * that does not belong to the first certificate (its public half is
 * recomputed and compared). -ENOMEM when memory runs out.
 *
 * The result owns its memory (heap, at load time only); it is read-only
 * afterwards and may be shared by every connection on every CPU.
 */
#ifndef NET_TLS_CERT_H
#define NET_TLS_CERT_H

#include <stddef.h>
#include <bearssl.h>

#define TLS_CHAIN_MAX		8
#define TLS_CERT_MAX_DER	(16u << 10)
#define TLS_RSA_MIN_BITS	2048

struct tls_cert {
	br_x509_certificate chain[TLS_CHAIN_MAX];	/* DER, leaf first */
	size_t chain_len;
	int key_type;			/* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	br_rsa_private_key rsa;		/* when RSA */
	br_ec_private_key ec;		/* when EC */
	unsigned bits;			/* RSA modulus bits, or the curve's */
};

int tls_cert_load(struct tls_cert *out, const char *chain_pem, size_t chain_len,
		  const char *key_pem, size_t key_len, const char **why);
void tls_cert_free(struct tls_cert *c);

/* "ECDSA P-256", "RSA 2048", ... for logs. */
const char *tls_cert_describe(const struct tls_cert *c, char *buf, size_t len);

#endif
