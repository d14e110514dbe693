/*
 * apps/kv/store.h — app=kv's store: keys to byte values, in shards of
 * hash maps, each under its own lock, with a bound on the memory held.
 * Pure C (malloc and the locks it is given): app=kv runs it under the
 * runtime's mutexes, the host tests under pthread mutexes.
 *
 *	kv_init(&s, max_bytes, max_value, &sync, locks);
 *	kv_put(&s, "k", 1, "v", 1);		0 created, 1 replaced,
 *						-ENOSPC full, -EMSGSIZE too large
 *	struct kv_entry *e = kv_get(&s, "k", 1);	NULL: no such key
 *	    kv_value(e), e->vlen: the bytes, valid until kv_unref(&s, e)
 *	kv_delete(&s, "k", 1);			0, -ENOENT
 *	kv_list(&s, "pre", 3, fn, arg);		fn(arg, key, klen) per key
 *
 * Memory: every entry costs kv_cost(klen, vlen) bytes (its block and a
 * share of the buckets); the store refuses a put that would take the
 * total past max_bytes (-ENOSPC: app=kv's 507), and a value longer than
 * max_value (-EMSGSIZE: 413). An entry replaced or deleted while a
 * reader still holds it (kv_get) is freed, and its bytes given back, when
 * the last holder lets go: the bound holds for what is really allocated.
 * So a put that replaces a value needs room for both for a moment.
 *
 * Threads: any number of tasks may call anything at once. A key's shard
 * is chosen by its hash; each call locks one shard at a time (kv_list
 * each in turn: a listing is consistent per shard, as Go's sync.Map's
 * Range is per key, not a snapshot of the whole store).
 */
#ifndef APPS_KV_STORE_H
#define APPS_KV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KV_SHARDS 16
#define KV_KEY_MAX 1024

struct kv_sync {
	void (*lock)(void *m);
	void (*unlock)(void *m);
};

struct kv_entry {
	struct kv_entry *next;		/* in its bucket */
	uint64_t hash;
	uint32_t klen;
	uint32_t refs;			/* the map's (while in it) + readers' */
	uint64_t vlen;
	char data[];			/* the key, then the value */
};

struct kv_shard {
	void *lock;
	struct kv_entry **buckets;
	size_t nbuckets, count;
};

struct kv_store {
	struct kv_shard shards[KV_SHARDS];
	const struct kv_sync *sync;
	uint64_t max_bytes, max_value;
	uint64_t used;			/* atomic: bytes held (kv_cost) */
	uint64_t keys;			/* atomic: keys in the store */
};

/* locks: one lock object per shard, for sync. 0, or -ENOMEM. */
int kv_init(struct kv_store *s, uint64_t max_bytes, uint64_t max_value,
	    const struct kv_sync *sync, void *const locks[KV_SHARDS]);
/* Free everything (no other caller may be left). */
void kv_destroy(struct kv_store *s);

/* Bytes an entry is accounted: its block and its bucket slot. */
uint64_t kv_cost(size_t klen, uint64_t vlen);

/* Is key[0..klen) a key (1..KV_KEY_MAX bytes)? */
bool kv_key_ok(const char *key, size_t klen);
/* Would a value of vlen bytes under a new key fit now? For an early 507
   before the body is read; kv_put decides. */
bool kv_fits(struct kv_store *s, size_t klen, uint64_t vlen);

/* Store a copy of the value. 0 (a new key), 1 (replaced), -EINVAL (bad
   key), -EMSGSIZE (vlen > max_value), -ENOSPC (past max_bytes; the old
   value stays), -ENOMEM. */
int kv_put(struct kv_store *s, const char *key, size_t klen, const void *val, uint64_t vlen);
/* The entry, held for the caller (kv_unref it), or NULL. */
struct kv_entry *kv_get(struct kv_store *s, const char *key, size_t klen);
static inline const char *kv_value(const struct kv_entry *e)
{
	return e->data + e->klen;
}
void kv_unref(struct kv_store *s, struct kv_entry *e);
/* 0, or -ENOENT. */
int kv_delete(struct kv_store *s, const char *key, size_t klen);
/* fn(arg, key, klen) for every key starting with prefix[0..plen), under
   its shard's lock (fn must not call the store). Returns how many. */
size_t kv_list(struct kv_store *s, const char *prefix, size_t plen,
	       void (*fn)(void *arg, const char *key, size_t klen), void *arg);

#endif
