/*
 * Host stand-in for the kernel's panic(): formats the message into
 * ht_panic_msg, then returns to the HT_EXPECT_PANIC that armed it, or,
 * if none did, fails the running test with the message.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>

#include "kernel/panic.h"
#include "tests/host/hosttest.h"

jmp_buf ht_panic_jmp;
volatile int ht_panic_armed;
char ht_panic_msg[512];

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ht_panic_msg, sizeof(ht_panic_msg), fmt, ap);
	va_end(ap);
	if (ht_panic_armed) {
		ht_panic_armed = 0;
		longjmp(ht_panic_jmp, 1);
	}
	ht_fail(__FILE__, __LINE__, "unexpected panic: %s", ht_panic_msg);
}
