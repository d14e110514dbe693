/*
 * net/http/accesslog_task.c — the access log in the guest: the server's
 * hook (an answer to a line in the ring), the logger task that drains
 * the ring, and its two sinks, the console and RFC 5424 syslog over UDP.
 * accesslog.h tells the whole path; accesslog.c has the pure parts.
 *
 * Waking the logger without making a request wait: the logger, before
 * it sleeps, sets `idle` and looks at the ring once more; a producer,
 * after publishing, swaps `idle` to 0 and, if it was set, sends a token
 * on a channel of capacity 1 with select's default case (a full channel
 * means a wake is pending already: nothing to do). Either the logger's
 * second look sees the line, or the producer sees `idle` and wakes it.
 *
 * The peer's address is asked of the connection per line (conn_peer:
 * the network lock for a few loads, as each of the connection's reads
 * and writes takes it), not kept per connection, so the library's
 * connection state does not grow for the log.
 *
 * Nothing here allocates once started (console_write and udp_write_to
 * do not touch the heap), so the static handler's allocation count stays
 * 0 with the log on, even while the logger runs on the other CPU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/console.h"
#include "net/addr.h"
#include "net/http/accesslog.h"
#include "net/http/server.h"
#include "net/udp.h"
#include "runtime/runtime.h"

#define SLOTS 256	/* lines waiting: 256 KiB */

static struct log {
	enum http_log_format format;
	struct http_log_ring ring;
	struct udp_sock *sock;		/* NULL: the console */
	struct net_addr to;
	char host[64];
	int idle;
	chan_t *wake;
	bool started;
} the_log;

void http_access_log_hook(const struct http_access *a, void *arg)
{
	struct log *l = arg;
	const struct http_request *r = a->r;
	struct http_log_entry e = {
		.unix_ns = a->unix_ns,
		.method = r->method_name,
		.target = { r->raw_path.ptr,
			    r->raw_path.len + (r->query.len ? 1 + r->query.len : 0) },
		.version = r->head ? r->version : 0,
		.status = a->status,
		.bytes = a->bytes,
		.duration_ns = a->duration_ns,
	};
	char peer[NET_ADDR_STRLEN];
	struct net_addr pa;
	struct http_log_slot *s;
	char tok = 0;

	s = http_log_claim(&l->ring, http_sys.now());
	if (!s)
		return;
	peer[0] = 0;
	if (http_request_peer(r, &pa) == 0)
		net_ip_format(&pa, peer, sizeof peer);
	e.peer = peer[0] ? peer : NULL;
	if (r->head) {
		http_request_header(r, "User-Agent", &e.user_agent);
		http_request_header(r, "Referer", &e.referer);
	}
	s->len = (uint32_t)http_log_format(l->format, &e, s->line,
					   sizeof s->line);
	http_log_publish(&l->ring, s);
	if (__atomic_exchange_n(&l->idle, 0, __ATOMIC_SEQ_CST))
		chan_select(&(struct sel_case){ l->wake, SEL_SEND, &tok, 0 }, 1,
			    SEL_DEFAULT);
}

/* "<190>1 2026-12-02T14:55:49.123456Z HOST weft - access - " + line. */
static void send_syslog(struct log *l, const struct http_log_slot *s)
{
	char d[HTTP_LOG_LINE + 160];
	size_t n = 0, hl = strlen(l->host);
	ssize_t rc;

	memcpy(d, "<190>1 ", 7);
	n = 7;
	http_log_rfc3339(http_sys.epoch_ns + http_sys.now(), d + n);
	n += HTTP_LOG_RFC3339_LEN;
	d[n++] = ' ';
	memcpy(d + n, l->host, hl);
	n += hl;
	memcpy(d + n, " weft - access - ", 17);
	n += 17;
	memcpy(d + n, s->line, s->len - 1); /* without its '\n' */
	n += s->len - 1;
	rc = udp_write_to(l->sock, d, n, &l->to);
	if (rc < 0)
		__atomic_fetch_add(&http_log_stats.send_errors, 1,
				   __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&http_log_stats.lines, 1, __ATOMIC_RELAXED);
}

static void logger(void *arg)
{
	struct log *l = arg;
	struct http_log_slot *s;
	char tok;

	for (;;) {
		while ((s = http_log_next(&l->ring))) {
			if (l->sock) {
				send_syslog(l, s);
			} else {
				console_write(s->line, s->len);
				__atomic_fetch_add(&http_log_stats.lines, 1,
						   __ATOMIC_RELAXED);
			}
			http_log_release(&l->ring, s);
		}
		__atomic_store_n(&l->idle, 1, __ATOMIC_SEQ_CST);
		if (http_log_next(&l->ring)) {
			__atomic_store_n(&l->idle, 0, __ATOMIC_SEQ_CST);
			continue;
		}
		chan_recv(l->wake, &tok);
	}
}

int http_access_log_start(struct http_server *srv,
			  const struct http_access_log_config *cfg)
{
	static const struct task_attr attr = { "access-log", 64u << 10, -1 };
	struct log *l = &the_log;
	struct http_log_slot *slots;
	int rc;

	if (cfg->format != HTTP_LOG_CLF && cfg->format != HTTP_LOG_JSON)
		return -EINVAL;
	if (l->started)
		return -EALREADY;
	slots = malloc(SLOTS * sizeof(*slots));
	l->wake = chan_new(1, 1);
	if (!slots || !l->wake) {
		free(slots);
		if (l->wake)
			chan_free(l->wake);
		return -ENOMEM;
	}
	http_log_ring_init(&l->ring, slots, SLOTS, cfg->rate);
	l->format = cfg->format;
	l->sock = NULL;
	if (cfg->syslog) {
		rc = net_listen_udp(0, &l->sock);
		if (rc < 0) {
			free(slots);
			chan_free(l->wake);
			return rc;
		}
		l->to = *cfg->syslog;
	}
	strncpy(l->host, cfg->hostname ? cfg->hostname : "weft",
		sizeof l->host - 1);
	l->started = true;
	if (!task_spawn(&attr, logger, l)) {
		l->started = false;
		if (l->sock)
			udp_close(l->sock);
		free(slots);
		chan_free(l->wake);
		return -ENOMEM;
	}
	srv->log = http_access_log_hook;
	srv->log_arg = l;
	return 0;
}
