/*
 * kernel/kcmdline.c — the kernel's command line (kernel/kcmdline.h): one
 * parsed copy, made at boot, read through declared keys.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include "kernel/atomic.h"
#include "kernel/kcmdline.h"

static struct cmdline line;		/* written once by kcmdline_init */
static uint64_t errors;			/* atomic: words reported (kcmdline_errors) */

static void warn_console(void *arg, const char *msg)
{
	(void)arg;
	printf("%s\n", msg);
	a_fetch_add_relaxed(&errors, 1);
}

void kcmdline_init(const char *text)
{
	int bad = cmdline_parse(&line, text, warn_console, NULL);
	bad += cmdline_check_known(&line, __start_cmdline_keys,
				   (size_t)(__stop_cmdline_keys - __start_cmdline_keys), warn_console,
				   NULL);
	if (bad)
		printf("cmdline: %d word%s malformed or unknown, ignored (weft_cmdline_errors_total "
		       "in /metrics counts them)\n", bad, bad == 1 ? "" : "s");
}

void kcmdline_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	a_fetch_add_relaxed(&errors, 1);
}

uint64_t kcmdline_errors(void)
{
	return a_load_relaxed(&errors);
}

const char *kcmdline_str(const struct cmdline_key *k)
{
	return cmdline_get(&line, k->name);
}

const char *kcmdline_next(const struct cmdline_key *k, size_t *it)
{
	return cmdline_next(&line, k->name, it);
}

uint64_t kcmdline_u64(const struct cmdline_key *k, uint64_t def, uint64_t min, uint64_t max)
{
	uint64_t v;
	int e = cmdline_get_u64(&line, k->name, def, min, max, &v);
	if (e)
		kcmdline_error("cmdline: %s=%s is %s (want %llu..%llu); using %llu\n", k->name,
		       cmdline_get(&line, k->name), e == -ERANGE ? "out of range" : "not a number",
		       (unsigned long long)min, (unsigned long long)max, (unsigned long long)def);
	return v;
}
