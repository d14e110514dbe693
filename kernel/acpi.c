/*
 * kernel/acpi.c — finding and reading ACPI tables.
 *
 * The RSDP comes from the loader (multiboot2 hands a copy, PVH may give an
 * address) or from a scan of the EBDA and the BIOS area. Tables are read
 * through the identity map; a table outside mapped memory is mapped
 * uncached first. Nothing here trusts a table whose checksum is wrong.
 */
#include <string.h>
#include "kernel/acpi.h"
#include "kernel/bootinfo.h"
#include "kernel/console.h"
#include "kernel/vm.h"
#include "kernel/arch/x86.h"

struct acpi_info acpi = { .sleep_ctl_space = 0xff };

struct sdt {
	char sig[4];
	uint32_t len;
	uint8_t rev, csum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct rsdp {
	char sig[8];
	uint8_t csum;
	char oem[6];
	uint8_t rev;
	uint32_t rsdt;
	uint32_t len;
	uint64_t xsdt;
	uint8_t xcsum, reserved[3];
} __attribute__((packed));

static const struct sdt *rsdt;		/* RSDT or XSDT */
static bool xsdt;

static bool csum_ok(const void *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += ((const uint8_t *)p)[i];
	return s == 0;
}

static const void *map(uint64_t pa, size_t len)
{
	if (!vm_readable(pa, len))
		vm_map_mmio(pa, len);
	return (const void *)pa;
}

static const struct sdt *map_sdt(uint64_t pa)
{
	const struct sdt *t = map(pa, sizeof *t);
	t = map(pa, t->len);
	return csum_ok(t, t->len) ? t : NULL;
}

static const struct rsdp *rsdp_scan(uint64_t lo, uint64_t hi)
{
	for (uint64_t p = lo; p + 20 <= hi; p += 16) {
		const struct rsdp *r = (const void *)p;
		if (!memcmp(r->sig, "RSD PTR ", 8) && csum_ok(r, 20))
			return r;
	}
	return NULL;
}

static const struct rsdp *rsdp_find(void)
{
	if (bootinfo.rsdp)
		return map(bootinfo.rsdp, sizeof(struct rsdp));
	uint64_t ebda = bootinfo.ebda;
	const struct rsdp *r = NULL;
	if (ebda >= 0x80000 && ebda < 0xa0000)
		r = rsdp_scan(ebda, ebda + 1024);
	return r ? r : rsdp_scan(0xe0000, 0x100000);
}

const void *acpi_find_table(const char sig[4])
{
	if (!rsdt)
		return NULL;
	size_t w = xsdt ? 8 : 4, n = (rsdt->len - sizeof *rsdt) / w;
	const uint8_t *ents = (const uint8_t *)(rsdt + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, ents + i * w, w);
		const struct sdt *t = map(pa, sizeof *t);
		if (!memcmp(t->sig, sig, 4))
			return map_sdt(pa);
	}
	return NULL;
}

static void parse_madt(const struct sdt *t)
{
	const uint8_t *p = (const uint8_t *)t;
	uint32_t lapic32;
	memcpy(&lapic32, p + 36, 4);
	acpi.lapic_base = lapic32;
	for (uint32_t off = 44; off + 2 <= t->len;) {
		uint8_t type = p[off], len = p[off + 1];
		const uint8_t *e = p + off;
		if (len < 2)
			break;
		uint32_t u32, flags;
		switch (type) {
		case 0:			/* processor local APIC */
			memcpy(&flags, e + 4, 4);
			if ((flags & 1) && acpi.ncpu < MAX_CPUS)
				acpi.apic_id[acpi.ncpu++] = e[3];
			break;
		case 9:			/* processor local x2APIC */
			memcpy(&u32, e + 4, 4);
			memcpy(&flags, e + 8, 4);
			if ((flags & 1) && acpi.ncpu < MAX_CPUS && u32 < 255)
				acpi.apic_id[acpi.ncpu++] = u32;
			break;
		case 1:			/* IOAPIC */
			if (acpi.nioapic < ACPI_MAX_IOAPIC) {
				acpi.ioapic[acpi.nioapic].id = e[2];
				memcpy(&acpi.ioapic[acpi.nioapic].addr, e + 4, 4);
				memcpy(&acpi.ioapic[acpi.nioapic].gsi_base, e + 8, 4);
				acpi.nioapic++;
			}
			break;
		case 2:			/* interrupt source override */
			if (acpi.niso < ACPI_MAX_ISO) {
				acpi.iso[acpi.niso].irq = e[3];
				memcpy(&acpi.iso[acpi.niso].gsi, e + 4, 4);
				memcpy(&acpi.iso[acpi.niso].flags, e + 8, 2);
				acpi.niso++;
			}
			break;
		case 5:			/* 64-bit LAPIC address */
			memcpy(&acpi.lapic_base, e + 4, 8);
			break;
		}
		off += len;
	}
}

