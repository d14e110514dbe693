/*
 * apps/httpd/metrics.c — the server's counters and the /metrics body.
 *
 * Names follow Prometheus' conventions: a weft_ prefix, base units
 * (bytes, seconds), counters ending in _total, one HELP and one TYPE line
 * per family. The families are tables of offsets into the snapshot, so
 * adding a number is one line. Families whose source is absent (no
 * metrics_below, a net layer without lwIP pool statistics) are left out
 * rather than reported as zero. The HTTP server's own numbers come from
 * the library (http_stats, and each handler's counters on the mux).
 */
#include "apps/httpd/metrics.h"

#include <stddef.h>
#include <string.h>

uint64_t (*metrics_now)(void);
void (*metrics_below)(struct metrics_snapshot *s);

static void add_handler(const struct http_handler *h, void *arg)
{
	struct metrics_snapshot *s = arg;

	if (s->nhandlers == HTTP_MUX_MAX)
		return;
	s->handler[s->nhandlers++] = (struct metrics_handler){
		h->name, __atomic_load_n(&h->requests, __ATOMIC_RELAXED),
		__atomic_load_n(&h->allocs, __ATOMIC_RELAXED)
	};
}

void metrics_snapshot(struct metrics_snapshot *s, const struct http_mux *m)
{
	memset(s, 0, sizeof(*s));
	http_stats_snapshot(&s->own);
	http_latency_snapshot(&s->latency);
	s->log.lines = __atomic_load_n(&http_log_stats.lines, __ATOMIC_RELAXED);
	s->log.dropped = __atomic_load_n(&http_log_stats.dropped,
					 __ATOMIC_RELAXED);
	s->log.rate_limited = __atomic_load_n(&http_log_stats.rate_limited,
					      __ATOMIC_RELAXED);
	s->log.send_errors = __atomic_load_n(&http_log_stats.send_errors,
					     __ATOMIC_RELAXED);
	s->uptime_ns = metrics_now ? metrics_now() : 0;
	if (m)
		http_mux_each(m, add_handler, s);
	if (metrics_below)
		metrics_below(s);
	/* A source that overfills a table is cut to it. */
	if (s->ncpus > METRICS_MAX_CPUS)
		s->ncpus = METRICS_MAX_CPUS;
	if (s->npools > METRICS_MAX_POOLS)
		s->npools = METRICS_MAX_POOLS;
	if (s->naddrs > METRICS_MAX_ADDRS)
		s->naddrs = METRICS_MAX_ADDRS;
	if (s->ndns > METRICS_MAX_DNS)
		s->ndns = METRICS_MAX_DNS;
}

/* ---- The writer: counting, or into the response ---- */

void mout_mem(struct mout *o, const void *p, size_t n)
{
	if (o->buf) {
		size_t room = o->counted < o->cap ? o->cap - o->counted : 0;

		memcpy(o->buf + o->counted, p, n < room ? n : room);
		o->counted += n;
	} else if (o->counting)
		o->counted += n;
	else
		http_write(o->w, p, n);
}

static void mout_str(struct mout *o, const char *s)
{
	mout_mem(o, s, strlen(s));
}

static void mout_u64(struct mout *o, uint64_t v)
{
	char buf[20], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	mout_mem(o, p, (size_t)(buf + sizeof(buf) - p));
}

/* v / 1e9 with nine decimals ("1.500000000"): nanoseconds as seconds,
 * without floating point. */
static void mout_nanos(struct mout *o, uint64_t v)
{
	char frac[10];
	uint64_t f = v % 1000000000u;
	int i;

	mout_u64(o, v / 1000000000u);
	frac[0] = '.';
	for (i = 9; i >= 1; i--) {
		frac[i] = (char)('0' + f % 10);
		f /= 10;
	}
	mout_mem(o, frac, sizeof(frac));
}

/* Nanoseconds as seconds in the shortest decimal ("0.000025", "2.5",
 * "10"), into buf (24 bytes at least); returns buf. */
