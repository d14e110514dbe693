/*
 * runtime/sched.h — the runtime's internal structures (not for apps).
 */
#ifndef RUNTIME_SCHED_H
#define RUNTIME_SCHED_H

#include <stdint.h>
#include <stdbool.h>
#include "kernel/cpu.h"
#include "kernel/spinlock.h"
#include "runtime/runtime.h"
#include "runtime/park.h"
#include "runtime/stats.h"

/* Task states, the low byte of task.ws; the high bits hold the park
   ticket. Who owns the task (and may touch its stack) in each:
     T_RUNNABLE  a run queue (local, run-next or global) or a CPU taking it
     T_RUNNING   the CPU running it; only the task itself changes its state
     T_PARKING   the CPU switching it out; wakers that see it spin
     T_WAITING   nobody: it sits in wait structures; one claim takes it
     T_CLAIMED   the waker that claimed it, until task_wake
     T_DEAD      the CPU that switched it out last, which frees it */
enum { T_RUNNABLE = 1, T_RUNNING, T_PARKING, T_WAITING, T_CLAIMED, T_DEAD };

#define WS(seq, st) (((uint64_t)(seq) << 8) | (st))
#define WS_STATE(ws) ((unsigned)((ws) & 0xff))
#define WS_SEQ(ws) ((ws) >> 8)

struct timer;

struct task {
	uint64_t rsp;			/* saved context while not running */
	uint64_t ws;			/* (ticket << 8) | state, atomic */
	struct task *next;		/* global queue / free list link */
	uint64_t id;
	void (*fn)(void *);
	void *arg;
	struct _reent *reent;		/* newlib state, allocated on first use */
	uint64_t stack_lo, stack_hi;	/* the stack's reservation */
	uint64_t stack_low;		/* atomic: lowest page mapped so far */
	uint32_t slot;			/* stack slot (runtime/stack.c) */
	int16_t pin;			/* CPU it must run on, -1 any */
	uint8_t timed_out;		/* set by a park timer that won */
	const char *reason;		/* why it is parked */
	char name[16];
	uint64_t born;			/* time_ns() at spawn */
	int16_t cpu;			/* the CPU running it, or that ran it last */
	/* Kept across reuse (task_alloc clears only what is above it): set
	   while runtime/inspect.c reads the task; run() waits for it to
	   clear before the task runs (the protocol is in inspect.c). */
	uint32_t inspect;		/* atomic */
};

#define RUNQ_SIZE 256
#define STACK_PAGE_RESERVE 8

/* Per-CPU scheduler state. Fields without a note are touched only by the
   owning CPU with interrupts off. */
struct sched {
	uint64_t sched_rsp;		/* the scheduler loop's saved context */
	struct task *cur;		/* running task, NULL in the loop */
	struct task *runnext;		/* atomic: stealers take it too */
	uint32_t head;			/* atomic: owner and stealers CAS */
	uint32_t tail;			/* written by the owner only (release) */
	struct task *runq[RUNQ_SIZE];
	int32_t gq_tick;		/* picks until the global queue's turn */
	/* Hand-off from a task switching out to whatever runs next. */
	struct task *prev;		/* the task that switched out, or NULL */
	int why;			/* SW_* */
	void (*park_unlock)(void *);
	void *park_arg;
	uint64_t slice_tick;		/* TSC of the next slice check, 0 none */
	uint64_t switches_at_tick;	/* st.switches at the last check */
	bool need_resched;
	uint64_t prof_tick;		/* TSC of the next profile sample, 0 none (profile.c) */
	uint64_t prof_left;		/* TSC ticks of the period left at the last halt */
	/* Timers: a binary min-heap ordered by deadline, under tlock. */
	struct spinlock tlock;
	struct timer **theap;
	uint32_t tn, tcap;
	uint64_t tfirst;		/* atomic: theap[0]->when, 0 empty; written under tlock */
	uint64_t armed;			/* TSC deadline the LAPIC holds, 0 none */
	/* Stacks: clean slots ready for reuse, and slots/pages waiting for a
	   TLB shootdown before they may be reused. */
	uint32_t *stack_cache;
	uint32_t nstack_cache;
	uint32_t *stack_pending;
	uint32_t nstack_pending;
	uint64_t *page_pending;
	uint32_t npage_pending;
	uint64_t page_reserve[STACK_PAGE_RESERVE];	/* pages for the page-fault path */
	uint32_t npage_reserve;
	struct task *free_tasks;	/* descriptor cache */
	uint32_t nfree_tasks;
	struct rt_cpu_stats st;		/* runtime/stats.h */
	/* Idle time as other CPUs read it (rt_cpu_stats): idle_seq (atomic,
	   written by the owner) is odd while halted since halt_tsc, and
	   st.idle_ns holds the halts before; start_tsc is when the loop
	   began (0: not yet). */
	uint64_t idle_seq, halt_tsc, start_tsc;
	uint32_t rng;
};

