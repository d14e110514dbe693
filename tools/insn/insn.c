/*
 * tools/insn/insn.c — Weft's QEMU TCG plugin: counts the guest instructions
 * that execute, in qemu-system-x86_64 (the whole machine) and in
 * qemu-x86_64 (one Linux process, e.g. a Go program). Built by
 * tools/insn/build.sh against Debian's qemu-plugin.h.
 *
 *   qemu-system-x86_64 ... -plugin build/insn/libinsn.so,out=FILE[,ctl=FIFO][,mode=pc]
 *   qemu-x86_64 -plugin build/insn/libinsn.so,out=FILE PROGRAM ARGS
 *
 * Arguments:
 *   out=FILE    where the plugin writes its lines (appended; default stderr):
 *               "LABEL TOTAL" for each mark, "exit TOTAL" at QEMU's exit.
 *               TOTAL is every instruction executed so far, on every vCPU
 *               (system mode) or thread (user mode).
 *   ctl=FIFO    an existing FIFO that a thread of the plugin reads, a line a
 *               command. "LABEL" (no spaces) appends "LABEL TOTAL" to out;
 *               "dump PATH" (mode=pc) writes the block table to PATH, then
 *               appends "dump TOTAL". Each line appears in out only after its
 *               work is done, so a harness that waits for it has a
 *               consistent answer. This is how a benchmark brackets exactly
 *               its load: mark, run the client, mark again.
 *   mode=pc     also count executions per translation block: the table has
 *               one line "VADDR NINSNS EXECS" (hex, decimal, decimal) per
 *               block translated, so VADDR's code ran NINSNS*EXECS
 *               instructions. tools/insn/profile.py names the addresses.
 *   pcout=PATH  (mode=pc) write the table to PATH at exit, too.
 *
 * How it counts. At translation, each block gets an execution hook that adds
 * its instruction count. With one vCPU in system mode there is one TCG
 * thread, and QEMU's inline add into one counter is exact and cheapest.
 * Otherwise (-smp N under multi-threaded TCG, or threads in user mode) the
 * hook is a callback that adds to the running vCPU's own counter, one
 * cache line each, written only by that vCPU's thread: no lost updates, no
 * atomic read-modify-write on the hot path. Readers sum the slots; an
 * aligned 64-bit load is atomic on x86-64, and a sum read while the guest
 * runs is exact to within the blocks in flight.
 *
 * Granularity: a block is counted when it starts. A block left in the
 * middle (a page fault or another exception on one of its instructions)
 * counts its remaining instructions although they did not run; interrupts
 * are taken only between blocks. In a steady-state load that is rare.
 *
 * REJECTED: an inline add per instruction (as contrib/plugins/insn.c):
 * several times the generated code, and not atomic under MTTCG. Registers
 * (for stack walks) are not readable through the QEMU 7.2 plugin API, so
 * mode=pc gives a flat profile, not call stacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { MAX_SLOTS = 1024, CHUNK = 4096 };

/* Per-vCPU counters, one cache line each; vCPU (or thread) indices past
 * MAX_SLOTS share the overflow counter, added to atomically. */
static struct slot {
	uint64_t n;
	char pad[56];
} slots[MAX_SLOTS] __attribute__((aligned(64)));
static uint64_t overflow;
static bool single;		/* one vCPU in system mode: inline adds into slots[0] */
static bool pc_mode;
static int out_fd = 2;
static const char *pcout;

/* mode=pc: one record per translated block, in chunks that never move
 * (a record's address is its hook's argument). blocks_lock guards the
 * list; execs is written by the executing vCPU and read by the dumper. */
struct block {
	uint64_t vaddr, ninsns, execs;
};
struct chunk {
	struct chunk *next;
	size_t used;
	struct block b[CHUNK];
};
static struct chunk *chunks;
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t total(void)
{
	uint64_t sum = __atomic_load_n(&overflow, __ATOMIC_RELAXED);
	for (int i = 0; i < MAX_SLOTS; i++)
		sum += __atomic_load_n(&slots[i].n, __ATOMIC_RELAXED);
	return sum;
}

