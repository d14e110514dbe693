/*
 * net/tls/tls.c — TLS server connections over blocking conn_* (tls.h has
 * the API and its errors; tls_engine.h the protocol policy).
 *
 * The engine. BearSSL's engine is a state machine with four windows into
 * its buffers: SENDREC (encrypted bytes to put on the wire), RECVREC (room
 * for bytes from the wire), SENDAPP (room for plaintext to send), RECVAPP
 * (decrypted plaintext to hand out). pump() moves bytes between the
 * engine and the TCP connection until the window the caller wants opens:
 * records to send are always written first (so an alert or a handshake
 * message is never left behind), then, if the wanted window is still
 * shut, it reads from TCP. Every wait is a conn_read or conn_write, so the
 * task parks there and the deadlines of the underlying connection bound
 * it: a stalled handshake ends with -ETIMEDOUT.
 *
 * Errors stick. The first failure is stored in t->err with its reason,
 * and counted once (tls_stats.failures: see fail()); later calls return
 * it again.
 * Exception: a read deadline after the handshake returns -ETIMEDOUT and
 * leaves the connection usable (nothing was consumed), as conn_read does.
 * A write deadline does stick: the record being written may be half out.
 *
 * Memory. A connection is one block of about 37 KiB (the engine context,
 * 16.3 KiB of input and 16.1 KiB of output buffer: tls_engine.h says
 * why). Blocks come from the heap the first time and then from the
 * server's free list: after warm-up a handshake allocates nothing. At most
 * max_conns blocks exist; a handshake that finds them all in use waits
 * for the next one released, until its deadline, as a client past
 * nginx's worker_connections waits in the listen queue: slot_put hands
 * the block straight to the first waiter (a waitq under the server's
 * lock; the waiter's claim, won once, decides between that hand-off and
 * its timer). Only at the deadline, or when the heap has no block, does
 * tls_accept refuse (-ENOMEM, counted as no_slot); each wait is counted
 * (slot_waits).
 *
 * Resumption. The session cache notes each hit (loaded_id); after the
 * handshake, the session ID in force equals it only if the server resumed
 * that session (a full handshake draws a fresh random ID).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/atomic.h"
#include "kernel/entropy.h"
#include "net/tls/tls.h"
#include "net/tls/tls_cache.h"
#include "runtime/park.h"
#include "runtime/runtime.h"

#define CLOSE_FLUSH_NS	1000000000ull	/* how long tls_close tries to send close_notify */

struct tls_conn {
	br_ssl_server_context sc;	/* first: the cache's callback gets &sc */
	struct tls_policy pol;
	struct tls_server *srv;
	struct conn *c;
	int err;			/* sticky negative errno, 0 while healthy */
	enum tls_fail reason;		/* why, when err != 0 */
	bool established;		/* handshake done */
	bool first_seen;		/* the first bytes were checked */
	bool peer_eof;			/* TCP EOF after the handshake */
	bool loaded;			/* the cache found loaded_id */
	unsigned char loaded_id[32];
	uint64_t write_deadline;
	struct tls_conn *next;		/* on the server's free list */
	unsigned char ibuf[TLS_IBUF_SIZE];
	unsigned char obuf[TLS_OBUF_SIZE];
};

struct tls_server {
	struct tls_engine_opts eo;
	struct tls_cache cache;
	struct spinlock lock;		/* protects free, nconns, slotq */
	struct tls_conn *free;
	unsigned nconns, max;
	struct waitq slotq;		/* handshakes waiting for a block */
};

static struct {
	uint64_t handshakes, resumptions, sni_unknown, open, slots, slot_waits;
	uint64_t failures[TLS_FAIL_N];
} stats;

/* Counters: relaxed, each on its own (tls_stats reads no consistent set). */
#define COUNT(field) a_fetch_add_relaxed(&stats.field, 1)

/* ---- the server ---- */

static void cache_loaded(br_ssl_server_context *sc, const br_ssl_session_parameters *p)
{
	struct tls_conn *t = (struct tls_conn *)sc;
	memcpy(t->loaded_id, p->session_id, sizeof t->loaded_id);
	t->loaded = true;
}

int tls_ready(char *why, size_t len)
{
	return entropy_why(why, len);
}

