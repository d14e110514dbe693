/* runtime/spinlock.h — the kernel's spinlocks, for layers above the runtime. */
#ifndef RUNTIME_SPINLOCK_H
#define RUNTIME_SPINLOCK_H
#include "kernel/spinlock.h"
#endif
