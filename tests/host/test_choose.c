// host-test-sources: apps/httpd/choose.c apps/httpd/http_accept.c apps/httpd/http_date.c apps/httpd/http_range.c net/http/parse.c
/*
 * Host unit tests for apps/httpd/choose.c: a packed file's answer from a
 * request's conditional, Range and Accept-Encoding fields, step by step
 * in RFC 9110 13.2.2's order (choose.h).
 */
#include <stdio.h>
#include <string.h>

#include "apps/httpd/choose.h"
#include "tests/host/hosttest.h"

#define MTIME 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define NOW 1764633600

static const struct site_file gz = {
	.path = "/a.html", .etag = "\"gz\"", .etag_len = 4, .size = 40,
	.mtime = MTIME, .vary = true,
};
static const struct site_file file = {
	.path = "/a.html", .etag = "\"id\"", .etag_len = 4, .size = 1000,
	.mtime = MTIME, .vary = true, .gzip = &gz,
};
static const struct site_file plain = {
	.path = "/b.png", .etag = "\"png\"", .etag_len = 5, .size = 10,
	.mtime = MTIME,
};

#define F(s) { s, sizeof(s) - 1 }

static struct choice C;

static int choose(const struct site_file *f, struct choose_req q)
{
	site_choose(&C, f, &q, NOW);
	return C.status;
}

HT_TEST(plain_get)
{
	HT_EQ(choose(&file, (struct choose_req){ 0 }), 200);
	HT_CHECK(C.rep == &file);
	HT_EQ(choose(&plain, (struct choose_req){ .accept_encoding = F("gzip") }), 200);
	HT_CHECK(C.rep == &plain);
}

HT_TEST(gzip_when_accepted)
{
	HT_EQ(choose(&file, (struct choose_req){ .accept_encoding = F("gzip, br") }), 200);
	HT_CHECK(C.rep == &gz);
	HT_EQ(choose(&file, (struct choose_req){ .accept_encoding = F("br, gzip;q=0") }), 200);
	HT_CHECK(C.rep == &file);
	HT_EQ(choose(&file, (struct choose_req){ .accept_encoding = F("") }), 200);
	HT_CHECK(C.rep == &file);
	HT_EQ(choose(&file, (struct choose_req){ .accept_encoding = F("*") }), 200);
	HT_CHECK(C.rep == &gz);
}

HT_TEST(if_none_match_against_the_chosen_variant)
{
	HT_EQ(choose(&file, (struct choose_req){ .if_none_match = F("\"id\"") }), 304);
	HT_EQ(choose(&file, (struct choose_req){ .if_none_match = F("W/\"id\"") }), 304);
	HT_EQ(choose(&file, (struct choose_req){ .if_none_match = F("\"x\", \"id\"") }), 304);
	HT_EQ(choose(&file, (struct choose_req){ .if_none_match = F("*") }), 304);
	HT_EQ(choose(&file, (struct choose_req){ .if_none_match = F("\"gz\"") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .accept_encoding = F("gzip"),
					     .if_none_match = F("\"gz\"") }), 304);
	HT_CHECK(C.rep == &gz);
	HT_EQ(choose(&file, (struct choose_req){ .accept_encoding = F("gzip"),
					     .if_none_match = F("\"id\"") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .if_none_match = F("\"id") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .if_none_match = F("id") }), 200);
}

HT_TEST(if_modified_since)
{
	HT_EQ(choose(&file, (struct choose_req){
		.if_modified_since = F("Sun, 06 Nov 1994 08:49:37 GMT") }), 304);
	HT_EQ(choose(&file, (struct choose_req){
		.if_modified_since = F("Sun, 06 Nov 1994 08:49:38 GMT") }), 304);
	HT_EQ(choose(&file, (struct choose_req){
		.if_modified_since = F("Sun, 06 Nov 1994 08:49:36 GMT") }), 200);
	HT_EQ(choose(&file, (struct choose_req){
		.if_modified_since = F("Sunday, 06-Nov-94 08:49:37 GMT") }), 304);
	HT_EQ(choose(&file, (struct choose_req){
		.if_modified_since = F("Sun Nov  6 08:49:37 1994") }), 304);
	/* Not a date: ignored. */
	HT_EQ(choose(&file, (struct choose_req){
		.if_modified_since = F("yesterday") }), 200);
	HT_EQ(choose(&file, (struct choose_req){
		.if_modified_since = F("Sun, 06 Nov 1994 08:49:37 GMT, x") }), 200);
}

HT_TEST(etag_wins_over_date)
{
	/* If-None-Match present and not matching: the date is not read. */
	HT_EQ(choose(&file, (struct choose_req){
		.if_none_match = F("\"other\""),
		.if_modified_since = F("Sun, 06 Nov 1994 08:49:37 GMT") }), 200);
	/* Matching, with a date that alone would say modified. */
	HT_EQ(choose(&file, (struct choose_req){
		.if_none_match = F("\"id\""),
		.if_modified_since = F("Thu, 01 Jan 1970 00:00:00 GMT") }), 304);
}

