/*
 * tests/lwip/include/arch/sys_arch.h — Weft's arch/sys_arch.h, plus the
 * clock lwIP's unit suite sets.
 *
 * lwIP's tests (core/test_timers.c, tcp/, dhcp/) include "arch/sys_arch.h"
 * for `lwip_sys_now`, the time their own test port (test/unit/arch/) would
 * report; here it is tests/lwip/port.c's, read by Weft's real sys_now()
 * (net/lwip/sys_arch.c) through the kernel clock the port fakes. The rest
 * is the kernel's header, found next on the include path.
 */
#ifndef WEFT_LWIP_HOST_SYS_ARCH_H
#define WEFT_LWIP_HOST_SYS_ARCH_H

#include <stdint.h>
#include_next <arch/sys_arch.h>

/* Milliseconds: sys_now() returns it (tests move it to fire timers). */
extern uint32_t lwip_sys_now;

#endif
