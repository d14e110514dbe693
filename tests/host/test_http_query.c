// host-test-sources: net/http/query.c net/http/parse.c
/*
 * Host unit tests for net/http/query.c: http_query_get, one parameter of
 * a raw query as Go's url.Values.Get gives it (first match, form-decoded
 * keys and values, "flag" without '=' empty), and the errors it owes:
 * absent, a malformed escape in the match, a value too long for out.
 */
#include <errno.h>
#include <string.h>

#include "net/http/http.h"
#include "tests/host/hosttest.h"

static char out[32];

static long get(const char *q, const char *name)
{
	memset(out, 'X', sizeof out);
	struct http_str s = { q, strlen(q) };
	return http_query_get(s, name, out, sizeof out);
}

HT_TEST(finds_the_first_match)
{
	HT_EQ(get("a=1&b=22&a=3", "a"), 1);
	HT_STREQ(out, "1");
	HT_EQ(get("a=1&b=22&a=3", "b"), 2);
	HT_STREQ(out, "22");
	HT_EQ(get("seconds=5&format=svg", "format"), 3);
	HT_STREQ(out, "svg");
}

HT_TEST(keys_are_whole_and_exact)
{
	HT_EQ(get("ab=1&a=2", "a"), 1);
	HT_STREQ(out, "2");
	HT_EQ(get("ab=1", "a"), -ENOENT);
	HT_EQ(get("a=1", "ab"), -ENOENT);
	HT_EQ(get("A=1", "a"), -ENOENT);
	HT_EQ(get("", "a"), -ENOENT);
	HT_EQ(get("=1", "a"), -ENOENT);
}

HT_TEST(form_decodes_keys_and_values)
{
	HT_EQ(get("a%62=x+y%2Bz", "ab"), 5);
	HT_STREQ(out, "x y+z");
	HT_EQ(get("p=%e2%82%ac", "p"), 3);
	HT_STREQ(out, "\xe2\x82\xac");
	HT_EQ(get("p=a%00b", "p"), 3);
	HT_CHECK(memcmp(out, "a\0b", 4) == 0);
	HT_EQ(get("p=a=b", "p"), 3);
	HT_STREQ(out, "a=b");
}

HT_TEST(empty_values_and_flags)
{
	HT_EQ(get("debug&x=1", "debug"), 0);
	HT_STREQ(out, "");
	HT_EQ(get("x=1&debug=", "debug"), 0);
	HT_STREQ(out, "");
	HT_EQ(get("&&x=1&&", "x"), 1);
	HT_STREQ(out, "1");
}

HT_TEST(errors_are_errors_not_short_answers)
{
	HT_EQ(get("p=%zz", "p"), -EINVAL);
	HT_EQ(get("p=%4", "p"), -EINVAL);
	HT_EQ(get("p=abc%", "p"), -EINVAL);
	/* A bad part with another key is skipped, as Go skips it. */
	HT_EQ(get("q=%zz&p=1", "p"), 1);
	HT_EQ(get("%zz=1&p=2", "p"), 1);
	HT_STREQ(out, "2");
	/* 31 bytes fit out[32] with the NUL; 32 do not. */
	HT_EQ(get("p=0123456789012345678901234567890", "p"), 31);
	HT_EQ(get("p=01234567890123456789012345678901", "p"), -ENOSPC);
	HT_EQ(get("p=1", "a_name_of_sixty_four_bytes_is_refused_as_too_long_for_a_key_xyzw"), -EINVAL);
}
