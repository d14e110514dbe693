// host-test-sources: kernel/cmdline.c
/* Host unit tests for kernel/cmdline.c. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "tests/host/hosttest.h"

/* Parsed lines are big; keep them out of the test functions' frames. */
static struct cmdline cl;

struct warns {
	int n;
	char msg[80][256];
};

static struct warns w;

static void collect(void *arg, const char *msg)
{
	struct warns *ws = arg;

	if (ws->n < 80)
		snprintf(ws->msg[ws->n], sizeof(ws->msg[0]), "%s", msg);
	ws->n++;
}

static int parse(const char *line)
{
	memset(&w, 0, sizeof(w));
	return cmdline_parse(&cl, line, collect, &w);
}

HT_TEST(parses_a_normal_line)
{
	HT_EQ(parse("console=ttyS0 port=8080 ip=10.0.2.15/24 quiet log.level=3"),
	      0);
	HT_EQ(w.n, 0);
	HT_EQ(cl.n, 5);
	HT_STREQ(cmdline_get(&cl, "console"), "ttyS0");
	HT_STREQ(cmdline_get(&cl, "port"), "8080");
	HT_STREQ(cmdline_get(&cl, "ip"), "10.0.2.15/24");
	HT_STREQ(cmdline_get(&cl, "quiet"), "");
	HT_STREQ(cmdline_get(&cl, "log.level"), "3");
	HT_STREQ(cmdline_get(&cl, "missing"), NULL);
	HT_STREQ(cmdline_get(&cl, "por"), NULL);
	HT_STREQ(cmdline_get(&cl, "port8080"), NULL);
}

HT_TEST(empty_and_blank_lines)
{
	HT_EQ(parse(""), 0);
	HT_EQ(cl.n, 0);
	HT_EQ(parse(" \t\r\n\v\f "), 0);
	HT_EQ(cl.n, 0);
	HT_EQ(cmdline_parse(&cl, NULL, collect, &w), 0);
	HT_EQ(cl.n, 0);
	HT_STREQ(cmdline_get(&cl, "x"), NULL);
}

HT_TEST(any_whitespace_separates)
{
	HT_EQ(parse("\ta=1\n\nb=2\r\nc=3  \v d=4\f"), 0);
	HT_EQ(cl.n, 4);
	HT_STREQ(cmdline_get(&cl, "a"), "1");
	HT_STREQ(cmdline_get(&cl, "b"), "2");
	HT_STREQ(cmdline_get(&cl, "c"), "3");
	HT_STREQ(cmdline_get(&cl, "d"), "4");
}

HT_TEST(flags_and_empty_values)
{
	HT_EQ(parse("quiet debug= x"), 0);
	HT_STREQ(cmdline_get(&cl, "quiet"), "");
	HT_STREQ(cmdline_get(&cl, "debug"), "");
	HT_STREQ(cmdline_get(&cl, "x"), "");
}

HT_TEST(value_may_hold_equals_and_any_byte)
{
	HT_EQ(parse("a=b=c url=http://x/?q=1&r=2 u=\xc3\xa9t\xc3\xa9"), 0);
	HT_STREQ(cmdline_get(&cl, "a"), "b=c");
	HT_STREQ(cmdline_get(&cl, "url"), "http://x/?q=1&r=2");
	HT_STREQ(cmdline_get(&cl, "u"), "\xc3\xa9t\xc3\xa9");
}

HT_TEST(quoted_values)
{
	HT_EQ(parse("msg=\"a b  c\" x=1 empty=\"\" tab=\"\t\" q=\"=\""), 0);
	HT_EQ(cl.n, 5);
	HT_STREQ(cmdline_get(&cl, "msg"), "a b  c");
	HT_STREQ(cmdline_get(&cl, "x"), "1");
	HT_STREQ(cmdline_get(&cl, "empty"), "");
	HT_STREQ(cmdline_get(&cl, "tab"), "\t");
	HT_STREQ(cmdline_get(&cl, "q"), "=");
}

