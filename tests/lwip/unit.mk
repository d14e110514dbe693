# tests/lwip/unit.mk — lwIP's own unit suite (Debian's lwIP 2.1.3,
# test/unit, on the check framework) built on the host with Weft's options
# and patches, into build/lwip-unit/. tests/lwip/run.sh runs it:
#   make -f tests/lwip/unit.mk EXCLUDE_FILES="core/test_mem.c ..."
#
# What is linked, and whose it is:
#   - lwIP's core: net/lwip.mk's own source list (LWIP_SRC), from a copy
#     of Debian's tree patched by net/lwip.mk's own rule (the same series,
#     the same recipe) at build/lwip-unit/lwip/src;
#   - Weft's port: net/lwip/include (lwipopts.h, arch/sys_arch.h) and
#     net/lwip/*.c except pools.c, which carves pages (tests/lwip/port.c
#     stands in for it and for the kernel clock);
#   - lwIP's tests: test/unit/Filelists.mk's list, less the files
#     excluded whole (EXCLUDE_FILES, from tests/lwip/excluded.txt) and
#     less its test port arch/sys_arch.c (Weft's sys_arch.c is the port);
#   - ours: tests/lwip/include (the host arch/cc.h, the suite's clock,
#     an empty config.h), port.c, select.c, missing.c, rehash.c, and
#     Weft's own tests of lwIP's code: synq.c (patch 0005's SYN queue).
# Under ASan and UBSan, as the host unit tests are. LWIP_TESTMODE=1 is not
# one of Weft's options but lwIP's switch for its tests: it only makes
# two timeouts.c functions visible (core/test_timers.c calls them).

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
.DEFAULT_GOAL := unit
BUILD := build/lwip-unit
override LWIP_DIR := build/deps/lwip
Q := @
include net/lwip.mk

OUT := $(BUILD)/o
BIN := $(BUILD)/lwip-unit
TESTDIR := $(LWIP_DIR)/test/unit
EXCLUDE_FILES ?=

LWIPDIR := $(LWIP_DIR)/src
include $(TESTDIR)/Filelists.mk
TEST_SRC := $(filter-out $(addprefix $(TESTDIR)/,arch/sys_arch.c $(EXCLUDE_FILES)),\
	$(subst $(LWIPDIR)/../test/unit/,$(TESTDIR)/,$(TESTFILES)))
PORT_SRC := $(filter-out net/lwip/pools.c,$(sort $(wildcard net/lwip/*.c)))
SHIM_SRC := tests/lwip/port.c tests/lwip/select.c tests/lwip/missing.c tests/lwip/rehash.c \
	tests/lwip/synq.c

HOST_CC ?= gcc
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -fsanitize=address,undefined \
	-fno-omit-frame-pointer -DLWIP_TESTMODE=1 -MMD -MP
HOST_INC := -Itests/lwip/include -Inet/lwip/include -I$(LWIP_TREE)/src/include \
	-I$(TESTDIR) -I. $(shell pkg-config --cflags check)
HOST_LIBS := $(shell pkg-config --libs check) -Wl,--wrap=_tcase_add_test -Wl,--wrap=tcp_set_state \
	-Wl,--wrap=srunner_create

CORE_OBJ := $(patsubst %.c,$(OUT)/lwip/%.o,$(LWIP_SRC))
TEST_OBJ := $(patsubst $(TESTDIR)/%.c,$(OUT)/test/%.o,$(TEST_SRC))
OURS_OBJ := $(patsubst %.c,$(OUT)/%.o,$(PORT_SRC) $(SHIM_SRC))
OBJ := $(CORE_OBJ) $(TEST_OBJ) $(OURS_OBJ)

.PHONY: unit
unit: $(BIN)

# The excluded files change the link: the binary is remade when they do.
EXCLUDE_STAMP := $(BUILD)/excluded.list
$(shell mkdir -p $(BUILD) && { echo '$(EXCLUDE_FILES)' | cmp -s - $(EXCLUDE_STAMP) || \
	echo '$(EXCLUDE_FILES)' >$(EXCLUDE_STAMP); })

$(BIN): $(OBJ) $(EXCLUDE_STAMP)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $(OBJ) $(HOST_LIBS)

# lwIP's core and tests: warnings shown, not fatal (they are lwIP's);
# Weft's files and ours: -Werror, as everywhere in the tree.
$(OUT)/lwip/%.o: $(LWIP_TREE)/src/%.c $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(HOST_INC) -c $< -o $@
$(OUT)/test/%.o: $(TESTDIR)/%.c $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(HOST_INC) -c $< -o $@
# lwIP's main() uses lwip_stats and MEMP_MAX, which reach it through
# lwip/tcpip.h only when NO_SYS is 0; Weft's NO_SYS=1 needs them named.
$(OUT)/test/lwip_unittests.o: HOST_INC += -include lwip/stats.h -include lwip/memp.h
$(OUT)/%.o: %.c $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Werror $(HOST_INC) -c $< -o $@

-include $(OBJ:.o=.d)
