/*
 * kernel/arch/cpu.c — per-CPU descriptor tables: GDT, TSS with IST stacks,
 * the shared IDT, %gs, and SSE state.
 *
 * Selectors match the boot GDT (0x08 code, 0x10 data) so the switch from
 * the boot GDT needs no far jump dance beyond reloading %cs once. IST
 * slots: 1 double fault, 2 NMI, 3 page fault, 4 machine check, 5 the
 * entry stack of every interrupt (see kernel/arch/trap.S). The page
 * fault gets its own stack so that a task that runs off its stack still
 * reaches a handler that can report it (and so stack growth never runs on
 * the very stack it is growing).
 */
#include <stdlib.h>
#include <string.h>
#include "kernel/cpu.h"
#include "kernel/trap.h"
#include "kernel/vm.h"
#include "kernel/panic.h"
#include "kernel/arch/x86.h"
#include "boot/boot.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

#define IST_DF 1
#define IST_NMI 2
#define IST_PF 3
#define IST_MC 4
#define IST_ENTRY 5		/* interrupts: moved to the interrupted stack (trap.S) */
#define IST_STACK_SIZE (16 * 1024)

struct cpu cpus[MAX_CPUS];
unsigned ncpus = 1;
unsigned ncpus_online = 1;

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct tss bsp_tss;
static uint64_t bsp_gdt[5];
/* The BSP's IST stacks before the VM can give guarded ones. */
static uint8_t bsp_ist_early[5][8192] __attribute__((aligned(16)));

extern const uint64_t trap_stubs[256];

static void set_gate(unsigned v, uint64_t fn, unsigned ist)
{
	idt[v] = (struct idt_gate){
		.off_lo = fn & 0xffff,
		.sel = BOOT_CS,
		.ist = ist,
		.type = 0x8e,			/* present, DPL 0, interrupt gate */
		.off_mid = (fn >> 16) & 0xffff,
		.off_hi = fn >> 32,
	};
}

void trap_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, trap_stubs[v], v >= 32 ? IST_ENTRY : 0);
	idt[VEC_DF].ist = IST_DF;
	idt[VEC_NMI].ist = IST_NMI;
	idt[VEC_PF].ist = IST_PF;
	idt[VEC_MC].ist = IST_MC;
}

void trap_load_idt(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) p = {
		sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(p));
}

/* Build c's GDT (code, data, 16-byte TSS descriptor) and load it. */
static void gdt_load(struct cpu *c)
{
	uint64_t *g = c->gdt;
	uint64_t base = (uint64_t)c->tss, lim = sizeof(struct tss) - 1;
	g[0] = 0;
	g[1] = 0x00af9a000000ffffull;
	g[2] = 0x00cf92000000ffffull;
	g[3] = (lim & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
	       ((lim >> 16) << 48) | (((base >> 24) & 0xff) << 56);
	g[4] = base >> 32;
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) p = {
		5 * 8 - 1, (uint64_t)g };
	__asm__ volatile(
		"lgdt %0\n"
		"pushq $0x08\n"
		"leaq 1f(%%rip), %%rax\n"
		"pushq %%rax\n"
		"lretq\n"
		"1: mov $0x10, %%ax\n"
		"mov %%ax, %%ds\n"
		"mov %%ax, %%es\n"
		"mov %%ax, %%ss\n"
		"ltr %w1\n"
		:: "m"(p), "r"(0x18) : "rax", "memory");
}

/* SSE on, x87/SSE exceptions masked: newlib's floating point code may run
   on any CPU. */
static void fpu_init(void)
{
	write_cr0((read_cr0() & ~(uint64_t)CR0_EM) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit");
	uint32_t mxcsr = 0x1f80;
	__asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
}

void cpu_init_local(struct cpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	gdt_load(c);
	trap_load_idt();
	fpu_init();
}

void cpu_init_bsp(void)
{
	struct cpu *c = &cpus[0];
	c->id = 0;
	c->tss = &bsp_tss;
	c->gdt = bsp_gdt;
	for (int i = 0; i < 5; i++)
		bsp_tss.ist[i] = (uint64_t)bsp_ist_early[i] + sizeof bsp_ist_early[i];
	bsp_tss.iomap_base = sizeof(struct tss);
	trap_init();
	cpu_init_local(c);
}

/* Give c guarded IST stacks (and a TSS and GDT if it has none yet). */
void cpu_alloc_ist(struct cpu *c)
{
	if (!c->tss) {
		c->tss = calloc(1, sizeof(struct tss));
		c->gdt = calloc(5, 8);
		if (!c->tss || !c->gdt)
			panic("cpu_alloc_ist: out of memory");
		c->tss->iomap_base = sizeof(struct tss);
	}
	for (int i = 0; i < 5; i++)
		c->tss->ist[i] = (uint64_t)kstack_alloc(IST_STACK_SIZE) + IST_STACK_SIZE;
}
