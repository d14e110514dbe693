/*
 * apps/httpd/http_date.c — reading HTTP dates (http_date.h has the forms
 * and the contract).
 *
 * Each form is fixed-width apart from RFC 850's weekday, so parsing is
 * matching a template position by position: the digits, names and
 * separators each sit at known offsets. Days since 1970 come from Howard
 * Hinnant's days-from-civil (integer only, exact for every Gregorian
 * date), the inverse of the civil-from-days that http_date writes with.
 */
#include "apps/httpd/http_date.h"

#include <stdbool.h>
#include <string.h>

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const char *const wdays[7] = { "Monday", "Tuesday", "Wednesday",
				      "Thursday", "Friday", "Saturday",
				      "Sunday" };

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The month (1-12) named by the three letters at s, or -1. */
static int month(const char *s)
{
	for (int m = 0; m < 12; m++)
		if (memcmp(s, months + 3 * m, 3) == 0)
			return m + 1;
	return -1;
}

/* Is s[0..n) a weekday's name: its first three letters (short) or all
   of it? */
static bool weekday(const char *s, size_t n, bool full)
{
	for (int d = 0; d < 7; d++) {
		size_t len = full ? strlen(wdays[d]) : 3;

		if (n == len && memcmp(s, wdays[d], len) == 0)
			return true;
	}
	return false;
}

/* "hh:mm:ss" at s, as seconds of the day; -1 if not. */
static int64_t clock_time(const char *s)
{
	int h = digits(s, 2), m = digits(s + 3, 2), sec = digits(s + 6, 2);

	if (s[2] != ':' || s[5] != ':' || h < 0 || m < 0 || sec < 0 ||
	    h > 23 || m > 59 || sec > 60)
		return -1;
	if (sec == 60)
		sec = 59;
	return (int64_t)h * 3600 + m * 60 + sec;
}

static int days_in_month(int y, int m)
{
	static const unsigned char len[12] = { 31, 28, 31, 30, 31, 30,
					       31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

/* Days from 1970-01-01 to y-m-d (y >= 1970, a valid date). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The Gregorian year that unix time t falls in. */
static int64_t year_of(uint64_t t)
{
	int64_t z = (int64_t)(t / 86400) + 719468;
	int64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	return (int64_t)yoe + era * 400 + (mp >= 10);
}

static int assemble(int64_t y, int m, int d, int64_t secs, uint64_t *t)
{
	if (y < 1970 || m < 1 || d < 1 || d > days_in_month((int)y, m) ||
	    secs < 0)
		return -1;
	*t = (uint64_t)days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 +
	     (uint64_t)secs;
	return 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static int imf_fixdate(const char *s, uint64_t *t)
{
	if (!weekday(s, 3, false) || memcmp(s + 3, ", ", 2) != 0 ||
	    s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
	    memcmp(s + 25, " GMT", 4) != 0)
		return -1;
	return assemble(digits(s + 12, 4), month(s + 8), digits(s + 5, 2),
			clock_time(s + 17), t);
}

/* "Sun Nov  6 08:49:37 1994" */
static int asctime_date(const char *s, uint64_t *t)
{
	int d;

	if (!weekday(s, 3, false) || s[3] != ' ' || s[7] != ' ' ||
	    s[10] != ' ' || s[19] != ' ')
		return -1;
	d = s[8] == ' ' ? digits(s + 9, 1) : digits(s + 8, 2);
	return assemble(digits(s + 20, 4), month(s + 4), d,
			clock_time(s + 11), t);
}

/* "Sunday, 06-Nov-94 08:49:37 GMT": the weekday is s[0..comma). */
static int rfc850_date(const char *s, size_t n, size_t comma, uint64_t now,
		       uint64_t *t)
{
	const char *p = s + comma;
	int yy;
	int64_t y, limit = year_of(now) + 50;

	if (n - comma != 24 || !weekday(s, comma, true) || p[1] != ' ' ||
	    p[4] != '-' || p[8] != '-' || p[11] != ' ' ||
	    memcmp(p + 20, " GMT", 4) != 0)
		return -1;
	yy = digits(p + 9, 2);
	if (yy < 0)
		return -1;
	/* The latest year ending in yy that is at most 50 years ahead. */
	y = limit - ((limit % 100 - yy + 100) % 100);
	return assemble(y, month(p + 5), digits(p + 2, 2), clock_time(p + 12),
			t);
}

int http_date_parse(const char *s, size_t n, uint64_t now, uint64_t *t)
{
	const char *comma;

	if (n == 29 && s[3] == ',')
		return imf_fixdate(s, t);
	if (n == 24 && s[3] == ' ')
		return asctime_date(s, t);
	comma = n > 24 ? memchr(s, ',', n) : NULL;
	if (comma)
		return rfc850_date(s, n, (size_t)(comma - s), now, t);
	return -1;
}
