/*
 * net/http/accesslog.c — the access log's pure part: the line formats
 * (CLF and JSON, nginx's escaping) and the ring lines wait in (see
 * accesslog.h for both). Plain C: host-tested by
 * tests/host/test_http_accesslog.c.
 *
 * The ring is Vyukov's bounded MPMC queue, used with one consumer. Slot
 * i starts with seq = i. A producer at position pos (head) may take slot
 * pos & mask when its seq == pos (free for this lap): it moves head on
 * with a compare-and-swap, fills the slot and publishes it with
 * seq = pos + 1. seq < pos means the slot still holds a line of the
 * previous lap: the ring is full, and the line is dropped. The consumer
 * at tail reads the slot when seq == tail + 1 and frees it for the next
 * lap with seq = tail + nslots. A producer stopped between its claim and
 * its publish holds up the consumer at that slot only until it runs
 * again (it has nothing left to wait for); others go on claiming.
 *
 * The rate: a window of one second on the caller's clock; the first
 * claim of a new second resets the count (a race between two such
 * claims may let a few more lines through: a log limit, not a quota).
 */
#include <errno.h>
#include <string.h>
#include "net/http/accesslog.h"

struct http_log_stats http_log_stats;

static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

int http_log_format_parse(const char *s, enum http_log_format *out)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "off"))
		*out = HTTP_LOG_OFF;
	else if (!strcmp(s, "clf"))
		*out = HTTP_LOG_CLF;
	else if (!strcmp(s, "json"))
		*out = HTTP_LOG_JSON;
	else
		return -EINVAL;
	return 0;
}

/* ---- Formatting ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putc_(struct buf *b, char c)
{
	put(b, &c, 1);
}

static void put_u64(struct buf *b, uint64_t v)
{
	char t[20];
	int n = 0;

	do
		t[sizeof t - ++n] = (char)('0' + v % 10);
	while ((v /= 10) && n < 20);
	put(b, t + sizeof t - n, (size_t)n);
}

/* v as exactly width digits (zero-padded, cut to the low digits). */
static void put_digits(struct buf *b, uint64_t v, int width)
{
	char t[20];

	for (int i = width - 1; i >= 0; i--, v /= 10)
		t[i] = (char)('0' + v % 10);
	put(b, t, (size_t)width);
}

/* Seconds with six decimals, from nanoseconds. */
static void put_seconds(struct buf *b, uint64_t ns)
{
	put_u64(b, ns / 1000000000u);
	putc_(b, '.');
	put_digits(b, ns / 1000 % 1000000, 6);
}

static const char hex[] = "0123456789ABCDEF";

/* One byte escaped the way fmt wants, into t; its length. */
static size_t escape(enum http_log_format f, unsigned char ch, char t[6])
{
	if (f == HTTP_LOG_CLF) {
		if (ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x7f) {
			t[0] = '\\';
			t[1] = 'x';
			t[2] = hex[ch >> 4];
			t[3] = hex[ch & 15];
			return 4;
		}
		t[0] = (char)ch;
		return 1;
	}
	switch (ch) {
	case '"':  memcpy(t, "\\\"", 2); return 2;
	case '\\': memcpy(t, "\\\\", 2); return 2;
	case '\n': memcpy(t, "\\n", 2); return 2;
	case '\r': memcpy(t, "\\r", 2); return 2;
	case '\t': memcpy(t, "\\t", 2); return 2;
	case '\b': memcpy(t, "\\b", 2); return 2;
	case '\f': memcpy(t, "\\f", 2); return 2;
	}
	if (ch < 0x20 || ch >= 0x7f) {
		memcpy(t, "\\u00", 4);
		t[4] = hex[ch >> 4];
		t[5] = hex[ch & 15];
		return 6;
	}
	t[0] = (char)ch;
	return 1;
}

/* s escaped, using at most room bytes of b: what does not fit is cut,
 * whole escapes only, and marked "...". An absent s is "-" in CLF. */
static void put_escaped(struct buf *b, enum http_log_format f,
			struct http_str s, size_t room)
{
	size_t start = b->len;

