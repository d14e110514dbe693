/*
 * apps/kv/kv.c — app=kv: an HTTP key-value store on the handler API
 * (net/http/http.h), its state in shards of maps under mutexes
 * (apps/kv/store.c): shared state in plain blocking style.
 *
 *	PUT /kv/KEY            the body is the value: 201 (new), 204 (replaced)
 *	GET /kv/KEY            200 with the value, 404 when there is none
 *	DELETE /kv/KEY         204, 404 when there was none
 *	GET /kv/?prefix=P      200: the keys starting with P, sorted, one a line
 *	GET /stats             200: one line of "name value" pairs (below)
 *
 * KEY is the path after /kv/ as the library normalizes it (percent-
 * decoded; "." and ".." resolved). Memory is bounded: kv_max_bytes= (64
 * MiB) for keys, values and their overhead together, 507 when a PUT
 * does not fit; kv_max_value= (1 MiB) per value, 413 past it (decided
 * from Content-Length before the body is read, else while reading it).
 * A value is read into one block of the heap before it is stored, so
 * many large PUTs at once can use the heap up before the store is full:
 * the PUT whose block cannot be had gets 507 "no memory for the value"
 * (counted: kv_nomem), and the heap never takes the pages the
 * connections' stacks are promised (runtime/stack.c, THE HEAP'S FLOOR),
 * so the others go on. Connections past kv_max_conns= (the connections
 * the memory holds, net/limits.h, at most 1,024) get 503. Other methods
 * get 405 with Allow.
 *
 * /stats is for tests and a glance: tasks_alive, stack_pages, heap_in_use
 * and heap_arena (bytes), heap_floor_hits (heap growths refused for the
 * stacks' sake), conns_open and conns_refused (503) of the server,
 * kv_keys, kv_bytes (accounted), kv_nomem and kv_full (507s: no heap
 * block, store full), and lwIP's receive buffers, pbuf headers and
 * segments in use (pbuf_pool, pbuf_ref, tcp_seg) with their allocation
 * failures (pbuf_pool_errors, tcp_seg_errors).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apps/kv/store.h"
#include "net/conn.h"
#include "net/http/http.h"
#include "net/limits.h"
#include "net/net.h"
#include "runtime/app.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

CMDLINE_KEY(key_port, "port", "TCP port of the app");
CMDLINE_KEY(key_max_bytes, "kv_max_bytes", "kv: bytes the store may hold (507 past it)");
CMDLINE_KEY(key_max_value, "kv_max_value", "kv: largest value in bytes (413 past it)");
CMDLINE_KEY(key_max_conns, "kv_max_conns", "kv: connections served at once (503 past it)");

static struct kv_store store;
static uint64_t puts_nomem, puts_full;	/* atomic: 507s by cause */
static struct mutex shard_locks[KV_SHARDS];

static void lock(void *m) { mutex_lock(m); }
static void unlock(void *m) { mutex_unlock(m); }
static const struct kv_sync sync_ops = { lock, unlock };

struct keys {
	char *buf;
	size_t len, cap;
	int err;
};

static void collect(void *arg, const char *k, size_t kl)
{
	struct keys *ks = arg;
	if (ks->err)
		return;
	if (ks->len + kl + 1 > ks->cap) {
		size_t nc = ks->cap ? ks->cap * 2 : 4096;
		while (nc < ks->len + kl + 1)
			nc *= 2;
		char *nb = realloc(ks->buf, nc);
		if (!nb) {
			ks->err = -ENOMEM;
			return;
		}
		ks->buf = nb;
		ks->cap = nc;
	}
	memcpy(ks->buf + ks->len, k, kl);
	ks->len += kl;
	ks->buf[ks->len++] = '\n';
}

static int cmp_line(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	for (;; x++, y++) {
		int cx = *x == '\n' ? -1 : (unsigned char)*x;
		int cy = *y == '\n' ? -1 : (unsigned char)*y;
		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (cx == -1)
			return 0;
	}
}

static void list(struct http_response *w, struct http_request *r)
{
	char prefix[KV_KEY_MAX + 1] = "";
	long pl = 0;
	pl = http_query_get(r->query, "prefix", prefix, sizeof prefix);
	if (pl == -EINVAL || pl == -ENOSPC) {
		http_error(w, 400, "bad prefix\n");
		return;
	}
	if (pl < 0)
		pl = 0;
	struct keys ks = { 0 };
	size_t n = kv_list(&store, prefix, (size_t)pl, collect, &ks);
	const char **lines = n ? malloc(n * sizeof *lines) : NULL;
	if (ks.err || (n && !lines)) {
		free(ks.buf);
		free(lines);
		http_error(w, 500, "out of memory\n");
		return;
	}
	for (size_t i = 0, o = 0; i < n; i++) {
		lines[i] = ks.buf + o;
		o += (size_t)((const char *)memchr(ks.buf + o, '\n', ks.len - o) - (ks.buf + o)) + 1;
	}
	qsort(lines, n, sizeof *lines, cmp_line);
	http_header_set(w, "Content-Type", "text/plain; charset=utf-8");
	http_set_content_length(w, ks.len);
	for (size_t i = 0; i < n; i++) {
		const char *e = memchr(lines[i], '\n', ks.len - (size_t)(lines[i] - ks.buf));
		if (http_write(w, lines[i], (size_t)(e - lines[i]) + 1) < 0)
			break;
	}
	free(lines);
	free(ks.buf);
}

