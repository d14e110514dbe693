/*
 * kernel/kvmclock.h — KVM's paravirtual clock, read once at boot
 * (kernel/arch/kvmclock.c).
 *
 * Under KVM (CPUID leaf 0x40000000 says "KVMKVMKVM" and leaf 0x40000001
 * offers a clock source), the host publishes two structures into guest
 * memory on request: per-CPU "system time" (nanoseconds since the VM
 * started, as a TSC scale factor and offset) and a "wall clock" (Unix time
 * at system time zero). Their sum is the host's Unix time, kept by the
 * host's NTP, without the CMOS clock's one-second resolution; the scale
 * factor is the host's measured TSC frequency, so no calibration loop is
 * needed either.
 *
 * Weft reads both once on the BSP and then turns the host's updates off
 * (it keeps time with the TSC from then on, kernel/time.h).
 */
#ifndef KERNEL_KVMCLOCK_H
#define KERNEL_KVMCLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct kvmclock_reading {
	uint64_t unix_ns;	/* the host's Unix time at `tsc` */
	uint64_t tsc;		/* this CPU's TSC at that moment */
	uint64_t tsc_hz;	/* the TSC frequency the host measured */
	bool tsc_stable;	/* PVCLOCK_TSC_STABLE_BIT: the host keeps every
				   vCPU's TSC in step. Without it (a host whose
				   own TSC is unstable, e.g. KVM nested under
				   TCG) each vCPU's TSC is adjusted on its own
				   whenever it is scheduled, so TSC values read
				   on different vCPUs may disagree */
};

/* 0 and a reading, or -ENODEV when not under KVM or KVM offers no clock. */
int kvmclock_read(struct kvmclock_reading *out);

#endif
