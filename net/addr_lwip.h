/*
 * net/addr_lwip.h — struct net_addr (net/addr.h) to and from lwIP's
 * ip_addr_t, for the files of net/ (not a public header: apps never see
 * lwIP's types).
 *
 * Zones: lwIP zones link-local IPv6 addresses with the interface index,
 * as net_addr.zone does. A link-local address given without a zone gets
 * the NIC's (the default netif: Weft has one), so "[fe80::1]:80" dials
 * out of the NIC, as it would on a host with one interface.
 */
#ifndef NET_ADDR_LWIP_H
#define NET_ADDR_LWIP_H

#include "lwip/ip_addr.h"
#include "net/addr.h"

/* a (a family must be set) as lwIP's address; the port is not lwIP's.
   Net lock held when a is a zoneless link-local address (netif_default
   is read). */
void addr_to_lwip(const struct net_addr *a, ip_addr_t *out);
/* lwIP's address and a port as a net_addr. */
void addr_from_lwip(const ip_addr_t *ip, uint16_t port, struct net_addr *out);

#endif
