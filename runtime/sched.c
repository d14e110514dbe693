/*
 * runtime/sched.c — the M:N scheduler and park/ready.
 *
 * CONCEPTS. Every CPU runs a scheduler loop (sched_loop) on its own
 * kernel stack, with interrupts off. The loop picks a runnable task and
 * ctx_switches to it; the task runs with interrupts on until it parks,
 * yields, exits, or the timer preempts it. Then it switches straight to
 * the next task of its CPU's local queues (run-next, then the ring), or,
 * when there is none or the loop has work of its own, back to the loop,
 * which polls, runs cross-CPU calls, refills the page reserve, looks at
 * the global queue, steals, or idles (next_direct has the list). A
 * ping-pong of two tasks never visits the loop: one switch per hand-off.
 *
 * THE HAND-OFF. What must happen after a task is off its stack — its
 * context is complete, so it may be made visible to wakers and stealers,
 * or its stack freed — is left in the per-CPU hand-off (prev, why, park
 * unlock), and done by whatever gains the CPU, on its own stack, before
 * anything else (sched_finish: in the loop after its switch, in
 * sched_switch_out after a task resumes, in task_main for a new task):
 *   - an exiting task is freed by the next context, never on its own
 *     stack;
 *   - a parking task becomes T_WAITING, and its lock is released, only
 *     then: no waker can see it while its registers are half saved;
 *   - a yielding or preempted task goes into a queue only then: no
 *     stealer can take it before its context is saved.
 * Interrupts stay off from the switch to the hand-off, so nothing can
 * run in between.
 *   Timers and the hand-off: a park timer goes into the heap of the CPU
 * that parks, with interrupts off from timer_add through the switch to
 * the hand-off, which that same CPU runs (s->prev is per CPU): its own
 * timer interrupt cannot find the task in T_PARKING. Another CPU may
 * wake the task first; the task then cancels its timer (under the
 * owner's tlock) wherever it runs, and may exit and have its stack
 * freed by the next hand-off there at once, with no loop pass in
 * between. So the owner must never read a timer outside tlock:
 * timer_rearm reads the first deadline from a word (timer.c).
 * Checked in debug builds: stack_release panics if any heap holds a
 * timer in the stack it frees. Hand-offs that need a stack of their own go through
 * the loop: an unlock that does more than release a spinlock (the net
 * lock's delivers loopback packets into lwIP) and an exit with newlib
 * state to reclaim.
 *
 * RUN QUEUES (after Go's runtime/proc.go). Per CPU: a run-next slot, a
 * bounded ring of RUNQ_SIZE tasks, and globally an unbounded list under a
 * spinlock.
 *   - The owner pushes at tail without locks (store-release of tail);
 *     consumers — the owner and stealers — take from head with CAS, so the
 *     ring needs no lock at all. A full ring moves half of itself to the
 *     global queue.
 *   - task_wake from a task puts the woken task in run-next, kicking the
 *     previous one to the ring: the woken task runs as soon as the waker
 *     blocks, on the same core (a ping-pong never migrates).
 *   - Every 61st pick looks at the global queue first, so it cannot
 *     starve behind busy local queues; an empty local queue refills from
 *     the global one in batches.
 *   - A CPU that finds nothing steals half of another CPU's ring (or its
 *     run-next), starting from a random victim.
 *
 * IDLE AND WAKE-UP. A CPU with nothing to run sets its bit in idle_mask,
 * then looks once more at every queue, and halts (sti; hlt, atomically)
 * only if that second look found nothing. Whoever makes work available
 * first publishes it (queue store), then reads idle_mask, and sends an IPI
 * to one idle CPU (clearing its bit). Both sides use sequentially
 * consistent operations (store, then load of the other's variable), so at
 * least one of them sees the other: either the idler finds the work on its
 * second look, or the producer sees the idle bit and wakes it. An IPI that
 * arrives between the second look and the hlt is held pending until sti
 * and ends the hlt at once. Timers wake their own CPU (the LAPIC timer is
 * armed for the earliest deadline before halting).
 *
 * TASK STATES are in sched.h with who owns the task in each. Invariants:
 *   - a task is in at most one run queue, and only when T_RUNNABLE;
 *   - only the CPU that runs a task switches away from it, and the task's
 *     stack is touched by nobody else until it is runnable again;
 *   - the park ticket (seq) only grows, and changes only while the task
 *     runs.
 *
 * PARK/READY (park.h has the caller's view). task_park stores T_PARKING,
 * records unlock/arg in the per-CPU hand-off, and switches away. The
 * next context, now on its own stack, stores T_WAITING (release) and
 * only then calls unlock: every waker must hold that lock to find the
 * task, so no waker can see the task before its context is saved. Claims
 * are CAS from (seq, T_WAITING) to (seq, T_CLAIMED); a waker that sees
 * (seq, T_PARKING) — possible only for wakers that do not hold the park's
 * lock — spins until the hand-off stores T_WAITING (a bounded wait: that
 * CPU has interrupts off and is a few instructions from the store).
 *
 * PREEMPTION. While tasks run, the per-CPU LAPIC timer also fires every
 * slice (10 ms): a task that was running at the previous slice check and
 * is still the same, with no switch in between, has run a whole slice
 * without blocking, and the handler (sched_timer_tick) marks
 * need_resched. (So a spinning task is preempted after one to two slices;
 * checking at every switch would put a clock read on the hottest path.)
 * The slice is a task's, not the CPU's: a halted CPU and the loop between
 * tasks have none (idle and the timer hook clear it, run() starts the
 * next), so an idle CPU's LAPIC holds only the heap's first deadline, and
 * is written only when that changes: under KVM each write of the
 * TSC-deadline MSR is an exit, and each timer interrupt costs several.
 * On the way out of the interrupt (trap.c calls sched_preempt_check
 * through the kernel's irq_return hook, kernel/hooks.h) a task
 * interrupted with interrupts on — hence holding no spinlock — saves its
 * vector registers on its own stack and switches away as if it had
 * yielded, but (unless pinned) to the back of the global queue, as Go
 * does: behind every task that waits, so a task that spawns without
 * blocking lets the tasks it made run and exit before it makes more. It
 * resumes inside the trap handler, restores the vector state and returns
 * from the interrupt. Voluntary switches save no vector state at all: they are
 * function calls, and the ABI makes every vector register caller-saved
 * (kernel/arch/ctx.h).
 *
 * PROFILING (profile.c). While a profile runs, each CPU that is not
 * halted also arms its timer for prof_tick, RT_PROF_HZ times a second,
 * and the tick records the interrupted pc and stack; idle() drops the
 * deadline before halting and keeps what was left of the period, and the
 * loop sets the deadline again once awake: samples come every period of
 * busy time, however short the bursts between halts (as ITIMER_PROF).
 *
 * REJECTED: a single global run queue with one lock (it serializes
 * every wake-up across CPUs); taking a lock per local queue (the owner's
 * path must be lock-free to be cheap). Direct task-to-task switches were
 * rejected once (an exiting task would free the stack it stands on, and
 * a parking task could be woken while its registers are half saved):
 * the hand-off above, done by the next context, answers both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/apic.h"
#include "kernel/console.h"
#include "kernel/debug.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/arch/ctx.h"
#include "runtime/poll.h"
#include "runtime/sched.h"

/* Invariant checks on the hot path; on in debug builds (make DEBUG=1,
   kernel/debug.h). */
