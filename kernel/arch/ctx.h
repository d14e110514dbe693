/*
 * kernel/arch/ctx.h — saved execution contexts for the runtime's task
 * switch.
 *
 * A context is just a stack pointer: ctx_switch pushes the callee-saved
 * general registers on the old stack, stores %rsp, loads the new one and
 * pops. Everything else is caller-saved, so a voluntary switch saves
 * nothing more. A preemptive switch (from the timer interrupt) saves the
 * full vector state around it with fpu_save/fpu_restore.
 *
 * The ABI also makes MXCSR and the x87 control word callee-saved; they
 * are not switched (loading them costs more than the rest of the switch
 * under emulation). Every task runs with the defaults (round to nearest,
 * exceptions masked), and a task must not change them: nothing in Weft
 * does.
 */
#ifndef KERNEL_ARCH_CTX_H
#define KERNEL_ARCH_CTX_H

#include <stdint.h>

/* Save the current context into *save_rsp and resume `next_rsp`. */
void ctx_switch(uint64_t *save_rsp, uint64_t next_rsp);

/* Prepare a fresh stack whose first resumption calls fn(arg) on it;
   returns the rsp to pass to ctx_switch. `top` is 16-byte aligned. */
uint64_t ctx_init(uint64_t top, void (*fn)(void *), void *arg);

/* Full x87/SSE state: 512 bytes, 16-byte aligned. */
#define FPU_STATE_SIZE 512
static inline void fpu_save(void *area) { __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory"); }
static inline void fpu_restore(void *area) { __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory"); }

#endif
