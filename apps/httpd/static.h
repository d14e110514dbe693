/*
 * apps/httpd/static.h — the static site as a handler of the HTTP
 * library: the files packed into the image (site.h), served for GET and
 * HEAD from the read-only table, with no heap allocation on the way.
 *
 *   http_handle(&mux, "/", &static_handler);
 *
 * For a path (normalized by the library): one ending in '/' means its
 * index.html; a directory named without the '/' is redirected (301) to
 * it; If-None-Match with the file's ETag gives 304; else 404. Other
 * methods: 405 with "Allow: GET, HEAD". Nothing outside the packed site
 * can be named at all.
 */
#ifndef APPS_HTTPD_STATIC_H
#define APPS_HTTPD_STATIC_H

#include <stdbool.h>
#include "apps/httpd/site.h"
#include "net/http/http.h"

extern struct http_handler static_handler;	/* "static" */

/* Answer r with the packed file f: its prepared headers and body (HEAD:
 * the headers). With conditional, If-None-Match matching f's ETag is a
 * 304. */
void static_send_file(struct http_response *w, const struct http_request *r,
		      const struct site_file *f, bool conditional);

#endif
