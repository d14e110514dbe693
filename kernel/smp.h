/*
 * kernel/smp.h — bringing up the other CPUs and talking to them.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <stdint.h>

/* Start every CPU the MADT lists (INIT to all, then a SIPI to each in
   turn, the next as soon as the previous has taken its parameters, and
   returns when all are online: kernel/smp.c); each
   runs cpu_init_local, its LAPIC and timer, then the runtime's ap_main
   (kernel/hooks.h) or, without one, a loop that halts with interrupts on
   and serves cpu_call. At most cpus= CPUs in all (default MAX_CPUS).
   BSP, after lapic_init and time_init. */
void smp_init(void);
/* The cpus= limit smp_init applied. */
unsigned smp_max_cpus(void);
/* Stop every other CPU (an NMI to all but this one), for panic. Does
   nothing before the other CPUs are up. */
void smp_stop_others(void);
/* Run a cpu_call waiting for this CPU, if any (the runtime's idle loop
   calls this). */
void smp_poll_calls(void);

#endif
