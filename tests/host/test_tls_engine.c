// host-test-sources: net/tls/tls_engine.c net/tls/ec_x25519.c net/tls/tls_cert.c build/bearssl/host/lib/libbearssl.a
/* Host unit tests for net/tls/tls_engine.c: the SNI patterns, the error
   classes, and whole handshakes in memory between a BearSSL client and a
   server engine configured by tls_engine_setup — the protocol, suites,
   ALPN, resumption, refusals (old versions, CBC-only clients, strict SNI,
   renegotiation) and the record-size limit. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/tls/tls_engine.h"
#include "tests/host/hosttest.h"

#define DATA "tests/host/data/tls/"

/* ---- pure pieces ---- */

HT_TEST(sni_patterns)
{
	HT_CHECK(tls_name_match("example.com", "example.com"));
	HT_CHECK(tls_name_match("example.com", "EXAMPLE.com"));
	HT_CHECK(!tls_name_match("example.com", "www.example.com"));
	HT_CHECK(tls_name_match("a.org,*.example.com", "www.example.com"));
	HT_CHECK(!tls_name_match("*.example.com", "example.com"));
	HT_CHECK(!tls_name_match("*.example.com", "a.b.example.com"));
	HT_CHECK(!tls_name_match("*.example.com", ".example.com"));
	HT_CHECK(tls_name_match("x,,localhost", "localhost"));
	HT_CHECK(!tls_name_match("", "localhost"));
	HT_CHECK(!tls_name_match(NULL, "localhost"));
	HT_CHECK(!tls_name_match("localhost", "localhos"));
}

HT_TEST(error_classes)
{
	int e;
	HT_EQ(tls_classify(BR_ERR_TOO_LARGE, &e), TLS_FAIL_OVERSIZED);
	HT_EQ(e, -EMSGSIZE);
	HT_EQ(tls_classify(BR_ERR_BAD_LENGTH, &e), TLS_FAIL_OVERSIZED);
	HT_EQ(tls_classify(BR_ERR_UNSUPPORTED_VERSION, &e), TLS_FAIL_VERSION);
	HT_EQ(e, -EPROTO);
	HT_EQ(tls_classify(BR_ERR_SEND_FATAL_ALERT + 70, &e), TLS_FAIL_VERSION);
	HT_EQ(tls_classify(BR_ERR_BAD_HANDSHAKE, &e), TLS_FAIL_HANDSHAKE);
	HT_EQ(tls_classify(BR_ERR_RECV_FATAL_ALERT + 48, &e), TLS_FAIL_ALERT);
	HT_EQ(tls_classify(BR_ERR_BAD_MAC, &e), TLS_FAIL_PROTOCOL);
	HT_EQ(tls_classify(BR_ERR_NO_RANDOM, &e), TLS_FAIL_NO_ENTROPY);
	HT_EQ(e, -EAGAIN);
	for (int f = 0; f < TLS_FAIL_N; f++)
		HT_CHECK(strcmp(tls_fail_name(f), "?") != 0);
	HT_STREQ(tls_fail_name(TLS_FAIL_N), "?");
}

HT_TEST(first_bytes)
{
	HT_CHECK(tls_looks_like_hello((const unsigned char *)"\x16\x03\x01", 3));
	HT_CHECK(tls_looks_like_hello((const unsigned char *)"\x16", 1));
	HT_CHECK(!tls_looks_like_hello((const unsigned char *)"GET / HTTP/1.1", 14));
	HT_CHECK(!tls_looks_like_hello((const unsigned char *)"\x80\x2e\x01", 3));	/* SSL 2.0 */
	HT_CHECK(!tls_looks_like_hello((const unsigned char *)"\x17\x03\x03", 3));
	HT_CHECK(!tls_looks_like_hello((const unsigned char *)"", 0));
}

/* ---- handshakes in memory ---- */

static struct tls_cert cert;

static void load_cert(const char *crt, const char *key)
{
	char *t[2];
	size_t n[2];
	const char *names[2] = { crt, key };
	for (int i = 0; i < 2; i++) {
		char path[128];
		snprintf(path, sizeof path, DATA "%s", names[i]);
		FILE *f = fopen(path, "rb");
		HT_CHECK(f != NULL);
		t[i] = malloc(1 << 16);
		n[i] = fread(t[i], 1, 1 << 16, f);
		fclose(f);
	}
	const char *why = "";
	int e = tls_cert_load(&cert, t[0], n[0], t[1], n[1], &why);
	free(t[0]);
	free(t[1]);
	if (e)
		ht_fail(__FILE__, __LINE__, "load %s: %s", crt, why);
}

