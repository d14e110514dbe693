/*
 * kernel/cpu.h — per-CPU data.
 *
 * Every CPU has one struct cpu; %gs base points at it, so this_cpu() is
 * one load. Fields are written only by their own CPU unless marked
 * otherwise. The runtime keeps its per-CPU scheduler state behind `sched`.
 */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include <stdint.h>
#include <stdbool.h>
#include "kernel/arch/x86.h"

#define MAX_CPUS 64

struct _reent;
struct tss;

struct cpu {
	struct cpu *self;		/* %gs:0, for this_cpu() */
	void *task;			/* %gs:8, the runtime's current task */
	struct _reent *reent;		/* newlib state of what runs here */
	uint32_t id;			/* index in cpus[] */
	uint32_t apic_id;
	volatile bool online;		/* set by the CPU itself, read by all */
	bool panicking;			/* this CPU entered panic() */
	uint32_t irq_depth;		/* nesting of trap handlers */
	uint64_t ticks;			/* local timer interrupts taken */
	uint64_t timer_deadline;	/* TSC of the armed one-shot, 0 = none */
	struct tss *tss;
	uint64_t *gdt;
	void *sched;			/* runtime per-CPU state */
	volatile uint32_t tlb_flush_req;	/* set by a vm_flush_all requester */
	uint64_t allocs;		/* heap allocations made on this CPU */
	/* Cross-CPU call slot (cpu_call): written by the caller under
	   call_lock, then the IPI; the target clears call_fn when done. */
	void (*volatile call_fn)(void *);
	void *volatile call_arg;
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus;		/* CPUs described by the firmware */
extern unsigned ncpus_online;

static inline struct cpu *this_cpu(void) { return (struct cpu *)gs_read_ptr(0); }
/* The running task, read in one instruction so that a task preempted and
   moved between "which CPU" and "its task" cannot read another CPU's. */
static inline void *this_cpu_task(void)
{
	return gs_read_ptr(__builtin_offsetof(struct cpu, task));
}
static inline unsigned cpu_id(void) { return this_cpu()->id; }

/* Bring up the BSP's own tables (GDT, TSS, IDT, %gs). */
void cpu_init_bsp(void);
/* Per-CPU init of a freshly started CPU, run on that CPU. */
void cpu_init_local(struct cpu *c);
/* Allocate IST stacks with guard pages once the VM is up. */
void cpu_alloc_ist(struct cpu *c);

/* Run fn(arg) on CPU `id` (interrupts on there) and wait for it to
   finish. Must be called with interrupts on, from a task or kmain. */
void cpu_call(unsigned id, void (*fn)(void *), void *arg);
/* Run fn(arg) on every online CPU at once, this one included, and wait
   for all of them. */
void cpu_call_all(void (*fn)(void *), void *arg);

#endif
