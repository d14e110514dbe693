/*
 * kernel/time.h — the TSC as the kernel's clock.
 *
 * time_init learns the TSC's frequency once on the BSP: from CPUID or the
 * hypervisor (leaf 0x40000010, kvmclock), else by calibrating it against
 * the ACPI PM timer or the PIT (kernel/time.c). All CPUs read their own TSC;
 * QEMU and modern CPUs keep them in step (invariant TSC).
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdint.h>

extern uint64_t tsc_hz;
extern uint64_t boot_tsc;		/* TSC at kernel entry */
extern const char *tsc_source;		/* where the frequency came from */

void time_init(void);
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t ns_to_tsc(uint64_t ns);
/* Nanoseconds since kernel entry. */
uint64_t time_ns(void);
void delay_us(uint64_t us);

#endif