static const char *seconds_text(uint64_t ns, char *buf)
{
	char *p = buf + 23;
	uint64_t f = ns % 1000000000u, s = ns / 1000000000u;
	int i, digits = 9;

	*p = '\0';
	while (digits && f % 10 == 0) {
		f /= 10;
		digits--;
	}
	for (i = 0; i < digits; i++) {
		*--p = (char)('0' + f % 10);
		f /= 10;
	}
	if (digits)
		*--p = '.';
	do {
		*--p = (char)('0' + s % 10);
		s /= 10;
	} while (s);
	return p;
}

/* ---- Rendering ---- */

/* A family's type, and whether its numbers are nanoseconds shown as
 * seconds. */
enum kind { COUNTER = 0, GAUGE = 1, NS = 2 };

struct family {
	const char *name;
	int kind;	/* enum kind bits */
	size_t off;	/* of the uint64_t in the struct the table is about */
	const char *help;
};

static void header(struct mout *o, const struct family *f)
{
	mout_str(o, "# HELP ");
	mout_str(o, f->name);
	mout_mem(o, " ", 1);
	mout_str(o, f->help);
	mout_str(o, "\n# TYPE ");
	mout_str(o, f->name);
	mout_str(o, f->kind & GAUGE ? " gauge\n" : " counter\n");
}

/* A label value, escaped as the format requires. */
static void label_value(struct mout *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			mout_mem(o, "\\", 1);
		if (*v == '\n')
			mout_str(o, "\\n");
		else
			mout_mem(o, v, 1);
	}
}

/* One sample: name{label="value"} v, or name v when label is NULL. */
static void sample(struct mout *o, const struct family *f, const char *label,
		   const char *value, uint64_t v)
{
	mout_str(o, f->name);
	if (label) {
		mout_mem(o, "{", 1);
		mout_str(o, label);
		mout_str(o, "=\"");
		label_value(o, value);
		mout_str(o, "\"}");
	}
	mout_mem(o, " ", 1);
	if (f->kind & NS)
		mout_nanos(o, v);
	else
		mout_u64(o, v);
	mout_mem(o, "\n", 1);
}

static uint64_t field(const void *base, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

/* Unlabelled families, each one number of the snapshot. */
static void scalars(struct mout *o, const struct metrics_snapshot *s,
		    const struct family *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		header(o, &t[i]);
		sample(o, &t[i], NULL, NULL, field(s, t[i].off));
	}
}

#define SNAP(f) offsetof(struct metrics_snapshot, f)
#define N(t) (sizeof(t) / sizeof((t)[0]))

static const struct family own[] = {
	{ "weft_http_connections_open", GAUGE, SNAP(own.conns_open),
	  "Connections the HTTP server is serving now." },
	{ "weft_http_connections_accepted_total", COUNTER,
	  SNAP(own.conns_accepted), "Connections the HTTP server has served." },
	{ "weft_http_connections_refused_total", COUNTER,
	  SNAP(own.conns_refused),
	  "Connections answered 503 because max_conns were open." },
	{ "weft_http_connections_aborted_total", COUNTER,
	  SNAP(own.conns_aborted),
	  "Connections the HTTP server ended with a reset (peer gone, write "
	  "timeout, too much input after the last answer)." },
	{ "weft_http_received_bytes_total", COUNTER, SNAP(own.bytes_in),
	  "Bytes the HTTP server has read from its connections." },
	{ "weft_http_sent_bytes_total", COUNTER, SNAP(own.bytes_out),
	  "Bytes the HTTP server has written to its connections." },
	{ "weft_http_header_timeouts_total", COUNTER,
	  SNAP(own.header_timeouts),
	  "Requests whose head did not arrive within header_timeout." },
	{ "weft_http_request_path_allocs_total", COUNTER,
	  SNAP(own.request_allocs),
	  "Heap allocations made (anywhere) while requests were being "
	  "handled; 0 in steady state." },
	{ "weft_http_access_log_lines_total", COUNTER, SNAP(log.lines),
	  "Access log lines written out (console or syslog)." },
	{ "weft_http_access_log_dropped_total", COUNTER, SNAP(log.dropped),
	  "Access log lines dropped: the ring was full or over the rate." },
	{ "weft_http_access_log_rate_limited_total", COUNTER,
	  SNAP(log.rate_limited),
	  "Access log lines dropped for being over httpd_access_log_rate." },
	{ "weft_http_access_log_send_errors_total", COUNTER,
	  SNAP(log.send_errors),
	  "Access log datagrams that could not be sent to syslog." },
	{ "weft_uptime_seconds", GAUGE | NS, SNAP(uptime_ns),
	  "Time since boot." },
};

