// host-test-sources: apps/httpd/http_accept.c net/http/parse.c
/* Host unit tests for apps/httpd/http_accept.c: Accept-Encoding weights
 * and the gzip decision, from what browsers and curl send to the corners
 * of RFC 9110 12.5.3. */

#include <stdio.h>
#include <string.h>

#include "apps/httpd/http_accept.h"
#include "tests/host/hosttest.h"

static int q(const char *v, const char *name)
{
	return http_accept_q(v, strlen(v), name);
}

static bool gz(const char *v)
{
	return http_accepts_gzip(v, strlen(v));
}

HT_TEST(what_clients_send)
{
	HT_CHECK(gz("gzip, deflate, br, zstd")); /* Chrome, Firefox */
	HT_CHECK(gz("deflate, gzip")); /* curl --compressed */
	HT_CHECK(gz("gzip"));
	HT_CHECK(gz("br;q=1.0, gzip;q=0.8, *;q=0.1"));
	HT_CHECK(!gz(""));
	HT_CHECK(!gz("identity"));
	HT_CHECK(!gz("br, zstd"));
	HT_CHECK(!gz("deflate"));
}

HT_TEST(weights)
{
	HT_EQ(q("gzip", "gzip"), 1000);
	HT_EQ(q("gzip;q=0.5", "gzip"), 500);
	HT_EQ(q("gzip;q=0.05", "gzip"), 50);
	HT_EQ(q("gzip;q=0.005", "gzip"), 5);
	HT_EQ(q("gzip;q=1", "gzip"), 1000);
	HT_EQ(q("gzip;q=1.", "gzip"), 1000);
	HT_EQ(q("gzip;q=1.000", "gzip"), 1000);
	HT_EQ(q("gzip;q=0", "gzip"), 0);
	HT_EQ(q("gzip;q=0.", "gzip"), 0);
	HT_EQ(q("gzip;q=0.000", "gzip"), 0);
	HT_EQ(q("GZIP;Q=0.7", "gzip"), 700);
	HT_EQ(q("gzip ; q=0.7", "gzip"), 700);
	HT_EQ(q("gzip\t;\tq=0.7\t,br", "gzip"), 700);
	HT_EQ(q("br, gzip;q=0.3", "br"), 1000);
	HT_EQ(q("br", "gzip"), -1);
	HT_EQ(q("", "gzip"), -1);
}

HT_TEST(zero_refuses)
{
	HT_CHECK(!gz("gzip;q=0"));
	HT_CHECK(!gz("gzip;q=0.000"));
	HT_CHECK(!gz("*, gzip;q=0"));
	HT_CHECK(!gz("gzip;q=0, *"));
	HT_CHECK(!gz("*;q=0"));
	HT_CHECK(!gz("x-gzip;q=0, *"));
	HT_CHECK(gz("gzip;q=0.001"));
}

HT_TEST(star_and_x_gzip)
{
	HT_CHECK(gz("*"));
	HT_CHECK(gz("br, *;q=0.1"));
	HT_EQ(q("br, *;q=0.1", "gzip"), 100);
	HT_EQ(q("*;q=0.1, gzip;q=0.9", "gzip"), 900);
	HT_CHECK(gz("x-gzip"));
	HT_CHECK(gz("X-GZIP"));
	HT_EQ(q("x-br", "br"), -1); /* only gzip has an x- alias */
	HT_EQ(q("xgzip", "gzip"), -1);
	HT_EQ(q("gzip2", "gzip"), -1);
	HT_EQ(q("gzi", "gzip"), -1);
	/* The first element naming gzip decides. */
	HT_EQ(q("gzip;q=0.2, gzip;q=0.9", "gzip"), 200);
}

HT_TEST(parameters_and_junk)
{
	/* Other parameters are skipped, quoted ones too (with their commas). */
	HT_EQ(q("gzip;level=9;q=0.4", "gzip"), 400);
	HT_EQ(q("br;x=\"a,gzip\";q=0.5, gzip;q=0.6", "gzip"), 600);
	HT_EQ(q("br;x=\"a\\\"b,gzip\", gzip;q=0.6", "gzip"), 600);
	HT_EQ(q("gzip;x=\"unterminated", "gzip"), 0);
	/* Weights that are not qvalues weigh nothing. */
	static const char *const badq[] = {
		"gzip;q=", "gzip;q=2", "gzip;q=1.5", "gzip;q=1.001",
		"gzip;q=0.0001", "gzip;q=.5", "gzip;q=0.5x", "gzip;q=-1",
		"gzip;q", "gzip;=1", "gzip;", "gzip junk", "gzip;q=0,5",
		"gzip;q=\"1\"",
	};
	for (size_t i = 0; i < sizeof(badq) / sizeof(badq[0]); i++)
		if (q(badq[i], "gzip") != 0)
			ht_fail(__FILE__, __LINE__, "\"%s\" weighs %d",
				badq[i], q(badq[i], "gzip"));
	/* A malformed element does not spoil the rest. */
	HT_CHECK(gz("@@@, gzip"));
	HT_CHECK(gz(", ,gzip,,"));
	HT_CHECK(gz("br;q=bad, gzip"));
	HT_CHECK(!gz("\"gzip\""));
}

HT_TEST(length_is_respected)
{
	HT_CHECK(!http_accepts_gzip("gzi", 3));
	HT_CHECK(!http_accepts_gzip("gzipper", 3));
	HT_CHECK(http_accepts_gzip("gzip;q=0", 4));
}
