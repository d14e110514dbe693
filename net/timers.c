/*
 * net/timers.c — lwIP's timers (TCP's fast and slow timers, ARP, IP
 * reassembly, DHCP, neighbor discovery, MLD, DNS retries), run by the
 * net-timers task.
 *
 * The task sleeps until the next lwIP timeout is due, takes the net lock,
 * runs sys_check_timeouts() and sleeps again; each round also runs the
 * poller's watchdog and prints a settled address change (and a change of
 * DNS servers). net_in_timers is set while lwIP's timers run, so that the
 * resolver can tell "every server stayed silent" (lwIP's DNS timer ends
 * the query) from an answer. The due time is
 * cached in timers_due_ns, so that a round with nothing due (an early
 * wake-up, or a test that calls net_timers_poll in a loop) need not take
 * the lock to learn it. The cache is late by at most the grid (below): it
 * is at most NET_TIMER_MAX_SLEEP_MS plus the grid past the last round, and
 * every timeout lwIP arms between rounds lies at least TCP_TMR_INTERVAL
 * (the same 250 ms) after the moment it is armed.
 *
 * Rounds are coalesced onto a NET_TIMER_GRID_MS grid (since boot): the
 * due time is rounded up to the grid, so lwIP's cyclic timers (MLD every
 * 100 ms; ARP, reassembly, ND, DNS every second; DHCP's 500 ms; TCP's
 * 250 ms), each with its own phase, share wake-ups instead of waking the
 * CPU one by one. An idle machine then wakes about ten times a second (MLD
 * sets the pace), each wake-up a few VM exits under KVM, and no timeout
 * runs more than the grid late: all of them are coarse (TCP's fast timer
 * sends a delayed ACK anywhere in its 250 ms anyway).
 *
 * Rejected: running the timers from the scheduler loop (every CPU would
 * have to arm its idle wake-up for lwIP's next timeout, which the runtime
 * cannot know without a second call into net/); a runtime timer per lwIP
 * timeout (lwIP keeps its own list and wants one sweep).
 */
#include "kernel/time.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"	/* TCP_TMR_INTERVAL */
#include "lwip/timeouts.h"
#include "net/net_priv.h"
#include "net/netlock.h"
#include "net/timers.h"
#include "runtime/runtime.h"

#define NET_TIMER_MAX_SLEEP_MS	TCP_TMR_INTERVAL
#define NET_TIMER_GRID_MS	100

static uint64_t timers_due_ns;		/* atomic; written under the lock */
static uint64_t rounds;			/* under the lock */
bool net_in_timers;			/* under the lock */

uint64_t net_timers_next_ns(void)
{
	return a_load_relaxed(&timers_due_ns);
}

uint64_t net_timers_rounds(void)
{
	net_lock();
	uint64_t r = rounds;
	net_unlock();
	return r;
}

/* Caller holds the lock. */
static void run_timers(void)
{
	net_in_timers = true;
	sys_check_timeouts();		/* also frees out-of-order data when
					   PBUF_POOL ran dry */
	net_in_timers = false;
	u32_t sleep = sys_timeouts_sleeptime();
	if (sleep > NET_TIMER_MAX_SLEEP_MS)
		sleep = NET_TIMER_MAX_SLEEP_MS;
	const uint64_t grid = NET_TIMER_GRID_MS * 1000000ull;
	uint64_t due = time_ns() + sleep * 1000000ull;
	a_store_relaxed(&timers_due_ns, (due + grid - 1) / grid * grid);
	rounds++;
}

void net_timers_poll(void)
{
	/* pbuf_free_ooseq_pending: PBUF_POOL ran out; a hint read unlocked */
	if (time_ns() < net_timers_next_ns() && !pbuf_free_ooseq_pending)
		return;
	net_lock();
	if (time_ns() >= net_timers_next_ns() || pbuf_free_ooseq_pending)
		run_timers();
	net_unlock();
}

static void timers_task(void *arg)
{
	struct netif *nif = arg;
	for (;;) {
		poller_watchdog();
		net_timers_poll();
		ipconfig_report(nif);
		dns_report();
		uint64_t next = net_timers_next_ns(), now = time_ns();
		task_sleep(next > now ? next - now : 0);
	}
}

void net_timers_start(struct netif *n)
{
	struct task_attr a = { "net-timers", 0, -1 };
	task_spawn(&a, timers_task, n);
}
