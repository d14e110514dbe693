/*
 * net/tls/tls_cert.c — PEM chain and key loading (tls_cert.h has the
 * contract).
 *
 * BearSSL's PEM decoder is a push parser: it reports the start of each
 * block (with its name) and the end, and hands the base64-decoded bytes of
 * the block to a callback in between. Blocks are collected into a growing
 * buffer bounded by TLS_CERT_MAX_DER, then decoded as DER: certificates by
 * the X.509 decoder (for the leaf's public key), the key by the "skey"
 * decoder (PKCS#1, SEC 1 and PKCS#8). The decoded key points into the
 * decoder's context, so its parts are copied into memory the result owns.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/tls/tls_cert.h"

struct blob {
	unsigned char *buf;
	size_t len, cap;
	bool too_big, nomem;
};

/* Key material is wiped before its memory goes back. */
static void wipe_free(void *p, size_t n)
{
	if (p)
		memset(p, 0, n);
	free(p);
}

static void blob_append(void *ctx, const void *src, size_t len)
{
	struct blob *b = ctx;
	if (b->too_big || b->nomem)
		return;
	if (b->len + len > TLS_CERT_MAX_DER) {
		b->too_big = true;
		return;
	}
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 2048;
		while (cap < b->len + len)
			cap *= 2;
		unsigned char *n = realloc(b->buf, cap);
		if (!n) {
			b->nomem = true;
			return;
		}
		b->buf = n;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, src, len);
	b->len += len;
}

/* One PEM text's blocks: each block whose name `want` accepts is given to
   `take` (which keeps or frees its buffer); others are skipped. */
typedef int pem_take_fn(void *ctx, const char *name, struct blob *b, const char **why);
typedef bool pem_want_fn(const char *name);

static int pem_walk(const char *pem, size_t len, pem_want_fn *want, pem_take_fn *take,
		    void *ctx, const char **why)
{
	br_pem_decoder_context pc;
	struct blob b = { 0 };
	char name[128] = "";
	bool inside = false;
	int err = 0;
	br_pem_decoder_init(&pc);
	/* The trailing newline ends a last line that lacks one. */
	for (int pass = 0; pass < 2 && !err; pass++) {
		const char *p = pass ? "\n" : pem;
		size_t left = pass ? 1 : len;
		while (left && !err) {
			size_t n = br_pem_decoder_push(&pc, p, left);
			p += n;
			left -= n;
			switch (br_pem_decoder_event(&pc)) {
			case BR_PEM_BEGIN_OBJ:
				snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
				inside = true;
				b = (struct blob){ 0 };
				br_pem_decoder_setdest(&pc, want(name) ? blob_append : NULL, &b);
				break;
			case BR_PEM_END_OBJ:
				inside = false;
				if (!want(name))
					break;
				if (b.too_big || b.nomem) {
					*why = b.too_big ? "a PEM block is larger than TLS_CERT_MAX_DER"
							 : "out of memory";
					err = b.too_big ? -EINVAL : -ENOMEM;
					wipe_free(b.buf, b.cap);
				} else {
					err = take(ctx, name, &b, why);
				}
				b = (struct blob){ 0 };
				break;
			case BR_PEM_ERROR:
				*why = "malformed PEM (bad base64 or a BEGIN/END mismatch)";
				err = -EINVAL;
				break;
			}
		}
	}
	if (!err && inside) {
		*why = "a PEM block has no END line";
		err = -EINVAL;
	}
	wipe_free(b.buf, b.cap);
	return err;
}

/* ---- the chain ---- */

static bool want_cert(const char *name)
{
	return !strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CERTIFICATE");
}

static int take_cert(void *ctx, const char *name, struct blob *b, const char **why)
{
	struct tls_cert *c = ctx;
	(void)name;
	if (c->chain_len == TLS_CHAIN_MAX) {
		free(b->buf);
		*why = "more certificates in the chain than TLS_CHAIN_MAX";
		return -EINVAL;
	}
	c->chain[c->chain_len].data = b->buf;
	c->chain[c->chain_len].data_len = b->len;
	c->chain_len++;
	return 0;
}

/* ---- the key ---- */

struct keyload {
	br_skey_decoder_context dc;
	int found;
};

static bool want_key(const char *name)
{
	return strstr(name, "PRIVATE KEY") != NULL;
}

static int take_key(void *ctx, const char *name, struct blob *b, const char **why)
{
	struct keyload *k = ctx;
	int err = 0;
	if (!strcmp(name, "ENCRYPTED PRIVATE KEY")) {
		*why = "the key is encrypted (give it unencrypted: openssl pkey -in K -out K2)";
		err = -EINVAL;
	} else if (strcmp(name, "RSA PRIVATE KEY") && strcmp(name, "EC PRIVATE KEY") &&
		   strcmp(name, "PRIVATE KEY")) {
		*why = "unsupported key block (want RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)";
		err = -EINVAL;
	} else if (k->found++) {
		*why = "more than one private key";
		err = -EINVAL;
	} else {
		br_skey_decoder_init(&k->dc);
		br_skey_decoder_push(&k->dc, b->buf, b->len);
		if (br_skey_decoder_last_error(&k->dc) || !br_skey_decoder_key_type(&k->dc)) {
			*why = "the private key does not decode (or is of an unsupported type)";
			err = -EINVAL;
		}
	}
	wipe_free(b->buf, b->cap);
	return err;
}

static unsigned char *dup_bytes(const void *p, size_t n)
{
	unsigned char *d = malloc(n ? n : 1);
	if (d)
		memcpy(d, p, n);
	return d;
}

