/*
 * kernel/smp.h — bringing up the other CPUs and talking to them.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <stdint.h>

/* Start every CPU the MADT lists (INIT-SIPI-SIPI, one at a time); each
   runs cpu_init_local, its LAPIC and timer, then smp_ap_main_hook or the
   default idle loop. BSP, after lapic_init and time_init. */
void smp_init(unsigned max_cpus);
/* What an AP runs once it is online (the runtime's scheduler loop); the
   default halts with interrupts on and serves cpu_call. */
extern void (*smp_ap_main_hook)(void);
/* Run a cpu_call waiting for this CPU, if any (the runtime's idle loop
   calls this). */
void smp_poll_calls(void);

#endif
