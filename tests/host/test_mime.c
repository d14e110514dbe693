// host-test-sources: apps/httpd/mime.c
/* Host unit tests for apps/httpd/mime.c: the table's order and form, the
 * types the issue names, and how an extension is found. */

#include <stdio.h>
#include <string.h>

#include "apps/httpd/mime.h"
#include "tests/host/hosttest.h"

static const char *type(const char *name)
{
	return mime_type(name, strlen(name));
}

HT_TEST(table_is_sorted_and_well_formed)
{
	HT_CHECK(mime_count > 50);
	for (size_t i = 0; i < mime_count; i++) {
		const struct mime_entry *e = &mime_table[i];

		if (i > 0 && strcmp(mime_table[i - 1].ext, e->ext) >= 0)
			ht_fail(__FILE__, __LINE__, "\"%s\" before \"%s\"",
				mime_table[i - 1].ext, e->ext);
		for (const char *c = e->ext; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
				ht_fail(__FILE__, __LINE__, "ext \"%s\"", e->ext);
		/* text/ types say UTF-8; nothing else names a charset. */
		bool text = strncmp(e->type, "text/", 5) == 0;
		bool cs = strstr(e->type, "; charset=utf-8") != NULL;
		if (text != cs)
			ht_fail(__FILE__, __LINE__, "%s: \"%s\"", e->ext, e->type);
		if (text && !e->compressible)
			ht_fail(__FILE__, __LINE__, "%s: text not compressible", e->ext);
		HT_CHECK(mime_lookup(e->ext, 0) == NULL);
	}
}

HT_TEST(the_types_users_asked_for)
{
	static const char *const want[][2] = {
		{ "a.html", "text/html; charset=utf-8" },
		{ "a.htm", "text/html; charset=utf-8" },
		{ "a.css", "text/css; charset=utf-8" },
		{ "a.js", "text/javascript; charset=utf-8" },
		{ "a.mjs", "text/javascript; charset=utf-8" },
		{ "a.txt", "text/plain; charset=utf-8" },
		{ "a.csv", "text/csv; charset=utf-8" },
		{ "a.md", "text/markdown; charset=utf-8" },
		{ "a.json", "application/json" },
		{ "a.map", "application/json" },
		{ "a.xml", "application/xml" },
		{ "a.svg", "image/svg+xml" },
		{ "a.ico", "image/x-icon" },
		{ "a.png", "image/png" },
		{ "a.jpg", "image/jpeg" },
		{ "a.gif", "image/gif" },
		{ "a.webp", "image/webp" },
		{ "a.avif", "image/avif" },
		{ "a.mp4", "video/mp4" },
		{ "a.webm", "video/webm" },
		{ "a.mp3", "audio/mpeg" },
		{ "a.wasm", "application/wasm" },
		{ "a.woff", "font/woff" },
		{ "a.woff2", "font/woff2" },
		{ "a.ttf", "font/ttf" },
		{ "a.otf", "font/otf" },
		{ "a.pdf", "application/pdf" },
		{ "a.zip", "application/zip" },
		{ "a.gz", "application/gzip" },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		HT_STREQ(type(want[i][0]), want[i][1]);
}

HT_TEST(compressible)
{
	HT_CHECK(mime_lookup("x.html", 6)->compressible);
	HT_CHECK(mime_lookup("x.svg", 5)->compressible);
	HT_CHECK(mime_lookup("x.wasm", 6)->compressible);
	HT_CHECK(mime_lookup("x.json", 6)->compressible);
	HT_CHECK(!mime_lookup("x.png", 5)->compressible);
	HT_CHECK(!mime_lookup("x.woff2", 7)->compressible);
	HT_CHECK(!mime_lookup("x.mp4", 5)->compressible);
	HT_CHECK(!mime_lookup("x.gz", 4)->compressible);
	HT_CHECK(!mime_lookup("x.zip", 5)->compressible);
}

HT_TEST(finding_the_extension)
{
	HT_STREQ(type("/a/b/clip.MP4"), "video/mp4");
	HT_STREQ(type("INDEX.HTML"), "text/html; charset=utf-8");
	HT_STREQ(type("/x/archive.tar.gz"), "application/gzip");
	HT_STREQ(type("/my site/a file.txt"), "text/plain; charset=utf-8");
	HT_STREQ(type("README"), MIME_DEFAULT);
	HT_STREQ(type("/dir.html/README"), MIME_DEFAULT);
	HT_STREQ(type("name."), MIME_DEFAULT);
	HT_STREQ(type(""), MIME_DEFAULT);
	HT_STREQ(type("."), MIME_DEFAULT);
	HT_STREQ(type(".html"), "text/html; charset=utf-8");
	HT_STREQ(type("a.unknownextension"), MIME_DEFAULT);
	HT_STREQ(type("a.averyveryverylongextension"), MIME_DEFAULT);
	HT_STREQ(type("a.h\xc3\xa9"), MIME_DEFAULT);
	HT_CHECK(mime_lookup("a.txt", 4) == NULL); /* "a.tx" */
	HT_STREQ(mime_type("a.txt.png", 5), "text/plain; charset=utf-8");
}