static const struct family runtime[] = {
	{ "weft_tasks_alive", GAUGE, SNAP(tasks_alive),
	  "Tasks spawned and not yet exited." },
	{ "weft_stack_pages", GAUGE, SNAP(stack_pages),
	  "Pages mapped for task stacks." },
	{ "weft_heap_inuse_bytes", GAUGE, SNAP(heap_in_use),
	  "Heap bytes allocated and not freed (mallinfo uordblks)." },
	{ "weft_heap_arena_bytes", GAUGE, SNAP(heap_arena),
	  "Heap bytes obtained from the system (mallinfo arena)." },
	{ "weft_heap_allocs_total", COUNTER, SNAP(heap_allocs),
	  "Heap allocations made by anyone since boot." },
	{ "weft_heap_floor_hits_total", COUNTER, SNAP(heap_floor_hits),
	  "Heap growths refused because the free pages left were what task "
	  "stacks may still claim (the allocation failed instead)." },
	{ "weft_cmdline_errors_total", COUNTER, SNAP(cmdline_errors),
	  "Command-line words reported at boot: malformed, unknown, or a "
	  "value its reader cannot use." },
};

static const struct family net[] = {
	{ "weft_net_connections_open", GAUGE, SNAP(net.open),
	  "TCP connections of the connection layer not yet closed." },
	{ "weft_net_connections_accepted_total", COUNTER, SNAP(net.accepted),
	  "TCP connections handed to applications." },
	{ "weft_net_connections_refused_total", COUNTER, SNAP(net.refused),
	  "TCP connections dropped: accept queue or pool full." },
	{ "weft_net_resets_total", COUNTER, SNAP(net.resets),
	  "TCP connections reset by the peer or the stack." },
	{ "weft_net_timeouts_total", COUNTER, SNAP(net.timeouts),
	  "Reads and writes that hit their deadline." },
	{ "weft_net_write_nomem_total", COUNTER, SNAP(net.write_nomem),
	  "Writes that found lwIP's shared send memory (heap, segments) used up and waited for some." },
	{ "weft_net_received_bytes_total", COUNTER, SNAP(net.bytes_in),
	  "TCP payload bytes read by applications." },
	{ "weft_net_sent_bytes_total", COUNTER, SNAP(net.bytes_out),
	  "TCP payload bytes queued by applications." },
	{ "weft_net_rx_dropped_total", COUNTER, SNAP(rx_dropped),
	  "Received frames dropped because no pbuf was free." },
	{ "weft_net_syn_half_open", GAUGE, SNAP(net.syn_half_open),
	  "TCP handshakes in listeners' SYN queues: SYN answered, no ACK yet." },
	{ "weft_net_syn_evicted_total", COUNTER, SNAP(net.syn_evicted),
	  "Half-open handshakes dropped for a newer SYN: the SYN queue was full." },
	{ "weft_net_tcp_pcbs_active", GAUGE, SNAP(net.tcp_active),
	  "lwIP TCP pcbs neither listening nor in TIME_WAIT: half-open, open and closing connections." },
	{ "weft_net_tcp_pcbs_time_wait", GAUGE, SNAP(net.tcp_time_wait),
	  "lwIP TCP pcbs in TIME_WAIT." },
	{ "weft_net_lock_acquisitions_total", COUNTER, SNAP(net.lock_acquired),
	  "Times the net lock (lwIP's and the driver's) was taken." },
	{ "weft_net_lock_contended_total", COUNTER, SNAP(net.lock_contended),
	  "Net lock acquisitions that found it held by another CPU and spun." },
	{ "weft_net_lock_busy_total", COUNTER, SNAP(net.lock_busy),
	  "Poll passes that found the net lock held and left the polling to its holder." },
	{ "weft_net_lock_held_seconds_total", COUNTER | NS, SNAP(net.lock_hold_ns),
	  "Time the net lock was held, summed over acquisitions (its rate is the lock's utilisation)." },
	{ "weft_net_lock_wait_seconds_total", COUNTER | NS, SNAP(net.lock_wait_ns),
	  "Time CPUs spun waiting for the net lock." },
	{ "weft_net_dials_total", COUNTER, SNAP(net.dialed),
	  "Outgoing TCP connections established (net_dial)." },
	{ "weft_net_dial_errors_total", COUNTER, SNAP(net.dial_errors),
	  "Dials that failed: refused, timed out, unreachable, no such host." },
	{ "weft_udp_sockets_open", GAUGE, SNAP(net.udp_open),
	  "UDP sockets not yet closed." },
	{ "weft_udp_received_datagrams_total", COUNTER, SNAP(net.udp_rx),
	  "UDP datagrams read by applications." },
	{ "weft_udp_sent_datagrams_total", COUNTER, SNAP(net.udp_tx),
	  "UDP datagrams sent by applications." },
	{ "weft_udp_dropped_datagrams_total", COUNTER, SNAP(net.udp_rx_dropped),
	  "UDP datagrams dropped on arrival: the socket's queue was full." },
	{ "weft_udp_send_errors_total", COUNTER, SNAP(net.udp_tx_errors),
	  "UDP sends that failed (no buffer, no route)." },
	{ "weft_dns_lookups_total", COUNTER, SNAP(net.dns_lookups),
	  "DNS queries the resolver sent (one per name and family)." },
	{ "weft_dns_not_found_total", COUNTER, SNAP(net.dns_not_found),
	  "DNS queries answered: no such host (or an error)." },
	{ "weft_dns_timeouts_total", COUNTER, SNAP(net.dns_timeouts),
	  "DNS queries no server answered." },
};

