/* runtime/stats.h — the runtime's counters, for /metrics and benchmarks:
   per CPU (the scheduler keeps exactly this struct), and the heap. */
#ifndef RUNTIME_STATS_H
#define RUNTIME_STATS_H

#include <stdint.h>

/* One CPU's scheduler counters. The scheduler (runtime/sched.h) counts
   into this struct itself, on its own CPU with interrupts off. */
struct rt_cpu_stats {
	uint64_t tasks_run;		/* tasks switched to */
	uint64_t switches;		/* context switches into tasks */
	uint64_t steals;		/* tasks taken from other CPUs */
	uint64_t preempts;		/* time slices ended by the timer */
	uint64_t idle_ns;		/* time halted */
	uint64_t halts;			/* times halted */
	uint64_t idle_spins;		/* went idle, found work on the second look */
	uint64_t spawned;		/* tasks spawned here */
	uint64_t wakeups_sent;		/* IPIs sent to wake idle CPUs */
	/* Filled by rt_cpu_stats, not counted: time since the CPU's
	   scheduler loop began that it was not halted (running tasks, the
	   poller, the loop itself). idle_ns + busy_ns is that time. */
	uint64_t busy_ns;
};

/* Counters of one CPU (read without locking: each is exact on its own,
   the set is not a snapshot), idle_ns including a halt under way. */
void rt_cpu_stats(unsigned cpu, struct rt_cpu_stats *out);
unsigned rt_ncpus(void);

struct rt_heap_stats {
	uint64_t in_use;		/* bytes allocated and not freed */
	uint64_t arena;			/* bytes obtained from the system */
	uint64_t floor_hits;		/* growths refused: the free pages were
					   down to what stacks are promised
					   (rt_stack_reserve), so malloc failed */
};
/* The heap's use now. Any task; allocates nothing. */
void rt_heap_stats(struct rt_heap_stats *out);
/* Also in runtime.h: rt_tasks_alive(), rt_stack_pages(), rt_malloc_count(). */

#endif