/* Every GQ_TICKth pick looks at the global queue first. */
#define GQ_TICK 61

#ifndef SCHED_DEBUG
#define SCHED_DEBUG WEFT_DEBUG
#endif

static struct spinlock gq_lock = SPINLOCK_INIT;
static struct task *gq_head, *gq_tail;	/* under gq_lock */
static uint64_t gq_len;			/* atomic reads without the lock */
static uint64_t idle_mask;		/* atomic: CPUs halted or about to */
uint64_t rt_alive;			/* atomic: tasks not yet dead */

/* ---- global queue ---- */

static void gq_put_list(struct task *h, struct task *t, uint64_t n)
{
	spin_lock_raw(&gq_lock);
	t->next = NULL;
	if (gq_tail)
		gq_tail->next = h;
	else
		gq_head = h;
	gq_tail = t;
	a_store(&gq_len, gq_len + n);
	spin_unlock_raw(&gq_lock);
}

/* Take up to `max` tasks from the global queue: the first is returned,
   the rest go to s's ring (which the caller knows has room). */
static struct task *gq_get(struct sched *s, uint32_t max)
{
	if (!a_load(&gq_len))
		return NULL;
	spin_lock_raw(&gq_lock);
	uint64_t n = gq_len / ncpus_online + 1;
	if (n > gq_len)
		n = gq_len;
	if (n > max)
		n = max;
	struct task *first = gq_head;
	if (!first) {
		spin_unlock_raw(&gq_lock);
		return NULL;
	}
	gq_head = first->next;
	uint32_t tail = s->tail;
	for (uint64_t i = 1; i < n; i++) {
		struct task *t = gq_head;
		gq_head = t->next;
		s->runq[tail++ % RUNQ_SIZE] = t;
	}
	if (!gq_head)
		gq_tail = NULL;
	a_store(&gq_len, gq_len - n);
	spin_unlock_raw(&gq_lock);
	a_store_release(&s->tail, tail);
	return first;
}

