/*
 * net/conn.c — blocking connections on lwIP's raw API: listeners,
 * accepted connections, reads, writes, deadlines and the end of a
 * connection. Outgoing connections are dial.c; both use the connection
 * of conn_priv.h.
 *
 * lwIP runs its callbacks (recv, sent, err, accept, connected) under the
 * net lock, from the poller or from a task's own lwIP call; they never
 * block: they attach data, record state and ready the parked task. A task
 * blocks the park/ready way (runtime/park.h): it holds the net lock while
 * it checks the connection and queues its waiter, and the lock is
 * released only once the task is parked, so a callback can never miss it.
 *
 * Flow control: received pbufs stay queued on the connection and the
 * receive window is reopened (tcp_recved) only as the task reads them, so
 * a slow reader slows the sender instead of filling memory. Writes queue
 * what the send buffer takes and park until lwIP reports acknowledged
 * data (sent callback).
 *
 * Send memory is shared. lwIP's heap (the copies of queued data) and its
 * segment pool serve every connection, so tcp_write can fail (ERR_MEM)
 * on a connection with nothing in flight: no acknowledgment of its own
 * will come to wake it. Such a writer parks on mem_waiters instead, and
 * memory given back by any connection wakes it: each sent callback (data
 * acknowledged, its copies freed) wakes the oldest one, and a woken
 * writer that gets its data queued passes the turn to the next, so a
 * burst of frees reaches as many writers as it can serve without waking
 * all of them on every acknowledgment. A close or a reset (memory freed
 * at once, or the waiter's own connection ended) and a moved write
 * deadline wake them all: each looks at its own connection again. (Seen
 * with 100 keep-alive clients of an 8 MiB guest, whose 256 KiB heap 100
 * answers fill: the writers left over slept until their write deadline,
 * and the server closed their connections.)
 *
 * References and the end of a connection. Go lets any goroutine Close a
 * net.Conn while another is blocked in Read; C must also say when the
 * memory goes. The protocol, all under the net lock:
 *   - c->refs counts references: 1 from accept or dial, +1 per conn_ref.
 *     Every reference is given back by one conn_close, conn_abort or
 *     conn_release (which ends the connection only as the last one).
 *   - The first close (c->closed false → true) ends the connection: the
 *     pcb is let go (tcp_close, or tcp_abort), unread data is freed, and
 *     the parked reader and writer are woken. Every call checks c->closed
 *     first thing after taking the lock, and again each time it wakes, so
 *     a woken or later call returns -EBADF and touches nothing else.
 *   - The close that takes refs to 0 puts c back in the pool.
 * A task inside conn_read holds a reference of its own (the rule of
 * conn.h: a task uses c only while it holds one), so the connection it
 * sleeps on cannot be freed under it: a close from another task drops
 * that task's reference only. Nothing else holds a pointer to c: lwIP's
 * tcp_arg is cleared by the first close, and waiters live on the parked
 * tasks' stacks.
 *
 * Deadlines set while a call is blocked. A reader parks with the deadline
 * it read (a timer wakes it then); a setter that moves the deadline must
 * make it look again. Setters do not take the net lock when no one is
 * parked (the common case: httpd sets a deadline before each read), so
 * the two sides meet as in a Dekker handshake, with sequentially
 * consistent operations:
 *	reader (lock held)                   setter (no lock)
 *	queue waiter; rd_parked = 1          rd_deadline = d
 *	if (rd_deadline != dl) don't park    if (rd_parked) lock, wake reader
 * At least one side sees the other's store: either the reader sees the
 * new deadline and loops instead of parking, or the setter sees the flag
 * and wakes it (under the lock, which the reader holds until it is fully
 * parked, so the wake-up cannot be lost). A woken reader re-reads the
 * deadline at the top of its loop: past → -ETIMEDOUT, otherwise it parks
 * again with the new one.
 *
 * Connections come from a fixed pool (no heap on the data path); an
 * exhausted pool refuses new connections with a reset, counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kernel/page.h"
#include "kernel/panic.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "net/addr_lwip.h"
#include "net/conn_priv.h"
#include "net/limits.h"
#include "net/net_priv.h"
#include "net/netlock.h"


struct listener {
	struct tcp_pcb *pcb;
	struct conn *head, *tail;	/* accepted by lwIP, not yet by the app */
	int qlen, backlog;
	bool closed;
	struct waitq acq;
};

/* Everything below is under the net lock. */
static struct conn *pool;		/* net_limits.conn_pool of them */
static struct conn *free_list;
static bool pool_ready;
static struct waitq mem_waiters;	/* writers that found send memory used up */
struct net_conn_stats net_stats;

