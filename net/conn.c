/*
 * net/conn.c — blocking connections on lwIP's raw API.
 *
 * lwIP runs its callbacks (recv, sent, err, accept) under the net lock,
 * from the poller or from a task's own lwIP call; they never block: they
 * attach data, record state and ready the parked task. A task blocks the
 * park/ready way (runtime/park.h): it holds the net lock while it checks
 * the connection and queues its waiter, and the lock is released only
 * once the task is parked, so a callback can never miss it.
 *
 * Flow control: received pbufs stay queued on the connection and the
 * receive window is reopened (tcp_recved) only as the task reads them, so
 * a slow reader slows the sender instead of filling memory. Writes queue
 * what the send buffer takes and park until lwIP reports acknowledged
 * data (sent callback).
 *
 * Connections come from a fixed pool (no heap on the data path); an
 * exhausted pool refuses new connections with a reset, counted.
 */
#include <errno.h>
#include <string.h>
#include "kernel/panic.h"
#include "lwip/tcp.h"
#include "net/conn.h"
#include "net/netlock.h"
#include "runtime/park.h"

#define CONN_MAX 16384

struct conn {
	struct tcp_pcb *pcb;		/* NULL once lwIP freed it or we let go */
	struct pbuf *rx;		/* received, not yet read */
	uint16_t rx_off;		/* bytes of rx's first pbuf already read */
	bool rx_eof;			/* the peer sent FIN */
	bool wr_shut;			/* we sent FIN */
	bool in_use;
	int err;			/* sticky error from lwIP, negative errno */
	struct waitq rdq, wrq;		/* the parked reader / writer */
	uint64_t rd_deadline, wr_deadline;
	struct conn *next;		/* accept queue or free list */
	struct listener *lst;		/* while waiting in an accept queue */
};

struct listener {
	struct tcp_pcb *pcb;
	struct conn *head, *tail;	/* accepted by lwIP, not yet by the app */
	int qlen, backlog;
	bool closed;
	struct waitq acq;
};

/* Everything below is under the net lock. */
static struct conn pool[CONN_MAX];
static struct conn *free_list;
static bool pool_ready;
static struct net_conn_stats stats;

static void pool_init(void)
{
	for (int i = CONN_MAX - 1; i >= 0; i--) {
		pool[i].next = free_list;
		free_list = &pool[i];
	}
	pool_ready = true;
}

static struct conn *conn_get(void)
{
	if (!pool_ready)
		pool_init();
	struct conn *c = free_list;
	if (!c)
		return NULL;
	free_list = c->next;
	memset(c, 0, sizeof *c);
	c->in_use = true;
	stats.open++;
	return c;
}

static void conn_put(struct conn *c)
{
	if (c->rx)
		pbuf_free(c->rx);
	c->rx = NULL;
	c->in_use = false;
	c->next = free_list;
	free_list = c;
	stats.open--;
}

static int lwip_errno(err_t e)
{
	switch (e) {
	case ERR_RST: return -ECONNRESET;
	case ERR_ABRT: return -ECONNABORTED;
	case ERR_CLSD: return -EPIPE;
	case ERR_MEM: return -ENOMEM;
	case ERR_CONN: return -ENOTCONN;
	case ERR_TIMEOUT: return -ETIMEDOUT;
	default: return -EIO;
	}
}

static void wake_all(struct waitq *q)
{
	struct waiter *w;
	while ((w = waitq_claim(q)))
		task_wake(w->t);
}

/* ---- lwIP callbacks (net lock held) ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;
	(void)pcb;
	if (!c) {			/* closed by us meanwhile */
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p || err != ERR_OK) {
		c->rx_eof = true;
		if (p)
			pbuf_free(p);
	} else if (c->rx) {
		pbuf_cat(c->rx, p);
	} else {
		c->rx = p;
		c->rx_off = 0;
	}
	wake_all(&c->rdq);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;
	(void)pcb, (void)len;
	if (c)
		wake_all(&c->wrq);
	return ERR_OK;
}

