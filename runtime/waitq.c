/* runtime/waitq.c — FIFO queues of parked tasks (see park.h). The owner
   of the queue's lock is the caller's business; these never lock. */
#include "runtime/sched.h"

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
	return waitq_claim_inline(q);
}