/* ---- local ring (owner: put, get; others: steal) ---- */

/* Move half the ring plus t to the global queue. False if a stealer
   raced us and the ring is no longer full. */
static __attribute__((noinline)) bool runq_put_slow(struct sched *s, struct task *t, uint32_t h, uint32_t tl)
{
	struct task *batch[RUNQ_SIZE / 2 + 1];
	uint32_t n = (tl - h) / 2;
	for (uint32_t i = 0; i < n; i++)
		batch[i] = s->runq[(h + i) % RUNQ_SIZE];
	if (!a_cas(&s->head, &h, h + n))
		return false;
	batch[n] = t;
	for (uint32_t i = 0; i < n; i++)
		batch[i]->next = batch[i + 1];
	gq_put_list(batch[0], t, n + 1);
	return true;
}

static inline void runq_put(struct sched *s, struct task *t)
{
	for (;;) {
		uint32_t h = a_load_acquire(&s->head);
		uint32_t tl = s->tail;
		if (tl - h < RUNQ_SIZE) {
			s->runq[tl % RUNQ_SIZE] = t;
			a_store(&s->tail, tl + 1);
			return;
		}
		if (runq_put_slow(s, t, h, tl))
			return;
	}
}

static struct task *runq_get(struct sched *s)
{
	for (;;) {
		uint32_t h = a_load_acquire(&s->head);
		if (h == s->tail)
			return NULL;
		struct task *t = s->runq[h % RUNQ_SIZE];
		if (a_cas(&s->head, &h, h + 1))
			return t;
	}
}

/* Take half of victim v's ring into s's ring; returns one task to run.
   The batch stops at the first task pinned elsewhere: pinned tasks stay
   with their CPU. */
static struct task *runq_steal(struct sched *s, struct sched *v, unsigned me)
{
	for (;;) {
		uint32_t h = a_load_acquire(&v->head);
		uint32_t tl = a_load_acquire(&v->tail);
		uint32_t n = tl - h;
		n -= n / 2;
		if (n == 0 || n > RUNQ_SIZE / 2)
			return NULL;
		struct task *batch[RUNQ_SIZE / 2];
		for (uint32_t i = 0; i < n; i++) {
			batch[i] = v->runq[(h + i) % RUNQ_SIZE];
			if (batch[i]->pin >= 0 && (unsigned)batch[i]->pin != me) {
				n = i;
				break;
			}
		}
		if (n == 0)
			return NULL;
		if (!a_cas(&v->head, &h, h + n))
			continue;
		uint32_t tail = s->tail;
		for (uint32_t i = 1; i < n; i++)
			s->runq[tail++ % RUNQ_SIZE] = batch[i];
		a_store_release(&s->tail, tail);
		s->st.steals += n;
		return batch[0];
	}
}

static bool runq_empty(struct sched *s)
{
	return a_load(&s->head) ==
		       a_load(&s->tail) &&
	       !a_load(&s->runnext);
}

/* ---- waking idle CPUs ---- */

/* Wake CPU i if it is idle; its bit is cleared by whoever wakes it, so
   two producers do not both send the IPI. */
static bool wake_cpu(unsigned i)
{
	uint64_t bit = 1ull << i;
	if (!(a_fetch_and(&idle_mask, ~bit) & bit))
		return false;
	this_sched()->st.wakeups_sent++;
	lapic_send_ipi(cpus[i].apic_id, VEC_IPI_WAKE);
	return true;
}

/* Work became available that another CPU could take: wake one idle CPU,
   or `target` when the work is pinned there. */
