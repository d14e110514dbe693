/*
 * apps/httpd/pprof.h — a CPU profile in pprof's format (profile.proto,
 * gzip-compressed), so `go tool pprof` reads what /debug/profile serves:
 *
 *	pprof_encode(&f, sym, arg, &meta, &buf, &len);   then free(buf)
 *
 * The stacks come from the fold (folded.h) by address; each address
 * becomes a Location with one Line naming its function (the symbolizer's
 * name: a return address is named as addr - 1, inside its call), so
 * pprof needs no binary to show names. Sample types are Go's for CPU
 * profiles: samples/count and cpu/nanoseconds, one period apart. The
 * gzip stream uses stored (uncompressed) deflate blocks: valid for every
 * reader, and no compressor in the appliance. Pure C, host-tested
 * (tests/host/test_pprof.c).
 */
#ifndef APPS_HTTPD_PPROF_H
#define APPS_HTTPD_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include "apps/httpd/folded.h"

struct pprof_meta {
	uint64_t time_unix_ns;		/* when the profile started (0: unknown) */
	uint64_t duration_ns;
	uint64_t period_ns;		/* between samples on one CPU */
	const char *binary;		/* the mapping's file name, "weft" */
};

/* The gzip'd profile.proto of f into a malloc'd *out (*len bytes).
   0 or -ENOMEM. */
int pprof_encode(const struct fold *f, fold_sym_fn sym, void *arg,
		 const struct pprof_meta *m, uint8_t **out, size_t *len);

/* The raw profile.proto, before gzip (for the tests). */
int pprof_encode_raw(const struct fold *f, fold_sym_fn sym, void *arg,
		     const struct pprof_meta *m, uint8_t **out, size_t *len);

/* gzip of in[0..n) with stored blocks into a malloc'd *out. 0 or -ENOMEM. */
int pprof_gzip_stored(const uint8_t *in, size_t n, uint8_t **out, size_t *len);

#endif
