/*
 * kernel/smp.c — AP start-up, cross-CPU calls, TLB shootdown, panic stop.
 *
 * Start-up waits for work, not for time. The BSP sends INIT to every AP
 * at once, waits the MP specification's 10 ms only on CPUs that need it
 * (init_needs_wait: none under a hypervisor or with an x2APIC, nor the
 * CPUs Linux exempts), then starts the APs one after another through the
 * trampoline page's one parameter block, but overlapped: it sends an AP
 * its SIPI and waits only until the AP has taken its parameters (the
 * trampoline writes AP_PARAM_TAKEN, boot/ap.S), a few microseconds, not
 * until it is online; the next AP's start then runs while the previous
 * ones set themselves up (cpu_init_local, the LAPIC, newlib's state) in
 * parallel. Each wait polls, with a bound of 1 s, never a fixed delay,
 * re-sending the SIPI every 200 us (start_ap says why). At the end the BSP waits for
 * every started AP to be online, serving calls and TLB requests meanwhile
 * (an AP already in the scheduler may send it either).
 */
#include <stdlib.h>
#include <string.h>
#include <reent.h>
#include "kernel/smp.h"
#include "kernel/cpu.h"
#include "kernel/apic.h"
#include "kernel/acpi.h"
#include "kernel/time.h"
#include "kernel/vm.h"
#include "kernel/console.h"
#include "kernel/hooks.h"
#include "kernel/kcmdline.h"
#include "kernel/panic.h"
#include "kernel/panic_internal.h"
#include "kernel/spinlock.h"
#include "kernel/trap.h"
#include "kernel/exit.h"
#include "boot/boot.h"

#define AP_STACK_SIZE (32 * 1024)

CMDLINE_KEY(key_cpus, "cpus", "bring up at most this many CPUs");
static unsigned max_cpus = MAX_CPUS;

extern char ap_tramp_start[], ap_tramp_end[];
extern uint64_t boot_pml4[];

static struct spinlock call_lock = SPINLOCK_INIT;

/* An IPI whose effect has not been seen after this long is sent again.
   Handlers act on flags, not on the interrupt itself, so a duplicate is
   harmless; a lost one (seen under emulation) would otherwise hang the
   sender for good. */
#define IPI_RESEND_NS 2000000ull

static void tlb_serve(struct cpu *c);
static void run_call(struct cpu *c);

/* A CPU that spins with interrupts off, waiting for another CPU, must
   still do what other CPUs may be waiting for from it: its TLB shootdown
   request, and (when it holds no call_lock) a pending cpu_call. Otherwise
   two waiters can wait on each other for good: CPU A in cpu_call_all
   waiting for B to run its call while B, in vm_flush_all, waits for A's
   TLB ack; or A waiting for B's call while B spins on call_lock. It
   needs only that both CPUs run now and then; a vCPU that the host
   deschedules (overcommit) just makes the wait longer. */
static void serve_self(bool calls)
{
	bool f = irq_save();		/* this_cpu() must not change under us */
	struct cpu *me = this_cpu();
	tlb_serve(me);
	if (calls)
		run_call(me);
	irq_restore(f);
}

/* call_lock, serving this CPU's requests while it waits. */
static void call_lock_take(void)
{
	while (!spin_trylock_raw(&call_lock)) {
		serve_self(true);
		cpu_relax();
	}
}

/* Wait until *flag reads NULL, re-sending `vector` to cpu c now and then.
   The caller holds call_lock (nobody can post this CPU a call). */
static void wait_clear(struct cpu *c, void *volatile *flag, uint8_t vector)
{
	uint64_t resend = rdtsc() + ns_to_tsc(IPI_RESEND_NS);
	while (a_load_acquire(flag)) {
		serve_self(false);
		cpu_relax();
		if (rdtsc() > resend) {
			lapic_send_ipi(c->apic_id, vector);
			resend = rdtsc() + ns_to_tsc(IPI_RESEND_NS);
		}
	}
}
static struct spinlock flush_lock = SPINLOCK_INIT;

void smp_stop_others(void)
{
	if (ncpus_online > 1)
		lapic_send_nmi_others();
}

/* Run a pending cpu_call on this CPU. Interrupts may be on. */
static void run_call(struct cpu *c)
{
	void (*fn)(void *) = c->call_fn;
	if (fn) {
		fn(c->call_arg);
		a_store_release(&c->call_fn, NULL);
	}
}

void smp_poll_calls(void)
{
	run_call(this_cpu());
}

static void idle_loop(void)
{
	struct cpu *c = this_cpu();
	for (;;) {
		irq_disable();
		if (c->call_fn) {
			irq_enable();
			run_call(c);
			continue;
		}
		halt_irq_on();
	}
}

/* TLB shootdown. The requester sets every other online CPU's
   tlb_flush_req, sends the IPI and waits for the flags to clear. A CPU
   that waits here (for the lock, or for acks) serves its own request in
   the loop, so two CPUs flushing at once cannot wait on each other even
   with interrupts off. */
