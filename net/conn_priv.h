/*
 * net/conn_priv.h — what conn.c (connections, listeners) and dial.c
 * (outgoing connections) share: the connection itself and its helpers.
 * Everything here is under the net lock unless it says otherwise.
 */
#ifndef NET_CONN_PRIV_H
#define NET_CONN_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "lwip/err.h"
#include "net/conn.h"
#include "runtime/park.h"

struct tcp_pcb;
struct pbuf;

struct conn {
	struct tcp_pcb *pcb;		/* NULL once lwIP freed it or we let go */
	struct pbuf *rx;		/* received, not yet read */
	uint16_t rx_off;		/* bytes of rx's first pbuf already read */
	bool rx_eof;			/* the peer sent FIN */
	bool wr_shut;			/* we sent FIN */
	bool in_use;
	bool closed;			/* conn_close/abort ran: calls get -EBADF */
	bool connecting;		/* dial: SYN sent, no answer yet */
	int err;			/* sticky error from lwIP, negative errno */
	unsigned refs;			/* references; the last one frees */
	struct waitq rdq, wrq;		/* the parked reader / writer (and dialer) */
	uint64_t rd_deadline, wr_deadline;	/* atomic: set without the lock */
	uint8_t rd_parked, wr_parked;	/* atomic: a reader / writer is queued */
	struct conn *next;		/* accept queue or free list */
	struct listener *lst;		/* while waiting in an accept queue */
};

/* A free connection with one reference, or NULL (pool empty). */
struct conn *conn_get(void);
/* Back to the pool (its received data freed). */
void conn_put(struct conn *c);
/* Hook c to pcb: lwIP's callbacks find c through tcp_arg. */
void conn_attach(struct conn *c, struct tcp_pcb *pcb);
/* Unhook and let go of c->pcb: close it (reset when `reset`, or when a
   graceful close fails). */
void conn_detach(struct conn *c, bool reset);
/* lwIP's error as a negative errno. */
int conn_errno(err_t e);
/* Park on q until woken, the deadline *dlp (which was dl when the caller
   decided to wait) passes, or *dlp changes; *parked is the flag the
   deadline setters look at. Net lock held on entry and on return. */
void conn_wait(struct waitq *q, const uint64_t *dlp, uint64_t dl, uint8_t *parked,
	       const char *why);
static inline bool conn_past(uint64_t deadline)
{
	return deadline && time_ns() >= deadline;
}

#endif
