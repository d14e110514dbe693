/*
 * kernel/kmain.h — the boot sequence's results that later layers read:
 * the parsed kernel command line, and the hand-off to the runtime.
 */
#ifndef KERNEL_KMAIN_H
#define KERNEL_KMAIN_H

#include <stdint.h>
#include "kernel/cmdline.h"

extern struct cmdline kcmdline;

/* A numeric option: its value, or `def` with a message on the console
   when the word is malformed or out of [min, max]. */
uint64_t kcmdline_u64(const char *key, uint64_t def, uint64_t min, uint64_t max);

/* Layers above the kernel hook in without the kernel knowing them: a
   KINIT(fn, level) in their code runs fn on the BSP during boot.
   KINIT_EARLY: memory, ACPI, APICs and the clock are up, the other CPUs
   are not. KINIT_LATE: every CPU is online. */
enum { KINIT_EARLY = 1, KINIT_LATE = 2 };
struct kinit {
	void (*fn)(void);
	int level;
	const char *name;
};
#define KINIT(f, lvl)								\
	static const struct kinit kinit_##f					\
		__attribute__((used, section("kinit"), aligned(8))) = { f, lvl, #f }

/* Applications: KAPP("name", fn) registers fn as the main of the app that
   `app=name` selects (apps use runtime/app.h's APP()). */
struct kapp {
	const char *name;
	void (*main)(void);
};
#define KAPP(nm, f)								\
	static const struct kapp kapp_##f					\
		__attribute__((used, section("kapps"), aligned(8))) = { nm, f }

/* The runtime sets this: run body() as the first task, then become the
   BSP's scheduler. Without it kmain runs body() on the boot stack. */
extern void (*kmain_continue)(void (*body)(void));

/* TSC at "ready": every CPU up, tests or the app about to start. */
extern uint64_t ready_tsc;

#endif
