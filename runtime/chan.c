/*
 * runtime/chan.c — Go's channels: unbuffered, buffered, close, select.
 *
 * A channel is a ring buffer of `cap` elements and two wait queues, all
 * under one spinlock. A sender that finds a waiting receiver copies the
 * element straight into the receiver's destination (its waiter's elem,
 * on the receiver's stack) and wakes it; a receiver that finds a waiting
 * sender takes the element from it (for a full buffer: the buffer's head,
 * and the sender's element goes to the tail, keeping FIFO order). Only
 * when neither a partner nor buffer room exists does a task park.
 *
 * Hand-off protocol: claim the partner (task_claim, which a timeout or a
 * competing select case may have won), copy, set its result, unlock, wake.
 * A claimed partner cannot run until woken, so the copy into its stack is
 * safe.
 *
 * select locks every channel involved in address order (no deadlock
 * between two selects), tries the cases in a random order, and otherwise
 * queues one waiter per case, all sharing one park ticket: the first
 * claim wins, the others fail and are dropped by whoever finds them; on
 * waking, the task takes its remaining waiters out of every queue before
 * it returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/panic.h"
#include "runtime/sched.h"

struct chan {
	struct spinlock lock;		/* protects everything below */
	size_t esize, cap;
	size_t count, head;		/* buffered elements, index of the oldest */
	bool closed;
	struct waitq recvq, sendq;
	uint8_t *buf;
};

chan_t *chan_new(size_t esize, size_t cap)
{
	chan_t *c = calloc(1, sizeof *c + esize * cap);
	if (!c)
		return NULL;
	c->lock = (struct spinlock)SPINLOCK_INIT;
	c->esize = esize;
	c->cap = cap;
	c->buf = (uint8_t *)(c + 1);
	return c;
}

void chan_free(chan_t *c)
{
	if (c && (!waitq_empty(&c->recvq) || !waitq_empty(&c->sendq)))
		panic("chan_free: tasks still wait on the channel");
	free(c);
}

static void *slot(chan_t *c, size_t i)
{
	return c->buf + ((c->head + i) % c->cap) * c->esize;
}

/* An element's copy: word-sized ones (the common case) without a call. */
static inline void copy(chan_t *c, void *dst, const void *src)
{
	if (!dst)
		return;
	switch (c->esize) {
	case 0:
		return;
	case 8:
		__builtin_memcpy(dst, src, 8);
		return;
	case 4:
		__builtin_memcpy(dst, src, 4);
		return;
	default:
		memcpy(dst, src, c->esize);
	}
}

/* Try to send without waiting. Lock held. Returns 1 done, 0 would block,
   -EPIPE closed. *wake gets a task to wake after unlocking. */
static inline int try_send(chan_t *c, const void *elem, struct task **wake)
{
	if (c->closed)
		return -EPIPE;
	struct waiter *w = waitq_claim_inline(&c->recvq);
	if (w) {
		copy(c, w->elem, elem);
		w->result = 0;
		w->fired = true;
		*wake = w->t;
		return 1;
	}
	if (c->count < c->cap) {
		copy(c, slot(c, c->count), elem);
		c->count++;
		return 1;
	}
	return 0;
}

/* Try to receive without waiting. Lock held. 1 done, 0 would block,
   -EPIPE closed and drained (elem zeroed). */
static inline int try_recv(chan_t *c, void *elem, struct task **wake)
{
	struct waiter *w = waitq_claim_inline(&c->sendq);
	if (w) {
		if (c->count) {			/* full buffer: rotate through it */
			copy(c, elem, slot(c, 0));
			copy(c, slot(c, 0), w->elem);
			c->head = (c->head + 1) % c->cap;
		} else {
			copy(c, elem, w->elem);
		}
		w->result = 0;
		w->fired = true;
		*wake = w->t;
		return 1;
	}
	if (c->count) {
		copy(c, elem, slot(c, 0));
		c->head = (c->head + 1) % c->cap;
		c->count--;
		return 1;
	}
	if (c->closed) {
		if (elem && c->esize)
			memset(elem, 0, c->esize);
		return -EPIPE;
	}
	return 0;
}

/* Block on one queue of c until a partner or close, or the deadline.
   Lock held, interrupts off; returns with the lock released. */
static int wait_on(chan_t *c, struct waitq *q, void *elem, uint64_t deadline, const char *why)
{
	struct task *me = cur_task();
	struct waiter w;
	w.t = me;
	w.seq = park_prepare_inline(me);
	w.elem = elem;
	w.result = 0;
	w.fired = false;
	waitq_push_inline(q, &w);
	if (!deadline) {
		task_park(why, park_unlock_spin, &c->lock);
		return w.result;
	}
	if (!task_park_until(why, park_unlock_spin, &c->lock, deadline))
		return w.result;
	bool f = spin_lock(&c->lock);
	waitq_remove(q, &w);
	spin_unlock(&c->lock, f);
	return -ETIMEDOUT;
}

/* One operation: done at once if a partner or the buffer allows, else
   parked on its queue until a partner, close, or the deadline. The
   partner is woken before interrupts come back on: one save/restore
   for both. */
static inline __attribute__((always_inline)) int op_until(chan_t *c, enum sel_op op, void *elem,
							  uint64_t deadline)
{
	struct task *wake = NULL;
	bool f = spin_lock(&c->lock);
	int r = op == SEL_SEND ? try_send(c, elem, &wake) : try_recv(c, elem, &wake);
	if (r) {
		spin_unlock_raw(&c->lock);
		if (wake)
			sched_wake(wake);
		irq_restore(f);
		return r < 0 ? r : 0;
	}
	/* wait_on releases the lock; interrupts come back on as it parks. */
	return op == SEL_SEND ? wait_on(c, &c->sendq, elem, deadline, "chan send")
			      : wait_on(c, &c->recvq, elem, deadline, "chan recv");
}

