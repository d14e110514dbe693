/* kernel/arch/apic.c — local APIC, IPIs, the local timer, IOAPIC. */
#include <errno.h>
#include "kernel/apic.h"
#include "kernel/atomic.h"
#include "kernel/acpi.h"
#include "kernel/cpu.h"
#include "kernel/console.h"
#include "kernel/hooks.h"
#include "kernel/time.h"
#include "kernel/vm.h"
#include "kernel/panic.h"
#include "kernel/arch/x86.h"

#define LAPIC_ID	0x020
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ESR	0x280
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT_LINT0	0x350
#define LAPIC_LVT_LINT1	0x360
#define LAPIC_LVT_ERR	0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	0x390
#define LAPIC_TIMER_DIV	0x3e0
#define LVT_MASKED	(1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)

static volatile uint8_t *lapic;
static bool tsc_deadline;
static uint64_t lapic_hz;		/* timer counts per second (divide by 16) */

static uint32_t rd(uint32_t r) { return mmio_read32(lapic + r); }
static void wr(uint32_t r, uint32_t v) { mmio_write32(lapic + r, v); }

static bool timer_irq(struct trapframe *tf, void *arg)
{
	(void)arg;
	struct cpu *c = this_cpu();
	/* Early: the one-shot count aims a little early (lapic_timer_arm),
	   and in either mode this may be the interrupt of an earlier deadline
	   that was already pending (interrupts off, or the vCPU descheduled)
	   when a later one replaced it: re-arming does not take back an
	   interrupt the APIC has accepted. If the deadline is still ahead,
	   wait out the rest silently. */
	if (c->timer_deadline && rdtsc() < c->timer_deadline) {
		lapic_timer_arm(c->timer_deadline);
		return true;
	}
	c->ticks++;
	c->timer_deadline = 0;
	if (kernel_hooks.timer)
		kernel_hooks.timer(tf);
	return true;
}

/* An APIC error (illegal vector, send or receive failure). It is a real
   interrupt: without the EOI its in-service bit would block every vector
   below it on this CPU for good. */
static uint64_t apic_errors;

static bool error_irq(struct trapframe *tf, void *arg)
{
	(void)tf, (void)arg;
	wr(LAPIC_ESR, 0);
	uint32_t esr = rd(LAPIC_ESR);
	if (a_fetch_add_relaxed(&apic_errors, 1) < 10)
		kprintf("apic: error on cpu %u: ESR %#x\n", this_cpu()->id, esr);
	return true;
}

static bool nothing_irq(struct trapframe *tf, void *arg)
{
	(void)tf, (void)arg;
	return true;
}

void lapic_init(void)
{
	uint64_t base = acpi.lapic_base ? acpi.lapic_base : (rdmsr(MSR_APIC_BASE) & ~0xfffull);
	lapic = vm_map_mmio(base, 4096);
	/* The legacy PIC: remap away from exceptions, then mask everything. */
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xff); outb(0xa1, 0xff);
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	tsc_deadline = c & (1u << 24);
	trap_set_handler(VEC_TIMER, timer_irq, NULL);
	trap_set_handler(VEC_IPI_WAKE, nothing_irq, NULL);
	trap_set_handler(VEC_APIC_ERROR, error_irq, NULL);
}

void lapic_init_local(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11));
	wr(LAPIC_TPR, 0);
	wr(LAPIC_LVT_LINT0, LVT_MASKED);
	wr(LAPIC_LVT_LINT1, 0x400);		/* NMI */
	wr(LAPIC_LVT_ERR, VEC_APIC_ERROR);
	wr(LAPIC_ESR, 0);
	wr(LAPIC_SVR, 0x100 | VEC_SPURIOUS);	/* software enable */
	wr(LAPIC_TIMER_DIV, 0x3);		/* divide by 16 */
	/* TSC-deadline mode is set once: lapic_timer_arm then writes only
	   the deadline MSR (0 = disarmed), one exit under KVM, not two. */
	wr(LAPIC_LVT_TIMER, tsc_deadline ? LVT_TSC_DEADLINE | VEC_TIMER : LVT_MASKED | VEC_TIMER);
	wr(LAPIC_EOI, 0);
}

uint32_t lapic_id(void) { return rd(LAPIC_ID) >> 24; }
void lapic_eoi(void) { wr(LAPIC_EOI, 0); }
bool lapic_has_tsc_deadline(void) { return tsc_deadline; }

static void icr_send(uint32_t apic_id, uint32_t lo)
{
	bool f = irq_save();
	while (rd(LAPIC_ICR_LO) & (1u << 12))
		cpu_relax();
	wr(LAPIC_ICR_HI, apic_id << 24);
	wr(LAPIC_ICR_LO, lo);
	irq_restore(f);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector) { icr_send(apic_id, vector); }
void lapic_send_init(uint32_t apic_id) { icr_send(apic_id, 0x4500); }
void lapic_send_sipi(uint32_t apic_id, uint8_t page) { icr_send(apic_id, 0x4600 | page); }
void lapic_send_nmi_others(void) { icr_send(0, 0xc0000 | 0x400); }

/* The APIC timer's rate against the TSC, for one-shot mode only
   (TSC-deadline mode counts in TSC ticks). The count runs down from
   0xffffffff from lapic_timer_calibrate_start, early in the boot, to
   lapic_timer_calibrate after time_init: the boot's work in between is
   the window (at least CALIB_US, waited out if shorter). Each end is the
   tightest of four back-to-back (count, TSC) pairs, so a stall inside a
   pair (which would make the count look faster, and timers fire late) is
   dropped; the TSC's rate itself is known only at the end, which the
   ratio does not need until then. */
