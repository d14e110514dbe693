/*
 * apps/kv/store.c — app=kv's sharded store (the contract: store.h).
 *
 * Each shard is a chained hash map (FNV-1a, 64 bits; the top bits pick the
 * shard, the low bits the bucket) that doubles its buckets when it holds
 * more keys than buckets. Entries are reference counted so that a GET can
 * write a value to a slow client without holding the shard's lock: the
 * map holds one reference while the entry is in it, each reader one
 * more, and the last kv_unref frees the block and gives its bytes back to
 * the bound. Reference counts change under the shard's lock or
 * atomically outside it; the bytes used are one atomic counter that a put
 * reserves with a compare-and-swap before it allocates, so concurrent
 * puts on different shards never overshoot max_bytes together.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "apps/kv/store.h"

#define INITIAL_BUCKETS 64

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct kv_shard *shard_of(struct kv_store *s, uint64_t h)
{
	return &s->shards[h >> 60 & (KV_SHARDS - 1)];
}

uint64_t kv_cost(size_t klen, uint64_t vlen)
{
	return sizeof(struct kv_entry) + klen + vlen + sizeof(struct kv_entry *);
}

bool kv_key_ok(const char *key, size_t klen)
{
	return key && klen >= 1 && klen <= KV_KEY_MAX;
}

int kv_init(struct kv_store *s, uint64_t max_bytes, uint64_t max_value,
	    const struct kv_sync *sync, void *const locks[KV_SHARDS])
{
	memset(s, 0, sizeof *s);
	s->sync = sync;
	s->max_bytes = max_bytes;
	s->max_value = max_value;
	for (int i = 0; i < KV_SHARDS; i++) {
		struct kv_shard *sh = &s->shards[i];
		sh->lock = locks[i];
		sh->buckets = calloc(INITIAL_BUCKETS, sizeof *sh->buckets);
		if (!sh->buckets) {
			kv_destroy(s);
			return -ENOMEM;
		}
		sh->nbuckets = INITIAL_BUCKETS;
	}
	return 0;
}

void kv_destroy(struct kv_store *s)
{
	for (int i = 0; i < KV_SHARDS; i++) {
		struct kv_shard *sh = &s->shards[i];
		for (size_t b = 0; sh->buckets && b < sh->nbuckets; b++)
			for (struct kv_entry *e = sh->buckets[b], *n; e; e = n) {
				n = e->next;
				free(e);
			}
		free(sh->buckets);
		sh->buckets = NULL;
	}
}

/* Reserve n bytes of the bound: false when they do not fit. */
static bool reserve(struct kv_store *s, uint64_t n)
{
	uint64_t cur = __atomic_load_n(&s->used, __ATOMIC_RELAXED);
	do {
		if (cur + n > s->max_bytes || cur + n < cur)
			return false;
	} while (!__atomic_compare_exchange_n(&s->used, &cur, cur + n, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

static void unreserve(struct kv_store *s, uint64_t n)
{
	__atomic_fetch_sub(&s->used, n, __ATOMIC_RELAXED);
}

bool kv_fits(struct kv_store *s, size_t klen, uint64_t vlen)
{
	uint64_t need = kv_cost(klen, vlen);
	return __atomic_load_n(&s->used, __ATOMIC_RELAXED) + need <= s->max_bytes;
}

void kv_unref(struct kv_store *s, struct kv_entry *e)
{
	if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		unreserve(s, kv_cost(e->klen, e->vlen));
		free(e);
	}
}

/* The slot holding key's entry (or where it would go), under the lock. */
static struct kv_entry **find(struct kv_shard *sh, uint64_t h, const char *key, size_t klen)
{
	struct kv_entry **pp = &sh->buckets[h & (sh->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && (*pp)->klen == klen && !memcmp((*pp)->data, key, klen))
			break;
	return pp;
}

/* Double the buckets (under the lock); on no memory the map stays. */
static void grow(struct kv_shard *sh)
{
	size_t n = sh->nbuckets * 2;
	struct kv_entry **nb = calloc(n, sizeof *nb);
	if (!nb)
		return;
	for (size_t b = 0; b < sh->nbuckets; b++)
		for (struct kv_entry *e = sh->buckets[b], *next; e; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(sh->buckets);
	sh->buckets = nb;
	sh->nbuckets = n;
}

int kv_put(struct kv_store *s, const char *key, size_t klen, const void *val, uint64_t vlen)
{
	if (!kv_key_ok(key, klen))
		return -EINVAL;
	if (vlen > s->max_value)
		return -EMSGSIZE;
	uint64_t cost = kv_cost(klen, vlen);
	if (!reserve(s, cost))
		return -ENOSPC;
	struct kv_entry *e = malloc(sizeof *e + klen + vlen);
	if (!e) {
		unreserve(s, cost);
		return -ENOMEM;
	}
	uint64_t h = fnv1a(key, klen);
	e->hash = h;
	e->klen = (uint32_t)klen;
	e->vlen = vlen;
	e->refs = 1;
	memcpy(e->data, key, klen);
	if (vlen)
		memcpy(e->data + klen, val, vlen);
	struct kv_shard *sh = shard_of(s, h);
	s->sync->lock(sh->lock);
	struct kv_entry **pp = find(sh, h, key, klen), *old = *pp;
	if (old) {
		e->next = old->next;
		*pp = e;
	} else {
		e->next = NULL;
		*pp = e;
		sh->count++;
		__atomic_fetch_add(&s->keys, 1, __ATOMIC_RELAXED);
		if (sh->count > sh->nbuckets)
			grow(sh);
	}
	s->sync->unlock(sh->lock);
	if (old)
		kv_unref(s, old);	/* gives its bytes back when no reader holds it */
	return old ? 1 : 0;
}

struct kv_entry *kv_get(struct kv_store *s, const char *key, size_t klen)
{
	if (!kv_key_ok(key, klen))
		return NULL;
	uint64_t h = fnv1a(key, klen);
	struct kv_shard *sh = shard_of(s, h);
	s->sync->lock(sh->lock);
	struct kv_entry *e = *find(sh, h, key, klen);
	if (e)
		__atomic_fetch_add(&e->refs, 1, __ATOMIC_RELAXED);
	s->sync->unlock(sh->lock);
	return e;
}

int kv_delete(struct kv_store *s, const char *key, size_t klen)
{
	if (!kv_key_ok(key, klen))
		return -ENOENT;
	uint64_t h = fnv1a(key, klen);
	struct kv_shard *sh = shard_of(s, h);
	s->sync->lock(sh->lock);
	struct kv_entry **pp = find(sh, h, key, klen), *e = *pp;
	if (e) {
		*pp = e->next;
		sh->count--;
		__atomic_fetch_sub(&s->keys, 1, __ATOMIC_RELAXED);
	}
	s->sync->unlock(sh->lock);
	if (!e)
		return -ENOENT;
	kv_unref(s, e);
	return 0;
}

size_t kv_list(struct kv_store *s, const char *prefix, size_t plen,
	       void (*fn)(void *arg, const char *key, size_t klen), void *arg)
{
	size_t n = 0;
	for (int i = 0; i < KV_SHARDS; i++) {
		struct kv_shard *sh = &s->shards[i];
		s->sync->lock(sh->lock);
		for (size_t b = 0; b < sh->nbuckets; b++)
			for (struct kv_entry *e = sh->buckets[b]; e; e = e->next)
				if (e->klen >= plen && !memcmp(e->data, prefix, plen)) {
					fn(arg, e->data, e->klen);
					n++;
				}
		s->sync->unlock(sh->lock);
	}
	return n;
}
