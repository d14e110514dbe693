/*
 * kernel/rtc.h — the PC's CMOS real-time clock, as a source of wall time.
 *
 * The clock keeps broken-down UTC (QEMU's default -rtc base=utc, and what
 * every cloud hypervisor sets) in registers 0x00-0x09: seconds, minutes,
 * hours, day of week, day, month, year (two digits), and the century in
 * whatever register the FADT names (often 0x32). Status register B says
 * whether the fields are BCD or binary and whether hours are 12- or
 * 24-hour (bit 7 of the hour is PM in 12-hour mode).
 *
 * Reading: the clock updates its registers once a second, and a read in
 * the middle of an update can mix two seconds. cmos_rtc_snapshot
 * (kernel/arch/cmos.c) waits while "update in progress" is set and reads
 * until two passes agree, as Linux's mc146818_get_time does.
 *
 * The decode and the calendar arithmetic here are pure (host-tested):
 *   rtc_decode        raw registers -> struct rtc_time (UTC), or -EINVAL
 *   rtc_to_unix       struct rtc_time -> seconds since 1970-01-01 UTC
 *   rtc_from_unix     the inverse (tests, and the Date header's fields)
 */
#ifndef KERNEL_RTC_H
#define KERNEL_RTC_H

#include <stdbool.h>
#include <stdint.h>

/* A broken-down UTC time. */
struct rtc_time {
	int year;		/* e.g. 2026 */
	int mon;		/* 1..12 */
	int day;		/* 1..31 */
	int hour, min, sec;	/* 0..23, 0..59, 0..59 */
};

/* The CMOS registers as read, in one consistent snapshot. */
struct rtc_regs {
	uint8_t sec, min, hour, day, mon, year;
	uint8_t century;	/* valid when have_century */
	bool have_century;
	uint8_t status_b;	/* bit 2: binary (else BCD); bit 1: 24-hour */
};

#define RTC_B_BINARY	0x04
#define RTC_B_24H	0x02

/* Decode a snapshot into UTC. Without a century register, two-digit
   years are taken as 2000..2099. -EINVAL when a field is not a valid
   BCD/binary number or out of range (a missing clock reads 0xff). */
int rtc_decode(const struct rtc_regs *r, struct rtc_time *out);

/* Seconds since the Unix epoch of a valid UTC time (proleptic
   Gregorian calendar; years 1970..9999). */
int64_t rtc_to_unix(const struct rtc_time *t);

/* The UTC time of a Unix time (seconds >= 0). */
void rtc_from_unix(int64_t secs, struct rtc_time *out);

/* Days in month `mon` (1..12) of `year`. */
int rtc_days_in_month(int year, int mon);

/* Read the CMOS clock (kernel/arch/cmos.c): a consistent snapshot of
   its registers, or -ENODEV when there is none (ACPI says so, or it
   never leaves "update in progress", or reads back as all ones), or
   -EIO when no two passes agreed. */
int cmos_rtc_snapshot(struct rtc_regs *out);

#endif