int tls_server_new(const struct tls_server_opts *o, struct tls_server **out)
{
	if (!o->cert || !o->cert->chain_len)
		return -EINVAL;
	struct tls_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->eo.cert = o->cert;
	memcpy(s->eo.alpn, o->alpn, sizeof s->eo.alpn);
	if (!s->eo.alpn[0])
		s->eo.alpn[0] = "http/1.1";
	s->eo.names = o->names;
	s->eo.sni_strict = o->sni_strict;
	s->lock = (struct spinlock)SPINLOCK_INIT;
	s->max = o->max_conns ? o->max_conns : TLS_MAX_CONNS_DEFAULT;
	if (!o->no_cache) {
		unsigned n = o->cache_sessions ? o->cache_sessions : TLS_CACHE_DEFAULT;
		if (tls_cache_init(&s->cache, n, cache_loaded)) {
			free(s);
			return -ENOMEM;
		}
		s->eo.cache = &s->cache.vtable;
	}
	*out = s;
	return 0;
}

void tls_server_free(struct tls_server *s)
{
	while (s->free) {
		struct tls_conn *t = s->free;
		s->free = t->next;
		free(t);
	}
	if (s->eo.cache)
		tls_cache_free(&s->cache);
	free(s);
}

/* A block for a new connection: a free one, a new one while fewer than
   max exist, or else the next one released, waited for until deadline
   (0: no wait). NULL when none came in time, or the heap had none. */
static struct tls_conn *slot_get(struct tls_server *s, uint64_t deadline)
{
	bool f = spin_lock(&s->lock);
	struct tls_conn *t = s->free;
	if (t) {
		s->free = t->next;
	} else if (s->nconns < s->max) {
		s->nconns++;
	} else if (!deadline || time_ns() >= deadline) {
		spin_unlock(&s->lock, f);
		return NULL;
	} else {
		struct waiter w = { .t = task_self(), .seq = task_park_prepare() };
		waitq_push(&s->slotq, &w);
		COUNT(slot_waits);
		if (!task_park_until("tls slot", park_unlock_spin, &s->lock, deadline))
			return w.elem;	/* slot_put handed it over */
		f = spin_lock(&s->lock);
		waitq_remove(&s->slotq, &w);
		spin_unlock(&s->lock, f);
		return NULL;
	}
	spin_unlock(&s->lock, f);
	if (!t) {
		t = malloc(sizeof *t);
		if (!t) {
			f = spin_lock(&s->lock);
			s->nconns--;
			spin_unlock(&s->lock, f);
			return NULL;
		}
		COUNT(slots);
	}
	return t;
}

static void slot_put(struct tls_server *s, struct tls_conn *t)
{
	/* The engine holds session keys: gone before the block is reused. */
	memset(&t->sc, 0, sizeof t->sc);
	bool f = spin_lock(&s->lock);
	struct waiter *w = waitq_claim(&s->slotq);
	if (w) {
		w->elem = t;
		task_wake(w->t);
	} else {
		t->next = s->free;
		s->free = t;
	}
	spin_unlock(&s->lock, f);
	a_fetch_sub_relaxed(&stats.open, 1);
}

/* ---- errors ---- */

/* Record the first failure; returns t->err. Counted are TLS failures at
   any time and transport ones (timeout, reset) during the handshake: a
   client resetting TCP after a good handshake is how many clients end a
   connection, not a failure of TLS. */
static int fail(struct tls_conn *t, enum tls_fail why, int err)
{
	if (!t->err) {
		t->err = err;
		t->reason = why;
		if (!t->established || (why != TLS_FAIL_IO && why != TLS_FAIL_TIMEOUT))
			COUNT(failures[why]);
	}
	return t->err;
}

/* A conn_read/conn_write error. */
static int fail_io(struct tls_conn *t, ssize_t n)
{
	return fail(t, n == -ETIMEDOUT ? TLS_FAIL_TIMEOUT : TLS_FAIL_IO, (int)n);
}

