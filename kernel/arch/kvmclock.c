/*
 * kernel/arch/kvmclock.c — one reading of KVM's pvclock (kernel/kvmclock.h).
 *
 * Protocol (Linux's Documentation/virt/kvm/x86/msr.rst): write the
 * physical address of a 32-byte pvclock_vcpu_time_info, with bit 0 set,
 * to MSR_KVM_SYSTEM_TIME_NEW; the host fills it and keeps it current.
 * Write the address of a pvclock_wall_clock to MSR_KVM_WALL_CLOCK_NEW;
 * the host fills it once. Both carry a version that is odd while the host
 * writes: read version, fields, version again, and retry unless both are
 * the same even number. System time now is
 *	system_time + (((tsc - tsc_timestamp) shifted by tsc_shift) * mul >> 32)
 * Kernel memory is identity-mapped, so a static's address is physical.
 * The old MSRs (0x11, 0x12) are used when only KVM_FEATURE_CLOCKSOURCE
 * is offered.
 */
#include <errno.h>
#include "kernel/kvmclock.h"
#include "kernel/arch/x86.h"

#define KVM_CPUID_SIGNATURE	0x40000000
#define KVM_CPUID_FEATURES	0x40000001
#define KVM_FEATURE_CLOCKSOURCE		(1u << 0)
#define KVM_FEATURE_CLOCKSOURCE2	(1u << 3)
#define MSR_KVM_WALL_CLOCK		0x11
#define MSR_KVM_SYSTEM_TIME		0x12
#define MSR_KVM_WALL_CLOCK_NEW		0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW		0x4b564d01

struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((packed));

/* 32 bytes that must not cross a page: aligned to their size. */
static volatile struct pvclock_vcpu_time_info vti __attribute__((aligned(32)));
static volatile struct pvclock_wall_clock wall __attribute__((aligned(16)));

static bool under_kvm(uint32_t *features)
{
	uint32_t a, b, c, d;
	cpuid(KVM_CPUID_SIGNATURE, 0, &a, &b, &c, &d);
	/* "KVMKVMKVM\0\0\0" in ebx, ecx, edx */
	if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d || a < KVM_CPUID_FEATURES)
		return false;
	cpuid(KVM_CPUID_FEATURES, 0, &a, &b, &c, &d);
	*features = a;
	return true;
}

/* Scale a TSC delta to nanoseconds the way the host said. */
static uint64_t scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((__uint128_t)delta * mul) >> 32);
}

int kvmclock_read(struct kvmclock_reading *out)
{
	uint32_t f;
	if (!under_kvm(&f))
		return -ENODEV;
	uint32_t sys_msr, wall_msr;
	if (f & KVM_FEATURE_CLOCKSOURCE2)
		sys_msr = MSR_KVM_SYSTEM_TIME_NEW, wall_msr = MSR_KVM_WALL_CLOCK_NEW;
	else if (f & KVM_FEATURE_CLOCKSOURCE)
		sys_msr = MSR_KVM_SYSTEM_TIME, wall_msr = MSR_KVM_WALL_CLOCK;
	else
		return -ENODEV;

	wrmsr(sys_msr, (uint64_t)(uintptr_t)&vti | 1);
	wrmsr(wall_msr, (uint64_t)(uintptr_t)&wall);

	uint32_t v;
	uint64_t ts, st, tsc;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
	do {
		v = vti.version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		ts = vti.tsc_timestamp;
		st = vti.system_time;
		mul = vti.tsc_to_system_mul;
		shift = vti.tsc_shift;
		flags = vti.flags;
		tsc = rdtsc();
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((v & 1) || v != vti.version);
	uint32_t wv, sec, nsec;
	do {
		wv = wall.version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		sec = wall.sec;
		nsec = wall.nsec;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((wv & 1) || wv != wall.version);
	wrmsr(sys_msr, 0);		/* no more updates: we keep time by the TSC */

	if (!mul || (!sec && !nsec))
		return -ENODEV;
	out->tsc = tsc;
	out->tsc_stable = flags & 1;		/* PVCLOCK_TSC_STABLE_BIT */
	out->unix_ns = (uint64_t)sec * 1000000000ull + nsec + st + scale(tsc - ts, mul, shift);
	/* ns = (delta << shift) * mul / 2^32, so hz = 1e9 * 2^32 / mul / 2^shift */
	uint64_t hz = (1000000000ull << 32) / mul;
	out->tsc_hz = shift < 0 ? hz << -shift : hz >> shift;
	return 0;
}
