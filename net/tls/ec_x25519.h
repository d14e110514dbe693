/*
 * net/tls/ec_x25519.h — X25519 with 64-bit limbs, and the elliptic-curve
 * implementation the TLS engine uses (net/tls/ec_x25519.c says why).
 */
#ifndef NET_TLS_EC_X25519_H
#define NET_TLS_EC_X25519_H

#include <bearssl.h>

/* RFC 7748's X25519(scalar, point): 32 bytes each, little-endian; the
   scalar is clamped here, the point's top bit ignored. out may be point. */
void tls_x25519(unsigned char out[32], const unsigned char scalar[32],
		const unsigned char point[32]);

/* Curve25519 by tls_x25519, the other curves by br_ec_all_m31: what
   br_ssl_engine_set_ec gets. */
extern const br_ec_impl tls_ec_impl;

#endif