enum { SW_PARK = 1, SW_YIELD, SW_PREEMPT, SW_EXIT };

static inline struct sched *this_sched(void) { return (struct sched *)this_cpu()->sched; }
static inline struct sched *sched_of(unsigned cpu) { return (struct sched *)cpus[cpu].sched; }
static inline struct task *cur_task(void) { return (struct task *)this_cpu_task(); }

struct trapframe;

/* sched.c */
void sched_init_cpu(struct cpu *c);
/* The kernel's timer and interrupt-return hooks (kernel/hooks.h). */
void sched_timer_tick(struct trapframe *tf);
void sched_preempt_check(struct trapframe *tf);
void sched_switch_out(int why);
void sched_finish(struct sched *s);
void sched_enqueue(struct task *t, bool next);
_Noreturn void sched_loop(void);
extern uint64_t rt_alive;

/* Inline forms of park.h's calls for the runtime's own hot paths (the
   exported functions are these, wrapped). */
static inline uint64_t park_prepare_inline(struct task *t)
{
	uint64_t seq = WS_SEQ(t->ws) + 1;
	a_store_relaxed(&t->ws, WS(seq, T_RUNNING));
	return seq;
}

/* task_claim with its common case, a parked waiter, inline. */
static inline bool claim_inline(struct task *t, uint64_t seq)
{
	uint64_t want = WS(seq, T_WAITING);
	if (a_cas(&t->ws, &want, WS(seq, T_CLAIMED)))
		return true;
	return want == WS(seq, T_PARKING) && task_claim(t, seq);
}

static inline struct waiter *waitq_claim_inline(struct waitq *q)
{
	struct waiter *w;
	while ((w = q->head)) {
		q->head = w->next;
		if (w->next)
			w->next->prev = NULL;
		else
			q->tail = NULL;
		w->next = w->prev = NULL;
		w->queued = false;
		if (claim_inline(w->t, w->seq))
			return w;
		/* Its task was woken by someone else (a timeout, another
		   select case): it will not look at this entry again. */
	}
	return NULL;
}

/* task_wake with interrupts already off. */
void sched_wake(struct task *t);

/* task.c */
struct task *task_alloc(void);
void task_free(struct task *t);
void task_reent_switch(struct task *t);
void task_reent_init_cpu(void);
/* The running task's newlib state becomes t's (the CPU's own is saved by
   task_reent_init_cpu before the loop runs its first task). */
static inline void task_reent_enter(struct cpu *c, struct task *t) { c->reent = t->reent; }
/* The kernel's newlib and panic hooks (kernel/hooks.h). */
struct _reent *task_reent_alloc(void);
void task_describe(char *buf, size_t n);

/* stack.c */
/* The live tasks, one at a time: *cursor starts at 0; NULL after the
   last. What it returns may exit or be reused at any moment (descriptors
   stay task memory forever: task.c never frees them). */
struct task *stack_next_owner(uint64_t *cursor);
int stack_alloc(struct task *t, size_t size);
void stack_release(struct task *t);
void stack_refill_reserve(struct sched *s);
/* The kernel's heap_floor hook: free pages the heap must leave to stacks. */
uint64_t stack_heap_floor(void);
void stack_flush_pending(struct sched *s);
void stack_init_cpu(struct sched *s);
/* The kernel's page-fault hook (kernel/hooks.h): grow a task's stack,
   or panic on its guard page. False: not a stack address. */
bool stack_fault(struct trapframe *tf, uint64_t addr);
extern uint64_t rt_stack_pages_mapped;

/* frames.c: the frame-pointer chain from (pc, rbp) into out (pc first),
   at most max entries, reading only inside [lo, hi) (hi == 0: pages
   vm_readable says are mapped). Returns how many. */
unsigned rt_frames(uint64_t pc, uint64_t rbp, uint64_t lo, uint64_t hi,
		   uint64_t *out, unsigned max);

/* profile.c: the timer interrupt's sample, and its rate in TSC ticks
   (0 while no profile runs). */
extern uint64_t prof_period_tsc;	/* atomic */
void prof_sample(struct trapframe *tf, struct sched *s);

/* timer.c */
struct timer {
	uint64_t when;			/* TSC */
	struct task *t;
	uint64_t seq;
	int32_t idx;			/* heap position, -1 when not queued */
	struct sched *owner;
};
void timer_add(struct timer *tm, uint64_t when_tsc);
/* Remove tm if still queued; returns true when it was (had not fired). */
bool timer_cancel(struct timer *tm);
/* Fire every expired timer of this CPU; re-arm the LAPIC. */
void timer_run(struct sched *s);
void timer_rearm(struct sched *s);
uint64_t timer_next(struct sched *s);
void timer_check_none_in(uint64_t lo, uint64_t hi);

#endif