static void wake_idle(int target)
{
	unsigned me = cpu_id();
	if (target >= 0) {
		if ((unsigned)target != me)
			wake_cpu((unsigned)target);
		return;
	}
	uint64_t mask = a_load(&idle_mask) & ~(1ull << me);
	while (mask) {
		unsigned i = (unsigned)__builtin_ctzll(mask);
		if (wake_cpu(i))
			return;
		mask &= ~(1ull << i);
	}
}

/* wake_idle(-1) when some CPU is idle at all: the common case, none,
   costs a load. */
static inline void wake_idle_any(void)
{
	if (a_load(&idle_mask))
		wake_idle(-1);
}

/* Make t runnable. `next`: into this CPU's run-next slot. Interrupts off. */
static inline void enqueue(struct sched *s, unsigned me, struct task *t, bool next)
{
	if (t->pin >= 0 && (unsigned)t->pin != me) {
		/* Pinned elsewhere: the global queue is the only shared door;
		   the owner CPU takes it from there (others skip it). */
		gq_put_list(t, t, 1);
		wake_idle(t->pin);
		return;
	}
	if (next) {
		struct task *old = a_swap(&s->runnext, t);
		if (!old)
			return;
		t = old;
	}
	runq_put(s, t);
	wake_idle_any();
}

void sched_enqueue(struct task *t, bool next)
{
	enqueue(this_sched(), cpu_id(), t, next);
}

/* ---- picking work ---- */

/* A task from the global queue that may run here; pinned tasks of other
   CPUs are put back. */
static struct task *gq_get_runnable(struct sched *s, uint32_t max)
{
	struct task *t = gq_get(s, max);
	if (t && t->pin >= 0 && (unsigned)t->pin != cpu_id()) {
		gq_put_list(t, t, 1);
		wake_idle(t->pin);
		return NULL;
	}
	return t;
}

static struct task *find_local(struct sched *s)
{
	struct task *t;
	if (--s->gq_tick <= 0) {
		s->gq_tick = GQ_TICK;
		if ((t = gq_get_runnable(s, 1)))
			return t;
	}
	if (a_load_relaxed(&s->runnext) &&
	    (t = a_swap(&s->runnext, NULL)))
		return t;
	if ((t = runq_get(s)))
		return t;
	uint32_t room = RUNQ_SIZE - (s->tail - a_load_acquire(&s->head));
	return gq_get_runnable(s, room < 128 ? room : 128);
}

static struct task *steal_work(struct sched *s)
{
	unsigned me = cpu_id(), n = ncpus;
	if (n < 2)
		return NULL;
	s->rng = s->rng * 1103515245u + 12345u;
	unsigned start = (s->rng >> 8) % n;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (start + k) % n;
		if (i == me || !cpus[i].online || !cpus[i].sched)
			continue;
		struct sched *v = sched_of(i);
		struct task *t = runq_steal(s, v, me);
		if (t)
			return t;
		/* A run-next left waiting while its CPU is busy elsewhere. */
		t = a_load(&v->runnext);
		if (t && t->pin < 0 && v->cur &&
		    a_cas(&v->runnext, &t, NULL)) {
			s->st.steals++;
			return t;
		}
	}
	return NULL;
}

/* ---- the poller (runtime/poll.h) ---- */

static void (*poll_fn)(void);
static uint32_t poll_pending;		/* atomic */

void rt_poll_register(void (*fn)(void))
{
	poll_fn = fn;
}

void rt_poll_kick(void)
{
	a_store(&poll_pending, 1);
	struct sched *s = this_sched();
	/* A CPU between tasks (or halted: the interrupt woke it) will poll at
	   its next pass; one running a task may not for a while. */
	if (s && s->cur)
		wake_idle(-1);
}

bool rt_poll_begin(void)
{
	return a_swap(&poll_pending, 0);
}

bool rt_poll_pending(void)
{
	return a_load_relaxed(&poll_pending) != 0;
}

static bool poll_due(void)
{
	return poll_fn && a_load_relaxed(&poll_pending);
}

static struct task *find_runnable(struct sched *s)
{
	if (poll_due())
		poll_fn();
	struct task *t = find_local(s);
	if (t)
		return t;
	return steal_work(s);
}

