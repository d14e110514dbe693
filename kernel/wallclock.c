/*
 * kernel/wallclock.c — choosing the wall clock's source at boot
 * (kernel/wallclock.h has the order and the contract).
 *
 * The result is one number, the Unix time in nanoseconds at time_ns() ==
 * 0 (boot_unix_ns); the time now is that plus time_ns(). A source read at
 * some TSC value is moved back to time_ns() == 0 with the calibrated TSC
 * (tsc_to_ns). Nothing steps the clock after boot: there is no NTP, and
 * QEMU and clouds start a VM with the host's time, so the drift is the
 * TSC's against the host's clock (parts per million).
 */
#include "kernel/wallclock.h"

#include <errno.h>
#include <stdio.h>
#include "kernel/cpu.h"
#include "kernel/kcmdline.h"
#include "kernel/kvmclock.h"
#include "kernel/rtc.h"
#include "kernel/time.h"

CMDLINE_KEY(key_date, "date", "Unix time at boot (overrides the RTC and kvmclock)");

static uint64_t boot_unix_ns;
static const char *source = "none";

void wallclock_init(void)
{
	struct kvmclock_reading kv;
	struct rtc_regs regs;
	struct rtc_time t;
	if (kcmdline_str(&key_date)) {
		uint64_t d = kcmdline_u64(&key_date, 0, 1, 253402300799ull);	/* < year 10000 */
		if (d) {
			boot_unix_ns = d * 1000000000ull;
			source = "date=";
		}
	}
	if (!boot_unix_ns && kvmclock_read(&kv) == 0) {
		boot_unix_ns = kv.unix_ns - tsc_to_ns(kv.tsc - boot_tsc);
		source = "kvmclock";
	}
	int e = -ENODEV;
	if (!boot_unix_ns && (e = cmos_rtc_snapshot(&regs)) == 0 &&
	    (e = rtc_decode(&regs, &t)) == 0) {
		uint64_t now = time_ns();
		boot_unix_ns = (uint64_t)rtc_to_unix(&t) * 1000000000ull - now;
		source = "CMOS RTC";
	}
	if (!boot_unix_ns) {
		printf("clock: no wall clock (no date=, no kvmclock, CMOS RTC: %s)\n",
		       e == -EINVAL ? "unreadable values" : e == -EIO ? "never stable" : "none");
		return;
	}
	rtc_from_unix((int64_t)(wallclock_unix_ns() / 1000000000ull), &t);
	printf("clock: %04d-%02d-%02d %02d:%02d:%02d UTC (from %s)\n", t.year, t.mon, t.day,
	       t.hour, t.min, t.sec, source);
}

uint64_t wallclock_unix_ns(void)
{
	return boot_unix_ns ? boot_unix_ns + time_ns() : 0;
}

uint64_t wallclock_boot_unix_ns(void)
{
	return boot_unix_ns;
}

const char *wallclock_source(void)
{
	return source;
}
