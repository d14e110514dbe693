/*
 * kernel/time.h — the TSC as the kernel's clock.
 *
 * time_init learns the TSC's frequency once on the BSP: from the
 * hypervisor (leaf 0x40000010, kvmclock) or CPUID 0x15, else by
 * calibrating it against the ACPI PM timer (over a window that
 * time_calibrate_start opened earlier) or the PIT (kernel/time.c). All CPUs read their own TSC;
 * QEMU and modern CPUs keep them in step (invariant TSC), and so does KVM
 * when its host's TSC is stable. When it is not (kvmclock without
 * PVCLOCK_TSC_STABLE_BIT, which the boot console reports: e.g. KVM nested
 * under TCG), KVM adjusts each vCPU's TSC on its own as it is scheduled,
 * and a time read on one CPU could be behind one read earlier on another;
 * then time_ns keeps one clock for all CPUs: never less than the largest
 * value it returned anywhere (kernel/time.c).
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdbool.h>
#include <stdint.h>

extern uint64_t tsc_hz;
extern uint64_t boot_tsc;		/* TSC at kernel entry */
extern const char *tsc_source;		/* where the frequency came from */

/* On the BSP after acpi_init: the first end of a calibration window (when
   there is a PM timer), so that the work until time_init fills it. */
void time_calibrate_start(void);
void time_init(void);
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t ns_to_tsc(uint64_t ns);
/* Nanoseconds since kernel entry; never behind an earlier reading on any
   CPU, also when the vCPUs' TSCs disagree. */
uint64_t time_ns(void);
/* This CPU's TSC: cheap, for the length of short spans on one CPU (a lock
   held, a wait), converted with tsc_to_ns. Not a clock across CPUs. */
uint64_t time_ticks(void);
/* Whether time_ns clamps across CPUs (kvmclock without a stable TSC). */
bool time_is_clamped(void);
void delay_us(uint64_t us);

#endif
