/* kernel/exit.c — ending the machine: isa-debug-exit, ACPI, halt. */
#include "kernel/exit.h"
#include "kernel/acpi.h"
#include "kernel/arch/x86.h"

#define DEBUG_EXIT_PORT 0xf4

void cpu_halt_forever(void)
{
	for (;;) {
		irq_disable();
		halt();
	}
}

void machine_exit(int status)
{
	irq_disable();
	outl(DEBUG_EXIT_PORT, (uint32_t)status);
	if (status != EXIT_PANIC)
		acpi_poweroff();
	cpu_halt_forever();
}
