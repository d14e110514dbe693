/*
 * Runner for the host unit tests: runs every test registered by HT_TEST in
 * this binary, in source order, and prints one PASS/FAIL line per test,
 * then "N passed, N failed". Exits 1 if any test failed.
 *
 * An optional argument runs only tests whose full name contains it.
 * Before each test its name goes to stderr, so that a crash (a sanitizer
 * report) can be traced to the test that caused it.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/hosttest.h"

#define MAX_TESTS 1024

struct test {
	char name[128]; /* host.<file>.<name> */
	const char *file;
	int line;
	ht_fn *fn;
};

static struct test tests[MAX_TESTS];
static int ntests;
static jmp_buf test_jmp;
static char why[1024];

/* "tests/host/test_pmm.c" -> "pmm" */
static void file_stem(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	if (strncmp(base, "test_", 5) == 0)
		base += 5;
	len = strcspn(base, ".");
	snprintf(out, size, "%.*s", (int)len, base);
}

void ht_register(const char *file, int line, const char *name, ht_fn *fn)
{
	char stem[64];
	struct test *t;

	if (ntests == MAX_TESTS) {
		fprintf(stderr, "hosttest: more than %d tests\n", MAX_TESTS);
		exit(2);
	}
	t = &tests[ntests++];
	file_stem(file, stem, sizeof(stem));
	snprintf(t->name, sizeof(t->name), "host.%s.%s", stem, name);
	t->file = file;
	t->line = line;
	t->fn = fn;
}

void ht_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(why, sizeof(why), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(why + n, sizeof(why) - (size_t)n, fmt, ap);
	va_end(ap);
	longjmp(test_jmp, 1);
}

void ht_fail_eq(const char *file, int line, const char *a, const char *b,
		unsigned long long va, unsigned long long vb)
{
	ht_fail(file, line, "HT_EQ(%s, %s) failed: %lld (%#llx) != %lld (%#llx)",
		a, b, (long long)va, va, (long long)vb, vb);
}

bool ht_str_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

void ht_fail_streq(const char *file, int line, const char *a, const char *b,
		   const char *va, const char *vb)
{
	ht_fail(file, line, "HT_STREQ(%s, %s) failed: %s%s%s != %s%s%s", a, b,
		va ? "\"" : "", va ? va : "NULL", va ? "\"" : "",
		vb ? "\"" : "", vb ? vb : "NULL", vb ? "\"" : "");
}

static int by_source_order(const void *pa, const void *pb)
{
	const struct test *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);

	return c ? c : a->line - b->line;
}

int main(int argc, char **argv)
{
	int i, passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	qsort(tests, (size_t)ntests, sizeof(tests[0]), by_source_order);
	for (i = 0; i < ntests; i++) {
		volatile struct test *t = &tests[i];

		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		fprintf(stderr, "running %s\n", tests[i].name);
		why[0] = '\0';
		if (setjmp(test_jmp) == 0) {
			t->fn();
			printf("PASS %s\n", tests[i].name);
			passed++;
		} else {
			/* Newlines would break the one-line-per-test format. */
			for (char *c = why; *c; c++)
				if (*c == '\n')
					*c = ' ';
			printf("FAIL %s: %s\n", tests[i].name, why);
			failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
