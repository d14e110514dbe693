/*
 * tests/guest/ktest.c — the in-guest test runner: tests_run (kernel/tests.h)
 * for the test kernel, build/weft-test.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "tests/guest/ktest.h"
#include "kernel/console.h"
#include "kernel/tests.h"
#include "kernel/time.h"
#include "kernel/arch/x86.h"
#include "runtime/runtime.h"

extern const struct ktest __start_ktests[], __stop_ktests[];

static int cur_failed;
static char cur_msg[256];

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	if (cur_failed++)
		return;
	int n = snprintf(cur_msg, sizeof cur_msg, "%s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cur_msg + n, sizeof cur_msg - n, fmt, ap);
	va_end(ap);
}

int ktest_failed(void)
{
	return cur_failed;
}

uint64_t ktest_wait_tasks(uint64_t alive, unsigned timeout_ms)
{
	for (unsigned i = 0; i < timeout_ms && rt_tasks_alive() > alive; i++)
		task_sleep(ms(1));
	return rt_tasks_alive();
}

/* Does `word` (one item of the spec) select t? */
static bool word_matches(const char *w, size_t n, const struct ktest *t)
{
	size_t sl = strlen(t->suite);
	if (n == sl && !strncmp(w, t->suite, n))
		return true;
	if (n == sl + 2 && !strncmp(w, t->suite, sl) && !strncmp(w + sl, ".*", 2))
		return true;
	return n == sl + 1 + strlen(t->name) && !strncmp(w, t->suite, sl) &&
	       w[sl] == '.' && !strncmp(w + sl + 1, t->name, n - sl - 1);
}

/* Does the spec select t? Its words, comma-separated: "all" (every test
   but the explicit ones and those expecting a panic), a suite, "suite.*"
   or "suite.name", and "-" before any of those to leave tests out (an
   exclusion wins wherever it stands: "all,-runtime.hundred_thousand_tasks").
   Explicit tests run when their suite is named; those expecting a panic
   only when named one by one. */
static bool selected(const char *spec, const struct ktest *t, bool *named)
{
	bool sel = false;
	*named = false;
	for (const char *p = spec; *p;) {
		size_t n = strcspn(p, ",");
		if (n && p[0] == '-') {
			if (word_matches(p + 1, n - 1, t))
				return false;
		} else if (n == 3 && !strncmp(p, "all", 3)) {
			if (!(t->flags & (KTEST_EXPECT_PANIC | KTEST_EXPLICIT)))
				sel = true;
		} else if (word_matches(p, n, t)) {
			bool one = n == strlen(t->suite) + 1 + strlen(t->name);
			*named = *named || one;
			if (!(t->flags & KTEST_EXPECT_PANIC) || one)
				sel = true;
		}
		p += n + (p[n] == ',');
	}
	return sel;
}

/* Words of the spec that select nothing are failures: a typo must not
   pass as an empty run (nor leave out nothing). */
static int check_words(const char *spec)
{
	int bad = 0;
	if (!strcmp(spec, "none"))
		return 0;
	for (const char *p = spec; *p;) {
		size_t n = strcspn(p, ",");
		const char *w = p;
		size_t wn = n;
		if (wn && w[0] == '-')
			w++, wn--;
		bool any = wn == 3 && !strncmp(w, "all", 3);
		for (const struct ktest *t = __start_ktests; t < __stop_ktests && !any; t++)
			any = word_matches(w, wn, t);
		if (!any && n) {
			printf("FAIL %.*s: no such test or suite\n", (int)n, p);
			bad++;
		}
		p += n + (p[n] == ',');
	}
	return bad;
}

int tests_run(const char *spec)
{
	int passed = 0, failed = check_words(spec);
	for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
		bool named;
		if (!strcmp(spec, "none") || !selected(spec, t, &named))
			continue;
		cur_failed = 0;
		cur_msg[0] = 0;
		uint64_t t0 = rdtsc();
		t->fn();
		uint64_t us = tsc_to_ns(rdtsc() - t0) / 1000;
		if (cur_failed) {
			printf("FAIL %s.%s: %s\n", t->suite, t->name, cur_msg);
			failed++;
		} else {
			printf("PASS %s.%s (%llu us)\n", t->suite, t->name, (unsigned long long)us);
			passed++;
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	fflush(stdout);
	return failed;
}
