/*
 * kernel/panic.h — broken invariants and fatal traps.
 *
 * panic() prints the CPU, the task, the message, the registers and a
 * symbolized backtrace, stops the other CPUs, and stops the machine (in a
 * test run: exits QEMU with a failure status).
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