#define CPU(f) offsetof(struct rt_cpu_stats, f)

static const struct family cpu[] = {
	{ "weft_sched_tasks_run_total", COUNTER, CPU(tasks_run),
	  "Tasks switched to, per CPU." },
	{ "weft_sched_switches_total", COUNTER, CPU(switches),
	  "Context switches into tasks, per CPU." },
	{ "weft_sched_steals_total", COUNTER, CPU(steals),
	  "Tasks taken from other CPUs' run queues." },
	{ "weft_sched_preemptions_total", COUNTER, CPU(preempts),
	  "Time slices ended by the timer." },
	{ "weft_sched_idle_seconds_total", COUNTER | NS, CPU(idle_ns),
	  "Time halted with nothing to run." },
	{ "weft_sched_busy_seconds_total", COUNTER | NS, CPU(busy_ns),
	  "Time the scheduler loop ran and did not halt (tasks, the poller, "
	  "the loop): its rate is the CPU's busy fraction." },
	{ "weft_sched_halts_total", COUNTER, CPU(halts),
	  "Times the CPU halted." },
	{ "weft_sched_idle_spins_total", COUNTER, CPU(idle_spins),
	  "Times the CPU found work on the second look before halting." },
	{ "weft_sched_spawned_total", COUNTER, CPU(spawned),
	  "Tasks spawned on this CPU." },
	{ "weft_sched_wakeups_sent_total", COUNTER, CPU(wakeups_sent),
	  "IPIs sent to wake idle CPUs." },
};

#define POOL(f) offsetof(struct metrics_pool, f)

static const struct family pool[] = {
	{ "weft_lwip_pool_used", GAUGE, POOL(used),
	  "lwIP pool elements (heap: bytes) in use." },
	{ "weft_lwip_pool_max", GAUGE, POOL(max),
	  "Most lwIP pool elements (heap: bytes) ever in use at once." },
	{ "weft_lwip_pool_capacity", GAUGE, POOL(capacity),
	  "lwIP pool elements (heap: bytes) in all, used or free." },
	{ "weft_lwip_pool_element_bytes", GAUGE, POOL(elem_bytes),
	  "Bytes per lwIP pool element (heap: 1)." },
	{ "weft_lwip_pool_errors_total", COUNTER, POOL(errors),
	  "lwIP allocations that failed: the pool was empty." },
};

