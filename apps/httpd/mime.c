/*
 * apps/httpd/mime.c — the media type table and its lookup (mime.h).
 *
 * apps/httpd/mksite.py reads the table below with a regular expression:
 * one entry per line, in exactly the form { "ext", "type", bool }; it
 * refuses to pack a site if it finds none. Keep that form. Sorted by ext, bytewise: the lookup is a binary
 * search (the host tests check the order).
 */
#include "apps/httpd/mime.h"

#include <string.h>

const struct mime_entry mime_table[] = {
	{ "7z", "application/x-7z-compressed", false },
	{ "aac", "audio/aac", false },
	{ "apng", "image/apng", false },
	{ "atom", "application/atom+xml", true },
	{ "avif", "image/avif", false },
	{ "bmp", "image/bmp", true },
	{ "bz2", "application/x-bzip2", false },
	{ "cjs", "text/javascript; charset=utf-8", true },
	{ "css", "text/css; charset=utf-8", true },
	{ "csv", "text/csv; charset=utf-8", true },
	{ "eot", "application/vnd.ms-fontobject", true },
	{ "epub", "application/epub+zip", false },
	{ "flac", "audio/flac", false },
	{ "gif", "image/gif", false },
	{ "glb", "model/gltf-binary", true },
	{ "gltf", "model/gltf+json", true },
	{ "gz", "application/gzip", false },
	{ "heic", "image/heic", false },
	{ "htm", "text/html; charset=utf-8", true },
	{ "html", "text/html; charset=utf-8", true },
	{ "ico", "image/x-icon", true },
	{ "ics", "text/calendar; charset=utf-8", true },
	{ "jpeg", "image/jpeg", false },
	{ "jpg", "image/jpeg", false },
	{ "js", "text/javascript; charset=utf-8", true },
	{ "json", "application/json", true },
	{ "jsonld", "application/ld+json", true },
	{ "jxl", "image/jxl", false },
	{ "log", "text/plain; charset=utf-8", true },
	{ "m4a", "audio/mp4", false },
	{ "m4v", "video/mp4", false },
	{ "map", "application/json", true },
	{ "markdown", "text/markdown; charset=utf-8", true },
	{ "md", "text/markdown; charset=utf-8", true },
	{ "mid", "audio/midi", true },
	{ "midi", "audio/midi", true },
	{ "mjs", "text/javascript; charset=utf-8", true },
	{ "mov", "video/quicktime", false },
	{ "mp3", "audio/mpeg", false },
	{ "mp4", "video/mp4", false },
	{ "mpeg", "video/mpeg", false },
	{ "mpg", "video/mpeg", false },
	{ "oga", "audio/ogg", false },
	{ "ogg", "audio/ogg", false },
	{ "ogv", "video/ogg", false },
	{ "opus", "audio/ogg", false },
	{ "otf", "font/otf", true },
	{ "pdf", "application/pdf", false },
	{ "png", "image/png", false },
	{ "rss", "application/rss+xml", true },
	{ "rtf", "application/rtf", true },
	{ "svg", "image/svg+xml", true },
	{ "tar", "application/x-tar", true },
	{ "tgz", "application/gzip", false },
	{ "tif", "image/tiff", true },
	{ "tiff", "image/tiff", true },
	{ "toml", "application/toml", true },
	{ "ts", "video/mp2t", false },
	{ "ttf", "font/ttf", true },
	{ "txt", "text/plain; charset=utf-8", true },
	{ "vtt", "text/vtt; charset=utf-8", true },
	{ "wasm", "application/wasm", true },
	{ "wav", "audio/wav", true },
	{ "weba", "audio/webm", false },
	{ "webm", "video/webm", false },
	{ "webmanifest", "application/manifest+json", true },
	{ "webp", "image/webp", false },
	{ "woff", "font/woff", false },
	{ "woff2", "font/woff2", false },
	{ "xhtml", "application/xhtml+xml", true },
	{ "xml", "application/xml", true },
	{ "xz", "application/x-xz", false },
	{ "yaml", "application/yaml", true },
	{ "yml", "application/yaml", true },
	{ "zip", "application/zip", false },
	{ "zst", "application/zstd", false },
};
const size_t mime_count = sizeof(mime_table) / sizeof(mime_table[0]);

#define EXT_MAX 16 /* longer than any extension in the table */

const struct mime_entry *mime_lookup(const char *name, size_t n)
{
	char ext[EXT_MAX];
	size_t i = n, len, lo = 0, hi = mime_count;

	while (i > 0 && name[i - 1] != '.' && name[i - 1] != '/')
		i--;
	if (i == 0 || name[i - 1] != '.')
		return NULL;
	len = n - i;
	if (len == 0 || len >= EXT_MAX)
		return NULL;
	for (size_t k = 0; k < len; k++) {
		char c = name[i + k];

		ext[k] = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
	}
	ext[len] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ext, mime_table[mid].ext);

		if (c == 0)
			return &mime_table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *mime_type(const char *name, size_t n)
{
	const struct mime_entry *e = mime_lookup(name, n);

	return e ? e->type : MIME_DEFAULT;
}
