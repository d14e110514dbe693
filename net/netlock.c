/*
 * net/netlock.c — the net lock.
 *
 * The lock (see net/netlock.h for who takes it and why a spinlock): the
 * holder's CPU is recorded in the spinlock's cpu field, so "does this CPU
 * hold it" is exact with interrupts off (the holder cannot migrate) and
 * trivially false with them on (a holder never has them on). That makes
 * the check cheap enough for lwIP to run on every entry
 * (NET_LOCK_CHECKS). The interrupt state to restore at net_unlock is
 * kept beside the lock: only the holder writes or reads it.
 *
 * Counters (net_lock_stats_get, /metrics): acquisitions, how many found
 * the lock held (net_lock spins; net_trylock, the poller's, gives up),
 * and time: held (TSC at acquisition to release, by the holder) and
 * waited (net_lock's spin only; an uncontended acquisition reads the TSC
 * once, a release once).
 *
 * Loopback: lwIP (NO_SYS) queues packets sent to the guest's own addresses
 * and delivers them only when someone calls netif_poll(). The lock does it
 * on its way out: net_unlock and net_park_unlock deliver whatever the
 * holder queued, so loopback traffic flows as soon as its sender lets go
 * of lwIP, as on Linux, where loopback transmit runs the receive path.
 */
#include "net/netlock.h"
#include "kernel/atomic.h"
#include "kernel/cpu.h"
#include "kernel/time.h"
#include "kernel/panic.h"
#include "runtime/spinlock.h"
#include "lwip/netif.h"

static struct spinlock net_spin = SPINLOCK_INIT;
static bool net_irq_saved;		/* holder's state at net_lock; holder only */
static uint64_t held_since;		/* TSC at acquisition; holder only */
static struct net_lock_stats stats;	/* under the lock (not the times) */
static uint64_t hold_ticks, wait_ticks;	/* under the lock: TSC ticks */
static uint64_t busy;			/* atomic: failed net_trylock calls */

bool net_lock_held(void)
{
	if (irq_enabled())
		return false;
	return a_load_relaxed(&net_spin.cpu) == (int32_t)cpu_id();
}

void net_lwip_assert_locked(void)
{
	if (!net_lock_held())
		panic("lwIP entered without the net lock (cpu %u, interrupts %s)",
		      cpu_id(), irq_enabled() ? "on" : "off");
}

void net_lock(void)
{
	bool f = irq_save();
	if (net_lock_held())
		panic("net_lock: cpu %u already holds the net lock", cpu_id());
	bool contended = !spin_trylock_raw(&net_spin);
	uint64_t t0 = contended ? time_ticks() : 0;
	if (contended)
		spin_lock_raw(&net_spin);
	a_store_relaxed(&net_spin.cpu, (int32_t)cpu_id());
	net_irq_saved = f;
	held_since = time_ticks();
	stats.acquired++;
	if (contended) {
		stats.contended++;
		wait_ticks += held_since - t0;
	}
}

bool net_trylock(void)
{
	bool f = irq_save();
	if (net_lock_held())
		panic("net_trylock: cpu %u already holds the net lock", cpu_id());
	if (!spin_trylock_raw(&net_spin)) {
		a_fetch_add_relaxed(&busy, 1);
		irq_restore(f);
		return false;
	}
	a_store_relaxed(&net_spin.cpu, (int32_t)cpu_id());
	net_irq_saved = f;
	held_since = time_ticks();
	stats.acquired++;
	return true;
}

/* Deliver loopback packets the holder queued. Caller holds the lock. */
static void flush_loopback(void)
{
	for (struct netif *n = netif_list; n; n = n->next)
		if (n->loop_first) {
			netif_poll_all();
			return;
		}
}

static void release(const char *who)
{
	if (!net_lock_held())
		panic("%s: this CPU (%u) does not hold the net lock", who, cpu_id());
	flush_loopback();
	hold_ticks += time_ticks() - held_since;
	a_store_relaxed(&net_spin.cpu, -1);
	spin_unlock_raw(&net_spin);
}

void net_unlock(void)
{
	bool f = net_irq_saved;
	release("net_unlock");
	irq_restore(f);
}

/* Runs in the scheduler, on the parking task's CPU, once the task is
   switched out; interrupts stay off (task_park turns them back on when
   the task runs again). */
void net_park_unlock(void *unused)
{
	(void)unused;
	release("net_park_unlock");
}

struct net_lock_stats net_lock_stats_get(void)
{
	net_lock();
	struct net_lock_stats s = stats;
	uint64_t h = hold_ticks, w = wait_ticks;
	net_unlock();
	s.busy = a_load_relaxed(&busy);
	s.hold_ns = tsc_to_ns(h);
	s.wait_ns = tsc_to_ns(w);
	return s;
}
