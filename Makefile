# Weft — the build. README.md explains the targets; the short version:
#   make run     set up what is missing, build, boot the appliance in QEMU
#   make test    set up what is missing, build, run every test
# Everything built lands in build/. Third-party code (newlib, lwIP, BearSSL)
# is fetched from Debian's packages by tools/setup.sh, never committed.

.DEFAULT_GOAL := all
.SUFFIXES:
SHELL := /bin/bash

BUILD   ?= build
NEWLIB  := $(BUILD)/newlib
BEARSSL := $(BUILD)/bearssl/kernel
CMDLINE ?= app=httpd
Q       ?= @

CC      := gcc
GCCINC  := $(shell $(CC) -print-file-name=include)
# DEBUG=1: every invariant check of kernel/debug.h on (both images).
DEBUG   ?= 0

# Kernel code: no red zone (interrupts push onto the current stack), no
# SSE in our own code (so interrupt handlers need not save vector state;
# newlib's floating point may still use it), frame pointers for
# backtraces, no PIC: one image at a fixed address.
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter \
	-Werror=implicit-function-declaration \
	-ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing -fcf-protection=none \
	--param=min-pagesize=0 \
	-nostdinc -isystem $(NEWLIB)/include -isystem $(GCCINC) -I. \
	-isystem $(BEARSSL)/include -D__DYNAMIC_REENT__ -DWEFT_DEBUG=$(DEBUG) -MMD -MP
KASFLAGS := -nostdinc -I. -D__ASSEMBLY__ -MMD -MP
# --wrap: every heap allocation, newlib's own included, goes through
# kernel/libc.c's counters (the request path must allocate nothing).
# calloc and a growing realloc reach _malloc_r themselves.
KLDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack \
	--no-warn-rwx-segments -T boot/kernel.ld \
	--wrap=_malloc_r --wrap=_memalign_r

# Two images from one set of objects:
#   build/weft       what ships (make run, make image, the cloud images):
#                    every layer, no test code (kernel/notests.c answers
#                    test=);
#   build/weft-test  the same plus the in-guest suites and their runner
#                    (tests/guest/), instead of kernel/notests.c; make
#                    test boots it for the guest, million and panic stages.
KSRC := $(sort $(wildcard kernel/*.c kernel/arch/*.c kernel/virtio/*.c runtime/*.c net/*.c \
	apps/*/*.c))
TSRC := $(sort $(wildcard tests/guest/*.c))
# Leave sources out (patterns), e.g. SKIP=apps/httpd/% while one is broken.
KSRC := $(filter-out $(SKIP),$(KSRC))
TSRC := $(filter-out $(SKIP),$(TSRC))
KASM := $(sort $(wildcard boot/*.S kernel/arch/*.S runtime/*.S))
KOBJ := $(patsubst %,$(BUILD)/obj/%.o,$(KSRC) $(KASM))
TOBJ := $(patsubst %,$(BUILD)/obj/%.o,$(TSRC))
NOTESTS_OBJ := $(BUILD)/obj/kernel/notests.c.o
# BearSSL (TLS and the kernel's DRBG) is a library like libc: any layer
# may include <bearssl.h>; tools/build-bearssl.sh says how it is built.
# Both images link it.
LIBS := $(BEARSSL)/lib/libbearssl.a $(NEWLIB)/lib/libc.a $(NEWLIB)/lib/libm.a

# Makefile fragments of layers with their own build needs (lwIP from
# Debian's source package, the static site of the HTTP server). Each may
# add objects to KOBJ and rules of its own.
-include $(sort $(wildcard net/*.mk apps/*/*.mk))

KOBJ_TEST := $(filter-out $(NOTESTS_OBJ),$(KOBJ)) $(TOBJ)

# Objects follow the switches: this stamp is rewritten only when they
# change (make DEBUG=1 after make rebuilds everything, and back).
FLAGS_STAMP := $(BUILD)/obj/flags
$(shell mkdir -p $(BUILD)/obj && { [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = "DEBUG=$(DEBUG)" ] || \
	echo "DEBUG=$(DEBUG)" > $(FLAGS_STAMP); })
$(KOBJ) $(TOBJ): $(FLAGS_STAMP)

.PHONY: all setup newlib image run test test-debug test-host test-kvm test-overcommit fuzz bench-runtime bench-net \
	bench bench-kvm profile insn-plugin clean distclean

all: $(BUILD)/weft $(BUILD)/weft-test

setup:
	$(Q)tools/setup.sh

$(NEWLIB)/lib/libc.a: tools/build-newlib.sh
	$(Q)tools/build-newlib.sh $(NEWLIB)
	$(Q)touch $@

newlib: $(NEWLIB)/lib/libc.a

# The script's stamp decides whether anything is rebuilt.
$(BEARSSL)/lib/libbearssl.a: tools/build-bearssl.sh $(NEWLIB)/lib/libc.a
	$(Q)tools/build-bearssl.sh kernel $(BEARSSL)
	$(Q)touch $@

