/*
 * net/http/accesslog.h — the HTTP library's access log: one line per
 * answer, as nginx writes it, that never makes a request wait.
 *
 *   http_access_log_start(&srv, &(struct http_access_log_config){
 *           .format = HTTP_LOG_CLF, .rate = 1000 });   // console
 *   ... .syslog = &addr ...                              // or RFC 5424/UDP
 *
 * The pieces, in the order a line travels:
 *   1. The server's hook (http_server.log, http.h) runs in the
 *      connection's task once the answer is queued. http_access_log_hook
 *      turns the answer into a struct http_log_entry (the peer from the
 *      connection) and formats it (http_log_format: pure, host-tested)
 *      straight into a slot of the ring.
 *   2. The ring (struct http_log_ring): a fixed array of line slots,
 *      bounded, multi-producer, single-consumer, without locks (Vyukov's
 *      bounded queue: each slot carries a sequence number saying whose
 *      turn it is). A producer that finds it full drops the line and
 *      counts it; one over the rate (lines per second, a window of one
 *      second on the server's clock) is dropped and counted too. Nothing
 *      in a producer waits: a claim is one compare-and-swap, the wake of
 *      the logger a channel send that gives up when the channel is full.
 *   3. One logger task drains the ring and writes each line to the
 *      console (console_write, no allocation) or sends it as one RFC 5424
 *      datagram (net/udp.h): "<190>1 TIMESTAMP HOST weft - access - LINE"
 *      (facility local7, severity info, as nginx's syslog: default).
 *
 * Formats (HTTP_LOG_CLF, nginx's "combined" plus $request_time):
 *   10.0.2.2 - - [02/Dec/2026:14:55:49 +0000] "GET /a?b HTTP/1.1" 200 5
 *   "-" "curl/8.5.0" 0.000123
 * and HTTP_LOG_JSON, one object a line:
 *   {"time":"2026-12-02T14:55:49.123456Z","peer":"10.0.2.2",
 *    "method":"GET","uri":"/a?b","protocol":"HTTP/1.1","status":200,
 *    "bytes":5,"duration_s":0.000123,"referer":"","user_agent":"curl/8.5.0"}
 * The URI is the request target as sent ($request_uri); bytes are the
 * body's ($body_bytes_sent: 0 for HEAD and 304). Escaping follows
 * nginx: in CLF '"', '\' and bytes below 0x20 or from 0x7f become \xHH;
 * in JSON '"' and '\' get a backslash, control bytes \n, \r, \t, \b,
 * \f or \u00HH; unlike nginx, bytes from 0x7f are \u00HH too, so every
 * line is valid JSON whatever bytes a client sent. A line longer than a
 * slot (HTTP_LOG_LINE) has its URI and user agent cut, marked "...".
 * A request whose head could not be parsed (400, 408, 431) logs "-" for
 * method, URI and protocol.
 */
#ifndef NET_HTTP_ACCESSLOG_H
#define NET_HTTP_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/http/http.h"

enum http_log_format { HTTP_LOG_OFF, HTTP_LOG_CLF, HTTP_LOG_JSON };

/* "off", "clf", "json": 0 and *out, or -EINVAL. */
int http_log_format_parse(const char *s, enum http_log_format *out);

/* One answer, as the formatter sees it. Strings are not NUL-terminated
 * but for peer; a NULL ptr is an absent field ("-" in CLF, "" in JSON). */
struct http_log_entry {
	uint64_t unix_ns;		/* when the head was complete */
	const char *peer;		/* the client's IP as text */
	struct http_str method, target;	/* target: path and query as sent */
	int version;			/* 10, 11; 0: unknown */
	int status;
	uint64_t bytes;
	uint64_t duration_ns;
	struct http_str referer, user_agent;
};

#define HTTP_LOG_LINE 1024	/* a slot: one line, its '\n' included */

/* The line for e in format f into out[0..cap) (cap >= 256), ending in
 * '\n', not NUL-terminated; returns its length (<= cap). */
size_t http_log_format(enum http_log_format f, const struct http_log_entry *e,
		       char *out, size_t cap);

/* "2026-12-02T14:55:49.123456Z" (27 bytes) of unix_ns into out. */
#define HTTP_LOG_RFC3339_LEN 27
void http_log_rfc3339(uint64_t unix_ns, char out[HTTP_LOG_RFC3339_LEN]);

/* ---- The ring ---- */

struct http_log_slot {
	uint64_t seq;			/* whose turn: see accesslog.c */
	uint32_t len;
	char line[HTTP_LOG_LINE];
};

struct http_log_ring {
	struct http_log_slot *slots;	/* nslots of them, a power of two */
	uint64_t mask;
	uint64_t head;			/* next slot to claim (producers) */
	uint64_t tail;			/* next slot to read (the consumer) */
	uint32_t rate;			/* lines per second; 0: no limit */
	uint64_t window;		/* the second the count is for */
	uint64_t in_window;		/* lines let through in it */
};

/* Counters of every access log in the image (relaxed atomics); in
 * /metrics as weft_http_access_log_*. */
struct http_log_stats {
	uint64_t lines;		/* lines written out (console or syslog) */
	uint64_t dropped;	/* lines dropped: ring full or over the rate */
	uint64_t rate_limited;	/* of those, over the rate */
	uint64_t send_errors;	/* syslog datagrams that could not be sent */
};
extern struct http_log_stats http_log_stats;

/* q over slots[0..nslots) (a power of two, >= 2), rate lines/s. */
void http_log_ring_init(struct http_log_ring *q, struct http_log_slot *slots,
			unsigned nslots, uint32_t rate);
/* A slot to format a line into, or NULL: the line is dropped (counted)
 * because the ring is full or now_ns's second is over the rate. Never
 * waits. Each slot claimed must be published. */
struct http_log_slot *http_log_claim(struct http_log_ring *q, uint64_t now_ns);
void http_log_publish(struct http_log_ring *q, struct http_log_slot *s);
/* For the one consumer: the oldest published line, or NULL; give it back
 * with http_log_release once written. */
struct http_log_slot *http_log_next(struct http_log_ring *q);
void http_log_release(struct http_log_ring *q, struct http_log_slot *s);

/* ---- The guest part (accesslog_task.c) ---- */

struct net_addr;
struct http_access_log_config {
	enum http_log_format format;	/* HTTP_LOG_OFF: nothing started */
	uint32_t rate;			/* lines per second; 0: no limit */
	const struct net_addr *syslog;	/* NULL: the console */
	const char *hostname;		/* syslog's HOSTNAME; NULL: "weft" */
};

/* Turn the access log on for srv (before serving): the ring, the logger
 * task, srv->log. 0, -EINVAL (a bad config), -EALREADY (one per image),
 * -ENOMEM, or a UDP socket's error. */
int http_access_log_start(struct http_server *srv,
			  const struct http_access_log_config *cfg);

/* The hook http_access_log_start puts in srv->log (arg: the log). */
void http_access_log_hook(const struct http_access *a, void *arg);

#endif
