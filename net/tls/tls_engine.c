/*
 * net/tls/tls_engine.c — the server engine's configuration and error
 * classes (tls_engine.h has the policy and why).
 *
 * The configuration is br_ssl_server_init_full_ec/_rsa's, narrowed: those
 * enable every suite BearSSL has (CBC, 3DES, static ECDH and RSA key
 * exchange, TLS 1.0) and this enables only the TLS 1.2 ECDHE+AEAD ones,
 * so that the rest is not even linked into the kernel.
 */
#include <errno.h>
#include <string.h>
#include "net/tls/ec_x25519.h"
#include "net/tls/tls_engine.h"

/* ---- SNI ---- */

/* Case-insensitive compare of n bytes. */
static bool same_ci(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
	}
	return true;
}

/* One pattern [p, p+n) against name: exact, or "*.rest" matching one
   label followed by ".rest". */
static bool match_one(const char *p, size_t n, const char *name)
{
	size_t len = strlen(name);
	if (n >= 2 && p[0] == '*' && p[1] == '.') {
		const char *dot = strchr(name, '.');
		return dot && dot != name && strlen(dot) == n - 1 && same_ci(dot, p + 1, n - 1);
	}
	return n == len && same_ci(p, name, n);
}

bool tls_name_match(const char *patterns, const char *name)
{
	for (const char *p = patterns; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n && match_one(p, n, name))
			return true;
		p += n + (end != NULL);
	}
	return false;
}

static int policy_choose(const br_ssl_server_policy_class **pctx, const br_ssl_server_context *cc,
			 br_ssl_server_choices *choices)
{
	struct tls_policy *pol = (struct tls_policy *)pctx;
	const char *sni = br_ssl_engine_get_server_name(&cc->eng);
	if (pol->names && sni[0] && !tls_name_match(pol->names, sni)) {
		pol->sni_unknown = true;
		if (pol->strict) {
			pol->sni_refused = true;
			return 0;
		}
	}
	return (*pol->inner)->choose(pol->inner, cc, choices);
}

static uint32_t policy_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
			       size_t *len)
{
	struct tls_policy *pol = (struct tls_policy *)pctx;
	return (*pol->inner)->do_keyx(pol->inner, data, len);
}

static size_t policy_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
			     unsigned char *data, size_t hv_len, size_t len)
{
	struct tls_policy *pol = (struct tls_policy *)pctx;
	return (*pol->inner)->do_sign(pol->inner, algo_id, data, hv_len, len);
}

static const br_ssl_server_policy_class policy_vtable = {
	sizeof(struct tls_policy), policy_choose, policy_do_keyx, policy_do_sign,
};

/* ---- the engine ---- */

static size_t pick_suites(uint16_t *out, int key_type)
{
	static const uint16_t ec_aes[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	};
	static const uint16_t rsa_aes[] = {
		BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	};
	const uint16_t *s = key_type == BR_KEYTYPE_EC ? ec_aes : rsa_aes;
	if (br_aes_x86ni_ctr_get_vtable()) {
		memcpy(out, s, 3 * sizeof *s);
	} else {
		out[0] = s[2];
		out[1] = s[0];
		out[2] = s[1];
	}
	return 3;
}