static void responses(struct mout *o, const struct metrics_snapshot *s)
{
	static const struct family f = {
		"weft_http_requests_total", COUNTER, 0,
		"HTTP responses sent, by status code."
	};
	char code[4];
	size_t i;

	header(o, &f);
	for (i = 0; i < HTTP_STATS_NSTATUS - 1; i++) {
		int st = http_stats_statuses[i];

		code[0] = (char)('0' + st / 100);
		code[1] = (char)('0' + st / 10 % 10);
		code[2] = (char)('0' + st % 10);
		code[3] = '\0';
		sample(o, &f, "code", code, s->own.responses[i]);
	}
	sample(o, &f, "code", "other", s->own.responses[i]);
}

/* Responses by status class: the rates of errors, whatever their code. */
static void classes(struct mout *o, const struct metrics_snapshot *s)
{
	static const struct family f = {
		"weft_http_responses_total", COUNTER, 0,
		"HTTP responses sent, by status class (1xx to 5xx)."
	};
	char cl[4] = "0xx";
	unsigned i;

	header(o, &f);
	for (i = 0; i < 5; i++) {
		cl[0] = (char)('1' + i);
		sample(o, &f, "class", cl, s->own.classes[i]);
	}
}

/* The latency histogram, cumulative as the format wants it. */
static void latency(struct mout *o, const struct metrics_snapshot *s)
{
	static const char name[] = "weft_http_request_duration_seconds";
	char le[24];
	uint64_t cum = 0;
	unsigned i;

	mout_str(o, "# HELP weft_http_request_duration_seconds Time from a "
		    "request's head parsed to its answer queued (unparsable "
		    "heads and 503s past max_conns not timed).\n"
		    "# TYPE weft_http_request_duration_seconds histogram\n");
	for (i = 0; i < HTTP_LATENCY_NBUCKETS; i++) {
		cum += s->latency.bucket[i];
		mout_str(o, name);
		mout_str(o, "_bucket{le=\"");
		mout_str(o, i < HTTP_LATENCY_NBOUNDS
				    ? seconds_text(http_latency_bounds_ns[i], le)
				    : "+Inf");
		mout_str(o, "\"} ");
		mout_u64(o, cum);
		mout_mem(o, "\n", 1);
	}
	mout_str(o, name);
	mout_str(o, "_sum ");
	mout_nanos(o, s->latency.sum_ns);
	mout_mem(o, "\n", 1);
	mout_str(o, name);
	mout_str(o, "_count ");
	mout_u64(o, cum);
	mout_mem(o, "\n", 1);
}

