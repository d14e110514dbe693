/*
 * kernel/tests.h — test=SPEC on the command line: the one door from the
 * boot into in-guest tests.
 *
 * Two images link two implementations (Makefile):
 *   build/weft-test  tests/guest/ktest.c: the runner, and every suite in
 *                    tests/guest/ (deliberate faults included);
 *   build/weft       kernel/notests.c: no tests at all. test=none passes
 *                    (the boot-path checks and the KVM probe boot the
 *                    shipped image with it); any other selection fails,
 *                    naming the test kernel.
 * So the shipped kernel carries no test code, and nothing but this one
 * call tells the boot whether tests are there.
 */
#ifndef KERNEL_TESTS_H
#define KERNEL_TESTS_H

/* Run the tests `spec` names: "all" (every test not marked to run only
   when named), "none", or a comma-separated list of suites, suite.name,
   or suite.* . Prints one line per test and then exactly
   "N passed, N failed". Returns the number failed. The first task, with
   interrupts on. */
int tests_run(const char *spec);

#endif
