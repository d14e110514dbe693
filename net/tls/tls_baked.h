/* net/tls/tls_baked.h — the certificate chain and key baked into the image
   at build time (make TLS_CERT=... TLS_KEY=...; net/tls.mk), as PEM text
   for tls_cert_load. */
#ifndef NET_TLS_BAKED_H
#define NET_TLS_BAKED_H

#include <stddef.h>

extern const char tls_baked_cert[], tls_baked_key[];
extern const size_t tls_baked_cert_len, tls_baked_key_len;

#endif