HT_TEST(quoted_value_at_end_of_line)
{
	HT_EQ(parse("a=1 msg=\"hello world\""), 0);
	HT_STREQ(cmdline_get(&cl, "msg"), "hello world");
	HT_STREQ(cmdline_get(&cl, "a"), "1");
}

HT_TEST(last_occurrence_wins)
{
	HT_EQ(parse("port=1 port=2 x port=3 x=7"), 0);
	HT_STREQ(cmdline_get(&cl, "port"), "3");
	HT_STREQ(cmdline_get(&cl, "x"), "7");
	HT_EQ(parse("x=7 x"), 0);
	HT_STREQ(cmdline_get(&cl, "x"), "");
}

HT_TEST(next_yields_every_occurrence_in_order)
{
	size_t it = 0;

	HT_EQ(parse("dev=a x=1 dev=\"b c\" dev dev.x=9 dev=d"), 0);
	HT_STREQ(cmdline_next(&cl, "dev", &it), "a");
	HT_STREQ(cmdline_next(&cl, "dev", &it), "b c");
	HT_STREQ(cmdline_next(&cl, "dev", &it), "");
	HT_STREQ(cmdline_next(&cl, "dev", &it), "d");
	HT_EQ(cmdline_next(&cl, "dev", &it), NULL);
	HT_EQ(cmdline_next(&cl, "dev", &it), NULL);
	it = 0;
	HT_EQ(cmdline_next(&cl, "none", &it), NULL);
	HT_EQ(it, cl.n);
}

HT_TEST(struct_survives_a_copy)
{
	static struct cmdline copy;

	HT_EQ(parse("a=1 msg=\"x y\""), 0);
	copy = cl;
	memset(&cl, 0xa5, sizeof(cl));
	HT_STREQ(cmdline_get(&copy, "a"), "1");
	HT_STREQ(cmdline_get(&copy, "msg"), "x y");
}

HT_TEST(u64_decimal_and_hex)
{
	uint64_t v = 0;

	parse("a=42 b=0x2A c=0XfF d=0 e=007 f=18446744073709551615 "
	      "g=0xffffffffffffffff h=0x0");
	HT_EQ(cmdline_get_u64(&cl, "a", 1, 0, UINT64_MAX, &v), 0);
	HT_EQ(v, 42);
	HT_EQ(cmdline_get_u64(&cl, "b", 1, 0, UINT64_MAX, &v), 0);
	HT_EQ(v, 42);
	HT_EQ(cmdline_get_u64(&cl, "c", 1, 0, UINT64_MAX, &v), 0);
	HT_EQ(v, 255);
	HT_EQ(cmdline_get_u64(&cl, "d", 1, 0, UINT64_MAX, &v), 0);
	HT_EQ(v, 0);
	HT_EQ(cmdline_get_u64(&cl, "e", 1, 0, UINT64_MAX, &v), 0);
	HT_EQ(v, 7); /* leading zeros are decimal, not octal */
	HT_EQ(cmdline_get_u64(&cl, "f", 1, 0, UINT64_MAX, &v), 0);
	HT_EQ(v, UINT64_MAX);
	HT_EQ(cmdline_get_u64(&cl, "g", 1, 0, UINT64_MAX, &v), 0);
	HT_EQ(v, UINT64_MAX);
	HT_EQ(cmdline_get_u64(&cl, "h", 1, 0, UINT64_MAX, &v), 0);
	HT_EQ(v, 0);
}

HT_TEST(u64_absent_gives_default)
{
	uint64_t v = 0;

	parse("other=5");
	HT_EQ(cmdline_get_u64(&cl, "port", 80, 1, 65535, &v), 0);
	HT_EQ(v, 80);
}