struct pair {
	br_ssl_server_context sc;
	struct tls_policy pol;
	unsigned char sibuf[TLS_IBUF_SIZE], sobuf[TLS_OBUF_SIZE];
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	br_x509_knownkey_context kk;
	br_x509_decoder_context xd;
	unsigned char cbuf[BR_SSL_BUFSIZE_BIDI];
	br_ssl_session_cache_lru lru;
	unsigned char store[100 * 16];
};
static struct pair *P;

static struct tls_engine_opts opts(void)
{
	return (struct tls_engine_opts){ .cert = &cert, .alpn = { "http/1.1" },
					 .cache = &P->lru.vtable };
}

static void client_setup(void)
{
	br_ssl_client_context *cc = &P->cc;
	{
		br_ssl_client_init_full(cc, &P->xc, NULL, 0);
		br_x509_decoder_init(&P->xd, NULL, NULL);
		br_x509_decoder_push(&P->xd, cert.chain[0].data, cert.chain[0].data_len);
		const br_x509_pkey *pk = br_x509_decoder_get_pkey(&P->xd);
		if (pk->key_type == BR_KEYTYPE_EC)
			br_x509_knownkey_init_ec(&P->kk, &pk->key.ec, BR_KEYTYPE_SIGN | BR_KEYTYPE_KEYX);
		else
			br_x509_knownkey_init_rsa(&P->kk, &pk->key.rsa, BR_KEYTYPE_SIGN | BR_KEYTYPE_KEYX);
		br_ssl_engine_set_x509(&cc->eng, &P->kk.vtable);
		br_ssl_engine_set_buffer(&cc->eng, P->cbuf, sizeof P->cbuf, 1);
		static const char *alpn[] = { "h2", "http/1.1" };
		br_ssl_engine_set_protocol_names(&cc->eng, alpn, 2);
		br_ssl_engine_inject_entropy(&cc->eng, "client seed, fixed for the test", 32);
	}
}

static int server_setup(const struct tls_engine_opts *o)
{
	return tls_engine_setup(&P->sc, &P->pol, o, P->sibuf, P->sobuf,
				"server seed, fixed for the test!", 32);
}

/* Move bytes both ways until neither engine can move any; returns when
   both are idle (handshake done, or one side failed). */
static void shuttle(void)
{
	br_ssl_engine_context *a = &P->cc.eng, *b = &P->sc.eng;
	for (int round = 0; round < 10000; round++) {
		bool moved = false;
		br_ssl_engine_context *from[2] = { a, b }, *to[2] = { b, a };
		for (int i = 0; i < 2; i++) {
			size_t out_len, in_len;
			unsigned char *out = br_ssl_engine_sendrec_buf(from[i], &out_len);
			unsigned char *in = br_ssl_engine_recvrec_buf(to[i], &in_len);
			if (out && (br_ssl_engine_current_state(to[i]) & BR_SSL_CLOSED)) {
				/* Like TCP into a closed socket: gone. */
				br_ssl_engine_sendrec_ack(from[i], out_len);
				moved = true;
				continue;
			}
			if (!out || !in)
				continue;
			size_t k = out_len < in_len ? out_len : in_len;
			memcpy(in, out, k);
			br_ssl_engine_sendrec_ack(from[i], k);
			br_ssl_engine_recvrec_ack(to[i], k);
			moved = true;
		}
		if (!moved)
			return;
	}
	ht_fail(__FILE__, __LINE__, "engines never went idle");
}

static bool ready(br_ssl_engine_context *e)
{

	return br_ssl_engine_current_state(e) & BR_SSL_SENDAPP;
}

static void handshake(const char *sni)
{
	client_setup();
	HT_CHECK(br_ssl_client_reset(&P->cc, sni, 0));
	struct tls_engine_opts o = opts();
	HT_EQ(server_setup(&o), 0);
	shuttle();
}

static void begin(const char *crt, const char *key)
{
	P = calloc(1, sizeof *P);
	br_ssl_session_cache_lru_init(&P->lru, P->store, sizeof P->store);
	load_cert(crt, key);
}

