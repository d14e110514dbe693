/*
 * apps/httpd/http_range.c — parsing a Range header (http_range.h has the
 * contract).
 *
 * The whole value is checked before anything is decided: "bytes=0-1,x"
 * is invalid (ignored), not a range and some junk. Counting the ranges
 * as they are read is enough to tell one from many; each is resolved
 * against size only when it is the only one.
 */
#include "apps/httpd/http_range.h"

#include <stdbool.h>
#include "net/http/chars.h"

/* Decimal digits at v[*i..n), saturating at UINT64_MAX; false if none. */
static bool number(const char *v, size_t n, size_t *i, uint64_t *out)
{
	uint64_t x = 0;
	size_t b = *i;

	for (; *i < n && v[*i] >= '0' && v[*i] <= '9'; (*i)++) {
		unsigned d = (unsigned)(v[*i] - '0');

		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*out = x;
	return *i > b;
}

static void skip_ows(const char *v, size_t n, size_t *i)
{
	while (*i < n && is_ows((uint8_t)v[*i]))
		(*i)++;
}

enum http_range http_range_parse(const char *v, size_t n, uint64_t size,
				 uint64_t *first, uint64_t *last)
{
	static const char unit[] = "bytes=";
	uint64_t a = 0, b = UINT64_MAX;
	bool suffix = false;
	unsigned ranges = 0;
	size_t i;

	if (n < sizeof(unit) - 1)
		return HTTP_RANGE_IGNORE;
	for (i = 0; i < sizeof(unit) - 1; i++)
		if (lower((uint8_t)v[i]) != (uint8_t)unit[i])
			return HTTP_RANGE_IGNORE;
	while (i < n) {
		uint64_t x, y = UINT64_MAX;
		bool sfx = false;

		skip_ows(v, n, &i);
		if (i < n && v[i] == ',') {
			i++; /* an empty element */
			continue;
		}
		if (i == n)
			break;
		if (v[i] == '-') {
			i++;
			sfx = true;
			if (!number(v, n, &i, &x))
				return HTTP_RANGE_IGNORE;
		} else {
			if (!number(v, n, &i, &x) || i == n || v[i] != '-')
				return HTTP_RANGE_IGNORE;
			i++;
			if (i < n && v[i] >= '0' && v[i] <= '9') {
				number(v, n, &i, &y);
				if (y < x)
					return HTTP_RANGE_IGNORE;
			}
		}
		skip_ows(v, n, &i);
		if (i < n && v[i] != ',')
			return HTTP_RANGE_IGNORE;
		ranges++;
		a = x;
		b = y;
		suffix = sfx;
	}
	if (ranges != 1)
		return HTTP_RANGE_IGNORE;
	if (suffix) {
		if (a == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		*first = a >= size ? 0 : size - a;
		*last = size - 1;
		return HTTP_RANGE_ONE;
	}
	if (a >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return HTTP_RANGE_ONE;
}
