# Weft — the build. README.md explains the targets; the short version:
#   make run     set up what is missing, build, boot the appliance in QEMU
#   make test    set up what is missing, build, run every test
# Everything built lands in build/. Third-party code (newlib, lwIP) is
# fetched from Debian's packages by tools/setup.sh, never committed.

.DEFAULT_GOAL := all
.SUFFIXES:
SHELL := /bin/bash

BUILD   ?= build
NEWLIB  := $(BUILD)/newlib
CMDLINE ?= app=httpd
Q       ?= @

CC      := gcc
GCCINC  := $(shell $(CC) -print-file-name=include)

# Kernel code: no red zone (interrupts push onto the current stack), no
# SSE in our own code (so interrupt handlers need not save vector state;
# newlib's floating point may still use it), frame pointers for
# backtraces, no PIC: one image at a fixed address.
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter \
	-ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing -fcf-protection=none \
	--param=min-pagesize=0 \
	-nostdinc -isystem $(NEWLIB)/include -isystem $(GCCINC) -I. \
	-D__DYNAMIC_REENT__ -MMD -MP
KASFLAGS := -nostdinc -I. -D__ASSEMBLY__ -MMD -MP
# --wrap: every heap allocation, newlib's own included, goes through
# kernel/libc.c's counters (the request path must allocate nothing).
# calloc and a growing realloc reach _malloc_r themselves.
KLDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack \
	--no-warn-rwx-segments -T boot/kernel.ld \
	--wrap=_malloc_r --wrap=_memalign_r

KSRC := $(sort $(wildcard kernel/*.c kernel/arch/*.c runtime/*.c net/*.c \
	apps/*/*.c tests/guest/*.c))
# Leave sources out (patterns), e.g. SKIP=apps/httpd/% while one is broken.
KSRC := $(filter-out $(SKIP),$(KSRC))
KASM := $(sort $(wildcard boot/*.S kernel/arch/*.S runtime/*.S))
KOBJ := $(patsubst %,$(BUILD)/obj/%.o,$(KSRC) $(KASM))
LIBS := $(NEWLIB)/lib/libc.a $(NEWLIB)/lib/libm.a

# Makefile fragments of layers with their own build needs (lwIP from
# Debian's source package, the static site of the HTTP server). Each may
# add objects to KOBJ and rules of its own.
-include $(sort $(wildcard net/*.mk apps/*/*.mk))

.PHONY: all setup newlib image run test test-host fuzz bench-runtime bench-net bench profile insn-plugin clean distclean

all: $(BUILD)/weft

setup:
	$(Q)tools/setup.sh

$(NEWLIB)/lib/libc.a: tools/build-newlib.sh
	$(Q)tools/build-newlib.sh $(NEWLIB)
	$(Q)touch $@

newlib: $(NEWLIB)/lib/libc.a

$(BUILD)/obj/%.c.o: %.c | $(NEWLIB)/lib/libc.a
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/obj/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# Two links: the first gives the addresses, tools/mksyms.sh turns its
# text symbols into .ksyms, the second carries them. .ksyms follows all
# code and rodata, so the second link moves nothing a backtrace names;
# the cmp below proves it.
$(BUILD)/ksyms0.S:
	@mkdir -p $(@D)
	$(Q)printf '\t.section .ksyms, "a"\n\t.quad 0\n' > $@

$(BUILD)/%.o: $(BUILD)/%.S
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

$(BUILD)/weft.pass1: $(KOBJ) $(BUILD)/ksyms0.o boot/kernel.ld $(LIBS)
	$(Q)ld $(KLDFLAGS) -o $@ $(KOBJ) $(BUILD)/ksyms0.o --start-group $(LIBS) --end-group

$(BUILD)/ksyms.S: $(BUILD)/weft.pass1 tools/mksyms.sh
	$(Q)tools/mksyms.sh $< $@

$(BUILD)/weft: $(BUILD)/weft.pass1 $(BUILD)/ksyms.o
	@echo "  LD      $@"
	$(Q)ld $(KLDFLAGS) -o $@ $(KOBJ) $(BUILD)/ksyms.o --start-group $(LIBS) --end-group
	$(Q)tools/mksyms.sh $@ $(BUILD)/ksyms.check.S
	$(Q)cmp -s $(BUILD)/ksyms.S $(BUILD)/ksyms.check.S || \
		{ echo "ksyms: the second link moved text symbols"; rm -f $@; exit 1; }
	@size $@ | tail -1 | awk '{printf "  weft: text %d, data %d, bss %d bytes\n", $$1, $$2, $$3}'

image: $(BUILD)/weft
	$(Q)tools/mkimage.sh $(BUILD)/weft $(BUILD) "$(CMDLINE)"

run: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/run.sh $(BUILD)/weft "$(CMDLINE)"

test: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh

# Fuzz for real: FUZZ_SECONDS per target (default 600).
fuzz: setup
	$(Q)FUZZ_ARGS="-max_total_time=$${FUZZ_SECONDS:-600}" tests/fuzz/run.sh 1000000000

bench-runtime: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/runtime.sh

# Echo throughput and latency against a Linux guest, over a tap in a
# private network namespace (root).
bench-net: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/net.sh

# HTTP against Linux nginx and Go net/http, 1 and 2 vCPUs, same flags; it
# builds its own image (serving the same page as the Linux guest).
bench: setup
	$(Q)bench/http.sh

# Where Weft's guest instructions go under a load (root, a tap in a private
# netns): PROFILE_LOAD=http-keepalive|http-close|echo, PROFILE_CLIENTS (8),
# PROFILE_SECONDS (10), PROFILE_SMP (1), PROFILE_TOP (30); see bench/profile.sh.
profile: setup
	$(Q)bench/profile.sh

# QEMU's instruction-count plugin (tools/insn/), which make bench,
# bench-runtime and profile build for themselves.
insn-plugin:
	$(Q)tools/insn/build.sh

test-host:
	$(Q)tests/host/run.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/weft* $(BUILD)/ksyms* $(BUILD)/host $(BUILD)/test

distclean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