#define CALIB_US 1000
static uint32_t cal_c0;
static uint64_t cal_t0;

static uint64_t count_sample(uint32_t *count)
{
	uint64_t best_w = ~0ull, best_t = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t a = rdtsc();
		uint32_t c = rd(LAPIC_TIMER_CUR);
		uint64_t b = rdtsc();
		if (b - a < best_w)
			best_w = b - a, best_t = a + (b - a) / 2, *count = c;
	}
	return best_t;
}

void lapic_timer_calibrate_start(void)
{
	if (tsc_deadline)
		return;
	wr(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	wr(LAPIC_TIMER_DIV, 0x3);
	wr(LAPIC_TIMER_INIT, 0xffffffff);
	cal_t0 = count_sample(&cal_c0);
}

void lapic_timer_calibrate(void)
{
	if (tsc_deadline)
		return;
	if (!cal_t0)
		lapic_timer_calibrate_start();
	uint64_t min_end = cal_t0 + ns_to_tsc(CALIB_US * 1000ull);
	while ((int64_t)(rdtsc() - min_end) < 0)
		cpu_relax();
	uint32_t c1 = 0;
	uint64_t t1 = count_sample(&c1);
	/* A count that reached 0 stopped there: start again, with the
	   minimum window only. */
	if (c1 == 0) {
		lapic_timer_calibrate_start();
		delay_us(CALIB_US);
		t1 = count_sample(&c1);
	}
	wr(LAPIC_TIMER_INIT, 0);
	if (c1 == 0 || c1 >= cal_c0 || t1 <= cal_t0)
		panic("lapic_timer_calibrate: the APIC timer does not count");
	uint64_t dc = cal_c0 - c1, dt = t1 - cal_t0;
	while (dc >> 28)		/* dc * tsc_hz within 64 bits (no libgcc) */
		dc >>= 1, dt >>= 1;
	lapic_hz = dt ? dc * tsc_hz / dt : 0;
	if (!lapic_hz)
		panic("lapic_timer_calibrate: the APIC timer does not count");
}

void lapic_timer_arm(uint64_t deadline)
{
	struct cpu *c = this_cpu();
	c->timer_deadline = deadline;
	if (tsc_deadline) {
		wrmsr(MSR_TSC_DEADLINE, deadline);
		return;
	}
	wr(LAPIC_LVT_TIMER, VEC_TIMER);		/* one-shot */
	if (!deadline) {
		wr(LAPIC_TIMER_INIT, 0);
		return;
	}
	uint64_t now = rdtsc();
	uint64_t d = deadline > now ? deadline - now : 0;
	/* Aim 1/32 early: an early interrupt only re-arms for the rest, a
	   late one is late for good. */
	uint64_t counts = d * lapic_hz / tsc_hz;
	counts -= counts / 32;
	if (counts == 0)
		counts = 1;
	if (counts > 0xffffffffu)
		counts = 0xffffffffu;	/* fires early; the hook re-arms */
	wr(LAPIC_TIMER_INIT, (uint32_t)counts);
}

/* IOAPIC: index/data window at +0x00/+0x10; redirection entries at
   0x10 + 2*pin. */
static volatile uint8_t *ioapic_regs[ACPI_MAX_IOAPIC];

static volatile uint8_t *ioapic_for(uint32_t gsi, uint32_t *pin)
{
	for (unsigned i = 0; i < acpi.nioapic; i++) {
		if (!ioapic_regs[i])
			ioapic_regs[i] = vm_map_mmio(acpi.ioapic[i].addr, 4096);
		volatile uint8_t *r = ioapic_regs[i];
		mmio_write32(r, 1);
		uint32_t n = ((mmio_read32(r + 0x10) >> 16) & 0xff) + 1;
		if (gsi >= acpi.ioapic[i].gsi_base && gsi < acpi.ioapic[i].gsi_base + n) {
			*pin = gsi - acpi.ioapic[i].gsi_base;
			return r;
		}
	}
	return NULL;
}

static void ioapic_write(volatile uint8_t *r, uint32_t reg, uint32_t v)
{
	mmio_write32(r, reg);
	mmio_write32(r + 0x10, v);
}

int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, uint16_t flags)
{
	uint32_t pin;
	volatile uint8_t *r = ioapic_for(gsi, &pin);
	if (!r)
		return -ENODEV;
	uint32_t lo = vector;
	if ((flags & 3) == 3)
		lo |= 1u << 13;			/* active low */
	if (((flags >> 2) & 3) == 3)
		lo |= 1u << 15;			/* level triggered */
	ioapic_write(r, 0x10 + 2 * pin + 1, apic_id << 24);
	ioapic_write(r, 0x10 + 2 * pin, lo);
	return 0;
}

void ioapic_mask(uint32_t gsi, bool masked)
{
	uint32_t pin;
	volatile uint8_t *r = ioapic_for(gsi, &pin);
	if (!r)
		return;
	mmio_write32(r, 0x10 + 2 * pin);
	uint32_t lo = mmio_read32(r + 0x10);
	lo = masked ? lo | LVT_MASKED : lo & ~LVT_MASKED;
	mmio_write32(r + 0x10, lo);
}
