/*
 * kernel/version.h — what this image is: `git describe --always --dirty`
 * of the tree it was built from ("unknown" outside git). The Makefile
 * passes it to kernel/version.c alone (WEFT_VERSION), so a new commit
 * recompiles one file. The boot banner prints it; /metrics shows it
 * through rt_version() (weft_build_info).
 */
#ifndef KERNEL_VERSION_H
#define KERNEL_VERSION_H

extern const char weft_version[];

#endif
