/*
 * kernel/wallclock.h — Unix time, for Date headers, logs and certificates.
 *
 * wallclock_init runs once at boot on the BSP, after ACPI and the TSC,
 * and takes the time from the first of
 *   1. `date=UNIXTIME` on the command line (an override: the time at
 *      boot, in seconds),
 *   2. KVM's pvclock wall clock (the host's time, to the nanosecond),
 *   3. the CMOS real-time clock (UTC, to the second),
 * then keeps it with the TSC (kernel/time.h). With none of them the wall
 * clock is unknown: wallclock_unix_ns() returns 0 and callers fall back
 * to what they know (the HTTP server: the image's build time, and it says
 * so at boot).
 *
 * After init everything here is read-only: any CPU, any context.
 */
#ifndef KERNEL_WALLCLOCK_H
#define KERNEL_WALLCLOCK_H

#include <stdint.h>

void wallclock_init(void);
/* Unix time now in nanoseconds, or 0 when unknown. */
uint64_t wallclock_unix_ns(void);
/* Unix time in nanoseconds at time_ns() == 0, or 0 when unknown. */
uint64_t wallclock_boot_unix_ns(void);
/* Where the time came from: "date=", "kvmclock", "CMOS RTC" or "none". */
const char *wallclock_source(void);

#endif
