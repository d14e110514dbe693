/*
 * kernel/entropy.c — the kernel's random bytes (kernel/entropy.h has the
 * API and the policy).
 *
 * Seeding. The DRBG is instantiated at once with a personalization string
 * (TSC, the state's address: distinct per boot and per state, but credited
 * with no entropy), and counts as seeded only when a credited source has
 * delivered ENTROPY_SEED_BYTES (RDSEED/RDRAND at init) or any bytes from a
 * driver (entropy_add: virtio-rng hands over what the host's RNG gave).
 * HMAC-DRBG's update mixes each delivery into the whole state, so adding a
 * weak or hostile source never lowers what the others gave.
 *
 * Hardware words. RDRAND is retried 10 times per word (Intel's guidance:
 * a healthy part fails 10 in a row only when broken); RDSEED, which fails
 * whenever the conditioner is drained, up to 100 times with a pause. A
 * source that cannot fill the seed is not credited, and the failure is
 * counted.
 *
 * REJECTED: a per-CPU DRBG. Tasks move between CPUs, so per-CPU state
 * needs preemption off around each use anyway, and rand_bytes is called
 * once per TLS handshake (32 bytes), nowhere near contention.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bearssl_hash.h>
#include "kernel/arch/hwrng.h"
#include "kernel/entropy.h"

#define CHUNK 256		/* bytes generated per lock hold */

static struct entropy kentropy;

unsigned entropy_cpu_sources(void)
{
	return (cpu_has_rdseed() ? ENTROPY_RDSEED : 0) | (cpu_has_rdrand() ? ENTROPY_RDRAND : 0);
}

/* Fill buf from one CPU instruction; false (and failures counted) when it
   gave up. Caller holds e->lock or owns e alone. */
static bool hw_fill(struct entropy *e, unsigned src, uint8_t *buf, size_t n)
{
	for (size_t off = 0; off < n; off += 8) {
		uint64_t w = 0;
		bool ok = false;
		for (int i = 0; i < (src == ENTROPY_RDSEED ? 100 : 10) && !ok; i++) {
			ok = src == ENTROPY_RDSEED ? rdseed64(&w) : rdrand64(&w);
			if (!ok)
				cpu_relax();
		}
		if (!ok) {
			e->hw_failures++;
			return false;
		}
		memcpy(buf + off, &w, n - off < 8 ? n - off : 8);
	}
	return true;
}

/* Mix ENTROPY_SEED_BYTES from each usable instruction into the DRBG;
   returns the sources that delivered. Caller holds e->lock or owns e. */
static unsigned hw_mix(struct entropy *e, size_t n)
{
	static const unsigned order[] = { ENTROPY_RDSEED, ENTROPY_RDRAND };
	uint8_t buf[ENTROPY_SEED_BYTES];
	unsigned got = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (!(e->hw & order[i]) || !hw_fill(e, order[i], buf, n))
			continue;
		br_hmac_drbg_update(&e->drbg, buf, n);
		got |= order[i];
	}
	memset(buf, 0, sizeof buf);
	return got;
}

void entropy_state_init(struct entropy *e, unsigned hw)
{
	memset(e, 0, sizeof *e);
	e->lock = (struct spinlock)SPINLOCK_INIT;
	e->hw = hw & (ENTROPY_RDSEED | ENTROPY_RDRAND);
	e->present = e->hw;
	struct {
		uint64_t tsc;
		const void *self;
		char tag[8];
	} pers = { rdtsc(), e, "weft" };
	br_hmac_drbg_init(&e->drbg, &br_sha256_vtable, &pers, sizeof pers);
	e->seeded_by = hw_mix(e, ENTROPY_SEED_BYTES);
}

void entropy_state_expect(struct entropy *e, unsigned src)
{
	bool f = spin_lock(&e->lock);
	e->present |= src;
	spin_unlock(&e->lock, f);
}

void entropy_state_add(struct entropy *e, unsigned src, const void *buf, size_t n)
{
	if (!n)
		return;
	bool f = spin_lock(&e->lock);
	br_hmac_drbg_update(&e->drbg, buf, n);
	e->present |= src;
	e->seeded_by |= src;
	e->added++;
	spin_unlock(&e->lock, f);
}

/* Caller holds e->lock. */
static void maybe_reseed(struct entropy *e, size_t n)
{
	e->out_since_reseed += n;
	e->calls_since_reseed++;
	if (e->out_since_reseed < ENTROPY_RESEED_BYTES && e->calls_since_reseed < ENTROPY_RESEED_CALLS)
		return;
	e->out_since_reseed = e->calls_since_reseed = 0;
	if (hw_mix(e, 32))
		e->reseeds++;
}

int entropy_state_read(struct entropy *e, void *buf, size_t n)
{
	uint8_t *p = buf;
	bool f = spin_lock(&e->lock);
	int err = !e->seeded_by ? (e->present ? -EAGAIN : -ENOSYS) : 0;
	if (!err)
		maybe_reseed(e, n);
	spin_unlock(&e->lock, f);
	while (!err && n) {
		size_t k = n < CHUNK ? n : CHUNK;
		f = spin_lock(&e->lock);
		br_hmac_drbg_generate(&e->drbg, p, k);
		e->bytes_out += k;
		spin_unlock(&e->lock, f);
		p += k;
		n -= k;
	}
	return err;
}

void entropy_init(void)
{
	entropy_state_init(&kentropy, entropy_cpu_sources());
}

void entropy_log(void)
{
	char msg[160];
	int e = entropy_why(msg, sizeof msg);
	printf("entropy: %s%s\n", e ? "not seeded: " : "", msg);
}

int rand_bytes(void *buf, size_t n) { return entropy_state_read(&kentropy, buf, n); }
void entropy_expect(unsigned src) { entropy_state_expect(&kentropy, src); }
void entropy_add(unsigned src, const void *buf, size_t n) { entropy_state_add(&kentropy, src, buf, n); }

static void name_sources(char *msg, size_t len, unsigned set)
{
	snprintf(msg, len, "%s%s%s", set & ENTROPY_RDSEED ? " RDSEED" : "",
		 set & ENTROPY_RDRAND ? " RDRAND" : "", set & ENTROPY_VIRTIO ? " virtio-rng" : "");
}

int entropy_why(char *msg, size_t len)
{
	struct entropy_stats s;
	entropy_stats(&s);
	char names[48];
	if (s.seeded_by) {
		name_sources(names, sizeof names, s.seeded_by);
		snprintf(msg, len, "seeded from%s", names);
		return 0;
	}
	if (!s.present) {
		snprintf(msg, len, "no entropy source (the CPU has no RDRAND/RDSEED and there is "
			 "no virtio-rng device; add -device virtio-rng-pci)");
		return -ENOSYS;
	}
	name_sources(names, sizeof names, s.present);
	snprintf(msg, len, "waiting for%s (none has delivered yet)", names);
	return -EAGAIN;
}

void entropy_stats(struct entropy_stats *out)
{
	bool f = spin_lock(&kentropy.lock);
	*out = (struct entropy_stats){
		.present = kentropy.present,
		.seeded_by = kentropy.seeded_by,
		.reseeds = kentropy.reseeds,
		.added = kentropy.added,
		.bytes_out = kentropy.bytes_out,
		.hw_failures = kentropy.hw_failures,
	};
	spin_unlock(&kentropy.lock, f);
}
