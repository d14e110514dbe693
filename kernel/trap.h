/*
 * kernel/trap.h — traps, interrupts and their vectors.
 *
 * Vector map: 0-31 exceptions; 32-47 the legacy PIC (masked, never used);
 * 48-223 device interrupts handed out by trap_alloc_vector; 0xe0-0xfe
 * fixed kernel vectors (timer, IPIs); 0xff the APIC spurious vector.
 * Handlers run with interrupts off on the interrupted stack (IST stacks
 * for #DF, NMI, #PF and #MC).
 */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H

#include <stdint.h>
#include <stdbool.h>

struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

enum {
	VEC_DE = 0, VEC_NMI = 2, VEC_BP = 3, VEC_UD = 6, VEC_DF = 8,
	VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_MC = 18,
	VEC_DEVICE_FIRST = 48,
	VEC_DEVICE_LAST = 223,
	VEC_TIMER = 0xe0,
	VEC_IPI_WAKE = 0xf0,	/* wakes a halted CPU; the handler does nothing */
	VEC_IPI_TLB = 0xf2,	/* TLB shootdown */
	VEC_APIC_ERROR = 0xfe,	/* LAPIC error: logged, EOI'd */
	VEC_SPURIOUS = 0xff,
};

/* Exception handlers return true when they handled the fault (the
   interrupted code resumes); false means panic. IRQ handlers return
   nothing and get the EOI after they return. */
typedef bool (*trap_handler_t)(struct trapframe *tf, void *arg);

void trap_init(void);			/* fill the IDT (once, on the BSP) */
void trap_load_idt(void);		/* load it on this CPU */
void trap_set_handler(unsigned vector, trap_handler_t fn, void *arg);
/* Allocate a device vector for fn; returns the vector or -ENOSPC. */
int trap_alloc_vector(trap_handler_t fn, void *arg);
const char *trap_name(unsigned vector);

/* A page fault that no handler took goes to the runtime (stack growth),
   and every interrupt that did not nest ends in the runtime (preemption):
   kernel/hooks.h. */

#endif
