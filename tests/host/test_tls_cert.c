// host-test-sources: net/tls/tls_cert.c build/bearssl/host/lib/libbearssl.a
/* Host unit tests for net/tls/tls_cert.c: PEM chains and keys, and every
   refusal, against the fixtures in tests/host/data/tls/ (see its README). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/tls/tls_cert.h"
#include "tests/host/hosttest.h"

#define DATA "tests/host/data/tls/"

struct text {
	char *p;
	size_t n;
};

static struct text slurp(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, DATA "%s", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		ht_fail(__FILE__, __LINE__, "cannot open %s", path);
	struct text t = { malloc(1 << 16), 0 };
	t.n = fread(t.p, 1, 1 << 16, f);
	fclose(f);
	return t;
}

static struct text cat(struct text a, struct text b)
{
	struct text t = { malloc(a.n + b.n + 1), a.n + b.n };
	memcpy(t.p, a.p, a.n);
	memcpy(t.p + a.n, b.p, b.n);
	free(a.p);
	free(b.p);
	return t;
}

static struct tls_cert cert;
static const char *why;

/* Load files; returns the error, leaving why set. */
static int load_texts(struct text c, struct text k)
{
	why = NULL;
	int e = tls_cert_load(&cert, c.p, c.n, k.p, k.n, &why);
	free(c.p);
	free(k.p);
	return e;
}

static int load(const char *crt, const char *key)
{
	return load_texts(slurp(crt), slurp(key));
}

static void expect_refusal(int e, const char *substr)
{
	HT_EQ(e, -EINVAL);
	HT_CHECK(why != NULL);
	if (!strstr(why, substr))
		ht_fail(__FILE__, __LINE__, "why = \"%s\", want \"%s\" in it", why, substr);
	HT_EQ(cert.chain_len, 0);	/* nothing kept, nothing leaked */
}

HT_TEST(ec_p256_sec1_with_parameters_block)
{
	HT_EQ(load("ec256.crt", "ec256.key"), 0);
	HT_EQ(cert.key_type, BR_KEYTYPE_EC);
	HT_EQ(cert.bits, 256);
	HT_EQ(cert.chain_len, 1);
	HT_EQ(cert.ec.curve, BR_EC_secp256r1);
	char d[32];
	HT_STREQ(tls_cert_describe(&cert, d, sizeof d), "ECDSA P-256");
	tls_cert_free(&cert);
	HT_EQ(cert.chain_len, 0);
}

HT_TEST(ec_p256_pkcs8)
{
	HT_EQ(load("ec256.crt", "ec256.p8.key"), 0);
	HT_EQ(cert.key_type, BR_KEYTYPE_EC);
	tls_cert_free(&cert);
}

HT_TEST(rsa_2048_pkcs1_and_pkcs8)
{
	HT_EQ(load("rsa2048.crt", "rsa2048.key"), 0);
	HT_EQ(cert.key_type, BR_KEYTYPE_RSA);
	HT_EQ(cert.bits, 2048);
	char d[32];
	HT_STREQ(tls_cert_describe(&cert, d, sizeof d), "RSA 2048");
	tls_cert_free(&cert);
	HT_EQ(load("rsa2048.crt", "rsa2048.p8.key"), 0);
	HT_EQ(cert.bits, 2048);
	tls_cert_free(&cert);
}

HT_TEST(chain_keeps_order_leaf_first)
{
	HT_EQ(load("chain.crt", "leaf.key"), 0);
	HT_EQ(cert.chain_len, 2);
	/* The CA's certificate is the second block of the file. */
	struct text ca = slurp("ca.crt");
	HT_CHECK(cert.chain[1].data_len > 0 && cert.chain[1].data_len < ca.n);
	free(ca.p);
	tls_cert_free(&cert);
}

