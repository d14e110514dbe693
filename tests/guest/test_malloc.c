/*
 * tests/guest/test_malloc.c — newlib's heap from every CPU at once:
 * each CPU keeps a window of live blocks filled with a pattern of its own
 * and checks every byte before it frees, so a lost lock shows up as
 * corrupted contents or a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/cpu.h"
#include "tests/guest/ktest.h"
#include "kernel/libc.h"
#include "kernel/vm.h"

#define WINDOW 64
#define ROUNDS 4000

struct stress {
	volatile unsigned bad[MAX_CPUS];
	volatile unsigned done[MAX_CPUS];
};

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void stress_cpu(void *arg)
{
	struct stress *st = arg;
	unsigned me = this_cpu()->id;
	uint32_t seed = 0x9e3779b9u * (me + 1);
	uint8_t *blk[WINDOW] = { 0 };
	size_t len[WINDOW] = { 0 };
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned i = rng(&seed) % WINDOW;
		if (blk[i]) {
			uint8_t pat = (uint8_t)(me * 31 + i);
			for (size_t k = 0; k < len[i]; k++)
				if (blk[i][k] != pat) {
					st->bad[me]++;
					break;
				}
			free(blk[i]);
		}
		len[i] = 1 + rng(&seed) % (rng(&seed) % 8 == 0 ? 70000 : 600);
		blk[i] = malloc(len[i]);
		if (!blk[i]) {
			st->bad[me]++;
			continue;
		}
		memset(blk[i], (uint8_t)(me * 31 + i), len[i]);
	}
	for (unsigned i = 0; i < WINDOW; i++)
		free(blk[i]);
	st->done[me] = 1;
}

KTEST(malloc, stress_all_cpus)
{
	static struct stress st;
	memset((void *)&st, 0, sizeof st);
	cpu_call_all(stress_cpu, &st);
	for (unsigned i = 0; i < ncpus; i++) {
		KT_EQ(st.bad[i], 0);
		KT_EQ(st.done[i], 1);
	}
}

KTEST(malloc, heap_grows_and_is_reused)
{
	uint64_t before = vm_heap_bytes();
	void *big = malloc(8 << 20);
	KT_ASSERT(big != NULL);
	memset(big, 0x5a, 8 << 20);
	KT_ASSERT(vm_heap_bytes() >= before + (8 << 20));
	free(big);
	uint64_t after_free = vm_heap_bytes();
	void *again = malloc(8 << 20);
	KT_ASSERT(again != NULL);
	KT_EQ(vm_heap_bytes(), after_free);	/* reused, not grown */
	free(again);
}

KTEST(malloc, exhaustion_is_an_error)
{
	void *p = malloc((size_t)1 << 50);	/* far beyond the heap's room */
	KT_ASSERT(p == NULL);
	void *q = malloc(64);			/* and the heap still works */
	KT_ASSERT(q != NULL);
	free(q);
}

KTEST(malloc, allocations_are_counted)
{
	errno = 0;	/* this task's newlib state exists before we count */
	uint64_t before = kernel_alloc_count();
	void *a = malloc(10), *b = calloc(2, 8);
	uint64_t after = kernel_alloc_count();
	free(a);
	free(b);
	KT_EQ(after - before, 2);
	char buf[64];
	before = kernel_alloc_count();
	for (int i = 0; i < 100; i++)
		snprintf(buf, sizeof buf, "%d %s %llx", i, "x", (unsigned long long)after);
	KT_EQ(kernel_alloc_count() - before, 0);	/* formatting allocates nothing */
}
