/*
 * net/lwip/include/chksum.h — the Internet checksum lwIP uses
 * (lwipopts.h: LWIP_CHKSUM), net/lwip/chksum.c.
 */
#ifndef NET_LWIP_CHKSUM_H
#define NET_LWIP_CHKSUM_H

/* The one's-complement sum of data[0..len) as 16-bit words in memory
   order, folded to 16 bits, not inverted: lwip_standard_chksum's
   contract. */
unsigned short weft_lwip_chksum(const void *data, int len);

#endif
