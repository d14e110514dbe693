/* kernel/version.c — the image's version string (kernel/version.h). */
#include "kernel/version.h"

#ifndef WEFT_VERSION
#define WEFT_VERSION "unknown"
#endif

const char weft_version[] = WEFT_VERSION;