static bool any_work_anywhere(struct sched *s)
{
	if (a_load(&gq_len) || !runq_empty(s) ||
	    (poll_fn && a_load(&poll_pending)))
		return true;
	for (unsigned i = 0; i < ncpus; i++)
		if (cpus[i].online && cpus[i].sched && !runq_empty(sched_of(i)) &&
		    (sched_of(i)->tail != sched_of(i)->head))
			return true;
	return false;
}

static void idle(struct sched *s)
{
	unsigned me = cpu_id();
	a_fetch_or(&idle_mask, 1ull << me);
	stack_flush_pending(s);
	if (any_work_anywhere(s) || this_cpu()->call_fn) {
		a_fetch_and(&idle_mask, ~(1ull << me));
		s->st.idle_spins++;
		return;
	}
	/* No task runs while halted: no slice to check (run() starts the
	   next one), so the LAPIC is armed for the heap alone, or disarmed. */
	s->slice_tick = 0;
	uint64_t t0 = rdtsc();
	if (s->prof_tick) {
		/* A halted CPU takes no profile samples: keep what is left of
		   the period for when it is busy again (profile.c). */
		s->prof_left = (int64_t)(s->prof_tick - t0) > 0 ? s->prof_tick - t0 : 1;
		s->prof_tick = 0;
	}
	timer_rearm(s);
	s->halt_tsc = t0;
	a_store_release(&s->idle_seq, s->idle_seq + 1);	/* odd: halted */
	s->st.halts++;
	halt_irq_on();			/* sti; hlt: the wake IPI cannot slip in between */
	irq_disable();
	s->st.idle_ns += tsc_to_ns(rdtsc() - t0);
	a_store_release(&s->idle_seq, s->idle_seq + 1);
	a_fetch_and(&idle_mask, ~(1ull << me));
}

/* ---- switching ---- */

/* Bookkeeping for t, about to run on this CPU. */
static inline void enter(struct sched *s, struct cpu *c, struct task *t)
{
	t->cpu = (int16_t)c->id;
	/* Sequentially consistent, then the load of inspect: the Dekker
	   pair with a reader of the task's stack (runtime/inspect.c). */
	a_store(&t->ws, WS(WS_SEQ(t->ws), T_RUNNING));
	while (a_load(&t->inspect))
		cpu_relax();
	s->cur = t;
	c->task = t;
	task_reent_enter(c, t);
	s->st.switches++;
	s->st.tasks_run++;
	s->need_resched = false;
}

static void run(struct sched *s, struct task *t)
{
	struct cpu *c = this_cpu();
	enter(s, c, t);
	if (!s->slice_tick) {
		s->slice_tick = rdtsc() + ns_to_tsc(TASK_SLICE_NS);
		s->switches_at_tick = s->st.switches;
		timer_rearm(s);
	}
	ctx_switch(&s->sched_rsp, t->rsp);
	/* Back in the loop, from whichever task switched to it last: on
	   this same CPU — the loop never migrates, it is the CPU. */
	c->task = NULL;
	s->cur = NULL;
	task_reent_switch(NULL);
}

/* The hand-off of the task that just switched away (s->prev), run by
   whatever gained the CPU from it, on its own stack, before anything
   else: the loop, a task resuming in sched_switch_out, or a new task.
   The common cases inline; exits and the rest in finish_slow. */
static __attribute__((noinline)) void finish_slow(struct sched *s, struct task *t, int why)
{
	uint64_t ws = t->ws;
	switch (why) {
	case SW_YIELD:			/* pinned to another CPU */
		a_store_relaxed(&t->ws, WS(WS_SEQ(ws), T_RUNNABLE));
		sched_enqueue(t, false);
		break;
	case SW_PREEMPT:
		/* Behind everything that waits, the global queue included (as
		   Go does): a task that used up its slice must not overtake
		   tasks queued there — a spawner preempted would otherwise
		   resume after one local ring's worth of its new tasks, and
		   the rest would pile up without bound. A pinned task has
		   nowhere else to go: its own CPU's ring. */
		a_store_relaxed(&t->ws, WS(WS_SEQ(ws), T_RUNNABLE));
		if (t->pin >= 0) {
			sched_enqueue(t, false);
			break;
		}
		gq_put_list(t, t, 1);
		wake_idle(-1);
		break;
	case SW_EXIT: {
		/* Freeing may call newlib (realloc, _reclaim_reent): with the
		   CPU's own state, not that of the task now running here. */
		struct cpu *c = this_cpu();
		struct _reent *r = c->reent;
		task_reent_switch(NULL);
		a_store_relaxed(&t->ws, WS(WS_SEQ(ws), T_DEAD));
		stack_release(t);
		task_free(t);
		a_fetch_sub_relaxed(&rt_alive, 1);
		c->reent = r;
		break;
	}
	default:
		panic("sched_finish: task %llu switched out for no reason (%d)",
		      (unsigned long long)t->id, why);
	}
}

