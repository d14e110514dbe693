/*
 * tests/fuzz/rxpath/host_runtime.c — the kernel and task runtime that
 * net/conn.c and net/http/listen.c stand on, on the host, for the
 * receive-path fuzzer (tests/fuzz/fuzz_rxpath.c).
 *
 * What it implements, against the public headers (runtime/park.h,
 * runtime/runtime.h, net/netlock.h, kernel/time.h, kernel/page.h,
 * kernel/panic.h), with the same contracts:
 *   - tasks: each a ucontext with an mmap'd stack (a guard page below
 *     it), run by host_run_tasks one at a time on the harness's thread,
 *     until each parks or returns. One CPU, no preemption: a task runs
 *     until it parks, as a task on one of Weft's CPUs does between its
 *     blocking calls.
 *   - park/ready: task_park_prepare hands out a ticket; task_claim wins
 *     it once (a stale ticket never wins); task_park switches to the
 *     scheduler, which then runs unlock(arg) — "once the task is fully
 *     parked", as runtime/park.h says. A task woken between its ticket
 *     and its park (a callback inside its own lwIP call) does not sleep.
 *     task_park_until's timer is the fake clock passing the deadline at
 *     the next host_run_tasks.
 *   - waitq_push/remove (park.h's own inline list operations) and
 *     waitq_claim over this file's task_claim.
 *   - the net lock: one flag (the harness has one thread), with the real
 *     lock's checks (taking it twice, releasing it unheld, lwIP entered
 *     without it: NET_LOCK_CHECKS is on in this build) and its loopback
 *     delivery on release (net/netlock.c's flush_loopback), and its
 *     counters (net_lock_stats_get): acquisitions and the time held on
 *     the fake clock; never contended or busy (one thread).
 *   - time_ns: a fake clock that moves only by host_clock_advance.
 *   - page_alloc_contig: zeroed, page-aligned heap memory (the _nozero
 *     form: filled with 0xa5); panic: a
 *     message and abort(), which libFuzzer reports as a crash.
 * ASan is told of every stack switch (__sanitizer_*_switch_fiber), so its
 * reports on task stacks are exact.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <sanitizer/common_interface_defs.h>

#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/time.h"
#include "lwip/netif.h"
#include "net/netlock.h"
#include "runtime/park.h"
#include "runtime/runtime.h"
#include "tests/fuzz/rxpath/host_runtime.h"

/* ---- panic, pages, time ---- */

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "panic: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static uint64_t pages_out;

uint64_t page_alloc_contig(uint64_t n)
{
	void *p = aligned_alloc(4096, n * 4096);
	if (!p)
		return 0;
	memset(p, 0, n * 4096);
	pages_out += n;
	return (uint64_t)(uintptr_t)p;
}

/* Left as they are in the kernel: here filled with a pattern, so that a
   pool that relied on zeroed memory would go wrong under the fuzzer. */
uint64_t page_alloc_contig_nozero(uint64_t n)
{
	void *p = aligned_alloc(4096, n * 4096);
	if (!p)
		return 0;
	memset(p, 0xa5, n * 4096);
	pages_out += n;
	return (uint64_t)(uintptr_t)p;
}

uint64_t host_pages_out(void)
{
	return pages_out;
}

uint64_t boot_tsc = 0x5eed5eedull;	/* sys_arch.c's seed */
static uint64_t clock_ns = 1000000000ull;

uint64_t time_ns(void)
{
	return clock_ns;
}

void host_clock_advance(uint64_t ns)
{
	clock_ns += ns;
}

uint64_t rt_unix_boot_ns(void)
{
	return 1764720000ull * 1000000000ull;	/* 2025-12-03: any fixed date */
}

uint64_t rt_malloc_count(void)
{
	return 0;			/* the library allocates nothing per request */
}

/* The stack promise (net/http/listen.c at a server's start): the host
   has no page allocator for stacks to share with the heap. */
void rt_stack_reserve(uint64_t pages)
{
	(void)pages;
}

