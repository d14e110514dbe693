/*
 * apps/proxy/forward.c — the fields app=proxy forwards (see forward.h).
 */
#include <string.h>
#include "apps/proxy/forward.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool ieq(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* Does the comma list v[0..vn) name the token t[0..tn)? */
static bool list_has(const char *v, size_t vn, const char *t, size_t tn)
{
	size_t i = 0;
	while (i < vn) {
		while (i < vn && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < vn && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tn) {
			size_t k = 0;
			while (k < tn && lower((unsigned char)v[s + k]) == lower((unsigned char)t[k]))
				k++;
			if (k == tn)
				return true;
		}
	}
	return false;
}

bool fwd_drop(const char *name, size_t n, const struct fwd_field *conn, size_t nconn,
	      bool to_upstream)
{
	static const char *const hop[] = {
		"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
		"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
		"content-length",
	};
	for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
		if (ieq(name, n, hop[i]))
			return true;
	if (to_upstream && ieq(name, n, "host"))
		return true;
	for (size_t i = 0; i < nconn; i++)
		if (list_has(conn[i].value, conn[i].value_len, name, n))
			return true;
	return false;
}

struct out {
	char *p;
	size_t n, size;
	bool over;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->over || o->size - o->n < n) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* "Name: v1, v2, ..., last\r\n" from every field named name, then last. */
static void joined(struct out *o, const struct fwd_field *f, size_t n, const char *name,
		   const char *last)
{
	puts_(o, name);
	puts_(o, ": ");
	for (size_t i = 0; i < n; i++)
		if (ieq(f[i].name, f[i].name_len, name) && f[i].value_len) {
			put(o, f[i].value, f[i].value_len);
			puts_(o, ", ");
		}
	puts_(o, last);
	puts_(o, "\r\n");
}

long fwd_render(const struct fwd_field *f, size_t n, bool to_upstream, const char *client_ip,
		char *out, size_t size)
{
	struct fwd_field conn[8];
	size_t nconn = 0;
	for (size_t i = 0; i < n && nconn < 8; i++)
		if (ieq(f[i].name, f[i].name_len, "connection"))
			conn[nconn++] = f[i];
	struct out o = { out, 0, size, false };
	for (size_t i = 0; i < n; i++) {
		if (fwd_drop(f[i].name, f[i].name_len, conn, nconn, to_upstream))
			continue;
		if (ieq(f[i].name, f[i].name_len, "via") ||
		    (to_upstream && ieq(f[i].name, f[i].name_len, "x-forwarded-for")))
			continue;		/* rewritten below */
		put(&o, f[i].name, f[i].name_len);
		puts_(&o, ": ");
		put(&o, f[i].value, f[i].value_len);
		puts_(&o, "\r\n");
	}
	if (to_upstream)
		joined(&o, f, n, "X-Forwarded-For", client_ip);
	joined(&o, f, n, "Via", PROXY_VIA);
	return o.over ? -1 : (long)o.n;
}
