/*
 * runtime/runtime.h — Weft's task runtime: what apps and net/ use.
 *
 * Go's model in C. A task is a function running on its own demand-paged
 * stack; tasks are multiplexed onto every CPU. Code blocks in plain style
 * (chan_recv, mutex_lock, task_sleep, conn_read) and the runtime parks
 * the task until whatever it waits for is ready.
 *
 *   task_t *t = go(fn, arg);             spawn (like `go fn(arg)`)
 *   task_spawn(&(struct task_attr){ .name = "conn", .stack_size = 64 << 10,
 *                                   .cpu = 2 }, fn, arg);
 *   task_yield(); task_sleep(ms(10)); task_exit();
 *
 * Channels (chan_*), select (chan_select), mutexes and wait groups are
 * built on the one blocking primitive, park/ready (runtime/park.h), which
 * net/ uses too. Every blocking call has a form with a timeout, which
 * returns -ETIMEDOUT when it expires.
 *
 * Who may call what: everything here is for tasks. Interrupt handlers may
 * only ready tasks (task_ready) — never block.
 */
#ifndef RUNTIME_RUNTIME_H
#define RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/time.h"
#include "kernel/atomic.h"
#include "runtime/spinlock.h"

typedef struct task task_t;

struct task_attr {
	const char *name;		/* copied (15 chars kept); NULL: "task" */
	size_t stack_size;		/* bytes reserved; 0: TASK_STACK_DEFAULT */
	int cpu;			/* run only there; -1 (default via go()): any */
};

#define TASK_STACK_DEFAULT	(256u << 10)
#define TASK_STACK_MAX		(64u << 20)
#define TASK_SLICE_NS		10000000ull	/* default preemption slice */

/* Spawn fn(arg). Returns NULL when memory for the task or its stack is
   exhausted (nothing is leaked then). */
task_t *task_spawn(const struct task_attr *attr, void (*fn)(void *), void *arg);
static inline task_t *go(void (*fn)(void *), void *arg)
{
	struct task_attr a = { NULL, 0, -1 };
	return task_spawn(&a, fn, arg);
}
_Noreturn void task_exit(void);
void task_yield(void);
/* Sleep at least ns nanoseconds. */
void task_sleep(uint64_t ns);
task_t *task_self(void);
uint64_t task_id(const task_t *t);
const char *task_name(const task_t *t);
/* CPU this task runs on right now (it may move at any blocking point or
   preemption). */
unsigned task_cpu(void);

/* Time: time_ns() (kernel/time.h, included here) is the one clock,
   nanoseconds since boot from the TSC; every deadline in the runtime and
   in net/ is on its scale. */
/* Unix time now in nanoseconds (Go's time.Now), or 0 when the machine has
   no wall clock: kernel/wallclock.h says where it comes from (date=,
   kvmclock, the CMOS RTC). */
uint64_t rt_unix_ns(void);
/* Unix time in nanoseconds at time_ns() == 0 (so rt_unix_ns() is this plus
   time_ns()), or 0 when the machine has no wall clock. */
uint64_t rt_unix_boot_ns(void);
/* Where the wall clock came from: "date=", "kvmclock", "CMOS RTC", "none". */
const char *rt_wallclock_source(void);
/* The image's version: `git describe --always --dirty` at build time, or
   "unknown" (kernel/version.h). */
const char *rt_version(void);
static inline uint64_t ms(uint64_t n) { return n * 1000000ull; }
static inline uint64_t us(uint64_t n) { return n * 1000ull; }

/* Channels: like Go's, of fixed-size elements. Capacity 0 is unbuffered
   (a send waits for a receiver). */
typedef struct chan chan_t;
chan_t *chan_new(size_t elem_size, size_t capacity);	/* NULL: no memory */
/* Free a channel no task uses any more. */
void chan_free(chan_t *c);
/* 0, or -EPIPE when the channel is closed. */
int chan_send(chan_t *c, const void *elem);
/* 0; -EPIPE (elem zeroed) when closed and drained. */
int chan_recv(chan_t *c, void *elem);
/* As above with a timeout: -ETIMEDOUT when it passes first. */
int chan_send_timeout(chan_t *c, const void *elem, uint64_t timeout_ns);
int chan_recv_timeout(chan_t *c, void *elem, uint64_t timeout_ns);
/* Close: wakes every blocked receiver (-EPIPE) and sender (-EPIPE).
   Returns -EPIPE when already closed. */
int chan_close(chan_t *c);
size_t chan_len(chan_t *c);
size_t chan_cap(chan_t *c);

enum sel_op { SEL_SEND, SEL_RECV };
struct sel_case {
	chan_t *c;			/* NULL: the case is never ready */
	enum sel_op op;
	void *elem;			/* value to send / where to receive */
	int result;			/* out: 0, or -EPIPE (closed) */
};
#define SEL_FOREVER UINT64_MAX
#define SEL_DEFAULT 0
/* Wait until one case can proceed and do it; returns its index. With
   timeout_ns == SEL_DEFAULT returns -EAGAIN at once when no case is
   ready (Go's default case); otherwise -ETIMEDOUT when the timeout
   passes. Among ready cases one is chosen at random. At most 16 cases. */
int chan_select(struct sel_case *cases, int n, uint64_t timeout_ns);

/* A FIFO of parked tasks (runtime/park.h); protected by its owner's lock. */
struct waiter;
struct waitq {
	struct waiter *head, *tail;
};
#define WAITQ_INIT { NULL, NULL }

/* Mutex: blocking, handed to the next waiter in FIFO order. */
struct mutex {
	struct spinlock lock;		/* protects q; taken when state says waiters */
	uintptr_t state;		/* atomic: owner (task_t *) | 1 if tasks may wait */
	struct waitq q;
};
#define MUTEX_INIT { SPINLOCK_INIT, 0, WAITQ_INIT }
void mutex_lock(struct mutex *m);
int mutex_lock_timeout(struct mutex *m, uint64_t timeout_ns);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);

/* Wait group: wait until a counter drops to zero. */
struct waitgroup {
	struct spinlock lock;		/* protects count and q */
	long count;
	struct waitq q;
};
#define WAITGROUP_INIT { SPINLOCK_INIT, 0, WAITQ_INIT }
void wg_add(struct waitgroup *wg, long n);
static inline void wg_done(struct waitgroup *wg) { wg_add(wg, -1); }
void wg_wait(struct waitgroup *wg);
int wg_wait_timeout(struct waitgroup *wg, uint64_t timeout_ns);

/* Statistics (runtime/stats.h has the per-CPU detail). */
uint64_t rt_tasks_alive(void);
uint64_t rt_stack_pages(void);
/* Promise task stacks this many pages in all: the heap does not grow
   into the free pages that stacks, with what they hold now, may still
   claim, so a task's stack can grow while a malloc fails instead
   (runtime/stack.c, THE HEAP'S FLOOR). At most the stack pages mapped
   now and 3/4 of the free pages are promised. 0 (the default): no
   promise. The
   HTTP server sets it for its connections when it starts
   (net/http/listen.c). */
void rt_stack_reserve(uint64_t pages);
/* Heap allocations made so far, by anyone (newlib's allocators are
   counted). The request path of a server should not move it. */
uint64_t rt_malloc_count(void);

#endif
