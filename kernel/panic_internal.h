/* kernel/panic_internal.h — panic's calls for the trap code and the
   runtime's fault paths. */
#ifndef KERNEL_PANIC_INTERNAL_H
#define KERNEL_PANIC_INTERNAL_H

#include <stddef.h>
#include <stdbool.h>
#include "kernel/trap.h"

/* A fatal trap: print it with tf's registers and backtrace, then stop. */
_Noreturn void panic_trap(struct trapframe *tf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* True once some CPU has entered panic; the NMI handler halts then. */
bool panic_in_progress(void);
/* Print a backtrace starting at (rip, rbp) through console_panic_write. */
void backtrace_print(uint64_t rip, uint64_t rbp);

#endif
