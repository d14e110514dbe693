/* boot/boot.h — constants shared by the boot assembly and the kernel. */
#ifndef BOOT_BOOT_H
#define BOOT_BOOT_H

#define KERNEL_PHYS_BASE	0x100000
#define MB2_HEADER_MAGIC	0xe85250d6
#define MB2_BOOT_MAGIC		0x36d76289
#define PVH_START_MAGIC		0x336ec578
#define BOOT_STACK_SIZE		(16 * 1024)

#define BOOT_CS			0x08
#define BOOT_DS			0x10

/* The AP trampoline runs from this page (below 1 MiB, SIPI vector 8). */
#define AP_TRAMP_BASE		0x8000
/* Parameters the BSP leaves for an AP, at fixed offsets in that page. */
#define AP_PARAM_OFF		0xf00
#define AP_PARAM_CR3		(AP_PARAM_OFF + 0)
#define AP_PARAM_STACK		(AP_PARAM_OFF + 8)
#define AP_PARAM_KCR3		(AP_PARAM_OFF + 16)
#define AP_PARAM_ARG		(AP_PARAM_OFF + 24)
#define AP_PARAM_EFER		(AP_PARAM_OFF + 32)
/* The AP writes its ARG here once it has read its parameters: the BSP may
   then fill them in for the next AP while this one carries on. */
#define AP_PARAM_TAKEN		(AP_PARAM_OFF + 40)

#define CR0_PE			(1 << 0)
#define CR0_MP			(1 << 1)
#define CR0_EM			(1 << 2)
#define CR0_NE			(1 << 5)
#define CR0_WP			(1 << 16)
#define CR0_PG			(1 << 31)
#define CR4_PAE			(1 << 5)
#define CR4_OSFXSR		(1 << 9)
#define CR4_OSXMMEXCPT		(1 << 10)
#define MSR_EFER		0xc0000080
#define EFER_LME		(1 << 8)
#define EFER_NXE		(1 << 11)

#endif
