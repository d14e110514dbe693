/*
 * kernel/debug.h — the one debug switch. `make DEBUG=1` compiles every
 * file with -DWEFT_DEBUG=1, which turns on each invariant check below;
 * without it they compile away. The checks are written as
 * `if (CHECK && cond)`, so their code is parsed and type-checked in every
 * build and costs nothing in a normal one. Each may also be turned on
 * alone (-DVNET_DEBUG=1 in the compiler flags).
 *
 *   SCHED_DEBUG      runtime/sched.c: sched_switch_out runs on a task and
 *                    with interrupts off (a switch from the loop, or with
 *                    interrupts on, would corrupt the hand-off)
 *   VNET_DEBUG       net/virtio_net_priv.h: every poller-side driver call
 *                    (rx_poll, tx, tx_reclaim, irq enable/disable, set
 *                    callback, restart) has interrupts off, i.e. the
 *                    caller holds the net lock that serializes the rings
 *   NET_LOCK_CHECKS  net/lwip/include/arch/sys_arch.h: lwIP checks that
 *                    this CPU holds the net lock at every raw API entry,
 *                    its input and timer paths, every pool allocation and
 *                    free and every pbuf_free/pbuf_ref (LWIP_ASSERT_CORE_
 *                    LOCKED, SYS_ARCH_PROTECT); a miss panics naming the
 *                    CPU
 *
 * Without DEBUG the kernel still panics on every broken invariant that is
 * cheap to see where it breaks (xv6's habit): a lock taken twice, more
 * TX buffers back than were sent, a task that runs again after exit.
 */
#ifndef KERNEL_DEBUG_H
#define KERNEL_DEBUG_H

#ifndef WEFT_DEBUG
#define WEFT_DEBUG 0
#endif

#endif
