/*
 * kernel/arch/cmos.c — reading the CMOS clock's registers through ports
 * 0x70 (index) and 0x71 (data). The decode is kernel/rtc.c's.
 *
 * Consistency (see kernel/rtc.h): wait until status A's "update in
 * progress" bit is clear, read every field, and repeat until two passes
 * read the same bytes. An update takes under 2 ms and happens once a
 * second, so two passes nearly always agree at once. Bit 7 of the index
 * port also gates NMIs on real hardware: it is left clear (NMIs enabled),
 * as Linux does.
 *
 * Called once at boot on the BSP, before the other CPUs run, so nothing
 * else touches the index port meanwhile.
 */
#include <errno.h>
#include <string.h>
#include "kernel/acpi.h"
#include "kernel/rtc.h"
#include "kernel/time.h"
#include "kernel/arch/x86.h"

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define RTC_A_UIP	0x80

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

/* Wait for the end of an update: false after 10 ms of "in progress"
   (a clock that is not there, or stuck). */
static bool wait_not_updating(void)
{
	uint64_t end = time_ns() + 10000000ull;
	while (cmos_read(0x0a) & RTC_A_UIP)
		if (time_ns() > end)
			return false;
	return true;
}

static void read_pass(struct rtc_regs *r)
{
	r->sec = cmos_read(0x00);
	r->min = cmos_read(0x02);
	r->hour = cmos_read(0x04);
	r->day = cmos_read(0x07);
	r->mon = cmos_read(0x08);
	r->year = cmos_read(0x09);
	r->have_century = acpi.rtc_century_index != 0;
	r->century = r->have_century ? cmos_read(acpi.rtc_century_index) : 0;
	r->status_b = cmos_read(0x0b);
}

int cmos_rtc_snapshot(struct rtc_regs *out)
{
	if (acpi.rtc_absent)
		return -ENODEV;
	for (int tries = 0; tries < 10; tries++) {
		struct rtc_regs a, b;
		if (!wait_not_updating())
			return -ENODEV;
		read_pass(&a);
		if (!wait_not_updating())
			return -ENODEV;
		read_pass(&b);
		if (a.sec == 0xff && a.min == 0xff && a.status_b == 0xff)
			return -ENODEV;		/* nothing decodes the ports */
		if (!memcmp(&a, &b, sizeof a)) {
			*out = a;
			return 0;
		}
	}
	return -EIO;
}
