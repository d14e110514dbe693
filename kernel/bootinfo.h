/*
 * kernel/bootinfo.h — what the loader told us, in one form whatever the
 * boot path: the command line, the memory map and where ACPI's RSDP is.
 * bootinfo_parse copies everything out of the loader's structures, so
 * the memory they occupy can be reused afterwards.
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <stdint.h>
#include "kernel/memmap.h"

#define BOOT_CMDLINE_MAX 2048

struct bootinfo {
	const char *protocol;		/* "pvh" or "multiboot2" */
	const char *loader;		/* loader's name when it gives one */
	char cmdline[BOOT_CMDLINE_MAX];
	struct memmap mm;
	uint64_t rsdp;			/* physical address, 0 = scan for it */
	uint8_t rsdp_copy[36];		/* multiboot2 hands a copy, not an address */
	uint64_t ebda;			/* EBDA address from the BIOS data area
					   (read while page 0 is still mapped) */
};

extern struct bootinfo bootinfo;

/* Parse the loader's data; panics with a clear message on an unknown
   protocol or a missing memory map. */
void bootinfo_parse(uint32_t magic, uint64_t info);

#endif
