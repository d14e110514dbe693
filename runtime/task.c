/*
 * runtime/task.c — task descriptors: spawn, exit, identity, newlib state.
 *
 * Descriptors come from a per-CPU free list, refilled from the heap in
 * batches, so a spawn on a warm CPU takes no lock but the stack cache's.
 * A task's newlib state (struct _reent: errno, stdio buffers, strtok...)
 * is allocated the first time the task calls into newlib in a way that
 * needs it, so idle tasks and tasks that never touch newlib pay nothing.
 */
#include <errno.h>
#include <reent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/panic.h"
#include "kernel/time.h"
#include "kernel/version.h"
#include "kernel/wallclock.h"
#include "kernel/arch/ctx.h"
#include "runtime/sched.h"

#define TASK_BATCH 64

static uint64_t next_id = 1;		/* atomic */

struct task *task_alloc(void)
{
	struct sched *s = this_sched();
	if (!s->free_tasks) {
		struct task *batch = calloc(TASK_BATCH, sizeof *batch);
		if (!batch)
			return NULL;
		for (int i = 0; i < TASK_BATCH; i++) {
			batch[i].next = s->free_tasks;
			s->free_tasks = &batch[i];
		}
		s->nfree_tasks += TASK_BATCH;
	}
	struct task *t = s->free_tasks;
	s->free_tasks = t->next;
	s->nfree_tasks--;
	uint64_t seq = WS_SEQ(t->ws);	/* tickets keep growing across reuse */
	memset(t, 0, offsetof(struct task, inspect));	/* inspect: inspect.c's */
	t->ws = WS(seq + 1, T_RUNNABLE);
	return t;
}

/* Runs in the loop (interrupts off) on the CPU that saw the task exit. */
void task_free(struct task *t)
{
	struct sched *s = this_sched();
	if (t->reent) {
		_reclaim_reent(t->reent);
		free(t->reent);
		t->reent = NULL;
	}
	/* Descriptors stay in this CPU's cache: their memory is bounded by
	   the peak number of live tasks. */
	t->next = s->free_tasks;
	s->free_tasks = t;
	s->nfree_tasks++;
}

static void task_main(void *arg)
{
	struct task *t = arg;
	/* Whatever ran here last (the loop, or a task that switched
	   straight to this one) has its hand-off pending. */
	sched_finish(this_sched());
	irq_enable();
	t->fn(t->arg);
	task_exit();
}

task_t *task_spawn(const struct task_attr *attr, void (*fn)(void *), void *arg)
{
	size_t size = attr && attr->stack_size ? attr->stack_size : TASK_STACK_DEFAULT;
	int pin = attr ? attr->cpu : -1;
	if (size > TASK_STACK_MAX || (pin >= 0 && ((unsigned)pin >= ncpus || !cpus[pin].online)))
		return NULL;
	bool f = irq_save();
	struct task *t = task_alloc();
	if (!t) {
		irq_restore(f);
		return NULL;
	}
	if (stack_alloc(t, size) < 0) {
		task_free(t);
		irq_restore(f);
		return NULL;
	}
	t->id = a_fetch_add_relaxed(&next_id, 1);
	t->fn = fn;
	t->arg = arg;
	t->pin = (int16_t)pin;
	t->cpu = -1;
	t->born = time_ns();
	/* The name, at most 15 characters (the descriptor came zeroed, so the
	   terminator is there); strncpy would pad 15 bytes, one at a time. */
	if (!attr || !attr->name)
		__builtin_memcpy(t->name, "task", 5);
	else
		for (size_t i = 0; i < sizeof t->name - 1 && attr->name[i]; i++)
			t->name[i] = attr->name[i];
	t->rsp = ctx_init(t->stack_hi, task_main, t);
	a_fetch_add_relaxed(&rt_alive, 1);
	this_sched()->st.spawned++;
	sched_enqueue(t, false);
	irq_restore(f);
	return t;
}

void task_exit(void)
{
	irq_disable();
	sched_switch_out(SW_EXIT);
	panic("task_exit: a dead task ran again");
}

task_t *task_self(void) { return cur_task(); }
uint64_t task_id(const task_t *t) { return t->id; }
const char *task_name(const task_t *t) { return t->name; }
unsigned task_cpu(void) { return cpu_id(); }
uint64_t rt_unix_ns(void) { return wallclock_unix_ns(); }
uint64_t rt_unix_boot_ns(void) { return wallclock_boot_unix_ns(); }
const char *rt_wallclock_source(void) { return wallclock_source(); }
const char *rt_version(void) { return weft_version; }

/* newlib state. The CPU's own reent serves the loop and interrupts. */
static struct _reent *cpu_reent[MAX_CPUS];

void task_reent_init_cpu(void)
{
	struct cpu *c = this_cpu();
	if (!cpu_reent[c->id])
		cpu_reent[c->id] = c->reent;
}

void task_reent_switch(struct task *t)
{
	struct cpu *c = this_cpu();
	c->reent = t ? t->reent : cpu_reent[c->id];
}

/* __getreent found no reent for the running task: make one. Allocating
   calls newlib, which asks __getreent again, so the CPU's own reent
   stands in while we do. With the heap used up (a flood of large
   requests; runtime/stack.c, THE HEAP'S FLOOR) the CPU's reent goes on
   standing in, and the next call tries again: the task shares errno and
   stdio state with the others on this CPU that had to do the same, which
   is safe (newlib's locks keep interrupts off, so no one is preempted
   holding a stream) where a panic would end every connection. */
struct _reent *task_reent_alloc(void)
{
	struct cpu *c = this_cpu();
	struct task *t = c->task;
	c->reent = cpu_reent[c->id];
	if (!t)
		return c->reent;
	struct _reent *r = calloc(1, sizeof *r);
	if (!r)
		return c->reent;
	_REENT_INIT_PTR(r);
	t->reent = r;
	c->reent = r;
	return r;
}

void task_describe(char *buf, size_t n)
{
	struct task *t = cur_task();
	if (t)
		snprintf(buf, n, "task %llu \"%s\"", (unsigned long long)t->id, t->name);
	else
		snprintf(buf, n, "no task (scheduler)");
}
