# Weft — the build. README.md explains the targets; the short version:
#   make run     set up what is missing, build, boot the appliance in QEMU
#   make test    set up what is missing, build, run every test
#   make help    every target and the variables users set
# A line "## NAME: text" documents a target (lower case, the line above its
# rule) or a variable (upper case); make help prints them, and the docs
# stage (tests/docs/make_help.sh) checks that every target has one.
# Everything built lands in build/. Third-party code (newlib, lwIP, BearSSL)
# is fetched from Debian's packages by tools/setup.sh, never committed.

.DEFAULT_GOAL := all
.SUFFIXES:
SHELL := /bin/bash

## BUILD: the build directory (default build)
BUILD   ?= build
NEWLIB  := $(BUILD)/newlib
BEARSSL := $(BUILD)/bearssl/kernel
## CMDLINE: the kernel command line of make run, make debug and make image (default app=httpd; README lists the keys)
CMDLINE ?= app=httpd
## SMP: CPUs of make run and make debug (default 2)
SMP     ?= 2
## MEM: RAM of make run and make debug (default 512M)
MEM     ?= 512M
## SITE: the directory the HTTP server serves, packed into the image (default apps/httpd/site)
## TLS_CERT: the PEM certificate baked in for TLS, with TLS_KEY (default: a self-signed pair for localhost in build/tls/)
## TLS_KEY: the PEM private key of TLS_CERT
## WEFT_PORT: the first host port make run tries (default 8080; a guest port >= 1024 is forwarded from itself when free)
## WEFT_ACCEL: auto, kvm or tcg (default auto: KVM when a probe boot passes)
## WEFT_TEST_FILTER: make test runs only results matching this regex (tests/run.sh)
## Q: Q= shows every command
Q       ?= @

CC      := gcc
GCCINC  := $(shell $(CC) -print-file-name=include)
## DEBUG: DEBUG=1 turns every invariant check of kernel/debug.h on (both images)
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
# CDEFS: extra -D options for kernel objects, for builds of their own
# (bench/conns.sh sizes the connection pools for 100,000 with it).
KCFLAGS += $(CDEFS)
FLAGS_STAMP := $(BUILD)/obj/flags
$(shell mkdir -p $(BUILD)/obj && { [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = "DEBUG=$(DEBUG) $(CDEFS)" ] || \
	echo "DEBUG=$(DEBUG) $(CDEFS)" > $(FLAGS_STAMP); })
$(KOBJ) $(TOBJ): $(FLAGS_STAMP)

# The version (kernel/version.h): git describe of this tree, "unknown"
# outside git. Its stamp, like the flags', changes only with it, and only
# kernel/version.c depends on it.
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
VERSION_STAMP := $(BUILD)/obj/version
$(shell [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = "$(VERSION)" ] || echo "$(VERSION)" > $(VERSION_STAMP))
$(BUILD)/obj/kernel/version.c.o: $(VERSION_STAMP)
$(BUILD)/obj/kernel/version.c.o: KCFLAGS += -DWEFT_VERSION='"$(VERSION)"'

.PHONY: all help setup newlib image run debug test test-debug test-host test-kvm test-overcommit fuzz \
	bench-runtime bench-net bench-burst bench-conns bench-synflood bench-loss soak bench bench-apps bench-https bench-kvm profile insn-plugin clean distclean

## all: build both kernels, build/weft (what ships) and build/weft-test (plus the in-guest suites)
all: $(BUILD)/weft $(BUILD)/weft-test

## help: list the targets and the variables users set
help:
	$(Q)awk -f tools/make-help.awk Makefile $(sort $(wildcard net/*.mk apps/*/*.mk))

## setup: install what is missing from Debian, build newlib and BearSSL, unpack lwIP (idempotent)
setup:
	$(Q)tools/setup.sh

