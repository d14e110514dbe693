/*
 * kernel/arch/trap.S — interrupt and exception entry.
 *
 * Every vector has a stub that pushes an error code (a zero where the CPU
 * pushes none) and the vector number, then joins trap_common, which saves
 * the general registers into a struct trapframe (kernel/trap.h) and calls
 * trap_dispatch(tf). Weft runs only in ring 0, so there is no swapgs: %gs
 * always holds this CPU's struct cpu.
 */
	.text
	.globl	trap_common
trap_common:
	cld
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
