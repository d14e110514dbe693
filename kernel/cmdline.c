/*
 * Kernel command line: split, validate, look up. See cmdline.h for the
 * syntax and the call order.
 *
 * The line is copied twice into the struct: text[] keeps it as written,
 * so that messages can quote a word exactly, and store[] is the same
 * bytes with a NUL after each key and value (the '=', the closing quote
 * and the whitespace after a word are overwritten). Words are recorded as
 * offsets so that the struct stays valid when copied.
 *
 * Word splitting treats a double quote as toggling "inside quotes", so a
 * quoted value may hold whitespace. Only the form key="..." is then
 * accepted; a quote anywhere else makes the word malformed rather than
 * guessing what was meant.
 *
 * Messages are built by hand (no snprintf): this runs before the console
 * has a formatter we can rely on, and on the host in unit tests.
 */

#include "kernel/cmdline.h"

#include <errno.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

#define MSG_MAX 192      /* longest message handed to warn */
#define MSG_WORD_MAX 96  /* longest quoted word in a message */

struct msg {
	char buf[MSG_MAX];
	size_t len;
};

static void msg_add(struct msg *m, const char *s, size_t n)
{
	while (n-- > 0 && m->len < MSG_MAX - 1)
		m->buf[m->len++] = *s++;
	m->buf[m->len] = '\0';
}

static void msg_str(struct msg *m, const char *s)
{
	msg_add(m, s, strlen(s));
}

