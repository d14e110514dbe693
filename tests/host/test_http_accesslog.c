// host-test-sources: net/http/accesslog.c
/*
 * Host unit tests for net/http/accesslog.c: the CLF and JSON lines of an
 * answer (nginx's escaping of quotes, backslashes and control bytes in
 * the URI and the user agent; JSON always valid), lines cut to a slot,
 * the unparsed request's "-", the format names, and the ring: order,
 * full (dropped and counted), the rate window, reuse over many laps.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/http/accesslog.h"
#include "tests/host/hosttest.h"

#define T0 1764686149123456000ull /* 2025-12-02T14:35:49.123456Z */

static struct http_str S(const char *s)
{
	return (struct http_str){ s, strlen(s) };
}

static char line[HTTP_LOG_LINE + 1];

static const char *fmt(enum http_log_format f, const struct http_log_entry *e)
{
	size_t n = http_log_format(f, e, line, HTTP_LOG_LINE);

	line[n] = 0;
	return line;
}

static struct http_log_entry entry(void)
{
	return (struct http_log_entry){
		.unix_ns = T0,
		.peer = "10.0.2.2",
		.method = S("GET"),
		.target = S("/a/b.html?x=1"),
		.version = 11,
		.status = 200,
		.bytes = 5120,
		.duration_ns = 1234567,
		.user_agent = S("curl/8.5.0"),
	};
}

HT_TEST(clf_is_nginx_combined_and_the_request_time)
{
	struct http_log_entry e = entry();

	HT_STREQ(fmt(HTTP_LOG_CLF, &e),
		 "10.0.2.2 - - [02/Dec/2025:14:35:49 +0000] \"GET /a/b.html?x=1 "
		 "HTTP/1.1\" 200 5120 \"-\" \"curl/8.5.0\" 0.001234\n");
	e.referer = S("http://x/");
	e.version = 10;
	e.status = 304;
	e.bytes = 0;
	e.user_agent = (struct http_str){ NULL, 0 };
	e.duration_ns = 2000000000ull;
	HT_STREQ(fmt(HTTP_LOG_CLF, &e),
		 "10.0.2.2 - - [02/Dec/2025:14:35:49 +0000] \"GET /a/b.html?x=1 "
		 "HTTP/1.0\" 304 0 \"http://x/\" \"-\" 2.000000\n");
}

HT_TEST(json_line)
{
	struct http_log_entry e = entry();

	HT_STREQ(fmt(HTTP_LOG_JSON, &e),
		 "{\"time\":\"2025-12-02T14:35:49.123456Z\",\"peer\":\"10.0.2.2\","
		 "\"method\":\"GET\",\"uri\":\"/a/b.html?x=1\",\"protocol\":"
		 "\"HTTP/1.1\",\"status\":200,\"bytes\":5120,\"duration_s\":"
		 "0.001234,\"referer\":\"\",\"user_agent\":\"curl/8.5.0\"}\n");
}

HT_TEST(clf_escapes_quotes_backslashes_and_control_bytes)
{
	struct http_log_entry e = entry();

	e.target = S("/q\"\\\x01\x7f\xff");
	e.user_agent = (struct http_str){ "a\"b\n\tc\0d", 8 };
	HT_STREQ(fmt(HTTP_LOG_CLF, &e),
		 "10.0.2.2 - - [02/Dec/2025:14:35:49 +0000] \"GET "
		 "/q\\x22\\x5C\\x01\\x7F\\xFF HTTP/1.1\" 200 5120 \"-\" "
		 "\"a\\x22b\\x0A\\x09c\\x00d\" 0.001234\n");
}

HT_TEST(json_escapes_and_stays_valid)
{
	struct http_log_entry e = entry();

	e.target = S("/q\"\\\x01\x7f\xe9");
	e.user_agent = (struct http_str){ "a\"b\n\r\tc\b\f\0", 10 };
	fmt(HTTP_LOG_JSON, &e);
	HT_CHECK(strstr(line, "\"uri\":\"/q\\\"\\\\\\u0001\\u007F\\u00E9\","));
	HT_CHECK(strstr(line,
			"\"user_agent\":\"a\\\"b\\n\\r\\tc\\b\\f\\u0000\"}\n"));
	for (const char *p = line; *p; p++) /* nothing raw but printable */
		HT_CHECK((*p >= 0x20 && *p < 0x7f) || (*p == '\n' && !p[1]));
}

HT_TEST(an_unparsed_request_logs_dashes)
{
	struct http_log_entry e = entry();

	e.method = e.target = e.user_agent = (struct http_str){ NULL, 0 };
	e.version = 0;
	e.status = 400;
	e.bytes = 24;
	e.peer = NULL;
	HT_STREQ(fmt(HTTP_LOG_CLF, &e),
		 "- - - [02/Dec/2025:14:35:49 +0000] \"-\" 400 24 \"-\" \"-\" "
		 "0.001234\n");
	fmt(HTTP_LOG_JSON, &e);
	HT_CHECK(strstr(line, "\"peer\":\"\",\"method\":\"\",\"uri\":\"\","
			      "\"protocol\":\"\",\"status\":400,"));
}

