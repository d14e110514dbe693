/*
 * tests/guest/test_tls.c — the TLS session cache (net/tls/tls_cache.c)
 * shared by tasks on every CPU: saves and loads from all of them at once
 * must neither corrupt BearSSL's tree (which has no lock of its own) nor
 * lose or mix up sessions.
 */
#include <stdlib.h>
#include <string.h>
#include "kernel/cpu.h"
#include "net/tls/tls_cache.h"
#include "runtime/runtime.h"
#include "tests/guest/ktest.h"

enum { PER_TASK = 400, TASKS_PER_CPU = 2 };

struct cache_worker {
	struct tls_cache *cache;
	struct waitgroup *wg;
	unsigned id;
	br_ssl_server_context *sc;	/* its own: the cache reads its DRBG */
	int lost, wrong;
};

static void fill_id(uint8_t id[32], unsigned worker, unsigned i)
{
	memset(id, 0, 32);
	memcpy(id, &worker, sizeof worker);
	memcpy(id + 8, &i, sizeof i);
	id[31] = 0xa5;
}

static void cache_work(void *arg)
{
	struct cache_worker *w = arg;
	const br_ssl_session_cache_class **c = &w->cache->vtable;
	for (unsigned i = 0; i < PER_TASK; i++) {
		br_ssl_session_parameters p = { 0 };
		fill_id(p.session_id, w->id, i);
		p.session_id_len = 32;
		p.version = 0x0303;
		p.cipher_suite = (uint16_t)(w->id * 1000 + i);
		memset(p.master_secret, (int)(w->id + i), sizeof p.master_secret);
		(*c)->save(c, w->sc, &p);
		if (i % 3 == 0)
			task_yield();
	}
	for (unsigned i = 0; i < PER_TASK; i++) {
		br_ssl_session_parameters p = { 0 };
		fill_id(p.session_id, w->id, i);
		p.session_id_len = 32;
		if (!(*c)->load(c, w->sc, &p))
			w->lost++;
		else if (p.cipher_suite != (uint16_t)(w->id * 1000 + i) ||
			 p.master_secret[47] != (uint8_t)(w->id + i))
			w->wrong++;
	}
	wg_done(w->wg);
}

KTEST(tls, session_cache_shared_by_every_cpu)
{
	unsigned n = ncpus_online * TASKS_PER_CPU;
	static struct tls_cache cache;
	/* Room for every session: nothing may be evicted. */
	KT_EQ(tls_cache_init(&cache, n * PER_TASK + 16, NULL), 0);
	struct cache_worker *w = calloc(n, sizeof *w);
	br_ssl_server_context *sc = calloc(n, sizeof *sc);
	KT_ASSERT(w && sc);
	struct waitgroup wg = WAITGROUP_INIT;
	uint64_t alive0 = rt_tasks_alive();
	wg_add(&wg, n);
	for (unsigned i = 0; i < n; i++) {
		br_hmac_drbg_init(&sc[i].eng.rng, &br_sha256_vtable, "cache test seed", 15);
		w[i] = (struct cache_worker){ &cache, &wg, i, &sc[i], 0, 0 };
		struct task_attr a = { "tlscache", 0, (int)(i % ncpus_online) };
		KT_ASSERT(task_spawn(&a, cache_work, &w[i]));
	}
	KT_EQ(wg_wait_timeout(&wg, ms(60000)), 0);
	KT_EQ(ktest_wait_tasks(alive0, 2000), alive0);
	for (unsigned i = 0; i < n; i++) {
		KT_EQ(w[i].lost, 0);
		KT_EQ(w[i].wrong, 0);
	}
	/* An ID never saved is not found. */
	br_ssl_session_parameters p = { 0 };
	fill_id(p.session_id, 9999, 0);
	p.session_id_len = 32;
	KT_EQ(cache.vtable->load(&cache.vtable, &sc[0], &p), 0);
	free(w);
	free(sc);
	tls_cache_free(&cache);
}
