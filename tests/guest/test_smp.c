/* tests/guest/test_smp.c — CPUs, per-CPU data, local timers, IPIs. */
#include <stddef.h>
#include "kernel/acpi.h"
#include "kernel/atomic.h"
#include "kernel/apic.h"
#include "kernel/cpu.h"
#include "tests/guest/ktest.h"
#include "kernel/smp.h"
#include "kernel/time.h"

KTEST(smp, all_online)
{
	unsigned want = acpi.ncpu ? acpi.ncpu : 1;
	uint64_t limit = smp_max_cpus();
	if (want > limit)
		want = (unsigned)limit;
	KT_EQ(ncpus_online, want);
	for (unsigned i = 0; i < ncpus; i++)
		KT_ASSERT(cpus[i].online);
}

struct percpu_probe {
	unsigned id, apic;
	struct cpu *self;
};

static void probe_percpu(void *arg)
{
	struct percpu_probe *p = arg;
	p->id = this_cpu()->id;
	p->apic = lapic_id();
	p->self = this_cpu();
}

KTEST(smp, percpu_data)
{
	for (unsigned i = 0; i < ncpus; i++) {
		struct percpu_probe p = { 0xffff, 0xffff, NULL };
		cpu_call(i, probe_percpu, &p);
		KT_EQ(p.id, i);
		KT_EQ(p.apic, cpus[i].apic_id);
		KT_ASSERT(p.self == &cpus[i]);
	}
	for (unsigned i = 0; i + 1 < ncpus; i++)
		KT_ASSERT(cpus[i].apic_id != cpus[i + 1].apic_id);
}

struct timer_probe {
	uint64_t ticks_before, ticks_after, elapsed_ns;
};

/* Arm this CPU's one-shot timer 5 ms ahead and halt until it fires. */
static void probe_timer(void *arg)
{
	struct timer_probe *p = arg;
	struct cpu *c = this_cpu();
	bool f = irq_save();
	p->ticks_before = c->ticks;
	uint64_t t0 = rdtsc(), limit = t0 + ns_to_tsc(2000000000ull);
	lapic_timer_arm(t0 + ns_to_tsc(5000000));
	while (c->ticks == p->ticks_before && rdtsc() < limit) {
		halt_irq_on();
		irq_disable();
	}
	p->elapsed_ns = tsc_to_ns(rdtsc() - t0);
	p->ticks_after = c->ticks;
	irq_restore(f);
}

KTEST(smp, local_timer)
{
	for (unsigned i = 0; i < ncpus; i++) {
		struct timer_probe p = { 0, 0, 0 };
		cpu_call(i, probe_timer, &p);
		KT_ASSERT(p.ticks_after > p.ticks_before);
		KT_ASSERT(p.elapsed_ns >= 5000000);
	}
}

static void count_call(void *arg)
{
	a_fetch_add_relaxed((unsigned *)arg, 1u << (4 * this_cpu()->id % 32));
}

KTEST(smp, call_all)
{
	unsigned hits = 0, want = 0;
	cpu_call_all(count_call, &hits);
	for (unsigned i = 0; i < ncpus; i++)
		want += 1u << (4 * i % 32);
	KT_EQ(hits, want);
}

static void read_clock(void *arg)
{
	*(uint64_t *)arg = time_ns();
}

/* Time read in a causal chain across CPUs (a read here, then one on CPU
   i that this CPU waited for, then one here again) never goes back, also
   when the vCPUs' TSCs disagree (kernel/time.c's clamp). */
KTEST(smp, clock_in_order_across_cpus)
{
	for (int round = 0; round < 200; round++)
		for (unsigned i = 0; i < ncpus; i++) {
			uint64_t t0 = time_ns(), t1 = 0;
			cpu_call(i, read_clock, &t1);
			uint64_t t2 = time_ns();
			KT_ASSERT(t1 >= t0);
			KT_ASSERT(t2 >= t1);
		}
}

KTEST(boot, tsc_calibrated)
{
	KT_ASSERT(tsc_hz > 100000000ull);	/* above 100 MHz */
	KT_ASSERT(time_ns() > 0);
	uint64_t t0 = time_ns();
	delay_us(2000);
	KT_ASSERT(time_ns() - t0 >= 2000000);
}
