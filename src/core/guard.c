/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Thread records and the guard of public calls against shutdown (G2).
 *
 * Why a call can never touch freed memory
 * ---------------------------------------
 * A public call announces itself in its thread's record (nest++), then reads
 * the state; irqcore_shutdown() stores STOPPING, then reads every record's
 * nest and waits for each to drop to 0, then frees. Both sides store, then
 * load what the other side stored; with a full barrier between store and
 * load on both sides (Dekker), at least one of them sees the other's store:
 *   - the call sees STOPPING: it returns -ENODEV (or does nothing) before
 *     touching any instance memory;
 *   - or shutdown sees nest > 0: it waits for the call's exit, a release
 *     store paired with shutdown's acquire load, so every access the call
 *     made happens before the frees.
 * The caller's barrier is only a compiler barrier: shutdown's
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) makes every running thread of
 * the process execute a full barrier (or be switched out, which is one), as
 * liburcu's urcu-memb does for its readers. Without membarrier the callers
 * fall back to a full fence (irqc_membarrier_ok stays false). The inline
 * path (internal.h) is the one with the compiler barrier, taken once the
 * thread has a record of its own and membarrier is registered
 * (irqc_ctx.rec_fast); a thread's first call, the shared record, old
 * kernels and TSan take irqc__rec_enter_slow.
 *
 * The same record carries the thread's read-side sections (seq, odd
 * inside; core/rcu.c), and shutdown waits for those too, after the same
 * barrier: a section announces itself and then reads the state exactly as
 * a call does, so it is the guard of the calls that only read
 * (generic_handle_irq), which pay for one announcement instead of two.
 *
 * Records are static and are claimed with a CAS at a thread's first call,
 * so that first call allocates nothing and takes no lock; a pthread key's
 * destructor releases the record when the thread exits (its counters stay:
 * the next owner adds to them, which keeps every count a single writer's).
 * Threads beyond IRQC_MAX_THREADS share irqc_trec_shared with atomic adds.
 */
#include "core.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

struct irqc_trec irqc_trecs[IRQC_MAX_THREADS];
_Atomic unsigned int irqc_trecs_used;
struct irqc_trec irqc_trec_shared;
_Atomic bool irqc_membarrier_ok;
static pthread_key_t trec_key;

static void trec_release(void *arg)
{
	struct irqc_trec *r = arg;

	irqc_ctx.rec = NULL;		/* a later call claims a record anew */
	irqc_ctx.rec_fast = NULL;
	irqc_ctx.cnt_gen = 0;
	/* release: this thread's counter writes before the next owner's
	 * (paired with the acquire CAS in irqc__trec_claim) */
	atomic_store_explicit(&r->owner, 0, memory_order_release);
}

/* Created before main(): a thread's first call never runs pthread_once. */
__attribute__((constructor)) static void trec_key_init(void)
{
	pthread_key_create(&trec_key, trec_release);
}

struct irqc_trec *irqc__trec_claim(void)
{
	for (unsigned int i = 0; i < IRQC_MAX_THREADS; i++) {
		struct irqc_trec *r = &irqc_trecs[i];
		uint32_t expected = 0;
		unsigned int used;

		if (atomic_load_explicit(&r->owner, memory_order_relaxed))
			continue;
		/* acquire: the previous owner's counts before ours (paired
		 * with the release in trec_release) */
		if (!atomic_compare_exchange_strong_explicit(&r->owner, &expected, 1,
							     memory_order_acquire,
							     memory_order_relaxed))
			continue;
		/* relaxed: program order puts it before any store of the
		 * record's counts; the scans read it after their barrier
		 * (membarrier or fence), which orders it as those stores */
		used = atomic_load_explicit(&irqc_trecs_used, memory_order_relaxed);
		while (used < i + 1 &&
		       !atomic_compare_exchange_weak_explicit(&irqc_trecs_used, &used, i + 1,
							      memory_order_relaxed,
							      memory_order_relaxed))
			;
		irqc_ctx.rec = r;
		irqc_ctx.rec_idx = i;
		/* a key made at load time: no allocation for its slot */
		pthread_setspecific(trec_key, r);
		return r;
	}
	irqc_ctx.rec = &irqc_trec_shared;
	irqc_ctx.rec_idx = IRQC_MAX_THREADS;
	return &irqc_trec_shared;
}

/* The count a call (section false) or a read-side section (true) moves. */
static _Atomic uint64_t *rec_count(struct irqc_trec *r, bool section)
{
	return section ? &r->seq : &r->nest;
}

void irqc__rec_enter_slow(bool section)
{
	struct irqc_trec *r = irqc_ctx.rec;
	_Atomic uint64_t *c;

	if (unlikely(!r))
		r = irqc__trec_claim();
	c = rec_count(r, section);
#if defined(__SANITIZE_THREAD__)
	/* TSan models no membarrier: a seq_cst RMW stands for the pair (the
	 * shared record's count of readers, or a private odd/even count) */
	atomic_fetch_add(c, 1);
#else
	if (r == &irqc_trec_shared) {
		atomic_fetch_add(c, 1);		/* seq_cst: several writers */
		return;
	}
	/* one writer: a plain increment (a section's seq to odd) */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	/* from now on the inline path, once the other side's membarrier()
	 * is the fence (registered once, never undone) */
	if (atomic_load_explicit(&irqc_membarrier_ok, memory_order_relaxed))
		irqc_ctx.rec_fast = r;
	irqc__light_barrier();	/* paired with shutdown's (or the writer's) barrier */
#endif
}

void irqc__rec_exit_slow(bool section)
{
	struct irqc_trec *r = irqc_ctx.rec;
	_Atomic uint64_t *c = rec_count(r, section);

	/* release: every access of the call or section before the waiter's
	 * acquire load of the count, and so before its frees */
	if (r == &irqc_trec_shared)
		atomic_fetch_sub_explicit(c, 1, memory_order_release);
	else	/* one writer: a section's seq to even, a call's nest down */
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) +
					 (section ? 1 : (uint64_t)-1),
				      memory_order_release);
}

