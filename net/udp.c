/*
 * net/udp.c — blocking UDP sockets on lwIP's raw API (net/udp.h).
 *
 * A socket is one dual-stack udp_pcb (IPADDR_TYPE_ANY, bound to every
 * address) and a queue of received datagrams. lwIP's recv callback runs
 * under the net lock: it appends the datagram (the pbuf lwIP handed over,
 * and the sender) to the queue, or drops it when the queue is at its
 * limit or the node pool is empty — counted, never blocking — and wakes
 * one parked reader: each datagram is for one reader, and a reader that
 * finds the queue emptied by another simply parks again.
 *
 * Queue nodes come from one pool (net_limits.udp_nodes, 48 B each, carved
 * at the first datagram), shared by every socket; the datagrams themselves stay in lwIP's pbufs (PBUF_POOL for
 * frames from the NIC), so a socket's limit bounds what a flood can pin.
 *
 * Lifetime and close follow conn.c's protocol (its essay): references
 * (udp_release gives one back without closing, unless it is the last),
 * the first close ends the socket (the pcb removed, the queue freed,
 * every parked reader woken, -EBADF from then on), the last one frees
 * it. Deadlines are read by each reader at the top of its loop; a setter
 * takes the net lock and wakes all parked readers, which look again.
 * (UDP apps set deadlines rarely enough that conn.c's lock-free fast
 * path is not worth its subtlety here.)
 */
#include <errno.h>
#include <string.h>
#include "kernel/page.h"
#include "kernel/panic.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"
#include "net/addr_lwip.h"
#include "net/conn.h"
#include "net/limits.h"
#include "net/net_priv.h"
#include "net/netlock.h"
#include "net/udp.h"
#include "runtime/park.h"

#define UDP_SOCKS	32		/* + the resolver's ports <= MEMP_NUM_UDP_PCB */
#define UDP_QUEUE_MAX	4096

struct dgram {
	struct dgram *next;
	struct pbuf *p;
	ip_addr_t from;
	uint16_t port;
};

struct udp_sock {
	struct udp_pcb *pcb;
	struct dgram *head, *tail;
	unsigned qlen, qmax;
	unsigned refs;
	bool in_use, closed;
	struct waitq rdq;
	uint64_t rd_deadline, wr_deadline;
	struct udp_sock_stats st;
};

_Static_assert(sizeof(struct dgram) <= NET_UDP_NODE_BYTES, "net/limits.c plans too little per node");

/* Everything below is under the net lock. */
static struct udp_sock socks[UDP_SOCKS];
static struct dgram *nodes, *free_nodes;
static bool nodes_ready;

static struct dgram *node_get(void)
{
	if (!nodes_ready) {
		uint64_t n = net_limits.udp_nodes;
		uint64_t pa = page_alloc_contig((n * sizeof *nodes + 4095) / 4096);
		if (!pa)
			panic("udp: no memory for %llu queue nodes", (unsigned long long)n);
		nodes = (struct dgram *)(uintptr_t)pa;
		for (int i = (int)n - 1; i >= 0; i--) {
			nodes[i].next = free_nodes;
			free_nodes = &nodes[i];
		}
		nodes_ready = true;
	}
	struct dgram *d = free_nodes;
	if (d)
		free_nodes = d->next;
	return d;
}

static void node_put(struct dgram *d)
{
	pbuf_free(d->p);
	d->p = NULL;
	d->next = free_nodes;
	free_nodes = d;
}

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		    u16_t port)
{
	struct udp_sock *s = arg;
	struct dgram *d;
	(void)pcb;
	if (!s || s->closed || s->qlen >= s->qmax || !(d = node_get())) {
		pbuf_free(p);
		net_stats.udp_rx_dropped++;
		if (s)
			s->st.rx_dropped++;
		return;
	}
	*d = (struct dgram){ NULL, p, *addr, port };
	if (s->tail)
		s->tail->next = d;
	else
		s->head = d;
	s->tail = d;
	s->qlen++;
	struct waiter *w = waitq_claim(&s->rdq);
	if (w)
		task_wake(w->t);
}

static void wake_readers(struct udp_sock *s)
{
	struct waiter *w;
	while ((w = waitq_claim(&s->rdq)))
		task_wake(w->t);
}

int net_listen_udp(uint16_t port, struct udp_sock **out)
{
	net_lock();
	struct udp_sock *s = NULL;
	for (int i = 0; i < UDP_SOCKS && !s; i++)
		if (!socks[i].in_use)
			s = &socks[i];
	struct udp_pcb *pcb = s ? udp_new_ip_type(IPADDR_TYPE_ANY) : NULL;
	if (!pcb) {
		net_unlock();
		return -ENOMEM;
	}
	err_t e = udp_bind(pcb, IP_ANY_TYPE, port);
	if (e != ERR_OK) {
		udp_remove(pcb);
		net_unlock();
		return e == ERR_USE ? -EADDRINUSE : -ENOMEM;
	}
	memset(s, 0, sizeof *s);
	s->pcb = pcb;
	s->in_use = true;
	s->refs = 1;
	s->qmax = UDP_QUEUE_DEFAULT;
	udp_recv(pcb, on_recv, s);
	net_stats.udp_open++;
	net_unlock();
	*out = s;
	return 0;
}

