/*
 * net/poller.c — the network interface and the integrated poller.
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
 * timeout, and transmission happens inline, under the net lock, in
 * whatever task or poll pass produced the segment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/kmain.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "net/net.h"
#include "net/netlock.h"
#include "net/virtio_net.h"
#include "runtime/poll.h"
#include "runtime/runtime.h"

CMDLINE_KEY(key_ip, "ip", "static IPv4 address ADDR/PREFIX (default: DHCP)");
CMDLINE_KEY(key_gw, "gw", "default gateway with ip=");
CMDLINE_KEY(key_net, "net", "net=off leaves the network device alone (driver tests)");

#define POLL_BUDGET 64

static struct vnet *dev;
static struct netif nif;
static bool is_static;
static uint64_t rx_nopbuf;		/* frames dropped: no pbuf */

/* ---- frames in and out (net lock held) ---- */

static void deliver(void *ctx, const void *frame, size_t len, unsigned flags)
{
	struct netif *n = ctx;
	(void)flags;
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		rx_nopbuf++;
		return;
	}
	pbuf_take(p, frame, (u16_t)len);
	if (n->input(p, n) != ERR_OK)
		pbuf_free(p);
}

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	struct vnet_frag frags[16];
	int k = 0;
	for (struct pbuf *q = p; q && k < 16; q = q->next)
		if (q->len)
			frags[k++] = (struct vnet_frag){ q->payload, q->len };
	int r = vnet_tx(n->state, frags, k);
	if (r == -EAGAIN) {
		vnet_tx_reclaim(n->state);
		r = vnet_tx(n->state, frags, k);
	}
	return r == 0 ? ERR_OK : ERR_IF;
}

/* ---- the poller ---- */

static bool net_poll(void)
{
	if (!net_trylock())
		return false;		/* another CPU is polling */
	rt_poll_begin();
	int n = vnet_rx_poll(dev, POLL_BUDGET, deliver, &nif);
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

/* ---- configuration ---- */

/* "net: ADDR/PREFIX gw GW (how)" into line; empty while unaddressed.
   Net lock held. */
static void describe_address(struct netif *n, char *line, size_t size)
{
	line[0] = 0;
	if (ip4_addr_isany_val(*netif_ip4_addr(n)))
		return;
	char a[16], g[16];
	ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof a);
	ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof g);
	unsigned prefix = 0;
	for (uint32_t m = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n))); m & 0x80000000u; m <<= 1)
		prefix++;
	snprintf(line, size, "net: %s/%u gw %s (%s)\n", a, prefix, g, is_static ? "static" : "dhcp");
}

/* lwIP calls this when the address changes, before DHCP has set the
   gateway: note it, and the timers task prints the settled result. */
static volatile bool addr_changed;

static void status_cb(struct netif *n)
{
	(void)n;
	addr_changed = true;
}

/* The watchdog: frames waiting in the ring with no poll pending and no
   progress since the last look mean a device interrupt was lost (seen
   under QEMU's TCG: an MSI accepted by the CPU whose handler never ran).
   Kick the poller, and say so the first few times. */
static void watchdog(uint64_t *last_rx, int *strikes)
{
	struct vnet_stats st = vnet_stats(dev);
	bool stalled = vnet_rx_waiting(dev) && st.rx_frames == *last_rx;
	*last_rx = st.rx_frames;
	if (!stalled) {
		*strikes = 0;
		return;
	}
	if (++*strikes < 2)
		return;
	static unsigned said;
	if (said++ < 5)
		printf("net: receive ring stalled with frames waiting; polling (lost interrupt?)\n");
	rt_poll_kick();
	*strikes = 0;
}

static void timers_task(void *arg)
{
	(void)arg;
	uint64_t last_rx = 0;
	int strikes = 0;
	for (;;) {
		watchdog(&last_rx, &strikes);
		net_timers_poll();
		if (addr_changed) {
			char line[96];
			addr_changed = false;
			net_lock();
			describe_address(&nif, line, sizeof line);
			net_unlock();
			printf("%s", line);
		}
		uint64_t next = net_timers_next_ns(), now = rt_now();
		task_sleep(next > now ? next - now : 0);
	}
}

