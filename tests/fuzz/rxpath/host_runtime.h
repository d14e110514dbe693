/*
 * tests/fuzz/rxpath/host_runtime.h — what the receive-path fuzzer
 * (tests/fuzz/fuzz_rxpath.c) asks of its host stand-in for the kernel and
 * the task runtime (host_runtime.c). Everything Weft's code calls (park,
 * wake, spawn, the net lock, time_ns, pages, panic) is implemented there
 * against the public headers; these are the harness's own handles on it.
 */
#ifndef RXPATH_HOST_RUNTIME_H
#define RXPATH_HOST_RUNTIME_H

#include <stdint.h>

/* The fake clock (time_ns, sys_now): moves only when the harness says. */
void host_clock_advance(uint64_t ns);
/* Wake every task whose park deadline has passed, then run every runnable
   task until all are parked or done. Call without the net lock. */
void host_run_tasks(void);
/* Tasks spawned and not yet returned. */
unsigned host_tasks_alive(void);
/* Pages handed out by page_alloc_contig and not given back (never, here:
   the pools are carved once). */
uint64_t host_pages_out(void);

#endif
