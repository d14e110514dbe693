/*
 * runtime/poll.h — the network poller's place in the scheduler.
 *
 * net/ registers one poll function. The scheduler calls it on any CPU
 * that passes through its loop while poll work is pending — between two
 * tasks, or instead of halting — so under load the device is drained by
 * CPUs that switch tasks anyway, and an idle machine sleeps until the
 * device interrupts. The function runs on the loop's stack with
 * interrupts off and must not block; the tasks it readies are found by
 * the loop's next look at the run queues.
 *
 * Protocol (no lost wake-up): the device's interrupt handler masks its
 * queue and calls rt_poll_kick, which sets `pending` (sequentially
 * consistent) and, unless this CPU is itself between tasks, wakes an idle
 * CPU. A CPU going idle looks at `pending` after announcing itself idle
 * (the same Dekker pairing as run queues, sched.c). The poll function
 * clears `pending` with rt_poll_begin only once it owns the device, sets
 * it again with rt_poll_kick when its budget ran out, and re-enables the
 * device's interrupt only when the ring is empty, checking once more
 * after enabling.
 */
#ifndef RUNTIME_POLL_H
#define RUNTIME_POLL_H

#include <stdbool.h>

/* net_init registers the one poll function, before the first kick. */
void rt_poll_register(void (*fn)(void));
/* Mark poll work pending and make sure some CPU will come for it. Safe
   from interrupt handlers and from the poll function itself. */
void rt_poll_kick(void);
/* Called by the poll function once it owns the device: clears pending
   and returns whether it was set. */
bool rt_poll_begin(void);
/* Whether poll work is pending now (for reports, not for decisions). */
bool rt_poll_pending(void);

#endif
