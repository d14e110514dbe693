/*
 * tests/guest/ktest.h — in-guest tests.
 *
 * A test declares itself where it is written:
 *
 *	KTEST(suite, name) { KT_ASSERT(x == 1); }
 *
 * which places a descriptor in the `ktests` linker section; the runner
 * (test= on the command line, tests_run in kernel/tests.h) walks that
 * section, so there is no list to keep. KTEST_EXPECT_PANIC tests
 * deliberately crash the machine; they run only when named, each in its
 * own guest run, and the host checks the panic report.
 *
 * All of this links only into the test kernel, build/weft-test; the
 * shipped build/weft has no suite, no runner and no deliberate fault.
 */
#ifndef TESTS_GUEST_KTEST_H
#define TESTS_GUEST_KTEST_H

#include <stdint.h>

#define KTEST_EXPECT_PANIC	(1u << 0)	/* crashes on purpose; only when named */
#define KTEST_EXPLICIT		(1u << 1)	/* not in "all"; when it or its suite is named */

struct ktest {
	const char *suite;
	const char *name;
	void (*fn)(void);
	unsigned flags;
};

#define KTEST_F(suite, name, flags)						\
	static void ktest_fn_##suite##_##name(void);				\
	static const struct ktest ktest_##suite##_##name			\
		__attribute__((used, section("ktests"), aligned(8))) =		\
		{ #suite, #name, ktest_fn_##suite##_##name, flags };		\
	static void ktest_fn_##suite##_##name(void)

#define KTEST(suite, name) KTEST_F(suite, name, 0)

/* Record a failure of the running test (the first one is reported). */
void ktest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ktest_failed(void);

/* Wait up to timeout_ms until at most `alive` tasks exist (what
   rt_tasks_alive said before the test spawned any), so that a test's
   tasks are gone, not just done, before later tests count tasks or stack
   pages. Returns rt_tasks_alive() at the end: KT_EQ it with `alive`. */
uint64_t ktest_wait_tasks(uint64_t alive, unsigned timeout_ms);

#define KT_ASSERT(c)								\
	do {									\
		if (!(c)) {							\
			ktest_fail(__FILE__, __LINE__, "assertion failed: %s", #c); \
			return;							\
		}								\
	} while (0)

#define KT_EQ(a, b)								\
	do {									\
		long long _a = (long long)(a), _b = (long long)(b);		\
		if (_a != _b) {							\
			ktest_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", \
				   #a, #b, _a, _b);				\
			return;							\
		}								\
	} while (0)

#endif
