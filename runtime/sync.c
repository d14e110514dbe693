/*
 * runtime/sync.c — mutex and wait group on park/ready.
 *
 * The mutex hands ownership directly to the first waiter (FIFO): an
 * unlocking task cannot barge back in ahead of a woken one, so waiters do
 * not starve.
 */
#include <errno.h>
#include "kernel/panic.h"
#include "runtime/sched.h"

bool mutex_trylock(struct mutex *m)
{
	bool f = spin_lock(&m->lock);
	bool ok = !m->owner;
	if (ok)
		m->owner = cur_task();
	spin_unlock(&m->lock, f);
	return ok;
}

static int lock_slow(struct mutex *m, uint64_t deadline)
{
	bool f = spin_lock(&m->lock);
	struct task *me = cur_task();
	if (!m->owner) {
		m->owner = me;
		spin_unlock(&m->lock, f);
		return 0;
	}
	if (m->owner == me)
		panic("mutex_lock: task %llu \"%s\" already holds this mutex",
		      (unsigned long long)me->id, me->name);
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
	lock_slow(m, 0);
}

int mutex_lock_timeout(struct mutex *m, uint64_t timeout_ns)
{
	return lock_slow(m, time_ns() + timeout_ns);
}

void mutex_unlock(struct mutex *m)
{
	bool f = spin_lock(&m->lock);
	if (m->owner != cur_task())
		panic("mutex_unlock: not the owner");
	struct waiter *w = waitq_claim(&m->q);
	m->owner = w ? w->t : NULL;
	spin_unlock(&m->lock, f);
	if (w)
		task_wake(w->t);
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