static inline __attribute__((always_inline)) void finish(struct sched *s)
{
	struct task *t = s->prev;
	if (!t)
		return;
	s->prev = NULL;
	int why = s->why;
	uint64_t ws = t->ws;
	if (why == SW_PARK) {
		a_store_release(&t->ws, WS(WS_SEQ(ws), T_WAITING));
		void (*unlock)(void *) = s->park_unlock;
		if (unlock == park_unlock_spin)
			spin_unlock_raw(s->park_arg);
		else if (unlock)
			unlock(s->park_arg);
	} else if (why == SW_YIELD && (t->pin < 0 || (unsigned)t->pin == cpu_id())) {
		a_store_relaxed(&t->ws, WS(WS_SEQ(ws), T_RUNNABLE));
		/* To the back of the queue, so others get their turn. */
		runq_put(s, t);
		wake_idle_any();
	} else {
		finish_slow(s, t, why);
	}
}

void sched_finish(struct sched *s)
{
	finish(s);
}

void sched_loop(void)
{
	irq_disable();
	struct sched *s = this_sched();
	a_store_release(&s->start_tsc, rdtsc());
	task_reent_init_cpu();
	for (;;) {
		/* A window for pending interrupts: a loop that keeps finding
		   work must still take its timer and IPIs. */
		irq_enable();
		irq_disable();
		smp_poll_calls();
		timer_run(s);
		stack_refill_reserve(s);
		if (a_load_relaxed(&prof_period_tsc) && !s->prof_tick) {
			/* A profile runs (profile.c): sample while not halted. */
			uint64_t left = s->prof_left;
			if (!left || left > a_load_relaxed(&prof_period_tsc))
				left = a_load_relaxed(&prof_period_tsc);
			s->prof_tick = rdtsc() + left;
			s->prof_left = 0;
			timer_rearm(s);
		}
		struct task *t = find_runnable(s);
		if (!t) {
			idle(s);
			continue;
		}
		run(s, t);
		finish(s);
	}
}

/* The next task for a direct switch from a task on this CPU, or NULL:
   then the switch goes to the loop, which is the one to poll, run
   cross-CPU calls, refill the page reserve, look at the global queue
   (every GQ_TICK picks), steal and idle. Only the local queues are
   looked at here. */
static struct task *next_direct(struct sched *s, struct cpu *c)
{
	if (poll_due() || c->call_fn || s->npage_reserve < STACK_PAGE_RESERVE ||
	    s->gq_tick <= 1)
		return NULL;
	struct task *t;
	if (a_load_relaxed(&s->runnext) &&
	    (t = a_swap(&s->runnext, NULL)))
		goto got;
	if (!(t = runq_get(s)))
		return NULL;
got:
	s->gq_tick--;
	return t;
}

/* Called by the running task, interrupts off: switch to the next local
   task, or to the loop. Returns when the task runs again (maybe on
   another CPU), after finishing the hand-off of the task it took the CPU
   from. A park whose unlock does more than release a lock
   (net_park_unlock delivers loopback packets: lwIP's code and stack
   depth) and an exit that has newlib state to reclaim go through the
   loop: their hand-off runs on the loop's stack, not on a task's. */
void sched_switch_out(int why)
{
	struct sched *s = this_sched();
	struct cpu *c = this_cpu();
	struct task *t = s->cur;
	if (SCHED_DEBUG && !t)
		panic("sched_switch_out: not on a task");
	if (SCHED_DEBUG && irq_enabled())
		panic("sched_switch_out: interrupts on");
	s->why = why;
	s->prev = t;
	bool direct = why == SW_PARK ? !s->park_unlock || s->park_unlock == park_unlock_spin
				     : why != SW_EXIT || !t->reent;
	struct task *n = direct ? next_direct(s, c) : NULL;
	if (n) {
		enter(s, c, n);
		ctx_switch(&t->rsp, n->rsp);
	} else {
		ctx_switch(&t->rsp, s->sched_rsp);
	}
	finish(this_sched());
}

