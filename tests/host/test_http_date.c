// host-test-sources: apps/httpd/http_date.c
/*
 * Host unit tests for apps/httpd/http_date.c: the three HTTP-date forms,
 * checked against known instants and against glibc's timegm/strftime over
 * a spread of dates, and the malformed dates it must refuse.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apps/httpd/http_date.h"
#include "tests/host/hosttest.h"

#define NOW 1764633600u /* 2025-12-02 */

static long long parse(const char *s)
{
	uint64_t t = 0;

	if (http_date_parse(s, strlen(s), NOW, &t) != 0)
		return -1;
	return (long long)t;
}

HT_TEST(the_rfc_examples)
{
	/* RFC 9110 5.6.7's three spellings of one instant. */
	HT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
	HT_EQ(parse("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
	HT_EQ(parse("Sun Nov  6 08:49:37 1994"), 784111777);
	HT_EQ(parse("Sun Nov 06 08:49:37 1994"), 784111777);
}

HT_TEST(edges_of_the_calendar)
{
	HT_EQ(parse("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
	HT_EQ(parse("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400);
	HT_EQ(parse("Thu, 29 Feb 2024 23:59:59 GMT"), 1709251199);
	HT_EQ(parse("Fri, 01 Jan 2100 00:00:00 GMT"), 4102444800LL);
	HT_EQ(parse("Fri, 31 Dec 9999 23:59:59 GMT"), 253402300799LL);
	/* A leap second reads as the second before it. */
	HT_EQ(parse("Wed, 31 Dec 2008 23:59:60 GMT"), 1230767999);
}

HT_TEST(two_digit_years_are_at_most_fifty_years_ahead)
{
	/* now is 2025: 75 is 2075 (50 ahead), 76 is 1976. */
	HT_EQ(parse("Sunday, 01-Jan-75 00:00:00 GMT"), 3313526400LL);
	HT_EQ(parse("Thursday, 01-Jan-76 00:00:00 GMT"), 189302400);
	HT_EQ(parse("Wednesday, 01-Jan-25 00:00:00 GMT"), 1735689600);
	HT_EQ(parse("Saturday, 01-Jan-00 00:00:00 GMT"), 946684800);
	HT_EQ(parse("Monday, 01-Jan-70 00:00:00 GMT"), 3155760000LL); /* 2070 */
}

HT_TEST(refused)
{
	static const char *const bad[] = {
		"",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37 gmt",
		"sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 nov 1994 08:49:37 GMT",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT ",
		" Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 8:49:37 GMT",
		"Sun, 06 Nov 1994 08-49-37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 23:60:00 GMT",
		"Sun, 06 Nov 1994 23:59:61 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 31 Nov 1994 08:49:37 GMT",
		"Sun, 29 Feb 1900 08:49:37 GMT",
		"Sun, 29 Feb 2023 08:49:37 GMT",
		"Sun, 06 Nov 1969 08:49:37 GMT",
		"Sun, 06 Nov 19a4 08:49:37 GMT",
		"Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Xyz 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT\r\n",
		"Sunday, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06-Nov-94 08:49:37 GMT",
		"Sundae, 06-Nov-94 08:49:37 GMT",
		"Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sunday, 06-Nov-9x 08:49:37 GMT",
		"Sunday, 06 Nov 94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994 ",
		"Sun Nov   6 08:49:37 1994",
		"Sun Nov 6  08:49:37 1994",
		"Sun Nov  6 08:49:37 94",
		"Sunday Nov  6 08:49:37 1994",
		"1994-11-06T08:49:37Z",
		"784111777",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i]) != -1)
			ht_fail(__FILE__, __LINE__, "\"%s\" parsed as %lld",
				bad[i], parse(bad[i]));
}

HT_TEST(length_is_respected)
{
	const char *s = "Sun, 06 Nov 1994 08:49:37 GMTxxxx";
	uint64_t t;

	HT_EQ(http_date_parse(s, 29, NOW, &t), 0);
	HT_EQ(t, 784111777);
	HT_EQ(http_date_parse(s, 28, NOW, &t), -1);
	HT_EQ(http_date_parse(s, 30, NOW, &t), -1);
}

/* Every 97,213 seconds (about 1.1 days, so all hours and weekdays come
   round) from 1970 to 2100, in all three forms, against glibc. */
HT_TEST(agrees_with_glibc)
{
	char imf[64], asc[64], rfc850[64];
	unsigned n = 0;

	for (time_t t = 0; t < 4102444800; t += 97213, n++) {
		struct tm tm;
		int yy;

		gmtime_r(&t, &tm);
		strftime(imf, sizeof imf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		strftime(asc, sizeof asc, "%a %b %e %H:%M:%S %Y", &tm);
		yy = tm.tm_year % 100;
		strftime(rfc850, sizeof rfc850, "%A, %d-%b-%y %H:%M:%S GMT",
			 &tm);
		if (parse(imf) != (long long)t)
			ht_fail(__FILE__, __LINE__, "\"%s\": %lld, want %lld",
				imf, parse(imf), (long long)t);
		if (parse(asc) != (long long)t)
			ht_fail(__FILE__, __LINE__, "\"%s\": %lld, want %lld",
				asc, parse(asc), (long long)t);
		/* RFC 850 names the year within 50 of now's (2025). */
		if (tm.tm_year + 1900 > 1975 && tm.tm_year + 1900 <= 2075 &&
		    parse(rfc850) != (long long)t)
			ht_fail(__FILE__, __LINE__, "\"%s\" (yy %d): %lld, want %lld",
				rfc850, yy, parse(rfc850), (long long)t);
	}
	HT_CHECK(n > 40000);
}
