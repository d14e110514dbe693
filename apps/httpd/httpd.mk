# apps/httpd/httpd.mk — the HTTP server's static site (included by the
# Makefile).
#
# apps/httpd/mksite.py packs SITE (default apps/httpd/site; `make SITE=dir`,
# `make image SITE=dir`, `make run SITE=dir` for another) and the /status
# page into a generated C file of read-only data, compiled into the kernel
# like any other object. The generated file lives under $(BUILD)/obj, so
# `make clean` removes it.
#
# What SITE holds is not a list of prerequisites: a file name may have
# spaces, '#', '%', ':' or anything else make cannot take in a rule. Instead
# each run of make writes a manifest of the tree (SITE as given and the
# directory make runs in; then every entry's path, type, size, inode, mtime
# and ctime, sorted) and replaces the stamp only when it differs. So a file
# changed, added, removed or renamed, anywhere under SITE, repacks the site,
# and so does a file replaced by an older one (cp -p, rsync, tar: its ctime
# is new) or SITE naming another directory; an unchanged tree does not.
# Symbolic links are followed (find -L), as mksite.py reads what they name.
# SITE may hold spaces; not a single quote.

SITE ?= apps/httpd/site

HTTPD_GEN := $(BUILD)/obj/gen/httpd
HTTPD_SITE_C := $(HTTPD_GEN)/site_data.c
HTTPD_SITE_O := $(HTTPD_GEN)/site_data.o
HTTPD_SITE_STAMP := $(HTTPD_GEN)/site.manifest

$(shell mkdir -p $(HTTPD_GEN) && \
	{ printf '%s\n' '$(CURDIR)' '$(SITE)'; \
	  find -L '$(SITE)' -printf '%P\t%y\t%s\t%i\t%T@\t%C@\n' 2>&1 | LC_ALL=C sort; \
	} > $(HTTPD_SITE_STAMP).new && \
	{ cmp -s $(HTTPD_SITE_STAMP).new $(HTTPD_SITE_STAMP) && rm -f $(HTTPD_SITE_STAMP).new || \
	  mv -f $(HTTPD_SITE_STAMP).new $(HTTPD_SITE_STAMP); })

KOBJ += $(HTTPD_SITE_O)

$(HTTPD_SITE_C): apps/httpd/mksite.py apps/httpd/status.html apps/httpd/mime.c \
		$(HTTPD_SITE_STAMP)
	$(Q)python3 apps/httpd/mksite.py --site '$(SITE)' \
		--status apps/httpd/status.html --mime apps/httpd/mime.c --out $@

$(HTTPD_SITE_O): $(HTTPD_SITE_C) | $(NEWLIB)/lib/libc.a
	@echo "  CC      $(notdir $<)"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@
