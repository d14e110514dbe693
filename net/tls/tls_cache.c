/* net/tls/tls_cache.c — the locked session cache (tls_cache.h). */
#include <errno.h>
#include <stdlib.h>
#include "net/tls/tls_cache.h"

static void cache_save(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
		       const br_ssl_session_parameters *params)
{
	struct tls_cache *c = (struct tls_cache *)ctx;
	bool f = spin_lock(&c->lock);
	c->lru.vtable->save(&c->lru.vtable, sc, params);
	spin_unlock(&c->lock, f);
}

static int cache_load(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
		      br_ssl_session_parameters *params)
{
	struct tls_cache *c = (struct tls_cache *)ctx;
	bool f = spin_lock(&c->lock);
	int found = c->lru.vtable->load(&c->lru.vtable, sc, params);
	spin_unlock(&c->lock, f);
	if (found && c->loaded)
		c->loaded(sc, params);
	return found;
}

static const br_ssl_session_cache_class cache_vtable = {
	sizeof(struct tls_cache), cache_save, cache_load,
};

int tls_cache_init(struct tls_cache *c, unsigned sessions,
		   void (*loaded)(br_ssl_server_context *, const br_ssl_session_parameters *))
{
	size_t len = (size_t)sessions * TLS_CACHE_ENTRY;
	c->store = malloc(len);
	if (!c->store)
		return -ENOMEM;
	c->vtable = &cache_vtable;
	c->lock = (struct spinlock)SPINLOCK_INIT;
	c->loaded = loaded;
	br_ssl_session_cache_lru_init(&c->lru, c->store, len);
	return 0;
}

void tls_cache_free(struct tls_cache *c)
{
	free(c->store);
	c->store = NULL;
}
