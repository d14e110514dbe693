/*
 * apps/httpd/reply.h — what the server answers to a request, decided
 * from its head alone, and how that answer is written.
 *
 *   reply_route(&rp, &r, path, sizeof path);   while r's spans are valid
 *   ...the request body is read and dropped (server.c)...
 *   reply_send(&out, &rp, keep_alive);
 *
 * A struct reply holds no pointer into the request's bytes (only into the
 * site table, constant strings, and the caller's path buffer), so the
 * connection's input buffer may be reused for the body in between.
 *
 * Routes, for GET and HEAD (other known methods: 405 with Allow):
 *   /healthz       200 "ok"
 *   /metrics       Prometheus text (metrics.h)
 *   /status        the live status page (status.html, packed)
 *   anything else  the static site: a path ending in '/' means its
 *                  index.html; a directory named without the '/' is
 *                  redirected (301) to it; a file's answer (200, 206,
 *                  304, 412, 416; the gzip variant or not) is chosen by
 *                  choose.h from the request's conditional, Range and
 *                  Accept-Encoding fields; a missing file is 404, with
 *                  the site's own /404.html as its body when there is
 *                  one (and its gzip variant when accepted)
 * A file's 200, 206 and 304 carry "Cache-Control: <httpd_cache_control>"
 * when that is set (reply_cache_control; none by default, as nginx).
 * Paths are normalized first (http_path_normalize): one that cannot be
 * (an escape above the root, %00, ...) is 400, and nothing outside the
 * packed site can be named at all.
 */
#ifndef APPS_HTTPD_REPLY_H
#define APPS_HTTPD_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include "apps/httpd/choose.h"
#include "net/http/parse.h"
#include "apps/httpd/response.h"
#include "apps/httpd/site.h"

enum reply_kind {
	REPLY_TEXT,	/* a short text/plain body */
	REPLY_FILE,	/* a packed file: c says how (choose.h) */
	REPLY_PAGE404,	/* the site's /404.html (file), as a 404 */
	REPLY_METRICS,	/* /metrics */
};

struct reply {
	int status;
	enum reply_kind kind;
	const struct site_file *file;	/* REPLY_FILE, REPLY_PAGE404: what
					   is sent (the file or a variant) */
	struct choice c;		/* REPLY_FILE: 200 206 304 412 416 */
	const char *text;	/* REPLY_TEXT body; NULL: "<status> <reason>\n" */
	const char *location;	/* 301: the target path (the caller's buffer),
				   percent-encoded as it is written */
	bool allow;		/* 405: say "Allow: GET, HEAD" */
	bool head;		/* HEAD: the headers a GET gets, no body */
	bool cache;		/* send the Cache-Control setting */
	bool close;		/* the connection must end after this answer */
};

/* Size of a path buffer that every request's path fits (with room for
 * "/index.html" appended). */
#define REPLY_PATH_MAX (HTTP_MAX_URI + 16)

/* Decide the answer to the complete request head r. path (pathsz >=
 * REPLY_PATH_MAX) receives the normalized path, which rp may point into:
 * keep it until reply_send. */
void reply_route(struct reply *rp, const struct http_req *r, char *path,
		 size_t pathsz);

/* An error answer: status with its text body and Connection: close. */
void reply_error(struct reply *rp, int status, bool head);

/* The Cache-Control value for the site's files ("" or NULL: none). Set
 * once before serving (httpd.c: httpd_cache_control=). */
extern const char *reply_cache_control;

/* Append rp's response to o, counting it in the metrics. */
void reply_send(struct out *o, const struct reply *rp, bool keep_alive);

#endif
