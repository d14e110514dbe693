/*
 * kernel/time.c — the TSC's frequency and conversions.
 *
 * The frequency is taken as stated where it is (boot time counts: a
 * calibration loop is most of a small kernel's start-up): CPUID leaf 0x15
 * (crystal and ratio, or 0x16's base frequency for the crystal), the
 * hypervisor's leaf 0x40000010 (TSC kHz; VMware's convention, which QEMU
 * and others follow), or kvmclock's scale factor (the host's own
 * measurement). Only without any of them (TCG, old CPUs) is it measured:
 * CALIB_MS against the ACPI PM timer (one port read, 3.58 MHz) or else the
 * PIT, each end dated by the TSC at the middle of the tightest of four
 * reads, so that a port access of a microsecond or two costs about 0.05%.
 */
#include "kernel/time.h"
#include <stdbool.h>
#include <stdio.h>
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/kvmclock.h"
#include "kernel/arch/x86.h"

#define PIT_HZ 1193182u
#define PM_TIMER_HZ 3579545u
#define CALIB_MS 2

uint64_t tsc_hz;
uint64_t boot_tsc;
const char *tsc_source = "none";

/* One clock for all CPUs when their TSCs are not kept in step (kvmclock
   without PVCLOCK_TSC_STABLE_BIT): time_ns never returns less than the
   largest value it has returned on any CPU, as Linux's pvclock does with
   its last_value. A vCPU whose TSC lags (KVM restarts a descheduled
   vCPU's TSC where it stopped and lets it catch up later) then reads the
   others' latest time instead of an earlier one: sleepers never wake
   before their deadline as another CPU saw it, and two reads in order
   are never out of order. A lagging CPU's TSC-deadline timer fires late
   by its lag, which a sleeper tolerates. Off, the common case (QEMU's
   TCG, KVM on a stable host, real hardware with an invariant TSC), it
   costs one predicted branch. */
static bool time_clamped;
static uint64_t time_last;

/* Latch and read PIT channel 0 (counting down, mode 2, period 65536),
   negated so that it counts up like the PM timer. */
static uint32_t pit_up(void)
{
	outb(0x43, 0x00);
	uint8_t lo = inb(0x40), hi = inb(0x40);
	return (uint32_t)-(uint16_t)(lo | hi << 8) & 0xffffu;
}

static uint32_t pm_up(void)
{
	return inl((uint16_t)acpi.pm_timer);
}

/* One reading of the reference counter, dated by the TSC at the middle of
   the read: the tightest of four reads (a read that a host stall
   stretched is dropped), so each end of the window is off by about half a
   port access. */
static uint64_t sample(uint32_t (*rd)(void), uint32_t mask, uint32_t *v)
{
	uint64_t best_w = ~0ull, best_t = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t a = rdtsc();
		uint32_t x = rd() & mask;
		uint64_t b = rdtsc();
		if (b - a < best_w)
			best_w = b - a, best_t = a + (b - a) / 2, *v = x;
	}
	return best_t;
}

/* The TSC's rate against a counter of ref_hz over CALIB_MS; 0 when the
   counter does not move (no such timer). */
static uint64_t calibrate(uint32_t (*rd)(void), uint32_t mask, uint32_t ref_hz)
{
	uint32_t v0 = 0, v1 = 0, ticks = ref_hz / 1000 * CALIB_MS;
	uint64_t t0 = sample(rd, mask, &v0);
	for (uint32_t spins = 0; ((rd() - v0) & mask) < ticks; spins++)
		if (spins > 1000 && ((rd() - v0) & mask) == 0)
			return 0;
	uint64_t t1 = sample(rd, mask, &v1);
	uint32_t d = (v1 - v0) & mask;
	return d ? (t1 - t0) * ref_hz / d : 0;
}

/* A frequency the CPU or the hypervisor states, or 0. */
static uint64_t tsc_hz_stated(void)
{
	uint32_t a, b, c, d, max;
	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		/* TSC = crystal * ebx / eax; a CPU that leaves the crystal out
		   gives its base frequency in 0x16 (Linux's native_calibrate_tsc). */
		uint32_t den, num, crystal;
		cpuid(0x15, 0, &den, &num, &crystal, &d);
		if (!crystal && max >= 0x16 && den && num) {
			cpuid(0x16, 0, &a, &b, &c, &d);
			crystal = (uint32_t)((uint64_t)(a & 0xffff) * 1000000 * den / num);
		}
		if (den && num && crystal) {
			tsc_source = "CPUID 0x15";
			return (uint64_t)crystal * num / den;
		}
	}
	cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 31)) {			/* a hypervisor is present */
		cpuid(0x40000000, 0, &a, &b, &c, &d);
		if (a >= 0x40000010 && a < 0x40000100) {
			cpuid(0x40000010, 0, &a, &b, &c, &d);
			if (a) {
				tsc_source = "hypervisor CPUID 0x40000010";
				return (uint64_t)a * 1000;
			}
		}
		struct kvmclock_reading kv;
		if (kvmclock_read(&kv) == 0 && kv.tsc_hz) {
			tsc_source = "kvmclock";
			return kv.tsc_hz;
		}
	}
	return 0;
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
	uint64_t hz = tsc_hz_stated();
	if (hz < 100000000ull || hz > 20000000000ull) {	/* none, or nonsense */
		hz = 0;
		outb(0x43, 0x34);		/* PIT channel 0, lo/hi, mode 2 */
		outb(0x40, 0x00);
		outb(0x40, 0x00);
		if (acpi.pm_timer &&
		    (hz = calibrate(pm_up, acpi.pm_timer_32 ? 0xffffffffu : 0xffffffu, PM_TIMER_HZ)))
			tsc_source = "ACPI PM timer";
		else if ((hz = calibrate(pit_up, 0xffffu, PIT_HZ)))
			tsc_source = "PIT";
	}
	if (!hz) {
		hz = 1000000000ull;
		tsc_source = "a guess (no reference timer)";
	}
	tsc_hz = hz;
	set_factors();
	struct kvmclock_reading kv;
	if (kvmclock_read(&kv) == 0 && !kv.tsc_stable) {
		time_clamped = true;
		printf("clock: KVM does not keep the vCPUs' TSCs in step (no PVCLOCK_TSC_STABLE_BIT): "
		       "one clock for all CPUs, never behind a time read before on another\n");
	}
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
	uint64_t t = tsc_to_ns(rdtsc() - boot_tsc);
	if (__builtin_expect(!time_clamped, 1))
		return t;
	uint64_t last = __atomic_load_n(&time_last, __ATOMIC_RELAXED);
	do {
		if ((int64_t)(t - last) <= 0)
			return last;
	} while (!__atomic_compare_exchange_n(&time_last, &last, t, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return t;
}

bool time_is_clamped(void)
{
	return time_clamped;
}

void delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + ns_to_tsc(us * 1000);
	while ((int64_t)(rdtsc() - end) < 0)
		cpu_relax();
}

uint64_t time_ticks(void)
{
	return rdtsc();
}
