/*
 * boot/entry.S — the two ways into Weft, and the switch to long mode.
 *
 * The same ELF file is entered
 *   - through the PVH entry (Xen ELF note PHYS32_ENTRY), which QEMU's
 *     -kernel uses on pc, q35 and microvm: 32-bit protected mode, paging
 *     off, %ebx = physical address of struct hvm_start_info;
 *   - through multiboot2 (GRUB, BIOS or UEFI): 32-bit protected mode,
 *     paging off, %eax = 0x36d76289, %ebx = physical address of the
 *     multiboot2 information.
 * Both paths meet in boot32, which builds a temporary identity map of the
 * first 4 GiB with 2 MiB pages, enables PAE, long mode, NX (when the CPU
 * has it) and SSE, and calls kmain(magic, info) on the boot stack.
 * The temporary tables stay alive: APs use them to reach long mode before
 * switching to the kernel's own W^X tables (see boot/ap.S).
 */
#include "boot/boot.h"

	.section .boot.header, "a"
	.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	0				/* architecture: i386 */
	.long	mb2_header_end - mb2_header
	.long	-(MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	.balign 8
	.word	3, 0				/* entry address tag */
	.long	12
	.long	mb2_entry
	.balign 8
	.word	0, 0				/* end tag */
	.long	8
mb2_header_end:

	/* PVH entry note. QEMU reads a pointer-sized address from an ELF64
	   note, so the descriptor is 8 bytes. */
	.section .note.Xen, "a", @note
	.balign 4
	.long	4, 8, 18			/* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz	"Xen"
	.balign 4
	.quad	pvh_entry

	.section .boot.text, "ax"
	.code32
	.globl	pvh_entry
pvh_entry:
	mov	$PVH_START_MAGIC, %edi
	mov	%ebx, %esi
	jmp	boot32

	.globl	mb2_entry
mb2_entry:
	mov	%eax, %edi
	mov	%ebx, %esi

boot32:
	cli
	cld
	/* Clear .bss (boot stack and page tables live there); neither
	   loader is required to, and %edi/%esi must survive. */
	mov	%edi, %ebp
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl
	mov	%ebp, %edi
	mov	$boot_stack_top, %esp

	/* Long mode is required. */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	no_long_mode
	mov	$0x80000001, %eax
	cpuid
	test	$(1 << 29), %edx
	jz	no_long_mode
	mov	%edx, boot_ext_features		/* bit 20: NX */

	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 page directories of 2 MiB pages. */
	mov	$boot_pdpt, %eax
	or	$0x3, %eax
	mov	%eax, boot_pml4
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$12, %eax
	add	$boot_pd, %eax
	or	$0x3, %eax
	mov	%eax, boot_pdpt(,%ecx,8)
	inc	%ecx
	cmp	$4, %ecx
	jne	1b
	xor	%ecx, %ecx			/* 2048 entries: 4 GiB */
2:	mov	%ecx, %eax
	shl	$21, %eax
	or	$0x83, %eax			/* present, writable, 2 MiB */
	mov	%eax, boot_pd(,%ecx,8)
	mov	%ecx, %eax
	shr	$11, %eax			/* high half of the address */
	mov	%eax, boot_pd+4(,%ecx,8)
	inc	%ecx
	cmp	$2048, %ecx
	jne	2b

	mov	$boot_pml4, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	mov	%eax, %cr4
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	testl	$(1 << 20), boot_ext_features
	jz	3f
	or	$EFER_NXE, %eax
3:	wrmsr
	mov	%cr0, %eax
	and	$~CR0_EM, %eax
	or	$(CR0_PG | CR0_WP | CR0_MP | CR0_NE | CR0_PE), %eax
	mov	%eax, %cr0
	lgdt	boot_gdt_ptr
	ljmp	$BOOT_CS, $boot64

no_long_mode:
	mov	$msg_no_lm, %esi
4:	lodsb
	test	%al, %al
	jz	5f
	mov	$0x3f8, %dx
	out	%al, %dx
	jmp	4b
5:	hlt
	jmp	5b

	.code64
boot64:
	mov	$BOOT_DS, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%eax, %eax
	mov	%ax, %fs
	mov	%ax, %gs
	mov	$boot_stack_top, %rsp
	mov	%edi, %edi			/* zero-extend: upper halves are undefined */
	mov	%esi, %esi
	xor	%ebp, %ebp			/* ends the backtrace */
	call	kmain
6:	cli
	hlt
	jmp	6b

	.section .rodata
msg_no_lm:
	.asciz	"weft: this CPU has no long mode (x86_64 required)\r\n"

	.balign 8
	.globl	boot_gdt
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff		/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff		/* 0x10: data */
boot_gdt_end:
	.globl	boot_gdt_ptr
boot_gdt_ptr:
	.word	boot_gdt_end - boot_gdt - 1
	.quad	boot_gdt

	.section .bss
	.balign 4096
	.globl	boot_pml4
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4 * 4096
	.globl	boot_stack
boot_stack:	.skip BOOT_STACK_SIZE
	.globl	boot_stack_top
boot_stack_top:
	.globl	boot_ext_features
boot_ext_features: .long 0
