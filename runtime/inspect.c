/*
 * runtime/inspect.c — reading every task and its stack while the other
 * CPUs keep running them (rt_tasks_each, runtime/debug.h; /debug/tasks).
 *
 * THE PROBLEM. A task's stack belongs to the CPU running it (sched.c,
 * TASK STATES): a task running on another CPU has its registers there,
 * so its saved context is stale and its stack changes under a reader; a
 * task that is switched out can be picked by any CPU at any moment, and
 * one that exits has the pages below its stack's top unmapped and freed,
 * so a reader following its frame chain would fault. Go stops the world
 * for its goroutine dump; Weft reads one task at a time instead and
 * keeps only that task from starting to run while it does.
 *
 * THE PROTOCOL. Each descriptor has an `inspect` count (sched.h), which
 * task_alloc keeps across reuse. The reader, with interrupts off (so it
 * cannot be preempted while others wait on it):
 *   1. a_fetch_add(&t->inspect, 1)       (sequentially consistent)
 *   2. ws = a_load(&t->ws)               (sequentially consistent)
 *   3. if ws says runnable, waiting or claimed: the context saved at
 *      t->rsp is complete and the task cannot run until step 4, so its
 *      stack [stack_low, stack_hi) is mapped and still; read the frames
 *      there (runtime/frames.c, never outside that range). Running, or
 *      parking (switching out: its context is half saved): no frames,
 *      "running on cpu N". Dead: skipped.
 *   4. a_fetch_add(&t->inspect, -1)      (after every read of the task)
 * The scheduler, in run(), stores T_RUNNING (sequentially consistent)
 * and then waits while t->inspect is non-zero. That is a Dekker pair
 * (as IDLE AND WAKE-UP in sched.c): the reader's load of ws and run()'s
 * load of inspect cannot both miss the other's store, so either the
 * reader sees "running" and reads no frames, or run() sees the count and
 * waits until the reader is done (a few microseconds: at most
 * RT_TRACE_MAX frames, interrupts off on both sides, no lock taken, so
 * nothing can deadlock). A task can only exit, or change its stack, by
 * running, so while step 3 reads it, its stack stays mapped and its
 * fields stay its own. Wakers are not held up: claiming and enqueueing
 * a task touch ws and the run queues, never the stack.
 *   Where the descriptor comes from: runtime/stack.c's owners[] and big[]
 * (stack_next_owner), which list every live task. Between that read and
 * step 1 the task may exit and its descriptor be reused (descriptors are
 * never freed back to the heap, so the memory is always a task's);
 * whatever ws then says is what gets reported. A task spawned after its
 * slot was passed is missed, one reused into a later slot may be read
 * twice: the list is not one instant, each entry is consistent in
 * itself. A new task is visible in owners[] before task_spawn stores its
 * rsp; the range check below rejects a 0 or stale rsp.
 *   The calling task reads its own stack from its frame pointer.
 *
 * COST. run() pays one locked store (xchg) for T_RUNNING instead of a
 * plain one and a load of inspect; nothing else on a hot path changes.
 *
 * REJECTED: stopping every other CPU (cpu_call_all) for the whole dump
 * (a dump of 10,000 tasks would stall every CPU for milliseconds, and a
 * CPU waiting for the walker's TLB-shootdown acknowledgement with
 * interrupts off would deadlock against it); claiming a waiting task's
 * ws (T_WAITING -> something else) to freeze it (its real waker's claim
 * would fail, a lost wake-up, unless every claim learned to wait).
 */
#include <string.h>
#include "kernel/time.h"
#include "runtime/debug.h"
#include "runtime/sched.h"

static const char *state_name(unsigned st)
{
	switch (st) {
	case T_RUNNABLE: return "runnable";
	case T_RUNNING: return "running";
	case T_PARKING: return "parking";
	case T_WAITING: return "waiting";
	case T_CLAIMED: return "claimed";
	default: return "dead";
	}
}

/* Steps 1-4 for t (not the caller). False: t is dead, skip it. */
static bool read_task(struct task *t, struct rt_task_info *o, uint64_t now)
{
	bool f = irq_save();
	a_fetch_add(&t->inspect, 1);
	unsigned st = WS_STATE(a_load(&t->ws));
	bool live = st >= T_RUNNABLE && st < T_DEAD;
	if (live) {
		o->id = t->id;
		memcpy(o->name, t->name, sizeof o->name);
		o->name[sizeof o->name - 1] = 0;
		o->state = state_name(st);
		o->reason = st == T_WAITING || st == T_CLAIMED || st == T_PARKING ?
				    t->reason : NULL;
		o->cpu = t->cpu;
		o->pin = t->pin;
		o->age_ns = now > t->born ? now - t->born : 0;
		o->npc = 0;
		o->self = 0;
		if (st == T_RUNNABLE || st == T_WAITING || st == T_CLAIMED) {
			uint64_t rsp = t->rsp, hi = t->stack_hi;
			uint64_t lo = a_load_relaxed(&t->stack_low);
			/* ctx_switch's frame: r15 r14 r13 r12 rbx rbp ret. */
			if (hi && rsp >= lo && rsp + 56 <= hi && !(rsp & 7)) {
				const uint64_t *ctx = (const uint64_t *)rsp;
				o->npc = rt_frames(ctx[6], ctx[5], rsp, hi, o->pc,
						   RT_TRACE_MAX);
			}
		}
	}
	a_fetch_add(&t->inspect, (uint32_t)-1);
	irq_restore(f);
	return live;
}

static __attribute__((noinline)) void read_self(struct task *t, struct rt_task_info *o, uint64_t now)
{
	o->id = t->id;
	memcpy(o->name, t->name, sizeof o->name);
	o->name[sizeof o->name - 1] = 0;
	o->state = "running";
	o->reason = NULL;
	o->cpu = (int)task_cpu();
	o->pin = t->pin;
	o->age_ns = now > t->born ? now - t->born : 0;
	o->self = 1;
	uint64_t rbp = (uint64_t)__builtin_frame_address(0);
	o->npc = rt_frames((uint64_t)(uintptr_t)read_self, rbp, rbp,
			   t->stack_hi, o->pc, RT_TRACE_MAX);
}

size_t rt_tasks_each(void (*fn)(void *arg, const struct rt_task_info *t), void *arg)
{
	struct task *me = cur_task();
	struct rt_task_info o;
	uint64_t cursor = 0;
	size_t n = 0;
	struct task *t;

	while ((t = stack_next_owner(&cursor))) {
		uint64_t now = time_ns();
		if (t == me)
			read_self(t, &o, now);
		else if (!read_task(t, &o, now))
			continue;
		fn(arg, &o);
		n++;
	}
	return n;
}
