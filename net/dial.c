/*
 * net/dial.c — outgoing TCP connections: net_dial and net_dial_addr
 * (net/conn.h), Go's net.Dialer with a deadline.
 *
 * One attempt (net_dial_addr): under the net lock, route.c says whether
 * the address can be reached at all (-ENETUNREACH at once otherwise: lwIP
 * would send the SYN into the void); a connection from the pool gets a
 * pcb of the address's family and tcp_connect sends the SYN. The dialer
 * parks on the connection's write queue, as a writer would, until:
 *   - lwIP's connected callback: the connection is handed out, one
 *     reference, exactly as an accepted one;
 *   - lwIP's err callback (conn.c's on_err sees c->connecting): a reset
 *     is -ECONNREFUSED, lwIP giving up its SYN (7 tries, 3 s apart) is a
 *     timeout;
 *   - the deadline: the pcb is aborted.
 * A timeout is -EHOSTUNREACH when the next hop never resolved (no ARP or
 * neighbor entry: nobody is there, as Linux reports it), else
 * -ETIMEDOUT (the host is there and ignored the SYN).
 *
 * By name (net_dial): host:port split (net/addr.h), the host resolved
 * (net/dns.h: literals at once, else A and AAAA), then each address tried
 * in the resolver's order — IPv6 first when the machine has a global
 * IPv6 address — with Go's partial deadlines: each attempt gets the time
 * left divided by the addresses left, at least 2 s (or all that is left).
 * The first attempt's error is returned, as Go does.
 */
#include <errno.h>
#include <string.h>
#include "lwip/tcp.h"
#include "net/addr_lwip.h"
#include "net/conn_priv.h"
#include "net/dns.h"
#include "net/net_priv.h"
#include "net/netlock.h"

#define DIAL_MAX_ADDRS 4
#define DIAL_MIN_SHARE 2000000000ull	/* Go's saneMinimum: 2 s */

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct conn *c = arg;
	(void)pcb, (void)err;		/* lwIP calls this on success only */
	if (c) {
		c->connecting = false;
		struct waiter *w;
		while ((w = waitq_claim(&c->wrq)))
			task_wake(w->t);
	}
	return ERR_OK;
}

/* Wait for the SYN's answer; 0, or the error (c's pcb is gone then).
   Net lock held. */
static int await_connect(struct conn *c, const ip_addr_t *ip, uint64_t deadline)
{
	for (;;) {
		if (c->err)
			return c->err == -ETIMEDOUT && !route_next_hop_known(ip) ? -EHOSTUNREACH : c->err;
		if (!c->connecting)
			return 0;
		if (conn_past(deadline)) {
			int r = route_next_hop_known(ip) ? -ETIMEDOUT : -EHOSTUNREACH;
			conn_detach(c, true);
			return r;
		}
		uint64_t dl = deadline;
		conn_wait(&c->wrq, &dl, dl, &c->wr_parked, "dial");
	}
}

int net_dial_addr(const struct net_addr *a, uint64_t deadline, struct conn **out)
{
	if ((a->family != NET_AF_INET && a->family != NET_AF_INET6) || a->port == 0)
		return -EINVAL;
	struct net_addr to = *a;
	if (net_ip_is_unspecified(&to)) {	/* Go: the local system */
		static const uint8_t lo6[16] = { [15] = 1 };
		to = to.family == NET_AF_INET ? net_addr_ip4(127, 0, 0, 1, a->port)
					      : net_addr_ip6(lo6, 0, a->port);
	}
	if (conn_past(deadline))
		return -ETIMEDOUT;
	ip_addr_t ip;
	int r;
	net_lock();
	addr_to_lwip(&to, &ip);
	struct conn *c = NULL;
	struct tcp_pcb *pcb = NULL;
	if ((r = route_check(&ip)))
		goto fail;
	r = -ENOMEM;
	if (!(c = conn_get()) || !(pcb = tcp_new_ip_type(IP_GET_TYPE(&ip))))
		goto fail;
	conn_attach(c, pcb);
	c->connecting = true;
	err_t e = tcp_connect(pcb, &ip, to.port, on_connected);
	if (e != ERR_OK) {
		conn_detach(c, true);
		r = conn_errno(e);
		goto fail;
	}
	if ((r = await_connect(c, &ip, deadline)))
		goto fail;
	net_stats.dialed++;
	net_unlock();
	*out = c;
	return 0;
fail:
	if (c)
		conn_put(c);
	net_stats.dial_errors++;
	net_unlock();
	return r;
}

/* The deadline of one attempt of `left`: Go's partialDeadline. */
static uint64_t share(uint64_t deadline, int left)
{
	if (!deadline)
		return 0;
	uint64_t now = time_ns();
	if (now >= deadline)
		return now;
	uint64_t rest = deadline - now, t = rest / (uint64_t)left;
	if (t < DIAL_MIN_SHARE)
		t = rest < DIAL_MIN_SHARE ? rest : DIAL_MIN_SHARE;
	return now + t;
}

int net_dial(const char *network, const char *address, uint64_t deadline, struct conn **out)
{
	int family;
	if (!network || !address)
		return -EINVAL;
	if (!strcmp(network, "tcp"))
		family = NET_AF_UNSPEC;
	else if (!strcmp(network, "tcp4"))
		family = NET_AF_INET;
	else if (!strcmp(network, "tcp6"))
		family = NET_AF_INET6;
	else
		return -EINVAL;
	char host[NET_HOST_MAX + 1];
	uint16_t port;
	if (net_split_hostport(address, host, sizeof host, &port) || port == 0)
		return -EINVAL;
	struct net_addr addrs[DIAL_MAX_ADDRS];
	int n = net_resolve(host[0] ? host : "localhost", family, addrs, DIAL_MAX_ADDRS, deadline);
	if (n < 0) {
		net_lock();
		net_stats.dial_errors++;
		net_unlock();
		return n;
	}
	int first = 0;
	for (int i = 0; i < n; i++) {
		addrs[i].port = port;
		int r = net_dial_addr(&addrs[i], share(deadline, n - i), out);
		if (r == 0)
			return 0;
		if (!first)
			first = r;
		if (conn_past(deadline))
			break;
	}
	return first;
}