/* The engine stopped: 1 for a clean close_notify, else the error. */
static int engine_closed(struct tls_conn *t)
{
	int br = br_ssl_engine_last_error(&t->sc.eng);
	if (br == BR_ERR_OK)
		return 1;
	int err;
	enum tls_fail why = tls_classify(br, &err);
	if (t->pol.sni_refused)
		why = TLS_FAIL_SNI;
	return fail(t, why, err);
}

/* ---- the pump ---- */

static int send_records(struct tls_conn *t, unsigned char *buf, size_t len)
{
	ssize_t n = conn_write(t->c, buf, len);
	if (n < 0)
		return fail_io(t, n);
	br_ssl_engine_sendrec_ack(&t->sc.eng, len);
	return 0;
}

static int recv_records(struct tls_conn *t, unsigned char *buf, size_t len)
{
	ssize_t n = conn_read(t->c, buf, len);
	if (n == 0) {
		if (!t->established)
			return fail(t, TLS_FAIL_EOF, -ECONNRESET);
		t->peer_eof = true;
		return 1;
	}
	if (n == -ETIMEDOUT && t->established)
		return -ETIMEDOUT;	/* nothing consumed: usable */
	if (n < 0)
		return fail_io(t, n);
	if (!t->first_seen) {
		t->first_seen = true;
		if (!tls_looks_like_hello(buf, (size_t)n))
			return fail(t, TLS_FAIL_NOT_TLS, -EPROTO);
	}
	br_ssl_engine_recvrec_ack(&t->sc.eng, (size_t)n);
	return 0;
}

/* Move records until a window in `want` opens (0), the stream ends (1),
   or an error (< 0). want == 0: until nothing is left to send. */
static int pump(struct tls_conn *t, unsigned want)
{
	br_ssl_engine_context *e = &t->sc.eng;
	bool flushed = false;
	for (;;) {
		if (t->err)
			return t->err;
		unsigned st = br_ssl_engine_current_state(e);
		if (st & BR_SSL_CLOSED)
			return engine_closed(t);
		size_t len;
		if (st & BR_SSL_SENDREC) {
			unsigned char *buf = br_ssl_engine_sendrec_buf(e, &len);
			int r = send_records(t, buf, len);
			if (r)
				return r;
			continue;
		}
		if (!want || (st & want))
			return 0;
		if ((st & BR_SSL_RECVREC) && !t->peer_eof) {
			unsigned char *buf = br_ssl_engine_recvrec_buf(e, &len);
			int r = recv_records(t, buf, len);
			if (r)
				return r;
			flushed = false;
			continue;
		}
		if (t->peer_eof)
			return 1;
		/* Nothing to move: a partial record may wait in the output. */
		if (flushed)
			return fail(t, TLS_FAIL_PROTOCOL, -EPROTO);
		br_ssl_engine_flush(e, 0);
		flushed = true;
	}
}

/* ---- connections ---- */

int tls_accept(struct tls_server *s, struct conn *c, uint64_t deadline, struct tls_conn **out)
{
	struct tls_conn *t = slot_get(s, deadline);
	if (!t) {
		COUNT(failures[TLS_FAIL_NO_SLOT]);
		conn_abort(c);
		return -ENOMEM;
	}
	a_fetch_add_relaxed(&stats.open, 1);
	memset(t, 0, offsetof(struct tls_conn, ibuf));
	t->srv = s;
	t->c = c;
	unsigned char seed[32];
	int err = rand_bytes(seed, sizeof seed);
	if (err)
		fail(t, TLS_FAIL_NO_ENTROPY, -EAGAIN);
	else if (tls_engine_setup(&t->sc, &t->pol, &s->eo, t->ibuf, t->obuf, seed, sizeof seed))
		fail(t, TLS_FAIL_PROTOCOL, -EINVAL);
	memset(seed, 0, sizeof seed);

	conn_set_read_deadline(c, deadline);
	conn_set_write_deadline(c, deadline);
	err = t->err ? t->err : pump(t, BR_SSL_SENDAPP);
	if (t->pol.sni_unknown)
		COUNT(sni_unknown);
	if (err) {
		if (err == 1)	/* a close_notify during the handshake */
			err = fail(t, TLS_FAIL_EOF, -ECONNRESET);
		tls_abort(t);
		return err;
	}
	t->established = true;
	conn_set_read_deadline(c, 0);
	conn_set_write_deadline(c, 0);
	COUNT(handshakes);
	if (t->loaded && !memcmp(t->loaded_id, t->sc.eng.session.session_id, sizeof t->loaded_id))
		COUNT(resumptions);
	*out = t;
	return 0;
}