static void vcpu_add(unsigned int vcpu, uint64_t n)
{
	if (vcpu < MAX_SLOTS)
		__atomic_store_n(&slots[vcpu].n, slots[vcpu].n + n, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&overflow, n, __ATOMIC_RELAXED);
}

static void on_block(unsigned int vcpu, void *udata)
{
	vcpu_add(vcpu, (uintptr_t)udata);
}

static void on_block_pc(unsigned int vcpu, void *udata)
{
	struct block *b = udata;
	vcpu_add(vcpu, b->ninsns);
	__atomic_fetch_add(&b->execs, 1, __ATOMIC_RELAXED);
}

static struct block *block_new(uint64_t vaddr, uint64_t ninsns)
{
	pthread_mutex_lock(&blocks_lock);
	if (!chunks || chunks->used == CHUNK) {
		struct chunk *c = calloc(1, sizeof *c);
		if (!c) {
			pthread_mutex_unlock(&blocks_lock);
			return NULL;
		}
		c->next = chunks;
		chunks = c;
	}
	struct block *b = &chunks->b[chunks->used++];
	b->vaddr = vaddr;
	b->ninsns = ninsns;
	pthread_mutex_unlock(&blocks_lock);
	return b;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b = pc_mode ? block_new(qemu_plugin_tb_vaddr(tb), n) : NULL;

	if (single) {
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &slots[0].n, n);
		if (b)
			qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->execs, 1);
	} else if (b) {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block_pc, QEMU_PLUGIN_CB_NO_REGS, b);
	} else {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)n);
	}
}

static void say(const char *label)
{
	char line[256];
	int len = snprintf(line, sizeof line, "%s %" PRIu64 "\n", label, total());
	if (write(out_fd, line, len) != len)
		perror("insn plugin: write");
}

static int dump(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	pthread_mutex_lock(&blocks_lock);
	for (struct chunk *c = chunks; c; c = c->next)
		for (size_t i = 0; i < c->used; i++) {
			uint64_t e = __atomic_load_n(&c->b[i].execs, __ATOMIC_RELAXED);
			if (e)
				fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n",
					c->b[i].vaddr, c->b[i].ninsns, e);
		}
	pthread_mutex_unlock(&blocks_lock);
	return fclose(f) ? -errno : 0;
}

/* The ctl thread: one command a line, answered in out (see the top). */
static void *ctl_reader(void *arg)
{
	FILE *f = arg;
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!strncmp(line, "dump ", 5)) {
			int err = pc_mode ? dump(line + 5) : -EINVAL;
			say(err ? "dump-failed" : "dump");
		} else if (line[0] && !strchr(line, ' ')) {
			say(line);
		}
	}
	return NULL;
}

static void on_exit_(qemu_plugin_id_t id, void *p)
{
	if (pcout && dump(pcout))
		perror("insn plugin: pcout");
	say("exit");
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *out = NULL, *ctl = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "out=", 4))
			out = a + 4;
		else if (!strncmp(a, "ctl=", 4))
			ctl = a + 4;
		else if (!strncmp(a, "pcout=", 6))
			pcout = a + 6;
		else if (!strcmp(a, "mode=pc"))
			pc_mode = true;
		else if (strcmp(a, "mode=count")) {
			fprintf(stderr, "insn plugin: unknown argument %s\n", a);
			return -1;
		}
	}
	single = info->system_emulation && info->system.max_vcpus == 1;
	if (out && (out_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "insn plugin: %s: %s\n", out, strerror(errno));
		return -1;
	}
	if (ctl) {
		/* O_RDWR: the open does not wait for a writer, and the FIFO never
		 * reads end-of-file between the harness's writes. */
		int fd = open(ctl, O_RDWR | O_CLOEXEC);
		FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
		pthread_t t;
		if (!f || pthread_create(&t, NULL, ctl_reader, f)) {
			fprintf(stderr, "insn plugin: ctl %s: %s\n", ctl, strerror(errno));
			return -1;
		}
		pthread_detach(t);
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
	return 0;
}