HT_TEST(u64_garbage_is_einval_and_keeps_default)
{
	static const char *const bad[] = {
		"port=abc", "port=12abc", "port=", "port", "port=0x",
		"port=-1",  "port=+1",    "port=1.5", "port=0x1g", "port=\" 1\"",
		"port=1_000", "port=0b101", "port=x10",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		HT_EQ(parse(bad[i]), 0);
		v = 12345;
		if (cmdline_get_u64(&cl, "port", 80, 0, UINT64_MAX, &v) !=
		    -EINVAL)
			ht_fail(__FILE__, __LINE__, "\"%s\" not -EINVAL", bad[i]);
		HT_EQ(v, 80);
	}
}

HT_TEST(u64_out_of_range_is_erange_and_keeps_default)
{
	uint64_t v;

	parse("lo=0 hi=65536 big=18446744073709551616 huge=0x10000000000000000 "
	      "hugebad=99999999999999999999999x min=1 max=65535");
	HT_EQ(cmdline_get_u64(&cl, "lo", 80, 1, 65535, &v), -ERANGE);
	HT_EQ(v, 80);
	HT_EQ(cmdline_get_u64(&cl, "hi", 80, 1, 65535, &v), -ERANGE);
	HT_EQ(v, 80);
	HT_EQ(cmdline_get_u64(&cl, "big", 80, 0, UINT64_MAX, &v), -ERANGE);
	HT_EQ(v, 80);
	HT_EQ(cmdline_get_u64(&cl, "huge", 80, 0, UINT64_MAX, &v), -ERANGE);
	HT_EQ(v, 80);
	/* Not a number at all beats too big. */
	HT_EQ(cmdline_get_u64(&cl, "hugebad", 80, 0, UINT64_MAX, &v), -EINVAL);
	HT_EQ(v, 80);
	/* The bounds themselves are inside. */
	HT_EQ(cmdline_get_u64(&cl, "min", 80, 1, 65535, &v), 0);
	HT_EQ(v, 1);
	HT_EQ(cmdline_get_u64(&cl, "max", 80, 1, 65535, &v), 0);
	HT_EQ(v, 65535);
}

HT_TEST(u64_uses_last_occurrence)
{
	uint64_t v;

	parse("port=abc port=81");
	HT_EQ(cmdline_get_u64(&cl, "port", 80, 1, 65535, &v), 0);
	HT_EQ(v, 81);
	parse("port=81 port=abc");
	HT_EQ(cmdline_get_u64(&cl, "port", 80, 1, 65535, &v), -EINVAL);
	HT_EQ(v, 80);
}

HT_TEST(bool_values)
{
	parse("a b=1 c=yes d=ON e=True f=y g=0 h=no i=off j=FALSE k=n l=maybe "
	      "m=2");
	HT_EQ(cmdline_get_bool(&cl, "a", false), true);
	HT_EQ(cmdline_get_bool(&cl, "b", false), true);
	HT_EQ(cmdline_get_bool(&cl, "c", false), true);
	HT_EQ(cmdline_get_bool(&cl, "d", false), true);
	HT_EQ(cmdline_get_bool(&cl, "e", false), true);
	HT_EQ(cmdline_get_bool(&cl, "f", false), true);
	HT_EQ(cmdline_get_bool(&cl, "g", true), false);
	HT_EQ(cmdline_get_bool(&cl, "h", true), false);
	HT_EQ(cmdline_get_bool(&cl, "i", true), false);
	HT_EQ(cmdline_get_bool(&cl, "j", true), false);
	HT_EQ(cmdline_get_bool(&cl, "k", true), false);
	/* Unrecognized and absent values fall back to the default. */
	HT_EQ(cmdline_get_bool(&cl, "l", true), true);
	HT_EQ(cmdline_get_bool(&cl, "l", false), false);
	HT_EQ(cmdline_get_bool(&cl, "m", false), false);
	HT_EQ(cmdline_get_bool(&cl, "zz", true), true);
	HT_EQ(cmdline_get_bool(&cl, "zz", false), false);
}