static int send_until(chan_t *c, const void *elem, uint64_t deadline)
{
	return op_until(c, SEL_SEND, (void *)elem, deadline);
}

static int recv_until(chan_t *c, void *elem, uint64_t deadline)
{
	return op_until(c, SEL_RECV, elem, deadline);
}

int chan_send(chan_t *c, const void *elem) { return send_until(c, elem, 0); }
int chan_recv(chan_t *c, void *elem) { return recv_until(c, elem, 0); }

int chan_send_timeout(chan_t *c, const void *elem, uint64_t timeout_ns)
{
	return send_until(c, elem, time_ns() + timeout_ns);
}

int chan_recv_timeout(chan_t *c, void *elem, uint64_t timeout_ns)
{
	return recv_until(c, elem, time_ns() + timeout_ns);
}

int chan_close(chan_t *c)
{
	bool f = spin_lock(&c->lock);
	if (c->closed) {
		spin_unlock(&c->lock, f);
		return -EPIPE;
	}
	c->closed = true;
	struct waiter *woken = NULL, *w;
	while ((w = waitq_claim(&c->recvq))) {
		if (w->elem && c->esize)
			memset(w->elem, 0, c->esize);
		w->result = -EPIPE;
		w->fired = true;
		w->next = woken;
		woken = w;
	}
	while ((w = waitq_claim(&c->sendq))) {
		w->result = -EPIPE;
		w->fired = true;
		w->next = woken;
		woken = w;
	}
	spin_unlock(&c->lock, f);
	while (woken) {
		w = woken->next;
		task_wake(woken->t);
		woken = w;
	}
	return 0;
}

size_t chan_len(chan_t *c) { return a_load_relaxed(&c->count); }
size_t chan_cap(chan_t *c) { return c->cap; }

/* ---- select ---- */

#define SEL_MAX 16

struct sel_locks {
	chan_t *c[SEL_MAX];
	int n;
};

static void sel_lock(struct sel_locks *l)
{
	for (int i = 0; i < l->n; i++)
		spin_lock_raw(&l->c[i]->lock);
}

static void sel_unlock(void *arg)
{
	struct sel_locks *l = arg;
	for (int i = l->n - 1; i >= 0; i--)
		spin_unlock_raw(&l->c[i]->lock);
}

/* The distinct channels of cases, sorted by address. */
static void sel_collect(struct sel_case *cases, int n, struct sel_locks *l)
{
	l->n = 0;
	for (int i = 0; i < n; i++) {
		chan_t *c = cases[i].c;
		if (!c)
			continue;
		int j = l->n;
		bool dup = false;
		for (int k = 0; k < l->n; k++)
			dup |= l->c[k] == c;
		if (dup)
			continue;
		while (j > 0 && l->c[j - 1] > c) {
			l->c[j] = l->c[j - 1];
			j--;
		}
		l->c[j] = c;
		l->n++;
	}
}

int chan_select(struct sel_case *cases, int n, uint64_t timeout_ns)
{
	if (n < 0 || n > SEL_MAX)
		return -EINVAL;
	uint64_t deadline = timeout_ns == SEL_FOREVER ? 0 : time_ns() + timeout_ns;
	struct sel_locks locks;
	sel_collect(cases, n, &locks);
	struct sched *s;
	bool f = irq_save();
	s = this_sched();
	s->rng = s->rng * 1103515245u + 12345u;
	int start = n ? (int)((s->rng >> 8) % (unsigned)n) : 0;
	sel_lock(&locks);
	for (int k = 0; k < n; k++) {
		int i = (start + k) % n;
		struct sel_case *sc = &cases[i];
		struct task *wake = NULL;
		if (!sc->c)
			continue;
		int r = sc->op == SEL_SEND ? try_send(sc->c, sc->elem, &wake)
					   : try_recv(sc->c, sc->elem, &wake);
		if (!r)
			continue;
		sc->result = r < 0 ? r : 0;
		sel_unlock(&locks);
		if (wake)
			task_wake(wake);
		irq_restore(f);
		return i;
	}
	if (timeout_ns == SEL_DEFAULT) {
		sel_unlock(&locks);
		irq_restore(f);
		return -EAGAIN;
	}
	struct waiter w[SEL_MAX];
	uint64_t seq = task_park_prepare();
	for (int i = 0; i < n; i++) {
		w[i] = (struct waiter){ .t = cur_task(), .seq = seq, .elem = cases[i].elem, .case_idx = i };
		if (cases[i].c)
			waitq_push(cases[i].op == SEL_SEND ? &cases[i].c->sendq : &cases[i].c->recvq, &w[i]);
	}
	if (deadline)
		task_park_until("select", sel_unlock, &locks, deadline);
	else
		task_park("select", sel_unlock, &locks);
	/* Awake: take every waiter still queued out, and see which fired. */
	irq_disable();
	sel_lock(&locks);
	int won = -ETIMEDOUT;
	for (int i = 0; i < n; i++) {
		if (!cases[i].c)
			continue;
		waitq_remove(cases[i].op == SEL_SEND ? &cases[i].c->sendq : &cases[i].c->recvq, &w[i]);
		if (w[i].fired) {
			won = i;
			cases[i].result = w[i].result;
		}
	}
	sel_unlock(&locks);
	irq_enable();
	(void)f;
	return won;
}
