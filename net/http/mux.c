/*
 * net/http/mux.c — routing a request's path to a handler, with Go's
 * ServeMux rules (http.h has them). A mux is a small table filled before
 * serving and only read afterwards; a match is a scan of it, each
 * pattern compared once (a few dozen patterns at most: a trie would be
 * more code than the scan costs).
 */
#include <errno.h>
#include <string.h>
#include "net/http/http.h"

void http_mux_init(struct http_mux *m)
{
	memset(m, 0, sizeof(*m));
}

int http_handle(struct http_mux *m, const char *pattern,
		struct http_handler *h)
{
	size_t len;
	unsigned i;

	if (!m || !pattern || !h || !h->serve || pattern[0] != '/')
		return -EINVAL;
	len = strlen(pattern);
	for (i = 0; i < m->n; i++)
		if (m->routes[i].len == len &&
		    memcmp(m->routes[i].pattern, pattern, len) == 0)
			return -EEXIST;
	if (m->n == HTTP_MUX_MAX)
		return -ENOSPC;
	m->routes[m->n++] = (struct http_route){ pattern, (uint32_t)len, h };
	return 0;
}

/* a[0..n) == b[0..n): inline, as the patterns and paths compared are a
 * few bytes (a memcmp call costs more than the compare). */
static bool same(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

struct http_handler *http_mux_match(const struct http_mux *m,
				    const char *path, size_t len,
				    bool *redirect)
{
	const struct http_route *best = NULL;
	bool redir = false;
	unsigned i;

	for (i = 0; i < m->n; i++) {
		const struct http_route *rt = &m->routes[i];
		bool prefix = rt->pattern[rt->len - 1] == '/';

		if (prefix ? len >= rt->len && same(path, rt->pattern, rt->len)
			   : len == rt->len && same(path, rt->pattern, len)) {
			if (!best || rt->len > best->len)
				best = rt;
		} else if (prefix && len + 1 == rt->len &&
			   same(path, rt->pattern, len)) {
			redir = true; /* "/files" for "/files/" */
		}
	}
	/* Go redirects only when no other pattern matches the path as it
	 * is, apart from a catch-all shorter than it. */
	if (redir && (!best || best->len < len)) {
		if (redirect)
			*redirect = true;
		return NULL;
	}
	if (redirect)
		*redirect = false;
	return best ? best->h : NULL;
}

void http_mux_each(const struct http_mux *m,
		   void (*fn)(const struct http_handler *h, void *arg),
		   void *arg)
{
	unsigned i, j;

	for (i = 0; i < m->n; i++) {
		for (j = 0; j < i; j++)
			if (m->routes[j].h == m->routes[i].h)
				break;
		if (j == i)
			fn(m->routes[i].h, arg);
	}
}