HT_TEST(if_match_and_if_unmodified_since)
{
	HT_EQ(choose(&file, (struct choose_req){ .if_match = F("\"id\"") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .if_match = F("*") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .if_match = F("\"x\"") }), 412);
	HT_EQ(choose(&file, (struct choose_req){ .if_match = F("W/\"id\"") }), 412);
	HT_EQ(choose(&file, (struct choose_req){
		.if_unmodified_since = F("Sun, 06 Nov 1994 08:49:37 GMT") }), 200);
	HT_EQ(choose(&file, (struct choose_req){
		.if_unmodified_since = F("Sun, 06 Nov 1994 08:49:36 GMT") }), 412);
	/* If-Match decides; the date is not read. */
	HT_EQ(choose(&file, (struct choose_req){ .if_match = F("\"id\""),
		.if_unmodified_since = F("Thu, 01 Jan 1970 00:00:00 GMT") }), 200);
	/* 412 before 304. */
	HT_EQ(choose(&file, (struct choose_req){ .if_match = F("\"x\""),
		.if_none_match = F("\"id\"") }), 412);
}

HT_TEST(range)
{
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=10-19") }), 206);
	HT_CHECK(C.rep == &file);
	HT_EQ(C.first, 10);
	HT_EQ(C.last, 19);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=-1") }), 206);
	HT_EQ(C.first, 999);
	HT_EQ(C.last, 999);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=1000-") }), 416);
	HT_CHECK(C.rep == &file);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=0-1,5-6") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("lines=1-2") }), 200);
	/* HEAD gets the 200 headers. */
	HT_EQ(choose(&file, (struct choose_req){ .head = true,
						  .range = F("bytes=10-19") }), 200);
	/* 304 before the range. */
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=10-19"),
		.if_none_match = F("\"id\"") }), 304);
}

HT_TEST(range_is_on_the_identity)
{
	/* A client that accepts gzip gets the file's own bytes for a range
	   (beyond the gzip variant's 40 bytes too). */
	HT_EQ(choose(&file, (struct choose_req){ .accept_encoding = F("gzip"),
		.range = F("bytes=500-") }), 206);
	HT_CHECK(C.rep == &file);
	HT_EQ(C.first, 500);
	HT_EQ(C.last, 999);
	/* A range that falls through: the whole gzip variant. */
	HT_EQ(choose(&file, (struct choose_req){ .accept_encoding = F("gzip"),
		.range = F("bytes=1-2,4-5") }), 200);
	HT_CHECK(C.rep == &gz);
}

HT_TEST(if_range)
{
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("\"id\"") }), 206);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("\"other\"") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("W/\"id\"") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("\"gz\"") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("Sun, 06 Nov 1994 08:49:37 GMT") }), 206);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("Sun, 06 Nov 1994 08:49:38 GMT") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("Sunday, 06-Nov-94 08:49:37 GMT") }), 206);
	/* A date starting with W is a date, not a weak tag. */
	static const struct site_file wed = {
		.etag = "\"w\"", .etag_len = 3, .size = 10, .mtime = 0,
	};
	HT_EQ(choose(&wed, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("Thu, 01 Jan 1970 00:00:00 GMT") }), 206);
	static const struct site_file wed2 = {
		.etag = "\"w\"", .etag_len = 3, .size = 10, .mtime = 86400 * 6,
	};
	HT_EQ(choose(&wed2, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("Wed, 07 Jan 1970 00:00:00 GMT") }), 206);
	HT_EQ(choose(&wed2, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("Wednesday, 07-Jan-70 00:00:00 GMT") }), 200);
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=5-"),
		.if_range = F("garbage") }), 200);
	/* A failed If-Range with gzip accepted: the whole gzip variant. */
	HT_EQ(choose(&file, (struct choose_req){ .range = F("bytes=5-"),
		.accept_encoding = F("gzip"), .if_range = F("\"other\"") }), 200);
	HT_CHECK(C.rep == &gz);
}

HT_TEST(etag_lists)
{
	HT_CHECK(site_etag_match("\"a\"", 3, "\"a\"", 3, false));
	HT_CHECK(!site_etag_match("W/\"a\"", 5, "\"a\"", 3, false));
	HT_CHECK(site_etag_match("W/\"a\"", 5, "\"a\"", 3, true));
	HT_CHECK(site_etag_match(" \"b\" ,\t\"a\"", 10, "\"a\"", 3, false));
	HT_CHECK(!site_etag_match("\"b\", x, \"a\"", 11, "\"a\"", 3, true));
	HT_CHECK(!site_etag_match("", 0, "\"a\"", 3, true));
	HT_CHECK(!site_etag_match("\"ab\"", 4, "\"a\"", 3, true));
	HT_CHECK(!site_etag_match("\"a", 2, "\"a\"", 3, true));
}
