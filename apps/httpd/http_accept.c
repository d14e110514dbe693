/*
 * apps/httpd/http_accept.c — Accept-Encoding weights (http_accept.h has
 * the contract).
 *
 * One pass over the list: each element is a token, then parameters
 * "; name=value" with OWS around the separators, up to a comma outside
 * any quoted string. The scanner never reads past n and keeps no state
 * beyond the element it is in.
 */
#include "apps/httpd/http_accept.h"

#include <stdint.h>
#include <string.h>
#include "net/http/chars.h"

struct scan {
	const char *v;
	size_t n, i;
};

static void skip_ows(struct scan *s)
{
	while (s->i < s->n && is_ows((uint8_t)s->v[s->i]))
		s->i++;
}

/* Length of the token at s->i (0 if none); s->i moves past it. */
static size_t token(struct scan *s)
{
	size_t b = s->i;

	while (s->i < s->n && is((uint8_t)s->v[s->i], C_TCHAR))
		s->i++;
	return s->i - b;
}

/* Skip to just past the next comma outside a quoted string, or the end. */
static void skip_element(struct scan *s)
{
	bool quoted = false;

	for (; s->i < s->n; s->i++) {
		char c = s->v[s->i];

		if (quoted && c == '\\' && s->i + 1 < s->n)
			s->i++;
		else if (c == '"')
			quoted = !quoted;
		else if (c == ',' && !quoted)
			break;
	}
	if (s->i < s->n)
		s->i++;
}

/* A qvalue ("0", "0.5", "1.000"...) as thousandths, or -1. */
static int qvalue(const char *p, size_t n)
{
	int q, scale = 100;

	if (n == 0 || (p[0] != '0' && p[0] != '1'))
		return -1;
	q = (p[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (p[1] != '.' || n > 5)
		return -1;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		q += (p[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* Does the token t[0..len) name coding name? */
static bool names(const char *t, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len == n + 2 && strcmp(name, "gzip") == 0 &&
	    lower((uint8_t)t[0]) == 'x' && t[1] == '-') {
		t += 2;
		len -= 2;
	}
	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((uint8_t)t[i]) != (uint8_t)name[i])
			return false;
	return true;
}

/* The weight of the element whose parameters start at s->i; leaves s->i
   past the element. */
static int weight(struct scan *s)
{
	int q = 1000;

	for (;;) {
		size_t pn, vb;
		const char *pname;

		skip_ows(s);
		if (s->i == s->n || s->v[s->i] == ',')
			break;
		if (s->v[s->i] != ';') {
			skip_element(s);
			return 0; /* junk after the coding */
		}
		s->i++;
		skip_ows(s);
		pname = s->v + s->i;
		pn = token(s);
		if (pn == 0 || s->i == s->n || s->v[s->i] != '=') {
			skip_element(s);
			return 0;
		}
		s->i++;
		vb = s->i;
		if (pn == 1 && lower((uint8_t)pname[0]) == 'q') {
			token(s);
			q = qvalue(s->v + vb, s->i - vb);
			if (q < 0) {
				skip_element(s);
				return 0;
			}
		} else if (s->i < s->n && s->v[s->i] == '"') {
			/* A quoted value of some other parameter. */
			for (s->i++; s->i < s->n && s->v[s->i] != '"'; s->i++)
				if (s->v[s->i] == '\\' && s->i + 1 < s->n)
					s->i++;
			if (s->i == s->n)
				return 0; /* unterminated */
			s->i++;
		} else {
			token(s);
		}
	}
	if (s->i < s->n)
		s->i++; /* the comma */
	return q;
}

int http_accept_q(const char *v, size_t n, const char *name)
{
	struct scan s = { v, n, 0 };
	int star = -1;

	while (s.i < s.n) {
		const char *t;
		size_t len;
		int q;

		skip_ows(&s);
		if (s.i < s.n && s.v[s.i] == ',') {
			s.i++; /* an empty element */
			continue;
		}
		t = s.v + s.i;
		len = token(&s);
		if (len == 0) {
			skip_element(&s);
			continue;
		}
		q = weight(&s);
		if (names(t, len, name))
			return q;
		if (len == 1 && t[0] == '*' && star < 0)
			star = q;
	}
	return star;
}

bool http_accepts_gzip(const char *v, size_t n)
{
	return http_accept_q(v, n, "gzip") > 0;
}
