/* kernel/bootinfo.c — PVH start_info and multiboot2 information. */
#include <stdbool.h>
#include <string.h>
#include "kernel/bootinfo.h"
#include "kernel/panic.h"
#include "boot/boot.h"

struct bootinfo bootinfo;

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_mmap {
	uint32_t type, size, entry_size, entry_version;
	struct { uint64_t base, len; uint32_t type, reserved; } e[];
};

static void copy_cmdline(const char *s)
{
	if (s)
		strncpy(bootinfo.cmdline, s, sizeof bootinfo.cmdline - 1);
}

static void add(uint64_t base, uint64_t len, uint32_t type)
{
	if (memmap_add(&bootinfo.mm, base, len, type) < 0)
		panic("bootinfo: more than %d memory map entries", MEMMAP_MAX);
}

static void parse_pvh(const struct hvm_start_info *si)
{
	bootinfo.protocol = "pvh";
	if (si->cmdline_paddr)
		copy_cmdline((const char *)si->cmdline_paddr);
	bootinfo.rsdp = si->rsdp_paddr;
	if (si->version < 1 || !si->memmap_paddr)
		panic("bootinfo: PVH start_info version %u has no memory map", si->version);
	const struct hvm_memmap_entry *e = (const void *)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		add(e[i].addr, e[i].size, e[i].type);
}

static void parse_mb2(uint64_t info)
{
	bootinfo.protocol = "multiboot2";
	uint32_t total = *(const uint32_t *)info;
	bool have_mmap = false;
	for (uint64_t p = info + 8; p + 8 <= info + total;) {
		const struct mb2_tag *t = (const void *)p;
		if (t->type == 0)
			break;
		if (t->type == 1)
			copy_cmdline((const char *)(t + 1));
		else if (t->type == 2)
			bootinfo.loader = "GRUB";
		else if (t->type == 6) {
			const struct mb2_mmap *m = (const void *)t;
			size_t n = (m->size - 16) / m->entry_size;
			for (size_t i = 0; i < n; i++) {
				const uint8_t *ent = (const uint8_t *)m->e + i * m->entry_size;
				uint64_t base, len;
				uint32_t type;
				memcpy(&base, ent, 8);
				memcpy(&len, ent + 8, 8);
				memcpy(&type, ent + 16, 4);
				add(base, len, type);
			}
			have_mmap = true;
		} else if ((t->type == 14 || t->type == 15) && !bootinfo.rsdp) {
			size_t n = t->size - 8;
			if (n > sizeof bootinfo.rsdp_copy)
				n = sizeof bootinfo.rsdp_copy;
			memcpy(bootinfo.rsdp_copy, t + 1, n);
			bootinfo.rsdp = (uint64_t)bootinfo.rsdp_copy;
		}
		p += (t->size + 7) & ~7u;
	}
	if (!have_mmap)
		panic("bootinfo: multiboot2 information has no memory map");
}

void bootinfo_parse(uint32_t magic, uint64_t info)
{
	memmap_init(&bootinfo.mm);
	if (magic == PVH_START_MAGIC && ((const struct hvm_start_info *)info)->magic == PVH_START_MAGIC)
		parse_pvh((const void *)info);
	else if (magic == MB2_BOOT_MAGIC)
		parse_mb2(info);
	else
		panic("bootinfo: unknown boot protocol (magic %#x)", magic);
	memmap_clean(&bootinfo.mm);
	bootinfo.ebda = (uint64_t)*(volatile const uint16_t *)0x40e << 4;
}
