/*
 * tests/lwip/include/arch/cc.h — compiler and C library glue for lwIP on
 * the host, for lwIP's own unit suite (tests/lwip/run.sh).
 *
 * The kernel's arch/cc.h (net/lwip/include/arch/cc.h) settles the same
 * things for newlib and the kernel's panic; this one takes glibc's types,
 * errno and byte order, and turns a failed LWIP_ASSERT into a failed check
 * test with lwIP's message (tests/lwip/port.c). Everything else lwIP sees
 * is Weft's: lwipopts.h and arch/sys_arch.h are the kernel's own (this
 * directory's arch/sys_arch.h only adds the suite's clock to it).
 */
#ifndef WEFT_LWIP_HOST_ARCH_CC_H
#define WEFT_LWIP_HOST_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include "arch/sys_arch.h"

#define LWIP_ERRNO_STDINCLUDE	1

/* The same byte swaps as the kernel's. */
#define lwip_htons(x)		__builtin_bswap16(x)
#define lwip_htonl(x)		__builtin_bswap32(x)

#define LWIP_PLATFORM_DIAG(x)	do { printf x; } while (0)
void lwip_host_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_ASSERT(x)	lwip_host_assert((x), __FILE__, __LINE__)

#define LWIP_RAND()		((u32_t)lwip_rand())

/* NO_SYS, one caller at a time, as in the kernel (where these assert the
   net lock, which the host has not got: NET_LOCK_CHECKS is 0 here). */
#define SYS_ARCH_DECL_PROTECT(lev)
#define SYS_ARCH_PROTECT(lev)	NET_LWIP_ASSERT_LOCKED()
#define SYS_ARCH_UNPROTECT(lev)

#endif