/* lwIP has freed the pcb (reset, abort, or a fatal error). */
static void on_err(void *arg, err_t err)
{
	struct conn *c = arg;
	if (!c)
		return;
	c->pcb = NULL;
	c->err = lwip_errno(err);
	stats.resets++;
	if (c->lst) {			/* not accepted yet: just mark it */
		wake_all(&c->lst->acq);
		return;
	}
	wake_all(&c->rdq);
	wake_all(&c->wrq);
}

static void attach(struct conn *c, struct tcp_pcb *pcb)
{
	c->pcb = pcb;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_nagle_disable(pcb);		/* request/response traffic */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct listener *l = arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	struct conn *c = l->closed || l->qlen >= l->backlog ? NULL : conn_get();
	if (!c) {
		stats.refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	attach(c, pcb);
	c->lst = l;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->qlen++;
	wake_all(&l->acq);
	return ERR_OK;
}

/* ---- waiting ---- */

/* Park on q until woken or `deadline`; the net lock is held on entry and
   on return. Returns true when the deadline passed first. */
static bool wait_on(struct waitq *q, uint64_t deadline, const char *why)
{
	struct waiter w = { .t = task_self(), .seq = task_park_prepare() };
	waitq_push(q, &w);
	bool timed_out;
	if (deadline)
		timed_out = task_park_until(why, net_park_unlock, NULL, deadline);
	else {
		task_park(why, net_park_unlock, NULL);
		timed_out = false;
	}
	net_lock();
	waitq_remove(q, &w);
	return timed_out;
}

static bool past(uint64_t deadline)
{
	return deadline && time_ns() >= deadline;
}

/* ---- listeners ---- */

int net_listen(uint16_t port, int backlog, struct listener **out)
{
	static struct listener listeners[16];
	net_lock();
	struct listener *l = NULL;
	for (int i = 0; i < 16 && !l; i++)
		if (!listeners[i].pcb)
			l = &listeners[i];
	struct tcp_pcb *pcb = l ? tcp_new_ip_type(IPADDR_TYPE_V4) : NULL;
	if (!pcb) {
		net_unlock();
		return -ENOMEM;
	}
	err_t e = tcp_bind(pcb, IP4_ADDR_ANY, port);
	if (e != ERR_OK) {
		tcp_close(pcb);
		net_unlock();
		return e == ERR_USE ? -EADDRINUSE : lwip_errno(e);
	}
	struct tcp_pcb *lp = tcp_listen_with_backlog(pcb, backlog > 255 ? 255 : (u8_t)backlog);
	if (!lp) {
		tcp_close(pcb);
		net_unlock();
		return -ENOMEM;
	}
	memset(l, 0, sizeof *l);
	l->pcb = lp;
	l->backlog = backlog;
	tcp_arg(lp, l);
	tcp_accept(lp, on_accept);
	net_unlock();
	*out = l;
	return 0;
}

int net_accept_until(struct listener *l, struct conn **out, uint64_t deadline)
{
	net_lock();
	for (;;) {
		struct conn *c = l->head;
		if (c) {
			l->head = c->next;
			if (!l->head)
				l->tail = NULL;
			l->qlen--;
			c->next = NULL;
			c->lst = NULL;
			stats.accepted++;
			net_unlock();
			*out = c;
			return 0;
		}
		if (l->closed) {
			net_unlock();
			return -EBADF;
		}
		if (past(deadline) || wait_on(&l->acq, deadline, "accept")) {
			net_unlock();
			return -ETIMEDOUT;
		}
	}
}

void net_listener_close(struct listener *l)
{
	net_lock();
	l->closed = true;
	tcp_accept(l->pcb, NULL);
	tcp_close(l->pcb);
	l->pcb = NULL;
	while (l->head) {
		struct conn *c = l->head;
		l->head = c->next;
		if (c->pcb) {
			tcp_arg(c->pcb, NULL);
			tcp_abort(c->pcb);
		}
		conn_put(c);
	}
	l->tail = NULL;
	l->qlen = 0;
	wake_all(&l->acq);
	net_unlock();
}

/* ---- reading and writing ---- */

/* Copy up to len queued bytes out, freeing what is consumed and opening
   the window by as much. Net lock held. */
static size_t take(struct conn *c, uint8_t *buf, size_t len)
{
	size_t n = 0;
	while (c->rx && n < len) {
		struct pbuf *p = c->rx;
		size_t avail = p->len - c->rx_off;
		size_t k = avail < len - n ? avail : len - n;
		memcpy(buf + n, (uint8_t *)p->payload + c->rx_off, k);
		n += k;
		c->rx_off += (uint16_t)k;
		if (c->rx_off == p->len) {
			c->rx = p->next;
			if (c->rx)
				pbuf_ref(c->rx);
			pbuf_free(p);	/* frees p alone: the rest holds its own ref */
			c->rx_off = 0;
		}
	}
	if (n && c->pcb)
		tcp_recved(c->pcb, (u16_t)n);
	stats.bytes_in += n;
	return n;
}

ssize_t conn_read(struct conn *c, void *buf, size_t len)
{
	if (len > 0xffff)
		len = 0xffff;		/* tcp_recved takes 16 bits */
	net_lock();
	for (;;) {
		if (c->rx) {
			size_t n = take(c, buf, len);
			net_unlock();
			return (ssize_t)n;
		}
		if (c->rx_eof) {
			net_unlock();
			return 0;
		}
		if (c->err || !c->pcb) {
			int e = c->err ? c->err : -ENOTCONN;
			net_unlock();
			return e;
		}
		if (len == 0) {
			net_unlock();
			return 0;
		}
		if (past(c->rd_deadline) || wait_on(&c->rdq, c->rd_deadline, "conn read")) {
			stats.timeouts++;
			net_unlock();
			return -ETIMEDOUT;
		}
	}
}

ssize_t conn_write(struct conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0;
	net_lock();
	while (done < len) {
		if (c->err || !c->pcb || c->wr_shut) {
			int e = c->err ? c->err : -EPIPE;
			net_unlock();
			return e;
		}
		size_t room = tcp_sndbuf(c->pcb);
		if (room && tcp_sndqueuelen(c->pcb) < TCP_SND_QUEUELEN) {
			size_t k = len - done < room ? len - done : room;
			if (k > 0xffff)
				k = 0xffff;
			err_t e = tcp_write(c->pcb, p + done, (u16_t)k,
					    TCP_WRITE_FLAG_COPY | (done + k < len ? TCP_WRITE_FLAG_MORE : 0));
			if (e == ERR_OK) {
				done += k;
				stats.bytes_out += k;
				continue;
			}
			if (e != ERR_MEM) {
				net_unlock();
				return lwip_errno(e);
			}
		}
		/* Full: push out what is queued and wait for acknowledgments. */
		tcp_output(c->pcb);
		if (past(c->wr_deadline) || wait_on(&c->wrq, c->wr_deadline, "conn write")) {
			stats.timeouts++;
			net_unlock();
			return -ETIMEDOUT;
		}
	}
	if (c->pcb)
		tcp_output(c->pcb);
	net_unlock();
	return (ssize_t)len;
}

int conn_shutdown_write(struct conn *c)
{
	net_lock();
	int r = 0;
	if (c->pcb && !c->wr_shut) {
		err_t e = tcp_shutdown(c->pcb, 0, 1);
		r = e == ERR_OK ? 0 : lwip_errno(e);
	}
	c->wr_shut = true;
	net_unlock();
	return r;
}

static void release(struct conn *c, bool reset)
{
	net_lock();
	if (c->pcb) {
		struct tcp_pcb *pcb = c->pcb;
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
		if (reset || tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
		c->pcb = NULL;
	}
	conn_put(c);
	net_unlock();
}

void conn_close(struct conn *c) { release(c, false); }
void conn_abort(struct conn *c) { release(c, true); }

void conn_set_read_deadline(struct conn *c, uint64_t d) { c->rd_deadline = d; }
void conn_set_write_deadline(struct conn *c, uint64_t d) { c->wr_deadline = d; }

int conn_peer(struct conn *c, uint32_t *addr, uint16_t *port)
{
	net_lock();
	int r = -ENOTCONN;
	if (c->pcb) {
		*addr = ip4_addr_get_u32(ip_2_ip4(&c->pcb->remote_ip));
		*port = c->pcb->remote_port;
		r = 0;
	}
	net_unlock();
	return r;
}

void net_conn_stats(struct net_conn_stats *out)
{
	net_lock();
	*out = stats;
	net_unlock();
}
