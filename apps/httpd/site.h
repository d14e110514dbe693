/*
 * apps/httpd/site.h — the static site, packed into the image at build
 * time.
 *
 * apps/httpd/mksite.py turns a directory (apps/httpd/site/, or `make
 * SITE=dir`) into a generated C file of read-only data: one struct
 * site_file per regular file, sorted by path, with its response headers
 * prepared (mksite.py says how each is made):
 *
 *   headers     Content-Type: T            type
 *               Content-Length: N          size
 *               Content-Encoding: gzip     a gzip variant only
 *               Vary: Accept-Encoding      vary (the file has a variant)
 *   validators  Accept-Ranges: bytes
 *   (a suffix   ETag: "..."                etag
 *   of headers) Last-Modified: <date>      mtime
 *
 * A 200 sends headers as they are; the server adds the status line,
 * Server, Date, Connection and the Cache-Control setting. A 304 sends
 * Vary (if vary) and validators; a 206 its own Content-Type,
 * Content-Range and Content-Length, then Vary and validators; the site's
 * 404 page the part of headers before validators. A file's gzip variant,
 * if it has one, is a struct site_file of its own (same path, its own
 * body, ETag and headers) that gzip points to; variants are not in
 * site_files. The /status page is packed the same way, from
 * apps/httpd/status.html, apart from the site.
 *
 * Paths are what http_path_normalize makes of a request: "/", then the
 * file's path in the directory, '/'-separated, not percent-encoded.
 * Nothing here changes after boot, so any CPU may read it without locks.
 */
#ifndef APPS_HTTPD_SITE_H
#define APPS_HTTPD_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct site_file {
	const char *path;	/* "/index.html" */
	const char *etag;	/* "\"...\"": quotes included */
	const char *type;	/* the Content-Type value */
	const char *headers;	/* the lines above, each ending in CRLF */
	const char *validators;	/* the last three of them */
	const char *body;
	const struct site_file *gzip;	/* the gzip variant, or NULL */
	uint32_t path_len, etag_len, headers_len, validators_len;
	uint64_t size;		/* bytes of body */
	uint64_t mtime;		/* Last-Modified, unix seconds */
	bool vary;		/* there are two variants */
};

extern const struct site_file site_files[];	/* sorted by path, bytewise */
extern const size_t site_nfiles;
extern const struct site_file site_status_page;	/* served at /status */
/* When the image was built (unix seconds): the Date clock's fallback. */
extern const uint64_t site_build_time;

/* The file at path[0..len), or NULL. */
const struct site_file *site_find(const char *path, size_t len);

#endif
