// host-test-sources: apps/proxy/forward.c
/* Host unit tests for app=proxy's forwarded fields (apps/proxy/forward.c):
   hop-by-hop fields dropped, X-Forwarded-For and Via appended. */

#include <string.h>

#include "apps/proxy/forward.h"
#include "tests/host/hosttest.h"

#define F(n, v) { n, sizeof n - 1, v, sizeof v - 1 }

static char out[4096];

static long render(const struct fwd_field *f, size_t n, bool up)
{
	long r = fwd_render(f, n, up, "10.0.2.2", out, sizeof out);
	if (r >= 0)
		out[r] = 0;
	return r;
}

HT_TEST(to_upstream)
{
	struct fwd_field f[] = {
		F("Host", "example"),
		F("User-Agent", "curl"),
		F("Connection", "keep-alive, X-Secret"),
		F("X-Secret", "s"),
		F("Keep-Alive", "timeout=5"),
		F("Transfer-Encoding", "chunked"),
		F("Content-Length", "5"),
		F("TE", "trailers"),
		F("Upgrade", "websocket"),
		F("Proxy-Authorization", "Basic x"),
		F("X-Forwarded-For", "1.2.3.4"),
		F("x-forwarded-for", "5.6.7.8"),
		F("Accept", "*/*"),
	};
	HT_CHECK(render(f, sizeof f / sizeof f[0], true) > 0);
	HT_STREQ(out, "User-Agent: curl\r\nAccept: */*\r\n"
		      "X-Forwarded-For: 1.2.3.4, 5.6.7.8, 10.0.2.2\r\n"
		      "Via: 1.1 weft\r\n");
}

HT_TEST(to_client)
{
	struct fwd_field f[] = {
		F("Content-Type", "text/plain"),
		F("Content-Length", "5"),
		F("Connection", "close"),
		F("Via", "1.0 fred"),
		F("Host", "kept-on-responses"),
		F("X-Forwarded-For", "kept"),
	};
	HT_CHECK(render(f, sizeof f / sizeof f[0], false) > 0);
	HT_STREQ(out, "Content-Type: text/plain\r\nHost: kept-on-responses\r\n"
		      "X-Forwarded-For: kept\r\nVia: 1.0 fred, 1.1 weft\r\n");
}

HT_TEST(no_fields_and_overflow)
{
	HT_CHECK(render(NULL, 0, true) > 0);
	HT_STREQ(out, "X-Forwarded-For: 10.0.2.2\r\nVia: 1.1 weft\r\n");
	struct fwd_field f[] = { F("A", "b") };
	HT_EQ(fwd_render(f, 1, true, "10.0.2.2", out, 10), -1);
}

HT_TEST(drop)
{
	struct fwd_field conn[] = { F("Connection", "Foo ,bar") };
	HT_CHECK(fwd_drop("foo", 3, conn, 1, false));
	HT_CHECK(fwd_drop("BAR", 3, conn, 1, false));
	HT_CHECK(!fwd_drop("fo", 2, conn, 1, false));
	HT_CHECK(fwd_drop("Host", 4, NULL, 0, true));
	HT_CHECK(!fwd_drop("Host", 4, NULL, 0, false));
	HT_CHECK(fwd_drop("proxy-connection", 16, NULL, 0, false));
}
