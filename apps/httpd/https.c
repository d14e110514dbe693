/*
 * apps/httpd/https.c — HTTPS beside HTTP (guest only): https_port=
 * (default 443; 0: none) serves the same mux and limits over TLS, with
 * the certificate baked into the image (net/tls.mk), ALPN http/1.1 and
 * the session cache (net/tls/tls.h; tls_session_cache=N sessions, 0 for
 * none, like nginx's ssl_session_cache off); tls_names= and tls_sni_strict=1 set
 * the SNI policy (tls_engine.h: an SNI outside the names is counted, and
 * refused when strict). It starts only when the entropy
 * source is seeded and the certificate loads; otherwise the console says
 * why in one line and plain HTTP serves alone.
 */
#include <stdio.h>
#include "apps/httpd/https.h"
#include "net/conn.h"
#include "net/limits.h"
#include "net/tls/tls.h"
#include "net/tls/tls_baked.h"
#include "runtime/app.h"
#include "runtime/runtime.h"

CMDLINE_KEY(key_tls_names, "tls_names", "HTTPS: SNI names served, comma-separated (default: any)");
CMDLINE_KEY(key_tls_strict, "tls_sni_strict", "HTTPS: 1: refuse an SNI outside tls_names");
CMDLINE_KEY(key_tls_max, "tls_max_conns",
	    "HTTPS: TLS connections at once (default an eighth of the TCP limit, at most 1024); "
	    "a handshake past it waits for one to end, until its header timeout");
CMDLINE_KEY(key_tls_cache, "tls_session_cache",
	    "HTTPS: sessions remembered for resumption (4096; 0: none, every handshake is full)");

static struct http_server *https_srv;
static struct listener *https_l;
static struct tls_server *https_tls;

static void https_task(void *arg)
{
	(void)arg;
	int r = http_serve_tls(https_srv, https_l, https_tls);
	printf("httpd: HTTPS serving stopped: %d\n", r);
}

bool httpd_https_start(struct http_server *srv, uint16_t port)
{
	static struct tls_cert cert;
	char why_buf[160], desc[32];
	const char *why;
	int r;

	if (tls_ready(why_buf, sizeof why_buf)) {
		printf("httpd: HTTPS not started: entropy: %s\n", why_buf);
		return false;
	}
	if (tls_cert_load(&cert, tls_baked_cert, tls_baked_cert_len,
			  tls_baked_key, tls_baked_key_len, &why)) {
		printf("httpd: HTTPS not started: certificate: %s\n", why);
		return false;
	}
	/* A TLS connection's block (about 37 KiB, from the heap) is memory
	   on top of what net_limits counts per connection: at most an
	   eighth of the connections may hold one (net/limits.h; the
	   default 1,024 from about 300 MiB up); tls_max_conns= sets it. */
	unsigned tls_max = net_limits.tcp_conns / 8;
	if (tls_max > TLS_MAX_CONNS_DEFAULT)
		tls_max = TLS_MAX_CONNS_DEFAULT;
	if (!tls_max)
		tls_max = 1;
	tls_max = (unsigned)kcmdline_u64(&key_tls_max, tls_max, 1, 65536);
	unsigned sessions = (unsigned)kcmdline_u64(&key_tls_cache, TLS_CACHE_DEFAULT, 0, 65536);
	r = tls_server_new(&(struct tls_server_opts){
				   .cert = &cert,
				   .max_conns = tls_max,
				   .names = kcmdline_str(&key_tls_names),
				   .sni_strict = kcmdline_u64(&key_tls_strict, 0, 0, 1),
				   .cache_sessions = sessions,
				   .no_cache = sessions == 0,
			   }, &https_tls);
	if (r < 0) {
		printf("httpd: HTTPS not started: %d\n", r);
		return false;
	}
	r = net_listen(port, 4096, &https_l);
	if (r < 0) {
		printf("httpd: HTTPS: cannot listen on port %u: %d\n", port, r);
		tls_server_free(https_tls);
		return false;
	}
	https_srv = srv;
	if (!task_spawn(&(struct task_attr){ "https-accept", 0, -1 },
			https_task, NULL)) {
		printf("httpd: HTTPS: no task for the listener\n");
		return false;
	}
	printf("httpd: HTTPS listening on port %u (%s, TLS 1.2, ALPN http/1.1, %u at once%s)\n",
	       port, tls_cert_describe(&cert, desc, sizeof desc), tls_max,
	       sessions ? "" : ", no session resumption");
	return true;
}
