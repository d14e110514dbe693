/*
 * net/tls/ec_x25519.c — X25519 (RFC 7748) with 64-bit limbs, and the
 * elliptic-curve implementation the TLS engine uses (tls_ec_impl): this
 * X25519 for Curve25519, BearSSL's br_ec_all_m31 for every other curve
 * (P-256, P-384, P-521: ECDHE and ECDSA).
 *
 * Why. X25519 is the key exchange nearly every client asks for first, and
 * BearSSL 0.6 (Debian's) has only its portable 31-bit version
 * (ec_c25519_m31: nine 30-bit limbs, 32x32-bit products): two Montgomery
 * ladders per full handshake cost about 4.1 M guest instructions, a third
 * of the whole handshake. Here a field element is five 51-bit limbs in
 * uint64_t and products are unsigned __int128 (the radix-2^51
 * representation of Bernstein's curve25519-donna-c64 and of most 64-bit
 * X25519 code since), which makes a field multiplication 25 64x64-bit
 * products instead of 81 32x32-bit ones.
 *
 * Interface. tls_ec_impl's mul and mulgen follow br_ec_c25519_m31's
 * contract exactly, as the engine calls them: the point is 32 bytes,
 * little-endian, its top bit ignored (and cleared in the caller's
 * buffer); the scalar is at most 32 bytes, little-endian, zero-extended,
 * then clamped (RFC 7748: the low three bits cleared, bit 255 cleared,
 * bit 254 set); the result, fully reduced, replaces the point; mul
 * returns 1 (an all-zero result from a small-order point included: the
 * engine does not look, and TLS 1.2 does not ask). muladd is ECDSA's and
 * does not exist for Curve25519. tests/host/test_tls_x25519.c checks
 * RFC 7748's vectors (and its 1,000-iteration one) and agreement with
 * br_ec_c25519_m31 on random points and scalars.
 *
 * Constant time. No branch and no memory index depends on the scalar or
 * the point: the ladder swaps with a mask (cswap), every step does the
 * same operations, the inversion is a fixed addition chain, and the final
 * reduction subtracts p under a mask.
 *
 * Bounds. Limbs of a reduced element are below 2^51 (+ a small carry).
 * add leaves them below 2^53; sub adds 2p (limbs 2^52 - 38 and 2^52 - 2)
 * before subtracting an element that is reduced (every subtrahend below
 * is a product or a square), so nothing goes negative; mul and square
 * accept limbs up to 2^54: each of the five column sums is at most
 * 5 * 19 * 2^108 < 2^115, inside 128 bits; mul_a24 multiplies by 121665
 * (< 2^17) in 128 bits and carries.
 */
#include <stdint.h>
#include <string.h>
#include "net/tls/ec_x25519.h"

typedef uint64_t fe[5];
typedef unsigned __int128 u128;

#define MASK51	((1ull << 51) - 1)

static void fe_load(fe h, const unsigned char *s)
{
	uint64_t w[4];
	for (int i = 0; i < 4; i++) {
		uint64_t v = 0;
		for (int j = 7; j >= 0; j--)
			v = v << 8 | s[8 * i + j];
		w[i] = v;
	}
	w[3] &= 0x7fffffffffffffffull;		/* the top bit is ignored */
	h[0] = w[0] & MASK51;
	h[1] = (w[0] >> 51 | w[1] << 13) & MASK51;
	h[2] = (w[1] >> 38 | w[2] << 26) & MASK51;
	h[3] = (w[2] >> 25 | w[3] << 39) & MASK51;
	h[4] = w[3] >> 12;
}

/* Carry so that every limb is below 2^51 (the value below 2^255 + 19*k). */
static void fe_carry(fe h)
{
	for (int i = 0; i < 4; i++) {
		h[i + 1] += h[i] >> 51;
		h[i] &= MASK51;
	}
	h[0] += 19 * (h[4] >> 51);
	h[4] &= MASK51;
	h[1] += h[0] >> 51;
	h[0] &= MASK51;
}

/* The canonical value (below p = 2^255 - 19), little-endian, 32 bytes. */
static void fe_store(unsigned char *s, const fe f)
{
	fe h;
	memcpy(h, f, sizeof h);
	fe_carry(h);
	fe_carry(h);
	/* q = 1 exactly when h >= p, i.e. when h + 19 reaches 2^255 */
	uint64_t q = (h[0] + 19) >> 51;
	q = (h[1] + q) >> 51;
	q = (h[2] + q) >> 51;
	q = (h[3] + q) >> 51;
	q = (h[4] + q) >> 51;
	h[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h[i + 1] += h[i] >> 51;
		h[i] &= MASK51;
	}
	h[4] &= MASK51;				/* drops the 2^255 of h + 19 - p */
	uint64_t w[4] = {
		h[0] | h[1] << 51,
		h[1] >> 13 | h[2] << 38,
		h[2] >> 26 | h[3] << 25,
		h[3] >> 39 | h[4] << 12,
	};
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			s[8 * i + j] = (unsigned char)(w[i] >> (8 * j));
}

