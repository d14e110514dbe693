/*
 * tests/fuzz/rxpath/include/machine/endian.h — newlib's <machine/endian.h>
 * on a glibc host, so that Weft's own lwIP port header (net/lwip/include/
 * arch/cc.h, which includes it for BYTE_ORDER) builds unchanged for the
 * receive-path fuzzer. glibc's <endian.h> defines the same names.
 */
#ifndef RXPATH_MACHINE_ENDIAN_H
#define RXPATH_MACHINE_ENDIAN_H
#include <endian.h>
#endif
