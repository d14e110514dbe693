/*
 * runtime/app.c — the app registry: every APP() of the image, in the
 * "apps" linker section, and the choice among them by app=.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/exit.h"
#include "runtime/app.h"

CMDLINE_KEY(key_app, "app", "the application to start (httpd, echo, dns)");

extern const struct app __start_apps[], __stop_apps[];

void app_run(void)
{
	const char *name = kcmdline_str(&key_app);
	if (!name)
		name = "httpd";
	for (const struct app *a = __start_apps; a < __stop_apps; a++)
		if (!strcmp(a->name, name)) {
			printf("weft: starting app %s\n", name);
			a->main();
			return;
		}
	/* A misconfigured appliance says so and stops, rather than running
	   with nothing listening: one line, then power off with "fail". */
	char have[160];
	size_t n = 0;
	have[0] = 0;
	for (const struct app *a = __start_apps; a < __stop_apps; a++)
		n += (size_t)snprintf(have + n, n < sizeof have ? sizeof have - n : 0, " %s",
				      a->name);
	printf("weft: no app named \"%s\" in this image (have:%s); powering off\n", name, have);
	machine_exit(EXIT_FAIL);
}
