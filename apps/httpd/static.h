/*
 * apps/httpd/static.h — the static site as a handler of the HTTP
 * library: the files packed into the image (site.h), served for GET and
 * HEAD from the read-only table, with no heap allocation on the way.
 *
 *   http_handle(&mux, "/", &static_handler);
 *
 * For a path (normalized by the library): one ending in '/' means its
 * index.html; a directory named without the '/' is redirected (301) to
 * it; a file's answer (200, 206, 304, 412, 416; the gzip variant or not)
 * is chosen by choose.h from the request's conditional, Range and
 * Accept-Encoding fields; a missing file is 404, with the site's own
 * /404.html as its body when there is one (and its gzip variant when
 * accepted). Other methods: 405 with "Allow: GET, HEAD". Nothing outside
 * the packed site can be named at all. A file's 200, 206 and 304 carry
 * "Cache-Control: <static_cache_control>" when that is set (none by
 * default, as nginx).
 */
#ifndef APPS_HTTPD_STATIC_H
#define APPS_HTTPD_STATIC_H

#include <stdbool.h>
#include "apps/httpd/site.h"
#include "net/http/http.h"

extern struct http_handler static_handler;	/* "static" */

/* The Cache-Control value for the site's files ("" or NULL: none). Set
 * once before serving (httpd.c: httpd_cache_control=). */
extern const char *static_cache_control;

/* Answer r (GET or HEAD) with the packed file f as choose.h decides: its
 * prepared headers and body (HEAD: the headers), a range, 304, 412 or
 * 416. cache: add the Cache-Control setting. */
void static_send_file(struct http_response *w, const struct http_request *r,
		      const struct site_file *f, bool cache);

#endif
