/*
 * kernel/time.c — the TSC's frequency and conversions.
 *
 * The frequency is taken as stated where it is (boot time counts: a
 * calibration loop is most of a small kernel's start-up). Under a
 * hypervisor its word comes first, because it describes the guest's TSC
 * (which the host may scale) where a passed-through CPUID 0x15 describes
 * the host's: the hypervisor leaf 0x40000010 (TSC kHz; VMware's
 * convention, which QEMU/KVM follow with invtsc), then kvmclock's scale
 * factor (the host's own figure; Linux under KVM prefers it too). Then
 * CPUID leaf 0x15 (TSC = crystal * EBX / EAX; the crystal in ECX, else
 * known for the model, else from 0x16's base frequency, as Linux's
 * native_calibrate_tsc). Only without any of them (TCG, old CPUs) is it
 * measured, for CALIB_MS against the ACPI PM timer (one port read,
 * 3.58 MHz) or else the PIT, each end dated by the TSC at the middle of
 * the tightest of four reads, so that a port access of a microsecond or
 * two costs about 0.05%. The PM timer's window opens early
 * (time_calibrate_start, right after acpi_init) and closes in time_init,
 * so the boot's work in between (the APIC, PCI) fills it and only what is
 * left of CALIB_MS is waited out; a longer window is only more exact. It
 * is used only if it certainly spans less than one wrap of the counter
 * (4.7 s for a 24-bit PM timer: fewer TSC ticks than a 100 MHz TSC, the
 * sanity floor, would count in one wrap), else a fresh window is
 * measured. The PIT wraps every 55 ms, too soon for that, so it is always
 * measured on the spot. The console's "cpu: TSC" line names the source,
 * and for a calibration the reference and the window's length.
 */
#include "kernel/time.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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

/* The reference timer for calibration: the ACPI PM timer (24 or 32 bits)
   when the FADT names one, else the PIT. */
struct ref {
	uint32_t (*rd)(void);
	uint32_t mask, hz;
	const char *name;
};

static struct ref ref_pit(void)
{
	outb(0x43, 0x34);			/* PIT channel 0, lo/hi, mode 2 */
	outb(0x40, 0x00);
	outb(0x40, 0x00);
	return (struct ref){ pit_up, 0xffffu, PIT_HZ, "the PIT" };
}

static struct ref ref_pick(void)
{
	if (acpi.pm_timer)
		return (struct ref){ pm_up, acpi.pm_timer_32 ? 0xffffffffu : 0xffffffu, PM_TIMER_HZ,
				     "the ACPI PM timer" };
	return ref_pit();
}

/* The window's first end, taken early (time_calibrate_start) so the
   boot's own work fills the window instead of a wait. */
static struct {
	bool started;
	struct ref r;
	uint32_t v0;
	uint64_t t0;
} early;

/* The TSC's rate against r from (t0, v0), once at least CALIB_MS of the
   reference has passed (spinning for the rest, if any); 0 when the
   counter does not move (no such timer). */
static uint64_t calibrate_from(const struct ref *r, uint64_t t0, uint32_t v0)
{
	uint32_t v1 = 0, ticks = r->hz / 1000 * CALIB_MS;
	for (uint32_t spins = 0; ((r->rd() - v0) & r->mask) < ticks; spins++)
		if (spins > 1000 && ((r->rd() - v0) & r->mask) == 0)
			return 0;
	uint64_t t1 = sample(r->rd, r->mask, &v1);
	uint32_t d = (v1 - v0) & r->mask;
	return d ? (t1 - t0) * r->hz / d : 0;
}

static uint64_t calibrate(const struct ref *r)
{
	uint32_t v0 = 0;
	uint64_t t0 = sample(r->rd, r->mask, &v0);
	return calibrate_from(r, t0, v0);
}

void time_calibrate_start(void)
{
	if (!acpi.pm_timer)
		return;			/* the PIT wraps too soon to wait for */
	early.r = ref_pick();
	early.t0 = sample(early.r.rd, early.r.mask, &early.v0);
	early.started = true;
}