/* Report `<head>"<word>"<tail>`, shortening a long word with "...". */
static void report(cmdline_warn_fn *warn, void *arg, const char *head,
		   const char *word, size_t wlen, const char *tail)
{
	struct msg m = { .len = 0 };

	if (!warn)
		return;
	msg_str(&m, head);
	msg_str(&m, "\"");
	if (wlen > MSG_WORD_MAX) {
		msg_add(&m, word, MSG_WORD_MAX);
		msg_str(&m, "...");
	} else {
		msg_add(&m, word, wlen);
	}
	msg_str(&m, "\"");
	msg_str(&m, tail);
	warn(arg, m.buf);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

/*
 * Check the word text[start, end) and, if it is well formed, NUL-terminate
 * its key and value in store[] and fill *w. Returns NULL when the word is
 * good, or the reason it is malformed.
 */
static const char *split_word(struct cmdline *cl, size_t start, size_t end,
			      struct cmdline_word *w)
{
	const char *t = cl->text;
	size_t eq = start, vstart, vend, i;

	while (eq < end && t[eq] != '=')
		eq++;
	if (eq == start)
		return "empty key";
	if (eq - start > CMDLINE_MAX_KEY)
		return "key longer than " STR(CMDLINE_MAX_KEY) " characters";
	for (i = start; i < eq; i++)
		if (!is_key_char(t[i]))
			return "key may hold only a-z 0-9 _ . -";

	vstart = eq < end ? eq + 1 : end;
	vend = end;
	if (memchr(t + vstart, '"', vend - vstart)) {
		if (vend - vstart < 2 || t[vstart] != '"' || t[vend - 1] != '"' ||
		    memchr(t + vstart + 1, '"', vend - vstart - 2))
			return "quotes must wrap the whole value";
		vstart++;
		vend--;
	}

	cl->store[eq] = '\0';   /* ends the key (eq == end for a flag) */
	cl->store[vend] = '\0'; /* ends the value */
	w->key = (uint16_t)start;
	w->value = (uint16_t)(eq < end ? vstart : end);
	w->text = (uint16_t)start;
	w->text_len = (uint16_t)(end - start);
	return NULL;
}

/*
 * Copy at most CMDLINE_MAX_LEN bytes of line into text[] and store[].
 * Returns the length kept; *cut tells whether line was longer.
 */
static size_t copy_line(struct cmdline *cl, const char *line, bool *cut)
{
	size_t len = 0;

	while (len < CMDLINE_MAX_LEN && line[len] != '\0')
		len++;
	*cut = line[len] != '\0';
	memcpy(cl->text, line, len);
	cl->text[len] = '\0';
	memcpy(cl->store, cl->text, len + 1);
	return len;
}

/*
 * Take the word text[start, end); quoted tells whether it ended inside
 * quotes, cut whether the length limit ended it. Returns 1 if the word was
 * reported and skipped, else 0.
 */
static int take_word(struct cmdline *cl, size_t start, size_t end,
		     bool quoted, bool cut, cmdline_warn_fn *warn, void *arg)
{
	struct cmdline_word w;
	struct msg tail = { .len = 0 };
	const char *why;

	if (cut)
		why = "cut off at the " STR(CMDLINE_MAX_LEN) "-byte limit";
	else if (quoted)
		why = "unterminated quote";
	else
		why = split_word(cl, start, end, &w);
	if (why) {
		msg_str(&tail, ": ");
		msg_str(&tail, why);
		report(warn, arg, "cmdline: malformed word ", cl->text + start,
		       end - start, tail.buf);
		return 1;
	}
	if (cl->n == CMDLINE_MAX_WORDS) {
		report(warn, arg, "cmdline: word ", cl->text + start,
		       end - start,
		       " ignored: more than " STR(CMDLINE_MAX_WORDS) " words");
		return 1;
	}
	cl->w[cl->n++] = w;
	return 0;
}

int cmdline_parse(struct cmdline *cl, const char *line, cmdline_warn_fn *warn,
		  void *arg)
{
	const char *t = cl->text;
	size_t len, i = 0, start;
	bool cut, quoted;
	int problems = 0;

	cl->n = 0;
	if (!line)
		line = "";
	len = copy_line(cl, line, &cut);
	if (cut) {
		if (warn)
			warn(arg, "cmdline: line longer than " STR(CMDLINE_MAX_LEN)
				  " bytes, truncated");
		problems++;
	}

	for (;;) {
		while (i < len && is_space(t[i]))
			i++;
		if (i == len)
			break;
		start = i;
		quoted = false;
		for (; i < len && (quoted || !is_space(t[i])); i++)
			if (t[i] == '"')
				quoted = !quoted;
		/* A word reaching the cut is whole only if a space followed. */
		problems += take_word(cl, start, i, quoted,
				      cut && i == len &&
					      (quoted || !is_space(line[len])),
				      warn, arg);
	}
	return problems;
}

const char *cmdline_get(const struct cmdline *cl, const char *key)
{
	size_t i = cl->n;

	while (i-- > 0)
		if (strcmp(cl->store + cl->w[i].key, key) == 0)
			return cl->store + cl->w[i].value;
	return NULL;
}

const char *cmdline_next(const struct cmdline *cl, const char *key, size_t *it)
{
	while (*it < cl->n) {
		const struct cmdline_word *w = &cl->w[(*it)++];

		if (strcmp(cl->store + w->key, key) == 0)
			return cl->store + w->value;
	}
	return NULL;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Parse all of s as decimal or 0x-hex. 0, -EINVAL or -ERANGE. */
static int parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	bool overflow = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		unsigned d = (unsigned)digit_value(*s);
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	if (overflow)
		return -ERANGE;
	*out = v;
	return 0;
}

int cmdline_get_u64(const struct cmdline *cl, const char *key, uint64_t def,
		    uint64_t min, uint64_t max, uint64_t *out)
{
	const char *s = cmdline_get(cl, key);
	uint64_t v;
	int err;

	*out = def;
	if (!s)
		return 0;
	err = parse_u64(s, &v);
	if (err)
		return err;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static bool word_is(const char *s, const char *lower)
{
	for (; *s && *lower; s++, lower++) {
		char c = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
		if (c != *lower)
			return false;
	}
	return *s == *lower;
}

bool cmdline_get_bool(const struct cmdline *cl, const char *key, bool def)
{
	static const char *const yes[] = { "", "1", "y", "yes", "on", "true" };
	static const char *const no[] = { "0", "n", "no", "off", "false" };
	const char *s = cmdline_get(cl, key);
	size_t i;

	if (!s)
		return def;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (word_is(s, yes[i]))
			return true;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (word_is(s, no[i]))
			return false;
	return def;
}

int cmdline_check_known(const struct cmdline *cl, const struct cmdline_key *keys,
			size_t nkeys, cmdline_warn_fn *warn, void *arg)
{
	int unknown = 0;
	size_t i, k;

	for (i = 0; i < cl->n; i++) {
		const char *key = cl->store + cl->w[i].key;
		for (k = 0; k < nkeys; k++)
			if (strcmp(keys[k].name, key) == 0)
				break;
		if (k < nkeys)
			continue;
		report(warn, arg, "cmdline: unknown word ",
		       cl->text + cl->w[i].text, cl->w[i].text_len, " ignored");
		unknown++;
	}
	return unknown;
}
