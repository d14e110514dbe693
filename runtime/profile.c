/*
 * runtime/profile.c — the sampling CPU profile (runtime/debug.h), after
 * Go's SIGPROF profiler: the per-CPU timer interrupts each busy CPU
 * RT_PROF_HZ times a second and records where it was.
 *
 * SAMPLING. While prof_period_tsc is non-zero, a CPU that is not halted
 * keeps prof_tick, the TSC of its next sample, among its timer's
 * deadlines (sched.c, timer_rearm); the tick (sched_timer_tick) calls
 * prof_sample with the interrupted registers. The stack is the
 * frame-pointer chain from the interrupted rip and rbp (frames.c): inside
 * the running task's mapped stack when a task was interrupted, else (the
 * scheduler loop, where the network poller runs) through pages
 * vm_readable vouches for. A halted CPU has no deadline and no samples,
 * so a profile shows where busy time goes, as Go's does. Code that runs
 * with interrupts off (spinlocks, the loop between its windows) is
 * sampled when it turns them back on: the timer is not an NMI.
 *
 * FROM THE INTERRUPT TO THE OWNER. Each CPU has a ring of RING samples
 * with one producer (its own timer interrupt: interrupts off, so never
 * two at once) and one consumer (the profile's owner, a task on any
 * CPU): the producer fills the slot at tail and publishes it with a
 * store-release of tail, the consumer reads up to an acquired tail and
 * frees slots with a store-release of head. A full ring drops the sample
 * and counts it. Nothing is allocated in the interrupt; the rings are
 * allocated once, by the first profile, and kept.
 *
 * ONE AT A TIME. `owner` is taken by compare-and-swap in
 * rt_profile_start (a second caller gets -EBUSY) and given back by
 * rt_profile_stop, which first clears prof_period_tsc and then
 * runs an empty cpu_call_all: each CPU runs it from its scheduler loop,
 * never inside the timer interrupt, so when it returns no sample is
 * being written anywhere, and its last drain sees everything; a
 * profile started later finds its rings quiet and empties them.
 */
#include <errno.h>
#include <stdlib.h>
#include "kernel/cpu.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "runtime/debug.h"
#include "runtime/sched.h"

#define RING 256

struct sample {
	uint32_t n, cpu;
	uint64_t pc[RT_TRACE_MAX];
};

struct ring {
	uint32_t head;			/* atomic: the consumer's */
	uint32_t tail;			/* atomic: the producer's */
	uint64_t dropped;		/* the producer's; read after stop */
	struct sample s[RING];
};

uint64_t prof_period_tsc;		/* atomic; 0: no profile */
static struct ring *rings;		/* ncpus of them, once allocated */
static uint32_t owner;			/* atomic: 1 while a profile is owned */
static uint64_t started_ns, taken;

/* The timer interrupt of this CPU, interrupts off. */
void prof_sample(struct trapframe *tf, struct sched *s)
{
	struct ring *rs = a_load_acquire(&rings);
	if (!rs || !a_load_acquire(&prof_period_tsc))
		return;
	unsigned c = cpu_id();
	struct ring *r = &rs[c];
	uint32_t t = r->tail;
	if (t - a_load_acquire(&r->head) >= RING) {
		r->dropped++;
		return;
	}
	struct sample *p = &r->s[t % RING];
	struct task *cur = s->cur;
	if (cur)
		p->n = rt_frames(tf->rip, tf->rbp, a_load_relaxed(&cur->stack_low),
				 cur->stack_hi, p->pc, RT_TRACE_MAX);
	else
		p->n = rt_frames(tf->rip, tf->rbp, 0, 0, p->pc, RT_TRACE_MAX);
	p->cpu = c;
	a_store_release(&r->tail, t + 1);
}

int rt_profile_start(void)
{
	uint32_t free_ = 0;
	if (!a_cas(&owner, &free_, 1))
		return -EBUSY;
	if (!rings) {
		struct ring *rs = calloc(ncpus, sizeof *rs);
		if (!rs) {
			a_store(&owner, 0);
			return -ENOMEM;
		}
		a_store_release(&rings, rs);
	}
	/* No producer runs (stop quiesced them): empty every ring. */
	for (unsigned i = 0; i < ncpus; i++) {
		rings[i].head = a_load(&rings[i].tail);
		rings[i].dropped = 0;
	}
	taken = 0;
	started_ns = time_ns();
	a_store(&prof_period_tsc, ns_to_tsc(1000000000ull / RT_PROF_HZ));
	return 0;
}

size_t rt_profile_drain(void (*fn)(void *arg, const uint64_t *pc, unsigned n,
				   unsigned cpu), void *arg)
{
	size_t n = 0;
	if (!rings)
		return 0;
	for (unsigned i = 0; i < ncpus; i++) {
		struct ring *r = &rings[i];
		uint32_t h = r->head, t = a_load_acquire(&r->tail);
		for (; h != t; h++, n++) {
			const struct sample *p = &r->s[h % RING];
			fn(arg, p->pc, p->n, p->cpu);
			a_store_release(&r->head, h + 1);
		}
	}
	taken += n;
	return n;
}

static void nothing(void *arg)
{
	(void)arg;
}

void rt_profile_stop(void (*fn)(void *arg, const uint64_t *pc, unsigned n,
				unsigned cpu), void *arg, struct rt_profile_stats *out)
{
	a_store(&prof_period_tsc, 0);
	cpu_call_all(nothing, NULL);
	if (fn)
		rt_profile_drain(fn, arg);
	uint64_t dropped = 0;
	for (unsigned i = 0; rings && i < ncpus; i++)
		dropped += rings[i].dropped;
	if (out) {
		out->samples = taken;
		out->dropped = dropped;
		out->duration_ns = time_ns() - started_ns;
	}
	a_store(&owner, 0);
}
