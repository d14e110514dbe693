/*
 * HTTP request paths: http_path_normalize (contract in parse.h).
 *
 * Two passes over the caller's output buffer: percent-decode everything
 * (refusing what no site path holds), then resolve "." and ".." segments
 * and collapse '/' runs in place. Decoding first is what makes %2e%2e a
 * ".." like any other, so an encoded escape cannot slip past the resolver.
 */

#include "net/http/http.h"

#include <errno.h>
#include <string.h>
#include "net/http/chars.h"

/* Percent-decode in[0..len) into out, refusing what no site path holds.
 * Returns the decoded length, or an error. */
static int path_decode(const char *in, size_t len, char *out, size_t outsz)
{
	size_t i, w = 0;

	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)in[i];

		if (c == '%') {
			if (len - i < 3 || !is_hex((uint8_t)in[i + 1]) ||
			    !is_hex((uint8_t)in[i + 2]))
				return HTTP_ERR_400;
			c = (uint8_t)(http_hexval[(uint8_t)in[i + 1]] << 4 |
				      http_hexval[(uint8_t)in[i + 2]]);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return HTTP_ERR_400;
		if (w + 1 >= outsz)
			return HTTP_ERR_414;
		out[w++] = (char)c;
	}
	return (int)w;
}

/*
 * Resolve "." and ".." and collapse '/' runs in place. out[0..n) starts
 * with '/', and out has room for n + 1 bytes. The output so far always
 * ends with '/' and is never longer than the input read so far, so the
 * copy runs forward safely.
 */
static int path_resolve(char *out, size_t n)
{
	size_t i = 0, w = 1, s;
	bool dir = true; /* the output ends in '/' */

	while (i < n) {
		while (i < n && out[i] == '/')
			i++;
		if (i == n)
			break;
		s = i;
		while (i < n && out[i] != '/')
			i++;
		dir = i < n;
		if (i - s == 1 && out[s] == '.') {
			dir = true;
		} else if (i - s == 2 && out[s] == '.' && out[s + 1] == '.') {
			if (w == 1)
				return HTTP_ERR_400; /* above the root */
			for (w--; out[w - 1] != '/'; w--)
				;
			dir = true;
		} else {
			memmove(out + w, out + s, i - s);
			w += i - s;
			out[w++] = '/';
		}
	}
	if (!dir)
		w--;
	out[w] = '\0';
	return (int)w;
}

int http_path_normalize(const char *in, size_t len, char *out, size_t outsz)
{
	int n;

	if (len == 0) {
		if (outsz < 2)
			return HTTP_ERR_414;
		out[0] = '/';
		out[1] = '\0';
		return 1;
	}
	if (in[0] != '/')
		return HTTP_ERR_400;
	if (len > (size_t)INT32_MAX)
		return HTTP_ERR_414;
	n = path_decode(in, len, out, outsz);
	if (n < 0)
		return n;
	return path_resolve(out, (size_t)n);
}

int http_escape_path(const char *path, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') ||
			     (c && strchr("-._~!$&'()*+,;=:@/", c));

		if (n + (plain ? 1 : 3) >= outsz)
			return -ENOSPC;
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (n >= outsz)
		return -ENOSPC;
	out[n] = '\0';
	return (int)n;
}
