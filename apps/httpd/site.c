/*
 * apps/httpd/site.c — finding a file of the packed site (site.h). The
 * table itself is generated (mksite.py); this is the lookup, a binary
 * search over paths sorted bytewise, as mksite.py sorts them.
 */
#include "apps/httpd/site.h"

#include <string.h>

/* Bytewise order of a[0..alen) and f's path: memcmp, then length. */
static int cmp(const char *a, size_t alen, const struct site_file *f)
{
	size_t n = alen < f->path_len ? alen : f->path_len;
	int c = memcmp(a, f->path, n);

	if (c)
		return c;
	return alen < f->path_len ? -1 : alen > f->path_len;
}

const struct site_file *site_find(const char *path, size_t len)
{
	size_t lo = 0, hi = site_nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(path, len, &site_files[mid]);

		if (c == 0)
			return &site_files[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
