/* runtime/waitq.c — FIFO queues of parked tasks (see park.h). The owner
   of the queue's lock is the caller's business; these never lock. */
#include "runtime/sched.h"

void waitq_push(struct waitq *q, struct waiter *w)
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

void waitq_remove(struct waitq *q, struct waiter *w)
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

struct waiter *waitq_claim(struct waitq *q)
{
	while (q->head) {
		struct waiter *w = q->head;
		waitq_remove(q, w);
		if (task_claim(w->t, w->seq))
			return w;
		/* Its task was woken by someone else (a timeout, another
		   select case): it will not look at this entry again. */
	}
	return NULL;
}
