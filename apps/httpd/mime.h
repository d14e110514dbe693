/*
 * apps/httpd/mime.h — media types by file name extension, as Go's
 * mime.TypeByExtension: the table the static site is packed with
 * (mksite.py reads it from mime.c, so there is one table), open to any
 * handler that names what it sends.
 *
 *   mime_type("/a/b/clip.MP4", 13)   "video/mp4"
 *   mime_type("README", 6)           "application/octet-stream"
 *
 * The extension is what follows the last '.' of the last '/'-separated
 * segment, compared case-insensitively; none, or one not in the table,
 * gives NULL from mime_lookup and application/octet-stream from
 * mime_type. Every text/ type says "; charset=utf-8" (a site's text is
 * taken to be UTF-8, as nginx's charset directive is usually set).
 * `compressible` marks types worth a precompressed gzip variant (text,
 * JSON, XML, SVG, JavaScript, WebAssembly, uncompressed fonts and
 * images); already-compressed formats (PNG, JPEG, WebP, MP4, WOFF2, zip,
 * gzip, ...) are not.
 */
#ifndef APPS_HTTPD_MIME_H
#define APPS_HTTPD_MIME_H

#include <stdbool.h>
#include <stddef.h>

struct mime_entry {
	const char *ext;	/* lower case, no '.' */
	const char *type;	/* the Content-Type value */
	bool compressible;
};

#define MIME_DEFAULT "application/octet-stream"

const struct mime_entry *mime_lookup(const char *name, size_t n);
const char *mime_type(const char *name, size_t n);

/* The table, sorted by ext (bytewise): for tests and the packer. */
extern const struct mime_entry mime_table[];
extern const size_t mime_count;

#endif
