# net/http.mk — the HTTP library (net/http/, included by the Makefile).
#
# net/http/*.c are built like any kernel file and linked into both images;
# apps use the library through net/http/http.h.

KOBJ += $(patsubst %,$(BUILD)/obj/%.o,$(filter-out $(SKIP),$(sort $(wildcard net/http/*.c))))
