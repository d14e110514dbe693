/* tests/host/string_host.S — kernel/arch/string.S under other names, so
   that tests/host/test_string.c can call it beside the host's libc. */
#define memcpy string_memcpy
#define memset string_memset
#include "kernel/arch/string.S"