/* Carved once from the pages net_limits_plan set aside. */
static void pool_init(void)
{
	uint64_t n = net_limits.conn_pool;
	uint64_t pa = page_alloc_contig((n * sizeof *pool + 4095) / 4096);
	if (!pa)
		panic("conn: no memory for %llu connections", (unsigned long long)n);
	pool = (struct conn *)(uintptr_t)pa;
	for (int i = (int)n - 1; i >= 0; i--) {
		pool[i].next = free_list;
		free_list = &pool[i];
	}
	pool_ready = true;
}

struct conn *conn_get(void)
{
	if (!pool_ready)
		pool_init();
	struct conn *c = free_list;
	if (!c)
		return NULL;
	free_list = c->next;
	memset(c, 0, sizeof *c);
	c->in_use = true;
	c->refs = 1;
	net_stats.open++;
	return c;
}

static void free_rx(struct conn *c)
{
	if (c->rx)
		pbuf_free(c->rx);
	c->rx = NULL;
}

void conn_put(struct conn *c)
{
	if (!c->in_use)
		panic("conn_put: connection %p is not in use", (void *)c);
	free_rx(c);
	c->in_use = false;
	c->next = free_list;
	free_list = c;
	net_stats.open--;
}

int conn_errno(err_t e)
{
	switch (e) {
	case ERR_RST: return -ECONNRESET;
	case ERR_ABRT: return -ECONNABORTED;
	case ERR_CLSD: return -EPIPE;
	case ERR_MEM: return -ENOMEM;
	case ERR_BUF: return -ENOBUFS;
	case ERR_CONN: return -ENOTCONN;
	case ERR_TIMEOUT: return -ETIMEDOUT;
	case ERR_RTE: return -ENETUNREACH;
	case ERR_USE: return -EADDRINUSE;
	case ERR_VAL: case ERR_ARG: return -EINVAL;
	default: return -EIO;
	}
}

static void wake_all(struct waitq *q)
{
	struct waiter *w;
	while ((w = waitq_claim(q)))
		task_wake(w->t);
}

/* Memory came back: the oldest writer waiting for it tries again. */
static void wake_mem_waiter(void)
{
	struct waiter *w = waitq_claim(&mem_waiters);
	if (w)
		task_wake(w->t);
}

/* c's writer must look at c again (closed, reset, a deadline moved),
   wherever it waits; a close or reset also gave memory back. */
static void wake_writers(struct conn *c)
{
	wake_all(&c->wrq);
	if (!waitq_empty(&mem_waiters))
		wake_all(&mem_waiters);
}

void conn_wait(struct waitq *q, const uint64_t *dlp, uint64_t dl, uint8_t *parked,
	       const char *why)
{
	struct waiter w = { .t = task_self(), .seq = task_park_prepare() };
	waitq_push(q, &w);
	a_store(parked, 1);
	if (a_load(dlp) == dl) {	/* else a setter moved it: look again */
		if (dl)
			task_park_until(why, net_park_unlock, NULL, dl);
		else
			task_park(why, net_park_unlock, NULL);
		net_lock();
	}
	a_store(parked, 0);
	waitq_remove(q, &w);
}

/* A deadline moved: make a parked reader or writer look at it (a writer
   may be waiting for memory instead). */
static void set_deadline(uint64_t *dlp, uint8_t *parked, struct waitq *q, uint64_t d,
			 bool writer)
{
	a_store(dlp, d);
	if (!a_load(parked))
		return;
	net_lock();
	wake_all(q);
	if (writer && !waitq_empty(&mem_waiters))
		wake_all(&mem_waiters);
	net_unlock();
}

void conn_set_read_deadline(struct conn *c, uint64_t d)
{
	set_deadline(&c->rd_deadline, &c->rd_parked, &c->rdq, d, false);
}

void conn_set_write_deadline(struct conn *c, uint64_t d)
{
	set_deadline(&c->wr_deadline, &c->wr_parked, &c->wrq, d, true);
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
	wake_mem_waiter();		/* acknowledged data's copies were freed */
	return ERR_OK;
}

/* lwIP has freed the pcb (reset, abort, or a fatal error). */
static void on_err(void *arg, err_t err)
{
	struct conn *c = arg;
	if (!c)
		return;
	c->pcb = NULL;
	if (c->connecting) {		/* a dial's answer: dial.c sorts it out */
		c->err = err == ERR_RST ? -ECONNREFUSED : err == ERR_ABRT ? -ETIMEDOUT
								      : conn_errno(err);
		wake_writers(c);
		return;
	}
	c->err = conn_errno(err);
	net_stats.resets++;
	if (c->lst) {			/* not accepted yet: just mark it */
		wake_all(&c->lst->acq);
		return;
	}
	wake_all(&c->rdq);
	wake_writers(c);
}

