/*
 * kernel/main.c — the start-up order: kmain runs on the BSP and calls
 * each layer's init by name, in order (as xv6's main.c does). This is
 * the one file of the kernel that names the layers above it (runtime/rt.h
 * and net/net.h); it knows of applications only through the runtime's
 * app registry (runtime/app.h).
 *
 * The order, and why:
 *   1. the machine's own state: %gs and the IDT first (any fault from here
 *      on is reported with a backtrace), newlib's state for this CPU, the
 *      console; the loader's data is copied out before memory is reused;
 *      the banner (version, loader, command line); the command line is
 *      parsed (malformed and unknown words reported and counted);
 *   2. memory: physical pages, the page tables (W^X), this CPU's
 *      interrupt stacks;
 *   3. the platform: ACPI (CPUs, interrupt routing), the APICs, PCI, the
 *      clock (TSC) and the per-CPU timer, then the wall clock (date=,
 *      kvmclock or the CMOS RTC: needs the TSC and the FADT's century).
 *      When the TSC's or the APIC timer's rate must be measured, the
 *      window opens as soon as its reference is known (the PM timer after
 *      ACPI, the APIC timer once set up) and closes in time_init and
 *      lapic_timer_calibrate: the APIC and PCI work fills it, not a wait;
 *   4. entropy (kernel/entropy.h): the DRBG seeded from RDSEED/RDRAND
 *      (entropy_init), then from the first virtio-rng device
 *      (virtio_rng_init: it needs PCI or the MMIO devices and the clock,
 *      and polls, so it runs here, alone on the BSP), and one console line
 *      saying what seeded it — before anything that may ask for random
 *      bytes;
 *   5. the runtime (rt_init), whose hooks the kernel now calls
 *      (kernel_hooks_install, kernel/hooks.h) — before any other CPU
 *      starts, so every AP enters the runtime's scheduler;
 *   6. the other CPUs (smp_init);
 *   7. the network (net_init): lwIP, the NIC, the address, the poller;
 *   8. rt_start: kmain_body as the first task — the tests test= names
 *      (kernel/tests.h), or the app — and the BSP becomes a scheduler.
 * Nothing runs by itself: there are no init sections and no hooks
 * assigned from other files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/bootinfo.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/entropy.h"
#include "kernel/exit.h"
#include "kernel/hooks.h"
#include "kernel/kcmdline.h"
#include "kernel/libc.h"
#include "kernel/tests.h"
#include "kernel/version.h"
#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/pci.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/virtio/virtio_rng.h"
#include "kernel/vm.h"
#include "kernel/wallclock.h"
#include "net/limits.h"
#include "net/net.h"
#include "runtime/app.h"
#include "runtime/rt.h"

CMDLINE_KEY(key_test, "test", "run in-guest tests: all, none, or suite[.name],...; -suite[.name] leaves those out (all,-runtime.hundred_thousand_tasks)");


static void print_memory(void)
{
	printf("memory: %llu MiB usable of %zu map entries; %llu pages free\n",
	       (unsigned long long)(memmap_usable_bytes(&bootinfo.mm) >> 20), bootinfo.mm.n,
	       (unsigned long long)page_free_count());
}

/* What the machine is for: the tests named by test=, or the app. The
   first task (step 8). */
static void kmain_body(void)
{
	const char *spec = kcmdline_str(&key_test);
	if (spec) {
		irq_enable();
		int failed = tests_run(spec);
		machine_exit(failed ? EXIT_FAIL : EXIT_PASS);
	}
	app_check();
	if (!net_have_nic() && !net_is_off()) {
		/* net_init said what it saw; an app would claim to listen. */
		printf("weft: no app started: no network device to serve on\n");
		return;
	}
	app_run();
}

_Noreturn void kmain(uint32_t magic, uint64_t info);
void kmain(uint32_t magic, uint64_t info)
{
	/* 1. the machine's own state */
	boot_tsc = rdtsc();
	cpu_init_bsp();
	libc_init_bsp();
	console_init();
	bootinfo_parse(magic, info);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("\nweft: version %s\n", weft_version);
	printf("weft: booted by %s%s%s, cmdline \"%s\"\n", bootinfo.protocol,
	       bootinfo.loader ? " from " : "", bootinfo.loader ? bootinfo.loader : "",
	       bootinfo.cmdline);
	kcmdline_init(bootinfo.cmdline);
	/* 2. memory */
	page_init(&bootinfo.mm);
	vm_init(&bootinfo.mm);
	cpu_alloc_ist(&cpus[0]);
	print_memory();
	/* 3. the platform */
	acpi_init();
	time_calibrate_start();
	lapic_init();
	lapic_init_local();
	lapic_timer_calibrate_start();
	pci_init();
	time_init();
	lapic_timer_calibrate();
	printf("cpu: TSC %llu MHz (from %s), timer %s\n", (unsigned long long)(tsc_hz / 1000000),
	       tsc_source, lapic_has_tsc_deadline() ? "TSC-deadline" : "APIC one-shot");
	wallclock_init();
	/* 4. entropy: the CPU's sources, then a virtio-rng device's */
	entropy_init();
	virtio_rng_init();
	entropy_log();
	/* 5. the runtime, and the kernel's hooks into it */
	rt_init();
	kernel_hooks_install(&rt_kernel_hooks);
	/* 6. the other CPUs, each into the runtime's scheduler */
	smp_init();
	/* 7. the network: its pools sized from the memory left (or "needs
	   N MiB" and off), then lwIP, the NIC, the poller */
	net_limits_plan();
	net_init();
	uint64_t ready_tsc = rdtsc();
	printf("smp: %u CPUs online (%u in the MADT)\n", ncpus_online, acpi.ncpu ? acpi.ncpu : 1);
	printf("weft: ready in %llu us\n", (unsigned long long)(tsc_to_ns(ready_tsc - boot_tsc) / 1000));
	/* 8. the first task; the BSP's scheduler loop */
	rt_start(kmain_body);
}