	if (!s.ptr) {
		if (f == HTTP_LOG_CLF)
			putc_(b, '-');
		return;
	}
	if (room > b->cap - b->len)
		room = b->cap - b->len;
	if (room < 3)
		return;
	for (size_t i = 0; i < s.len; i++) {
		char t[6];
		size_t n = escape(f, (unsigned char)s.ptr[i], t);

		if (b->len - start + n > room - 3) {
			put(b, "...", 3);
			return;
		}
		put(b, t, n);
	}
}

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
				     "Jun", "Jul", "Aug", "Sep", "Oct",
				     "Nov", "Dec" };

/* The civil date of a day count since 1970-01-01 (Hinnant's algorithm). */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	uint64_t doe = (uint64_t)(z - era * 146097);
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

struct tm_ {
	int64_t y;
	unsigned mon, d, h, min, s, us;
};

static struct tm_ split(uint64_t unix_ns)
{
	uint64_t sec = unix_ns / 1000000000u;
	struct tm_ t;

	civil((int64_t)(sec / 86400), &t.y, &t.mon, &t.d);
	t.h = (unsigned)(sec % 86400 / 3600);
	t.min = (unsigned)(sec % 3600 / 60);
	t.s = (unsigned)(sec % 60);
	t.us = (unsigned)(unix_ns / 1000 % 1000000);
	return t;
}

void http_log_rfc3339(uint64_t unix_ns, char out[HTTP_LOG_RFC3339_LEN])
{
	struct tm_ t = split(unix_ns);
	struct buf b = { out, 0, HTTP_LOG_RFC3339_LEN };

	put_digits(&b, (uint64_t)t.y, 4);
	putc_(&b, '-');
	put_digits(&b, t.mon, 2);
	putc_(&b, '-');
	put_digits(&b, t.d, 2);
	putc_(&b, 'T');
	put_digits(&b, t.h, 2);
	putc_(&b, ':');
	put_digits(&b, t.min, 2);
	putc_(&b, ':');
	put_digits(&b, t.s, 2);
	putc_(&b, '.');
	put_digits(&b, t.us, 6);
	putc_(&b, 'Z');
}

/* "[02/Dec/2026:14:55:49 +0000]" */
static void put_clf_time(struct buf *b, uint64_t unix_ns)
{
	struct tm_ t = split(unix_ns);

	putc_(b, '[');
	put_digits(b, t.d, 2);
	putc_(b, '/');
	put(b, months[t.mon - 1], 3);
	putc_(b, '/');
	put_digits(b, (uint64_t)t.y, 4);
	putc_(b, ':');
	put_digits(b, t.h, 2);
	putc_(b, ':');
	put_digits(b, t.min, 2);
	putc_(b, ':');
	put_digits(b, t.s, 2);
	puts_(b, " +0000]");
}

static const char *protocol(int version)
{
	return version == 11 ? "HTTP/1.1" : version == 10 ? "HTTP/1.0" : NULL;
}

/* Room for the fixed parts and short fields: what the URI and the user
 * agent share is the rest of the line. */
#define FIXED_ROOM 320

