/* kernel/arch/switch.S — the task context switch (see ctx.h). */
	.text
	.globl	ctx_switch
/* void ctx_switch(uint64_t *save_rsp (%rdi), uint64_t next_rsp (%rsi)) */
ctx_switch:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, (%rdi)
	mov	%rsi, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret

/* First resumption of a new context: fn in %r12, arg in %r13. The
   zero return address ends backtraces here. */
	.globl	ctx_start
ctx_start:
	mov	%r13, %rdi
	xor	%ebp, %ebp
	push	$0
	jmp	*%r12