static void set_crypto(br_ssl_engine_context *e)
{
	/* SHA-1 stays for the signature hash of a client that sends no
	   signature_algorithms (RFC 5246's default); MD5 is not needed by
	   TLS 1.2 at all. */
	static const br_hash_class *const hashes[] = {
		[br_sha1_ID] = &br_sha1_vtable,     [br_sha224_ID] = &br_sha224_vtable,
		[br_sha256_ID] = &br_sha256_vtable, [br_sha384_ID] = &br_sha384_vtable,
		[br_sha512_ID] = &br_sha512_vtable,
	};
	for (int id = br_sha1_ID; id <= br_sha512_ID; id++)
		br_ssl_engine_set_hash(e, id, hashes[id]);
	br_ssl_engine_set_prf_sha256(e, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(e, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(e);
	br_ssl_engine_set_default_chapol(e);
	br_ssl_engine_set_ec(e, &tls_ec_impl);	/* our X25519, BearSSL's m31 for the rest */
}

int tls_engine_setup(br_ssl_server_context *sc, struct tls_policy *pol,
		     const struct tls_engine_opts *o, unsigned char *ibuf, unsigned char *obuf,
		     const void *seed, size_t seed_len)
{
	const struct tls_cert *c = o->cert;
	br_ssl_engine_context *e = &sc->eng;
	uint16_t suites[3];

	br_ssl_server_zero(sc);
	br_ssl_engine_set_versions(e, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(e, suites, pick_suites(suites, c->key_type));
	set_crypto(e);
	if (c->key_type == BR_KEYTYPE_EC)
		br_ssl_server_set_single_ec(sc, c->chain, c->chain_len, &c->ec, BR_KEYTYPE_SIGN,
					    BR_KEYTYPE_EC, br_ssl_engine_get_ec(e),
					    br_ecdsa_sign_asn1_get_default());
	else
		br_ssl_server_set_single_rsa(sc, c->chain, c->chain_len, &c->rsa, BR_KEYTYPE_SIGN,
					     br_rsa_private_get_default(),
					     br_rsa_pkcs1_sign_get_default());
	*pol = (struct tls_policy){
		.vtable = &policy_vtable,
		.inner = &sc->chain_handler.vtable,
		.names = o->names,
		.strict = o->sni_strict,
	};
	br_ssl_server_set_policy(sc, &pol->vtable);

	size_t nalpn = 0;
	while (nalpn < TLS_ALPN_MAX && o->alpn[nalpn])
		nalpn++;
	if (nalpn)
		br_ssl_engine_set_protocol_names(e, (const char **)o->alpn, nalpn);
	br_ssl_engine_set_all_flags(e, BR_OPT_ENFORCE_SERVER_PREFERENCES | BR_OPT_NO_RENEGOTIATION);
	if (o->cache)
		br_ssl_server_set_cache(sc, o->cache);
	br_ssl_engine_set_buffers_bidi(e, ibuf, TLS_IBUF_SIZE, obuf, TLS_OBUF_SIZE);
	br_ssl_engine_inject_entropy(e, seed, seed_len);
	return br_ssl_server_reset(sc) ? 0 : -EINVAL;
}

/* ---- errors ---- */

const char *tls_fail_name(enum tls_fail f)
{
	static const char *const names[TLS_FAIL_N] = {
		[TLS_FAIL_TIMEOUT] = "timeout",	    [TLS_FAIL_EOF] = "eof",
		[TLS_FAIL_IO] = "io",		    [TLS_FAIL_NOT_TLS] = "not_tls",
		[TLS_FAIL_VERSION] = "version",	    [TLS_FAIL_OVERSIZED] = "oversized",
		[TLS_FAIL_HANDSHAKE] = "handshake", [TLS_FAIL_SNI] = "sni",
		[TLS_FAIL_ALERT] = "alert",	    [TLS_FAIL_PROTOCOL] = "protocol",
		[TLS_FAIL_NO_SLOT] = "no_slot",	    [TLS_FAIL_NO_ENTROPY] = "no_entropy",
	};
	return (unsigned)f < TLS_FAIL_N ? names[f] : "?";
}

enum tls_fail tls_classify(int br_err, int *err)
{
	*err = -EPROTO;
	switch (br_err) {
	case BR_ERR_TOO_LARGE:
	case BR_ERR_BAD_LENGTH:
		*err = -EMSGSIZE;
		return TLS_FAIL_OVERSIZED;
	case BR_ERR_UNSUPPORTED_VERSION:
	case BR_ERR_BAD_VERSION:
	case BR_ERR_SEND_FATAL_ALERT + BR_ALERT_PROTOCOL_VERSION:
		return TLS_FAIL_VERSION;
	case BR_ERR_BAD_HANDSHAKE:
	case BR_ERR_BAD_CIPHER_SUITE:
	case BR_ERR_BAD_COMPRESSION:
	case BR_ERR_BAD_SNI:
	case BR_ERR_SEND_FATAL_ALERT + BR_ALERT_HANDSHAKE_FAILURE:
		return TLS_FAIL_HANDSHAKE;
	case BR_ERR_NO_RANDOM:
		*err = -EAGAIN;
		return TLS_FAIL_NO_ENTROPY;
	}
	if (br_err >= BR_ERR_RECV_FATAL_ALERT && br_err < BR_ERR_SEND_FATAL_ALERT)
		return TLS_FAIL_ALERT;
	return TLS_FAIL_PROTOCOL;
}

bool tls_looks_like_hello(const unsigned char *p, size_t n)
{
	/* Record type 22 (handshake), then major version 3. */
	return n >= 1 && p[0] == 22 && (n < 2 || p[1] == 3);
}

const char *tls_suite_name(unsigned suite)
{
	switch (suite) {
	case BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: return "ECDHE-ECDSA-AES128-GCM-SHA256";
	case BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: return "ECDHE-ECDSA-AES256-GCM-SHA384";
	case BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: return "ECDHE-ECDSA-CHACHA20-POLY1305";
	case BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: return "ECDHE-RSA-AES128-GCM-SHA256";
	case BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: return "ECDHE-RSA-AES256-GCM-SHA384";
	case BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: return "ECDHE-RSA-CHACHA20-POLY1305";
	}
	return "unknown";
}
