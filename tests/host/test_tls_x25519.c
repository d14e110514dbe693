// host-test-sources: net/tls/ec_x25519.c build/bearssl/host/lib/libbearssl.a
/* Host unit tests for net/tls/ec_x25519.c: RFC 7748's X25519 test vectors
   (section 5.2, the 1,000-iteration one included, and the Diffie-Hellman
   example of section 6.1), agreement with BearSSL's own X25519
   (br_ec_c25519_m31) on random points and scalars, edge points (0, 1,
   p - 1, p, values at or above p, the top bit set), and tls_ec_impl's
   br_ec_impl contract as the TLS engine uses it: mul and mulgen as
   br_ec_c25519_m31's, the other curves handed to br_ec_all_m31. */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/tls/ec_x25519.h"
#include "tests/host/hosttest.h"

static void unhex(unsigned char *out, const char *hex)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

static int eq_hex(const unsigned char *b, const char *hex)
{
	unsigned char w[32];
	unhex(w, hex);
	return !memcmp(b, w, 32);
}

HT_TEST(rfc7748_vectors)
{
	unsigned char k[32], u[32], out[32];
	unhex(k, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
	unhex(u, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
	tls_x25519(out, k, u);
	HT_CHECK(eq_hex(out, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"));
	unhex(k, "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
	unhex(u, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
	tls_x25519(out, k, u);
	HT_CHECK(eq_hex(out, "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"));
}

/* k = u = 9; then k, u = X25519(k, u), k, 1,000 times (section 5.2). */
HT_TEST(rfc7748_iterated)
{
	unsigned char k[32] = { 9 }, u[32] = { 9 }, r[32];
	for (int i = 1; i <= 1000; i++) {
		tls_x25519(r, k, u);
		memcpy(u, k, 32);
		memcpy(k, r, 32);
		if (i == 1)
			HT_CHECK(eq_hex(k, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"));
	}
	HT_CHECK(eq_hex(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"));
}

/* Alice and Bob (section 6.1), through tls_ec_impl as the engine calls it:
   mulgen for each public key, mul for the shared secret. */
HT_TEST(rfc7748_diffie_hellman_through_the_impl)
{
	unsigned char a[32], b[32], pa[32], pb[32], s1[32], s2[32];
	unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	HT_EQ(tls_ec_impl.mulgen(pa, a, 32, BR_EC_curve25519), 32);
	HT_EQ(tls_ec_impl.mulgen(pb, b, 32, BR_EC_curve25519), 32);
	HT_CHECK(eq_hex(pa, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
	HT_CHECK(eq_hex(pb, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
	memcpy(s1, pb, 32);
	memcpy(s2, pa, 32);
	HT_EQ(tls_ec_impl.mul(s1, 32, a, 32, BR_EC_curve25519), 1);
	HT_EQ(tls_ec_impl.mul(s2, 32, b, 32, BR_EC_curve25519), 1);
	HT_CHECK(eq_hex(s1, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
	HT_CHECK(!memcmp(s1, s2, 32));
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static void fill(unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		b[i] = (unsigned char)(rng >> 32);
	}
}

/* The same result as br_ec_c25519_m31 for point p and scalar k (len
   bytes), both through the br_ec_impl interface; p and k untouched. */
static int agrees(const unsigned char *p, const unsigned char *k, size_t len)
{
	unsigned char g1[32], g2[32];
	memcpy(g1, p, 32);
	memcpy(g2, p, 32);
	uint32_t r1 = tls_ec_impl.mul(g1, 32, k, len, BR_EC_curve25519);
	uint32_t r2 = br_ec_c25519_m31.mul(g2, 32, k, len, BR_EC_curve25519);
	return r1 == r2 && !memcmp(g1, g2, 32);
}

HT_TEST(agrees_with_bearssl_on_random_input)
{
	unsigned char p[32], k[32];
	int bad = 0;
	for (int i = 0; i < 2000; i++) {
		fill(p, 32);
		fill(k, 32);
		bad += !agrees(p, k, 32);
		bad += !agrees(p, k, 1 + (size_t)(i % 32));	/* shorter scalars */
	}
	HT_EQ(bad, 0);
}

/* Points at the edges of the field: 0, 1, p - 1, p, p + 1, 2^255 - 1, and
   each with the top bit set (ignored), against BearSSL. */
HT_TEST(agrees_with_bearssl_on_edge_points)
{
	static const char *const pts[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	};
	unsigned char p[32], k[32];
	int bad = 0;
	for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
		unhex(p, pts[i]);
		for (int j = 0; j < 20; j++) {
			fill(k, 32);
			bad += !agrees(p, k, 32);
			p[31] ^= 0x80;
			bad += !agrees(p, k, 32);
			p[31] ^= 0x80;
		}
	}
	HT_EQ(bad, 0);
}

HT_TEST(impl_contract)
{
	unsigned char g[32] = { 9 }, k[33] = { 1 };
	size_t len;
	HT_EQ(tls_ec_impl.supported_curves, br_ec_all_m31.supported_curves);
	HT_EQ(tls_ec_impl.mul(g, 31, k, 32, BR_EC_curve25519), 0);	/* not 32 bytes */
	HT_EQ(tls_ec_impl.mul(g, 32, k, 33, BR_EC_curve25519), 0);	/* scalar too long */
	HT_EQ(tls_ec_impl.muladd(g, g, 32, k, 32, k, 32, BR_EC_curve25519), 0);
	HT_CHECK(tls_ec_impl.generator(BR_EC_curve25519, &len)[0] == 9 && len == 32);
	HT_EQ(tls_ec_impl.xoff(BR_EC_curve25519, &len), 0);
	HT_EQ(len, 32);
	/* The top bit of the caller's point is cleared, as BearSSL does. */
	g[31] = 0x80;
	unsigned char g2[32];
	memcpy(g2, g, 32);
	HT_EQ(tls_ec_impl.mul(g, 32, k, 32, BR_EC_curve25519), 1);
	HT_EQ(br_ec_c25519_m31.mul(g2, 32, k, 32, BR_EC_curve25519), 1);
	HT_CHECK(!memcmp(g, g2, 32));
	/* P-256 goes to br_ec_all_m31: the same public key for a scalar. */
	unsigned char x[32], r1[65], r2[65];
	fill(x, 32);
	x[0] &= 0x7f;				/* below the order */
	HT_EQ(tls_ec_impl.mulgen(r1, x, 32, BR_EC_secp256r1),
	      br_ec_all_m31.mulgen(r2, x, 32, BR_EC_secp256r1));
	HT_CHECK(!memcmp(r1, r2, 65));
	const unsigned char *o1 = tls_ec_impl.order(BR_EC_secp256r1, &len);
	size_t len2;
	HT_CHECK(o1 == br_ec_all_m31.order(BR_EC_secp256r1, &len2) && len == len2);
}
