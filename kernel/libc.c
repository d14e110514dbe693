/*
 * kernel/libc.c — newlib's system layer: the few "system calls" newlib
 * needs (console output, the heap's _sbrk lives in vm.c), its per-thread
 * state (__getreent) and its locks (__retarget_lock_*).
 *
 * newlib is built with __DYNAMIC_REENT__: every errno or stdio access asks
 * __getreent() for the current struct _reent. The CPU's `reent` field
 * points at the running task's (the runtime switches it) or, before tasks,
 * at the CPU's own.
 *
 * Locks are recursive spinlocks that keep interrupts off while held, so a
 * holder is never preempted; a lock's owner is the CPU. newlib code never
 * blocks while holding one (console output is polled), so spinning is
 * bounded.
 */
#include <errno.h>
#include <reent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/lock.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/time.h>
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/exit.h"
#include "kernel/hooks.h"
#include "kernel/libc.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"

static struct _reent boot_reent;

/* One %gs-relative load: a task preempted right after it still holds its
   own reent, wherever it resumes. NULL means the running task has none
   yet; the runtime makes one (with interrupts off, so it stays put). */
struct _reent *__getreent(void)
{
	struct _reent *r = gs_read_ptr(__builtin_offsetof(struct cpu, reent));
	if (__builtin_expect(r != NULL, 1) || !kernel_hooks.reent_alloc)
		return r;
	bool f = irq_save();
	r = kernel_hooks.reent_alloc();
	irq_restore(f);
	return r;
}

void libc_init_bsp(void)
{
	_REENT_INIT_PTR(&boot_reent);
	cpus[0].reent = &boot_reent;
}

/* Heap allocation counters: the linker routes newlib's allocators through
   these wrappers (Makefile: --wrap). Per CPU, so counting costs no shared
   cache line. */
void *__real__malloc_r(struct _reent *r, size_t n);
void *__real__memalign_r(struct _reent *r, size_t a, size_t n);

static void count_alloc(void)
{
	bool f = irq_save();
	this_cpu()->allocs++;
	irq_restore(f);
}

void *__wrap__malloc_r(struct _reent *r, size_t n);
void *__wrap__malloc_r(struct _reent *r, size_t n)
{
	count_alloc();
	return __real__malloc_r(r, n);
}
void *__wrap__memalign_r(struct _reent *r, size_t a, size_t n);
void *__wrap__memalign_r(struct _reent *r, size_t a, size_t n)
{
	count_alloc();
	return __real__memalign_r(r, a, n);
}

uint64_t kernel_alloc_count(void)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < ncpus; i++)
		n += a_load_relaxed(&cpus[i].allocs);
	return n;
}

/*
 * Heap statistics from newlib, with two quirks worked around:
 *  - newlib 3.3's mallinfo fills the struct of its mallocr.c, ten ints (40
 *    bytes), not the ten size_t's <malloc.h> declares (found on /metrics:
 *    arena and ordblks showed up packed into one 64-bit field); so it is
 *    read with the layout it really has;
 *  - mallinfo() asks for the task's struct _reent, which a task that never
 *    needed one gets allocated on the spot: /metrics would allocate once
 *    per connection. _mallinfo_r uses its reent argument only for the
 *    malloc lock, which (retargetable locking) ignores it; so NULL.
 */
struct newlib_mallinfo {
	int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks,
		fordblks, keepcost;
};
struct newlib_mallinfo newlib_mallinfo_r(struct _reent *r) __asm__("_mallinfo_r");

void libc_heap_stats(uint64_t *in_use, uint64_t *arena)
{
	struct newlib_mallinfo mi = newlib_mallinfo_r(NULL);
	*in_use = (unsigned)mi.uordblks;
	*arena = (unsigned)mi.arena;
}

int _write(int fd, const void *buf, size_t n);
int _write(int fd, const void *buf, size_t n)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, n);
	return (int)n;
}

int _read(int fd, void *buf, size_t n);
int _read(int fd, void *buf, size_t n)
{
	(void)fd, (void)buf, (void)n;
	return 0;			/* no console input: end of file */
}

int _close(int fd);
int _close(int fd) { (void)fd; errno = EBADF; return -1; }
int _open(const char *p, int flags, ...);
int _open(const char *p, int flags, ...) { (void)p, (void)flags; errno = ENOENT; return -1; }
off_t _lseek(int fd, off_t off, int whence);
off_t _lseek(int fd, off_t off, int whence) { (void)fd, (void)off, (void)whence; errno = ESPIPE; return -1; }
int _isatty(int fd);
int _isatty(int fd) { return fd >= 0 && fd <= 2; }
int _fstat(int fd, struct stat *st);
int _fstat(int fd, struct stat *st)
{
	(void)fd;
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFCHR;
	return 0;
}
int _getpid(void);
int _getpid(void) { return 1; }
int _kill(int pid, int sig);
int _kill(int pid, int sig) { (void)pid, (void)sig; errno = EINVAL; return -1; }
int _unlink(const char *p);
int _unlink(const char *p) { (void)p; errno = ENOENT; return -1; }
int _link(const char *a, const char *b);
int _link(const char *a, const char *b) { (void)a, (void)b; errno = EMLINK; return -1; }
int _stat(const char *p, struct stat *st);
int _stat(const char *p, struct stat *st) { (void)p, (void)st; errno = ENOENT; return -1; }
int _fork(void);
int _fork(void) { errno = ENOSYS; return -1; }
int _wait(int *s);
int _wait(int *s) { (void)s; errno = ECHILD; return -1; }
int _execve(const char *p, char *const a[], char *const e[]);
int _execve(const char *p, char *const a[], char *const e[]) { (void)p, (void)a, (void)e; errno = ENOSYS; return -1; }

