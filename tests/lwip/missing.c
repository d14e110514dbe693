/*
 * tests/lwip/missing.c — two functions lwIP's tests call outside the #if
 * that provides them, so that the suite links with Weft's options.
 *
 *   - tcpip_thread_poll_one: ip6/test_ip6.c's teardown runs what the
 *     tcpip thread has queued "until all memory is released" (lwIP's test
 *     options have NO_SYS=0 and TCPIP_THREAD_TEST). With NO_SYS=1 there is
 *     no thread: what waits is the loopback queue (router solicitations
 *     that nd6_tmr sent on the loopback netif, LWIP_NETIF_LOOPBACK), which
 *     NO_SYS drains with netif_poll_all(), as Weft does at every release
 *     of the net lock (net/netlock.c).
 *   - tcp_oos_pbuf_count: tcp/test_tcp_oos.c defines it only when its
 *     TCP_OOSEQ_MAX_PBUFS test applies (a pbuf limit below a window's
 *     worth of full segments), but its TCP_OOSEQ_MAX_BYTES test calls it
 *     too. Weft has both limits at one window, so only the bytes test
 *     applies, and it needs the count: the pbufs queued out of order.
 */
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

int tcpip_thread_poll_one(void);
int tcp_oos_pbuf_count(struct tcp_pcb *pcb);

int tcpip_thread_poll_one(void)
{
	netif_poll_all();
	return 0;	/* all of it is done: nothing more waits */
}

int tcp_oos_pbuf_count(struct tcp_pcb *pcb)
{
	int n = 0;
	for (const struct tcp_seg *s = pcb->ooseq; s; s = s->next)
		n += pbuf_clen(s->p);
	return n;
}
