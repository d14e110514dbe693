/*
 * runtime/rt.h — starting the runtime. kmain (kernel/main.c) calls these,
 * in this order, and no one else does:
 *
 *   rt_init()                               the BSP's scheduler and stack
 *                                           caches; tasks may be spawned
 *                                           from here on (they run later)
 *   kernel_hooks_install(&rt_kernel_hooks)  the kernel's up-calls (page
 *                                           fault, timer, preemption,
 *                                           newlib, panic, AP main) now
 *                                           reach the runtime
 *   smp_init(...)                           each AP runs ap_main: its own
 *                                           scheduler state, then its loop
 *   ... the layers above start (net_init), spawning tasks if they wish
 *   rt_start(body)                          body as the first task; the
 *                                           BSP becomes a scheduler too
 */
#ifndef RUNTIME_RT_H
#define RUNTIME_RT_H

#include "kernel/hooks.h"

/* The BSP's runtime state. Once, before smp_init. */
void rt_init(void);
/* What the runtime gives the kernel to call up into it. */
extern const struct kernel_hooks rt_kernel_hooks;
/* Run body() as the first task ("main") and turn the BSP into a
   scheduler; never returns. */
_Noreturn void rt_start(void (*body)(void));

#endif
