/*
 * apps/httpd/folded.h — a CPU profile's samples aggregated into folded
 * stacks (Brendan Gregg's format, what flamegraph.pl and speedscope
 * read): one line per distinct stack, "root;caller;leaf COUNT".
 *
 *	struct fold f;  fold_init(&f);
 *	fold_add(&f, pc, n, 1);                 per sample, pc[0] the leaf
 *	fold_lines(&f, sym, arg, &lines, &n);   symbolized, sorted, merged
 *	fold_lines_free(lines, n);  fold_free(&f);
 *
 * Samples are kept by address (a hash of distinct address stacks), so a
 * long profile costs memory by the stacks it saw, not by its samples;
 * fold_lines names the addresses and merges the stacks that name the
 * same functions. Pure C, host-tested (tests/host/test_folded.c).
 */
#ifndef APPS_HTTPD_FOLDED_H
#define APPS_HTTPD_FOLDED_H

#include <stddef.h>
#include <stdint.h>

#define FOLD_MAX_FRAMES 32

struct fold_ent;
struct fold {
	struct fold_ent *t;		/* open addressing, cap a power of 2 */
	size_t cap, n;
	uint64_t samples;		/* every count added */
};

struct fold_line {
	char *text;			/* "root;...;leaf", NUL-terminated */
	uint64_t count;
};

/* A symbolizer: the name of the function holding addr, or NULL. */
typedef const char *(*fold_sym_fn)(void *arg, uint64_t addr);

/* 0, or -ENOMEM. */
int fold_init(struct fold *f);
/* Add count samples of the stack pc[0..n) (pc[0] where the CPU was, then
   return addresses; frames past FOLD_MAX_FRAMES are cut). 0, -EINVAL
   for n == 0, or -ENOMEM (the sample is lost, the rest stays). */
int fold_add(struct fold *f, const uint64_t *pc, unsigned n, uint64_t count);
void fold_free(struct fold *f);
/* fn(arg, pc, n, count) for each distinct address stack, in no order;
   stops at fn's first negative return and gives it back; else 0. */
int fold_each(const struct fold *f,
	      int (*fn)(void *arg, const uint64_t *pc, unsigned n, uint64_t count),
	      void *arg);

/* The folded lines: each stack named root first (pc[0] looked up as it
   is, a return address as addr - 1, which is inside the call; an
   address sym cannot name as 0x...), sorted by text, equal texts merged.
   *out is NULL when there are none. 0 or -ENOMEM. */
int fold_lines(const struct fold *f, fold_sym_fn sym, void *arg,
	       struct fold_line **out, size_t *n);
void fold_lines_free(struct fold_line *l, size_t n);

#endif