void irqc__guard_init(void)
{
	if (atomic_load(&irqc_membarrier_ok))
		return;
#if defined(IRQC_TORTURE)
	/* the torture build can run as on a kernel without membarrier, so
	 * that its tests cover the fenced fallback of both sides */
	if (irqc__torture_no_membarrier())
		return;
#endif
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
		atomic_store(&irqc_membarrier_ok, true);
}

void irqc__heavy_barrier(void)
{
#if !defined(__SANITIZE_THREAD__)	/* TSan: seq_cst RMWs on both sides */
	if (!atomic_load_explicit(&irqc_membarrier_ok, memory_order_relaxed) ||
	    syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
		atomic_thread_fence(memory_order_seq_cst);	/* callers fence too */
#endif
}

/* Wait until count c (a record's calls, or the shared record's sections)
 * is down to own, the caller's own part of it. */
static void wait_count(_Atomic uint64_t *c, uint64_t own)
{
	unsigned int us = 1;

	/* seq_cst (an acquire at least: paired with the release store or RMW
	 * of the exit), the load half of the waiter's side of the Dekker pair */
	while (atomic_load(c) > own)
		irqc__backoff_sleep(&us);
}

static void wait_section(struct irqc_trec *r)
{
	/* seq_cst (an acquire at least: paired with the release store of the
	 * section's exit) */
	uint64_t s = atomic_load(&r->seq);
	unsigned int us = 1;

	if (!(s & 1))
		return;			/* not inside a section */
	while (atomic_load(&r->seq) == s)
		irqc__backoff_sleep(&us);
}

void irqc__wait_sections(void)
{
	unsigned int used = atomic_load(&irqc_trecs_used);	/* seq_cst: after the barrier */

	for (unsigned int i = 0; i < used; i++)
		if (&irqc_trecs[i] != irqc_ctx.rec)	/* never waits for itself */
			wait_section(&irqc_trecs[i]);
	/* the shared record counts its readers: wait for none but ours
	 * (threads beyond IRQC_MAX_THREADS that enter sections without pause
	 * can delay this; they are the exception the shared record is for) */
	wait_count(&irqc_trec_shared.seq,
		   irqc_ctx.rec == &irqc_trec_shared && irqc_ctx.section_nest);
}

void irqc__api_drain(void)
{
	unsigned int used;

	/* seq_cst: the store half of shutdown's side of the Dekker pair */
	atomic_store(&irqc.state, IRQC_STOPPING);
	IRQC_DEBUG_POINT(IRQC_DBG_SHUTDOWN, ~0u);
	irqc__heavy_barrier();
	/* the records ever claimed, as irqc__wait_sections (see core/rcu.c:
	 * a claim precedes the record's first count in program order); a
	 * record free now has no call in progress. The caller's own calls
	 * (none, as shutdown is refused in IRQ context, but a log callback
	 * could) are not waited for. */
	used = atomic_load(&irqc_trecs_used);	/* seq_cst: after the barrier */
	for (unsigned int i = 0; i < used; i++) {
		struct irqc_trec *r = &irqc_trecs[i];

		wait_count(&r->nest, r == irqc_ctx.rec ? atomic_load(&r->nest) : 0);
	}
	wait_count(&irqc_trec_shared.nest, irqc_ctx.rec == &irqc_trec_shared ?
					   atomic_load(&irqc_trec_shared.nest) : 0);
	/* and the read-side sections, the guard of the hot calls */
	irqc__wait_sections();
}
