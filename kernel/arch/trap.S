/*
 * kernel/arch/trap.S — interrupt and exception entry.
 *
 * Every vector has a stub that pushes an error code (a zero where the CPU
 * pushes none) and the vector number, then joins trap_common, which saves
 * the general registers into a struct trapframe (kernel/trap.h) and calls
 * trap_dispatch(tf). Weft runs only in ring 0, so there is no swapgs: %gs
 * always holds this CPU's struct cpu.
 *
 * Interrupts (vectors 32 and up) arrive on a per-CPU entry stack (IST 5)
 * and move to the interrupted stack here, in software. Task stacks are
 * demand paged: if the CPU itself pushed an interrupt frame across into an
 * unmapped page, the push would page-fault after the local APIC had
 * already marked the interrupt in service, the interrupt would never be
 * handled, and its vector class would stay blocked on that CPU for good.
 * A copy that faults here is an ordinary page fault: the handler maps the
 * page and the copy goes on. The frame ends up exactly where the CPU would
 * have put it (16-byte aligned below the interrupted %rsp), so a handler
 * may switch tasks from it as before. Exceptions stay on the interrupted
 * stack (or their own IST): a fault in their delivery is raised again
 * when the instruction is retried, so nothing is lost.
 */
	.text
	.globl	trap_common
trap_common:
	cld
	cmpq	$32, (%rsp)			/* vector */
	jb	2f
	push	%rax
	push	%rbx
	mov	16+40(%rsp), %rax		/* the interrupted %rsp */
	and	$-16, %rax
	sub	$72, %rax			/* rbx, rax, then the 7-word frame */
	mov	0(%rsp), %rbx;  mov %rbx, 0(%rax)
	mov	8(%rsp), %rbx;  mov %rbx, 8(%rax)
	mov	16(%rsp), %rbx; mov %rbx, 16(%rax)	/* vector */
	mov	24(%rsp), %rbx; mov %rbx, 24(%rax)	/* error */
	mov	32(%rsp), %rbx; mov %rbx, 32(%rax)	/* rip */
	mov	40(%rsp), %rbx; mov %rbx, 40(%rax)	/* cs */
	mov	48(%rsp), %rbx; mov %rbx, 48(%rax)	/* rflags */
	mov	56(%rsp), %rbx; mov %rbx, 56(%rax)	/* rsp */
	mov	64(%rsp), %rbx; mov %rbx, 64(%rax)	/* ss */
	mov	%rax, %rsp
	pop	%rbx
	pop	%rax
2:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	/* Make the backtrace walk from the interrupted frame. */
	mov	0x78+0x10(%rsp), %rax		/* tf->rip */
	push	%rax
	push	%rbp
	mov	%rsp, %rbp
	call	trap_dispatch
	add	$16, %rsp
	.globl	trap_return
trap_return:
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp			/* vector, error code */
	iretq


	.macro	stub v
	.balign	16
trap_stub_\v:
	.if	!(\v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21 || \v == 29 || \v == 30)
	push	$0
	.endif
	push	$\v
	jmp	trap_common
	.endm

	.altmacro
	.set	i, 0
	.rept	256
	stub	%i
	.set	i, i + 1
	.endr

	.macro	stubaddr v
	.quad	trap_stub_\v
	.endm

	.section .rodata
	.balign	8
	.globl	trap_stubs
trap_stubs:
	.set	i, 0
	.rept	256
	stubaddr %i
	.set	i, i + 1
	.endr
