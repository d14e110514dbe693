/*
 * net/netlock.c — the net lock, lwIP's initialization and its timers.
 *
 * The lock (see net/netlock.h for who takes it and why a spinlock): the
 * holder's CPU is recorded in the spinlock's cpu field, so "does this CPU
 * hold it" is exact with interrupts off (the holder cannot migrate) and
 * trivially false with them on (a holder never has them on). That makes
 * the check cheap enough for lwIP to run on every entry
 * (NET_LOCK_CHECKS). The interrupt state to restore at net_unlock is
 * kept beside the lock: only the holder writes or reads it.
 *
 * Loopback: lwIP (NO_SYS) queues packets sent to the guest's own addresses
 * and delivers them only when someone calls netif_poll(). The lock does it
 * on its way out: net_unlock and net_park_unlock deliver whatever the
 * holder queued, so loopback traffic flows as soon as its sender lets go
 * of lwIP, as on Linux, where loopback transmit runs the receive path.
 *
 * Timers: net_timers_poll runs sys_check_timeouts() when the next lwIP
 * timer is due. The due time is cached in timers_due_ns so that callers
 * (every scheduler pass) need not take the lock to learn that nothing is
 * due. The cache can only be early, never late: it is at most
 * NET_TIMER_MAX_SLEEP_MS past the last round, and every timeout lwIP arms
 * between rounds lies at least TCP_TMR_INTERVAL (the same 250 ms) after
 * the moment it is armed.
 */
#include "net/netlock.h"
#include "kernel/cpu.h"
#include "kernel/kmain.h"
#include "kernel/panic.h"
#include "kernel/time.h"
#include "runtime/spinlock.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"	/* TCP_TMR_INTERVAL */
#include "lwip/sys.h"
#include "lwip/timeouts.h"

#define NET_TIMER_MAX_SLEEP_MS	TCP_TMR_INTERVAL

static struct spinlock net_spin = SPINLOCK_INIT;
static bool net_irq_saved;		/* holder's state at net_lock; holder only */
static struct net_lock_stats stats;	/* under the lock */
static bool net_ready;			/* lwip_init done; set under the lock */
static uint64_t timers_due_ns;		/* atomic; written under the lock */

bool net_lock_held(void)
{
	if (irq_enabled())
		return false;
	return __atomic_load_n(&net_spin.cpu, __ATOMIC_RELAXED) == (int32_t)cpu_id();
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
	if (contended)
		spin_lock_raw(&net_spin);
	__atomic_store_n(&net_spin.cpu, (int32_t)cpu_id(), __ATOMIC_RELAXED);
	net_irq_saved = f;
	stats.acquired++;
	stats.contended += contended;
}

bool net_trylock(void)
{
	bool f = irq_save();
	if (net_lock_held())
		panic("net_trylock: cpu %u already holds the net lock", cpu_id());
	if (!spin_trylock_raw(&net_spin)) {
		irq_restore(f);
		return false;
	}
	__atomic_store_n(&net_spin.cpu, (int32_t)cpu_id(), __ATOMIC_RELAXED);
	net_irq_saved = f;
	stats.acquired++;
	return true;
}

/* Deliver loopback packets the holder queued. Caller holds the lock. */
static void flush_loopback(void)
{
	if (!net_ready)
		return;
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
	__atomic_store_n(&net_spin.cpu, -1, __ATOMIC_RELAXED);
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
	net_unlock();
	return s;
}

void net_init(void)
{
	net_lock();
	if (!net_ready) {
		sys_init();		/* seeds LWIP_RAND, which lwip_init uses */
		lwip_init();
		net_ready = true;
		__atomic_store_n(&timers_due_ns, 0, __ATOMIC_RELAXED);
	}
	net_unlock();
}
KINIT(net_init, KINIT_EARLY);

uint64_t net_timers_next_ns(void)
{
	return __atomic_load_n(&timers_due_ns, __ATOMIC_RELAXED);
}

/* Caller holds the lock. */
static void run_timers(void)
{
	sys_check_timeouts();		/* also frees out-of-order data when
					   PBUF_POOL ran dry */
	u32_t sleep = sys_timeouts_sleeptime();
	if (sleep > NET_TIMER_MAX_SLEEP_MS)
		sleep = NET_TIMER_MAX_SLEEP_MS;
	__atomic_store_n(&timers_due_ns, time_ns() + sleep * 1000000ull, __ATOMIC_RELAXED);
	stats.timer_rounds++;
}

void net_timers_poll(void)
{
	/* pbuf_free_ooseq_pending: PBUF_POOL ran out; a hint read unlocked */
	if (time_ns() < net_timers_next_ns() && !pbuf_free_ooseq_pending)
		return;
	net_lock();
	if (net_ready && (time_ns() >= net_timers_next_ns() || pbuf_free_ooseq_pending))
		run_timers();
	net_unlock();
}
