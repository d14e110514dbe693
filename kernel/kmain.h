/*
 * kernel/kmain.h — the boot sequence's results that later layers read:
 * the parsed kernel command line.
 */
#ifndef KERNEL_KMAIN_H
#define KERNEL_KMAIN_H

#include <stdint.h>
#include "kernel/cmdline.h"

extern struct cmdline kcmdline;

/* A numeric option: its value, or `def` with a message on the console
   when the word is malformed or out of [min, max]. */
uint64_t kcmdline_u64(const char *key, uint64_t def, uint64_t min, uint64_t max);

#endif
