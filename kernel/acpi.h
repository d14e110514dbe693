/*
 * kernel/acpi.h — the ACPI tables the machine layer needs: MADT (CPUs,
 * IOAPICs, interrupt overrides), FADT (power off), and lookup of any
 * other table (MCFG for PCI). acpi_init runs once on the BSP after the
 * page tables are up; everything after it only reads `acpi`.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdint.h>
#include <stdbool.h>
#include "kernel/cpu.h"

#define ACPI_MAX_IOAPIC 8
#define ACPI_MAX_ISO 24

struct acpi_info {
	bool present;			/* an RSDP was found */
	unsigned ncpu;			/* enabled processors in the MADT */
	uint32_t apic_id[MAX_CPUS];
	uint64_t lapic_base;
	unsigned nioapic;
	struct { uint32_t id, addr, gsi_base; } ioapic[ACPI_MAX_IOAPIC];
	unsigned niso;			/* ISA IRQ -> GSI overrides */
	struct { uint8_t irq; uint32_t gsi; uint16_t flags; } iso[ACPI_MAX_ISO];
	/* Power off: PM1 control blocks (I/O ports) or, on hardware-reduced
	   ACPI (microvm), the sleep control register. */
	uint32_t pm1a_cnt, pm1b_cnt;
	uint8_t sleep_ctl_space;	/* 0 memory, 1 I/O; 0xff none */
	uint64_t sleep_ctl_addr;
	bool have_s5;
	uint8_t slp_typa, slp_typb;
	uint32_t pm_timer;		/* PM timer port, 0 when none */
	bool pm_timer_32;
	/* The CMOS clock: the index of its century register (0 when the
	   FADT names none), and the FADT's "CMOS RTC not present" flag. */
	uint8_t rtc_century_index;
	bool rtc_absent;
};

extern struct acpi_info acpi;

void acpi_init(void);
/* The first table with this signature, or NULL. */
const void *acpi_find_table(const char sig[4]);
/* ISA IRQ -> GSI, honouring the overrides. */
uint32_t acpi_isa_gsi(uint8_t irq, uint16_t *flags);
/* Power off through ACPI S5; returns only when that failed. */
void acpi_poweroff(void);

#endif