static void per_cpu(struct mout *o, const struct metrics_snapshot *s)
{
	char id[4];
	size_t i;
	unsigned c;

	for (i = 0; i < N(cpu); i++) {
		header(o, &cpu[i]);
		for (c = 0; c < s->ncpus; c++) {
			char *p = id + sizeof(id) - 1;
			unsigned v = c;

			*p = '\0';
			do {
				*--p = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			sample(o, &cpu[i], "cpu", p, field(&s->cpu[c], cpu[i].off));
		}
	}
}

static void pools(struct mout *o, const struct metrics_snapshot *s)
{
	size_t i;
	unsigned p;

	for (i = 0; i < N(pool); i++) {
		header(o, &pool[i]);
		for (p = 0; p < s->npools; p++)
			sample(o, &pool[i], "pool", s->pool[p].name,
			       field(&s->pool[p], pool[i].off));
	}
}

/* The NIC's addresses and the resolver's servers, as info families: one
   sample of value 1 per address, the address in a label. */
static void addresses(struct mout *o, const struct metrics_snapshot *s)
{
	static const struct family fa = {
		"weft_net_address_info", GAUGE, 0,
		"An address of the NIC (value 1), with how it was configured."
	}, fd = {
		"weft_dns_server_info", GAUGE, 0,
		"A DNS server the resolver asks (value 1), in order."
	};
	unsigned i;

	header(o, &fa);
	for (i = 0; i < s->naddrs; i++) {
		mout_str(o, fa.name);
		mout_str(o, "{address=\"");
		label_value(o, s->addr[i].address);
		mout_str(o, "\",origin=\"");
		label_value(o, s->addr[i].origin);
		mout_str(o, "\"} 1\n");
	}
	header(o, &fd);
	for (i = 0; i < s->ndns; i++)
		sample(o, &fd, "address", s->dns[i], 1);
}

static const struct family tls[] = {
	{ "weft_tls_handshakes_total", COUNTER, SNAP(tls_handshakes),
	  "TLS handshakes completed (HTTPS), full or resumed." },
	{ "weft_tls_resumptions_total", COUNTER, SNAP(tls_resumptions),
	  "TLS handshakes abbreviated by the session cache." },
	{ "weft_tls_connections_open", GAUGE, SNAP(tls_open),
	  "TLS connections now." },
	{ "weft_tls_sni_unknown_total", COUNTER, SNAP(tls_sni_unknown),
	  "TLS handshakes naming a server outside tls_names (served or not)." },
	{ "weft_tls_slot_waits_total", COUNTER, SNAP(tls_slot_waits),
	  "TLS handshakes that waited for a connection slot (tls_max_conns "
	  "were open); those still waiting at their deadline are no_slot failures." },
};

/* TLS: the scalars, then failures by reason. */
static void tls_families(struct mout *o, const struct metrics_snapshot *s)
{
	static const struct family ff = {
		"weft_tls_failures_total", COUNTER, 0,
		"TLS connections ended by a failure, by reason (timeouts and "
		"resets counted during the handshake only)."
	};
	unsigned i;

	scalars(o, s, tls, N(tls));
	header(o, &ff);
	for (i = 0; i < s->ntls_fail; i++)
		sample(o, &ff, "reason", s->tls_fail[i].reason,
		       s->tls_fail[i].n);
}

/* Requests and heap allocations per handler. */
static void handlers(struct mout *o, const struct metrics_snapshot *s)
{
	static const struct family fr = {
		"weft_http_handler_requests_total", COUNTER, 0,
		"HTTP requests answered, by handler."
	}, fa = {
		"weft_http_handler_allocs_total", COUNTER, 0,
		"Heap allocations made (anywhere) while the handler ran; the "
		"static site's stays 0."
	};
	unsigned i;

	header(o, &fr);
	for (i = 0; i < s->nhandlers; i++)
		sample(o, &fr, "handler", s->handler[i].name,
		       s->handler[i].requests);
	header(o, &fa);
	for (i = 0; i < s->nhandlers; i++)
		sample(o, &fa, "handler", s->handler[i].name,
		       s->handler[i].allocs);
}

void metrics_render(struct mout *o, const struct metrics_snapshot *s)
{
	responses(o, s);
	classes(o, s);
	latency(o, s);
	scalars(o, s, own, N(own));
	if (s->nhandlers)
		handlers(o, s);
	if (s->have_runtime) {
		static const struct family fb = { "weft_build_info", GAUGE, 0,
			"The build (value 1): git describe of its tree." };
		header(o, &fb);
		sample(o, &fb, "version", s->version ? s->version : "unknown", 1);
		scalars(o, s, runtime, N(runtime));
		per_cpu(o, s);
	}
	if (s->have_net) {
		scalars(o, s, net, N(net));
		addresses(o, s);
	}
	if (s->npools)
		pools(o, s);
	if (s->have_tls)
		tls_families(o, s);
}

/* Out of line: the snapshot (a few KiB) is on the stack only while
 * /metrics is answered. */
__attribute__((noinline)) void metrics_serve(struct http_response *w,
					     struct http_request *r,
					     void *arg)
{
	struct metrics_snapshot s;
	struct mout count = { .counting = true }, real = { .w = w };

	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_header_set(w, "Allow", "GET, HEAD");
		http_error(w, 405, NULL);
		return;
	}
	metrics_snapshot(&s, arg);
	metrics_render(&count, &s);
	http_header_set(w, "Content-Type", METRICS_CONTENT_TYPE);
	http_header_set(w, "Cache-Control", "no-store");
	http_set_content_length(w, count.counted);
	if (r->method == HTTP_GET)
		metrics_render(&real, &s);
}
