/*
 * kernel/ksym.h — the kernel's own symbol table, for backtraces.
 *
 * tools/mksyms.sh writes the text symbols of a first link into the .ksyms
 * section of the second; the linker script puts .ksyms after everything
 * whose address a backtrace can name, so the two links agree.
 */
#ifndef KERNEL_KSYM_H
#define KERNEL_KSYM_H

#include <stdint.h>

/* Name of the function holding addr, and addr's offset in it; NULL when
   addr is outside kernel text. */
const char *ksym_lookup(uint64_t addr, uint64_t *off);

#endif
