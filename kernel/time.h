/*
 * kernel/time.h — the TSC as the kernel's clock.
 *
 * time_init calibrates the TSC once on the BSP (against the PIT, or the
 * ACPI PM timer where there is no PIT). All CPUs read their own TSC;
 * QEMU and modern CPUs keep them in step (invariant TSC).
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdint.h>

extern uint64_t tsc_hz;
extern uint64_t boot_tsc;		/* TSC at kernel entry */
extern const char *tsc_source;		/* what it was calibrated against */

void time_init(void);
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t ns_to_tsc(uint64_t ns);
/* Nanoseconds since kernel entry. */
uint64_t time_ns(void);
void delay_us(uint64_t us);

#endif