/* ---- park/ready ---- */

/* Only the task itself reads its state until it registers a waiter, and
   registration happens under a lock whose release publishes this. */
uint64_t task_park_prepare(void)
{
	return park_prepare_inline(cur_task());
}

void task_park(const char *reason, void (*unlock)(void *), void *arg)
{
	struct task *t = cur_task();
	struct sched *s = this_sched();
	t->reason = reason;
	s->park_unlock = unlock;
	s->park_arg = arg;
	a_store_release(&t->ws, WS(WS_SEQ(t->ws), T_PARKING));
	sched_switch_out(SW_PARK);
	t->reason = NULL;
	irq_enable();
}

bool task_claim(task_t *t, uint64_t seq)
{
	for (;;) {
		uint64_t want = WS(seq, T_WAITING);
		if (a_cas(&t->ws, &want, WS(seq, T_CLAIMED)))
			return true;
		if (want != WS(seq, T_PARKING))
			return false;
		cpu_relax();
	}
}

void sched_wake(struct task *t)
{
	struct cpu *c = this_cpu();
	/* Published by the enqueue's own release. */
	a_store_relaxed(&t->ws, WS(WS_SEQ(t->ws), T_RUNNABLE));
	/* From a task: run-next, so the woken task follows the waker here.
	   From an interrupt or the loop: the back of the ring. */
	bool from_task = c->task && c->irq_depth == 0;
	enqueue(c->sched, c->id, t, from_task);
}

void task_wake(task_t *t)
{
	bool f = irq_save();
	sched_wake(t);
	irq_restore(f);
}

void park_unlock_spin(void *lock)
{
	spin_unlock_raw(lock);
}

/* ---- yield, preemption ---- */

void task_yield(void)
{
	bool f = irq_save();
	sched_switch_out(SW_YIELD);
	irq_restore(f);
}

/* From trap_dispatch on the way out of an interrupt that arrived while a
   task ran with interrupts on (the kernel's irq_return hook). */
void sched_preempt_check(struct trapframe *tf)
{
	struct sched *s = this_sched();
	if (!s || !s->cur || !s->need_resched || !(tf->rflags & RFLAGS_IF))
		return;
	uint8_t area[FPU_STATE_SIZE + 16];
	void *fpu = (void *)(((uintptr_t)area + 15) & ~(uintptr_t)15);
	fpu_save(fpu);
	s->st.preempts++;
	sched_switch_out(SW_PREEMPT);
	fpu_restore(fpu);
}

/* The LAPIC timer interrupt (the kernel's timer hook). */
void sched_timer_tick(struct trapframe *tf)
{
	struct sched *s = this_sched();
	if (!s)
		return;
	s->armed = 0;			/* it fired: the LAPIC holds nothing */
	uint64_t now = rdtsc();
	if (s->prof_tick && (int64_t)(now - s->prof_tick) >= 0) {
		uint64_t p = a_load_relaxed(&prof_period_tsc);
		if (p)
			prof_sample(tf, s);
		s->prof_tick = p ? now + p : 0;
	}
	timer_run(s);
	if (!s->cur) {
		/* The loop was interrupted (halted, or between tasks): it
		   re-arms on its way, in run() or idle(), for whatever is
		   then earliest. Re-arming here would cost an MSR write
		   (an exit under KVM) that the loop's would replace. */
		s->slice_tick = 0;
		return;
	}
	if (s->slice_tick && (int64_t)(now - s->slice_tick) >= 0) {
		if (s->st.switches == s->switches_at_tick)
			s->need_resched = true;
		s->switches_at_tick = s->st.switches;
		s->slice_tick = now + ns_to_tsc(TASK_SLICE_NS);
	}
	timer_rearm(s);
}

/* ---- start-up ---- */

void sched_init_cpu(struct cpu *c)
{
	struct sched *s = calloc(1, sizeof *s);
	if (!s)
		panic("sched_init_cpu: out of memory");
	s->tlock = (struct spinlock)SPINLOCK_INIT;
	s->rng = 0x12345u + c->id * 7919u;
	c->sched = s;
}

uint64_t rt_tasks_alive(void)
{
	return a_load_relaxed(&rt_alive);
}
