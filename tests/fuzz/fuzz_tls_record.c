/*
 * tests/fuzz/fuzz_tls_record.c — libFuzzer target: what a client sends to
 * the TLS port, into a server engine configured exactly as the kernel's
 * (net/tls/tls_engine.c), with BearSSL built with coverage and sanitizers
 * (tools/build-bearssl.sh fuzz).
 *
 * The input is the byte stream from the client, cut into the pieces a TCP
 * read would return: each piece's length is taken from the stream itself
 * (the first byte of each piece, 1..256; so short reads and records split
 * across reads are explored). The server's records are drained as a TCP
 * write would. Checked for every input: no crash or sanitizer report; the
 * engine ends either waiting for more, or closed with an error that
 * classifies to a reason with a negative errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/tls/tls_engine.h"

static struct tls_cert cert;
static br_ssl_server_context sc;
static struct tls_policy pol;
static unsigned char ibuf[TLS_IBUF_SIZE], obuf[TLS_OBUF_SIZE];
static br_ssl_session_cache_lru lru;
static unsigned char store[100 * 8];

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz_tls_record: cannot open %s (run from the repo root)\n", path);
		abort();
	}
	char *p = malloc(1 << 16);
	*n = fread(p, 1, 1 << 16, f);
	fclose(f);
	return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	size_t cn, kn;
	char *c = slurp("tests/host/data/tls/ec256.crt", &cn);
	char *k = slurp("tests/host/data/tls/ec256.key", &kn);
	const char *why = "";
	if (tls_cert_load(&cert, c, cn, k, kn, &why)) {
		fprintf(stderr, "fuzz_tls_record: %s\n", why);
		abort();
	}
	free(c);
	free(k);
	br_ssl_session_cache_lru_init(&lru, store, sizeof store);
	return 0;
}

static void drain(void)
{
	size_t len;
	while (br_ssl_engine_sendrec_buf(&sc.eng, &len))
		br_ssl_engine_sendrec_ack(&sc.eng, len);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tls_engine_opts o = { .cert = &cert, .alpn = { "http/1.1" }, .names = "localhost",
				     .cache = &lru.vtable };
	if (tls_engine_setup(&sc, &pol, &o, ibuf, obuf, "fuzz seed, fixed: 32 bytes long.", 32))
		abort();
	size_t off = 0;
	while (off < size) {
		drain();
		if (br_ssl_engine_current_state(&sc.eng) & BR_SSL_CLOSED)
			break;
		size_t room;
		unsigned char *in = br_ssl_engine_recvrec_buf(&sc.eng, &room);
		if (!in)
			break;
		size_t piece = 1 + data[off] % 256;
		if (piece > size - off)
			piece = size - off;
		if (piece > room)
			piece = room;
		memcpy(in, data + off, piece);
		br_ssl_engine_recvrec_ack(&sc.eng, piece);
		off += piece;
	}
	drain();
	unsigned st = br_ssl_engine_current_state(&sc.eng);
	if (st & BR_SSL_CLOSED) {
		int br = br_ssl_engine_last_error(&sc.eng), err = 0;
		enum tls_fail why = tls_classify(br, &err);
		if (br != BR_ERR_OK && (err >= 0 || (unsigned)why >= TLS_FAIL_N)) {
			fprintf(stderr, "invariant broken: error %d classified as %d/%d\n", br, why, err);
			abort();
		}
	}
	return 0;
}
