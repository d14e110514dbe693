/*
 * tools/insn/spin.c — the instruction-count plugin's check (run by
 * tools/insn/build.sh under qemu-x86_64): THREADS threads each run a loop
 * of exactly 2 * ITERS instructions (dec, jnz). Between two runs that
 * differ only in ITERS, the plugin's totals must differ by exactly
 * 2 * THREADS * (the difference in ITERS), up to the few instructions that
 * thread start-up and joining vary by.
 *
 * usage: spin THREADS ITERS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long iters;

static void *spin(void *arg)
{
	long n = iters;
	__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n));
	return arg;
}

int main(int argc, char **argv)
{
	enum { MAX = 64 };
	pthread_t t[MAX];
	int threads = argc == 3 ? atoi(argv[1]) : 0;
	iters = argc == 3 ? atol(argv[2]) : 0;
	if (threads < 1 || threads > MAX || iters < 1) {
		fprintf(stderr, "usage: spin THREADS(1-%d) ITERS\n", MAX);
		return 2;
	}
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, spin, NULL))
			return 1;
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return 0;
}
