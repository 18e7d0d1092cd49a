/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The read side that protects handler chains, and its grace periods.
 *
 * The read side is inline (internal.h); this file is the writer's.
 * A reader is a CPU (a dispatcher's drain pass, an external CPU's poll or
 * generic_handle_irq) or the spurious poller; each has one record, used by
 * one thread at a time. A read-side section makes the record's sequence
 * count odd on entry and even on exit, with plain stores: no fence, no
 * read-modify-write, as liburcu's urcu-memb readers.
 *
 * Why free_irq() never frees what a reader may still use
 * ------------------------------------------------------
 * The writer unlinks an action (a store), then calls irqc__synchronize_rcu:
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) makes every running thread of
 * the process execute a full barrier (a thread that is not running went
 * through a context switch, which is one), and only then does the writer
 * read the records. Take a reader section and the barrier point B the
 * membarrier put in its thread:
 *   - the section's entry store precedes B: after membarrier returns, the
 *     writer's load sees the count odd (or already past that section), and
 *     it waits until the count moves, i.e. until the section ends; the end's
 *     release store orders every load of the section before the free;
 *   - the entry store follows B: then every load of the section follows B,
 *     which follows the writer's unlink (membarrier is a full barrier on the
 *     writer's side too): the section cannot see the unlinked action.
 * Without membarrier (old kernels) the reader's entry pays a full fence and
 * the argument is the plain Dekker one. A CPU that stays idle forever is
 * never inside a section, so it never delays a grace period (no
 * quiescent-state reporting is needed, unlike QSBR).
 *
 * TSan models neither membarrier nor the asymmetric pair: under TSan the
 * entry is a seq_cst RMW, the writer's loads are seq_cst, and the exit's
 * release pairs with the writer's acquire: TSan sees real happens-before,
 * no annotation is needed.
 */
#include "core.h"

static void wait_reader(struct irqc_rcu_reader *r)
{
	/* seq_cst (an acquire at least: paired with the exit's release) */
	uint64_t s = atomic_load(&r->seq);
	unsigned int us = 1;

	if (!(s & 1))
		return;			/* not inside a section */
	while (atomic_load(&r->seq) == s)
		irqc__backoff_sleep(&us);
}

void irqc__synchronize_rcu(void)
{
	irqc__heavy_barrier();
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		wait_reader(&irqc.cpus[c].rcu);
	wait_reader(&irqc.poll_rcu);
}