static void get(struct http_response *w, const char *key, size_t kl)
{
	struct kv_entry *e = kv_get(&store, key, kl);
	if (!e) {
		http_error(w, 404, "no such key\n");
		return;
	}
	http_header_set(w, "Content-Type", "application/octet-stream");
	http_set_content_length(w, e->vlen);
	if (e->vlen)
		http_write(w, kv_value(e), e->vlen);
	kv_unref(&store, e);
}

static void put(struct http_response *w, struct http_request *r, const char *key, size_t kl)
{
	int64_t cl = r->content_length;
	if (cl > 0 && (uint64_t)cl > store.max_value) {
		http_error(w, 413, "value too large\n");
		return;
	}
	if (cl >= 0 && !kv_fits(&store, kl, (uint64_t)cl)) {
		__atomic_fetch_add(&puts_full, 1, __ATOMIC_RELAXED);
		http_error(w, 507, "store full\n");
		return;
	}
	/* Known length: one block; chunked: grown, at most max_value + 1. */
	size_t cap = cl >= 0 ? (size_t)cl : 4096, len = 0;
	char *buf = malloc(cap ? cap : 1);
	if (!buf) {
		__atomic_fetch_add(&puts_nomem, 1, __ATOMIC_RELAXED);
		http_error(w, 507, "no memory for the value\n");
		return;
	}
	for (;;) {
		if (len == cap) {
			if (cl >= 0 || cap > store.max_value)
				break;
			size_t nc = cap * 2;
			char *nb = realloc(buf, nc);
			if (!nb) {
				free(buf);
				__atomic_fetch_add(&puts_nomem, 1, __ATOMIC_RELAXED);
				http_error(w, 507, "no memory for the value\n");
				return;
			}
			buf = nb;
			cap = nc;
		}
		ssize_t n = http_request_read(r, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0) {
			free(buf);
			http_error(w, n <= -400 ? (int)-n : 400, NULL);
			return;
		}
		len += (size_t)n;
	}
	if (len > store.max_value) {
		free(buf);
		http_error(w, 413, "value too large\n");
		return;
	}
	int rc = kv_put(&store, key, kl, buf, len);
	free(buf);
	if (rc == -ENOMEM) {
		__atomic_fetch_add(&puts_nomem, 1, __ATOMIC_RELAXED);
		http_error(w, 507, "no memory for the value\n");
	} else if (rc == -ENOSPC) {
		__atomic_fetch_add(&puts_full, 1, __ATOMIC_RELAXED);
		http_error(w, 507, "store full\n");
	}
	else if (rc == -EMSGSIZE)
		http_error(w, 413, "value too large\n");
	else if (rc < 0)
		http_error(w, 400, "bad key\n");
	else
		http_write_header(w, rc == 0 ? 201 : 204);
}

static void kv_serve(struct http_response *w, struct http_request *r, void *arg)
{
	(void)arg;
	const char *key = r->path.ptr + 4;	/* after "/kv/" */
	size_t kl = r->path.len - 4;
	if (kl == 0) {
		if (r->method == HTTP_GET || r->method == HTTP_HEAD)
			list(w, r);
		else {
			http_header_set(w, "Allow", "GET, HEAD");
			http_error(w, 405, NULL);
		}
		return;
	}
	if (kl > KV_KEY_MAX) {
		http_error(w, 414, "key too long\n");
		return;
	}
	switch (r->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		get(w, key, kl);
		break;
	case HTTP_PUT:
		put(w, r, key, kl);
		break;
	case HTTP_DELETE:
		if (kv_delete(&store, key, kl) == 0)
			http_write_header(w, 204);
		else
			http_error(w, 404, "no such key\n");
		break;
	default:
		http_header_set(w, "Allow", "GET, HEAD, PUT, DELETE");
		http_error(w, 405, NULL);
	}
}

static struct http_mux mux;
static struct http_server srv;

struct pools {
	uint64_t pbuf_pool, pbuf_ref, tcp_seg, pbuf_pool_errors, tcp_seg_errors;
};

