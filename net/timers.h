/*
 * net/timers.h — lwIP's timers (net/timers.c). The net-timers task calls
 * net_timers_poll every round; tests that drive lwIP by hand (over
 * loopback, with net=off) call it themselves.
 */
#ifndef NET_TIMERS_H
#define NET_TIMERS_H

#include <stdint.h>

/* Run lwIP's timers if one is due (sys_check_timeouts, which also gives
   back out-of-order data when PBUF_POOL ran dry): takes the lock only
   then, so it is cheap to call when nothing is due. Do not hold the
   lock. */
void net_timers_poll(void);
/* time_ns() by which net_timers_poll() must run next (the net-timers task
   sleeps until then). Never more than 250 ms ahead: lwIP's own timers are
   all armed at least TCP_TMR_INTERVAL (250 ms) ahead, so none runs late.
   Weft code must not add shorter sys_timeout()s; it uses the runtime's
   timers. */
uint64_t net_timers_next_ns(void);
/* Rounds of net_timers_poll that ran lwIP's timers (exact: read under the
   lock). */
uint64_t net_timers_rounds(void);

#endif