/* Mutexes: tasks here are cooperative on one thread and the library
   holds a mutex only across code that does not park, so one is never
   found held; should that change, say so rather than model it wrongly. */
void mutex_lock(struct mutex *m)
{
	if (m->state)
		panic("host runtime: mutex %p already held (parking on a mutex is not modelled)",
			   (void *)m);
	m->state = 1;
}

void mutex_unlock(struct mutex *m)
{
	m->state = 0;
}

/* ---- the net lock ---- */

static bool net_held;
static struct net_lock_stats lock_stats;
static uint64_t held_since;

static void take(void)
{
	net_held = true;
	lock_stats.acquired++;
	held_since = time_ns();
}

bool net_lock_held(void)
{
	return net_held;
}

void net_lwip_assert_locked(void)
{
	if (!net_held)
		panic("lwIP entered without the net lock");
}

void net_lock(void)
{
	if (net_held)
		panic("net_lock: already held");
	take();
}

bool net_trylock(void)
{
	if (net_held)
		panic("net_trylock: already held");
	take();
	return true;
}

static void release(const char *who)
{
	if (!net_held)
		panic("%s: the net lock is not held", who);
	for (struct netif *n = netif_list; n; n = n->next)
		if (n->loop_first) {
			netif_poll_all();
			break;
		}
	lock_stats.hold_ns += time_ns() - held_since;
	net_held = false;
}

void net_unlock(void)
{
	release("net_unlock");
}

void net_park_unlock(void *unused)
{
	(void)unused;
	release("net_park_unlock");
}

struct net_lock_stats net_lock_stats_get(void)
{
	net_lock();
	struct net_lock_stats s = lock_stats;
	net_unlock();
	return s;
}

/* ---- tasks ---- */

struct task {
	ucontext_t ctx;
	void *map;			/* guard page + stack */
	size_t map_size;
	void (*fn)(void *);
	void *arg;
	uint64_t seq;			/* the current park's ticket */
	bool claimable;			/* that ticket not yet claimed */
	bool parked, runnable, done;
	bool wake_pending;		/* woken before it parked */
	uint64_t deadline;		/* task_park_until's, 0: none */
	bool timer_woke;
	void (*unlock)(void *);		/* run once switched out */
	void *unlock_arg;
	void *fake_stack;		/* ASan's, while switched out */
	struct task *run_next;
	struct task *all_next;
};

static ucontext_t sched_ctx;
static const void *sched_bottom;
static size_t sched_size;
static struct task *current;
static struct task *run_head, *run_tail;
static struct task *all_tasks;
static unsigned alive;

unsigned host_tasks_alive(void)
{
	return alive;
}

static void enqueue(struct task *t)
{
	t->runnable = true;
	t->run_next = NULL;
	if (run_tail)
		run_tail->run_next = t;
	else
		run_head = t;
	run_tail = t;
}

/* From a task to the scheduler; returns when the task runs again. */
static void to_scheduler(struct task *t)
{
	__sanitizer_start_switch_fiber(t->done ? NULL : &t->fake_stack, sched_bottom, sched_size);
	swapcontext(&t->ctx, &sched_ctx);
	__sanitizer_finish_switch_fiber(t->fake_stack, &sched_bottom, &sched_size);
}

static void trampoline(void)
{
	struct task *t = current;
	__sanitizer_finish_switch_fiber(NULL, &sched_bottom, &sched_size);
	t->fn(t->arg);
	t->done = true;
	to_scheduler(t);
	abort();			/* a finished task is never resumed */
}

task_t *task_spawn(const struct task_attr *attr, void (*fn)(void *), void *arg)
{
	/* ASan's redzones make frames larger: four times the reservation
	   the task asked for (listen.c: 128 KiB), as its pages are demand
	   paged in the kernel anyway. */
	size_t stack = (attr && attr->stack_size ? attr->stack_size : TASK_STACK_DEFAULT) * 4;
	struct task *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->map_size = stack + 4096;
	t->map = mmap(NULL, t->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->map == MAP_FAILED) {
		free(t);
		return NULL;
	}
	mprotect(t->map, 4096, PROT_NONE);
	t->fn = fn;
	t->arg = arg;
	getcontext(&t->ctx);
	t->ctx.uc_stack.ss_sp = (char *)t->map + 4096;
	t->ctx.uc_stack.ss_size = stack;
	t->ctx.uc_link = NULL;
	makecontext(&t->ctx, trampoline, 0);
	t->all_next = all_tasks;
	all_tasks = t;
	alive++;
	enqueue(t);
	return t;
}

