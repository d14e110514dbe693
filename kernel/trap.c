/* kernel/trap.c — dispatch of exceptions and interrupts. */
#include <errno.h>
#include "kernel/trap.h"
#include "kernel/panic_internal.h"
#include "kernel/cpu.h"
#include "kernel/apic.h"
#include "kernel/exit.h"
#include "kernel/hooks.h"
#include "kernel/spinlock.h"

static struct {
	trap_handler_t fn;
	void *arg;
} handlers[256];
static struct spinlock vec_lock = SPINLOCK_INIT;
static unsigned next_device_vector = VEC_DEVICE_FIRST;

static const char *const exc_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved", "x87 floating-point error", "alignment check",
	"machine check", "SIMD floating-point error", "virtualization exception",
	"control protection exception",
};

const char *trap_name(unsigned v)
{
	if (v < 32)
		return exc_names[v] ? exc_names[v] : "reserved exception";
	if (v == VEC_TIMER)
		return "timer";
	if (v == VEC_SPURIOUS)
		return "spurious";
	return "interrupt";
}

void trap_set_handler(unsigned vector, trap_handler_t fn, void *arg)
{
	handlers[vector].arg = arg;
	a_store_release(&handlers[vector].fn, fn);
}

int trap_alloc_vector(trap_handler_t fn, void *arg)
{
	bool f = spin_lock(&vec_lock);
	if (next_device_vector > VEC_DEVICE_LAST) {
		spin_unlock(&vec_lock, f);
		return -ENOSPC;
	}
	unsigned v = next_device_vector++;
	spin_unlock(&vec_lock, f);
	trap_set_handler(v, fn, arg);
	return (int)v;
}

/* Page faults: the runtime may map the page (stack growth); anything else
   is fatal, described by the error code. */
static void page_fault(struct trapframe *tf)
{
	uint64_t addr = read_cr2();
	if (kernel_hooks.page_fault && kernel_hooks.page_fault(tf, addr))
		return;
	const char *what = tf->error & 0x10 ? "instruction fetch" :
			   tf->error & 0x2 ? "write" : "read";
	const char *why = !(tf->error & 0x1) ? "page not present" :
			  tf->error & 0x10 ? "page is not executable (NX)" :
			  tf->error & 0x2 ? "page is read-only" : "protection violation";
	panic_trap(tf, "page fault (vector 14, error 0x%llx): %s at 0x%llx: %s",
		   (unsigned long long)tf->error, what, (unsigned long long)addr, why);
}

void trap_dispatch(struct trapframe *tf);
void trap_dispatch(struct trapframe *tf)
{
	unsigned v = (unsigned)tf->vector;
	struct cpu *c = this_cpu();
	c->irq_depth++;
	if (v == VEC_NMI && panic_in_progress())
		cpu_halt_forever();
	if (v < 32) {
		trap_handler_t fn = handlers[v].fn;
		if (fn && fn(tf, handlers[v].arg)) {
			c->irq_depth--;
			return;
		}
		if (v == VEC_PF) {
			page_fault(tf);		/* returns only when handled */
			c->irq_depth--;
			return;
		}
		panic_trap(tf, "%s (vector %u, error 0x%llx)", trap_name(v), v,
			   (unsigned long long)tf->error);
	}
	if (v != VEC_SPURIOUS) {
		trap_handler_t fn = handlers[v].fn;
		if (fn)
			fn(tf, handlers[v].arg);
		lapic_eoi();
	}
	/* Nothing may touch c after the hook: the task may resume on another
	   CPU. */
	if (--c->irq_depth == 0 && kernel_hooks.irq_return)
		kernel_hooks.irq_return(tf);
}
