/*
 * runtime/rt.c — starting the runtime on every CPU (runtime/rt.h has the
 * order), the table of its hooks into the kernel, and its statistics.
 */
#include <stdio.h>
#include "kernel/libc.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/vm.h"
#include "runtime/rt.h"
#include "runtime/sched.h"
#include "runtime/app.h"
#include "runtime/stats.h"

static void (*main_body)(void);

static void main_task(void *arg)
{
	(void)arg;
	main_body();
}

void rt_start(void (*body)(void))
{
	main_body = body;
	struct task_attr a = { "main", 0, -1 };
	if (!task_spawn(&a, main_task, NULL))
		panic("rt_start: cannot spawn the main task");
	sched_loop();
}

static void rt_ap_main(void)
{
	struct cpu *c = this_cpu();
	sched_init_cpu(c);
	stack_init_cpu(c->sched);
	sched_loop();
}

void rt_init(void)
{
	sched_init_cpu(&cpus[0]);
	stack_init_cpu(cpus[0].sched);
}

const struct kernel_hooks rt_kernel_hooks = {
	.page_fault = stack_fault,
	.timer = sched_timer_tick,
	.irq_return = sched_preempt_check,
	.reent_alloc = task_reent_alloc,
	.describe = task_describe,
	.ap_main = rt_ap_main,
	.heap_floor = stack_heap_floor,
};

/* The counters, with the halt under way counted as idle (read as a
   seqlock: idle_seq unchanged across the copy, odd while halted), and
   busy as the rest of the time since the loop began. */
void rt_cpu_stats(unsigned cpu, struct rt_cpu_stats *out)
{
	struct sched *s = cpus[cpu].sched;
	uint64_t seq, t0, start, now, up;

	if (!s) {
		*out = (struct rt_cpu_stats){ 0 };
		return;
	}
	do {
		seq = a_load_acquire(&s->idle_seq);
		*out = s->st;
		t0 = s->halt_tsc;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (a_load_relaxed(&s->idle_seq) != seq);
	start = a_load_acquire(&s->start_tsc);
	now = rdtsc();
	if ((seq & 1) && now > t0)
		out->idle_ns += tsc_to_ns(now - t0);
	up = start && now > start ? tsc_to_ns(now - start) : 0;
	out->busy_ns = up > out->idle_ns ? up - out->idle_ns : 0;
}

void rt_heap_stats(struct rt_heap_stats *out)
{
	libc_heap_stats(&out->in_use, &out->arena);
	out->floor_hits = vm_heap_floor_hits();
}

uint64_t rt_malloc_count(void)
{
	return kernel_alloc_count();
}

unsigned rt_ncpus(void)
{
	return ncpus;
}