HT_TEST(key_and_cert_in_one_text)
{
	/* nginx-style combined PEM: the key block in the chain is skipped. */
	HT_EQ(load_texts(cat(slurp("ec256.key"), slurp("ec256.crt")), slurp("ec256.key")), 0);
	HT_EQ(cert.chain_len, 1);
	tls_cert_free(&cert);
}

HT_TEST(no_trailing_newline)
{
	struct text c = slurp("ec256.crt"), k = slurp("ec256.key");
	while (c.n && c.p[c.n - 1] == '\n')
		c.n--;
	while (k.n && k.p[k.n - 1] == '\n')
		k.n--;
	HT_EQ(load_texts(c, k), 0);
	tls_cert_free(&cert);
}

HT_TEST(rsa_below_2048_refused)
{
	expect_refusal(load("rsa1024.crt", "rsa1024.key"), "2048");
}

HT_TEST(p521_refused)
{
	expect_refusal(load("ec521.crt", "ec521.key"), "curve");
}

HT_TEST(encrypted_key_refused)
{
	expect_refusal(load("ec256.crt", "ec256.enc.key"), "encrypted");
}

HT_TEST(key_of_another_certificate_refused)
{
	expect_refusal(load("ec256.crt", "other256.key"), "does not belong");
	expect_refusal(load("chain.crt", "ec256.key"), "does not belong");
}

HT_TEST(key_type_mismatch_refused)
{
	expect_refusal(load("rsa2048.crt", "ec256.key"), "type");
	expect_refusal(load("ec256.crt", "rsa2048.key"), "type");
}

HT_TEST(missing_pieces_refused)
{
	expect_refusal(load("ec256.key", "ec256.key"), "no CERTIFICATE");
	expect_refusal(load("ec256.crt", "ec256.crt"), "no private key");
	expect_refusal(load_texts((struct text){ strdup(""), 0 }, slurp("ec256.key")),
		       "no CERTIFICATE");
}

HT_TEST(two_keys_refused)
{
	expect_refusal(load_texts(slurp("ec256.crt"), cat(slurp("ec256.key"), slurp("other256.key"))),
		       "more than one");
}

HT_TEST(truncated_pem_refused)
{
	struct text c = slurp("ec256.crt");
	c.n /= 2;
	expect_refusal(load_texts(c, slurp("ec256.key")), "END");
}

HT_TEST(corrupt_base64_refused)
{
	struct text c = slurp("ec256.crt");
	char *body = strchr(c.p, '\n') + 10;
	body[0] = '!';
	body[1] = '*';
	int e = load_texts(c, slurp("ec256.key"));
	HT_EQ(e, -EINVAL);
	HT_CHECK(why && (strstr(why, "malformed") || strstr(why, "decode")));
}

HT_TEST(corrupt_der_refused)
{
	/* Valid base64 of bytes that are no certificate. */
	const char *bad = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
	int e = load_texts((struct text){ strdup(bad), strlen(bad) }, slurp("ec256.key"));
	HT_EQ(e, -EINVAL);
	HT_CHECK(strstr(why, "decode") != NULL);
}

HT_TEST(too_many_certificates_refused)
{
	struct text c = slurp("ec256.crt");
	for (int i = 0; i < TLS_CHAIN_MAX; i++)
		c = cat(c, slurp("ec256.crt"));
	expect_refusal(load_texts(c, slurp("ec256.key")), "TLS_CHAIN_MAX");
}

HT_TEST(oversized_block_refused)
{
	/* 384 lines of 64 base64 'A's decode to 18 KiB of zeros: over the
	   limit. */
	char *p = malloc(400 * 65 + 128);
	size_t off = (size_t)sprintf(p, "-----BEGIN CERTIFICATE-----\n");
	for (int line = 0; line < 384; line++) {
		memset(p + off, 'A', 64);
		off += 64;
		p[off++] = '\n';
	}
	off += (size_t)sprintf(p + off, "-----END CERTIFICATE-----\n");
	expect_refusal(load_texts((struct text){ p, off }, slurp("ec256.key")), "TLS_CERT_MAX_DER");
}
