/* kernel/panic.c — panic, fatal traps and backtraces. */
#include <stdarg.h>
#include <stdio.h>
#include "kernel/panic.h"
#include "kernel/atomic.h"
#include "kernel/panic_internal.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/ksym.h"
#include "kernel/vm.h"
#include "kernel/exit.h"
#include "kernel/hooks.h"
#include "kernel/smp.h"
#include "kernel/arch/x86.h"

static volatile int panic_owner = -1;

bool panic_in_progress(void)
{
	return panic_owner >= 0;
}

static void pr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pr(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		console_panic_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void print_sym(uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);
	if (name)
		pr("%s+%#llx", name, (unsigned long long)off);
	else
		pr("?");
}

/* Frames from rbp on, numbered from `i`. A run of identical return
   addresses (deep recursion) prints as one line and a count. */
static void frames_print(int i, uint64_t rbp)
{
	uint64_t last = 0, repeats = 0;
	for (int lines = 0; i < 4096 && rbp && lines < 32; i++) {
		if ((rbp & 7) || !vm_readable(rbp, 16))
			break;
		uint64_t *frame = (uint64_t *)rbp;
		uint64_t ret = frame[1];
		if (!ret)
			break;
		if (ret == last) {
			repeats++;
		} else {
			if (repeats)
				pr("       ... the same %llu more times\n", (unsigned long long)repeats);
			repeats = 0;
			/* A return address points after the call: name the call. */
			pr("  #%-2d %#018llx  ", i, (unsigned long long)ret);
			print_sym(ret - 1);
			pr("\n");
			lines++;
		}
		last = ret;
		if (frame[0] <= rbp)
			break;			/* frames grow upward; anything else is junk */
		rbp = frame[0];
	}
	if (repeats)
		pr("       ... the same %llu more times\n", (unsigned long long)repeats);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	pr("backtrace:\n  #0  %#018llx  ", (unsigned long long)rip);
	print_sym(rip);
	pr("\n");
	frames_print(1, rbp);
}

/* Claim the panic for this CPU; a second panic elsewhere halts quietly,
   a nested one here prints one line and halts. */
static void panic_enter(void)
{
	irq_disable();
	struct cpu *c = this_cpu();
	if (c && c->panicking) {
		static const char m[] = "\nnested panic; halting\n";
		console_panic_write(m, sizeof m - 1);
		machine_exit(EXIT_PANIC);
	}
	if (c)
		c->panicking = true;
	int me = c ? (int)c->id : 0;
	int expected = -1;
	if (!a_cas(&panic_owner, &expected, me))
		cpu_halt_forever();
	smp_stop_others();
}

static void print_header(void)
{
	struct cpu *c = this_cpu();
	char task[96] = "no task (kernel)";
	if (kernel_hooks.describe)
		kernel_hooks.describe(task, sizeof task);
	pr("\nPANIC on cpu %u, %s: ", c ? c->id : 0, task);
}

static void print_regs(const struct trapframe *tf)
{
	pr("  rip %#018llx  ", (unsigned long long)tf->rip);
	print_sym(tf->rip);
	pr("\n  rsp %#018llx  rflags %#llx  cs %#llx  ss %#llx\n",
	   (unsigned long long)tf->rsp, (unsigned long long)tf->rflags,
	   (unsigned long long)tf->cs, (unsigned long long)tf->ss);
	pr("  rax %#018llx  rbx %#018llx  rcx %#018llx\n", (unsigned long long)tf->rax,
	   (unsigned long long)tf->rbx, (unsigned long long)tf->rcx);
	pr("  rdx %#018llx  rsi %#018llx  rdi %#018llx\n", (unsigned long long)tf->rdx,
	   (unsigned long long)tf->rsi, (unsigned long long)tf->rdi);
	pr("  rbp %#018llx  r8  %#018llx  r9  %#018llx\n", (unsigned long long)tf->rbp,
	   (unsigned long long)tf->r8, (unsigned long long)tf->r9);
	pr("  r10 %#018llx  r11 %#018llx  r12 %#018llx\n", (unsigned long long)tf->r10,
	   (unsigned long long)tf->r11, (unsigned long long)tf->r12);
	pr("  r13 %#018llx  r14 %#018llx  r15 %#018llx\n", (unsigned long long)tf->r13,
	   (unsigned long long)tf->r14, (unsigned long long)tf->r15);
	pr("  cr2 %#018llx  cr3 %#018llx\n", (unsigned long long)read_cr2(),
	   (unsigned long long)read_cr3());
}

/* Enter the panic and print its first line: where, and the message. */
static void panic_begin(const char *fmt, va_list ap)
{
	panic_enter();
	print_header();
	char buf[256];
	vsnprintf(buf, sizeof buf, fmt, ap);
	pr("%s\n", buf);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	panic_begin(fmt, ap);
	va_end(ap);
	/* Start at our caller: its return address and saved frame pointer. */
	uint64_t *fp = __builtin_frame_address(0);
	backtrace_print(fp[1], fp[0]);
	machine_exit(EXIT_PANIC);
}

void panic_trap(struct trapframe *tf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	panic_begin(fmt, ap);
	va_end(ap);
	print_regs(tf);
	uint64_t off;
	if (!ksym_lookup(tf->rip, &off) && vm_readable(tf->rsp, 8)) {
		/* A jump or call to a bad address: the caller is the return
		   address on top of the stack, not yet in the frame chain. */
		uint64_t ret = *(uint64_t *)tf->rsp;
		backtrace_print(tf->rip, 0);
		pr("  #1  %#018llx  ", (unsigned long long)ret);
		print_sym(ret - 1);
		pr("\n");
		frames_print(2, tf->rbp);
	} else {
		backtrace_print(tf->rip, tf->rbp);
	}
	machine_exit(EXIT_PANIC);
}
