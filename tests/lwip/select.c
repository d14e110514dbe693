/*
 * tests/lwip/select.c — which of lwIP's unit tests run with Weft's options.
 *
 * tests/lwip/excluded.txt lists what does not run, each with its reason:
 *   - a whole test file that cannot build with Weft's lwipopts.h (its
 *     #error names the option it needs). run.sh does not compile it, and
 *     lwIP's main() (test/unit/lwip_unittests.c), which adds every suite,
 *     gets that suite's getter from here instead: an empty suite of the
 *     same name, as lwIP's own api/test_sockets.c gives without sockets;
 *   - one test of a file that does build: run.sh passes these in
 *     WEFT_LWIP_SKIP ("dir/test_file.c:test_name ..."), and the test is
 *     never registered. check's _tcase_add_test is wrapped (the link has
 *     -Wl,--wrap=_tcase_add_test) so lwIP's create_suite stays as it is.
 *
 * And what runs besides: Weft's own suites of lwIP's code (SYNQ,
 * tests/lwip/synq.c) join lwIP's runner where main() creates it
 * (-Wl,--wrap=srunner_create), after lwIP's first suite; their results
 * come out with lwIP's (tests/lwip/run.sh: lwip.SUITE.TEST).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

typedef const TTest *testfunc;	/* lwip_check.h's, for check >= 0.13 */
Suite *create_suite(const char *name, testfunc *tests, size_t num_tests, SFun setup, SFun teardown);

void __real__tcase_add_test(TCase *tc, const TTest *ttest, int sig, int allowed_exit, int start, int end);

/* Is FILE:NAME a word of WEFT_LWIP_SKIP? FILE there is the test file's
   path under test/unit, the tail of the __FILE__ check recorded. */
static int skipped(const TTest *t)
{
	const char *list = getenv("WEFT_LWIP_SKIP");
	size_t flen = strlen(t->file), nlen = strlen(t->name);
	while (list && *list) {
		while (*list == ' ')
			list++;
		size_t len = strcspn(list, " ");
		const char *colon = memchr(list, ':', len);
		if (colon) {
			size_t fl = (size_t)(colon - list), nl = len - fl - 1;
			if (fl <= flen && memcmp(t->file + flen - fl, list, fl) == 0 &&
			    (fl == flen || t->file[flen - fl - 1] == '/') &&
			    nl == nlen && memcmp(colon + 1, t->name, nl) == 0)
				return 1;
		}
		list += len;
	}
	return 0;
}

void __wrap__tcase_add_test(TCase *tc, const TTest *ttest, int sig, int allowed_exit, int start, int end)
{
	if (!skipped(ttest))
		__real__tcase_add_test(tc, ttest, sig, allowed_exit, start, end);
}

Suite *weft_synq_suite(void);
SRunner *__real_srunner_create(Suite *s);

SRunner *__wrap_srunner_create(Suite *s)
{
	SRunner *sr = __real_srunner_create(s);
	srunner_add_suite(sr, weft_synq_suite());
	return sr;
}

/* The suites of the files excluded whole (weak: a file that is built
   brings its own). */
#define EMPTY_SUITE(getter, name) \
	__attribute__((weak)) Suite *getter(void) { return create_suite(name, NULL, 0, NULL, NULL); }
EMPTY_SUITE(ip4_suite, "IPv4")
EMPTY_SUITE(ip6_suite, "IPv6")
EMPTY_SUITE(udp_suite, "UDP")
EMPTY_SUITE(tcp_suite, "TCP")
EMPTY_SUITE(tcp_oos_suite, "TCP_OOS")
EMPTY_SUITE(def_suite, "DEF")
EMPTY_SUITE(mem_suite, "MEM")
EMPTY_SUITE(netif_suite, "NETIF")
EMPTY_SUITE(pbuf_suite, "PBUF")
EMPTY_SUITE(timers_suite, "TIMERS")
EMPTY_SUITE(etharp_suite, "ETHARP")
EMPTY_SUITE(dhcp_suite, "DHCP")
EMPTY_SUITE(mdns_suite, "MDNS")
EMPTY_SUITE(mqtt_suite, "MQTT")
EMPTY_SUITE(sockets_suite, "SOCKETS")
