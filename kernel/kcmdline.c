/*
 * kernel/kcmdline.c — the kernel's command line (kernel/kcmdline.h): one
 * parsed copy, made at boot, read through declared keys.
 */
#include <errno.h>
#include <stdio.h>
#include "kernel/kcmdline.h"

static struct cmdline line;		/* written once by kcmdline_init */

static void warn_console(void *arg, const char *msg)
{
	(void)arg;
	printf("%s\n", msg);
}

void kcmdline_init(const char *text)
{
	cmdline_parse(&line, text, warn_console, NULL);
	cmdline_check_known(&line, __start_cmdline_keys,
			    (size_t)(__stop_cmdline_keys - __start_cmdline_keys), warn_console, NULL);
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
		printf("cmdline: %s=%s is %s (want %llu..%llu); using %llu\n", k->name,
		       cmdline_get(&line, k->name), e == -ERANGE ? "out of range" : "not a number",
		       (unsigned long long)min, (unsigned long long)max, (unsigned long long)def);
	return v;
}
