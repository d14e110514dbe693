/*
 * runtime/debug.h — introspection for apps, after Go's runtime/pprof:
 * every task with its state and stack (Go's goroutine dump), and a
 * sampling CPU profile driven by the per-CPU timer.
 *
 *	rt_tasks_each(fn, arg);       fn(arg, &info) once per live task
 *	rt_profile_start();           sample every CPU at RT_PROF_HZ
 *	rt_profile_drain(fn, arg);    hand over the samples taken so far
 *	rt_profile_stop(fn, arg, &st); end it: the last samples, counts
 *	rt_symbol(pc, &off);          the kernel function holding pc
 *
 * How tasks are read while other CPUs run them is in runtime/inspect.c;
 * how samples travel from the interrupt to the caller, in
 * runtime/profile.c. apps/httpd serves both under /debug/ (debug=on).
 */
#ifndef RUNTIME_DEBUG_H
#define RUNTIME_DEBUG_H

#include <stddef.h>
#include <stdint.h>

/* Frames kept per stack (a task's backtrace, a profile sample). */
#define RT_TRACE_MAX 32

struct rt_task_info {
	uint64_t id;
	char name[16];
	/* "running", "runnable", "waiting", "parking" (switching out now),
	   "claimed" (being woken) */
	const char *state;
	const char *reason;		/* why it waits ("accept", "sleep"), or NULL */
	int cpu;			/* running there; else the CPU it last ran on (-1: none yet) */
	int pin;			/* the CPU it is pinned to, -1 any */
	uint64_t age_ns;		/* since it was spawned */
	/* Its stack: pc[0] where it is, then return addresses, outermost
	   last. npc == 0 when it was not read: `running` on another CPU
	   (its registers are that CPU's), switching out, or not started. */
	unsigned npc;
	uint64_t pc[RT_TRACE_MAX];
	int self;			/* 1: the calling task (read from here) */
};

/* Call fn(arg, info) for every live task, the caller included, with
   interrupts on (fn may block). Each task is read on its own, consistent
   in itself; the list is not one instant (a task spawned or exited
   meanwhile may be missed or, rarely, read twice). One caller at a time
   (the others wait). Returns the number of tasks given to fn. Tasks
   only. */
size_t rt_tasks_each(void (*fn)(void *arg, const struct rt_task_info *t), void *arg);

/* The profile's fixed rate per CPU, as Go's default. */
#define RT_PROF_HZ 100

struct rt_profile_stats {
	uint64_t samples;		/* taken and handed over */
	uint64_t dropped;		/* lost to a full buffer (drain too slow) */
	uint64_t duration_ns;		/* from start to stop */
};

/* Start sampling: every CPU not halted takes a sample (the interrupted
   pc and its frame-pointer stack) RT_PROF_HZ times a second of its
   busy time. -EBUSY when a profile runs already (one at a time), -ENOMEM.
   The caller owns the profile until rt_profile_stop. */
int rt_profile_start(void);
/* Give each sample taken since the last drain to fn (pc[0] the
   interrupted pc, then return addresses; cpu: where it was taken). Only
   the owner calls it, often enough that the per-CPU buffers (256
   samples, 2.5 s at RT_PROF_HZ) do not fill: every 100 ms is plenty.
   Returns the samples given. */
size_t rt_profile_drain(void (*fn)(void *arg, const uint64_t *pc, unsigned n,
				   unsigned cpu), void *arg);
/* Stop sampling, wait until no CPU adds a sample any more, give what is
   left to fn (as rt_profile_drain; NULL: dropped), fill *out (NULL: not
   wanted), and free the profile for the next rt_profile_start. The
   owner always calls it, once. */
void rt_profile_stop(void (*fn)(void *arg, const uint64_t *pc, unsigned n,
				unsigned cpu), void *arg, struct rt_profile_stats *out);

/* The name of the kernel function holding pc and pc's offset in it, from
   the kernel's own symbol table (.ksyms, as panics print); NULL outside
   kernel text. For a return address, look up pc - 1 (the call). */
const char *rt_symbol(uint64_t pc, uint64_t *off);

#endif