static void end(void)
{
	tls_cert_free(&cert);
	free(P);
}

HT_TEST(ecdsa_handshake_is_tls12_aead_with_alpn)
{
	begin("ec256.crt", "ec256.key");
	handshake("localhost");
	HT_CHECK(ready(&P->sc.eng));
	HT_CHECK(ready(&P->cc.eng));
	HT_EQ(br_ssl_engine_get_version(&P->sc.eng), BR_TLS12);
	HT_STREQ(tls_suite_name(P->sc.eng.session.cipher_suite), "ECDHE-ECDSA-AES128-GCM-SHA256");
	HT_STREQ(br_ssl_engine_get_selected_protocol(&P->sc.eng), "http/1.1");
	HT_STREQ(br_ssl_engine_get_server_name(&P->sc.eng), "localhost");
	HT_CHECK(!P->pol.sni_unknown);
	end();
}

HT_TEST(rsa_handshake_uses_ecdhe_rsa)
{
	begin("rsa2048.crt", "rsa2048.key");
	handshake("localhost");
	HT_CHECK(ready(&P->sc.eng));
	HT_STREQ(tls_suite_name(P->sc.eng.session.cipher_suite), "ECDHE-RSA-AES128-GCM-SHA256");
	end();
}

HT_TEST(chacha20_when_the_client_wants_only_that)
{
	begin("ec256.crt", "ec256.key");
	client_setup();
	static const uint16_t only[] = { BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 };
	br_ssl_engine_set_suites(&P->cc.eng, only, 1);
	HT_CHECK(br_ssl_client_reset(&P->cc, "localhost", 0));
	struct tls_engine_opts o = opts();
	HT_EQ(server_setup(&o), 0);
	shuttle();
	HT_CHECK(ready(&P->sc.eng));
	HT_STREQ(tls_suite_name(P->sc.eng.session.cipher_suite), "ECDHE-ECDSA-CHACHA20-POLY1305");
	end();
}

HT_TEST(application_data_both_ways)
{
	begin("ec256.crt", "ec256.key");
	handshake("localhost");
	size_t len;
	unsigned char *p = br_ssl_engine_sendapp_buf(&P->cc.eng, &len);
	memcpy(p, "GET / HTTP/1.1\r\n\r\n", 18);
	br_ssl_engine_sendapp_ack(&P->cc.eng, 18);
	br_ssl_engine_flush(&P->cc.eng, 0);
	shuttle();
	p = br_ssl_engine_recvapp_buf(&P->sc.eng, &len);
	HT_CHECK(p != NULL);
	HT_EQ(len, 18);
	HT_CHECK(!memcmp(p, "GET / HTTP/1.1\r\n\r\n", 18));
	end();
}

/* A client changed by tweak() against the default server: the server
   must end closed, with an error of class `want`. */
static void expect_refused(void (*tweak)(br_ssl_engine_context *), enum tls_fail want)
{
	begin("ec256.crt", "ec256.key");
	client_setup();
	tweak(&P->cc.eng);
	HT_CHECK(br_ssl_client_reset(&P->cc, "localhost", 0));
	struct tls_engine_opts o = opts();
	HT_EQ(server_setup(&o), 0);
	shuttle();
	HT_CHECK(br_ssl_engine_current_state(&P->sc.eng) & BR_SSL_CLOSED);
	int e;
	HT_EQ(tls_classify(br_ssl_engine_last_error(&P->sc.eng), &e), want);
	end();
}

static void tls10_11_only(br_ssl_engine_context *e)
{
	br_ssl_engine_set_versions(e, BR_TLS10, BR_TLS11);
}

static void cbc_only(br_ssl_engine_context *e)
{
	static const uint16_t cbc[] = { BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
					BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA };
	br_ssl_engine_set_suites(e, cbc, 2);
}

HT_TEST(old_versions_refused)
{
	expect_refused(tls10_11_only, TLS_FAIL_VERSION);
}

HT_TEST(cbc_only_client_refused)
{
	expect_refused(cbc_only, TLS_FAIL_HANDSHAKE);
}

