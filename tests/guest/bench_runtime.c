/*
 * tests/guest/bench_runtime.c — the runtime's micro-benchmarks (test=bench,
 * run by bench/runtime.sh beside the same measures in Go). They print
 * "BENCH name value unit" lines and assert nothing about speed: these
 * machines are shared and noisy. The four that bench/runtime.sh also
 * counts in instructions print "BENCH ops.name N unit" too: how many
 * operations the whole test performed (warm-up included), what the
 * instruction count of a boot that runs it alone is divided by.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/cpu.h"
#include "tests/guest/ktest.h"
#include "kernel/page.h"
#include "kernel/vm.h"
#include "runtime/runtime.h"

#define BENCH(name, value, unit) \
	printf("BENCH %s %llu %s\n", name, (unsigned long long)(value), unit)
#define BENCH_OPS(name, n, unit) BENCH("ops." name, n, unit)

static void done_task(void *arg)
{
	wg_done(arg);
}

KTEST_F(bench, spawn_exit, KTEST_EXPLICIT)
{
	enum { N = 200000 };
	static struct waitgroup wg = WAITGROUP_INIT;
	for (int round = 0; round < 2; round++) {	/* the first warms the caches */
		wg_add(&wg, N);
		uint64_t t0 = time_ns();
		for (int i = 0; i < N; i++)
			if (!go(done_task, &wg))
				wg_done(&wg);
		wg_wait(&wg);
		if (round)
			BENCH("spawn_exit", (time_ns() - t0) / N, "ns/task");
	}
	BENCH_OPS("spawn_exit", 2 * N, "tasks");
}

struct pingpong {
	chan_t *a, *b;
	int rounds;
	struct waitgroup wg;
	struct mutex m;
	uint64_t counter;
};

static void yielder(void *arg)
{
	struct pingpong *p = arg;
	for (int i = 0; i < p->rounds; i++)
		task_yield();
	wg_done(&p->wg);
}

KTEST_F(bench, yield, KTEST_EXPLICIT)
{
	static struct pingpong p;
	p = (struct pingpong){ .rounds = 200000, .wg = WAITGROUP_INIT };
	wg_add(&p.wg, 2);
	struct task_attr a = { "yielder", 0, (int)task_cpu() };
	uint64_t t0 = time_ns();
	task_spawn(&a, yielder, &p);
	task_spawn(&a, yielder, &p);
	wg_wait(&p.wg);
	BENCH("yield", (time_ns() - t0) / (2 * (uint64_t)p.rounds), "ns/switch");
	BENCH_OPS("yield", 2 * (uint64_t)p.rounds, "switches");
}

static void ponger(void *arg)
{
	struct pingpong *p = arg;
	uint64_t v;
	while (chan_recv(p->a, &v) == 0)
		chan_send(p->b, &v);
	wg_done(&p->wg);
}

KTEST_F(bench, chan_pingpong, KTEST_EXPLICIT)
{
	static struct pingpong p;
	p = (struct pingpong){ .a = chan_new(8, 0), .b = chan_new(8, 0), .rounds = 200000, .wg = WAITGROUP_INIT, .m = MUTEX_INIT };
	wg_add(&p.wg, 1);
	go(ponger, &p);
	uint64_t v = 0, t0 = time_ns();
	for (int i = 0; i < p.rounds; i++) {
		chan_send(p.a, &v);
		chan_recv(p.b, &v);
	}
	uint64_t dt = time_ns() - t0;
	chan_close(p.a);
	wg_wait(&p.wg);
	BENCH("chan_pingpong", dt / p.rounds, "ns/roundtrip");
	BENCH_OPS("chan_pingpong", p.rounds, "roundtrips");
	chan_free(p.a);
	chan_free(p.b);
}

static void mutex_worker(void *arg)
{
	struct pingpong *p = arg;
	for (int i = 0; i < p->rounds; i++) {
		mutex_lock(&p->m);
		p->counter++;
		mutex_unlock(&p->m);
		task_yield();			/* let the other one take it */
	}
	wg_done(&p->wg);
}

KTEST_F(bench, mutex_handoff, KTEST_EXPLICIT)
{
	static struct pingpong p;
	p = (struct pingpong){ .rounds = 100000, .wg = WAITGROUP_INIT, .m = MUTEX_INIT };
	wg_add(&p.wg, 2);
	uint64_t t0 = time_ns();
	go(mutex_worker, &p);
	go(mutex_worker, &p);
	wg_wait(&p.wg);
	KT_EQ(p.counter, 2 * (uint64_t)p.rounds);
	BENCH("mutex_handoff", (time_ns() - t0) / (2 * (uint64_t)p.rounds), "ns/handoff");
	BENCH_OPS("mutex_handoff", 2 * (uint64_t)p.rounds, "handoffs");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

KTEST_F(bench, sleep_lateness, KTEST_EXPLICIT)
{
	enum { N = 50 };
	uint64_t late[N];
	for (int i = 0; i < N; i++) {
		uint64_t t0 = time_ns();
		task_sleep(ms(10));
		late[i] = time_ns() - t0 - ms(10);
	}
	qsort(late, N, sizeof late[0], cmp_u64);
	BENCH("sleep10ms_late_median", late[N / 2] / 1000, "us");
	BENCH("sleep10ms_late_worst", late[N - 1] / 1000, "us");
}

static void idle_task(void *arg)
{
	uint8_t b;
	chan_recv(arg, &b);
}

static uint64_t bytes_in_use(void)
{
	return (page_total_count() - page_free_count()) * PAGE_SIZE;
}

KTEST_F(bench, idle_task_bytes, KTEST_EXPLICIT)
{
	enum { N = 50000 };
	chan_t *gate = chan_new(1, 0);
	/* Warm up the descriptor and stack caches' own arrays. */
	task_sleep(ms(20));
	uint64_t before = bytes_in_use();
	for (int i = 0; i < N; i++)
		go(idle_task, gate);
	task_sleep(ms(200));			/* all have run and parked */
	uint64_t after = bytes_in_use();
	BENCH("idle_task", (after - before) / N, "bytes");
	chan_close(gate);
	task_sleep(ms(200));
	chan_free(gate);
}

KTEST_F(bench, million_spawn, KTEST_EXPLICIT)
{
	enum { N = 1000000 };
	chan_t *gate = chan_new(1, 0);
	static struct waitgroup wg = WAITGROUP_INIT;
	uint64_t t0 = time_ns();
	for (int i = 0; i < N; i++)
		if (!go(idle_task, gate)) {
			ktest_fail(__FILE__, __LINE__, "spawn %d failed", i);
			break;
		}
	uint64_t dt = time_ns() - t0;
	BENCH("million_spawn", dt / 1000000, "ms");
	chan_close(gate);
	(void)wg;
	while (rt_tasks_alive() > 1)
		task_sleep(ms(10));
	chan_free(gate);
}
