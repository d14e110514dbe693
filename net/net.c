/*
 * net/net.c — the network's bring-up: the one place where lwIP is started
 * and the device, the netif, the address, the poller and lwIP's timers
 * are put together.
 *
 * kmain calls net_init once, after every CPU is online and before the
 * app starts. Its order, each step in its own file (net_priv.h):
 *   1. lwIP itself: sys_init (seeds LWIP_RAND, which lwip_init already
 *      uses), lwip_init (pools and heap carved at the sizes kmain's
 *      net_limits_plan chose from the memory, net/limits.c; the loopback
 *      netif), then the small receive buffers (rx_small.c, counted from
 *      the same limits). This happens even
 *      with net=off or without a NIC: the loopback netif serves 127.0.0.1
 *      and the in-guest lwIP suites use it.
 *   2. the NIC: the first device netdev_probe brought up (netdev.c:
 *      virtio-net, then e1000/e1000e; in poll mode, its interrupt
 *      masked: nothing flows yet); with none, a line naming the network
 *      devices seen, and net_have_nic() stays false (kmain then starts no
 *      app: nothing could reach it);
 *   3. the netif on it (netif.c), and its addresses: IPv4 (ipconfig.c,
 *      ip=/gw= or DHCP) and IPv6 (ipconfig6.c: link-local, SLAAC,
 *      ip6=/gw6=) — under the net lock, as every lwIP call;
 *   4. the poller (poller.c): registered with the runtime, the device's
 *      interrupt callback set, a first pass kicked that enables the
 *      interrupt — from here frames flow;
 *   5. the net-timers task (timers.c): lwIP's timers, the watchdog.
 * net=off stops after 1 and leaves the NIC to the driver tests.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/kcmdline.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "net/net.h"
#include "net/net_priv.h"
#include "net/netlock.h"
#include "net/netdev.h"

CMDLINE_KEY(key_net, "net", "net=off leaves the network device alone (driver tests)");

static struct netif nif;
static bool have_nic;

void net_init(void)
{
	net_lock();
	sys_init();
	lwip_heap_at_boot();
	lwip_init();
	rx_small_init();
	net_unlock();
	dns_start();
	const char *opt = kcmdline_str(&key_net);
	if (opt && !strcmp(opt, "off")) {
		printf("net: off (net=off)\n");
		return;
	}
	struct netdev *dev = netdev_probe();
	if (!dev)
		return;			/* netdev_probe said what it saw */
	have_nic = true;
	net_lock();
	netif_glue_add(&nif, dev);
	ipconfig_start(&nif);
	ipconfig6_start(&nif);
	net_unlock();
	poller_start(dev, &nif);
	net_timers_start(&nif);
}

bool net_have_nic(void)
{
	return have_nic;
}

bool net_is_off(void)
{
	const char *opt = kcmdline_str(&key_net);
	return opt && !strcmp(opt, "off");
}