static void fe_add(fe h, const fe f, const fe g)
{
	for (int i = 0; i < 5; i++)
		h[i] = f[i] + g[i];
}

/* h = f - g, g reduced (limbs below 2^51 + a little). */
static void fe_sub(fe h, const fe f, const fe g)
{
	h[0] = f[0] + 0xfffffffffffdaull - g[0];
	for (int i = 1; i < 5; i++)
		h[i] = f[i] + 0xffffffffffffeull - g[i];
}

static void fe_reduce128(fe h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
	r1 += (uint64_t)(r0 >> 51);
	r2 += (uint64_t)(r1 >> 51);
	r3 += (uint64_t)(r2 >> 51);
	r4 += (uint64_t)(r3 >> 51);
	uint64_t c = (uint64_t)(r4 >> 51);
	h[0] = ((uint64_t)r0 & MASK51) + 19 * c;
	h[1] = (uint64_t)r1 & MASK51;
	h[2] = (uint64_t)r2 & MASK51;
	h[3] = (uint64_t)r3 & MASK51;
	h[4] = (uint64_t)r4 & MASK51;
	h[1] += h[0] >> 51;
	h[0] &= MASK51;
}

static void fe_mul(fe h, const fe f, const fe g)
{
	uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
	uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
	uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
	u128 r0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 +
		  (u128)f4 * g1_19;
	u128 r1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 +
		  (u128)f4 * g2_19;
	u128 r2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 +
		  (u128)f4 * g3_19;
	u128 r3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 +
		  (u128)f4 * g4_19;
	u128 r4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 +
		  (u128)f4 * g0;
	fe_reduce128(h, r0, r1, r2, r3, r4);
}

static void fe_sq(fe h, const fe f)
{
	uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
	uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f3_19 = 19 * f3, f4_19 = 19 * f4;
	u128 r0 = (u128)f0 * f0 + (u128)f1_2 * f4_19 + (u128)(2 * f2) * f3_19;
	u128 r1 = (u128)f0_2 * f1 + (u128)(2 * f2) * f4_19 + (u128)f3 * f3_19;
	u128 r2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)(2 * f3) * f4_19;
	u128 r3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4 * f4_19;
	u128 r4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
	fe_reduce128(h, r0, r1, r2, r3, r4);
}

/* h = f * 121665 ((486662 - 2) / 4, RFC 7748's a24). */
static void fe_mul_a24(fe h, const fe f)
{
	const uint64_t a24 = 121665;
	fe_reduce128(h, (u128)f[0] * a24, (u128)f[1] * a24, (u128)f[2] * a24,
		     (u128)f[3] * a24, (u128)f[4] * a24);
}

/* Swap f and g when bit is 1, without a branch. */
static void fe_cswap(fe f, fe g, uint64_t bit)
{
	uint64_t m = 0 - bit;
	for (int i = 0; i < 5; i++) {
		uint64_t t = m & (f[i] ^ g[i]);
		f[i] ^= t;
		g[i] ^= t;
	}
}

