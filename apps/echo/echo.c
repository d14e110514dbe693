/*
 * apps/echo/echo.c — a TCP echo server, one task per connection
 * (app=echo; port=N, default 7). The tests use it.
 *
 * Each write has a deadline (echo_write_timeout_ms=, default 5000): a
 * client that stops reading makes the write park, the deadline ends it,
 * and the connection is reset and its task ends. Idle connections are
 * dropped after echo_idle_timeout_ms= (default 60000). A stats port
 * (stats_port=, default 9) answers one line of "name value" pairs and
 * closes: tasks and connections, the SYN queue, lwIP's pcbs by kind and
 * the pools a connection holds while it lives (a leak check compares
 * them with their values after boot).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "net/conn.h"
#include "net/net.h"
#include "runtime/app.h"
#include "runtime/runtime.h"

CMDLINE_KEY(key_port, "port", "TCP port of the app");
CMDLINE_KEY(key_stats_port, "stats_port", "echo: TCP port of the stats line");
CMDLINE_KEY(key_wto, "echo_write_timeout_ms", "echo: deadline of each write");
CMDLINE_KEY(key_ito, "echo_idle_timeout_ms", "echo: idle connections are closed after this");

static uint64_t write_timeout, idle_timeout;

static void echo_conn(void *arg)
{
	struct conn *c = arg;
	uint8_t buf[8192];
	for (;;) {
		conn_set_read_deadline(c, time_ns() + idle_timeout);
		ssize_t n = conn_read(c, buf, sizeof buf);
		if (n <= 0) {
			if (n == 0)
				conn_close(c);	/* the peer finished: so do we */
			else
				conn_abort(c);
			return;
		}
		conn_set_write_deadline(c, time_ns() + write_timeout);
		if (conn_write(c, buf, (size_t)n) < 0) {
			conn_abort(c);		/* reset, or the peer stopped reading */
			return;
		}
	}
}

/* The pools a leak check watches (tests/e2e/netns.sh): what a connection
   holds while it lives and must give back when it goes. */
struct pool_use {
	uint64_t pbuf_pool, pbuf_ref, seg, heap, rx_small;
};

static void pool_use_add(void *arg, const struct net_pool_stats *p)
{
	struct pool_use *u = arg;
	if (!strcmp(p->name, "PBUF_POOL"))
		u->pbuf_pool = p->used;
	else if (!strcmp(p->name, "PBUF"))
		u->pbuf_ref = p->used;
	else if (!strcmp(p->name, "TCP_SEG"))
		u->seg = p->used;
	else if (!strcmp(p->name, "HEAP"))
		u->heap = p->used;
	else if (!strcmp(p->name, "RX_SMALL"))
		u->rx_small = p->used;
}

static void stats_conn(void *arg)
{
	struct conn *c = arg;
	struct net_conn_stats st;
	struct pool_use u = { 0 };
	net_conn_stats(&st);
	net_lwip_stats(pool_use_add, &u);
	char line[512];
	/* This connection, its task and its pcb are not counted. */
	int n = snprintf(line, sizeof line,
			 "tasks_alive %llu conns_open %llu conns_accepted %llu conns_refused %llu "
			 "resets %llu timeouts %llu syn_half_open %llu syn_evicted %llu "
			 "tcp_active %llu tcp_time_wait %llu pbuf_pool %llu pbuf_ref %llu "
			 "tcp_seg %llu heap_bytes %llu rx_small %llu\n",
			 (unsigned long long)rt_tasks_alive() - 1, (unsigned long long)st.open - 1,
			 (unsigned long long)st.accepted, (unsigned long long)st.refused,
			 (unsigned long long)st.resets, (unsigned long long)st.timeouts,
			 (unsigned long long)st.syn_half_open, (unsigned long long)st.syn_evicted,
			 (unsigned long long)st.tcp_active - 1, (unsigned long long)st.tcp_time_wait,
			 (unsigned long long)u.pbuf_pool, (unsigned long long)u.pbuf_ref,
			 (unsigned long long)u.seg, (unsigned long long)u.heap,
			 (unsigned long long)u.rx_small);
	conn_set_write_deadline(c, time_ns() + ms(2000));
	conn_write(c, line, (size_t)n);
	conn_close(c);
}

struct server {
	struct listener *l;
	void (*serve)(void *);
	const char *name;
};

static void accept_loop(void *arg)
{
	struct server *s = arg;
	for (;;) {
		struct conn *c;
		int r = net_accept(s->l, &c);
		if (r < 0) {
			printf("echo: accept on %s failed: %d\n", s->name, r);
			task_sleep(ms(10));
			continue;
		}
		struct task_attr a = { s->name, 64u << 10, -1 };
		if (!task_spawn(&a, s->serve, c))
			conn_abort(c);	/* out of memory: refuse this one */
	}
}

static void echo_main(void)
{
	uint16_t port = (uint16_t)kcmdline_u64(&key_port, 7, 1, 65535);
	uint16_t sport = (uint16_t)kcmdline_u64(&key_stats_port, 9, 1, 65535);
	write_timeout = ms(kcmdline_u64(&key_wto, 5000, 1, 3600000));
	idle_timeout = ms(kcmdline_u64(&key_ito, 60000, 1, 86400000));
	static struct server echo = { NULL, echo_conn, "echo" }, stats = { NULL, stats_conn, "echo-stats" };
	int r = net_listen(port, 4096, &echo.l);
	if (r == 0)
		r = net_listen(sport, 16, &stats.l);
	if (r < 0) {
		printf("echo: cannot listen: %d\n", r);
		return;
	}
	go(accept_loop, &stats);
	printf("echo: listening on port %u (stats on %u)\n", port, sport);
	accept_loop(&echo);
}
APP("echo", echo_main);