size_t http_log_format(enum http_log_format f, const struct http_log_entry *e,
		       char *out, size_t cap)
{
	struct buf b = { out, 0, cap - 1 }; /* the '\n' always fits */
	struct http_str peer = { e->peer, e->peer ? strlen(e->peer) : 0 };
	struct http_str method = e->method.len ? e->method
					       : (struct http_str){ NULL, 0 };
	struct http_str target = e->target.len ? e->target
					       : (struct http_str){ NULL, 0 };
	const char *proto = protocol(e->version);
	size_t share = cap > FIXED_ROOM + 64 ? (cap - FIXED_ROOM) / 2 : 32;
	size_t ua_room = share, target_room = share;

	/* What one of them leaves unused, the other may have. */
	if (e->user_agent.ptr && e->user_agent.len * 6 < share)
		target_room = 2 * share - e->user_agent.len * 6;
	else if (target.ptr && target.len * 6 < share)
		ua_room = 2 * share - target.len * 6;

	if (f == HTTP_LOG_CLF) {
		put_escaped(&b, f, peer, 64);
		puts_(&b, " - - ");
		put_clf_time(&b, e->unix_ns);
		puts_(&b, " \"");
		if (method.ptr) {
			put_escaped(&b, f, method, 40);
			putc_(&b, ' ');
			put_escaped(&b, f, target, target_room);
			if (proto) {
				putc_(&b, ' ');
				puts_(&b, proto);
			}
		} else {
			putc_(&b, '-');
		}
		puts_(&b, "\" ");
		put_u64(&b, (uint64_t)e->status);
		putc_(&b, ' ');
		put_u64(&b, e->bytes);
		puts_(&b, " \"");
		put_escaped(&b, f, e->referer, 64);
		puts_(&b, "\" \"");
		put_escaped(&b, f, e->user_agent, ua_room);
		puts_(&b, "\" ");
		put_seconds(&b, e->duration_ns);
	} else {
		char ts[HTTP_LOG_RFC3339_LEN];

		http_log_rfc3339(e->unix_ns, ts);
		puts_(&b, "{\"time\":\"");
		put(&b, ts, sizeof ts);
		puts_(&b, "\",\"peer\":\"");
		put_escaped(&b, f, peer, 64);
		puts_(&b, "\",\"method\":\"");
		put_escaped(&b, f, method, 40);
		puts_(&b, "\",\"uri\":\"");
		put_escaped(&b, f, target, target_room);
		puts_(&b, "\",\"protocol\":\"");
		if (proto)
			puts_(&b, proto);
		puts_(&b, "\",\"status\":");
		put_u64(&b, (uint64_t)e->status);
		puts_(&b, ",\"bytes\":");
		put_u64(&b, e->bytes);
		puts_(&b, ",\"duration_s\":");
		put_seconds(&b, e->duration_ns);
		puts_(&b, ",\"referer\":\"");
		put_escaped(&b, f, e->referer, 64);
		puts_(&b, "\",\"user_agent\":\"");
		put_escaped(&b, f, e->user_agent, ua_room);
		puts_(&b, "\"}");
	}
	out[b.len++] = '\n';
	return b.len;
}

/* ---- The ring ---- */

void http_log_ring_init(struct http_log_ring *q, struct http_log_slot *slots,
			unsigned nslots, uint32_t rate)
{
	memset(q, 0, sizeof(*q));
	q->slots = slots;
	q->mask = nslots - 1;
	q->rate = rate;
	for (unsigned i = 0; i < nslots; i++)
		slots[i].seq = i;
}

static bool over_rate(struct http_log_ring *q, uint64_t now_ns)
{
	uint64_t sec = now_ns / 1000000000u;
	uint64_t w = __atomic_load_n(&q->window, __ATOMIC_RELAXED);

	if (!q->rate)
		return false;
	if (w != sec &&
	    __atomic_compare_exchange_n(&q->window, &w, sec, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		__atomic_store_n(&q->in_window, 0, __ATOMIC_RELAXED);
	return __atomic_fetch_add(&q->in_window, 1, __ATOMIC_RELAXED) >= q->rate;
}

struct http_log_slot *http_log_claim(struct http_log_ring *q, uint64_t now_ns)
{
	uint64_t pos = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	struct http_log_slot *s;

	if (over_rate(q, now_ns)) {
		count(&http_log_stats.dropped);
		count(&http_log_stats.rate_limited);
		return NULL;
	}
	for (;;) {
		int64_t d;

		s = &q->slots[pos & q->mask];
		d = (int64_t)(__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) - pos);
		if (d == 0) {
			if (__atomic_compare_exchange_n(&q->head, &pos, pos + 1,
							true, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
				return s;
		} else if (d < 0) {
			count(&http_log_stats.dropped);
			return NULL;
		} else {
			pos = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
		}
	}
}

void http_log_publish(struct http_log_ring *q, struct http_log_slot *s)
{
	/* s's turn was seq == pos; pos + 1 marks it full */
	(void)q;
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
}

struct http_log_slot *http_log_next(struct http_log_ring *q)
{
	struct http_log_slot *s = &q->slots[q->tail & q->mask];

	if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != q->tail + 1)
		return NULL;
	return s;
}

void http_log_release(struct http_log_ring *q, struct http_log_slot *s)
{
	__atomic_store_n(&s->seq, q->tail + q->mask + 1, __ATOMIC_RELEASE);
	q->tail++;
}
