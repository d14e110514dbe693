/*
 * net/poller.c — the integrated network poller.
 *
 * THE POLLER (after Linux NAPI and Go's netpoller). Device interrupts do
 * almost nothing: the NIC's handler masks its interrupt and calls
 * rt_poll_kick, which marks poll work pending and makes sure a CPU will
 * come for it (runtime/poll.h). Any CPU passing through its scheduler loop
 * while work is pending runs net_poll: it takes the net lock (try-lock: if
 * another CPU is polling, that one will do), claims the pending mark, and
 * drains up to POLL_BUDGET frames into lwIP. lwIP's callbacks make the
 * waiting tasks runnable on this CPU, and idle CPUs steal them. When the
 * budget ran out there is more: the mark is set again and the next pass
 * (on any CPU) goes on, so tasks and polling interleave under load and
 * interrupts stay off. Only when the ring is empty are interrupts enabled
 * again, and the driver checks the ring once more after enabling (a frame
 * that arrived in between would raise no interrupt): if it is not empty
 * the mark is set again.
 *
 * Why nothing is lost: a frame either lands before the final re-check
 * (and the poller sees it), or after interrupts are enabled (and raises
 * one, which kicks). A kick either finds a CPU between tasks (it polls at
 * its next pass), or wakes an idle one; a CPU about to halt checks the
 * mark after announcing itself idle (runtime/poll.h).
 *
 * Each pass also does what net/netdev.h asks of its poller: it carries
 * the device's link state to the netif (netif_set_link_up/down, so lwIP
 * stops sending into a dead link and DHCP starts over when it returns; a
 * change makes netdev_rx_irq_enable refuse once, so the pass after it sees
 * the new state), and when the device broke a queue's protocol
 * (netdev_broken) it resets the device with netdev_restart and goes on
 * polling. A device that keeps breaking is given up after
 * POLL_MAX_RESTARTS: its link goes down and the poller leaves it alone.
 *
 * lwIP's timers run in a task of their own that sleeps until the next
 * timeout (timers.c), and transmission happens inline, under the net
 * lock, in whatever task or poll pass produced the segment.
 *
 * The watchdog: frames waiting in the ring with no poll pending and no
 * progress since the last look mean a device interrupt was lost (seen
 * under QEMU's TCG: an MSI accepted by the CPU whose handler never ran).
 * The timers task looks every round; two looks in a row that find the
 * ring stalled kick the poller, and the first few say so on the console,
 * with what happened since the previous look: poll passes (and how many
 * found the lock taken), receive interrupts, whether a poll is pending.
 * That tells a lost interrupt (no interrupts, no passes, not pending)
 * from a poller that runs and cannot take the lock or drain the ring.
 * A broken queue is kicked at once (a TX queue broken while interrupts
 * are on would otherwise wait for the next received frame).
 */
#include <stdio.h>
#include "kernel/atomic.h"
#include "kernel/console.h"
#include "lwip/netif.h"
#include "net/net_priv.h"
#include "net/netlock.h"
#include "net/netdev.h"
#include "runtime/poll.h"

#define POLL_BUDGET		64
#define POLL_MAX_RESTARTS	5

/* Set by poller_start, before the poller is registered; then read-only. */
static struct netdev *dev;
static struct netif *nif;
/* Under the net lock. */
static struct poller_stats stats;
static bool given_up;			/* the device broke too often */
/* For the watchdog's report. */
static uint64_t passes;			/* net_poll passes that took the lock;
					   under the lock */
static uint64_t passes_busy;		/* atomic: passes that found it taken */
static uint64_t irq_kicks;		/* atomic: receive interrupts that kicked */

/* The device's link state to lwIP. Net lock held. */
static void sync_link(void)
{
	bool up = netdev_link_up(dev);
	if (up == netif_is_link_up(nif))
		return;
	stats.link_changes++;
	kprintf("net: %s: link %s\n", dev->name, up ? "up" : "down");
	if (up)
		netif_set_link_up(nif);
	else
		netif_set_link_down(nif);
}

/* The device broke a queue: reset it and bring it up again, in poll mode
   (it calls no callback: this pass polls on and enables). False when the
   device is given up. Net lock held. */
static bool restart(void)
{
	if (stats.restarts < POLL_MAX_RESTARTS) {
		stats.restarts++;
		kprintf("net: %s broke a queue's protocol; resetting it (%u of at most %u)\n",
			dev->name, stats.restarts, POLL_MAX_RESTARTS);
		if (netdev_restart(dev) == 0)
			return true;
	}
	kprintf("net: %s given up after %u resets\n", dev->name, stats.restarts);
	given_up = true;
	netif_set_link_down(nif);
	return false;
}

static void net_poll(void)
{
	if (!net_trylock()) {
		a_fetch_add_relaxed(&passes_busy, 1);
		return;			/* another CPU is polling */
	}
	passes++;
	rt_poll_begin();
	if (given_up || (netdev_broken(dev) && !restart())) {
		net_unlock();
		return;
	}
	int n = netdev_rx_poll(dev, POLL_BUDGET, netif_deliver, nif);
	netdev_tx_reclaim(dev);
	sync_link();
	if (n == POLL_BUDGET || netdev_rx_irq_enable(dev))
		rt_poll_kick();		/* more to do: the next pass goes on */
	net_unlock();
}

/* The RX interrupt, with the queue already masked by the driver. */
static void on_rx_irq(void *arg)
{
	(void)arg;
	a_fetch_add_relaxed(&irq_kicks, 1);
	rt_poll_kick();
}

void poller_start(struct netdev *d, struct netif *n)
{
	dev = d;
	nif = n;
	rt_poll_register(net_poll);
	netdev_set_irq_callback(dev, on_rx_irq, NULL);
	rt_poll_kick();			/* a first pass enables the interrupt */
}

struct poller_stats poller_stats(void)
{
	net_lock();
	struct poller_stats s = stats;
	net_unlock();
	return s;
}

/* Under the net lock: netdev_restart may be freeing the rings this reads. */
void poller_watchdog(void)
{
	static uint64_t last_rx, last_passes, last_busy, last_kicks;
	static int strikes;
	static unsigned said;
	net_lock();
	bool broken = !given_up && netdev_broken(dev);
	struct netdev_stats ds = netdev_stats(dev);
	bool stalled = !given_up && netdev_rx_waiting(dev) && ds.rx_frames == last_rx;
	last_rx = ds.rx_frames;
	uint64_t p = passes;
	net_unlock();
	/* Since the last look: what the report says of the stall (did poll
	   passes run, did they find the lock taken, did interrupts come). */
	uint64_t b = a_load_relaxed(&passes_busy);
	uint64_t k = a_load_relaxed(&irq_kicks);
	uint64_t dp = p + b - last_passes, db = b - last_busy, dk = k - last_kicks;
	last_passes = p + b, last_busy = b, last_kicks = k;
	if (broken) {
		rt_poll_kick();		/* the poller restarts it */
		return;
	}
	if (!stalled) {
		strikes = 0;
		return;
	}
	if (++strikes < 2)
		return;
	if (said++ < 5)
		printf("net: receive ring stalled with frames waiting; polling (lost interrupt?): "
		       "since the last look %llu poll passes (%llu found the lock taken), "
		       "%llu receive interrupts; %llu frames delivered in all, poll %s\n",
		       (unsigned long long)dp, (unsigned long long)db, (unsigned long long)dk,
		       (unsigned long long)ds.rx_frames, rt_poll_pending() ? "pending" : "not pending");
	rt_poll_kick();
	strikes = 0;
}
