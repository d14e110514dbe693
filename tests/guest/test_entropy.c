/*
 * tests/guest/test_entropy.c — the entropy sources and the DRBG
 * (kernel/entropy.c) on the machine: what CPUID offers is what seeded it,
 * the output is not constant or skewed, the unseeded states refuse, the
 * hardware reseeds, and every CPU may draw at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/cpu.h"
#include "kernel/entropy.h"
#include "runtime/runtime.h"
#include "tests/guest/ktest.h"

KTEST(entropy, seeded_from_what_cpuid_offers)
{
	struct entropy_stats s;
	entropy_stats(&s);
	unsigned hw = entropy_cpu_sources();
	KT_EQ(s.present & (ENTROPY_RDSEED | ENTROPY_RDRAND), hw);
	/* QEMU's -cpu max has RDRAND (TCG) and KVM passes the host's. */
	KT_ASSERT(hw != 0);
	KT_ASSERT(s.seeded_by & hw);
	uint8_t b[32];
	KT_EQ(rand_bytes(b, sizeof b), 0);
	char msg[96];
	KT_EQ(entropy_why(msg, sizeof msg), 0);
	KT_ASSERT(strstr(msg, "seeded from") != NULL);
}

KTEST(entropy, output_varies_and_is_not_skewed)
{
	enum { N = 64 << 10 };
	/* Static, not heap: the malloc suite measures heap growth after us. */
	static uint8_t buf[N];
	KT_EQ(rand_bytes(buf, N), 0);
	unsigned count[256] = { 0 }, ones = 0;
	for (size_t i = 0; i < N; i++) {
		count[buf[i]]++;
		for (uint8_t x = buf[i]; x; x &= x - 1)
			ones++;
	}
	/* 256 expected per value; 5 sigma is about +-80. */
	for (int v = 0; v < 256; v++)
		if (count[v] < 170 || count[v] > 345) {
			ktest_fail(__FILE__, __LINE__, "byte %d seen %u times in 64 KiB", v, count[v]);
			break;
		}
	/* Monobit: 262144 expected of 524288 bits, sigma 362. */
	KT_ASSERT(ones > 262144 - 2000 && ones < 262144 + 2000);
	/* No block repeats: not a stuck generator. */
	for (size_t i = 0; i + 64 <= 4096; i += 32)
		KT_ASSERT(memcmp(buf + i, buf + i + 32, 32) != 0);
	uint8_t again[32];
	KT_EQ(rand_bytes(again, sizeof again), 0);
	KT_ASSERT(memcmp(again, buf, 32) != 0);
}

KTEST(entropy, unseeded_states_refuse)
{
	static struct entropy e;
	uint8_t b[16];
	/* No source at all: the TSC personalization does not count. */
	entropy_state_init(&e, 0);
	KT_EQ(entropy_state_read(&e, b, sizeof b), -ENOSYS);
	/* A device is coming but has delivered nothing. */
	entropy_state_expect(&e, ENTROPY_VIRTIO);
	KT_EQ(entropy_state_read(&e, b, sizeof b), -EAGAIN);
	/* Its first bytes seed it. */
	static const uint8_t dev[32] = "bytes a virtio-rng device gave";
	entropy_state_add(&e, ENTROPY_VIRTIO, dev, sizeof dev);
	KT_EQ(entropy_state_read(&e, b, sizeof b), 0);
	KT_EQ(e.seeded_by, ENTROPY_VIRTIO);
	/* Two states fed the same bytes still differ (personalization). */
	static struct entropy f;
	uint8_t c[16];
	entropy_state_init(&f, 0);
	entropy_state_add(&f, ENTROPY_VIRTIO, dev, sizeof dev);
	KT_EQ(entropy_state_read(&f, c, sizeof c), 0);
	KT_ASSERT(memcmp(b, c, sizeof b) != 0);
}

KTEST(entropy, hardware_reseeds)
{
	static struct entropy e;
	unsigned hw = entropy_cpu_sources();
	KT_ASSERT(hw);
	entropy_state_init(&e, hw);
	KT_ASSERT(e.seeded_by);
	uint8_t b[4096];
	for (unsigned i = 0; i < ENTROPY_RESEED_BYTES / sizeof b + 1; i++)
		KT_EQ(entropy_state_read(&e, b, sizeof b), 0);
	KT_ASSERT(e.reseeds >= 1);
	/* Many small calls reseed too. */
	uint64_t before = e.reseeds;
	for (unsigned i = 0; i < ENTROPY_RESEED_CALLS + 1; i++)
		KT_EQ(entropy_state_read(&e, b, 1), 0);
	KT_ASSERT(e.reseeds > before);
}

enum { PER_TASK = 200 };
struct drawer {
	struct waitgroup *wg;
	uint8_t first[32];
	int errors;
	int distinct_fail;
};

static void draw(void *arg)
{
	struct drawer *d = arg;
	uint8_t prev[32], cur[32];
	for (int i = 0; i < PER_TASK; i++) {
		if (rand_bytes(cur, sizeof cur))
			d->errors++;
		if (i == 0)
			memcpy(d->first, cur, 32);
		else if (!memcmp(prev, cur, 32))
			d->distinct_fail++;
		memcpy(prev, cur, 32);
	}
	wg_done(d->wg);
}

KTEST(entropy, every_cpu_draws_at_once)
{
	enum { PER_CPU = 2 };
	unsigned n = ncpus_online * PER_CPU;
	static struct drawer d[MAX_CPUS * PER_CPU];
	memset(d, 0, sizeof d);
	struct waitgroup wg = WAITGROUP_INIT;
	struct entropy_stats before, after;
	entropy_stats(&before);
	uint64_t alive0 = rt_tasks_alive();
	wg_add(&wg, n);
	for (unsigned i = 0; i < n; i++) {
		d[i].wg = &wg;
		struct task_attr a = { "entropy", 0, (int)(i % ncpus_online) };
		KT_ASSERT(task_spawn(&a, draw, &d[i]));
	}
	KT_EQ(wg_wait_timeout(&wg, ms(60000)), 0);
	KT_EQ(ktest_wait_tasks(alive0, 2000), alive0);
	entropy_stats(&after);
	KT_ASSERT(after.bytes_out - before.bytes_out >= (uint64_t)n * PER_TASK * 32);
	for (unsigned i = 0; i < n; i++) {
		KT_EQ(d[i].errors, 0);
		KT_EQ(d[i].distinct_fail, 0);
		for (unsigned j = 0; j < i; j++)
			KT_ASSERT(memcmp(d[i].first, d[j].first, 32) != 0);
	}
}
