/* kernel/arch/ctx.c — building a new context's first frame. */
#include "kernel/arch/ctx.h"

void ctx_start(void);

uint64_t ctx_init(uint64_t top, void (*fn)(void *), void *arg)
{
	uint64_t *sp = (uint64_t *)top;
	/* ctx_switch's ret pops ctx_start, leaving %rsp = top; ctx_start
	   pushes a zero return address, so fn starts with %rsp = top - 8,
	   the ABI's alignment at a function's entry. */
	*--sp = (uint64_t)ctx_start;		/* ret target */
	*--sp = 0;				/* rbp */
	*--sp = 0;				/* rbx */
	*--sp = (uint64_t)fn;			/* r12 */
	*--sp = (uint64_t)arg;			/* r13 */
	*--sp = 0;				/* r14 */
	*--sp = 0;				/* r15 */
	return (uint64_t)sp;
}