int _gettimeofday(struct timeval *tv, void *tz);
int _gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	uint64_t ns = time_ns();
	tv->tv_sec = (time_t)(ns / 1000000000u);
	tv->tv_usec = (suseconds_t)(ns % 1000000000u / 1000u);
	return 0;
}

clock_t _times(struct tms *t);
clock_t _times(struct tms *t)
{
	memset(t, 0, sizeof *t);
	return (clock_t)(time_ns() / 10000000u);	/* CLK_TCK 100 */
}

void _exit(int status);
void _exit(int status)
{
	machine_exit(status ? EXIT_FAIL : EXIT_PASS);
}

/* Locks. */
struct __lock {
	struct spinlock sl;
	int32_t owner;			/* cpu id, -1 when free */
	uint32_t depth;
	bool irq;			/* interrupt state to restore */
};

/* newlib's static locks. owner -1: a zeroed lock would read as "held by
   cpu 0", and cpu 0's first acquire would skip the spinlock. */
#define LOCK_FREE { SPINLOCK_INIT, -1, 0, false }
struct __lock __lock___sinit_recursive_mutex = LOCK_FREE, __lock___sfp_recursive_mutex = LOCK_FREE,
	__lock___atexit_recursive_mutex = LOCK_FREE, __lock___at_quick_exit_mutex = LOCK_FREE,
	__lock___malloc_recursive_mutex = LOCK_FREE, __lock___env_recursive_mutex = LOCK_FREE,
	__lock___tz_mutex = LOCK_FREE, __lock___dd_hash_mutex = LOCK_FREE,
	__lock___arc4random_mutex = LOCK_FREE;

static bool lock_try(struct __lock *l)
{
	bool f = irq_save();
	int32_t me = (int32_t)cpu_id();
	if (a_load_relaxed(&l->owner) == me) {
		l->depth++;
		irq_restore(f);		/* the outermost acquire holds the state */
		return true;
	}
	if (!spin_trylock_raw(&l->sl)) {
		irq_restore(f);
		return false;
	}
	l->owner = me;
	l->depth = 1;
	l->irq = f;
	return true;
}

static void lock_acquire(struct __lock *l)
{
	while (!lock_try(l))
		cpu_relax();
}

static void lock_release(struct __lock *l)
{
	if (l->owner != (int32_t)cpu_id())
		panic("newlib lock released by cpu %u, held by %d", cpu_id(), l->owner);
	if (--l->depth)
		return;
	bool f = l->irq;
	l->owner = -1;
	spin_unlock_raw(&l->sl);
	irq_restore(f);
}

static void lock_setup(struct __lock *l)
{
	memset(l, 0, sizeof *l);
	l->owner = -1;
}

/* stdio creates its streams' locks on first use, which can come before
   the heap exists; the first few come from a static pool. */
static struct __lock lock_pool[16];
static unsigned lock_pool_used;

static bool from_pool(struct __lock *l)
{
	return l >= lock_pool && l < lock_pool + 16;
}

void __retarget_lock_init(_LOCK_T *lp)
{
	unsigned i = a_fetch_add_relaxed(&lock_pool_used, 1);
	*lp = i < 16 ? &lock_pool[i] : malloc(sizeof(struct __lock));
	if (!*lp)
		panic("__retarget_lock_init: out of memory");
	lock_setup(*lp);
}
void __retarget_lock_init_recursive(_LOCK_T *lp) { __retarget_lock_init(lp); }
void __retarget_lock_close(_LOCK_T l)
{
	if (!from_pool(l))
		free(l);
}
void __retarget_lock_close_recursive(_LOCK_T l) { __retarget_lock_close(l); }
void __retarget_lock_acquire(_LOCK_T l) { lock_acquire(l); }
void __retarget_lock_acquire_recursive(_LOCK_T l) { lock_acquire(l); }
int __retarget_lock_try_acquire(_LOCK_T l) { return lock_try(l); }
int __retarget_lock_try_acquire_recursive(_LOCK_T l) { return lock_try(l); }
void __retarget_lock_release(_LOCK_T l) { lock_release(l); }
void __retarget_lock_release_recursive(_LOCK_T l) { lock_release(l); }
