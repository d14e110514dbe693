# apps/httpd/httpd.mk — the HTTP server's static site (included by the
# Makefile).
#
# apps/httpd/mksite.py packs SITE (default apps/httpd/site; `make run
# SITE=dir` for another) and the /status page into a generated C file of
# read-only data, compiled into the kernel like any other object. The
# generated file lives under $(BUILD)/obj, so `make clean` removes it.
#
# It is rebuilt when a file or directory under SITE changes (a directory's
# mtime covers files added or removed), when the packer or the status page
# changes, and when SITE itself names another directory (the stamp file
# holds the last SITE packed).

SITE ?= apps/httpd/site

HTTPD_GEN := $(BUILD)/obj/gen/httpd
HTTPD_SITE_C := $(HTTPD_GEN)/site_data.c
HTTPD_SITE_O := $(HTTPD_GEN)/site_data.o
HTTPD_SITE_STAMP := $(HTTPD_GEN)/site.dir

# Rewritten only when SITE names another directory than last time.
$(shell mkdir -p $(HTTPD_GEN) && \
	{ [ "$$(cat $(HTTPD_SITE_STAMP) 2>/dev/null)" = "$(abspath $(SITE))" ] || \
	  echo "$(abspath $(SITE))" > $(HTTPD_SITE_STAMP); })

HTTPD_SITE_DEPS := $(shell find $(SITE) -name '.*' -prune -o -print 2>/dev/null)

KOBJ += $(HTTPD_SITE_O)

$(HTTPD_SITE_C): apps/httpd/mksite.py apps/httpd/status.html \
		$(HTTPD_SITE_STAMP) $(HTTPD_SITE_DEPS)
	$(Q)python3 apps/httpd/mksite.py --site $(SITE) \
		--status apps/httpd/status.html --out $@

$(HTTPD_SITE_O): $(HTTPD_SITE_C) | $(NEWLIB)/lib/libc.a
	@echo "  CC      $(notdir $<)"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@
