/*
 * apps/httpd/choose.h — what a GET or HEAD of a packed file gets: which
 * representation (the file or its gzip variant), which status, which
 * bytes. Pure: the request's header values in, a decision out; the
 * handler writes it.
 *
 *   struct choose_req q = { .head = ..., .if_none_match = {p, n}, ... };
 *   struct choice c;
 *   site_choose(&c, f, &q, now);
 *   c.status: 200 (c.rep whole), 206 (c.rep bytes c.first..c.last),
 *             304, 412, 416 (Content-Range: bytes * /c.rep->size)
 *
 * The order is RFC 9110 13.2.2's, as Go's http.ServeContent has it:
 *   1. the representation: the gzip variant when there is one and
 *      Accept-Encoding gives gzip a weight above 0 (http_accept.h), else
 *      the file; conditions below compare against it
 *   2. If-Match (strong comparison; "*" matches): false is 412
 *   3. else If-Unmodified-Since: modified after the date is 412
 *   4. If-None-Match (weak comparison; "*" matches): true is 304; when
 *      the field is present, If-Modified-Since is not looked at: an ETag
 *      wins over a date
 *   5. else If-Modified-Since: not modified after the date is 304 (the
 *      RFC's "before or at"; nginx's default is an exact match)
 *   6. Range, for GET only (a HEAD gets the 200 headers): evaluated on
 *      the file itself, never the gzip variant, so that the offsets are
 *      those of the bytes a client saved before (`curl -C -`) whatever
 *      it accepts. If-Range, when present, must hold or the Range is
 *      ignored: an entity tag must equal the file's (strong), a date
 *      must equal its Last-Modified second. Then one satisfiable range
 *      is 206, an unsatisfiable one 416, anything else (several ranges,
 *      a syntax error) the whole representation of step 1 (200).
 * Dates that do not parse (http_date.h) make their field ignored.
 * Conditions on a missing file do not arise: the caller answers 404.
 */
#ifndef APPS_HTTPD_CHOOSE_H
#define APPS_HTTPD_CHOOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "apps/httpd/site.h"

/* A header's value; ptr NULL when the request has no such field. */
struct choose_field {
	const char *ptr;
	size_t len;
};

struct choose_req {
	bool head; /* HEAD: Range is not for it */
	struct choose_field accept_encoding, if_match, if_unmodified_since,
		if_none_match, if_modified_since, range, if_range;
};

struct choice {
	int status;
	const struct site_file *rep; /* the file or its gzip variant */
	uint64_t first, last;	     /* 206: inclusive byte offsets */
};

/* Decide for f (a packed file); now (unix seconds) dates RFC 850's
 * two-digit years. */
void site_choose(struct choice *c, const struct site_file *f,
		 const struct choose_req *q, uint64_t now);

/* Does the entity-tag list v[0..n) (If-Match, If-None-Match) hold etag
 * (quoted)? "*" holds any. weak: W/"x" matches "x" (RFC 9110 13.1.2);
 * strong: a weak tag matches nothing. A malformed list matches nothing
 * past the point where it goes wrong. */
bool site_etag_match(const char *v, size_t n, const char *etag, size_t elen,
		     bool weak);

#endif
