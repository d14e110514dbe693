/*
 * boot/ap.S — application processor trampoline.
 *
 * The BSP copies [ap_tramp_start, ap_tramp_end) to AP_TRAMP_BASE, writes
 * the parameter block (CR3 of the boot identity map, stack, entry, argument,
 * EFER, kernel CR3) at AP_TRAMP_BASE + AP_PARAM_OFF, and sends
 * INIT-SIPI-SIPI with vector AP_TRAMP_BASE >> 12. The AP starts here in
 * real mode at 0x0800:0000, goes straight to long mode under the boot
 * identity map (PE and PG set together, which the SDM allows), jumps to
 * ap_start64 in kernel text, which switches to the kernel's own tables,
 * takes its stack and argument, says so by writing the argument to
 * AP_PARAM_TAKEN (x86 keeps the loads before that store, so the BSP may
 * reuse the block for the next AP as soon as it sees it) and calls
 * ap_entry(arg).
 * Addresses are computed relative to the copy, since this code never runs
 * where it was linked.
 */
#include "boot/boot.h"

#define T(sym)	((sym) - ap_tramp_start + AP_TRAMP_BASE)

	.section .rodata.ap, "a"
	.code16
	.globl	ap_tramp_start
ap_tramp_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	lgdtl	T(ap_gdt_ptr)
	mov	%cr4, %eax
	or	$(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	mov	%eax, %cr4
	mov	AP_TRAMP_BASE + AP_PARAM_CR3, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	mov	AP_TRAMP_BASE + AP_PARAM_EFER, %eax
	xor	%edx, %edx
	wrmsr
	mov	%cr0, %eax
	and	$~CR0_EM, %eax
	or	$(CR0_PG | CR0_WP | CR0_MP | CR0_NE | CR0_PE), %eax
	mov	%eax, %cr0
	ljmpl	$BOOT_CS, $T(ap_long)

	.code64
ap_long:
	mov	$BOOT_DS, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%eax, %eax
	mov	%ax, %fs
	mov	%ax, %gs
	movabs	$ap_start64, %rax		/* into kernel text, no stack yet */
	jmp	*%rax

	.balign 8
ap_gdt:
	.quad	0
	.quad	0x00af9a000000ffff		/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff		/* 0x10: data */
ap_gdt_end:
ap_gdt_ptr:
	.word	ap_gdt_end - ap_gdt - 1
	.long	T(ap_gdt)
	.globl	ap_tramp_end
ap_tramp_end:

/* In kernel text, mapped at the same address by the boot tables and the
   kernel's: switch to the kernel's W^X tables, then take the stack. */
	.text
ap_start64:
	mov	AP_TRAMP_BASE + AP_PARAM_KCR3, %rax
	mov	%rax, %cr3
	mov	AP_TRAMP_BASE + AP_PARAM_STACK, %rsp
	mov	AP_TRAMP_BASE + AP_PARAM_ARG, %rdi
	mov	%rdi, AP_TRAMP_BASE + AP_PARAM_TAKEN
	xor	%ebp, %ebp
	call	ap_entry
1:	cli
	hlt
	jmp	1b