/* One malformed word between two good ones: reported, skipped, rest kept. */
static void check_malformed(const char *word, const char *expect)
{
	char line[512];

	snprintf(line, sizeof(line), "a=1 %s b=2", word);
	if (parse(line) != 1 || w.n != 1)
		ht_fail(__FILE__, __LINE__, "%s: %d warnings", word, w.n);
	if (strcmp(w.msg[0], expect) != 0)
		ht_fail(__FILE__, __LINE__, "%s: got '%s', want '%s'", word,
			w.msg[0], expect);
	HT_EQ(cl.n, 2);
	HT_STREQ(cmdline_get(&cl, "a"), "1");
	HT_STREQ(cmdline_get(&cl, "b"), "2");
}

HT_TEST(malformed_empty_key)
{
	check_malformed("=5", "cmdline: malformed word \"=5\": empty key");
	check_malformed("=", "cmdline: malformed word \"=\": empty key");
	check_malformed("==", "cmdline: malformed word \"==\": empty key");
}

HT_TEST(malformed_bad_key_characters)
{
	const char *why = "\": key may hold only a-z 0-9 _ . -";
	static const char *const bad[] = {
		"Port=1", "a/b=1", "\"msg=a b\"", "k\xc3\xa9=1", "a:b",
		"A",      "key!",  "x\"y\"",      "a,b=2",        "\"q\"=1",
	};
	char expect[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(expect, sizeof(expect), "cmdline: malformed word \"%s%s",
			 bad[i], why);
		check_malformed(bad[i], expect);
	}
}

HT_TEST(malformed_key_too_long)
{
	char word[64], expect[256];

	memset(word, 'k', 32);
	strcpy(word + 32, "=1");
	snprintf(expect, sizeof(expect),
		 "cmdline: malformed word \"%s\": key longer than 31 characters",
		 word);
	check_malformed(word, expect);

	/* 31 characters is fine. */
	memset(word, 'k', 31);
	strcpy(word + 31, "=9");
	HT_EQ(parse(word), 0);
	word[31] = '\0';
	HT_STREQ(cmdline_get(&cl, word), "9");
}

HT_TEST(malformed_quotes)
{
	check_malformed("a=x\"y z\"",
			"cmdline: malformed word \"a=x\"y z\"\": quotes must "
			"wrap the whole value");
	check_malformed("a=\"x\"y",
			"cmdline: malformed word \"a=\"x\"y\": quotes must wrap "
			"the whole value");
	check_malformed("a=\"x\"\"y\"",
			"cmdline: malformed word \"a=\"x\"\"y\"\": quotes must "
			"wrap the whole value");
}

HT_TEST(unterminated_quote_swallows_the_rest)
{
	HT_EQ(parse("a=1 msg=\"a b c=3"), 1);
	HT_EQ(w.n, 1);
	HT_STREQ(w.msg[0],
		 "cmdline: malformed word \"msg=\"a b c=3\": unterminated quote");
	HT_EQ(cl.n, 1);
	HT_STREQ(cmdline_get(&cl, "a"), "1");
	HT_STREQ(cmdline_get(&cl, "c"), NULL);

	HT_EQ(parse("\""), 1);
	HT_EQ(cl.n, 0);
}

HT_TEST(many_problems_all_reported)
{
	HT_EQ(parse("=1 ok=1 Bad=2 =\"x y\" good also=\"fine\" c=\"d"), 4);
	HT_EQ(w.n, 4);
	HT_STREQ(w.msg[0], "cmdline: malformed word \"=1\": empty key");
	HT_STREQ(w.msg[2], "cmdline: malformed word \"=\"x y\"\": empty key");
	HT_EQ(cl.n, 3);
	HT_STREQ(cmdline_get(&cl, "ok"), "1");
	HT_STREQ(cmdline_get(&cl, "good"), "");
	HT_STREQ(cmdline_get(&cl, "also"), "fine");
}