HT_TEST(long_fields_are_cut_to_the_slot)
{
	static char big[20000];
	struct http_log_entry e = entry();
	size_t n;

	memset(big, '"', sizeof big); /* each byte escapes to 4 or 2 */
	e.target = (struct http_str){ big, sizeof big };
	e.user_agent = (struct http_str){ big, sizeof big };
	for (int f = HTTP_LOG_CLF; f <= HTTP_LOG_JSON; f++) {
		n = http_log_format(f, &e, line, HTTP_LOG_LINE);
		HT_CHECK(n <= HTTP_LOG_LINE);
		HT_EQ(line[n - 1], '\n');
		line[n] = 0;
		HT_CHECK(strstr(line, "...")); /* marked */
		HT_CHECK(strstr(line, f == HTTP_LOG_CLF ? "\" 200 5120 \""
							: "\"status\":200,"));
		/* the cut never splits an escape */
		HT_CHECK(!strstr(line, f == HTTP_LOG_CLF ? "\\x2..." : "\\..."));
	}
	/* A long URI may use what a short user agent leaves. */
	e.user_agent = S("ua");
	n = http_log_format(HTTP_LOG_CLF, &e, line, HTTP_LOG_LINE);
	line[n] = 0;
	HT_CHECK(n > 700); /* more than half the slot */
	HT_CHECK(strstr(line, "\"ua\""));
}

HT_TEST(rfc3339_dates)
{
	char t[HTTP_LOG_RFC3339_LEN + 1] = { 0 };

	http_log_rfc3339(0, t);
	HT_STREQ(t, "1970-01-01T00:00:00.000000Z");
	http_log_rfc3339(951782400000000000ull + 999999999, t); /* leap day */
	HT_STREQ(t, "2000-02-29T00:00:00.999999Z");
	http_log_rfc3339(T0, t);
	HT_STREQ(t, "2025-12-02T14:35:49.123456Z");
}

HT_TEST(format_names)
{
	enum http_log_format f = HTTP_LOG_CLF;

	HT_EQ(http_log_format_parse("off", &f), 0);
	HT_EQ(f, HTTP_LOG_OFF);
	HT_EQ(http_log_format_parse("clf", &f), 0);
	HT_EQ(f, HTTP_LOG_CLF);
	HT_EQ(http_log_format_parse("json", &f), 0);
	HT_EQ(f, HTTP_LOG_JSON);
	HT_EQ(http_log_format_parse("CLF", &f), -EINVAL);
	HT_EQ(http_log_format_parse("", &f), -EINVAL);
	HT_EQ(http_log_format_parse(NULL, &f), -EINVAL);
	HT_EQ(f, HTTP_LOG_JSON);
}

static struct http_log_slot slots[4];

HT_TEST(ring_order_full_and_laps)
{
	struct http_log_ring q;
	struct http_log_slot *s;
	uint64_t dropped = http_log_stats.dropped;

	http_log_ring_init(&q, slots, 4, 0);
	HT_CHECK(!http_log_next(&q));
	for (int i = 0; i < 4; i++) {
		s = http_log_claim(&q, 0);
		HT_CHECK(s);
		s->len = (uint32_t)i;
		http_log_publish(&q, s);
	}
	HT_CHECK(!http_log_claim(&q, 0)); /* full: dropped, counted */
	HT_EQ(http_log_stats.dropped, dropped + 1);
	for (int i = 0; i < 4; i++) {
		s = http_log_next(&q);
		HT_CHECK(s);
		HT_EQ(s->len, (uint32_t)i);
		http_log_release(&q, s);
	}
	HT_CHECK(!http_log_next(&q));
	/* A claimed slot not yet published holds the reader there. */
	struct http_log_slot *a = http_log_claim(&q, 0);
	struct http_log_slot *b = http_log_claim(&q, 0);
	HT_CHECK(a && b && a != b);
	http_log_publish(&q, b);
	HT_CHECK(!http_log_next(&q));
	http_log_publish(&q, a);
	HT_CHECK(http_log_next(&q) == a);
	http_log_release(&q, a);
	HT_CHECK(http_log_next(&q) == b);
	http_log_release(&q, b);
	/* Many laps. */
	for (unsigned i = 0; i < 1000; i++) {
		s = http_log_claim(&q, 0);
		HT_CHECK(s);
		s->len = i;
		http_log_publish(&q, s);
		s = http_log_next(&q);
		HT_CHECK(s && s->len == i);
		http_log_release(&q, s);
	}
}

HT_TEST(ring_rate_window)
{
	struct http_log_ring q;
	struct http_log_slot *s;
	uint64_t limited = http_log_stats.rate_limited;
	int got = 0;

	http_log_ring_init(&q, slots, 4, 2); /* 2 lines a second */
	for (int i = 0; i < 5; i++) {
		s = http_log_claim(&q, 7000000000ull + (uint64_t)i);
		if (s) {
			got++;
			http_log_publish(&q, s);
			http_log_release(&q, http_log_next(&q));
		}
	}
	HT_EQ(got, 2);
	HT_EQ(http_log_stats.rate_limited, limited + 3);
	s = http_log_claim(&q, 8000000000ull); /* the next second */
	HT_CHECK(s);
	http_log_publish(&q, s);
}