static void fe_sqn(fe h, const fe f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

/* h = z^(p - 2) = 1/z (0 for 0): the usual chain for 2^255 - 21. */
static void fe_invert(fe h, const fe z)
{
	fe z2, z9, z11, z2_5_0, z2_10_0, z2_20_0, z2_50_0, z2_100_0, t;
	fe_sq(z2, z);				/* 2 */
	fe_sqn(t, z2, 2);			/* 8 */
	fe_mul(z9, t, z);			/* 9 */
	fe_mul(z11, z9, z2);			/* 11 */
	fe_sq(t, z11);				/* 22 */
	fe_mul(z2_5_0, t, z9);			/* 2^5 - 1 */
	fe_sqn(t, z2_5_0, 5);
	fe_mul(z2_10_0, t, z2_5_0);		/* 2^10 - 1 */
	fe_sqn(t, z2_10_0, 10);
	fe_mul(z2_20_0, t, z2_10_0);		/* 2^20 - 1 */
	fe_sqn(t, z2_20_0, 20);
	fe_mul(t, t, z2_20_0);			/* 2^40 - 1 */
	fe_sqn(t, t, 10);
	fe_mul(z2_50_0, t, z2_10_0);		/* 2^50 - 1 */
	fe_sqn(t, z2_50_0, 50);
	fe_mul(z2_100_0, t, z2_50_0);		/* 2^100 - 1 */
	fe_sqn(t, z2_100_0, 100);
	fe_mul(t, t, z2_100_0);			/* 2^200 - 1 */
	fe_sqn(t, t, 50);
	fe_mul(t, t, z2_50_0);			/* 2^250 - 1 */
	fe_sqn(t, t, 5);			/* 2^255 - 2^5 */
	fe_mul(h, t, z11);			/* 2^255 - 21 */
}

void tls_x25519(unsigned char out[32], const unsigned char scalar[32],
		const unsigned char point[32])
{
	unsigned char k[32];
	fe x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb;
	memcpy(k, scalar, 32);
	k[0] &= 0xf8;
	k[31] &= 0x7f;
	k[31] |= 0x40;
	fe_load(x1, point);
	memset(x2, 0, sizeof x2);
	x2[0] = 1;
	memset(z2, 0, sizeof z2);
	memcpy(x3, x1, sizeof x3);
	memset(z3, 0, sizeof z3);
	z3[0] = 1;
	uint64_t swap = 0;
	for (int t = 254; t >= 0; t--) {
		uint64_t kt = (k[t >> 3] >> (t & 7)) & 1;
		swap ^= kt;
		fe_cswap(x2, x3, swap);
		fe_cswap(z2, z3, swap);
		swap = kt;
		fe_add(a, x2, z2);
		fe_sq(aa, a);
		fe_sub(b, x2, z2);
		fe_sq(bb, b);
		fe_sub(e, aa, bb);
		fe_add(c, x3, z3);
		fe_sub(d, x3, z3);
		fe_mul(da, d, a);
		fe_mul(cb, c, b);
		fe_add(x3, da, cb);
		fe_sq(x3, x3);
		fe_sub(z3, da, cb);
		fe_sq(z3, z3);
		fe_mul(z3, z3, x1);
		fe_mul(x2, aa, bb);
		fe_mul_a24(z2, e);
		fe_add(z2, z2, aa);
		fe_mul(z2, e, z2);
	}
	fe_cswap(x2, x3, swap);
	fe_cswap(z2, z3, swap);
	fe_invert(z2, z2);
	fe_mul(x2, x2, z2);
	fe_store(out, x2);
	memset(k, 0, sizeof k);
}

/* ---- the br_ec_impl ---- */

static const unsigned char GEN25519[32] = { 9 };

static const unsigned char *api_generator(int curve, size_t *len)
{
	return curve == BR_EC_curve25519 ? (*len = 32, GEN25519)
					 : br_ec_all_m31.generator(curve, len);
}

static const unsigned char *api_order(int curve, size_t *len)
{
	return br_ec_all_m31.order(curve, len);
}

static size_t api_xoff(int curve, size_t *len)
{
	return br_ec_all_m31.xoff(curve, len);
}

static uint32_t api_mul(unsigned char *G, size_t Glen, const unsigned char *kb, size_t kblen,
			int curve)
{
	if (curve != BR_EC_curve25519)
		return br_ec_all_m31.mul(G, Glen, kb, kblen, curve);
	if (Glen != 32 || kblen > 32)
		return 0;
	unsigned char k[32] = { 0 };
	memcpy(k, kb, kblen);
	G[31] &= 0x7f;
	tls_x25519(G, k, G);
	memset(k, 0, sizeof k);
	return 1;
}

static size_t api_mulgen(unsigned char *R, const unsigned char *x, size_t xlen, int curve)
{
	if (curve != BR_EC_curve25519)
		return br_ec_all_m31.mulgen(R, x, xlen, curve);
	memcpy(R, GEN25519, 32);
	api_mul(R, 32, x, xlen, curve);
	return 32;
}

static uint32_t api_muladd(unsigned char *A, const unsigned char *B, size_t len,
			   const unsigned char *x, size_t xlen, const unsigned char *y,
			   size_t ylen, int curve)
{
	if (curve == BR_EC_curve25519)
		return 0;		/* ECDSA's; there is no ECDSA on Curve25519 */
	return br_ec_all_m31.muladd(A, B, len, x, xlen, y, ylen, curve);
}

const br_ec_impl tls_ec_impl = {
	(uint32_t)1 << BR_EC_secp256r1 | (uint32_t)1 << BR_EC_secp384r1 |
		(uint32_t)1 << BR_EC_secp521r1 | (uint32_t)1 << BR_EC_curve25519,
	api_generator, api_order, api_xoff, api_mul, api_mulgen, api_muladd,
};