ssize_t tls_read(struct tls_conn *t, void *buf, size_t len)
{
	if (!len)
		return 0;
	int r = pump(t, BR_SSL_RECVAPP);
	if (r)
		return r > 0 ? 0 : r;
	size_t avail;
	unsigned char *p = br_ssl_engine_recvapp_buf(&t->sc.eng, &avail);
	size_t k = avail < len ? avail : len;
	memcpy(buf, p, k);
	br_ssl_engine_recvapp_ack(&t->sc.eng, k);
	return (ssize_t)k;
}

ssize_t tls_write(struct tls_conn *t, const void *buf, size_t len)
{
	br_ssl_engine_context *e = &t->sc.eng;
	const unsigned char *src = buf;
	for (size_t done = 0; done < len;) {
		int r = pump(t, BR_SSL_SENDAPP);
		if (r)
			return r > 0 ? -EPIPE : r;
		size_t room;
		unsigned char *p = br_ssl_engine_sendapp_buf(e, &room);
		size_t k = room < len - done ? room : len - done;
		memcpy(p, src + done, k);
		br_ssl_engine_sendapp_ack(e, k);
		done += k;
	}
	br_ssl_engine_flush(e, 0);
	int r = pump(t, 0);
	return r < 0 ? r : (ssize_t)len;
}

int tls_shutdown_write(struct tls_conn *t)
{
	if (t->err)
		return t->err;
	br_ssl_engine_close(&t->sc.eng);
	int r = pump(t, 0);
	if (r < 0)
		return r;
	return conn_shutdown_write(t->c);
}

void tls_close(struct tls_conn *t)
{
	if (!t->err) {
		uint64_t limit = time_ns() + CLOSE_FLUSH_NS;
		if (!t->write_deadline || t->write_deadline > limit)
			conn_set_write_deadline(t->c, limit);
		br_ssl_engine_close(&t->sc.eng);
		pump(t, 0);
	}
	conn_close(t->c);
	slot_put(t->srv, t);
}

void tls_abort(struct tls_conn *t)
{
	conn_abort(t->c);
	slot_put(t->srv, t);
}

void tls_set_read_deadline(struct tls_conn *t, uint64_t deadline)
{
	conn_set_read_deadline(t->c, deadline);
}

void tls_set_write_deadline(struct tls_conn *t, uint64_t deadline)
{
	t->write_deadline = deadline;
	conn_set_write_deadline(t->c, deadline);
}

int tls_peer(struct tls_conn *t, struct net_addr *out)
{
	return conn_peer(t->c, out);
}

int tls_local(struct tls_conn *t, struct net_addr *out)
{
	return conn_local(t->c, out);
}

void tls_info(struct tls_conn *t, struct tls_info *out)
{
	br_ssl_engine_context *e = &t->sc.eng;
	*out = (struct tls_info){
		.version = br_ssl_engine_get_version(e),
		.suite = e->session.cipher_suite,
		.alpn = br_ssl_engine_get_selected_protocol(e),
		.sni = br_ssl_engine_get_server_name(e),
		.resumed = t->loaded && !memcmp(t->loaded_id, e->session.session_id, sizeof t->loaded_id),
		.curve = br_ssl_engine_get_ecdhe_curve(e),
	};
}

enum tls_fail tls_last_fail(struct tls_conn *t)
{
	return t->reason;
}

void tls_stats(struct tls_stats *out)
{
	out->handshakes = a_load_relaxed(&stats.handshakes);
	out->resumptions = a_load_relaxed(&stats.resumptions);
	out->sni_unknown = a_load_relaxed(&stats.sni_unknown);
	out->open = a_load_relaxed(&stats.open);
	out->slots = a_load_relaxed(&stats.slots);
	out->slot_waits = a_load_relaxed(&stats.slot_waits);
	for (int i = 0; i < TLS_FAIL_N; i++)
		out->failures[i] = a_load_relaxed(&stats.failures[i]);
}
