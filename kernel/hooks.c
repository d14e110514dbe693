/* kernel/hooks.c — the table of the kernel's up-calls (kernel/hooks.h). */
#include "kernel/hooks.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"

struct kernel_hooks kernel_hooks;
static bool installed;

void kernel_hooks_install(const struct kernel_hooks *h)
{
	if (installed || ncpus_online > 1)
		panic("kernel_hooks_install: %s", installed ? "installed twice" :
		      "the other CPUs are already up");
	kernel_hooks = *h;
	installed = true;
}