$(BUILD)/obj/%.c.o: %.c | $(NEWLIB)/lib/libc.a $(BEARSSL)/lib/libbearssl.a
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/obj/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# Two links per image: the first gives the addresses, tools/mksyms.sh
# turns its text symbols into .ksyms, the second carries them. .ksyms
# follows all code and rodata, so the second link moves nothing a
# backtrace names; the cmp below proves it.
$(BUILD)/ksyms0.S:
	@mkdir -p $(@D)
	$(Q)printf '\t.section .ksyms, "a"\n\t.quad 0\n' > $@

$(BUILD)/%.o: $(BUILD)/%.S
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# $(call kernel_image,NAME,OBJECTS): the rules for $(BUILD)/NAME.
define kernel_image
$(BUILD)/$(1).pass1: $(2) $(BUILD)/ksyms0.o boot/kernel.ld $(LIBS)
	$(Q)ld $(KLDFLAGS) -o $$@ $(2) $(BUILD)/ksyms0.o --start-group $(LIBS) --end-group

$(BUILD)/$(1).ksyms.S: $(BUILD)/$(1).pass1 tools/mksyms.sh
	$(Q)tools/mksyms.sh $$< $$@

$(BUILD)/$(1): $(BUILD)/$(1).pass1 $(BUILD)/$(1).ksyms.o
	@echo "  LD      $$@"
	$(Q)ld $(KLDFLAGS) -o $$@ $(2) $(BUILD)/$(1).ksyms.o --start-group $(LIBS) --end-group
	$(Q)tools/mksyms.sh $$@ $(BUILD)/$(1).ksyms.check.S
	$(Q)cmp -s $(BUILD)/$(1).ksyms.S $(BUILD)/$(1).ksyms.check.S || \
		{ echo "ksyms: the second link moved text symbols"; rm -f $$@; exit 1; }
	@size $$@ | tail -1 | awk '{printf "  $(1)$(if $(filter 1,$(DEBUG)), (DEBUG=1)): text %d, data %d, bss %d bytes\n", $$$$1, $$$$2, $$$$3}'
endef
$(eval $(call kernel_image,weft,$(KOBJ)))
$(eval $(call kernel_image,weft-test,$(KOBJ_TEST)))

image: $(BUILD)/weft
	$(Q)tools/mkimage.sh $(BUILD)/weft $(BUILD) "$(CMDLINE)"

run: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft
	$(Q)tools/run.sh $(BUILD)/weft "$(CMDLINE)"

test: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh

# The KVM lane alone (make test runs it too): Weft under real KVM inside
# an outer Linux guest under TCG (tools/kvm-lane/, tests/kvm/stage.sh).
test-kvm: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh kvm

# The KVM lane's overcommitted run (test=all at 4 vCPUs on an outer guest of
# 2), which make test leaves out until it is reliable (tests/kvm/stage.sh).
test-overcommit: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)WEFT_KVM_OVERCOMMIT=1 WEFT_TEST_FILTER='^kvm.(overcommit|lane.outer-b)' tests/run.sh kvm

# The in-guest suites and expected panics again, on both images built with
# DEBUG=1 in $(BUILD)/debug (sharing newlib, BearSSL and lwIP's tree):
# every invariant check of kernel/debug.h on.
test-debug: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p $(BUILD)/debug && ln -sfn ../deps $(BUILD)/debug/deps && \
		ln -sfn ../newlib $(BUILD)/debug/newlib && ln -sfn ../bearssl $(BUILD)/debug/bearssl
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/debug DEBUG=1 all
	$(Q)WEFT_KERNEL=$(BUILD)/debug/weft WEFT_TEST_KERNEL=$(BUILD)/debug/weft-test \
		tests/run.sh guest panic

# Fuzz for real: FUZZ_SECONDS per target (default 600).
fuzz: setup
	$(Q)FUZZ_ARGS="-max_total_time=$${FUZZ_SECONDS:-600}" tests/fuzz/run.sh 1000000000
	$(Q)FUZZ_ARGS="-max_total_time=$${FUZZ_SECONDS:-600}" tests/fuzz/dns.sh 1000000000
	$(Q)FUZZ_ARGS="-max_total_time=$${FUZZ_SECONDS:-600}" tests/fuzz/http_client.sh 1000000000

bench-runtime: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft-test
	$(Q)bench/runtime.sh

# Echo throughput and latency against a Linux guest, over a tap in a
# private network namespace (root).
bench-net: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft
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

# KVM exits per request, Weft beside nginx, inside the KVM lane
# (bench/kvm.sh; it builds the bench image and the Linux peer).
bench-kvm: setup
	$(Q)bench/kvm.sh

test-host:
	$(Q)tests/host/run.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/weft* $(BUILD)/ksyms* $(BUILD)/host $(BUILD)/test $(BUILD)/debug

distclean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
