/*
 * net/http/query.c — one parameter of a URL query: http_query_get
 * (contract in http.h), Go's url.Values.Get over the raw query.
 *
 * The query is split on '&'; each part is key[=value], both
 * form-decoded ('+' is a space, %XX a byte) before the key is compared,
 * so "a%62=1" answers for "ab". The first part whose key matches wins;
 * a key without '=' has the empty value. A malformed escape in the
 * matching part, or a value that does not fit, is an error, not a
 * shortened answer; malformed parts with other keys are skipped, as Go
 * skips them.
 */

#include "net/http/http.h"

#include <errno.h>
#include <string.h>
#include "net/http/chars.h"

/* Form-decode s[0..n) into out[0..size) (NUL-terminated): the length,
   -EINVAL for a bad escape, -ENOSPC when it does not fit. */
static long form_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;
	for (size_t k = 0; k < n; k++) {
		uint8_t c = (uint8_t)s[k];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (n - k < 3 || !is_hex((uint8_t)s[k + 1]) || !is_hex((uint8_t)s[k + 2]))
				return -EINVAL;
			c = (uint8_t)(http_hexval[(uint8_t)s[k + 1]] << 4 | http_hexval[(uint8_t)s[k + 2]]);
			k += 2;
		}
		if (o + 1 >= size)
			return -ENOSPC;
		out[o++] = (char)c;
	}
	if (size)
		out[o] = 0;
	return (long)o;
}

long http_query_get(struct http_str query, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name), i = 0;
	char key[64];
	if (nl >= sizeof key)
		return -EINVAL;
	while (i <= query.len) {
		size_t s = i;
		while (i < query.len && query.ptr[i] != '&')
			i++;
		size_t e = i++, eq = s;
		while (eq < e && query.ptr[eq] != '=')
			eq++;
		if (eq == s && e == s)
			continue;			/* an empty part: "a=1&&b=2" */
		long kl = form_decode(query.ptr + s, eq - s, key, sizeof key);
		if (kl != (long)nl || memcmp(key, name, nl))
			continue;
		if (eq == e) {				/* "flag": present, empty */
			if (!size)
				return -ENOSPC;
			out[0] = 0;
			return 0;
		}
		return form_decode(query.ptr + eq + 1, e - eq - 1, out, size);
	}
	return -ENOENT;
}
