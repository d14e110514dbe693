/*
 * net/lwip/include/arch/cc.h — compiler and C library glue for lwIP.
 *
 * lwip/arch.h includes this first, in every lwIP file and every file of
 * ours that includes an lwIP header. What it settles:
 *   - types: lwIP's u8_t..u32_t come from <stdint.h> and its printf
 *     formats from <inttypes.h> (lwIP's defaults; newlib has both);
 *     ssize_t is newlib's (lwIP would typedef it as int when SSIZE_MAX
 *     is missing, which newlib's <limits.h> does not define);
 *   - byte order: newlib's <machine/endian.h> takes it from the compiler,
 *     and the swaps are the compiler's byte-swap builtins;
 *   - diagnostics: LWIP_PLATFORM_DIAG prints to the console,
 *     LWIP_PLATFORM_ASSERT panics with lwIP's message, file and line;
 *   - errno: lwIP's errno names are newlib's (<errno.h>), the same values
 *     conn_* returns negated; lwIP defines none of its own;
 *   - LWIP_RAND and the net-lock assertion (arch/sys_arch.h).
 */
#ifndef WEFT_LWIP_ARCH_CC_H
#define WEFT_LWIP_ARCH_CC_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>
#include <machine/endian.h>
#include "kernel/panic.h"
#include "arch/sys_arch.h"

#define LWIP_ERRNO_STDINCLUDE	1
#define SSIZE_MAX		LONG_MAX
#define LWIP_NO_UNISTD_H	1

#define lwip_htons(x)		__builtin_bswap16(x)
#define lwip_htonl(x)		__builtin_bswap32(x)

#define LWIP_PLATFORM_DIAG(x)	do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)							\
	panic("lwIP assertion \"%s\" failed at %s:%d", (x), __FILE__, __LINE__)

#define LWIP_RAND()		((u32_t)lwip_rand())

/* lwIP's critical sections (memp, pbuf reference counts, the loopback
   queue) rely on the net lock; they assert it instead of protecting
   anything. Defining these overrides lwip/sys.h's SYS_LIGHTWEIGHT_PROT
   versions. */
#define SYS_ARCH_DECL_PROTECT(lev)
#define SYS_ARCH_PROTECT(lev)	NET_LWIP_ASSERT_LOCKED()
#define SYS_ARCH_UNPROTECT(lev)

#endif
