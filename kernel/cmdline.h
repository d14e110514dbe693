#ifndef WEFT_KERNEL_CMDLINE_H
#define WEFT_KERNEL_CMDLINE_H

/*
 * Kernel command line.
 *
 * Syntax: words separated by whitespace (space, tab, CR, LF, VT, FF).
 *   key=value    a setting
 *   key          a flag; its value is ""
 *   key="a b"    a value holding spaces: the quotes wrap the whole value
 *                and are removed; there are no escapes
 * A key is 1..31 characters of [a-z0-9_.-]. When a key appears more than
 * once, the last occurrence wins.
 *
 * Call order:
 *   cmdline_parse(&cl, line, warn, arg)      once, before anything reads it
 *   cmdline_check_known(&cl, keys, n, ...)   report words no one declared
 *   cmdline_get / _next / _get_u64 / _get_bool   any number of times
 *
 * This is the parser, on any struct cmdline (the host tests drive it).
 * The kernel's own line is read through declared keys instead:
 * kernel/kcmdline.h, the one API the rest of the system uses.
 *
 * Parsing never fails: a malformed word is reported through warn, skipped,
 * and the rest of the line is still parsed. Nothing here allocates; the
 * struct holds its own copy of the text (about 5.5 KiB: keep it static, not
 * on a small stack). It holds offsets, not pointers, so it may be copied.
 * No locking: parse once at boot, then the struct is only read.
 *
 * Known keys: each subsystem declares the keys it reads next to the code
 * that reads them, and reads them through that declaration
 * (kernel/kcmdline.h):
 *   CMDLINE_KEY(port_key, "port", "TCP port the server listens on");
 *   port = kcmdline_u64(&port_key, 80, 1, 65535);
 * The entries land in the linker section "cmdline_keys"; the linker
 * defines __start_cmdline_keys and __stop_cmdline_keys around it (the
 * kernel's linker script must keep the section, e.g. KEEP(*(cmdline_keys))
 * in an output section of that name, or leave it an orphan).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX_LEN 2048 /* bytes of line kept; the rest is cut */
#define CMDLINE_MAX_WORDS 64 /* words kept; later ones are reported */
#define CMDLINE_MAX_KEY 31   /* characters in a key */

/* Called once per problem with a complete message ("cmdline: ..."). */
typedef void cmdline_warn_fn(void *arg, const char *msg);

struct cmdline_word {
	uint16_t key;      /* offset in store of the NUL-terminated key */
	uint16_t value;    /* offset in store of the NUL-terminated value */
	uint16_t text;     /* offset in text of the word as written */
	uint16_t text_len; /* its length, for messages */
};

struct cmdline {
	size_t n; /* words parsed into w[] */
	struct cmdline_word w[CMDLINE_MAX_WORDS];
	char text[CMDLINE_MAX_LEN + 1];  /* the line as given (maybe cut) */
	char store[CMDLINE_MAX_LEN + 1]; /* text with keys/values NUL-ended */
};

struct cmdline_key {
	const char *name; /* the key, e.g. "port" */
	const char *help; /* one line for a usage listing */
};

#define CMDLINE_KEY(ident, keyname, helptext)                                 \
	static const struct cmdline_key ident                                 \
		__attribute__((used, section("cmdline_keys"), aligned(8))) = { \
			.name = (keyname), .help = (helptext) }

/*
 * Bounds of the section, provided by the linker; see above. Weak, so that
 * an image with no CMDLINE_KEY at all links, with both NULL (zero keys).
 */
extern const struct cmdline_key __start_cmdline_keys[]
	__attribute__((weak));
extern const struct cmdline_key __stop_cmdline_keys[]
	__attribute__((weak));

/*
 * Parse line (NULL is taken as "") into cl. Each problem (line over
 * CMDLINE_MAX_LEN, malformed word, word beyond CMDLINE_MAX_WORDS) is
 * reported through warn (may be NULL) and the word is skipped.
 * Returns the number of problems; 0 means the whole line was taken.
 */
int cmdline_parse(struct cmdline *cl, const char *line, cmdline_warn_fn *warn,
		  void *arg);

/* The value of the last occurrence of key ("" for a flag), or NULL. */
const char *cmdline_get(const struct cmdline *cl, const char *key);

/*
 * The values of every occurrence of key, first to last, for a key that
 * may be given more than once: start with *it = 0; each call returns the
 * next value and advances *it; NULL after the last.
 */
const char *cmdline_next(const struct cmdline *cl, const char *key, size_t *it);

/*
 * Read key as an unsigned number, decimal or 0x-prefixed hex.
 * Absent: *out = def, returns 0. Present and in [min, max]: *out = value,
 * returns 0. Not a number (including a bare flag): -EINVAL; a number
 * outside [min, max] or above UINT64_MAX: -ERANGE; in both cases *out = def.
 */
int cmdline_get_u64(const struct cmdline *cl, const char *key, uint64_t def,
		    uint64_t min, uint64_t max, uint64_t *out);

/*
 * Read key as a switch. A bare flag, "1", "y", "yes", "on", "true" mean
 * true; "0", "n", "no", "off", "false" mean false (case-insensitive).
 * Absent or anything else: def.
 */
bool cmdline_get_bool(const struct cmdline *cl, const char *key, bool def);

/*
 * Report through warn every word whose key is not among keys[0..nkeys)
 * ("cmdline: unknown word \"foo=bar\" ignored"). Returns how many.
 */
int cmdline_check_known(const struct cmdline *cl, const struct cmdline_key *keys,
			size_t nkeys, cmdline_warn_fn *warn, void *arg);

#endif