HT_TEST(too_many_words)
{
	char line[1024];
	size_t len = 0;
	int i;

	for (i = 0; i < 70; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "k%d=%d ",
					i, i);
	HT_EQ(parse(line), 6);
	HT_EQ(w.n, 6);
	HT_STREQ(w.msg[0],
		 "cmdline: word \"k64=64\" ignored: more than 64 words");
	HT_STREQ(w.msg[5],
		 "cmdline: word \"k69=69\" ignored: more than 64 words");
	HT_EQ(cl.n, 64);
	HT_STREQ(cmdline_get(&cl, "k0"), "0");
	HT_STREQ(cmdline_get(&cl, "k63"), "63");
	HT_STREQ(cmdline_get(&cl, "k64"), NULL);
}

HT_TEST(malformed_words_do_not_use_slots)
{
	char line[1024];
	size_t len = 0;
	int i;

	for (i = 0; i < 10; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "=%d ", i);
	for (i = 0; i < 64; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "k%d ", i);
	HT_EQ(parse(line), 10);
	HT_EQ(cl.n, 64);
}

HT_TEST(exactly_max_length_is_not_truncated)
{
	static char line[CMDLINE_MAX_LEN + 1];

	memset(line, ' ', CMDLINE_MAX_LEN);
	memcpy(line + CMDLINE_MAX_LEN - 6, "last=1", 6);
	line[CMDLINE_MAX_LEN] = '\0';
	HT_EQ(parse(line), 0);
	HT_STREQ(cmdline_get(&cl, "last"), "1");
}

HT_TEST(long_line_is_truncated_and_cut_word_dropped)
{
	static char line[3000];

	memset(line, ' ', sizeof(line));
	memcpy(line, "first=1", 7);
	/* "port=8080" straddles the limit: only "port=80" would fit. */
	memcpy(line + CMDLINE_MAX_LEN - 7, "port=8080", 9);
	memcpy(line + 2500, "after=1", 7);
	line[sizeof(line) - 1] = '\0';
	HT_EQ(parse(line), 2);
	HT_EQ(w.n, 2);
	HT_STREQ(w.msg[0], "cmdline: line longer than 2048 bytes, truncated");
	HT_STREQ(w.msg[1], "cmdline: malformed word \"port=80\": cut off at the "
			   "2048-byte limit");
	HT_STREQ(cmdline_get(&cl, "first"), "1");
	HT_STREQ(cmdline_get(&cl, "port"), NULL);
	HT_STREQ(cmdline_get(&cl, "after"), NULL);
}

HT_TEST(truncation_at_a_word_boundary_keeps_the_word)
{
	static char line[3000];

	memset(line, ' ', sizeof(line));
	memcpy(line + CMDLINE_MAX_LEN - 6, "last=1", 6); /* space follows */
	memcpy(line + 2500, "after=1", 7);
	line[sizeof(line) - 1] = '\0';
	HT_EQ(parse(line), 1);
	HT_STREQ(cmdline_get(&cl, "last"), "1");
	HT_STREQ(cmdline_get(&cl, "after"), NULL);
}

HT_TEST(truncation_inside_quotes_drops_the_word)
{
	static char line[3000];

	memset(line, 'x', sizeof(line));
	memcpy(line, "a=1 msg=\"", 9);
	line[2900] = '"';
	line[sizeof(line) - 1] = '\0';
	HT_EQ(parse(line), 2);
	HT_CHECK(strstr(w.msg[1], "cut off at the 2048-byte limit") != NULL);
	/* The quoted word is shortened in the message. */
	HT_CHECK(strstr(w.msg[1], "...\"") != NULL);
	HT_CHECK(strlen(w.msg[1]) < 200);
	HT_EQ(cl.n, 1);
	HT_STREQ(cmdline_get(&cl, "msg"), NULL);
}