static void tlb_serve(struct cpu *c)
{
	if (a_load_acquire(&c->tlb_flush_req)) {
		write_cr3(read_cr3());
		a_store_release(&c->tlb_flush_req, 0);
	}
}

static bool tlb_ipi(struct trapframe *tf, void *arg)
{
	(void)tf, (void)arg;
	tlb_serve(this_cpu());
	return true;
}

void vm_flush_all(void)
{
	struct cpu *me = this_cpu();
	write_cr3(read_cr3());
	if (ncpus_online < 2)
		return;
	while (!spin_trylock_raw(&flush_lock)) {
		tlb_serve(me);
		cpu_relax();
	}
	for (unsigned i = 0; i < ncpus; i++)
		if (&cpus[i] != me && cpus[i].online) {
			a_store_release(&cpus[i].tlb_flush_req, 1);
			lapic_send_ipi(cpus[i].apic_id, VEC_IPI_TLB);
		}
	for (unsigned i = 0; i < ncpus; i++) {
		uint64_t resend = rdtsc() + ns_to_tsc(IPI_RESEND_NS);
		while (a_load_acquire(&cpus[i].tlb_flush_req)) {
			tlb_serve(me);
			cpu_relax();
			if (rdtsc() > resend) {
				lapic_send_ipi(cpus[i].apic_id, VEC_IPI_TLB);
				resend = rdtsc() + ns_to_tsc(IPI_RESEND_NS);
			}
		}
	}
	spin_unlock_raw(&flush_lock);
}

void cpu_call(unsigned id, void (*fn)(void *), void *arg)
{
	bool f = irq_save();		/* no migration between check and call */
	if (id == cpu_id()) {
		fn(arg);
		irq_restore(f);
		return;
	}
	irq_restore(f);
	struct cpu *c = &cpus[id];
	if (!c->online)
		panic("cpu_call: cpu %u is not online", id);
	call_lock_take();
	c->call_arg = arg;
	a_store_release(&c->call_fn, fn);
	lapic_send_ipi(c->apic_id, VEC_IPI_WAKE);
	wait_clear(c, (void *volatile *)&c->call_fn, VEC_IPI_WAKE);
	spin_unlock_raw(&call_lock);
}

void cpu_call_all(void (*fn)(void *), void *arg)
{
	bool f = irq_save();		/* the local share runs here, unmigrated */
	unsigned me = cpu_id();
	call_lock_take();
	for (unsigned i = 0; i < ncpus; i++) {
		struct cpu *c = &cpus[i];
		if (i == me || !c->online)
			continue;
		c->call_arg = arg;
		a_store_release(&c->call_fn, fn);
		lapic_send_ipi(c->apic_id, VEC_IPI_WAKE);
	}
	fn(arg);
	for (unsigned i = 0; i < ncpus; i++)
		if (i != me)
			wait_clear(&cpus[i], (void *volatile *)&cpus[i].call_fn, VEC_IPI_WAKE);
	spin_unlock_raw(&call_lock);
	irq_restore(f);
}

/* Each AP's start, decided once by whichever side gets there first:
   AP_PENDING until the AP reaches ap_entry (AP_ARRIVED) or the BSP gives
   up on it (AP_ABANDONED, start_ap timed out). An abandoned AP that starts
   after all must not go online: nothing expects it, and its struct cpu is
   not set up for the scheduler. */
enum { AP_PENDING, AP_ARRIVED, AP_ABANDONED };
static int ap_state[MAX_CPUS];

void ap_entry(struct cpu *c);
void ap_entry(struct cpu *c)
{
	int expect = AP_PENDING;
	if (!a_cas_acquire(&ap_state[c->id], &expect, AP_ARRIVED))
		cpu_halt_forever();
	cpu_init_local(c);
	lapic_init_local();
	c->reent = calloc(1, sizeof(struct _reent));
	if (!c->reent)
		panic("ap_entry: no memory for cpu %u", c->id);
	_REENT_INIT_PTR(c->reent);
	a_fetch_add(&ncpus_online, 1);
	a_store_release(&c->online, true);
	if (kernel_hooks.ap_main)
		kernel_hooks.ap_main();
	idle_loop();
}

/* Whether the MP specification's 10 ms between INIT and the first SIPI is
   needed. Not under a hypervisor (the INIT is emulated: the vCPU is reset
   before the SIPI is looked at), nor on a CPU with an x2APIC (all of them
   are recent), nor on the CPUs Linux exempts (smp_quirk_init_udelay): Intel
   family 6 (every core since the Pentium Pro) and the families after
   NetBurst's 0xf, AMD from family 0xf (K8), Hygon; older ones and unknown
   vendors wait. */
