/*
 * net/netlock.h — the net lock: the one lock around every entry into lwIP.
 *
 * lwIP is not thread-safe; Weft runs its raw API (NO_SYS=1) and makes one
 * lock, the net lock, serialize every entry into it:
 *
 *	net_lock();
 *	err = tcp_write(pcb, buf, n, TCP_WRITE_FLAG_COPY);	any lwIP call
 *	net_unlock();
 *
 * Who calls lwIP, always with the lock held:
 *   - the bring-up (net/net.c): lwip_init, netif_add, the address;
 *   - the poller (net/poller.c): nif->input(p, nif) for each received
 *     frame, every pbuf_alloc/pbuf_free (lwIP's pools and pbuf reference
 *     counts are unprotected otherwise: TX completion that frees pbufs
 *     takes the lock too), netif_set_link_up/down;
 *   - tasks, through conn_*: tcp_* calls, then park with net_park_unlock;
 *   - the net-timers task (net/timers.c): sys_check_timeouts().
 * lwIP's callbacks (recv, sent, err, accept, netif status) run inside
 * those calls, so under the lock: they never block, never take the lock
 * again (it is not recursive: that panics), and wake tasks with
 * task_ready().
 *
 * Loopback: packets to the guest's own addresses (127.0.0.1, or its own
 * IP) are queued by lwIP and delivered when the lock is released
 * (net_unlock, net_park_unlock), so releasing it may run callbacks for
 * them, as any lwIP call may.
 *
 * The lock is a spinlock held with interrupts off, like every spinlock
 * here: interrupts off is what keeps the holder from being preempted, so
 * other CPUs spin for the length of one lwIP call, never for a time slice.
 * lwIP calls are short (a segment in, a segment out, a timer sweep), and
 * the poller runs them from the scheduler loop, where it cannot park.
 * Rejected: a blocking mutex (the poller cannot park, and a parked holder
 * would stall the whole stack); a spinlock with interrupts on (preemption
 * inside lwIP would make the other CPUs spin through a whole slice).
 * Interrupt handlers never call lwIP: they mask a queue and wake the poller.
 *
 * With NET_LOCK_CHECKS (arch/sys_arch.h; on in debug builds, make DEBUG=1)
 * lwIP itself asserts the lock in every raw API entry and input/timer
 * path, every pool allocation and free, and every pbuf_free and pbuf_ref.
 */
#ifndef NET_NETLOCK_H
#define NET_NETLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Take the net lock: interrupts off on this CPU until net_unlock().
   Must not be held already by this CPU (panics). */
void net_lock(void);
/* Take it if it is free (the poller: another CPU holding it is likely
   polling already). */
bool net_trylock(void);
/* Release it; interrupts return to their state at net_lock(). The
   caller must hold it. */
void net_unlock(void);
/* Does this CPU hold the net lock? */
bool net_lock_held(void);

/* For task_park(reason, net_park_unlock, NULL): releases the net lock for
   a task that parks while holding it (the task resumes with interrupts
   on and without the lock, and takes it again if it needs it):
	net_lock();
	... register a waiter that a callback will task_ready() ...
	seq = task_park_prepare(); ...
	task_park("conn read", net_park_unlock, NULL);
 */
void net_park_unlock(void *unused);

struct net_lock_stats {
	uint64_t acquired;		/* net_lock() and successful net_trylock() */
	uint64_t contended;		/* net_lock() calls that found it held by
					   another CPU and spun */
	uint64_t busy;			/* net_trylock() calls that found it held */
	uint64_t hold_ns;		/* time it was held, in all */
	uint64_t wait_ns;		/* time net_lock() spun for it, in all */
};
/* A copy of the counters (exact: read under the lock). */
struct net_lock_stats net_lock_stats_get(void);

#endif
