/*
 * apps/tlsecho/tlsecho.c — a TLS echo server (app=tlsecho): the TLS
 * connection type end to end, until the HTTP server speaks HTTPS.
 * Temporary: it goes when HTTPS is wired into the HTTP library.
 *
 * It ships in build/weft, as apps/echo does, although tests/e2e/tlsecho.sh
 * is its main user: until httpd has HTTPS it is the appliance's only TLS
 * endpoint (make run CMDLINE=app=tlsecho, then openssl s_client), and the
 * e2e tests must exercise TLS, the BearSSL build and the entropy sources
 * of the image that ships, not of the test kernel. It holds no test hook:
 * STATS and INFO are read-only diagnostics, like httpd's /metrics.
 *
 * tls_port=N (default 443): TLS, with the certificate baked into the
 * image (net/tls.mk), ALPN http/1.1, the session cache. Each connection
 * gets tlsecho_handshake_ms= (default 10000) for its handshake and
 * tlsecho_idle_ms= (default 60000) between reads. A line "STATS\n" as the
 * first thing sent after the handshake is answered with the TLS counters
 * (one line), "INFO\n" with what was negotiated; the server then closes
 * (close_notify), so a client knows when it has the whole answer.
 * tls_names= and tls_sni_strict=1 set the SNI policy (tls_engine.h).
 *
 * Without a seeded entropy source it does not start, and says why.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "net/conn.h"
#include "net/tls/tls.h"
#include "net/tls/tls_baked.h"
#include "runtime/app.h"
#include "runtime/runtime.h"

CMDLINE_KEY(key_tls_port, "tls_port", "TCP port of TLS (default 443)");
CMDLINE_KEY(key_tls_names, "tls_names", "SNI names served, comma-separated (default: any)");
CMDLINE_KEY(key_tls_strict, "tls_sni_strict", "1: refuse an SNI outside tls_names");
CMDLINE_KEY(key_hs, "tlsecho_handshake_ms", "tlsecho: deadline of a handshake");
CMDLINE_KEY(key_idle, "tlsecho_idle_ms", "tlsecho: idle connections are closed after this");

static struct tls_server *server;
static uint64_t handshake_ns, idle_ns;

static int stats_line(char *buf, size_t len)
{
	struct tls_stats s;
	tls_stats(&s);
	int n = snprintf(buf, len,
			 "handshakes %llu resumptions %llu sni_unknown %llu open %llu slots %llu "
			 "stack_pages %llu heap_allocs %llu",
			 (unsigned long long)s.handshakes, (unsigned long long)s.resumptions,
			 (unsigned long long)s.sni_unknown, (unsigned long long)s.open,
			 (unsigned long long)s.slots, (unsigned long long)rt_stack_pages(),
			 (unsigned long long)rt_malloc_count());
	for (int i = 0; i < TLS_FAIL_N && n < (int)len; i++)
		n += snprintf(buf + n, len - (size_t)n, " fail_%s %llu", tls_fail_name(i),
			      (unsigned long long)s.failures[i]);
	if (n < (int)len)
		n += snprintf(buf + n, len - (size_t)n, "\n");
	return n < (int)len ? n : (int)len - 1;
}

static int info_line(struct tls_conn *t, char *buf, size_t len)
{
	struct tls_info i;
	tls_info(t, &i);
	return snprintf(buf, len, "version %04x suite %s alpn %s sni %s resumed %d\n", i.version,
			tls_suite_name(i.suite), i.alpn ? i.alpn : "-", i.sni[0] ? i.sni : "-",
			i.resumed);
}

static void serve(void *arg)
{
	struct tls_conn *t;
	if (tls_accept(server, arg, time_ns() + handshake_ns, &t) < 0)
		return;
	char buf[4096];
	for (bool first = true;; first = false) {
		tls_set_read_deadline(t, time_ns() + idle_ns);
		ssize_t n = tls_read(t, buf, sizeof buf);
		if (n <= 0) {
			if (n == 0)
				tls_close(t);
			else
				tls_abort(t);
			return;
		}
		bool once = first && ((n == 6 && !memcmp(buf, "STATS\n", 6)) ||
				      (n == 5 && !memcmp(buf, "INFO\n", 5)));
		if (once)
			n = buf[0] == 'S' ? stats_line(buf, sizeof buf) : info_line(t, buf, sizeof buf);
		tls_set_write_deadline(t, time_ns() + ms(5000));
		if (tls_write(t, buf, (size_t)n) < 0) {
			tls_abort(t);
			return;
		}
		if (once) {
			tls_close(t);
			return;
		}
	}
}

static void tlsecho_main(void)
{
	uint16_t port = (uint16_t)kcmdline_u64(&key_tls_port, 443, 1, 65535);
	handshake_ns = ms(kcmdline_u64(&key_hs, 10000, 1, 3600000));
	idle_ns = ms(kcmdline_u64(&key_idle, 60000, 1, 86400000));
	char why_buf[160];
	if (tls_ready(why_buf, sizeof why_buf)) {
		printf("tlsecho: not started: entropy: %s\n", why_buf);
		return;
	}
	static struct tls_cert cert;
	const char *why;
	if (tls_cert_load(&cert, tls_baked_cert, tls_baked_cert_len, tls_baked_key,
			  tls_baked_key_len, &why)) {
		printf("tlsecho: not started: certificate: %s\n", why);
		return;
	}
	struct tls_server_opts o = {
		.cert = &cert,
		.names = kcmdline_str(&key_tls_names),
		.sni_strict = kcmdline_u64(&key_tls_strict, 0, 0, 1),
	};
	struct listener *l;
	int r = tls_server_new(&o, &server);
	if (r == 0)
		r = net_listen(port, 1024, &l);
	if (r < 0) {
		printf("tlsecho: cannot start: %d\n", r);
		return;
	}
	char desc[32];
	printf("tlsecho: listening on port %u (%s, TLS 1.2)\n", port,
	       tls_cert_describe(&cert, desc, sizeof desc));
	for (;;) {
		struct conn *c;
		if (net_accept(l, &c) < 0) {
			task_sleep(ms(10));
			continue;
		}
		struct task_attr a = { "tlsecho", 0, -1 };
		if (!task_spawn(&a, serve, c))
			conn_abort(c);
	}
}
APP("tlsecho", tlsecho_main);