static void pool_add(void *arg, const struct net_pool_stats *p)
{
	struct pools *u = arg;
	if (!strcmp(p->name, "PBUF_POOL")) {
		u->pbuf_pool = p->used;
		u->pbuf_pool_errors = p->errors;
	} else if (!strcmp(p->name, "PBUF")) {
		u->pbuf_ref = p->used;
	} else if (!strcmp(p->name, "TCP_SEG")) {
		u->tcp_seg = p->used;
		u->tcp_seg_errors = p->errors;
	}
}

/* GET /stats: one line, written from the stack (it must answer when the
   heap has nothing left). This request's own connection is counted. */
static void stats(struct http_response *w, struct http_request *r, void *arg)
{
	(void)arg;
	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_header_set(w, "Allow", "GET, HEAD");
		http_error(w, 405, NULL);
		return;
	}
	struct rt_heap_stats heap;
	struct http_stats hs;
	struct pools u = { 0 };
	rt_heap_stats(&heap);
	http_stats_snapshot(&hs);
	net_lwip_stats(pool_add, &u);
	char line[640];
	int n = snprintf(line, sizeof line,
			 "tasks_alive %llu stack_pages %llu heap_in_use %llu heap_arena %llu "
			 "heap_floor_hits %llu conns_open %llu conns_refused %llu kv_keys %llu "
			 "kv_bytes %llu kv_nomem %llu kv_full %llu pbuf_pool %llu pbuf_ref %llu "
			 "tcp_seg %llu pbuf_pool_errors %llu tcp_seg_errors %llu\n",
			 (unsigned long long)rt_tasks_alive(), (unsigned long long)rt_stack_pages(),
			 (unsigned long long)heap.in_use, (unsigned long long)heap.arena,
			 (unsigned long long)heap.floor_hits,
			 (unsigned long long)__atomic_load_n(&srv.conns_open, __ATOMIC_RELAXED),
			 (unsigned long long)hs.conns_refused,
			 (unsigned long long)__atomic_load_n(&store.keys, __ATOMIC_RELAXED),
			 (unsigned long long)__atomic_load_n(&store.used, __ATOMIC_RELAXED),
			 (unsigned long long)__atomic_load_n(&puts_nomem, __ATOMIC_RELAXED),
			 (unsigned long long)__atomic_load_n(&puts_full, __ATOMIC_RELAXED),
			 (unsigned long long)u.pbuf_pool, (unsigned long long)u.pbuf_ref,
			 (unsigned long long)u.tcp_seg, (unsigned long long)u.pbuf_pool_errors,
			 (unsigned long long)u.tcp_seg_errors);
	http_header_set(w, "Content-Type", "text/plain; charset=utf-8");
	http_set_content_length(w, (uint64_t)n);
	http_write(w, line, (size_t)n);
}

static struct http_handler kv_h = { "kv", kv_serve, NULL, 0, 0 };
static struct http_handler stats_h = { "stats", stats, NULL, 0, 0 };

static void kv_main(void)
{
	uint16_t port = (uint16_t)kcmdline_u64(&key_port, 80, 1, 65535);
	uint64_t max_bytes = kcmdline_u64(&key_max_bytes, 64u << 20, 4096, UINT64_MAX);
	uint64_t max_value = kcmdline_u64(&key_max_value, 1u << 20, 1, 1u << 30);
	void *locks[KV_SHARDS];
	for (int i = 0; i < KV_SHARDS; i++) {
		shard_locks[i] = (struct mutex)MUTEX_INIT;
		locks[i] = &shard_locks[i];
	}
	if (kv_init(&store, max_bytes, max_value, &sync_ops, locks) < 0) {
		printf("kv: no memory for the store\n");
		return;
	}
	http_mux_init(&mux);
	http_handle(&mux, "/kv/", &kv_h);
	http_handle(&mux, "/stats", &stats_h);
	http_server_init(&srv, &mux);
	srv.limits.max_body = max_value;
	/* No more than the memory holds (as httpd), so the connection past
	   it gets a 503 and the ones served keep their stacks' pages. */
	uint32_t conns = net_limits.tcp_conns < 1024 ? net_limits.tcp_conns : 1024;
	srv.limits.max_conns = (uint32_t)kcmdline_u64(&key_max_conns, conns, 1, 1000000);
	printf("kv: port=%u kv_max_bytes=%llu kv_max_value=%llu kv_max_conns=%u shards=%d\n", port,
	       (unsigned long long)max_bytes, (unsigned long long)max_value,
	       srv.limits.max_conns, KV_SHARDS);
	int r = http_listen_and_serve(&srv, port);
	printf("kv: cannot listen on port %u: %d\n", port, r);
}
APP("kv", kv_main);
