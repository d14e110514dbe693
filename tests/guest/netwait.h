/*
 * tests/guest/netwait.h — waiting on lwIP's state in the net suites.
 *
 *	KT_ASSERT(WAIT_UNTIL(netif_is_link_up(nif), 10));
 *
 * evaluates cond under the net lock until it holds or secs pass, pumping
 * in between: one round of what the network does by itself (loopback
 * delivered by the unlock, lwIP's timers when due, other tasks run), so
 * the wait works with net=off as well as beside the running stack.
 */
#ifndef TESTS_GUEST_NETWAIT_H
#define TESTS_GUEST_NETWAIT_H

#include <stdbool.h>
#include "kernel/time.h"
#include "lwip/netif.h"
#include "net/netlock.h"
#include "net/timers.h"
#include "runtime/runtime.h"

static inline void net_pump(void)
{
	net_lock();
	netif_poll_all();
	net_unlock();
	net_timers_poll();
	task_yield();
}

#define WAIT_UNTIL(cond, secs)							\
	({									\
		uint64_t _dl = time_ns() + (uint64_t)(secs) * 1000000000ull;	\
		bool _ok;							\
		for (;;) {							\
			net_lock();						\
			_ok = (cond);						\
			net_unlock();						\
			if (_ok || time_ns() > _dl)				\
				break;						\
			net_pump();						\
		}								\
		_ok;								\
	})

#endif