$(NEWLIB)/lib/libc.a: tools/build-newlib.sh
	$(Q)tools/build-newlib.sh $(NEWLIB)
	$(Q)touch $@

## newlib: build newlib for the kernel into build/newlib
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

## image: disk images with CMDLINE baked in: build/weft.img (raw GPT, BIOS and UEFI), weft.qcow2, weft-gce.tar.gz
image: $(BUILD)/weft
	$(Q)tools/mkimage.sh $(BUILD)/weft $(BUILD) "$(CMDLINE)"

## run: set up, build, boot the appliance in QEMU with CMDLINE; forwards 127.0.0.1 to each port it listens on
run: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft
	@echo "run: TLS certificate $(TLS_CERT) (HTTPS, baked in):" \
		"$$(openssl x509 -in $(TLS_CERT) -noout -fingerprint -sha256)"
	$(Q)WEFT_SMP=$(SMP) WEFT_MEM=$(MEM) WEFT_TLS_CERT=$(TLS_CERT) tools/run.sh $(BUILD)/weft "$(CMDLINE)"

## debug: boot with CMDLINE under QEMU's gdb stub and start gdb with the kernel's symbols and tools/gdb/weft.py (weft-tasks)
debug: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft
	$(Q)WEFT_SMP=$(SMP) WEFT_MEM=$(MEM) tools/debug.sh $(BUILD)/weft "$(CMDLINE)"

## test: set up, build, run every test (tests/run.sh; N passed, N failed)
test: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh

# The KVM lane alone (make test runs it too): Weft under real KVM inside
# an outer Linux guest under TCG (tools/kvm-lane/, tests/kvm/stage.sh).
## test-kvm: the KVM lane alone: Weft under real KVM in an outer Linux guest under TCG
test-kvm: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh kvm

# The KVM lane's overcommitted run alone (test=all at 4 vCPUs on an outer
# guest of 2; make test's kvm stage runs it too: tests/kvm/stage.sh).
## test-overcommit: the KVM lane's overcommitted run (test=all at 4 vCPUs on an outer guest of 2)
test-overcommit: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)WEFT_KVM_OVERCOMMIT=1 WEFT_TEST_FILTER='^kvm.(overcommit|lane.outer-b)' tests/run.sh kvm

# The in-guest suites and expected panics again, on both images built with
# DEBUG=1 in $(BUILD)/debug (sharing newlib, BearSSL and lwIP's tree):
# every invariant check of kernel/debug.h on.
## test-debug: the guest and panic stages again on both kernels built with DEBUG=1 (in build/debug)
test-debug: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p $(BUILD)/debug && ln -sfn ../deps $(BUILD)/debug/deps && \
		ln -sfn ../newlib $(BUILD)/debug/newlib && ln -sfn ../bearssl $(BUILD)/debug/bearssl
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/debug DEBUG=1 all
	$(Q)WEFT_KERNEL=$(BUILD)/debug/weft WEFT_TEST_KERNEL=$(BUILD)/debug/weft-test \
		tests/run.sh guest panic

# Fuzz for real: FUZZ_SECONDS per target (default 600).
## fuzz: run the libFuzzer targets for FUZZ_SECONDS each (default 600)
## FUZZ_SECONDS: seconds per fuzz target of make fuzz (default 600)
fuzz: setup
	$(Q)FUZZ_ARGS="-max_total_time=$${FUZZ_SECONDS:-600}" tests/fuzz/run.sh 1000000000

## bench-runtime: the runtime's operations (yield, channels, mutex, spawn) against Go, in instructions and time
bench-runtime: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft-test
	$(Q)bench/runtime.sh

# Echo throughput and latency against a Linux guest, over a tap in a
# private network namespace (root).
## bench-net: TCP echo throughput and latency against a Linux guest (root, a tap in a private netns)
bench-net: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft
	$(Q)bench/net.sh

