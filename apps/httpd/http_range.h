/*
 * apps/httpd/http_range.h — the Range header (RFC 9110 14.2) against a
 * representation of a known size.
 *
 *   uint64_t first, last;
 *   switch (http_range_parse(v, n, size, &first, &last)) {
 *   case HTTP_RANGE_ONE:            206, bytes first..last (inclusive)
 *   case HTTP_RANGE_UNSATISFIABLE:  416, Content-Range: bytes * /size
 *   case HTTP_RANGE_IGNORE:         200, the whole representation
 *   }
 *
 * v[0..n) is the field value (without surrounding whitespace). One range
 * of the unit "bytes" (case-insensitive), with OWS and empty elements
 * around it as list syntax allows:
 *   bytes=a-b   a..min(b, size-1)        a <= b, else invalid
 *   bytes=a-    a..size-1
 *   bytes=-n    the last n bytes (all of them when n >= size)
 * Unsatisfiable: a >= size, or -0 (so every range of an empty file).
 * Numbers too large for 64 bits count as infinitely large (a first
 * position past any size; a last position or suffix covering all).
 *
 * IGNORE, answered with the whole file as RFC 9110 14.2 lets a server:
 * another unit, any syntax error (the RFC says an invalid Range is
 * ignored), and more than one range (a server may answer a multi-range
 * request with the whole representation; Weft sends no multipart/
 * byteranges).
 *
 * Pure, no allocation; host-tested and fuzzed.
 */
#ifndef APPS_HTTPD_HTTP_RANGE_H
#define APPS_HTTPD_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

enum http_range {
	HTTP_RANGE_IGNORE,
	HTTP_RANGE_ONE,
	HTTP_RANGE_UNSATISFIABLE,
};

enum http_range http_range_parse(const char *v, size_t n, uint64_t size,
				 uint64_t *first, uint64_t *last);

#endif
