/*
 * kernel/console.h — the serial console (COM1, 16550).
 *
 * console_write serializes whole writes so lines from different CPUs do
 * not interleave mid-line. newlib's stdout reaches it through _write.
 * console_panic_write bypasses the lock: a panicking CPU must not wait
 * for a holder that may never release.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>
#include <stdarg.h>

void console_init(void);
void console_write(const char *s, size_t n);
void console_panic_write(const char *s, size_t n);
/* printf that formats on the stack and writes in one piece; safe from
   any context that has ~1 KiB of stack, including trap handlers. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

#endif