static bool past(uint64_t deadline)
{
	return deadline && time_ns() >= deadline;
}

ssize_t udp_read_from(struct udp_sock *s, void *buf, size_t len, struct net_addr *from)
{
	net_lock();
	for (;;) {
		uint64_t dl = s->rd_deadline;
		ssize_t r;
		if (s->closed) {
			r = -EBADF;
		} else if (past(dl)) {
			r = -ETIMEDOUT;
		} else if (s->head) {
			struct dgram *d = s->head;
			s->head = d->next;
			if (!s->head)
				s->tail = NULL;
			s->qlen--;
			size_t n = d->p->tot_len < len ? d->p->tot_len : len;
			r = (ssize_t)pbuf_copy_partial(d->p, buf, (u16_t)n, 0);
			if (from)
				addr_from_lwip(&d->from, d->port, from);
			node_put(d);
			s->st.rx++;
			net_stats.udp_rx++;
		} else {
			struct waiter w = { .t = task_self(), .seq = task_park_prepare() };
			waitq_push(&s->rdq, &w);
			if (dl)
				task_park_until("udp read", net_park_unlock, NULL, dl);
			else
				task_park("udp read", net_park_unlock, NULL);
			net_lock();
			waitq_remove(&s->rdq, &w);
			continue;
		}
		net_unlock();
		return r;
	}
}

ssize_t udp_write_to(struct udp_sock *s, const void *buf, size_t len, const struct net_addr *to)
{
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if ((to->family != NET_AF_INET && to->family != NET_AF_INET6) || to->port == 0)
		return -EINVAL;
	net_lock();
	ssize_t r;
	struct pbuf *p = NULL;
	ip_addr_t ip;
	addr_to_lwip(to, &ip);
	if (s->closed) {
		r = -EBADF;
	} else if (past(s->wr_deadline)) {
		r = -ETIMEDOUT;
	} else if (!(p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM))) {
		r = -ENOBUFS;
	} else {
		pbuf_take(p, buf, (u16_t)len);
		err_t e = udp_sendto(s->pcb, p, &ip, to->port);
		r = e == ERR_OK ? (ssize_t)len : e == ERR_RTE ? -ENETUNREACH
					    : e == ERR_MEM || e == ERR_BUF ? -ENOBUFS : -EINVAL;
	}
	if (p)
		pbuf_free(p);
	if (r >= 0) {
		s->st.tx++;
		net_stats.udp_tx++;
	} else if (r != -EBADF) {
		net_stats.udp_tx_errors++;
	}
	net_unlock();
	return r;
}

void udp_set_read_deadline(struct udp_sock *s, uint64_t d)
{
	net_lock();
	s->rd_deadline = d;
	wake_readers(s);
	net_unlock();
}

void udp_set_write_deadline(struct udp_sock *s, uint64_t d)
{
	net_lock();
	s->wr_deadline = d;
	net_unlock();
}

int udp_set_queue_limit(struct udp_sock *s, unsigned n)
{
	if (n < 1 || n > UDP_QUEUE_MAX)
		return -EINVAL;
	net_lock();
	s->qmax = n;
	net_unlock();
	return 0;
}

int udp_local(struct udp_sock *s, struct net_addr *out)
{
	net_lock();
	int r = -EBADF;
	if (!s->closed) {
		if (IP_IS_ANY_TYPE_VAL(s->pcb->local_ip))	/* both families: "::" */
			*out = (struct net_addr){ .family = NET_AF_INET6, .port = s->pcb->local_port };
		else
			addr_from_lwip(&s->pcb->local_ip, s->pcb->local_port, out);
		r = 0;
	}
	net_unlock();
	return r;
}

struct udp_sock *udp_ref(struct udp_sock *s)
{
	net_lock();
	if (!s->in_use || !s->refs)
		panic("udp_ref: socket %p is not in use", (void *)s);
	s->refs++;
	net_unlock();
	return s;
}

static void release(struct udp_sock *s, bool end)
{
	net_lock();
	if (!s->in_use || !s->refs)
		panic("udp_close: socket %p closed more often than referenced", (void *)s);
	if (!s->closed && (end || s->refs == 1)) {
		s->closed = true;
		udp_remove(s->pcb);
		s->pcb = NULL;
		while (s->head) {
			struct dgram *d = s->head;
			s->head = d->next;
			node_put(d);
		}
		s->tail = NULL;
		s->qlen = 0;
		wake_readers(s);
		net_stats.udp_open--;
	}
	if (--s->refs == 0)
		s->in_use = false;
	net_unlock();
}

void udp_close(struct udp_sock *s) { release(s, true); }
void udp_release(struct udp_sock *s) { release(s, false); }

void udp_sock_stats(struct udp_sock *s, struct udp_sock_stats *out)
{
	net_lock();
	*out = s->st;
	out->queued = s->qlen;
	net_unlock();
}