HT_TEST(null_warn_still_counts)
{
	HT_EQ(cmdline_parse(&cl, "=1 a=1 B=2 c=\"x", NULL, NULL), 3);
	HT_EQ(cl.n, 1);
	HT_EQ(cmdline_check_known(&cl, NULL, 0, NULL, NULL), 1);
}

static const struct cmdline_key known[] = {
	{ "console", "serial console" },
	{ "port", "listen port" },
	{ "quiet", "less logging" },
	{ "msg", "banner" },
};

HT_TEST(unknown_words_reported)
{
	parse("console=ttyS0 foo=bar port=80 quiet msg=\"a b\" verbose "
	      "other=\"x y\" portx=1");
	HT_EQ(w.n, 0);
	HT_EQ(cmdline_check_known(&cl, known, 4, collect, &w), 4);
	HT_EQ(w.n, 4);
	HT_STREQ(w.msg[0], "cmdline: unknown word \"foo=bar\" ignored");
	HT_STREQ(w.msg[1], "cmdline: unknown word \"verbose\" ignored");
	HT_STREQ(w.msg[2], "cmdline: unknown word \"other=\"x y\"\" ignored");
	HT_STREQ(w.msg[3], "cmdline: unknown word \"portx=1\" ignored");
}

HT_TEST(all_known_reports_nothing)
{
	parse("console=ttyS0 port=80 quiet msg=\"a b\" port=81");
	HT_EQ(cmdline_check_known(&cl, known, 4, collect, &w), 0);
	HT_EQ(w.n, 0);
	HT_EQ(cmdline_check_known(&cl, known, 0, collect, &w), 5);
}

CMDLINE_KEY(test_key_alpha, "test.alpha", "first test key");
CMDLINE_KEY(test_key_beta, "test.beta", "second test key");

HT_TEST(cmdline_key_lands_in_the_section)
{
	const struct cmdline_key *k;
	size_t n = (size_t)(__stop_cmdline_keys - __start_cmdline_keys);
	int seen = 0;

	HT_EQ(n, 2);
	for (k = __start_cmdline_keys; k < __stop_cmdline_keys; k++)
		if (strcmp(k->name, "test.alpha") == 0 ||
		    strcmp(k->name, "test.beta") == 0)
			seen++;
	HT_EQ(seen, 2);
	parse("test.alpha=1 test.beta test.gamma=3");
	HT_EQ(cmdline_check_known(&cl, __start_cmdline_keys, n, collect, &w), 1);
	HT_STREQ(w.msg[0], "cmdline: unknown word \"test.gamma=3\" ignored");
}

/* Every parsed key is valid, and every problem is reported exactly once. */
HT_TEST(random_garbage_never_breaks_it)
{
	static const char alphabet[] = "ab=\"  \tZ9._-=\"x\xff";
	static char line[CMDLINE_MAX_LEN + 200];
	unsigned seed = 12345;
	int round;
	size_t i, j;

	for (round = 0; round < 3000; round++) {
		size_t len = (size_t)rand_r(&seed) % (round % 10 ? 64 : sizeof(line));
		for (i = 0; i < len; i++)
			line[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		line[len] = '\0';
		int problems = parse(line);
		HT_EQ(problems, w.n);
		HT_CHECK(cl.n <= CMDLINE_MAX_WORDS);
		for (i = 0; i < cl.n; i++) {
			const char *key = cl.store + cl.w[i].key;
			size_t klen = strlen(key);
			HT_CHECK(klen >= 1 && klen <= CMDLINE_MAX_KEY);
			for (j = 0; j < klen; j++)
				HT_CHECK(strchr("abcdefghijklmnopqrstuvwxyz0123456789_.-",
						key[j]) != NULL);
			HT_CHECK(cmdline_get(&cl, key) != NULL);
			HT_CHECK(strchr(cl.store + cl.w[i].value, '"') == NULL);
		}
	}
}
