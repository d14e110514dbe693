#ifndef WEFT_TESTS_HOSTTEST_H
#define WEFT_TESTS_HOSTTEST_H

/*
 * Minimal host unit-test harness.
 *
 *   HT_TEST(parses_flags) {
 *           HT_EQ(cmdline_parse(&cl, "quiet", NULL, NULL), 0);
 *           HT_STREQ(cmdline_get(&cl, "quiet"), "");
 *           HT_EXPECT_PANIC(pmm_free(&p, 0x123));
 *   }
 *
 * Tests register themselves through a constructor; hosttest_main.c runs
 * every test of the binary in source order and prints one line each,
 * "PASS host.<file>.<name>" or "FAIL host.<file>.<name>: <why>", where
 * <file> is the source file's name without "test_" and ".c". A failed
 * check ends its test at once (by longjmp), so later checks may rely on
 * earlier ones. Link tests/host/fake_panic.c for the kernel's panic():
 * an unexpected panic fails the test; HT_EXPECT_PANIC expects one.
 */

#include <setjmp.h>
#include <stdbool.h>
#include <string.h>

/* Statements that panic leave locals modified after setjmp indeterminate;
 * tests re-read state through pointers, so this warning is noise here. */
#pragma GCC diagnostic ignored "-Wclobbered"

typedef void ht_fn(void);

void ht_register(const char *file, int line, const char *name, ht_fn *fn);
_Noreturn void ht_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
_Noreturn void ht_fail_eq(const char *file, int line, const char *a,
			  const char *b, unsigned long long va,
			  unsigned long long vb);
_Noreturn void ht_fail_streq(const char *file, int line, const char *a,
			     const char *b, const char *va, const char *vb);
bool ht_str_equal(const char *a, const char *b);

/* Set by fake_panic.c: armed by HT_EXPECT_PANIC, message of the last panic. */
extern jmp_buf ht_panic_jmp;
extern volatile int ht_panic_armed;
extern char ht_panic_msg[512];

#define HT_TEST(name)                                                       \
	static void ht_test_##name(void);                                   \
	__attribute__((constructor)) static void ht_reg_##name(void)        \
	{                                                                   \
		ht_register(__FILE__, __LINE__, #name, ht_test_##name);     \
	}                                                                   \
	static void ht_test_##name(void)

#define HT_CHECK(cond)                                                      \
	do {                                                                \
		if (!(cond))                                                \
			ht_fail(__FILE__, __LINE__, "HT_CHECK(%s) failed",  \
				#cond);                                     \
	} while (0)

/* Integers, bools and pointers: both sides compared as 64-bit values. */
#define HT_EQ(a, b)                                                         \
	do {                                                                \
		unsigned long long ht_a_ = (unsigned long long)(a);         \
		unsigned long long ht_b_ = (unsigned long long)(b);         \
		if (ht_a_ != ht_b_)                                         \
			ht_fail_eq(__FILE__, __LINE__, #a, #b, ht_a_, ht_b_); \
	} while (0)

/* C strings; NULL equals only NULL. */
#define HT_STREQ(a, b)                                                      \
	do {                                                                \
		const char *ht_a_ = (a), *ht_b_ = (b);                      \
		if (!ht_str_equal(ht_a_, ht_b_))                            \
			ht_fail_streq(__FILE__, __LINE__, #a, #b, ht_a_, ht_b_); \
	} while (0)

/* stmt must call panic(); afterwards ht_panic_msg holds the message. */
#define HT_EXPECT_PANIC(stmt)                                               \
	do {                                                                \
		ht_panic_msg[0] = '\0';                                     \
		if (setjmp(ht_panic_jmp) == 0) {                            \
			ht_panic_armed = 1;                                 \
			stmt;                                               \
			ht_panic_armed = 0;                                 \
			ht_fail(__FILE__, __LINE__,                         \
				"expected a panic from: %s", #stmt);        \
		}                                                           \
		ht_panic_armed = 0;                                         \
	} while (0)

/* As HT_EXPECT_PANIC, and the message must contain substr. */
#define HT_EXPECT_PANIC_MSG(stmt, substr)                                   \
	do {                                                                \
		HT_EXPECT_PANIC(stmt);                                      \
		if (!strstr(ht_panic_msg, (substr)))                        \
			ht_fail(__FILE__, __LINE__,                         \
				"panic message \"%s\" lacks \"%s\"",        \
				ht_panic_msg, (substr));                    \
	} while (0)

#endif