static err_t nif_init(struct netif *n)
{
	n->name[0] = 'e';
	n->name[1] = 'n';
	n->mtu = 1500;
	n->hwaddr_len = 6;
	vnet_mac(n->state, n->hwaddr);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	n->output = etharp_output;
	n->linkoutput = linkoutput;
	return ERR_OK;
}

/* "a.b.c.d/len" → address and netmask; false when malformed. */
static bool parse_cidr(const char *s, ip4_addr_t *ip, ip4_addr_t *mask)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (!ip4addr_aton(buf, ip))
		return false;
	unsigned len = 24;
	if (slash) {
		char *end;
		unsigned long v = strtoul(slash + 1, &end, 10);
		if (*end || end == slash + 1 || v > 32)
			return false;
		len = (unsigned)v;
	}
	ip4_addr_set_u32(mask, lwip_htonl(len ? 0xffffffffu << (32 - len) : 0));
	return true;
}

static void configure(void)
{
	const char *ip = cmdline_get(&kcmdline, "ip"), *gw = cmdline_get(&kcmdline, "gw");
	ip4_addr_t a, m, g;
	ip4_addr_set_zero(&g);
	if (ip && parse_cidr(ip, &a, &m) && (!gw || ip4addr_aton(gw, &g))) {
		is_static = true;
		netif_set_addr(&nif, &a, &m, &g);
		return;
	}
	if (ip || gw)
		printf("net: cannot use ip=%s gw=%s (want ip=ADDR/PREFIX gw=ADDR); using DHCP\n",
		       ip ? ip : "", gw ? gw : "");
	dhcp_start(&nif);
}

static void net_start(void)
{
	const char *opt = cmdline_get(&kcmdline, "net");
	if (opt && !strcmp(opt, "off")) {
		printf("net: off (net=off)\n");
		return;
	}
	net_init();
	struct vnet *devs[4];
	int n = vnet_probe(devs, 4);
	if (n <= 0) {
		printf("net: no network device\n");
		return;
	}
	dev = devs[0];
	ip4_addr_t zero;
	ip4_addr_set_zero(&zero);
	net_lock();
	netif_add(&nif, &zero, &zero, &zero, dev, nif_init, ethernet_input);
	netif_set_status_callback(&nif, status_cb);
	netif_set_default(&nif);
	netif_set_up(&nif);
	if (vnet_link_up(dev))
		netif_set_link_up(&nif);
	configure();
	net_unlock();
	rt_poll_register(net_poll);
	vnet_set_irq_callback(dev, on_rx_irq, NULL);
	rt_poll_kick();			/* a first pass enables the interrupt */
	struct task_attr a = { "net-timers", 0, -1 };
	task_spawn(&a, timers_task, NULL);
}
KINIT(net_start, KINIT_LATE);

uint64_t net_rx_dropped_nopbuf(void)
{
	return rx_nopbuf;
}

/* lwIP's pools for /metrics: a copy taken under the net lock, reported
   after it is released (fn may format and must not hold up the stack). */
static const char *const pool_names[] = {
#define LWIP_MEMPOOL(name, num, size, desc) #name,
#include "lwip/priv/memp_std.h"
};

struct pool_copy {
	uint64_t used, max, size, errors;
};

void net_lwip_stats(void (*fn)(void *arg, const char *pool, uint64_t used, uint64_t max,
			       uint64_t size, uint64_t errors),
		    void *arg)
{
	struct pool_copy c[MEMP_MAX + 1];
	net_lock();
	for (int i = 0; i < MEMP_MAX; i++) {
		const struct stats_mem *m = lwip_stats.memp[i];
		c[i] = (struct pool_copy){ m->used, m->max, memp_pools[i]->size, m->err };
	}
	c[MEMP_MAX] = (struct pool_copy){ lwip_stats.mem.used, lwip_stats.mem.max, 1,
					  lwip_stats.mem.err };
	net_unlock();
	for (int i = 0; i < MEMP_MAX; i++)
		fn(arg, pool_names[i], c[i].used, c[i].max, c[i].size, c[i].errors);
	fn(arg, "HEAP", c[MEMP_MAX].used, c[MEMP_MAX].max, 1, c[MEMP_MAX].errors);
}
