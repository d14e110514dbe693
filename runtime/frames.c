/*
 * runtime/frames.c — stacks as lists of addresses: the frame-pointer walk
 * that /debug/tasks (inspect.c) and the profile (profile.c) share, and
 * the symbol lookup behind rt_symbol.
 *
 * Every layer is built with -fno-omit-frame-pointer, so from a (pc, rbp)
 * pair the frames are a chain: [rbp] the caller's rbp, [rbp + 8] the
 * return address. The walk stops at a zero return address, at a link
 * that does not go up the stack, or when the next frame leaves the range
 * the caller vouches for: [lo, hi) when it knows the stack (a task's
 * mapped pages), else each frame is checked with vm_readable (a CPU's
 * own kernel stack). It never reads outside them, so a torn or junk rbp
 * ends the list instead of faulting.
 */
#include "kernel/ksym.h"
#include "kernel/vm.h"
#include "runtime/debug.h"
#include "runtime/sched.h"

unsigned rt_frames(uint64_t pc, uint64_t rbp, uint64_t lo, uint64_t hi,
		   uint64_t *out, unsigned max)
{
	unsigned n = 0;
	if (max == 0)
		return 0;
	out[n++] = pc;
	while (n < max && rbp && !(rbp & 7)) {
		if (hi ? (rbp < lo || rbp > hi - 16) : !vm_readable(rbp, 16))
			break;
		const uint64_t *f = (const uint64_t *)rbp;
		uint64_t ret = f[1], next = f[0];
		if (!ret)
			break;
		out[n++] = ret;
		if (next <= rbp)
			break;
		rbp = next;
	}
	return n;
}

const char *rt_symbol(uint64_t pc, uint64_t *off)
{
	uint64_t o = 0;
	const char *name = ksym_lookup(pc, &o);
	if (off)
		*off = o;
	return name;
}