static int copy_rsa(struct tls_cert *c, const br_rsa_private_key *sk)
{
	c->rsa = *sk;
	c->rsa.p = dup_bytes(sk->p, sk->plen);
	c->rsa.q = dup_bytes(sk->q, sk->qlen);
	c->rsa.dp = dup_bytes(sk->dp, sk->dplen);
	c->rsa.dq = dup_bytes(sk->dq, sk->dqlen);
	c->rsa.iq = dup_bytes(sk->iq, sk->iqlen);
	c->bits = sk->n_bitlen;
	return c->rsa.p && c->rsa.q && c->rsa.dp && c->rsa.dq && c->rsa.iq ? 0 : -ENOMEM;
}

static int copy_ec(struct tls_cert *c, const br_ec_private_key *sk)
{
	c->ec = *sk;
	c->ec.x = dup_bytes(sk->x, sk->xlen);
	c->bits = sk->curve == BR_EC_secp256r1 ? 256 : sk->curve == BR_EC_secp384r1 ? 384 : 0;
	return c->ec.x ? 0 : -ENOMEM;
}

/* ---- matching the key to the leaf ---- */

static const unsigned char *strip0(const unsigned char *p, size_t *n)
{
	while (*n && !*p) {
		p++;
		(*n)--;
	}
	return p;
}

static bool same_int(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	a = strip0(a, &an);
	b = strip0(b, &bn);
	return an == bn && !memcmp(a, b, an);
}

/* Is the key the private half of the leaf's public key? */
static int check_match(const struct tls_cert *c, const char **why)
{
	br_x509_decoder_context xd;
	br_x509_decoder_init(&xd, NULL, NULL);
	br_x509_decoder_push(&xd, c->chain[0].data, c->chain[0].data_len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&xd);
	if (br_x509_decoder_last_error(&xd) || !pk) {
		*why = "the first certificate does not decode";
		return -EINVAL;
	}
	if (pk->key_type != c->key_type) {
		*why = "the key's type (RSA/EC) differs from the certificate's";
		return -EINVAL;
	}
	if (c->key_type == BR_KEYTYPE_RSA) {
		unsigned char n[512];
		br_rsa_compute_modulus mod = br_rsa_compute_modulus_get_default();
		size_t nlen = mod(NULL, &c->rsa);
		if (nlen > sizeof n || mod(n, &c->rsa) != nlen ||
		    !same_int(n, nlen, pk->key.rsa.n, pk->key.rsa.nlen)) {
			*why = "the key does not belong to the first certificate";
			return -EINVAL;
		}
		return 0;
	}
	unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
	br_ec_public_key pub;
	size_t qlen = br_ec_compute_pub(br_ec_get_default(), &pub, q, &c->ec);
	if (!qlen || pk->key.ec.curve != c->ec.curve || pk->key.ec.qlen != qlen ||
	    memcmp(pk->key.ec.q, q, qlen)) {
		*why = "the key does not belong to the first certificate";
		return -EINVAL;
	}
	return 0;
}

static int load_key(struct tls_cert *c, const char *pem, size_t len, const char **why)
{
	struct keyload *k = calloc(1, sizeof *k);
	if (!k)
		return *why = "out of memory", -ENOMEM;
	int err = pem_walk(pem, len, want_key, take_key, k, why);
	if (!err && !k->found) {
		*why = "no private key in the key text";
		err = -EINVAL;
	}
	if (!err) {
		c->key_type = br_skey_decoder_key_type(&k->dc);
		if (c->key_type == BR_KEYTYPE_RSA)
			err = copy_rsa(c, br_skey_decoder_get_rsa(&k->dc));
		else
			err = copy_ec(c, br_skey_decoder_get_ec(&k->dc));
		if (err)
			*why = "out of memory";
	}
	wipe_free(k, sizeof *k);
	return err;
}

int tls_cert_load(struct tls_cert *out, const char *chain_pem, size_t chain_len,
		  const char *key_pem, size_t key_len, const char **why)
{
	static const char *scratch;
	if (!why)
		why = &scratch;
	memset(out, 0, sizeof *out);
	int err = pem_walk(chain_pem, chain_len, want_cert, take_cert, out, why);
	if (!err && !out->chain_len) {
		*why = "no CERTIFICATE block in the chain text";
		err = -EINVAL;
	}
	if (!err)
		err = load_key(out, key_pem, key_len, why);
	if (!err && out->key_type == BR_KEYTYPE_RSA && out->bits < TLS_RSA_MIN_BITS) {
		*why = "the RSA key is shorter than 2048 bits";
		err = -EINVAL;
	}
	if (!err && out->key_type == BR_KEYTYPE_EC && !out->bits) {
		*why = "the EC key is on an unsupported curve (want P-256 or P-384)";
		err = -EINVAL;
	}
	if (!err)
		err = check_match(out, why);
	if (err)
		tls_cert_free(out);
	return err;
}

void tls_cert_free(struct tls_cert *c)
{
	for (size_t i = 0; i < c->chain_len; i++)
		free(c->chain[i].data);
	if (c->key_type == BR_KEYTYPE_RSA) {
		wipe_free(c->rsa.p, c->rsa.plen);
		wipe_free(c->rsa.q, c->rsa.qlen);
		wipe_free(c->rsa.dp, c->rsa.dplen);
		wipe_free(c->rsa.dq, c->rsa.dqlen);
		wipe_free(c->rsa.iq, c->rsa.iqlen);
	} else if (c->key_type == BR_KEYTYPE_EC) {
		wipe_free(c->ec.x, c->ec.xlen);
	}
	memset(c, 0, sizeof *c);
}

const char *tls_cert_describe(const struct tls_cert *c, char *buf, size_t len)
{
	if (c->key_type == BR_KEYTYPE_RSA)
		snprintf(buf, len, "RSA %u", c->bits);
	else
		snprintf(buf, len, "ECDSA P-%u", c->bits);
	return buf;
}
