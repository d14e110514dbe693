/* kernel/console.c — COM1 serial output. */
#include <stdio.h>
#include <string.h>
#include "kernel/console.h"
#include "kernel/spinlock.h"
#include "kernel/arch/x86.h"

#define COM1 0x3f8

static struct spinlock console_lock = SPINLOCK_INIT;

/* 115200 8N1, FIFO on, no UART interrupts (output is polled). */
void console_init(void)
{
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0xc7);
	outb(COM1 + 4, 0x03);
}

static void uart_putc(char c)
{
	/* Bounded wait for the transmit holding register: a missing UART
	   must not hang the machine. */
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

static void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void console_write(const char *s, size_t n)
{
	bool f = spin_lock(&console_lock);
	uart_write(s, n);
	spin_unlock(&console_lock, f);
}

void console_panic_write(const char *s, size_t n)
{
	uart_write(s, n);
}

int kvprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		return n;
	console_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}
