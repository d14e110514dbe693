/*
 * net/dns.h — name resolution: Go's net.Resolver.LookupIPAddr in C, on
 * lwIP's DNS client (A and AAAA records, with a cache that keeps each
 * answer for its TTL, at most an hour).
 *
 *	struct net_addr a[4];
 *	int n = net_resolve("example.lan", NET_AF_UNSPEC, a, 4, time_ns() + ms(3000));
 *	if (n < 0) printf("lookup: %s\n", net_strerror(n));
 *
 * net_dial (net/conn.h) resolves names itself; this is for apps that want
 * the addresses.
 *
 * Servers, in order of precedence: net_dns_set_servers; `dns=ADDR` on the
 * command line (repeatable, or comma-separated: dns=10.0.0.1,fd00::1);
 * else what DHCP's lease and IPv6 router advertisements (RDNSS) name.
 * At most NET_DNS_MAX_SERVERS; queries go to the first, then the next
 * when it stays silent (each gets four tries over about 7 s) or answers
 * with an error. Servers listen on port 53 (lwIP's limit).
 *
 * Concurrency: any task may resolve at any time. At most NET_DNS_INFLIGHT
 * queries are on the wire at once (the same name asked by several tasks
 * is one query); more callers wait, within their deadlines, for a slot.
 * Each caller gets its own answer.
 *
 * Errors (negative errno, named by net_strerror): -EINVAL (not a host
 * name or address, or max < 1), -ENOENT (no such host: a server answered
 * that the name does not exist or has no address of the family asked, or
 * answered with an error), -ETIMEDOUT (no answer by the deadline, or all
 * servers stayed silent), -EDESTADDRREQ (no server known).
 */
#ifndef NET_DNS_H
#define NET_DNS_H

#include <stdint.h>
#include "net/addr.h"

#define NET_DNS_MAX_SERVERS 4
#define NET_DNS_INFLIGHT 16

/* Addresses of `name` of `family` (NET_AF_INET: A, NET_AF_INET6: AAAA,
   NET_AF_UNSPEC: both, asked at once). An IP literal is returned as it
   is, and "localhost" is 127.0.0.1 and ::1, without a query. Blocks until
   answered or `deadline` (time_ns() scale, 0: none; lwIP's own retries
   end a lookup within about 7 s per server). Returns the number of
   addresses written to out (1..max; ports 0), in the order net_dial tries
   them: IPv6 first when this machine has a global IPv6 address, else
   IPv4 first. lwIP keeps one address per name and family, so at most one
   of each. */
int net_resolve(const char *name, int family, struct net_addr *out, int max, uint64_t deadline);

/* Use these servers (n <= NET_DNS_MAX_SERVERS; ports 0 or 53) instead of
   dns= and DHCP's; n = 0 goes back to those. 0 or -EINVAL. */
int net_dns_set_servers(const struct net_addr *servers, int n);
/* The servers queries go to now, in order: how many were written. */
int net_dns_servers(struct net_addr *out, int max);

#endif
