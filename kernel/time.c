/* kernel/time.c — TSC calibration and conversions. */
#include "kernel/time.h"
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/arch/x86.h"

#define PIT_HZ 1193182u
#define PM_TIMER_HZ 3579545u

uint64_t tsc_hz;
uint64_t boot_tsc;
const char *tsc_source = "none";

/* Latch and read PIT channel 0 (counting down, mode 2, period 65536). */
static uint16_t pit_read(void)
{
	outb(0x43, 0x00);
	uint8_t lo = inb(0x40), hi = inb(0x40);
	return (uint16_t)(lo | hi << 8);
}

/* Count `ticks` of a timer that counts down by polling it; returns the
   TSC cycles taken, or 0 when the timer does not move. */
static uint64_t measure_pit(uint32_t ticks)
{
	outb(0x43, 0x34);			/* channel 0, lo/hi, mode 2 */
	outb(0x40, 0x00);
	outb(0x40, 0x00);
	uint16_t prev = pit_read();
	uint64_t t0 = rdtsc(), elapsed = 0;
	for (uint32_t spins = 0; elapsed < ticks; spins++) {
		uint16_t now = pit_read();
		elapsed += (uint16_t)(prev - now);
		prev = now;
		if (spins > 1000 && elapsed == 0)
			return 0;
	}
	return rdtsc() - t0;
}

static uint64_t measure_pm(uint32_t ticks)
{
	uint32_t mask = acpi.pm_timer_32 ? 0xffffffffu : 0xffffffu;
	uint32_t prev = inl((uint16_t)acpi.pm_timer) & mask;
	uint64_t t0 = rdtsc(), elapsed = 0;
	for (uint32_t spins = 0; elapsed < ticks; spins++) {
		uint32_t now = inl((uint16_t)acpi.pm_timer) & mask;
		elapsed += (now - prev) & mask;
		prev = now;
		if (spins > 1000 && elapsed == 0)
			return 0;
	}
	return rdtsc() - t0;
}

/* Fixed-point factors (32 fractional bits) so conversions are one
   multiply: no 128-bit division, which would need libgcc. */
static uint64_t ns_per_tick_fp, ticks_per_ns_fp;

static void set_factors(void)
{
	ns_per_tick_fp = (1000000000ull << 32) / tsc_hz;
	ticks_per_ns_fp = (tsc_hz << 20) / 1000000000u << 12 |
			  (((tsc_hz << 20) % 1000000000u) << 12) / 1000000000u;
}

void time_init(void)
{
	uint32_t a, b, c, d;
	/* 10 ms of reference time: 0.01% of a PIT tick each end is far below
	   what the scheduler needs, and boot time counts. */
	uint64_t t = measure_pit(PIT_HZ / 100);
	if (t) {
		tsc_hz = t * 100;
		tsc_source = "PIT";
	} else if (acpi.pm_timer && (t = measure_pm(PM_TIMER_HZ / 100))) {
		tsc_hz = t * 100;
		tsc_source = "ACPI PM timer";
	} else {
		cpuid(0, 0, &a, &b, &c, &d);
		if (a >= 0x15) {
			cpuid(0x15, 0, &a, &b, &c, &d);
			if (a && b && c)
				tsc_hz = (uint64_t)c * b / a, tsc_source = "CPUID 0x15";
		}
		if (!tsc_hz) {
			tsc_hz = 1000000000ull;
			tsc_source = "a guess (no reference timer)";
		}
	}
	set_factors();
}

uint64_t tsc_to_ns(uint64_t t)
{
	return (uint64_t)(((__uint128_t)t * ns_per_tick_fp) >> 32);
}

uint64_t ns_to_tsc(uint64_t ns)
{
	return (uint64_t)(((__uint128_t)ns * ticks_per_ns_fp) >> 32);
}

uint64_t time_ns(void)
{
	return tsc_to_ns(rdtsc() - boot_tsc);
}

void delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + ns_to_tsc(us * 1000);
	while ((int64_t)(rdtsc() - end) < 0)
		cpu_relax();
}
