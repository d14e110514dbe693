/*
 * apps/httpd/site.h — the static site, packed into the image at build
 * time.
 *
 * apps/httpd/mksite.py turns a directory (apps/httpd/site/, or `make
 * SITE=dir`) into a generated C file of read-only data: one struct
 * site_file per regular file, sorted by path, with its response headers
 * prepared (Content-Type from the extension, Content-Length, a strong
 * ETag from a hash of the content). The server adds only the status line,
 * Server, Date and Connection. The /status page is packed the same way,
 * from apps/httpd/status.html, apart from the site.
 *
 * Paths are what http_path_normalize makes of a request: "/", then the
 * file's path in the directory, '/'-separated, not percent-encoded.
 * Nothing here changes after boot, so any CPU may read it without locks.
 */
#ifndef APPS_HTTPD_SITE_H
#define APPS_HTTPD_SITE_H

#include <stddef.h>
#include <stdint.h>

struct site_file {
	const char *path;	/* "/index.html" */
	const char *etag;	/* "\"...\"": quotes included */
	const char *headers;	/* Content-Type, Content-Length and ETag
				   lines, each ending in CRLF */
	const char *body;
	uint32_t path_len, etag_len, headers_len;
	uint64_t size;		/* bytes of body */
};

extern const struct site_file site_files[];	/* sorted by path, bytewise */
extern const size_t site_nfiles;
extern const struct site_file site_status_page;	/* served at /status */
/* When the image was built (unix seconds): the Date clock's fallback. */
extern const uint64_t site_build_time;

/* The file at path[0..len), or NULL. */
const struct site_file *site_find(const char *path, size_t len);

#endif
