/* runtime/waitq.c — FIFO queues of parked tasks (see park.h). The owner
   of the queue's lock is the caller's business; these never lock. */
#include "runtime/sched.h"

void waitq_push(struct waitq *q, struct waiter *w)
{
	waitq_push_inline(q, w);
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
	return waitq_claim_inline(q);
}