## bench-burst: connect bursts (1,000 and 5,000 at once, every third closed by RST): the last connect's and the next request's wait, beside the Linux guest (root)
bench-burst: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft
	$(Q)bench/burst.sh

## bench-conns: time and instructions per request with 100, 1,000, 10,000 and 100,000 idle connections open, beside the Linux guest (root)
bench-conns: setup
	$(Q)bench/conns.sh

## bench-synflood: a SYN flood (hping3, at full rate and at 1,000/s) beside a legitimate client: its connects, SYN retransmissions, the SYN queue's length and evictions, beside the Linux guest (root)
bench-synflood: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft
	$(Q)bench/synflood.sh

## bench-loss: goodput of one 10 MB echo at 1% loss, 5% loss and 5% loss with reordering, beside the Linux guest (root)
bench-loss: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft
	$(Q)bench/loss.sh

## soak: churn, 200,000 short connections in a row (SOAK_CONNS), the first and the last 10,000 timed, beside the Linux guest (root)
## SOAK_CONNS: connections of make soak (default 200000)
soak: setup
	$(Q)$(MAKE) --no-print-directory $(BUILD)/weft
	$(Q)bench/soak.sh

# HTTP against Linux nginx and Go net/http, 1 and 2 vCPUs, same flags; it
# builds its own image (serving the same page as the Linux guest).
## bench: HTTP against Linux nginx and Go net/http, then bench-apps and bench-https: instructions per request and TCG req/s (root)
bench: setup
	$(Q)bench/http.sh
	$(Q)bench/apps.sh
	$(Q)bench/https.sh

# app=proxy beside nginx as a reverse proxy in the Linux guest (the same
# upstream, the same wrk load), and app=kv: req/s and instructions per
# request; see bench/apps.sh. Also part of make bench.
## bench-apps: app=proxy against Linux nginx as a proxy, and app=kv GET/PUT: req/s and instructions per request (root)
bench-apps: setup
	$(Q)bench/apps.sh

# HTTPS beside nginx with TLS in the Linux guest, ECDSA P-256 and RSA-2048
# (the same keys): keep-alive req/s, full handshakes/s, instructions per
# request and per handshake; see bench/https.sh. Also part of make bench.
## bench-https: HTTPS keep-alive req/s and full handshakes/s, ECDSA and RSA, against Linux nginx; instructions per request and handshake (root)
bench-https: setup
	$(Q)bench/https.sh

# Where Weft's guest instructions go under a load (root, a tap in a private
# netns): PROFILE_LOAD=http-keepalive|http-close|echo, PROFILE_CLIENTS (8),
# PROFILE_SECONDS (10), PROFILE_SMP (1), PROFILE_TOP (30); see bench/profile.sh.
## profile: a flat profile of guest instructions by function under a load (PROFILE_LOAD, PROFILE_CLIENTS, ...)
## PROFILE_LOAD: make profile's load: http-keepalive (default), http-close or echo
profile: setup
	$(Q)bench/profile.sh

# QEMU's instruction-count plugin (tools/insn/), which make bench,
# bench-runtime and profile build for themselves.
## insn-plugin: build QEMU's instruction-count plugin (tools/insn/)
insn-plugin:
	$(Q)tools/insn/build.sh

# KVM exits per request, Weft beside nginx, inside the KVM lane
# (bench/kvm.sh; it builds the bench image and the Linux peer).
## bench-kvm: KVM exits per request, Weft beside nginx, inside the KVM lane
bench-kvm: setup
	$(Q)bench/kvm.sh

## test-host: the host unit tests alone (under ASan and UBSan)
test-host:
	$(Q)tests/host/run.sh

## clean: remove the kernels, objects and test output (keeps newlib, BearSSL, lwIP)
clean:
	rm -rf $(BUILD)/obj $(BUILD)/weft* $(BUILD)/ksyms* $(BUILD)/host $(BUILD)/test $(BUILD)/debug

## distclean: remove all of build/
distclean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
