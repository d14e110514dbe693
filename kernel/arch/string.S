/*
 * kernel/arch/string.S — memcpy and memset for the whole image (they take
 * the place of newlib's, which the linker then leaves out of libc.a).
 *
 * Why not newlib's: its x86-64 memcpy copies a tail of up to 127 bytes
 * (and a head up to the next 8-byte boundary) with `rep movsb`, one
 * iteration per byte, and copies 256 bytes and more with non-temporal
 * stores, which push the destination out of the cache although the
 * network stack reads it right after. The request path copies a few
 * kilobytes per request in about twenty calls, mostly 20-900 bytes.
 *
 * Here: up to 32 bytes in straight-line loads and stores, the last ones
 * overlapping the first (no loop, no byte tail); above that `rep movsq`
 * (`rep stosq`) for the whole words and one overlapping 8-byte move for
 * the end. Every load of memcpy's overlapping parts happens before its
 * stores, as the buffers of a memcpy do not overlap; memmove stays
 * newlib's. The direction flag is clear, as the ABI says.
 *
 * Counting: under QEMU's TCG each iteration of a rep-prefixed instruction
 * is one executed instruction for the instruction-count plugin, so a byte
 * tail of `rep movsb` costs one instruction a byte there; the same code
 * is also what a KVM guest's CPU runs fast (no per-byte loop).
 *
 * tests/host/test_string.c checks every length up to 300 at every
 * alignment against a byte loop, through tests/host/string_host.S, which
 * renames the two functions.
 */
	.text

/* void *memcpy(void *dst (%rdi), const void *src (%rsi), size_t n (%rdx)) */
	.globl	memcpy
	.type	memcpy, @function
memcpy:
	mov	%rdi, %rax
	cmp	$16, %rdx
	jb	.Lcpy_small
	cmp	$32, %rdx
	ja	.Lcpy_big
	/* 16..32: the first 16 bytes and the last 16 */
	mov	(%rsi), %rcx
	mov	8(%rsi), %r8
	mov	-16(%rsi,%rdx), %r9
	mov	-8(%rsi,%rdx), %r10
	mov	%rcx, (%rdi)
	mov	%r8, 8(%rdi)
	mov	%r9, -16(%rdi,%rdx)
	mov	%r10, -8(%rdi,%rdx)
	ret
.Lcpy_big:
	/* whole words, then the last 8 bytes (loaded first) */
	mov	-8(%rsi,%rdx), %r8
	lea	-8(%rdi,%rdx), %r9
	mov	%rdx, %rcx
	shr	$3, %rcx
	rep movsq
	mov	%r8, (%r9)
	ret
.Lcpy_small:
	cmp	$8, %rdx
	jb	1f
	/* 8..15 */
	mov	(%rsi), %rcx
	mov	-8(%rsi,%rdx), %r8
	mov	%rcx, (%rdi)
	mov	%r8, -8(%rdi,%rdx)
	ret
1:	cmp	$4, %rdx
	jb	2f
	/* 4..7 */
	mov	(%rsi), %ecx
	mov	-4(%rsi,%rdx), %r8d
	mov	%ecx, (%rdi)
	mov	%r8d, -4(%rdi,%rdx)
	ret
2:	test	%rdx, %rdx
	je	3f
	/* 1..3: bytes 0, n/2 and n-1 */
	mov	%rdx, %r9
	shr	%r9
	movzbl	(%rsi), %ecx
	movzbl	(%rsi,%r9), %r8d
	movzbl	-1(%rsi,%rdx), %r10d
	mov	%cl, (%rdi)
	mov	%r8b, (%rdi,%r9)
	mov	%r10b, -1(%rdi,%rdx)
3:	ret
	.size	memcpy, . - memcpy

/* void *memset(void *dst (%rdi), int c (%esi), size_t n (%rdx)) */
	.globl	memset
	.type	memset, @function
memset:
	mov	%rdi, %r11
	movzbl	%sil, %eax
	movabs	$0x0101010101010101, %rcx
	imul	%rcx, %rax
	cmp	$16, %rdx
	jb	.Lset_small
	cmp	$32, %rdx
	ja	.Lset_big
	/* 16..32 */
	mov	%rax, (%rdi)
	mov	%rax, 8(%rdi)
	mov	%rax, -16(%rdi,%rdx)
	mov	%rax, -8(%rdi,%rdx)
	mov	%r11, %rax
	ret
.Lset_big:
	mov	%rax, -8(%rdi,%rdx)
	mov	%rdx, %rcx
	shr	$3, %rcx
	rep stosq
	mov	%r11, %rax
	ret
.Lset_small:
	cmp	$8, %rdx
	jb	1f
	mov	%rax, (%rdi)
	mov	%rax, -8(%rdi,%rdx)
	mov	%r11, %rax
	ret
1:	cmp	$4, %rdx
	jb	2f
	mov	%eax, (%rdi)
	mov	%eax, -4(%rdi,%rdx)
	mov	%r11, %rax
	ret
2:	test	%rdx, %rdx
	je	3f
	mov	%rdx, %rcx
	shr	%rcx
	mov	%al, (%rdi)
	mov	%al, (%rdi,%rcx)
	mov	%al, -1(%rdi,%rdx)
3:	mov	%r11, %rax
	ret
	.size	memset, . - memset

	.section .note.GNU-stack, "", @progbits
