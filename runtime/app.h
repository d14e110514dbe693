/*
 * runtime/app.h — how an application plugs into the appliance.
 *
 *	static void echo_main(void) { ... }
 *	APP("echo", echo_main);
 *
 * The boot picks the app named by `app=` on the command line (default
 * "httpd") and runs its main as a task once every CPU and the network are
 * up. Apps read their settings from the command line the way every layer
 * does (kernel/kcmdline.h, included here): a key is declared once, next
 * to its reader, and read through that declaration, so unknown words can
 * be told apart from settings:
 *
 *	CMDLINE_KEY(key_port, "port", "TCP port of the app");
 *	uint16_t port = (uint16_t)kcmdline_u64(&key_port, 7, 1, 65535);
 */
#ifndef RUNTIME_APP_H
#define RUNTIME_APP_H

#include <stdint.h>
#include "kernel/kcmdline.h"

/* An entry of the app registry, in the "apps" linker section. */
struct app {
	const char *name;
	void (*main)(void);
};
#define APP(nm, f)								\
	static const struct app app_##f						\
		__attribute__((used, section("apps"), aligned(8))) = { nm, f }

/* Run the main of the app that app= names (default "httpd"); with no such
   app, say on one console line which there are and power the machine off
   with EXIT_FAIL (kernel/exit.h: QEMU's isa-debug-exit, else ACPI). The first task, once every CPU and
   the network are up (kmain). */
void app_run(void);

#endif
