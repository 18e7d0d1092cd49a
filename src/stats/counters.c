/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Raise accounting without locks, allocations or atomic read-modify-writes
 * on the hot path (T2, G6).
 *
 * raised and coalesced are counted where they happen: in whichever thread
 * raises, or in the CPU that merges two events. At init the instance
 * allocates nr_slots rows of per-line counters {raised, coalesced}; the
 * thread holding record i (core/guard.c) owns row i and is its only writer
 * (relaxed load + store). A thread's first raise therefore only claims a
 * record; nothing is allocated and no lock is taken. When a thread exits its
 * record, and with it the row, passes to the next thread that claims it: the
 * counts stay and keep growing with one writer at a time (the record's owner
 * CAS orders the two writers). Threads whose record index has no row (more
 * threads than rows) count in one shared row with relaxed atomic adds:
 * slower, never dropped.
 *
 * Readers sum the rows of a line with relaxed loads, taking no lock, as
 * /proc/interrupts does. Rows are sized nr_cpus + 32: every dispatcher, irq
 * threads and raisers of a typical program; memory is touched only for the
 * rows and lines actually used (calloc'ed, so untouched pages stay unmapped).
 */
#include "stats.h"

#include <errno.h>
#include <stdlib.h>

#define SPARE_SLOTS	32u

struct irqc_cnt *irqc__cnt_slot_slow(void)
{
	if (unlikely(!irqc_ctx.rec))
		irqc__trec_claim();
	irqc_ctx.cnt = irqc_ctx.rec_idx < irqc.nr_slots ?
		       &irqc.cnt[(size_t)irqc_ctx.rec_idx * irqc.nr_irqs] : NULL;
	irqc_ctx.cnt_gen = atomic_load_explicit(&irqc.gen, memory_order_relaxed);
	return irqc_ctx.cnt;
}

void irqc__counts_read(unsigned int irq, uint64_t *raised, uint64_t *coalesced)
{
	*raised = atomic_load_explicit(&irqc.cnt_shared[irq].raised, memory_order_relaxed);
	*coalesced = atomic_load_explicit(&irqc.cnt_shared[irq].coalesced, memory_order_relaxed);
	for (unsigned int s = 0; s < irqc.nr_slots; s++) {
		struct irqc_cnt *c = &irqc.cnt[(size_t)s * irqc.nr_irqs + irq];

		*raised += atomic_load_explicit(&c->raised, memory_order_relaxed);
		*coalesced += atomic_load_explicit(&c->coalesced, memory_order_relaxed);
	}
}

int irqc__counters_init(void)
{
	irqc.nr_slots = irqc.nr_cpus + SPARE_SLOTS;
	if (irqc.nr_slots > IRQC_MAX_THREADS)
		irqc.nr_slots = IRQC_MAX_THREADS;
	irqc.cnt = calloc((size_t)irqc.nr_slots * irqc.nr_irqs, sizeof(*irqc.cnt));
	irqc.cnt_shared = calloc(irqc.nr_irqs, sizeof(*irqc.cnt_shared));
	if (!irqc.cnt || !irqc.cnt_shared) {
		irqc__counters_fini();
		return -ENOMEM;
	}
	return 0;
}

void irqc__counters_fini(void)
{
	free(irqc.cnt);
	free(irqc.cnt_shared);
	irqc.cnt = irqc.cnt_shared = NULL;
}
