/*
 * kernel/hooks.h — the kernel's calls up into the runtime: the only place
 * where the bottom layer reaches the one above it.
 *
 * The kernel knows nothing of tasks, yet five machine events need the
 * runtime: a page fault may be a task's stack growing, the per-CPU timer
 * drives the runtime's timers and time slices, the way out of an
 * interrupt is where a task is preempted, newlib asks for the running
 * task's state, and a panic names the task. A sixth call is what an AP
 * runs once it is online, a seventh how many pages the heap must leave
 * to task stacks (a stack cannot fail to grow: a fault with no page is a
 * panic, so the heap, which can fail, yields). Each is a field below,
 * called by exactly one place in the kernel.
 *
 * The runtime fills the table (runtime/rt.c, rt_kernel_hooks); kmain
 * installs it once, with kernel_hooks_install, on the BSP, after rt_init
 * and before smp_init starts the other CPUs — so the APs and every
 * interrupt after it see the whole table (the install is a plain copy;
 * the INIT-SIPI sequence and the interrupt that reads a field are
 * ordered after it by the CPU). Before that every field is NULL and the
 * kernel runs as a bare machine: a page fault panics, the timer only
 * counts, no one is preempted, newlib uses the CPU's own state, a panic
 * says "no task (kernel)", and an AP halts serving cpu_call.
 *
 * Rejected: a global function pointer per hook, each assigned by the layer
 * above (it was seven, set in four files, in the order the linker laid
 * out their init sections); weak symbols (the same hidden coupling, and a
 * missing definition fails silently).
 */
#ifndef KERNEL_HOOKS_H
#define KERNEL_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trapframe;
struct _reent;

struct kernel_hooks {
	/* trap.c, a page fault not handled otherwise, on the #PF IST stack
	   with interrupts off: map the page if addr lies in a stack that may
	   grow there. True when the faulting code may resume. */
	bool (*page_fault)(struct trapframe *tf, uint64_t addr);
	/* arch/apic.c, this CPU's one-shot timer reached its deadline;
	   interrupts off. */
	void (*timer)(struct trapframe *tf);
	/* trap.c, last on the way out of an interrupt that did not nest,
	   after the EOI: preempt the interrupted task if its slice is over.
	   The task may resume on another CPU: nothing after it may touch
	   this CPU's state. */
	void (*irq_return)(struct trapframe *tf);
	/* libc.c, __getreent found no newlib state for the running code:
	   make it (interrupts off) and return it. */
	struct _reent *(*reent_alloc)(void);
	/* panic.c: describe what runs on this CPU, "task 12 \"conn\"". */
	void (*describe)(char *buf, size_t n);
	/* smp.c, an AP once it is online, interrupts off: its scheduler
	   loop; does not return. */
	void (*ap_main)(void);
	/* vm.c's _sbrk, before it maps another page for newlib's heap: the
	   free pages it must leave (what task stacks may still claim); with
	   no more free than that, the heap does not grow and malloc fails.
	   Any context, a spinlock held: reads counters only. */
	uint64_t (*heap_floor)(void);
};

/* Read by the callers above; written only by kernel_hooks_install. */
extern struct kernel_hooks kernel_hooks;

/* Install the table (copied). Once, on the BSP, before smp_init. */
void kernel_hooks_install(const struct kernel_hooks *h);

#endif
