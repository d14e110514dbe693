// host-test-sources: apps/kv/store.c
#define _GNU_SOURCE
/* Host unit tests for app=kv's store (apps/kv/store.c): put, get, replace,
   delete, listing by prefix, the memory bound and the value limit, readers
   holding replaced entries, growth, and many threads at once. */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/kv/store.h"
#include "tests/host/hosttest.h"

static void plock(void *m) { pthread_mutex_lock(m); }
static void punlock(void *m) { pthread_mutex_unlock(m); }
static const struct kv_sync psync = { plock, punlock };
static pthread_mutex_t mtx[KV_SHARDS];

static void open_store(struct kv_store *s, uint64_t max_bytes, uint64_t max_value)
{
	void *locks[KV_SHARDS];
	for (int i = 0; i < KV_SHARDS; i++) {
		pthread_mutex_init(&mtx[i], NULL);
		locks[i] = &mtx[i];
	}
	HT_EQ(kv_init(s, max_bytes, max_value, &psync, locks), 0);
}

static bool has(struct kv_store *s, const char *k, const char *v)
{
	struct kv_entry *e = kv_get(s, k, strlen(k));
	if (!e)
		return v == NULL;
	bool ok = v && e->vlen == strlen(v) && !memcmp(kv_value(e), v, e->vlen);
	kv_unref(s, e);
	return ok;
}

HT_TEST(put_get_replace_delete)
{
	struct kv_store s;
	open_store(&s, 1 << 20, 1 << 10);
	HT_EQ(kv_put(&s, "a", 1, "one", 3), 0);
	HT_EQ(kv_put(&s, "b", 1, "", 0), 0);
	HT_CHECK(has(&s, "a", "one"));
	HT_CHECK(has(&s, "b", ""));
	HT_CHECK(has(&s, "c", NULL));
	HT_EQ(kv_put(&s, "a", 1, "uno", 3), 1);
	HT_CHECK(has(&s, "a", "uno"));
	HT_EQ(s.keys, 2);
	HT_EQ(kv_delete(&s, "a", 1), 0);
	HT_CHECK(has(&s, "a", NULL));
	HT_EQ(kv_delete(&s, "a", 1), -ENOENT);
	HT_EQ(s.keys, 1);
	HT_EQ(s.used, kv_cost(1, 0));
	HT_EQ(kv_put(&s, "", 0, "x", 1), -EINVAL);
	char big[KV_KEY_MAX + 1];
	memset(big, 'k', sizeof big);
	HT_EQ(kv_put(&s, big, sizeof big, "x", 1), -EINVAL);
	HT_EQ(kv_put(&s, big, KV_KEY_MAX, "x", 1), 0);
	kv_destroy(&s);
}

HT_TEST(limits)
{
	struct kv_store s;
	uint64_t cap = kv_cost(2, 100) * 3;
	open_store(&s, cap, 200);
	char v[201];
	memset(v, 'v', sizeof v);
	HT_EQ(kv_put(&s, "k1", 2, v, 201), -EMSGSIZE);
	HT_EQ(kv_put(&s, "k1", 2, v, 100), 0);
	HT_EQ(kv_put(&s, "k2", 2, v, 100), 0);
	HT_CHECK(kv_fits(&s, 2, 100));
	HT_EQ(kv_put(&s, "k3", 2, v, 100), 0);
	HT_CHECK(!kv_fits(&s, 2, 1));
	HT_EQ(kv_put(&s, "k4", 2, v, 1), -ENOSPC);
	HT_EQ(kv_put(&s, "k1", 2, v, 1), -ENOSPC);	/* room for both needed */
	struct kv_entry *e = kv_get(&s, "k1", 2);	/* the old value stays */
	HT_CHECK(e && e->vlen == 100);
	kv_unref(&s, e);
	HT_EQ(s.used, cap);
	HT_EQ(kv_delete(&s, "k2", 2), 0);
	HT_EQ(kv_put(&s, "k4", 2, v, 1), 0);		/* room again */
	kv_destroy(&s);
}

HT_TEST(reader_holds_replaced_entry)
{
	struct kv_store s;
	open_store(&s, 1 << 20, 1 << 10);
	HT_EQ(kv_put(&s, "k", 1, "old", 3), 0);
	struct kv_entry *e = kv_get(&s, "k", 1);
	HT_CHECK(e != NULL);
	HT_EQ(kv_put(&s, "k", 1, "new", 3), 1);
	HT_EQ(kv_delete(&s, "k", 1), 0);
	HT_CHECK(!memcmp(kv_value(e), "old", 3));	/* still readable */
	HT_EQ(s.used, kv_cost(1, 3));			/* and still counted */
	kv_unref(&s, e);
	HT_EQ(s.used, 0);
	kv_destroy(&s);
}

struct list { char buf[65536]; size_t n; int count; };
static void collect(void *arg, const char *k, size_t kl)
{
	struct list *l = arg;
	memcpy(l->buf + l->n, k, kl);
	l->n += kl;
	l->buf[l->n++] = '\n';
	l->count++;
}

HT_TEST(list_prefix_and_growth)
{
	struct kv_store s;
	open_store(&s, 64 << 20, 1 << 10);
	char k[32];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(k, sizeof k, "%s/%d", i % 2 ? "odd" : "even", i);
		HT_EQ(kv_put(&s, k, (size_t)n, k, (uint64_t)n), 0);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "%s/%d", i % 2 ? "odd" : "even", i);
		if (!has(&s, k, k))
			ht_fail(__FILE__, __LINE__, "lost %s", k);
	}
	static struct list l;
	l.n = 0;
	l.count = 0;
	HT_EQ(kv_list(&s, "odd/", 4, collect, &l), 2500);
	HT_EQ(l.count, 2500);
	HT_CHECK(memmem(l.buf, l.n, "odd/4999\n", 9) != NULL);
	HT_CHECK(memmem(l.buf, l.n, "even/", 5) == NULL);
	HT_EQ(kv_list(&s, "", 0, collect, &l), 5000);
	HT_EQ(kv_list(&s, "none", 4, collect, &l), 0);
	kv_destroy(&s);
}

static struct kv_store shared;
static void *worker(void *arg)
{
	int id = (int)(long)arg;
	char k[32], v[64];
	for (int i = 0; i < 4000; i++) {
		int kn = snprintf(k, sizeof k, "t%d/%d", id, i % 97);
		int vn = snprintf(v, sizeof v, "value %d %d", id, i);
		int r = kv_put(&shared, k, (size_t)kn, v, (uint64_t)vn);
		if (r < 0 && r != -ENOSPC)
			return (void *)1;
		struct kv_entry *e = kv_get(&shared, k, (size_t)kn);
		if (e) {
			if (e->klen != (uint32_t)kn || memcmp(e->data, k, (size_t)kn))
				return (void *)1;
			kv_unref(&shared, e);
		}
		if (i % 3 == 0)
			kv_delete(&shared, k, (size_t)kn);
	}
	return NULL;
}

HT_TEST(threads)
{
	open_store(&shared, kv_cost(8, 20) * 200, 1 << 10);
	pthread_t t[8];
	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 8; i++) {
		void *r;
		pthread_join(t[i], &r);
		HT_CHECK(r == NULL);
	}
	HT_CHECK(shared.used <= shared.max_bytes);
	/* What is counted is exactly what is held. */
	static struct list l;
	l.n = 0;
	l.count = 0;
	size_t n = kv_list(&shared, "", 0, collect, &l);
	HT_EQ(n, shared.keys);
	kv_destroy(&shared);
}
