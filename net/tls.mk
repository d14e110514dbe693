# net/tls.mk — TLS connections (net/tls/) and the certificate baked into
# the image (included by the Makefile).
#
# net/tls/*.c are ours, built like any kernel file; BearSSL itself is the
# Makefile's ($(BEARSSL)). The certificate and key come from TLS_CERT and
# TLS_KEY (PEM files); without them, a self-signed ECDSA P-256 pair for
# "localhost" (and 127.0.0.1) is generated once with openssl into
# $(BUILD)/tls/. Either way the PEM text is linked in read-only
# (net/tls/tls_baked.h) and parsed at boot by tls_cert_load, which is
# where a bad file is reported.

TLS_DIR  := $(BUILD)/tls
TLS_CERT ?= $(TLS_DIR)/localhost.crt
TLS_KEY  ?= $(TLS_DIR)/localhost.key

KOBJ += $(patsubst %,$(BUILD)/obj/%.o,$(sort $(wildcard net/tls/*.c))) \
	$(BUILD)/obj/gen/tls/baked.o

# One rule makes both files; the key is made first, then the certificate,
# valid for 365 days (longer ones are flagged by testssl.sh and browsers).
# A generated pair that expires within a day is made anew.
$(shell [ -f $(TLS_DIR)/localhost.crt ] && \
	! openssl x509 -checkend 86400 -noout -in $(TLS_DIR)/localhost.crt >/dev/null 2>&1 && \
	rm -f $(TLS_DIR)/localhost.crt $(TLS_DIR)/localhost.key)
$(TLS_DIR)/localhost.key:
	@mkdir -p $(@D)
	$(Q)openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout $@ -out $(TLS_DIR)/localhost.crt -days 365 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
	@echo "  GEN     $(TLS_DIR)/localhost.crt, self-signed ECDSA P-256 for localhost;" \
		"$$(openssl x509 -in $(TLS_DIR)/localhost.crt -noout -fingerprint -sha256)"
$(TLS_DIR)/localhost.crt: $(TLS_DIR)/localhost.key

# The paths go into the assembly as strings; a stamp holding them makes a
# change of TLS_CERT/TLS_KEY rebuild the object.
TLS_STAMP := $(BUILD)/obj/gen/tls/paths
$(shell mkdir -p $(BUILD)/obj/gen/tls && \
	{ [ "$$(cat $(TLS_STAMP) 2>/dev/null)" = "$(abspath $(TLS_CERT)) $(abspath $(TLS_KEY))" ] || \
	  echo "$(abspath $(TLS_CERT)) $(abspath $(TLS_KEY))" > $(TLS_STAMP); })

$(BUILD)/obj/gen/tls/baked.o: net/tls/baked.S $(TLS_CERT) $(TLS_KEY) $(TLS_STAMP)
	@echo "  AS      $< ($(TLS_CERT), $(TLS_KEY))"
	$(Q)$(CC) $(KASFLAGS) -DTLS_CERT_FILE='"$(abspath $(TLS_CERT))"' \
		-DTLS_KEY_FILE='"$(abspath $(TLS_KEY))"' -c $< -o $@
