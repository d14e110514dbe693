/*
 * apps/httpd/http_accept.h — content negotiation on Accept-Encoding (RFC
 * 9110 12.5.3), for the static site's precompressed variants.
 *
 *   const struct http_span *ae = http_req_header(r, "Accept-Encoding");
 *   if (ae && http_accepts_gzip(ae->ptr, ae->len)) ...send the gzip one...
 *
 * http_accept_q gives the weight, in thousandths (0-1000), that the
 * field value v[0..n) gives the content coding name (lower case): the
 * weight of the first element naming it (case-insensitively; "x-gzip"
 * names gzip, as RFC 9110 8.4.1.3 asks), else that of the first "*",
 * else -1 (not mentioned). An element without ";q=" weighs 1000. A
 * weight that is not a qvalue ("q=2", "q=0.5x", "q=") makes its element
 * weigh 0: a client that cannot be understood gets the identity, which
 * it can always read. Parameters other than q are skipped (quoted
 * strings included); an element that is not a token is skipped.
 *
 * http_accepts_gzip: the weight of gzip is above 0. So "gzip;q=0"
 * refuses it even after "*", and an empty or absent field value means
 * identity only (what every server does, though RFC 9110 would let an
 * absent field mean anything).
 *
 * Pure, no allocation; host-tested and fuzzed.
 */
#ifndef APPS_HTTPD_HTTP_ACCEPT_H
#define APPS_HTTPD_HTTP_ACCEPT_H

#include <stdbool.h>
#include <stddef.h>

int http_accept_q(const char *v, size_t n, const char *name);
bool http_accepts_gzip(const char *v, size_t n);

#endif