void conn_attach(struct conn *c, struct tcp_pcb *pcb)
{
	c->pcb = pcb;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_nagle_disable(pcb);		/* request/response traffic */
}

void conn_detach(struct conn *c, bool reset)
{
	struct tcp_pcb *pcb = c->pcb;
	if (!pcb)
		return;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	if (reset || tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
	c->pcb = NULL;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct listener *l = arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	struct conn *c = l->closed || l->qlen >= l->backlog ? NULL : conn_get();
	if (!c) {
		net_stats.refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	conn_attach(c, pcb);
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

/* ---- listeners ---- */

/* Park on q until woken or the deadline; the net lock is held on entry
   and on return. */
static void wait_plain(struct waitq *q, uint64_t deadline, const char *why)
{
	struct waiter w = { .t = task_self(), .seq = task_park_prepare() };
	waitq_push(q, &w);
	if (deadline)
		task_park_until(why, net_park_unlock, NULL, deadline);
	else
		task_park(why, net_park_unlock, NULL);
	net_lock();
	waitq_remove(q, &w);
}

int net_listen(uint16_t port, int backlog, struct listener **out)
{
	static struct listener listeners[16];
	net_lock();
	struct listener *l = NULL;
	for (int i = 0; i < 16 && !l; i++)
		if (!listeners[i].pcb)
			l = &listeners[i];
	struct tcp_pcb *pcb = l ? tcp_new_ip_type(IPADDR_TYPE_ANY) : NULL;
	if (!pcb) {
		net_unlock();
		return -ENOMEM;
	}
	err_t e = tcp_bind(pcb, IP_ANY_TYPE, port);
	if (e != ERR_OK) {
		tcp_close(pcb);
		net_unlock();
		return conn_errno(e);
	}
	/* lwIP's backlog is the SYN queue (16 bits wide by
	   net/lwip/patches/0001); ours, l->backlog, the accept queue. */
	struct tcp_pcb *lp = tcp_listen(pcb);
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
	uint16_t bound = lp->local_port;
	net_unlock();
	/* The line tools/run.sh waits for to forward a host port here. */
	printf("net: listening on TCP port %u\n", bound);
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
			net_stats.accepted++;
			net_unlock();
			*out = c;
			return 0;
		}
		if (l->closed) {
			net_unlock();
			return -EBADF;
		}
		if (conn_past(deadline)) {
			net_unlock();
			return -ETIMEDOUT;
		}
		wait_plain(&l->acq, deadline, "accept");
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
		conn_detach(c, true);
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
	net_stats.bytes_in += n;
	return n;
}

/* What a read of c returns now (into *r), or false when it must wait. */
static bool read_now(struct conn *c, void *buf, size_t len, uint64_t dl, ssize_t *r)
{
	if (c->closed)
		*r = -EBADF;
	else if (conn_past(dl))
		*r = -ETIMEDOUT, net_stats.timeouts++;
	else if (c->rx)
		*r = (ssize_t)take(c, buf, len);
	else if (c->rx_eof || len == 0)
		*r = 0;
	else if (c->err || !c->pcb)
		*r = c->err ? c->err : -ENOTCONN;
	else
		return false;
	return true;
}

ssize_t conn_read(struct conn *c, void *buf, size_t len)
{
	if (len > 0xffff)
		len = 0xffff;		/* tcp_recved takes 16 bits */
	ssize_t r;
	net_lock();
	for (;;) {
		uint64_t dl = a_load(&c->rd_deadline);
		if (read_now(c, buf, len, dl, &r))
			break;
		conn_wait(&c->rdq, &c->rd_deadline, dl, &c->rd_parked, "conn read");
	}
	net_unlock();
	return r;
}

/* Why c cannot take more data now: a negative errno, or 0. */
static int write_state(struct conn *c, uint64_t dl)
{
	if (c->closed)
		return -EBADF;
	if (c->err || !c->pcb || c->wr_shut)
		return c->err ? c->err : -EPIPE;
	if (conn_past(dl)) {
		net_stats.timeouts++;
		return -ETIMEDOUT;
	}
	return 0;
}

ssize_t conn_write(struct conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0;
	bool mem_turn = false;		/* woken from mem_waiters */
	net_lock();
	while (done < len) {
		uint64_t dl = a_load(&c->wr_deadline);
		int st = write_state(c, dl);
		if (st < 0) {
			net_unlock();
			return st;
		}
		bool no_mem = false;
		size_t room = tcp_sndbuf(c->pcb);
		if (room && tcp_sndqueuelen(c->pcb) < TCP_SND_QUEUELEN) {
			size_t k = len - done < room ? len - done : room;
			if (k > 0xffff)
				k = 0xffff;
			err_t e = tcp_write(c->pcb, p + done, (u16_t)k,
					    TCP_WRITE_FLAG_COPY | (done + k < len ? TCP_WRITE_FLAG_MORE : 0));
			if (e == ERR_OK) {
				done += k;
				net_stats.bytes_out += k;
				if (mem_turn) {		/* there was enough: the next one */
					mem_turn = false;
					wake_mem_waiter();
				}
				continue;
			}
			if (e != ERR_MEM) {
				net_unlock();
				return conn_errno(e);
			}
			no_mem = true;
		}
		/* Full: push out what is queued and wait for acknowledgments,
		   or, with the shared send memory used up, for memory. */
		tcp_output(c->pcb);
		if (no_mem) {
			net_stats.write_nomem++;
			conn_wait(&mem_waiters, &c->wr_deadline, dl, &c->wr_parked,
				  "conn write (no memory)");
			mem_turn = true;
		} else {
			if (mem_turn) {		/* not ours to use: the next one's */
				mem_turn = false;
				wake_mem_waiter();
			}
			conn_wait(&c->wrq, &c->wr_deadline, dl, &c->wr_parked, "conn write");
		}
	}
	if (c->pcb && !c->closed)
		tcp_output(c->pcb);
	net_unlock();
	return (ssize_t)len;
}

int conn_shutdown_write(struct conn *c)
{
	net_lock();
	int r = 0;
	if (c->closed) {
		r = -EBADF;
	} else if (c->pcb && !c->wr_shut) {
		err_t e = tcp_shutdown(c->pcb, 0, 1);
		r = e == ERR_OK ? 0 : conn_errno(e);
	}
	if (!c->closed)
		c->wr_shut = true;
	net_unlock();
	return r;
}

/* ---- references and the end ---- */

struct conn *conn_ref(struct conn *c)
{
	net_lock();
	if (!c->in_use || !c->refs)
		panic("conn_ref: connection %p is not in use", (void *)c);
	c->refs++;
	net_unlock();
	return c;
}

/* Give back a reference; end the connection first when `end` (or when
   this is the last reference). */
static void release(struct conn *c, bool end, bool reset)
{
	net_lock();
	if (!c->in_use || !c->refs)
		panic("conn_close: connection %p closed more often than referenced", (void *)c);
	if (!c->closed && (end || c->refs == 1)) {
		c->closed = true;
		conn_detach(c, reset);
		free_rx(c);
		wake_all(&c->rdq);
		wake_writers(c);
	}
	if (--c->refs == 0)
		conn_put(c);
	net_unlock();
}

void conn_close(struct conn *c) { release(c, true, false); }
void conn_abort(struct conn *c) { release(c, true, true); }
void conn_release(struct conn *c) { release(c, false, false); }

static int conn_addr(struct conn *c, struct net_addr *out, bool peer)
{
	net_lock();
	int r = -ENOTCONN;
	if (c->pcb && !c->closed) {
		if (peer)
			addr_from_lwip(&c->pcb->remote_ip, c->pcb->remote_port, out);
		else
			addr_from_lwip(&c->pcb->local_ip, c->pcb->local_port, out);
		r = 0;
	}
	net_unlock();
	return r;
}

int conn_peer(struct conn *c, struct net_addr *out) { return conn_addr(c, out, true); }
int conn_local(struct conn *c, struct net_addr *out) { return conn_addr(c, out, false); }

void net_conn_stats(struct net_conn_stats *out)
{
	net_lock();
	*out = net_stats;
	/* The SYN queues: lwIP counts each listener's half-open connections
	   (net/lwip/patches/0001, 0005). */
	out->syn_half_open = 0;
	for (struct tcp_pcb_listen *lp = tcp_listen_pcbs.listen_pcbs; lp; lp = lp->next)
		out->syn_half_open += lp->accepts_pending;
	out->syn_evicted = tcp_listen_evictions;
	/* A walk of both lists: stats are read rarely (a stats line, a scrape),
	   and a leak check needs the count of pcbs by kind, which the pool's
	   own count mixes. */
	out->tcp_active = out->tcp_time_wait = 0;
	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		out->tcp_active++;
	for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
		out->tcp_time_wait++;
	net_unlock();
	struct net_lock_stats l = net_lock_stats_get();
	out->lock_acquired = l.acquired;
	out->lock_contended = l.contended;
	out->lock_busy = l.busy;
	out->lock_hold_ns = l.hold_ns;
	out->lock_wait_ns = l.wait_ns;
}
