/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The read side that protects handler chains, and its grace periods.
 *
 * The read side is inline (internal.h); this file is the writer's.
 * A reader is a thread: a dispatcher's drain pass, an external CPU's poll
 * or generic_handle_irq, the spurious poller. Its record is its thread
 * record (core/guard.c, static storage, claimed at its first call), whose
 * seq is odd while the thread is inside a section: entry and exit are
 * plain stores, no fence, no read-modify-write, as liburcu's urcu-memb
 * readers. Sections nest (a handler calling generic_handle_irq); only the
 * outermost moves the count.
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
 * Which records to read: irqc_trecs_used, raised when a record is first
 * claimed, before any of its sections in program order: a record whose
 * section entry precedes B has its claim before B too, so the writer's
 * load of irqc_trecs_used after membarrier covers it.
 * Without membarrier (old kernels) the reader's entry pays a full fence and
 * the argument is the plain Dekker one. A thread that stays idle forever is
 * never inside a section, so it never delays a grace period (no
 * quiescent-state reporting is needed, unlike QSBR). Threads beyond
 * IRQC_MAX_THREADS share one record, which counts its readers with atomic
 * adds; the writer waits for that count to reach zero.
 *
 * A section is also a guard against shutdown (G2, core/guard.c): shutdown
 * publishes STOPPING, issues the same barrier and waits for the sections
 * as it waits for guarded calls, and irqc__rcu_enter reads the state after
 * its entry store. So generic_handle_irq announces itself once, not twice.
 * Sections never sleep, which is why they may be waited for by a grace
 * period; guarded calls may (free_irq itself), which is why a grace period
 * does not wait for them.
 *
 * TSan models neither membarrier nor the asymmetric pair: under TSan the
 * entry is a seq_cst RMW, the writer's loads are seq_cst, and the exit's
 * release pairs with the writer's acquire: TSan sees real happens-before,
 * no annotation is needed.
 */
#include "core.h"

void irqc__synchronize_rcu(void)
{
	irqc__heavy_barrier();
	irqc__wait_sections();
}
