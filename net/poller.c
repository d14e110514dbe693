/*
 * net/poller.c — the integrated network poller.
 *
 * THE POLLER (after Linux NAPI and Go's netpoller). Device interrupts do
 * almost nothing: the virtio-net RX handler masks its queue and calls
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
 * lwIP's timers run in a task of their own that sleeps until the next
 * timeout (timers.c), and transmission happens inline, under the net
 * lock, in whatever task or poll pass produced the segment.
 *
 * The watchdog: frames waiting in the ring with no poll pending and no
 * progress since the last look mean a device interrupt was lost (seen
 * under QEMU's TCG: an MSI accepted by the CPU whose handler never ran).
 * The timers task looks every round; two looks in a row that find the
 * ring stalled kick the poller, and the first few say so on the console.
 */
#include <stdio.h>
#include "net/net_priv.h"
#include "net/netlock.h"
#include "net/virtio_net.h"
#include "runtime/poll.h"

#define POLL_BUDGET 64

static struct vnet *dev;
static struct netif *nif;

static bool net_poll(void)
{
	if (!net_trylock())
		return false;		/* another CPU is polling */
	rt_poll_begin();
	int n = vnet_rx_poll(dev, POLL_BUDGET, netif_deliver, nif);
	vnet_tx_reclaim(dev);
	if (n == POLL_BUDGET || vnet_rx_irq_enable(dev))
		rt_poll_kick();		/* more to do: the next pass goes on */
	net_unlock();
	return n > 0;
}

/* The RX interrupt, with the queue already masked by the driver. */
static void on_rx_irq(void *arg)
{
	(void)arg;
	rt_poll_kick();
}

void poller_start(struct vnet *d, struct netif *n)
{
	dev = d;
	nif = n;
	rt_poll_register(net_poll);
	vnet_set_irq_callback(dev, on_rx_irq, NULL);
	rt_poll_kick();			/* a first pass enables the interrupt */
}

void poller_watchdog(void)
{
	static uint64_t last_rx;
	static int strikes;
	static unsigned said;
	struct vnet_stats st = vnet_stats(dev);
	bool stalled = vnet_rx_waiting(dev) && st.rx_frames == last_rx;
	last_rx = st.rx_frames;
	if (!stalled) {
		strikes = 0;
		return;
	}
	if (++strikes < 2)
		return;
	if (said++ < 5)
		printf("net: receive ring stalled with frames waiting; polling (lost interrupt?)\n");
	rt_poll_kick();
	strikes = 0;
}
