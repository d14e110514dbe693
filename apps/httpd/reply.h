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
 *                  redirected (301) to it; If-None-Match with the file's
 *                  ETag gives 304; else 404
 * Paths are normalized first (http_path_normalize): one that cannot be
 * (an escape above the root, %00, ...) is 400, and nothing outside the
 * packed site can be named at all.
 */
#ifndef APPS_HTTPD_REPLY_H
#define APPS_HTTPD_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include "net/http/parse.h"
#include "apps/httpd/response.h"
#include "apps/httpd/site.h"

enum reply_kind {
	REPLY_TEXT,	/* a short text/plain body */
	REPLY_FILE,	/* a packed file (200), or its 304 */
	REPLY_METRICS,	/* /metrics */
};

struct reply {
	int status;
	enum reply_kind kind;
	const struct site_file *file;	/* REPLY_FILE */
	const char *text;	/* REPLY_TEXT body; NULL: "<status> <reason>\n" */
	const char *location;	/* 301: the target path (the caller's buffer),
				   percent-encoded as it is written */
	bool allow;		/* 405: say "Allow: GET, HEAD" */
	bool head;		/* HEAD: the headers a GET gets, no body */
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

/* Append rp's response to o, counting it in the metrics. */
void reply_send(struct out *o, const struct reply *rp, bool keep_alive);

#endif
