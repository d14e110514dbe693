/*
 * kernel/main.c — the boot sequence on the BSP.
 *
 * Order matters: %gs and the IDT first (so any fault is reported with a
 * backtrace), then newlib and the console, the loader's data (copied out
 * before memory is reused), physical memory and the page tables, ACPI,
 * the APICs and the clock, the other CPUs, and finally the tests or the
 * app.
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
#include "kernel/exit.h"
#include "kernel/kmain.h"
#include "kernel/ktest.h"
#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/pci.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/vm.h"
#include "kernel/wallclock.h"

CMDLINE_KEY(key_test, "test", "run in-guest tests: all, none, or suite[.name],...");
CMDLINE_KEY(key_cpus, "cpus", "bring up at most this many CPUs");
CMDLINE_KEY(key_app, "app", "the application to start (httpd, echo)");

struct cmdline kcmdline;
void (*kmain_continue)(void (*body)(void));
extern const struct kinit __start_kinit[], __stop_kinit[];
extern const struct kapp __start_kapps[], __stop_kapps[];
uint64_t ready_tsc;

void libc_init_bsp(void);

static void warn_console(void *arg, const char *msg)
{
	(void)arg;
	printf("%s\n", msg);
}

uint64_t kcmdline_u64(const char *key, uint64_t def, uint64_t min, uint64_t max)
{
	uint64_t v;
	int e = cmdline_get_u64(&kcmdline, key, def, min, max, &v);
	if (e)
		printf("cmdline: %s=%s is %s (want %llu..%llu); using %llu\n", key,
		       cmdline_get(&kcmdline, key), e == -ERANGE ? "out of range" : "not a number",
		       (unsigned long long)min, (unsigned long long)max, (unsigned long long)def);
	return v;
}

static void parse_cmdline(void)
{
	cmdline_parse(&kcmdline, bootinfo.cmdline, warn_console, NULL);
	cmdline_check_known(&kcmdline, __start_cmdline_keys,
			    (size_t)(__stop_cmdline_keys - __start_cmdline_keys), warn_console, NULL);
}

static void print_memory(void)
{
	printf("memory: %llu MiB usable of %zu map entries; %llu pages free\n",
	       (unsigned long long)(memmap_usable_bytes(&bootinfo.mm) >> 20), bootinfo.mm.n,
	       (unsigned long long)page_free_count());
}

static void run_kinits(int level)
{
	for (const struct kinit *k = __start_kinit; k < __stop_kinit; k++)
		if (k->level == level)
			k->fn();
}

/* What the machine is for: the tests named by test=, or the app. Runs as
   the first task once the runtime is there. */
static void kmain_body(void)
{
	const char *spec = cmdline_get(&kcmdline, "test");
	if (spec) {
		irq_enable();
		int failed = ktest_run(spec);
		machine_exit(failed ? EXIT_FAIL : EXIT_PASS);
	}
	const char *name = cmdline_get(&kcmdline, "app");
	if (!name)
		name = "httpd";
	for (const struct kapp *a = __start_kapps; a < __stop_kapps; a++)
		if (!strcmp(a->name, name)) {
			printf("weft: starting app %s\n", name);
			a->main();
			return;
		}
	printf("weft: no app named \"%s\" in this image (have:", name);
	for (const struct kapp *a = __start_kapps; a < __stop_kapps; a++)
		printf(" %s", a->name);
	printf("); idle\n");
}

_Noreturn void kmain(uint32_t magic, uint64_t info);
void kmain(uint32_t magic, uint64_t info)
{
	boot_tsc = rdtsc();
	cpu_init_bsp();
	libc_init_bsp();
	console_init();
	bootinfo_parse(magic, info);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("\nweft: booted by %s%s%s, cmdline \"%s\"\n", bootinfo.protocol,
	       bootinfo.loader ? " from " : "", bootinfo.loader ? bootinfo.loader : "",
	       bootinfo.cmdline);
	parse_cmdline();
	page_init(&bootinfo.mm);
	vm_init(&bootinfo.mm);
	cpu_alloc_ist(&cpus[0]);
	print_memory();
	acpi_init();
	lapic_init();
	lapic_init_local();
	pci_init();
	time_init();
	lapic_timer_calibrate();
	printf("cpu: TSC %llu MHz (from %s), timer %s\n", (unsigned long long)(tsc_hz / 1000000),
	       tsc_source, lapic_has_tsc_deadline() ? "TSC-deadline" : "APIC one-shot");
	wallclock_init();
	run_kinits(KINIT_EARLY);
	smp_init((unsigned)kcmdline_u64("cpus", MAX_CPUS, 1, MAX_CPUS));
	run_kinits(KINIT_LATE);
	ready_tsc = rdtsc();
	printf("smp: %u CPUs online (%u in the MADT)\n", ncpus_online, acpi.ncpu ? acpi.ncpu : 1);
	printf("weft: ready in %llu us\n", (unsigned long long)(tsc_to_ns(ready_tsc - boot_tsc) / 1000));

	if (kmain_continue)
		kmain_continue(kmain_body);
	kmain_body();
	for (;;)
		halt_irq_on();
}
