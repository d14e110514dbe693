/*
 * runtime/timer.c — per-CPU timers for sleeps and timeouts.
 *
 * Each CPU keeps a binary min-heap of timers ordered by TSC deadline,
 * under its tlock. A timer belongs to the heap of the CPU that added it;
 * only that CPU fires it (from its LAPIC timer interrupt or its scheduler
 * loop), but any CPU may cancel it (the woken task may run elsewhere).
 * Firing claims the timer's task with the park ticket it recorded, so a
 * timer that loses the race with another waker does nothing. A timer lives
 * on the stack of the task that waits, which cancels it before returning.
 *
 * The LAPIC timer is armed for the earliest of: the heap's first deadline,
 * the next time-slice check (sched.c; only while a task runs) and, while
 * a profile runs, the next sample (profile.c; only while not halted).
 * s->armed mirrors what the LAPIC holds, so that the LAPIC is written only
 * when the earliest deadline changes (an MSR write is a VM exit).
 *
 * Timer_rearm runs without tlock (from the tick, idle, run and
 * timer_add), so it reads the heap's first deadline from s->tfirst, a
 * word written under tlock, never through theap[0]: another CPU may
 * cancel that timer at any moment, and its task return, exit and have
 * its stack's pages unmapped (sched.c, THE HAND-OFF: with direct
 * switches the exit's hand-off runs at once on the waking CPU) before
 * a pointer loaded here is read through.
 */
#include <stdlib.h>
#include "kernel/apic.h"
#include "kernel/panic.h"
#include "kernel/time.h"
#include "runtime/sched.h"

static void swap(struct timer **h, uint32_t a, uint32_t b)
{
	struct timer *x = h[a];
	h[a] = h[b];
	h[b] = x;
	h[a]->idx = (int32_t)a;
	h[b]->idx = (int32_t)b;
}

static void sift_up(struct timer **h, uint32_t i)
{
	while (i > 0 && h[(i - 1) / 2]->when > h[i]->when) {
		swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct timer **h, uint32_t n, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && h[l]->when < h[m]->when)
			m = l;
		if (r < n && h[r]->when < h[m]->when)
			m = r;
		if (m == i)
			return;
		swap(h, i, m);
		i = m;
	}
}

/* The heap's first deadline as timer_rearm reads it: a word kept under
   tlock, because the first timer itself may be cancelled by another
   CPU, and its task exit and its stack be unmapped, at any moment
   between loading the pointer and reading through it. */
static void set_first(struct sched *s)
{
	a_store_relaxed(&s->tfirst, s->tn ? s->theap[0]->when : 0);
}

static void heap_remove(struct sched *s, uint32_t i)
{
	struct timer **h = s->theap;
	uint32_t last = --s->tn;
	h[i]->idx = -1;
	if (i != last) {
		h[i] = h[last];
		h[i]->idx = (int32_t)i;
		sift_down(h, s->tn, i);
		sift_up(h, i);
	}
}

/* Queue tm on this CPU. Interrupts off; tm->t and tm->seq are set. */
void timer_add(struct timer *tm, uint64_t when_tsc)
{
	struct sched *s = this_sched();
	spin_lock_raw(&s->tlock);
	if (s->tn == s->tcap) {
		uint32_t ncap = s->tcap ? s->tcap * 2 : 256;
		struct timer **n = realloc(s->theap, ncap * sizeof *n);
		if (!n)
			panic("timer_add: out of memory for %u timers", ncap);
		s->theap = n;
		s->tcap = ncap;
	}
	tm->when = when_tsc;
	tm->owner = s;
	tm->idx = (int32_t)s->tn;
	s->theap[s->tn++] = tm;
	sift_up(s->theap, (uint32_t)tm->idx);
	set_first(s);
	spin_unlock_raw(&s->tlock);
	if (!s->armed || when_tsc < s->armed)
		timer_rearm(s);
}

bool timer_cancel(struct timer *tm)
{
	struct sched *s = tm->owner;
	bool f = spin_lock(&s->tlock);
	bool queued = tm->idx >= 0;
	if (queued) {
		heap_remove(s, (uint32_t)tm->idx);
		set_first(s);
	}
	spin_unlock(&s->tlock, f);
	return queued;
}

/* Fire expired timers. Interrupts off. */
void timer_run(struct sched *s)
{
	if (!a_load_relaxed(&s->tn))
		return;
	uint64_t now = rdtsc();
	spin_lock_raw(&s->tlock);
	while (s->tn && s->theap[0]->when <= now) {
		struct timer *tm = s->theap[0];
		heap_remove(s, 0);
		if (task_claim(tm->t, tm->seq)) {
			tm->t->timed_out = 1;
			task_wake(tm->t);
		}
	}
	set_first(s);
	spin_unlock_raw(&s->tlock);
}

/* Without tlock: never through a timer pointer (set_first). */
uint64_t timer_next(struct sched *s)
{
	return a_load_relaxed(&s->tfirst);
}

/* Arm the LAPIC for the earliest of the next timer, the slice check and
   the next profile sample. */
void timer_rearm(struct sched *s)
{
	uint64_t when = timer_next(s);
	if (s->slice_tick && (!when || s->slice_tick < when))
		when = s->slice_tick;
	if (s->prof_tick && (!when || s->prof_tick < when))
		when = s->prof_tick;
	if (when == s->armed)
		return;
	s->armed = when;
	lapic_timer_arm(when);
}

/* Debug builds (stack_release): no CPU's heap may hold a timer that
   lives in [lo, hi), a stack being released. */
void timer_check_none_in(uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < ncpus; i++) {
		struct sched *s = cpus[i].online ? sched_of(i) : NULL;
		if (!s)
			continue;
		spin_lock_raw(&s->tlock);
		for (uint32_t k = 0; k < s->tn; k++) {
			uint64_t a = (uint64_t)(uintptr_t)s->theap[k];
			if (a >= lo && a < hi)
				panic("stack_release: cpu %u's timer heap holds timer 0x%llx "
				      "(task %llu) in the stack [0x%llx, 0x%llx) being released",
				      i, (unsigned long long)a,
				      (unsigned long long)s->theap[k]->t->id,
				      (unsigned long long)lo, (unsigned long long)hi);
		}
		spin_unlock_raw(&s->tlock);
	}
}

/* Park until deadline (ns since boot) unless woken first. */
bool task_park_until(const char *reason, void (*unlock)(void *), void *arg, uint64_t deadline)
{
	struct task *t = cur_task();
	struct timer tm = { .t = t, .seq = WS_SEQ(t->ws), .idx = -1 };
	t->timed_out = 0;
	timer_add(&tm, boot_tsc + ns_to_tsc(deadline));
	task_park(reason, unlock, arg);
	timer_cancel(&tm);
	return t->timed_out;
}

void task_sleep(uint64_t ns)
{
	uint64_t deadline = time_ns() + ns;
	irq_disable();
	task_park_prepare();
	task_park_until("sleep", NULL, NULL, deadline);
}
