/* kernel/panic_internal.h — panic's hooks for the trap code and runtime. */
#ifndef KERNEL_PANIC_INTERNAL_H
#define KERNEL_PANIC_INTERNAL_H

#include <stddef.h>
#include <stdbool.h>
#include "kernel/trap.h"

/* A fatal trap: print it with tf's registers and backtrace, then stop. */
_Noreturn void panic_trap(struct trapframe *tf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Describe the current task into buf ("task 12 \"conn\""); set by the
   runtime. NULL before tasks exist. */
extern void (*panic_task_hook)(char *buf, size_t n);
/* Stop every other CPU (NMI broadcast); set by smp once APs exist. */
extern void (*panic_stop_others)(void);
/* True once some CPU has entered panic; the NMI handler halts then. */
bool panic_in_progress(void);
/* Print a backtrace starting at (rip, rbp) through console_panic_write. */
void backtrace_print(uint64_t rip, uint64_t rbp);

#endif
