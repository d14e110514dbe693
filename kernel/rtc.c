/*
 * kernel/rtc.c — decoding the CMOS clock's registers, and the calendar.
 * Pure code: no port I/O here (that is kernel/arch/cmos.c), so the host
 * tests run it as it is.
 *
 * Days from civil: count days to the start of the year from 1970 with the
 * Gregorian leap rule (every 4th year, not every 100th, every 400th), then
 * the days of the months before. Rejected: a table of days since 1970
 * per year (bounded range), timegm (newlib's depends on its time zone
 * state, and the host tests want the same code the kernel runs).
 */
#include "kernel/rtc.h"

#include <errno.h>

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int rtc_days_in_month(int year, int mon)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mon < 1 || mon > 12)
		return 0;
	return days[mon - 1] + (mon == 2 && leap(year));
}

/* Days from 1970-01-01 to January 1st of year y (y >= 1970). */
static int64_t days_to_year(int y)
{
	int64_t n = y - 1970;
	/* leap years in [1970, y): those divisible by 4, minus by 100, plus
	   by 400, counted from year 0 and differenced */
	int64_t p = y - 1;
	int64_t leaps = (p / 4 - p / 100 + p / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
	return n * 365 + leaps;
}

int64_t rtc_to_unix(const struct rtc_time *t)
{
	int64_t d = days_to_year(t->year);
	for (int m = 1; m < t->mon; m++)
		d += rtc_days_in_month(t->year, m);
	d += t->day - 1;
	return ((d * 24 + t->hour) * 60 + t->min) * 60 + t->sec;
}

void rtc_from_unix(int64_t secs, struct rtc_time *out)
{
	int64_t days = secs / 86400, rem = secs % 86400;
	out->hour = (int)(rem / 3600);
	out->min = (int)(rem / 60 % 60);
	out->sec = (int)(rem % 60);
	int y = 1970;
	for (;;) {
		int n = leap(y) ? 366 : 365;
		if (days < n)
			break;
		days -= n;
		y++;
	}
	int m = 1;
	while (days >= rtc_days_in_month(y, m))
		days -= rtc_days_in_month(y, m++);
	out->year = y;
	out->mon = m;
	out->day = (int)days + 1;
}

/* A register's value: BCD (two decimal digits) or binary. -1 when it is
   not a valid BCD byte. */
static int field(uint8_t v, bool binary)
{
	if (binary)
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

int rtc_decode(const struct rtc_regs *r, struct rtc_time *out)
{
	bool bin = r->status_b & RTC_B_BINARY;
	int hour;
	if (r->status_b & RTC_B_24H) {
		hour = field(r->hour, bin);
	} else {
		/* 12-hour: 12 AM is 0, 12 PM is 12; bit 7 is PM */
		hour = field(r->hour & 0x7f, bin);
		if (hour < 1 || hour > 12)
			return -EINVAL;
		hour %= 12;
		if (r->hour & 0x80)
			hour += 12;
	}
	int sec = field(r->sec, bin), min = field(r->min, bin);
	int day = field(r->day, bin), mon = field(r->mon, bin), yy = field(r->year, bin);
	int cc = r->have_century ? field(r->century, bin) : 20;
	if (sec < 0 || sec > 59 || min < 0 || min > 59 || hour < 0 || hour > 23 ||
	    mon < 1 || mon > 12 || yy < 0 || yy > 99 || cc < 19 || cc > 99)
		return -EINVAL;
	int year = cc * 100 + yy;
	if (year < 1970 || day < 1 || day > rtc_days_in_month(year, mon))
		return -EINVAL;
	*out = (struct rtc_time){ year, mon, day, hour, min, sec };
	return 0;
}
