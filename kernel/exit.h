/*
 * kernel/exit.h — ending the machine.
 *
 * machine_exit() writes the status to QEMU's isa-debug-exit port (QEMU
 * then exits with (status << 1) | 1), falls back to ACPI power-off (pass
 * and fail: a machine without the port, a cloud VM, stops; a panic halts
 * instead, keeping its state for a debugger), and finally halts.
 */
#ifndef KERNEL_EXIT_H
#define KERNEL_EXIT_H

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_PANIC = 2 };

_Noreturn void machine_exit(int status);
/* Halt this CPU forever with interrupts off. */
_Noreturn void cpu_halt_forever(void);

#endif