static bool init_needs_wait(void)
{
	uint32_t a, b, c, d, v[3];
	cpuid(0, 0, &a, &v[0], &v[2], &v[1]);
	cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 21 | 1u << 31))		/* x2APIC, or a hypervisor */
		return false;
	unsigned family = (a >> 8) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (!memcmp(v, "GenuineIntel", 12))
		return family != 6 && family <= 0xf;
	if (!memcmp(v, "AuthenticAMD", 12))
		return family < 0xf;
	if (!memcmp(v, "HygonGenuine", 12))
		return family < 0x18;
	return true;
}

/* Hand one AP (already sent INIT) the parameter block and wait up to 1 s
   until it has taken it (its vCPU may not run for a while on a busy
   host), sending the SIPI again every SIPI_RESEND_US meanwhile, as the MP
   specification's second SIPI, 200 us after the first: a SIPI that finds
   the AP not yet waiting for one is dropped (QEMU handles the INIT on
   the AP's own thread, which may not have run yet), and one that finds
   it started is ignored. */
#define SIPI_RESEND_US 200
static bool start_ap(struct cpu *c)
{
	uint8_t *page = (uint8_t *)AP_TRAMP_BASE;
	uint64_t *param = (uint64_t *)(page + AP_PARAM_OFF);
	uint64_t *taken = (uint64_t *)(page + AP_PARAM_TAKEN);
	param[0] = (uint64_t)boot_pml4;			/* AP_PARAM_CR3 */
	param[1] = (uint64_t)kstack_alloc(AP_STACK_SIZE) + AP_STACK_SIZE;
	param[2] = vm_kernel_cr3();			/* AP_PARAM_KCR3 */
	param[3] = (uint64_t)c;				/* AP_PARAM_ARG */
	param[4] = rdmsr(MSR_EFER) & ((1u << 8) | (1u << 11));	/* LME, NXE */
	a_store_release(taken, 0);
	a_fence();
	uint64_t now = rdtsc(), end = now + ns_to_tsc(1000000000), resend = now;
	while (a_load_acquire(taken) != (uint64_t)c && (now = rdtsc()) < end) {
		if (now >= resend) {
			lapic_send_sipi(c->apic_id, AP_TRAMP_BASE >> 12);
			resend = rdtsc() + ns_to_tsc(SIPI_RESEND_US * 1000ull);
		}
		serve_self(true);
		cpu_relax();
	}
	return a_load_acquire(taken) == (uint64_t)c;
}

/* Wait for the started APs (which have their parameters) to be online.
   Each runs kernel code from here on, so it comes; a line says so when
   one takes over a second (a host that does not run its vCPU). */
static void wait_online(void)
{
	for (unsigned i = 1; i < ncpus; i++) {
		uint64_t say = rdtsc() + ns_to_tsc(1000000000);
		bool said = false;
		while (!a_load_acquire(&cpus[i].online)) {
			serve_self(true);
			cpu_relax();
			if (!said && rdtsc() > say) {
				kprintf("smp: cpu %u took its parameters but is not online after 1 s; "
					"waiting\n", i);
				said = true;
			}
		}
	}
}

unsigned smp_max_cpus(void)
{
	return max_cpus;
}

void smp_init(void)
{
	max_cpus = (unsigned)kcmdline_u64(&key_cpus, MAX_CPUS, 1, MAX_CPUS);
	trap_set_handler(VEC_IPI_TLB, tlb_ipi, NULL);
	cpus[0].apic_id = lapic_id();
	cpus[0].online = true;
	if (!acpi.ncpu)
		return;
	size_t tsz = ap_tramp_end - ap_tramp_start;
	if (tsz > AP_PARAM_OFF)
		panic("smp_init: trampoline of %zu bytes overlaps its parameters", tsz);
	memcpy((void *)AP_TRAMP_BASE, ap_tramp_start, tsz);
	/* INIT every AP, then one wait for all (the MP spec's 10 ms, on CPUs
	   that need it), rather than one per CPU. */
	for (unsigned i = 0, k = 1; i < acpi.ncpu && k < max_cpus; i++)
		if (acpi.apic_id[i] != cpus[0].apic_id) {
			lapic_send_init(acpi.apic_id[i]);
			k++;
		}
	if (init_needs_wait())
		delay_us(10000);
	unsigned n = 1;
	for (unsigned i = 0; i < acpi.ncpu && n < max_cpus && n < MAX_CPUS; i++) {
		if (acpi.apic_id[i] == cpus[0].apic_id)
			continue;
		struct cpu *c = &cpus[n];
		c->id = n;
		c->apic_id = acpi.apic_id[i];
		cpu_alloc_ist(c);
		ncpus = n + 1;
		int expect = AP_PENDING;
		if (!start_ap(c) && a_cas_acquire(&ap_state[n], &expect, AP_ABANDONED)) {
			/* The trampoline's parameters stay this AP's: starting
			   another would hand them over while it may still come. */
			kprintf("smp: cpu with APIC id %u did not start; no more APs started\n",
				c->apic_id);
			ncpus = n;
			break;
		}
		n++;
	}
	wait_online();
}
