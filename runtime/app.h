/*
 * runtime/app.h — how an application plugs into the appliance.
 *
 *	static void echo_main(void) { ... }
 *	APP("echo", echo_main);
 *
 * The boot picks the app named by `app=` on the command line (default
 * "httpd") and runs its main as a task once every CPU and the network are
 * up. Apps read their settings from the command line with rt_config_*;
 * each key they read is declared with CONFIG_KEY so unknown words can be
 * told apart from settings.
 */
#ifndef RUNTIME_APP_H
#define RUNTIME_APP_H

#include <stdint.h>
#include "kernel/kmain.h"

/* An entry of the app registry, in the "apps" linker section. */
struct app {
	const char *name;
	void (*main)(void);
};
#define APP(nm, f)								\
	static const struct app app_##f						\
		__attribute__((used, section("apps"), aligned(8))) = { nm, f }

#define CONFIG_KEY(ident, name, help) CMDLINE_KEY(ident, name, help)

/* Run the main of the app that app= names (default "httpd"); with no such
   app, say which there are and return. The first task, once every CPU and
   the network are up (kmain). */
void app_run(void);

/* The value of key on the command line, or NULL. */
const char *rt_config(const char *key);
/* A number from the command line, or def (with a message) when absent,
   malformed or outside [min, max]. */
uint64_t rt_config_u64(const char *key, uint64_t def, uint64_t min, uint64_t max);

#endif
