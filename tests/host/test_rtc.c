// host-test-sources: kernel/rtc.c
/* Host unit tests for kernel/rtc.c: the CMOS clock's decode and the
   calendar, checked against the C library's timegm/gmtime_r. */

#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/rtc.h"
#include "tests/host/hosttest.h"

static int64_t unix_of(int y, int mo, int d, int h, int mi, int s)
{
	struct rtc_time t = { y, mo, d, h, mi, s };
	return rtc_to_unix(&t);
}

HT_TEST(known_dates)
{
	HT_EQ(unix_of(1970, 1, 1, 0, 0, 0), 0);
	HT_EQ(unix_of(1970, 1, 2, 0, 0, 0), 86400);
	HT_EQ(unix_of(2000, 2, 29, 12, 34, 56), 951827696);	/* 2000: leap (400) */
	HT_EQ(unix_of(2100, 3, 1, 0, 0, 0), 4107542400);	/* 2100: not leap */
	HT_EQ(unix_of(2038, 1, 19, 3, 14, 8), 2147483648);	/* past 32 bits */
	HT_EQ(unix_of(2026, 12, 2, 3, 38, 57), 1796182737);
}

HT_TEST(matches_timegm_and_gmtime)
{
	srand(12345);
	for (int i = 0; i < 200000; i++) {
		int64_t s = ((int64_t)rand() << 20 ^ rand()) % 253402300800ll; /* < 10000 */
		if (s < 0)
			s = -s;
		struct tm tm;
		time_t tt = (time_t)s;
		gmtime_r(&tt, &tm);
		struct rtc_time t;
		rtc_from_unix(s, &t);
		if (t.year != tm.tm_year + 1900 || t.mon != tm.tm_mon + 1 || t.day != tm.tm_mday ||
		    t.hour != tm.tm_hour || t.min != tm.tm_min || t.sec != tm.tm_sec) {
			HT_EQ(s, -1);	/* report the failing input */
			return;
		}
		if (rtc_to_unix(&t) != s || (int64_t)timegm(&tm) != s) {
			HT_EQ(s, -2);
			return;
		}
	}
}

HT_TEST(days_in_month)
{
	HT_EQ(rtc_days_in_month(2024, 2), 29);
	HT_EQ(rtc_days_in_month(2023, 2), 28);
	HT_EQ(rtc_days_in_month(1900, 2), 28);
	HT_EQ(rtc_days_in_month(2000, 2), 29);
	HT_EQ(rtc_days_in_month(2026, 4), 30);
	HT_EQ(rtc_days_in_month(2026, 12), 31);
	HT_EQ(rtc_days_in_month(2026, 0), 0);
	HT_EQ(rtc_days_in_month(2026, 13), 0);
}

/* QEMU's default: BCD, 24-hour (status B = 0x02), century at 0x32. */
HT_TEST(decodes_bcd_24_hour_with_century)
{
	struct rtc_regs r = { .sec = 0x57, .min = 0x38, .hour = 0x23, .day = 0x02, .mon = 0x12,
			      .year = 0x26, .century = 0x20, .have_century = true,
			      .status_b = RTC_B_24H };
	struct rtc_time t;
	HT_EQ(rtc_decode(&r, &t), 0);
	HT_EQ(t.year, 2026);
	HT_EQ(t.mon, 12);
	HT_EQ(t.day, 2);
	HT_EQ(t.hour, 23);
	HT_EQ(t.min, 38);
	HT_EQ(t.sec, 57);
}

HT_TEST(decodes_binary_and_12_hour)
{
	struct rtc_time t;
	struct rtc_regs r = { .sec = 5, .min = 6, .hour = 12, .day = 31, .mon = 1, .year = 99,
			      .century = 19, .have_century = true, .status_b = RTC_B_BINARY };
	HT_EQ(rtc_decode(&r, &t), 0);		/* 12 AM is midnight */
	HT_EQ(t.year, 1999);
	HT_EQ(t.hour, 0);
	r.hour = 0x80 | 12;			/* 12 PM is noon */
	HT_EQ(rtc_decode(&r, &t), 0);
	HT_EQ(t.hour, 12);
	r.hour = 0x80 | 1;			/* 1 PM */
	HT_EQ(rtc_decode(&r, &t), 0);
	HT_EQ(t.hour, 13);
	r.status_b = 0;				/* BCD, 12-hour */
	r.hour = 0x80 | 0x11;			/* 11 PM */
	r.sec = 0x05, r.min = 0x06, r.day = 0x31, r.mon = 0x01, r.year = 0x99, r.century = 0x19;
	HT_EQ(rtc_decode(&r, &t), 0);
	HT_EQ(t.hour, 23);
	HT_EQ(t.day, 31);
}

HT_TEST(without_century_years_are_2000s)
{
	struct rtc_regs r = { .sec = 0, .min = 0, .hour = 0, .day = 1, .mon = 1, .year = 0x30,
			      .status_b = RTC_B_24H };
	struct rtc_time t;
	HT_EQ(rtc_decode(&r, &t), 0);
	HT_EQ(t.year, 2030);
}

HT_TEST(rejects_what_is_not_a_time)
{
	struct rtc_time t;
	struct rtc_regs ones;
	memset(&ones, 0xff, sizeof ones);	/* no clock on the bus */
	ones.have_century = true;
	HT_EQ(rtc_decode(&ones, &t), -EINVAL);
	struct rtc_regs r = { .sec = 0x5a, .min = 0, .hour = 0, .day = 1, .mon = 1, .year = 0x26,
			      .status_b = RTC_B_24H };
	HT_EQ(rtc_decode(&r, &t), -EINVAL);	/* 0x5a is not BCD */
	r.sec = 0x60;
	HT_EQ(rtc_decode(&r, &t), -EINVAL);	/* second 60 */
	r.sec = 0;
	r.day = 0x30, r.mon = 0x02;
	HT_EQ(rtc_decode(&r, &t), -EINVAL);	/* February 30th */
	r.day = 0x29, r.year = 0x25;
	HT_EQ(rtc_decode(&r, &t), -EINVAL);	/* 2025 is not a leap year */
	r.year = 0x24;
	HT_EQ(rtc_decode(&r, &t), 0);		/* 2024 is */
	r.hour = 0x24;
	HT_EQ(rtc_decode(&r, &t), -EINVAL);	/* hour 24 */
	r.hour = 0x00, r.status_b = 0;		/* 12-hour mode has no hour 0 */
	HT_EQ(rtc_decode(&r, &t), -EINVAL);
	r.status_b = RTC_B_24H, r.mon = 0x13;
	HT_EQ(rtc_decode(&r, &t), -EINVAL);	/* month 13 */
}
