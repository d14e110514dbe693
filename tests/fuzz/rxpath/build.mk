# tests/fuzz/rxpath/build.mk — the receive-path fuzzer (tests/fuzz/
# fuzz_rxpath.c) built on the host with clang, libFuzzer, ASan and UBSan,
# into build/fuzz/rxpath/. tests/fuzz/run.sh makes it:
#   make -f tests/fuzz/rxpath/build.mk -j2 CLANG=clang FUZZ_CFLAGS="..."
# and runs build/fuzz/fuzz_rxpath. Objects are kept, with their header
# dependencies, so a run after a change rebuilds only what it touched (the
# whole build is ~40 s of clang at -j2; an unchanged one, none).
#
# What is linked, and whose it is:
#   - lwIP's core: net/lwip.mk's own source list (LWIP_SRC), from a copy
#     of Debian's tree patched by net/lwip.mk's own rule (the same series,
#     the same recipe) at build/fuzz/rxpath/lwip/src, configured by Weft's
#     net/lwip/include (lwipopts.h, arch/), unchanged;
#   - Weft's port and network code as the kernel builds it (net/lwip/*.c,
#     net/netif.c, rx_small.c, conn.c, addr*.c, net/http's server);
#   - ours: the harness, tests/fuzz/rxpath/host_runtime.c (the kernel and
#     task runtime) and tests/fuzz/rxpath/include (<machine/endian.h>).
# NET_LOCK_CHECKS=1: the net lock's own checks (net/netlock.h) are on, so
# lwIP entered without the lock is a crash. BearSSL's headers only (from
# the fuzz build run.sh's tls_record target uses): net/tls/tls.h names
# its types; no TLS code is linked (fuzz_rxpath.c's tls_* panic).

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
.DEFAULT_GOAL := fuzzer
BUILD := build/fuzz/rxpath
override LWIP_DIR := build/deps/lwip
Q := @
include net/lwip.mk

CLANG ?= clang
FUZZ_CFLAGS ?= -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra
OUT := $(BUILD)/o
BIN := build/fuzz/fuzz_rxpath
INC := -I. -Itests/fuzz/rxpath/include -Inet/lwip/include -I$(LWIP_TREE)/src/include \
	-isystem build/bearssl/fuzz/include
DEFS := -DNET_LOCK_CHECKS=1

NET_SRC := $(sort $(wildcard net/lwip/*.c)) net/netif.c net/rx_small.c net/conn.c \
	net/addr.c net/addr_lwip.c \
	$(addprefix net/http/,listen.c server.c request.c response.c out.c mux.c \
		stats.c latency.c parse.c body.c path.c)
OURS_SRC := tests/fuzz/fuzz_rxpath.c tests/fuzz/rxpath/host_runtime.c

CORE_OBJ := $(patsubst %.c,$(OUT)/lwip/%.o,$(LWIP_SRC))
OURS_OBJ := $(patsubst %.c,$(OUT)/%.o,$(NET_SRC) $(OURS_SRC))
OBJ := $(CORE_OBJ) $(OURS_OBJ)

.PHONY: fuzzer
fuzzer: $(BIN)

# The flags are part of every object: a change to them remakes them all.
FLAGS_STAMP := $(BUILD)/flags
$(shell mkdir -p $(BUILD) && { echo '$(CLANG) $(FUZZ_CFLAGS)' | cmp -s - $(FLAGS_STAMP) || \
	echo '$(CLANG) $(FUZZ_CFLAGS)' >$(FLAGS_STAMP); })

$(BIN): $(OBJ)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $(OBJ)

# lwIP's core: warnings shown, not fatal (they are lwIP's); Weft's files
# and ours: -Werror, as everywhere in the tree.
$(OUT)/lwip/%.o: $(LWIP_TREE)/src/%.c $(LWIP_STAMP) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -MMD -MP $(INC) $(DEFS) -c $< -o $@
$(OUT)/%.o: %.c $(LWIP_STAMP) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Werror -MMD -MP $(INC) $(DEFS) -c $< -o $@

-include $(OBJ:.o=.d)
