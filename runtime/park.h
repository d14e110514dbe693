/*
 * runtime/park.h — park/ready, the one blocking primitive.
 *
 * A task that must wait:
 *   1. takes the lock that guards the condition (a spinlock: interrupts
 *      are now off), checks the condition, and if it must wait,
 *   2. gets a ticket, seq = task_park_prepare(), and registers a waiter
 *      {self, seq} where wakers will find it (a waitq, a timer, a
 *      connection),
 *   3. calls task_park(reason, unlock, arg): the task switches away and,
 *      once its context is fully saved, the scheduler calls unlock(arg).
 * A waker takes the same lock, finds the waiter, and calls
 * task_claim(t, seq) — which succeeds for exactly one waker of that park
 * — does the hand-off (copies a channel element, sets a result), then
 * task_wake(t) makes it runnable. task_ready = claim + wake.
 *
 * Why no wake-up is lost or doubled: the waker can only find the waiter
 * under the lock, which the parking task holds until it is switched out;
 * claims are a compare-and-swap on (seq, state), so of several wakers
 * (channel, timer, close) exactly one wins, and a stale waker holding an
 * old seq can never wake a later park. Waiters live on the parked task's
 * stack; the task removes its own from every queue (under their locks)
 * before it returns, so nothing points at them afterwards.
 */
#ifndef RUNTIME_PARK_H
#define RUNTIME_PARK_H

#include <stdbool.h>
#include <stdint.h>
#include "runtime/runtime.h"

struct waiter {
	task_t *t;
	uint64_t seq;			/* ticket of the park it belongs to */
	struct waiter *next, *prev;	/* in a waitq, under its owner's lock */
	bool queued;
	void *elem;			/* channels: the element's address */
	int result;			/* set by the waker before task_wake */
	int case_idx;			/* select: which case */
	bool fired;			/* select: this case won */
};

/* A fresh ticket for the next park of the calling task. */
uint64_t task_park_prepare(void);
/* Switch away until woken; unlock(arg) runs once the task is fully
   parked (NULL: nothing to unlock). Interrupts must be off (the caller
   holds the lock) and stay off; they are restored to "on" when the task
   runs again. */
void task_park(const char *reason, void (*unlock)(void *), void *arg);
/* Same, but a timer wakes the task at deadline (time_ns() scale) if
   nobody else did first. Returns true when the timer woke it. */
bool task_park_until(const char *reason, void (*unlock)(void *), void *arg, uint64_t deadline);
/* Win the right to wake t from its park `seq`; false when another waker
   won, or the ticket is stale. Spins while t is still switching out. */
bool task_claim(task_t *t, uint64_t seq);
/* Make a claimed task runnable (on this CPU's run-next slot when called
   from a task, so a ping-pong stays on one core). */
void task_wake(task_t *t);
static inline bool task_ready(task_t *t, uint64_t seq)
{
	if (!task_claim(t, seq))
		return false;
	task_wake(t);
	return true;
}

/* Unlock helper for task_park: a struct spinlock * whose holder turned
   interrupts off. */
void park_unlock_spin(void *lock);

void waitq_push(struct waitq *q, struct waiter *w);
void waitq_remove(struct waitq *q, struct waiter *w);
/* The list operations themselves (waitq_push and waitq_remove are these,
   wrapped; inline for hot paths and for hosts that build the queues
   without the scheduler, as the receive-path fuzzer does). */
static inline void waitq_push_inline(struct waitq *q, struct waiter *w)
{
	w->next = NULL;
	w->prev = q->tail;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
	w->queued = true;
}
static inline void waitq_remove_inline(struct waitq *q, struct waiter *w)
{
	if (!w->queued)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->next = w->prev = NULL;
	w->queued = false;
}
/* Pop waiters until one is claimed; NULL when none is left. */
struct waiter *waitq_claim(struct waitq *q);
static inline bool waitq_empty(const struct waitq *q) { return !q->head; }

#endif
