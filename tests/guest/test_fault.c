/*
 * tests/guest/test_fault.c — deliberate faults. Each crashes the machine
 * on purpose, so each runs alone (test=fault.NAME) and the host checks
 * the panic report (tests/guest/panic_cases.txt): caught, printed with a
 * backtrace naming the function that faulted, non-zero exit.
 */
#include <stdint.h>
#include "tests/guest/ktest.h"

static volatile uintptr_t opaque_zero;	/* hides the null from the compiler */
static uint8_t data_code[16] = { 0xc3 };	/* a `ret` in a data page */

KTEST_F(fault, null_deref, KTEST_EXPECT_PANIC)
{
	volatile int *p = (volatile int *)opaque_zero;
	(void)*p;
	ktest_fail(__FILE__, __LINE__, "reading address 0 did not fault");
}

KTEST_F(fault, write_text, KTEST_EXPECT_PANIC)
{
	volatile uint8_t *text = (volatile uint8_t *)(uintptr_t)&ktest_fn_fault_write_text;
	*text = 0xc3;
	ktest_fail(__FILE__, __LINE__, "writing kernel text did not fault");
}

KTEST_F(fault, exec_data, KTEST_EXPECT_PANIC)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)data_code;
	__asm__ volatile("" : "+r"(fn));
	fn();
	ktest_fail(__FILE__, __LINE__, "executing a data page did not fault");
}

/* A non-canonical stack pointer: the push faults (#SS or #GP), delivering
   that fault needs the same broken stack, and the CPU escalates to a
   double fault, which runs on its own IST stack. */
KTEST_F(fault, double_fault, KTEST_EXPECT_PANIC)
{
	__asm__ volatile(
		"mov %%rsp, %%rbx\n"
		"movabs $0x8000000000001000, %%rsp\n"
		"push %%rax\n"
		"mov %%rbx, %%rsp\n" ::: "rbx", "memory");
	ktest_fail(__FILE__, __LINE__, "a broken stack did not double fault");
}

/* Two triple faults, for the KVM lane's inspection of a reset
   (tools/kvm-lane/lib.sh's lane_shutdown_inspect, checked by the kvm
   stage): explicit, never in test=all, since the machine resets and
   reports nothing itself. */
static uint8_t empty_table[4096] __attribute__((aligned(4096)));

/* An IDT of limit 0: the #UD, then the #GP and the #DF that delivering
   it raises, all find no gate; every address is mapped. */
KTEST_F(fault, triple_fault_mapped, KTEST_EXPLICIT)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } none = { 0, 0 };
	__asm__ volatile("cli\n lidt %0\n ud2" ::"m"(none) : "memory");
	ktest_fail(__FILE__, __LINE__, "an empty IDT did not reset the machine");
}

/* A PML4 with nothing in it (the kernel's text is not global, so the CR3
   write drops every translation): the next fetch faults, and so does
   reading the IDT to deliver that #PF and then the #DF. */
KTEST_F(fault, triple_fault_unmapped, KTEST_EXPLICIT)
{
	__asm__ volatile("cli\n mov %0, %%cr3\n nop" ::"r"((uint64_t)(uintptr_t)empty_table) : "memory");
	ktest_fail(__FILE__, __LINE__, "an empty PML4 did not reset the machine");
}