HT_TEST(session_resumed_from_the_cache)
{
	begin("ec256.crt", "ec256.key");
	handshake("localhost");
	HT_CHECK(ready(&P->sc.eng));
	br_ssl_session_parameters first;
	br_ssl_engine_get_session_parameters(&P->cc.eng, &first);
	HT_EQ(first.session_id_len, 32);
	/* Again with the same client context: it offers the session. */
	HT_CHECK(br_ssl_client_reset(&P->cc, "localhost", 1));
	struct tls_engine_opts o = opts();
	HT_EQ(server_setup(&o), 0);
	shuttle();
	HT_CHECK(ready(&P->sc.eng));
	HT_CHECK(!memcmp(P->sc.eng.session.session_id, first.session_id, 32));
	end();
}

HT_TEST(unknown_sni_served_or_refused)
{
	begin("ec256.crt", "ec256.key");
	client_setup();
	HT_CHECK(br_ssl_client_reset(&P->cc, "other.example", 0));
	struct tls_engine_opts o = opts();
	o.names = "localhost";
	HT_EQ(server_setup(&o), 0);
	shuttle();
	HT_CHECK(ready(&P->sc.eng));	/* served: the client's check decides */
	HT_CHECK(P->pol.sni_unknown && !P->pol.sni_refused);

	HT_CHECK(br_ssl_client_reset(&P->cc, "other.example", 0));
	o.sni_strict = true;
	HT_EQ(server_setup(&o), 0);
	shuttle();
	HT_CHECK(br_ssl_engine_current_state(&P->sc.eng) & BR_SSL_CLOSED);
	HT_CHECK(P->pol.sni_refused);

	HT_CHECK(br_ssl_client_reset(&P->cc, "localhost", 0));
	HT_EQ(server_setup(&o), 0);
	shuttle();
	HT_CHECK(ready(&P->sc.eng));	/* a listed name still works */
	HT_CHECK(!P->pol.sni_unknown);
	end();
}

HT_TEST(renegotiation_refused_connection_kept)
{
	begin("ec256.crt", "ec256.key");
	handshake("localhost");
	HT_CHECK(br_ssl_engine_renegotiate(&P->cc.eng));
	shuttle();
	/* The server said no_renegotiation and stays usable; the client
	   (BearSSL treats that warning as fatal) gave up. */
	HT_EQ(br_ssl_engine_last_error(&P->sc.eng), BR_ERR_OK);
	HT_CHECK(ready(&P->sc.eng));
	HT_CHECK(br_ssl_engine_current_state(&P->cc.eng) & BR_SSL_CLOSED);
	end();
}

HT_TEST(oversized_record_refused)
{
	begin("ec256.crt", "ec256.key");
	handshake("localhost");
	/* An application-data record header claiming 18,000 bytes: more than
	   any AEAD record of 16 KiB plaintext can be. */
	static const unsigned char hdr[5] = { 23, 3, 3, 18000 >> 8, 18000 & 0xff };
	size_t len;
	unsigned char *in = br_ssl_engine_recvrec_buf(&P->sc.eng, &len);
	HT_CHECK(in && len >= 5);
	memcpy(in, hdr, 5);
	br_ssl_engine_recvrec_ack(&P->sc.eng, 5);
	shuttle();
	HT_CHECK(br_ssl_engine_current_state(&P->sc.eng) & BR_SSL_CLOSED);
	int e;
	HT_EQ(tls_classify(br_ssl_engine_last_error(&P->sc.eng), &e), TLS_FAIL_OVERSIZED);
	HT_EQ(e, -EMSGSIZE);
	end();
}

HT_TEST(oversized_plaintext_handshake_record_refused)
{
	begin("ec256.crt", "ec256.key");
	struct tls_engine_opts o = opts();
	HT_EQ(server_setup(&o), 0);
	static const unsigned char hdr[5] = { 22, 3, 1, 0x40, 0x01 };	/* 16,385 */
	size_t len;
	unsigned char *in = br_ssl_engine_recvrec_buf(&P->sc.eng, &len);
	memcpy(in, hdr, 5);
	br_ssl_engine_recvrec_ack(&P->sc.eng, 5);
	HT_CHECK(br_ssl_engine_current_state(&P->sc.eng) & BR_SSL_CLOSED);
	int e;
	HT_EQ(tls_classify(br_ssl_engine_last_error(&P->sc.eng), &e), TLS_FAIL_OVERSIZED);
	end();
}
