# net/lwip.mk — lwIP 2.1.3 in the kernel (included by the Makefile).
#
# lwIP's source is Debian's (tools/setup.sh unpacks `apt-get source lwip`
# at build/deps/lwip); none of it is committed. Its objects are built here
# into build/obj/lwip/, with the kernel's flags plus Weft's port
# (net/lwip/include: lwipopts.h, arch/cc.h, arch/sys_arch.h). Only the raw
# API core, IPv4 and IPv6: no api/ (sockets, netconn need threads), no PPP.
# The port's own C files (net/lwip/*.c) are ours and built like any kernel
# file, with our warnings intact.
#
# Patches. lwIP's own changes are net/lwip/patches/*.patch (each explains
# itself at its top), applied in name order with patch -p1 to a copy of
# the tree's src/ at $(BUILD)/lwip/src: the Debian tree (build/deps, which
# worktrees and bench builds share) is never modified. The copy is remade
# whenever a patch, or the tree, changes; everything lwIP (sources and
# headers) is taken from the copy.

LWIP_DIR := $(BUILD)/deps/lwip
LWIP_PATCHES := $(sort $(wildcard net/lwip/patches/*.patch))
LWIP_TREE := $(BUILD)/lwip
LWIP_STAMP := $(LWIP_TREE)/.patched
# The list of patches, rewritten only when it changes: a patch removed
# remakes the copy too.
LWIP_PATCH_LIST := $(BUILD)/lwip-patches.list
$(shell mkdir -p $(BUILD) && { echo '$(LWIP_PATCHES)' | cmp -s - $(LWIP_PATCH_LIST) || \
	echo '$(LWIP_PATCHES)' >$(LWIP_PATCH_LIST); })

LWIP_SRC := $(addprefix core/,def.c dns.c inet_chksum.c init.c ip.c mem.c \
		memp.c netif.c pbuf.c raw.c stats.c sys.c tcp.c tcp_in.c \
		tcp_out.c timeouts.c udp.c) \
	$(addprefix core/ipv4/,autoip.c dhcp.c etharp.c icmp.c igmp.c ip4.c \
		ip4_addr.c ip4_frag.c) \
	$(addprefix core/ipv6/,dhcp6.c ethip6.c icmp6.c inet6.c ip6.c ip6_addr.c \
		ip6_frag.c mld6.c nd6.c) \
	netif/ethernet.c
LWIP_OBJ := $(patsubst %.c,$(BUILD)/obj/lwip/%.o,$(LWIP_SRC))
LWIP_PORT_OBJ := $(patsubst %,$(BUILD)/obj/%.o,$(sort $(wildcard net/lwip/*.c)))

# Every kernel file may include lwIP headers (net/, apps/, tests/guest/).
KCFLAGS += -Inet/lwip/include -I$(LWIP_TREE)/src/include

# Flags for lwIP's objects only. lwIP 2.1.3 compiles without a warning
# under the kernel's -Wall -Wextra, so nothing is relaxed; a -Wno-... that
# a future lwIP needs goes here, never into KCFLAGS. -mgeneral-regs-only
# holds for lwIP too: none of the core uses floating point.
LWIP_CFLAGS :=

KOBJ += $(LWIP_OBJ) $(LWIP_PORT_OBJ)

$(LWIP_STAMP): $(LWIP_PATCHES) $(LWIP_PATCH_LIST) $(LWIP_DIR)/src/include/lwip/init.h net/lwip.mk
	@echo "  PATCH   lwip ($(words $(LWIP_PATCHES)) patches)"
	$(Q)rm -rf $(LWIP_TREE) && mkdir -p $(LWIP_TREE) && cp -a $(LWIP_DIR)/src $(LWIP_TREE)/src
	$(Q)for p in $(LWIP_PATCHES); do \
		patch -s -p1 -d $(LWIP_TREE) --no-backup-if-mismatch -r - <$$p || \
			{ echo "lwIP patch $$p does not apply" >&2; rm -rf $(LWIP_TREE); exit 1; }; \
	done
	$(Q)touch $@

# Every source is in the copy once the stamp exists. Precious: make would
# otherwise take them for intermediate files and delete them after a
# build of one target (make build/bench/conns/weft), breaking the next.
$(LWIP_TREE)/src/%.c: | $(LWIP_STAMP)
	@:
.PRECIOUS: $(LWIP_TREE)/src/%.c

$(BUILD)/obj/lwip/%.o: $(LWIP_TREE)/src/%.c | $(NEWLIB)/lib/libc.a
	@mkdir -p $(@D)
	@echo "  CC      lwip/$*.c"
	$(Q)$(CC) $(KCFLAGS) $(LWIP_CFLAGS) -c $< -o $@

# Any kernel file may include lwIP's headers, and make reads a header's
# time before the stamp's recipe remakes the copy: so every object depends
# on the stamp itself. A changed patch rebuilds the kernel, as a changed
# flag does (FLAGS_STAMP); without the tree, the stamp's rule says what to
# do instead of "lwip/tcp.h: No such file".
$(KOBJ) $(TOBJ): $(LWIP_STAMP)

# Only runs when a file of lwIP's tree is missing.
$(LWIP_DIR)/src/%:
	@echo "lwIP source missing ($(LWIP_DIR)/src/$*): run tools/setup.sh" >&2
	@exit 1
