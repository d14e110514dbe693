/*
 * runtime/rt.c — starting the runtime on every CPU (runtime/rt.h has the
 * order), the table of its hooks into the kernel, and its statistics.
 */
#include <stdio.h>
#include "kernel/libc.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
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
};

void rt_cpu_stats(unsigned cpu, struct rt_cpu_stats *out)
{
	struct sched *s = cpus[cpu].sched;
	*out = s ? s->st : (struct rt_cpu_stats){ 0 };
}

void rt_heap_stats(struct rt_heap_stats *out)
{
	libc_heap_stats(&out->in_use, &out->arena);
}

uint64_t rt_malloc_count(void)
{
	return kernel_alloc_count();
}

unsigned rt_ncpus(void)
{
	return ncpus;
}
