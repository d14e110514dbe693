/*
 * kernel/kcmdline.h — the kernel's command line, read through declared
 * keys: the one way every layer (apps too, through runtime/app.h) reads
 * its settings.
 *
 *	CMDLINE_KEY(key_port, "port", "TCP port of the app");	once, beside
 *								the reader
 *	uint16_t port = (uint16_t)kcmdline_u64(&key_port, 80, 1, 65535);
 *	const char *ip = kcmdline_str(&key_ip);			NULL: absent
 *	for (size_t it = 0; (v = kcmdline_next(&key_dev, &it));)	every
 *								occurrence
 *
 * The key's name is written once, in its declaration; a reader passes
 * the declaration, so a reader cannot ask for a key nobody declared, and
 * a word on the line that no declaration names is reported at boot as
 * unknown. kmain parses the line (kcmdline_init) before anything reads
 * it; after that it is read-only, so any context may read it. Syntax and
 * limits: kernel/cmdline.h.
 */
#ifndef KERNEL_KCMDLINE_H
#define KERNEL_KCMDLINE_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/cmdline.h"

/* Parse the boot line (NULL: empty) and report, on the console, every
   malformed word and every word no CMDLINE_KEY declares, then how many
   (counted in kcmdline_errors). Once, by kmain, before anything reads
   the line. */
void kcmdline_init(const char *line);

/* The value of k's last occurrence ("" for a bare flag), or NULL. */
const char *kcmdline_str(const struct cmdline_key *k);
/* Each occurrence of k in order: *it starts at 0; NULL after the last. */
const char *kcmdline_next(const struct cmdline_key *k, size_t *it);
/* A number (decimal or 0x hex): its value, or `def` when absent, and
   `def` with a message on the console when malformed or outside
   [min, max]. */
uint64_t kcmdline_u64(const struct cmdline_key *k, uint64_t def, uint64_t min, uint64_t max);

/* A word whose value its reader cannot use (ip= without a prefix, a
   number out of range): print the message (printf's format; give the
   newline) on the console and count it. Any context. */
void kcmdline_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Words reported so far: malformed, unknown (both at kcmdline_init) and
   unusable values (kcmdline_error, kcmdline_u64). For /metrics
   (weft_cmdline_errors_total). */
uint64_t kcmdline_errors(void);

#endif
