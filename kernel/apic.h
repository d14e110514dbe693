/*
 * kernel/apic.h — local APIC (per-CPU interrupts, IPIs, the per-CPU
 * one-shot timer) and IOAPIC (routing device interrupts).
 *
 * The local timer is one-shot: TSC-deadline mode where the CPU has it,
 * otherwise the APIC's own counter converted from TSC ticks. Each CPU arms
 * its own; at the deadline the interrupt calls the runtime's timer hook
 * (kernel/hooks.h) with interrupts off.
 */
#ifndef KERNEL_APIC_H
#define KERNEL_APIC_H

#include <stdint.h>
#include <stdbool.h>
#include "kernel/trap.h"

void lapic_init(void);			/* BSP: map the LAPIC, mask the PIC */
void lapic_init_local(void);		/* every CPU */
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint8_t page);
void lapic_send_nmi_others(void);

/* Timer. On the BSP, lapic_timer_calibrate_start right after
   lapic_init_local starts the APIC timer's count, and lapic_timer_calibrate
   after time_init ends it: the work between is the calibration window. */
void lapic_timer_calibrate_start(void);
void lapic_timer_calibrate(void);
/* Arm this CPU's one-shot timer for TSC value `deadline` (past values fire
   at once); 0 disarms. The timer hook never runs before the deadline. */
void lapic_timer_arm(uint64_t deadline);
bool lapic_has_tsc_deadline(void);

/* Route a GSI to `vector` on the CPU with `apic_id`. Flags are the MADT's
   (polarity/trigger); ISA defaults are edge/high. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, uint16_t flags);
void ioapic_mask(uint32_t gsi, bool masked);

#endif
