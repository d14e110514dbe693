/*
 * runtime/sync.c — mutex and wait group on park/ready.
 *
 * The mutex hands ownership directly to the first waiter (FIFO): an
 * unlocking task cannot barge back in ahead of a woken one, so waiters do
 * not starve.
 *
 * STATE is one word: the owner's task pointer, with MUTEX_WAITERS set
 * once a task may be queued. Without waiters, lock and unlock are one
 * compare-and-swap each and take no spinlock (a task may be preempted
 * holding the mutex: that is fine, it is not a spinlock). A task that
 * must wait takes the spinlock, sets the flag (a CAS, so an unlock that
 * got in first is seen as a free mutex, taken at once), queues itself
 * and parks; an unlock that finds the flag takes the spinlock — which
 * the waiter holds until it is parked — and hands the mutex over,
 * keeping the flag while others remain queued. A waiter that timed out
 * may leave the flag behind with nobody queued: the next unlock clears
 * it.
 */
#include <errno.h>
#include "kernel/panic.h"
#include "runtime/sched.h"

#define MUTEX_WAITERS ((uintptr_t)1)

bool mutex_trylock(struct mutex *m)
{
	uintptr_t free_ = 0;
	return a_cas_acquire(&m->state, &free_, (uintptr_t)cur_task());
}

static int lock_slow(struct mutex *m, uint64_t deadline)
{
	bool f = spin_lock(&m->lock);
	struct task *me = cur_task();
	uintptr_t st = a_load_relaxed(&m->state);
	for (;;) {
		if (!st) {
			if (a_cas_acquire(&m->state, &st, (uintptr_t)me)) {
				spin_unlock(&m->lock, f);
				return 0;
			}
			continue;
		}
		if ((st & ~MUTEX_WAITERS) == (uintptr_t)me)
			panic("mutex_lock: task %llu \"%s\" already holds this mutex",
			      (unsigned long long)me->id, me->name);
		/* Flag the waiter before queueing it: from here on the owner's
		   unlock takes the slow path, and the lock, to find it. */
		if ((st & MUTEX_WAITERS) || a_cas(&m->state, &st, st | MUTEX_WAITERS))
			break;
	}
	struct waiter w = { .t = me, .seq = task_park_prepare() };
	waitq_push(&m->q, &w);
	bool timed_out = false;
	if (deadline)
		timed_out = task_park_until("mutex", park_unlock_spin, &m->lock, deadline);
	else
		task_park("mutex", park_unlock_spin, &m->lock);
	if (!timed_out)
		return 0;			/* the unlocker made us the owner */
	f = spin_lock(&m->lock);
	waitq_remove(&m->q, &w);
	spin_unlock(&m->lock, f);
	return -ETIMEDOUT;
}

void mutex_lock(struct mutex *m)
{
	if (!mutex_trylock(m))
		lock_slow(m, 0);
}

int mutex_lock_timeout(struct mutex *m, uint64_t timeout_ns)
{
	if (mutex_trylock(m))
		return 0;
	return lock_slow(m, time_ns() + timeout_ns);
}

/* Waiters flagged (or not the owner): hand the mutex to the first
   waiter still parked, under the lock. */
static void unlock_slow(struct mutex *m)
{
	bool f = spin_lock(&m->lock);
	uintptr_t st = a_load_relaxed(&m->state);
	if ((st & ~MUTEX_WAITERS) != (uintptr_t)cur_task())
		panic("mutex_unlock: not the owner");
	struct waiter *w = waitq_claim(&m->q);
	uintptr_t next = 0;
	if (w)
		next = (uintptr_t)w->t | (waitq_empty(&m->q) ? 0 : MUTEX_WAITERS);
	a_store_release(&m->state, next);
	spin_unlock(&m->lock, f);
	if (w)
		task_wake(w->t);
}

void mutex_unlock(struct mutex *m)
{
	uintptr_t me = (uintptr_t)cur_task();
	if (!a_cas(&m->state, &me, 0))
		unlock_slow(m);
}

void wg_add(struct waitgroup *wg, long n)
{
	bool f = spin_lock(&wg->lock);
	wg->count += n;
	if (wg->count < 0)
		panic("wg_add: counter went negative (%ld)", wg->count);
	struct waiter *woken = NULL;
	if (wg->count == 0) {
		/* Claim every waiter under the lock, wake them after. */
		struct waiter *w;
		while ((w = waitq_claim(&wg->q))) {
			w->next = woken;
			woken = w;
		}
	}
	spin_unlock(&wg->lock, f);
	while (woken) {
		struct waiter *next = woken->next;
		task_wake(woken->t);
		woken = next;
	}
}

static int wg_wait_until(struct waitgroup *wg, uint64_t deadline)
{
	bool f = spin_lock(&wg->lock);
	if (wg->count == 0) {
		spin_unlock(&wg->lock, f);
		return 0;
	}
	struct waiter w = { .t = cur_task(), .seq = task_park_prepare() };
	waitq_push(&wg->q, &w);
	if (!deadline) {
		task_park("waitgroup", park_unlock_spin, &wg->lock);
		return 0;
	}
	if (!task_park_until("waitgroup", park_unlock_spin, &wg->lock, deadline))
		return 0;
	f = spin_lock(&wg->lock);
	waitq_remove(&wg->q, &w);
	spin_unlock(&wg->lock, f);
	return -ETIMEDOUT;
}

void wg_wait(struct waitgroup *wg)
{
	wg_wait_until(wg, 0);
}

int wg_wait_timeout(struct waitgroup *wg, uint64_t timeout_ns)
{
	return wg_wait_until(wg, time_ns() + timeout_ns);
}
