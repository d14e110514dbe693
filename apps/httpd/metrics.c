/*
 * apps/httpd/metrics.c — the server's counters and the /metrics body.
 *
 * Names follow Prometheus' conventions: a weft_ prefix, base units
 * (bytes, seconds), counters ending in _total, one HELP and one TYPE line
 * per family. The families are tables of offsets into the snapshot, so
 * adding a number is one line. Families whose source is absent (no
 * httpd_sys.snapshot, a net layer without lwIP pool statistics) are left
 * out rather than reported as zero.
 *
 * Rejected: per-CPU counters for the server's own events. They would save
 * a shared cache line per request, but need the CPU number on the request
 * path (a runtime call) and a sum here; an uncontended relaxed add is a
 * few nanoseconds, and the cost is measured before it is optimized.
 */
#include "apps/httpd/metrics.h"

#include <stddef.h>
#include <string.h>
#include "apps/httpd/httpd.h"
#include "apps/httpd/response.h"

struct httpd_counters httpd_counters;

static const int statuses[] = { METRICS_STATUSES };
_Static_assert(sizeof(statuses) / sizeof(statuses[0]) + 1 == METRICS_NSTATUS,
	       "METRICS_NSTATUS counts the statuses and \"other\"");

void metrics_response(int status)
{
	size_t i;

	for (i = 0; i < METRICS_NSTATUS - 1; i++)
		if (statuses[i] == status)
			break;
	metrics_add(&httpd_counters.responses[i], 1);
}

void metrics_snapshot(struct metrics_snapshot *s)
{
	const uint64_t *src = (const uint64_t *)&httpd_counters;
	uint64_t *dst = (uint64_t *)&s->own;
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < sizeof(httpd_counters) / sizeof(uint64_t); i++)
		dst[i] = a_load_relaxed(&src[i]);
	s->uptime_ns = httpd_sys.now();
	if (httpd_sys.snapshot)
		httpd_sys.snapshot(s);
	if (s->ncpus > METRICS_MAX_CPUS)
		httpd_bug("metrics_snapshot: ncpus over METRICS_MAX_CPUS");
	if (s->npools > METRICS_MAX_POOLS)
		httpd_bug("metrics_snapshot: npools over METRICS_MAX_POOLS");
	if (s->naddrs > METRICS_MAX_ADDRS || s->ndns > METRICS_MAX_DNS)
		httpd_bug("metrics_snapshot: addresses over METRICS_MAX_ADDRS/DNS");
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

static void header(struct out *o, const struct family *f)
{
	out_str(o, "# HELP ");
	out_str(o, f->name);
	out_mem(o, " ", 1);
	out_str(o, f->help);
	out_str(o, "\n# TYPE ");
	out_str(o, f->name);
	out_str(o, f->kind & GAUGE ? " gauge\n" : " counter\n");
}

/* A label value, escaped as the format requires. */
static void label_value(struct out *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			out_mem(o, "\\", 1);
		if (*v == '\n')
			out_str(o, "\\n");
		else
			out_mem(o, v, 1);
	}
}

/* One sample: name{label="value"} v, or name v when label is NULL. */
static void sample(struct out *o, const struct family *f, const char *label,
		   const char *value, uint64_t v)
{
	out_str(o, f->name);
	if (label) {
		out_mem(o, "{", 1);
		out_str(o, label);
		out_str(o, "=\"");
		label_value(o, value);
		out_str(o, "\"}");
	}
	out_mem(o, " ", 1);
	if (f->kind & NS)
		out_nanos(o, v);
	else
		out_u64(o, v);
	out_mem(o, "\n", 1);
}

static uint64_t field(const void *base, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

/* Unlabelled families, each one number of the snapshot. */
static void scalars(struct out *o, const struct metrics_snapshot *s,
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
	{ "weft_net_received_bytes_total", COUNTER, SNAP(net.bytes_in),
	  "TCP payload bytes read by applications." },
	{ "weft_net_sent_bytes_total", COUNTER, SNAP(net.bytes_out),
	  "TCP payload bytes queued by applications." },
	{ "weft_net_rx_dropped_total", COUNTER, SNAP(rx_dropped),
	  "Received frames dropped because no pbuf was free." },
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
	  "Most lwIP pool elements ever in use at once." },
	{ "weft_lwip_pool_size", GAUGE, POOL(size),
	  "lwIP pool elements available in all." },
	{ "weft_lwip_pool_errors_total", COUNTER, POOL(errors),
	  "lwIP allocations that failed: the pool was empty." },
};

static void responses(struct out *o, const struct metrics_snapshot *s)
{
	static const struct family f = {
		"weft_http_requests_total", COUNTER, 0,
		"HTTP responses sent, by status code."
	};
	char code[4];
	size_t i;

	header(o, &f);
	for (i = 0; i < METRICS_NSTATUS - 1; i++) {
		code[0] = (char)('0' + statuses[i] / 100);
		code[1] = (char)('0' + statuses[i] / 10 % 10);
		code[2] = (char)('0' + statuses[i] % 10);
		code[3] = '\0';
		sample(o, &f, "code", code, s->own.responses[i]);
	}
	sample(o, &f, "code", "other", s->own.responses[i]);
}

static void per_cpu(struct out *o, const struct metrics_snapshot *s)
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

static void pools(struct out *o, const struct metrics_snapshot *s)
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
static void addresses(struct out *o, const struct metrics_snapshot *s)
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
		out_str(o, fa.name);
		out_str(o, "{address=\"");
		label_value(o, s->addr[i].address);
		out_str(o, "\",origin=\"");
		label_value(o, s->addr[i].origin);
		out_str(o, "\"} 1\n");
	}
	header(o, &fd);
	for (i = 0; i < s->ndns; i++)
		sample(o, &fd, "address", s->dns[i], 1);
}

void metrics_render(struct out *o, const struct metrics_snapshot *s)
{
	responses(o, s);
	scalars(o, s, own, N(own));
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
}