/* Whether the early window is certainly shorter than one wrap of the
   reference counter: a TSC of at least 100 MHz (the sanity floor below)
   has counted fewer ticks than it would in a whole wrap. */
static bool early_window_ok(void)
{
	uint64_t wrap_ticks_min = ((uint64_t)early.r.mask + 1) / early.r.hz * 100000000ull;
	return early.started && rdtsc() - early.t0 < wrap_ticks_min;
}

/* CPUID 0x15's crystal when the CPU leaves ECX zero, by model, as Linux's
   native_calibrate_tsc (and its older table) knows it; 0 if unknown.
   Goldmont D says nothing in 0x16 either; for the others 0x16 comes
   first (their crystal is the table's, but 0x16 is what the CPU says). */
static uint32_t crystal_by_model(bool before_0x16)
{
	uint32_t a, b, c, d, v[3];
	cpuid(0, 0, &a, &v[0], &v[2], &v[1]);
	if (memcmp(v, "GenuineIntel", 12))
		return 0;
	cpuid(1, 0, &a, &b, &c, &d);
	unsigned family = (a >> 8) & 0xf, model = ((a >> 4) & 0xf) | ((a >> 12) & 0xf0);
	if (family != 6)
		return 0;
	if (before_0x16)
		return model == 0x5f ? 25000000u : 0;		/* Goldmont D (Denverton) */
	switch (model) {
	case 0x4e: case 0x5e: case 0x8e: case 0x9e:		/* Skylake, Kaby Lake */
		return 24000000u;
	case 0x5c:						/* Goldmont (Apollo Lake) */
		return 19200000u;
	}
	return 0;
}

/* CPUID 0x15: TSC = crystal * ebx / eax, the crystal in ecx, else known
   for the model, else from 0x16's base frequency (Linux's
   native_calibrate_tsc). 0 without it. */
static uint64_t tsc_hz_cpuid15(void)
{
	uint32_t a, b, c, d, max, den, num, crystal;
	cpuid(0, 0, &max, &b, &c, &d);
	if (max < 0x15)
		return 0;
	cpuid(0x15, 0, &den, &num, &crystal, &d);
	if (!den || !num)
		return 0;
	tsc_source = "CPUID 0x15";
	if (!crystal && (crystal = crystal_by_model(true)))
		tsc_source = "CPUID 0x15 (crystal known for the model)";
	if (!crystal && max >= 0x16) {
		cpuid(0x16, 0, &a, &b, &c, &d);
		crystal = (uint32_t)((uint64_t)(a & 0xffff) * 1000000 * den / num);
		tsc_source = "CPUID 0x15 and 0x16's base frequency";
	}
	if (!crystal && (crystal = crystal_by_model(false)))
		tsc_source = "CPUID 0x15 (crystal known for the model)";
	return (uint64_t)crystal * num / den;
}

/* A frequency the hypervisor or the CPU states, or 0. A hypervisor's
   comes first: it describes the guest's TSC, which the host may scale,
   where CPUID 0x15 passed through describes the host's (Linux under KVM
   also takes kvmclock's over 0x15). */
static uint64_t tsc_hz_stated(void)
{
	uint32_t a, b, c, d;
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
	return tsc_hz_cpuid15();
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
	static char how[96];
	uint64_t hz = tsc_hz_stated();
	if (hz < 100000000ull || hz > 20000000000ull) {	/* none, or nonsense */
		uint64_t t0 = early.t0, t1;
		struct ref r;
		if (early_window_ok()) {
			r = early.r;
			hz = calibrate_from(&r, t0, early.v0);
		} else {
			r = ref_pick();
			t0 = rdtsc();
			hz = calibrate(&r);
		}
		t1 = rdtsc();
		if (!hz && r.rd == pm_up) {	/* a PM timer that does not count */
			r = ref_pit();
			t0 = rdtsc();
			hz = calibrate(&r);
			t1 = rdtsc();
		}
		if (hz) {
			snprintf(how, sizeof how, "calibration against %s over %llu us", r.name,
				 (unsigned long long)((t1 - t0) * 1000000 / hz));
			tsc_source = how;
		}
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