/* Find \_S5's SLP_TYP values in the DSDT's AML: Name(_S5_, Package(){a, b, ...}).
   A full AML interpreter is not needed for this one object. */
static void find_s5(const struct sdt *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt, *end = p + dsdt->len;
	for (const uint8_t *q = p + sizeof *dsdt; q + 8 < end; q++) {
		if (memcmp(q, "_S5_", 4) || q[4] != 0x12)
			continue;
		if (q[-1] != 0x08 && !(q[-2] == 0x08 && q[-1] == '\\'))
			continue;
		const uint8_t *r = q + 5;
		r += (*r >> 6) + 1;		/* PkgLength */
		r++;				/* NumElements */
		uint8_t v[2];
		for (int i = 0; i < 2 && r < end; i++) {
			if (*r == 0x0a)		/* BytePrefix */
				r++;
			v[i] = *r == 0xff ? 0 : *r;	/* OnesOp never appears in practice */
			r++;
		}
		acpi.slp_typa = v[0];
		acpi.slp_typb = v[1];
		acpi.have_s5 = true;
		return;
	}
}

static void parse_fadt(const struct sdt *t)
{
	const uint8_t *p = (const uint8_t *)t;
	uint32_t dsdt32 = 0, flags = 0;
	uint64_t dsdt = 0;
	memcpy(&dsdt32, p + 40, 4);
	memcpy(&acpi.pm1a_cnt, p + 64, 4);
	memcpy(&acpi.pm1b_cnt, p + 68, 4);
	memcpy(&acpi.pm_timer, p + 76, 4);
	memcpy(&flags, p + 112, 4);
	acpi.pm_timer_32 = flags & (1u << 8);
	acpi.rtc_century_index = p[108];
	uint16_t boot_arch;			/* IAPC_BOOT_ARCH (ACPI 2.0+) */
	memcpy(&boot_arch, p + 109, 2);
	if (t->rev >= 2)
		acpi.rtc_absent = boot_arch & (1u << 5);
	if (t->len >= 148)
		memcpy(&dsdt, p + 140, 8);
	if (!dsdt)
		dsdt = dsdt32;
	if (t->len >= 256 && p[244 + 3] != 0xff) {
		uint64_t a;
		memcpy(&a, p + 244 + 4, 8);
		if (a) {
			acpi.sleep_ctl_space = p[244];
			acpi.sleep_ctl_addr = a;
		}
	}
	if (dsdt) {
		const struct sdt *d = map_sdt(dsdt);
		if (d)
			find_s5(d);
	}
}

void acpi_init(void)
{
	const struct rsdp *r = rsdp_find();
	if (!r) {
		kprintf("acpi: no RSDP found; one CPU, no power-off\n");
		return;
	}
	if (r->rev >= 2 && r->xsdt) {
		rsdt = map_sdt(r->xsdt);
		xsdt = true;
	}
	if (!rsdt) {
		rsdt = map_sdt(r->rsdt);
		xsdt = false;
	}
	if (!rsdt) {
		kprintf("acpi: RSDT/XSDT checksum is wrong; ignoring ACPI\n");
		return;
	}
	acpi.present = true;
	const struct sdt *madt = acpi_find_table("APIC");
	if (madt)
		parse_madt(madt);
	const struct sdt *fadt = acpi_find_table("FACP");
	if (fadt)
		parse_fadt(fadt);
}

uint32_t acpi_isa_gsi(uint8_t irq, uint16_t *flags)
{
	for (unsigned i = 0; i < acpi.niso; i++)
		if (acpi.iso[i].irq == irq) {
			*flags = acpi.iso[i].flags;
			return acpi.iso[i].gsi;
		}
	*flags = 0;
	return irq;
}

void acpi_poweroff(void)
{
	if (!acpi.have_s5)
		return;
	if (acpi.sleep_ctl_space == 1) {
		outb((uint16_t)acpi.sleep_ctl_addr, (uint8_t)((acpi.slp_typa << 2) | (1 << 5)));
	} else if (acpi.sleep_ctl_space == 0) {
		volatile uint8_t *reg = vm_map_mmio(acpi.sleep_ctl_addr, 1);
		*reg = (uint8_t)((acpi.slp_typa << 2) | (1 << 5));
	}
	if (acpi.pm1a_cnt)
		outw((uint16_t)acpi.pm1a_cnt, (uint16_t)((acpi.slp_typa << 10) | (1 << 13)));
	if (acpi.pm1b_cnt)
		outw((uint16_t)acpi.pm1b_cnt, (uint16_t)((acpi.slp_typb << 10) | (1 << 13)));
	for (int i = 0; i < 1000000; i++)
		cpu_relax();
}
