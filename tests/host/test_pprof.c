// host-test-sources: apps/httpd/pprof.c apps/httpd/folded.c -lz
/*
 * Host unit tests for apps/httpd/pprof.c: the gzip stream (stored
 * blocks, one and several) inflates with zlib to what went in, and the
 * profile.proto decodes: sample types, one sample per distinct stack
 * with its count and count x period, leaf-first location ids, a
 * location per address with its function's name, "" first in the string
 * table, the period and duration. (e2e.debug.pprof has go tool pprof
 * read a real one.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "apps/httpd/pprof.h"
#include "tests/host/hosttest.h"

static const char *sym(void *arg, uint64_t addr)
{
	(void)arg;
	if (addr >= 0x1000 && addr < 0x2000)
		return "main";
	if (addr >= 0x2000 && addr < 0x3000)
		return "work";
	return NULL;
}

static size_t gunzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	HT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = (uint8_t *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	HT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
	HT_EQ(z.avail_in, 0);
	size_t got = z.total_out;
	inflateEnd(&z);
	return got;
}

HT_TEST(gzip_stored_inflates)
{
	static uint8_t in[200000], back[200001];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 7 + (i >> 9));
	size_t sizes[] = { 0, 1, 65535, 65536, sizeof in };
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		uint8_t *gz;
		size_t len;
		HT_EQ(pprof_gzip_stored(in, sizes[k], &gz, &len), 0);
		HT_EQ(gunzip(gz, len, back, sizeof back), sizes[k]);
		HT_CHECK(!memcmp(in, back, sizes[k]));
		free(gz);
	}
}

/* ---- a minimal protobuf reader ---- */

static uint64_t rd_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	for (int sh = 0; *p < end; sh += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80))
			return v;
	}
	HT_CHECK(!"varint runs off the end");
	return 0;
}

struct field {
	unsigned num, type;
	uint64_t v;			/* type 0 */
	const uint8_t *d;		/* type 2 */
	size_t n;
};

static bool next(const uint8_t **p, const uint8_t *end, struct field *f)
{
	if (*p >= end)
		return false;
	uint64_t key = rd_varint(p, end);
	f->num = (unsigned)(key >> 3);
	f->type = (unsigned)(key & 7);
	if (f->type == 0) {
		f->v = rd_varint(p, end);
	} else {
		HT_EQ(f->type, 2);
		f->n = rd_varint(p, end);
		HT_CHECK(*p + f->n <= end);
		f->d = *p;
		*p += f->n;
	}
	return true;
}

static char strs[64][32];
static unsigned nstrs;

HT_TEST(profile_decodes)
{
	struct fold f;
	HT_EQ(fold_init(&f), 0);
	const uint64_t s1[] = { 0x2010, 0x1020 };	/* work <- main */
	const uint64_t s2[] = { 0x1010 };		/* main */
	const uint64_t s3[] = { 0x9000, 0x1020 };	/* ? <- main */
	HT_EQ(fold_add(&f, s1, 2, 3), 0);
	HT_EQ(fold_add(&f, s2, 1, 1), 0);
	HT_EQ(fold_add(&f, s3, 2, 2), 0);
	struct pprof_meta m = { 1700000000000000000ull, 2000000000ull, 10000000ull, "weft" };
	uint8_t *gz, *raw;
	size_t gzlen, rawlen;
	HT_EQ(pprof_encode(&f, sym, NULL, &m, &gz, &gzlen), 0);
	HT_EQ(pprof_encode_raw(&f, sym, NULL, &m, &raw, &rawlen), 0);
	static uint8_t back[1 << 16];
	HT_EQ(gunzip(gz, gzlen, back, sizeof back), rawlen);
	HT_CHECK(!memcmp(back, raw, rawlen));

	unsigned samples = 0, locs = 0, funcs = 0, types = 0, maps = 0;
	uint64_t total = 0, total_ns = 0, period = 0, duration = 0, loc_ids = 0;
	uint64_t func_name[16] = { 0 }, loc_func[16] = { 0 };
	nstrs = 0;
	const uint8_t *p = raw, *end = raw + rawlen;
	struct field fl;
	while (next(&p, end, &fl)) {
		const uint8_t *q = fl.d, *qe = fl.d + fl.n;
		struct field g;
		switch (fl.num) {
		case 1: types++; break;
		case 2:
			samples++;
			while (next(&q, qe, &g)) {
				const uint8_t *r = g.d, *re = g.d + g.n;
				if (g.num == 1) {
					while (r < re) {
						uint64_t id = rd_varint(&r, re);
						HT_CHECK(id >= 1);
						loc_ids++;
					}
				} else if (g.num == 2) {
					uint64_t c = rd_varint(&r, re), ns = rd_varint(&r, re);
					HT_EQ(ns, c * 10000000ull);
					total += c;
					total_ns += ns;
				}
			}
			break;
		case 3: maps++; break;
		case 4: {
			uint64_t id = 0, fn = 0;
			locs++;
			while (next(&q, qe, &g)) {
				if (g.num == 1)
					id = g.v;
				if (g.num == 4) {
					const uint8_t *r = g.d;
					struct field h;
					while (next(&r, g.d + g.n, &h))
						if (h.num == 1)
							fn = h.v;
				}
			}
			HT_CHECK(id >= 1 && id < 16);
			loc_func[id] = fn;
			break;
		}
		case 5: {
			uint64_t id = 0, name = 0;
			funcs++;
			while (next(&q, qe, &g)) {
				if (g.num == 1)
					id = g.v;
				if (g.num == 2)
					name = g.v;
			}
			HT_CHECK(id >= 1 && id < 16);
			func_name[id] = name;
			break;
		}
		case 6:
			HT_CHECK(nstrs < 64 && fl.n < 32);
			memcpy(strs[nstrs], fl.d, fl.n);
			strs[nstrs++][fl.n] = 0;
			break;
		case 10: duration = fl.v; break;
		case 12: period = fl.v; break;
		}
	}
	HT_EQ(types, 2);
	HT_EQ(samples, 3);
	HT_EQ(maps, 1);
	HT_EQ(total, 6);
	HT_EQ(total_ns, 6 * 10000000ull);
	HT_EQ(loc_ids, 5);
	/* Addresses: 0x2010, 0x101f (the return address less one), 0x1010,
	   0x9000: four locations, three functions (main, work, 0x9000). */
	HT_EQ(locs, 4);
	HT_EQ(funcs, 3);
	HT_EQ(period, 10000000ull);
	HT_EQ(duration, 2000000000ull);
	HT_STREQ(strs[0], "");
	unsigned named_main = 0;
	for (unsigned i = 1; i <= locs; i++) {
		uint64_t fid = loc_func[i];
		HT_CHECK(fid >= 1 && fid <= funcs);
		HT_CHECK(func_name[fid] < nstrs);
		named_main += !strcmp(strs[func_name[fid]], "main");
	}
	HT_EQ(named_main, 2);
	bool hex = false, weft = false, cpu = false;
	for (unsigned i = 0; i < nstrs; i++) {
		hex |= !strcmp(strs[i], "0x9000");
		weft |= !strcmp(strs[i], "weft");
		cpu |= !strcmp(strs[i], "cpu");
	}
	HT_CHECK(hex && weft && cpu);
	free(gz);
	free(raw);
	fold_free(&f);
}