_Noreturn void task_exit(void)
{
	current->done = true;
	to_scheduler(current);
	abort();
}

task_t *task_self(void)
{
	if (!current)
		panic("task_self: not in a task");
	return current;
}

unsigned task_cpu(void)
{
	return 0;
}

uint64_t task_park_prepare(void)
{
	struct task *t = task_self();
	t->wake_pending = false;
	t->claimable = true;
	return ++t->seq;
}

static bool park(struct task *t, void (*unlock)(void *), void *arg, uint64_t deadline)
{
	t->timer_woke = false;
	if (t->wake_pending) {		/* claimed and woken already */
		t->wake_pending = false;
		if (unlock)
			unlock(arg);
		return false;
	}
	if (!t->claimable)
		panic("task_park: no ticket (task_park_prepare first)");
	t->deadline = deadline;
	t->parked = true;
	t->unlock = unlock;
	t->unlock_arg = arg;
	to_scheduler(t);
	t->deadline = 0;
	return t->timer_woke;
}

void task_park(const char *reason, void (*unlock)(void *), void *arg)
{
	(void)reason;
	park(task_self(), unlock, arg, 0);
}

bool task_park_until(const char *reason, void (*unlock)(void *), void *arg, uint64_t deadline)
{
	(void)reason;
	return park(task_self(), unlock, arg, deadline);
}

bool task_claim(task_t *t, uint64_t seq)
{
	if (!t->claimable || t->seq != seq)
		return false;
	t->claimable = false;
	return true;
}

void task_wake(task_t *t)
{
	if (t->parked) {
		t->parked = false;
		enqueue(t);
	} else {
		t->wake_pending = true;
	}
}

void task_sleep(uint64_t ns)
{
	task_park_prepare();
	task_park_until("sleep", NULL, NULL, time_ns() + ns);
}

void host_run_tasks(void)
{
	if (current || net_held)
		panic("host_run_tasks: from a task, or with the net lock held");
	for (struct task *t = all_tasks; t; t = t->all_next)
		if (t->parked && t->deadline && t->deadline <= clock_ns && t->claimable) {
			t->claimable = false;
			t->timer_woke = true;
			t->parked = false;
			enqueue(t);
		}
	while (run_head) {
		struct task *t = run_head;
		run_head = t->run_next;
		if (!run_head)
			run_tail = NULL;
		t->runnable = false;
		current = t;
		void *fake = NULL;
		__sanitizer_start_switch_fiber(&fake, (char *)t->map + 4096, t->map_size - 4096);
		swapcontext(&sched_ctx, &t->ctx);
		__sanitizer_finish_switch_fiber(fake, NULL, NULL);
		current = NULL;
		if (t->unlock) {
			void (*u)(void *) = t->unlock;
			t->unlock = NULL;
			u(t->unlock_arg);
		}
		if (t->done) {
			for (struct task **pp = &all_tasks; *pp; pp = &(*pp)->all_next)
				if (*pp == t) {
					*pp = t->all_next;
					break;
				}
			munmap(t->map, t->map_size);
			free(t);
			alive--;
		}
	}
}

/* ---- wait queues (runtime/park.h) ---- */

void waitq_push(struct waitq *q, struct waiter *w)
{
	waitq_push_inline(q, w);
}

void waitq_remove(struct waitq *q, struct waiter *w)
{
	waitq_remove_inline(q, w);
}

struct waiter *waitq_claim(struct waitq *q)
{
	struct waiter *w;
	while ((w = q->head)) {
		waitq_remove(q, w);
		if (task_claim(w->t, w->seq))
			return w;
	}
	return NULL;
}
